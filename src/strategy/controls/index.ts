// The quoting controls of one market (docs/controls.md): what Hummingbot's market-making
// strategies offer, on top of the quoter. Every parameter is read from the quoting config passed
// in at each call, so a config swapped between decisions takes effect at the next one; the state
// here is only what the controls must remember (fills, hanging orders, the band's anchor).
//
// A decision runs: plan (before the quoter: the inventory target and size ratios, the live orders
// the refresh tolerance may keep, the orders too old to keep) → the quoter (order optimisation,
// the execution timeframe and the size skew act inside it) → finish (the moving price band,
// ping-pong, the filled-order delay, then the hanging orders added back) → the risk filter.
import type { BookTop, DesiredQuote, MarketInfo, Side } from '../../market/types.js';
import type { QuotingConfig } from '../config.js';
import type { QuoteInput } from '../quoter.js';
import { FillDelay, holdDelayedSides } from './fill-delay.js';
import { HangingOrders } from './hanging.js';
import { inventoryTargetLots, sizeRatios } from './inventory.js';
import { agedOrders } from './order-age.js';
import type { ControlOrder } from './orders.js';
import { PingPong } from './ping-pong.js';
import { type Band, MovingPriceBand } from './price-band.js';

export { depthQuery, type DepthQuery } from './optimization.js';
export type { ControlOrder } from './orders.js';

export interface ControlInputs {
  readonly config: QuotingConfig;
  readonly market: MarketInfo;
  readonly nowMs: number;
  readonly book: BookTop;
  /** Booked position, lots. */
  readonly positionLots: number;
  /** Net P&L since start at the mid, money units (the base-share inventory target reads it). */
  readonly netPnl: bigint;
  /** Every live order of the market. */
  readonly live: readonly ControlOrder[];
}

export interface ControlPlan {
  /** What the quoter gets from the controls. */
  readonly quoter: Pick<QuoteInput, 'liveQuotes' | 'inventoryTargetLots' | 'sizeRatios'>;
  /** Resting orders to cancel and place afresh this decision (maximum order age). */
  readonly refresh: readonly string[];
}

/** What the controls did in a decision (logs, the API, tests). */
export interface ControlReport {
  readonly inventoryTargetLots: number;
  readonly refreshed: readonly string[];
  readonly delayedSides: readonly Side[];
  readonly pingPongBalance: number;
  readonly band: Band | null;
  readonly hanging: readonly string[];
}

/** Orders whose first fill was seen are remembered this long (a late duplicate must not count twice). */
const REMEMBER_FILLS = 10_000;

export class QuoteControls {
  private readonly hanging = new HangingOrders();
  private readonly delay = new FillDelay();
  private readonly pingPong = new PingPong();
  private readonly band = new MovingPriceBand();
  /** Orders whose first fill has been counted (insertion order: oldest first). */
  private readonly counted = new Set<string>();

  /**
   * A fill of one of our orders (after the order manager booked it). Only an order's first fill
   * counts, and a hanging order's fill neither delays nor ping-pongs (as in Hummingbot).
   */
  onFill(config: QuotingConfig, fill: { readonly clientId: string; readonly side: Side }, level: number | undefined, live: readonly ControlOrder[], nowMs: number): void {
    if (this.counted.has(fill.clientId)) return;
    this.counted.add(fill.clientId);
    if (this.counted.size > REMEMBER_FILLS) this.counted.delete(this.counted.values().next().value as string);
    if (this.hanging.has(fill.clientId)) return;
    this.delay.onFill(fill.side, nowMs);
    this.pingPong.onFill(config, fill.side);
    if (level !== undefined) this.hanging.onPairFill(config, fill.side, level, live);
  }

  plan(inputs: ControlInputs): ControlPlan {
    const { config, live, nowMs } = inputs;
    const target = inventoryTargetLots(config, inputs.market, inputs.book.mid, inputs.netPnl);
    const refresh = agedOrders(config, live, nowMs, (id) => this.hanging.has(id));
    const ratios = sizeRatios(config, inputs.positionLots, target);
    const liveQuotes = live.filter((o) => !this.hanging.has(o.clientId) && !refresh.includes(o.clientId));
    return { quoter: { liveQuotes, inventoryTargetLots: target, ...(ratios === null ? {} : { sizeRatios: ratios }) }, refresh };
  }

  /** The desired set after the controls; `inputs.live` as it is after the plan's refresh cancels. */
  finish(inputs: ControlInputs, plan: ControlPlan, fresh: readonly DesiredQuote[]): { quotes: DesiredQuote[]; report: ControlReport } {
    const { config, live, nowMs } = inputs;
    const mid = inputs.book.mid;
    let quotes = this.band.apply(config, mid, nowMs, fresh);
    quotes = this.pingPong.apply(config, quotes);
    const delayedSides = this.delay.delayedSides(config, nowMs);
    quotes = holdDelayedSides(quotes, delayedSides, live.filter((o) => !this.hanging.has(o.clientId)));
    const hanging = this.hanging.keep(config, live, mid, quotes);
    const report: ControlReport = {
      inventoryTargetLots: plan.quoter.inventoryTargetLots ?? config.inventoryTargetLots, refreshed: plan.refresh, delayedSides,
      pingPongBalance: this.pingPong.balance, band: this.band.current(), hanging: this.hanging.list(),
    };
    return { quotes: [...quotes, ...hanging], report };
  }
}
