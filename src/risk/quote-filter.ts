// The hard pre-trade check. A quote passes only if, in the worst case — every live order on its
// side (open leaves, places in flight, orders being cancelled, orders in doubt) and every quote
// already allowed this round fills, plus this one — the position stays within ±maxPositionLots
// and its notional (valued at this quote's price) within maxNotional. Desired quotes that an
// existing live order already serves (same matching as the diff) add nothing: they are counted.
import { notional, sideSign, type DesiredQuote, type Side } from '../market/types.js';
import { byLevel, matchQuotes, type LiveOrderView } from '../execution/diff.js';
import { leaves } from '../execution/order-state.js';
import type { BreakerState } from './events.js';
import type { RiskLimits } from './limits.js';

export interface RiskInputs {
  /** Booked position in lots (signed). */
  readonly positionLots: number;
  /** Every live order of the market (OrderManager.liveOrders). */
  readonly live: readonly LiveOrderView[];
}

export type DropReason =
  | 'halted'
  | 'reducing'
  | 'position-limit'
  | 'notional-limit'
  | 'rate-limit'
  | 'max-open-orders'
  | 'invalid-quote'
  | 'unknown-market';

export interface DroppedQuote {
  readonly quote: DesiredQuote;
  readonly reason: DropReason;
}

export interface FilterResult {
  readonly allowed: readonly DesiredQuote[];
  readonly dropped: readonly DroppedQuote[];
  readonly state: BreakerState;
}

/** Checks a round of quotes; `takeToken` spends one order-rate token per new place. */
export function filterQuotes(
  desired: readonly DesiredQuote[],
  inputs: RiskInputs,
  limits: RiskLimits,
  state: BreakerState,
  takeToken: () => boolean,
): FilterResult {
  if (state === 'halted') return { allowed: [], dropped: desired.map((quote) => ({ quote, reason: 'halted' })), state };
  const ordered = byLevel(desired);
  const matches = matchQuotes(ordered, inputs.live);
  const liveLots: Record<Side, number> = { buy: 0, sell: 0 };
  for (const order of inputs.live) liveLots[order.side] += leaves(order);
  const added: Record<Side, number> = { buy: 0, sell: 0 };
  let newOrders = 0;
  const pos = inputs.positionLots;
  const allowed: DesiredQuote[] = [];
  const dropped: DroppedQuote[] = [];

  const verdict = (quote: DesiredQuote, isNew: boolean): DropReason | null => {
    if (!Number.isSafeInteger(quote.size) || quote.size <= 0 || !Number.isSafeInteger(quote.price) || quote.price <= 0) {
      return 'invalid-quote';
    }
    const sign = sideSign(quote.side);
    const worst = pos + sign * (liveLots[quote.side] + added[quote.side] + (isNew ? quote.size : 0));
    if (state === 'reducing') {
      // Only the side that shrinks |position|, and never so far that it could cross zero.
      if (pos === 0 || sign === Math.sign(pos) || Math.sign(worst) === -Math.sign(pos)) return 'reducing';
    } else if (sign * worst > 0) {
      // The order pushes the worst case further out on its own side.
      if (Math.abs(worst) > limits.maxPositionLots) return 'position-limit';
      if (notional(quote.price, Math.abs(worst)) > limits.maxNotional) return 'notional-limit';
    }
    if (!isNew) return null;
    if (inputs.live.length + newOrders + 1 > limits.maxOpenOrders) return 'max-open-orders';
    return takeToken() ? null : 'rate-limit';
  };

  ordered.forEach((quote, i) => {
    const isNew = matches[i] === null;
    const reason = verdict(quote, isNew);
    if (reason !== null) return void dropped.push({ quote, reason });
    if (isNew) {
      added[quote.side] += quote.size;
      newOrders += 1;
    }
    allowed.push(quote);
  });
  return { allowed, dropped, state };
}
