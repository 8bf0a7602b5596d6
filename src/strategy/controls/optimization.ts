// Order optimisation ("jumping", Hummingbot's order_optimization_enabled with
// bid/ask_order_optimization_depth): a best bid the model would put above the others' best bid
// is pulled back to one tick above it, and a best ask down to one tick below theirs, "theirs"
// read at a depth of their liquidity so dust at the touch does not set the price. The market
// state answers where that depth is, net of our own orders (MarketState.setDepthQuery). Like
// Hummingbot, this only ever moves a quote away from the mid: it cannot cross the book or
// narrow our spread below the minimum.
import type { QuotingConfig } from '../config.js';

/** The others' price at the configured depth on each side (ticks); absent: that side keeps its price. */
export interface DepthPrices {
  readonly bid?: number;
  readonly ask?: number;
}

export interface DepthQuery {
  readonly bidLots: number;
  readonly askLots: number;
}

/** What the market state must be asked each decision, or null when the control is off. */
export function depthQuery(config: QuotingConfig): DepthQuery | null {
  const o = config.orderOptimization;
  return o.enabled ? { bidLots: o.bidDepthLots, askLots: o.askDepthLots } : null;
}

/** The best bid and ask (whole ticks) after optimisation; ±Infinity (a side not quoted) stays. */
export function optimizeTops(bidTop: number, askTop: number, depth: DepthPrices | undefined): { bid: number; ask: number } {
  const bid = depth?.bid === undefined || !Number.isFinite(bidTop) ? bidTop : Math.min(bidTop, depth.bid + 1);
  const ask = depth?.ask === undefined || !Number.isFinite(askTop) ? askTop : Math.max(askTop, depth.ask - 1);
  return { bid, ask };
}
