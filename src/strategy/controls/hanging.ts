// Hanging orders (Hummingbot's hanging_orders_enabled, hanging_orders_cancel_pct): when an order
// fills, the order on the other side of its level stays live instead of being refreshed, until
// it fills or drifts more than cancelPct from the mid. A hanging order is still a live order,
// so the risk filter counts it in the worst case like any other: if the position or notional
// limit would not allow it, the filter drops it and the diff cancels it.
import type { DesiredQuote, Side } from '../../market/types.js';
import type { QuotingConfig } from '../config.js';
import { asQuote, isResting, type ControlOrder } from './orders.js';

/** Levels of hanging orders in the desired set: above any ladder level, so the diff never pairs them with a fresh quote's level. */
export const HANGING_LEVEL = 1000;

export class HangingOrders {
  private readonly ids = new Set<string>();

  has(clientId: string): boolean {
    return this.ids.has(clientId);
  }

  list(): readonly string[] {
    return [...this.ids];
  }

  /** The first fill of a (non-hanging) order on `side` at `level`: its pair, the other side's resting orders at that level, hang. */
  onPairFill(config: QuotingConfig, side: Side, level: number, live: readonly ControlOrder[]): void {
    if (!config.hangingOrders.enabled) return;
    for (const o of live) if (o.side !== side && o.level === level && isResting(o)) this.ids.add(o.clientId);
  }

  /**
   * The hanging orders to keep this round, as desired quotes: live ones within cancelPct of the
   * mid, except where a fresh quote asks for the same side and price (the order serves it and
   * stops hanging). The others are released: not desired, the diff cancels them. An order in
   * doubt stays hanging but is not asked for until reconciliation says where it is.
   */
  keep(config: QuotingConfig, live: readonly ControlOrder[], mid: number, fresh: readonly DesiredQuote[]): DesiredQuote[] {
    if (!config.hangingOrders.enabled) {
      this.ids.clear();
      return [];
    }
    const byId = new Map(live.map((o) => [o.clientId, o]));
    const maxDistance = (mid * config.hangingOrders.cancelPct) / 100;
    const kept: DesiredQuote[] = [];
    for (const id of [...this.ids]) {
      const o = byId.get(id);
      const served = o !== undefined && fresh.some((q) => q.side === o.side && q.price === o.price);
      if (o === undefined || served || o.state === 'cancelling' || Math.abs(o.price - mid) > maxDistance) {
        this.ids.delete(id);
        continue;
      }
      if (isResting(o)) kept.push(asQuote(o, HANGING_LEVEL + kept.length));
    }
    return kept;
  }
}
