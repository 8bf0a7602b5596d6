// Spread improvement over a report's steps: how much tighter our two-sided quote was than the
// market's. Same definition as the daemon's `flashmm_spread_improvement_bps` gauge: market
// spread minus our spread, in basis points of the mid (positive = we tighten it), plus the
// same difference relative to the market spread (the seed's "spread improvement" percentage).
// Only steps quoted on both sides count; every step's book is two-sided (the statistics'
// precondition). Ticks are integers, so the per-step differences are exact; only the
// averages are floats.
import type { StepRecord } from '../native.js';

export interface SpreadImprovement {
  /** Steps with both our bid and our ask live. */
  readonly steps: number;
  /** Steps in total (the denominator of `quotedShare`). */
  readonly totalSteps: number;
  readonly quotedShare: number | null;
  /** Means over the two-sided steps; null when there is none. */
  readonly marketSpreadBps: number | null;
  readonly ourSpreadBps: number | null;
  readonly improvementBps: number | null;
  /** Mean of (market − ours) / market, over the two-sided steps whose market was not locked (bid = ask). */
  readonly improvementRatio: number | null;
  /** Steps where our spread was strictly inside the market's. */
  readonly tighterSteps: number;
}

export function spreadImprovement(steps: readonly StepRecord[]): SpreadImprovement {
  let n = 0;
  let market = 0;
  let ours = 0;
  let improvement = 0;
  let ratio = 0;
  let ratioSteps = 0;
  let tighter = 0;
  for (const s of steps) {
    if (s.quote_bid === null || s.quote_ask === null) continue;
    const marketTicks = s.ask - s.bid;
    const ourTicks = s.quote_ask - s.quote_bid;
    const bpsPerTick = 2e4 / (s.bid + s.ask); // 10⁴ / mid, the mid in ticks being (bid + ask) / 2
    n += 1;
    market += marketTicks * bpsPerTick;
    ours += ourTicks * bpsPerTick;
    improvement += (marketTicks - ourTicks) * bpsPerTick;
    if (marketTicks > 0) {
      ratio += (marketTicks - ourTicks) / marketTicks;
      ratioSteps += 1;
    }
    if (ourTicks < marketTicks) tighter += 1;
  }
  const mean = (sum: number): number | null => (n === 0 ? null : sum / n);
  return {
    steps: n,
    totalSteps: steps.length,
    quotedShare: steps.length === 0 ? null : n / steps.length,
    marketSpreadBps: mean(market),
    ourSpreadBps: mean(ours),
    improvementBps: mean(improvement),
    improvementRatio: ratioSteps === 0 ? null : ratio / ratioSteps,
    tighterSteps: tighter,
  };
}
