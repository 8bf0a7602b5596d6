// Refresh tolerance: moving a resting order by a tick or trimming it by a lot costs queue
// position and an order-rate budget for almost no gain, so a live quote close enough to a
// desired one stands in for it. The order manager then diffs this set against the live orders
// and finds nothing to do for the kept ones.
import type { DesiredQuote, Side } from '../market/types.js';

/** What the tolerance needs to know of a live order. */
export interface LiveQuote {
  readonly side: Side;
  readonly price: number;
  readonly size: number;
}

export interface RefreshTolerance {
  /** Keep a live quote whose price differs by fewer ticks than this (1 = exact price only). */
  readonly priceTicks: number;
  /** ...and whose size differs by less than this fraction of the desired size (0 = exact). */
  readonly sizeFraction: number;
}

function within(live: LiveQuote, want: DesiredQuote, tol: RefreshTolerance): boolean {
  const sizeDiff = Math.abs(live.size - want.size);
  return (
    live.side === want.side &&
    Math.abs(live.price - want.price) < tol.priceTicks &&
    (sizeDiff === 0 || sizeDiff < tol.sizeFraction * want.size)
  );
}

/**
 * The desired set after tolerance: live quotes within tolerance stand in for desired ones (price
 * and size taken from the live order), closest pairs first, each live quote at most once. A live
 * price that another desired quote of the same side already asks for is not borrowed (it would
 * make two orders at one price). If keeping stale prices would put a bid at or above an ask, the
 * untouched desired set is returned instead.
 */
export function applyRefreshTolerance(
  live: readonly LiveQuote[],
  desired: readonly DesiredQuote[],
  tol: RefreshTolerance,
): DesiredQuote[] {
  const pairs: { d: number; l: number; distance: number }[] = [];
  desired.forEach((want, d) => {
    live.forEach((candidate, l) => {
      if (!within(candidate, want, tol)) return;
      const taken = desired.some((other, o) => o !== d && other.side === want.side && other.price === candidate.price);
      if (!taken) pairs.push({ d, l, distance: Math.abs(candidate.price - want.price) });
    });
  });
  pairs.sort((a, b) => a.distance - b.distance);
  const keptFor = new Map<number, LiveQuote>();
  const claimed = new Set<number>();
  for (const { d, l } of pairs) {
    const candidate = live[l];
    if (candidate === undefined || keptFor.has(d) || claimed.has(l)) continue;
    keptFor.set(d, candidate);
    claimed.add(l);
  }
  const result = desired.map((want, d) => {
    const kept = keptFor.get(d);
    return kept === undefined ? want : { ...want, price: kept.price, size: kept.size };
  });
  const topBid = Math.max(...result.filter((q) => q.side === 'buy').map((q) => q.price));
  const topAsk = Math.min(...result.filter((q) => q.side === 'sell').map((q) => q.price));
  return topBid < topAsk ? result : [...desired];
}
