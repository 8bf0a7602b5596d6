// From a model's float bid/ask (ticks) to the orders to rest: levels stepping away from the
// touch, whole ticks rounded away from the mid (never tighter than the model asked), a minimum
// spread, a price band around the mid, and no crossing of the public book unless allowed.
import type { BookTop, DesiredQuote, Side } from '../market/types.js';
import { optimizeTops, type DepthPrices } from './controls/optimization.js';

export interface LadderConfig {
  /** Number of levels per side. */
  readonly levels: number;
  /** Distance between consecutive levels of a side, ticks (≥ 1). */
  readonly levelStepTicks: number;
  /** Size per level, lots; level i uses sizesLots[min(i, length − 1)]. 0 skips the level. */
  readonly sizesLots: readonly number[];
  /** Smallest distance between our best bid and best ask, ticks (≥ 1). */
  readonly minSpreadTicks: number;
  /** No quote further than this from the mid, basis points of the mid. */
  readonly priceBandBps: number;
  /** Let quotes cross the public book (taking) instead of clamping them behind it (post-only). */
  readonly allowCross: boolean;
}

// Float noise such as 99.99999999 must not lose a tick when rounded away from the mid.
const EPS = 1e-9;

function sizeAt(config: LadderConfig, level: number): number {
  const sizes = config.sizesLots;
  return sizes[Math.min(level, sizes.length - 1)] ?? 0;
}

/**
 * Builds the quotes. A non-finite bid (or ask) means that side is not quoted. Assumes a valid
 * book (best bid < best ask): the quoter checks that first. `depth`: order optimisation's
 * prices (controls/optimization.ts), applied to the rounded tops before the post-only clamp.
 */
export function buildLadder(bid: number, ask: number, book: BookTop, config: LadderConfig, depth?: DepthPrices): DesiredQuote[] {
  let b = bid;
  let a = ask;
  const minSpread = Math.max(1, config.minSpreadTicks);
  if (Number.isFinite(b) && Number.isFinite(a) && a - b < minSpread) {
    const centre = (a + b) / 2;
    b = centre - minSpread / 2;
    a = centre + minSpread / 2;
  }
  let { bid: bidTop, ask: askTop } = optimizeTops(Math.floor(b + EPS), Math.ceil(a - EPS), depth);
  if (!config.allowCross) {
    // Post-only: a bid at the best ask (or an ask at the best bid) would take liquidity.
    bidTop = Math.min(bidTop, book.ask.price - 1);
    askTop = Math.max(askTop, book.bid.price + 1);
  }
  // Clamping moves each side away from the other, so a lone-side clamp keeps bid < ask; a
  // crossing allowed by config still must not put our own bid at or above our own ask.
  if (Number.isFinite(bidTop) && Number.isFinite(askTop) && bidTop >= askTop) return [];
  const maxDistance = (book.mid * config.priceBandBps) / 10_000;
  const quotes: DesiredQuote[] = [];
  const push = (side: Side, top: number, direction: -1 | 1): void => {
    if (!Number.isFinite(top)) return;
    for (let level = 0; level < config.levels; level += 1) {
      const price = top + direction * level * config.levelStepTicks;
      const size = sizeAt(config, level);
      if (size <= 0 || price <= 0) continue;
      if (Math.abs(price - book.mid) > maxDistance + EPS) continue;
      quotes.push({ side, price, size, level, postOnly: !config.allowCross });
    }
  };
  push('buy', bidTop, -1);
  push('sell', askTop, 1);
  return quotes;
}
