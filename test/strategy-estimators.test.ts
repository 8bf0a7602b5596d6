// The core's online estimators (through the binding) against synthetic data with known
// parameters (seeded, so reproducible).
import { describe, expect, it } from 'vitest';
import type { PublicTrade } from '../src/market/types.js';
import { EwmaVolatility, IntensityEstimator, type IntensityOptions as IntensityEstimatorOptions } from '../src/native.js';

/** mulberry32: a small seeded uniform RNG in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const ns = (seconds: number): bigint => BigInt(Math.round(seconds * 1e9));

describe('EwmaVolatility', () => {
  const base = { halfLifeSeconds: 600, minSampleSeconds: 0, maxGapSeconds: 30, priorSigma: 0.5 };

  it('recovers σ of an irregularly sampled random walk', () => {
    // σ = 2 ticks/√s, Δt uniform in [0.2, 1.8] s, 20 000 steps (~5.5 h, ~33 half-lives).
    // Effective sample ≈ (600/ln2)·2/1 s ≈ 1700 returns → σ's relative error ≈ 1.7 %.
    const u = rng(42);
    const vol = new EwmaVolatility(base);
    let t = 0;
    let mid = 10_000;
    vol.update(mid, ns(t));
    for (let i = 0; i < 20_000; i += 1) {
      const dt = 0.2 + 1.6 * u();
      t += dt;
      mid += 2 * Math.sqrt(dt) * normal(u);
      vol.update(mid, ns(t));
    }
    expect(vol.ready).toBe(true);
    expect(vol.sigma).toBeGreaterThan(2 * 0.92);
    expect(vol.sigma).toBeLessThan(2 * 1.08);
  });

  it('takes returns over at least minSampleSeconds (updates every 0.1 s)', () => {
    const u = rng(7);
    const vol = new EwmaVolatility({ ...base, minSampleSeconds: 1 });
    let mid = 500;
    for (let i = 0; i <= 200_000; i += 1) {
      if (i > 0) mid += 3 * Math.sqrt(0.1) * normal(u);
      vol.update(mid, ns(i * 0.1));
    }
    expect(vol.sigma).toBeGreaterThan(3 * 0.9);
    expect(vol.sigma).toBeLessThan(3 * 1.1);
  });

  it('starts at the prior, is not ready during warm-up, ignores gaps', () => {
    const vol = new EwmaVolatility({ ...base, halfLifeSeconds: 10 });
    expect(vol.sigma).toBe(0.5);
    expect(vol.ready).toBe(false);
    vol.update(100, ns(0));
    vol.update(100, ns(5));
    expect(vol.ready).toBe(false);
    // A 1000-tick jump across a 60 s gap (> maxGapSeconds) is a reconnect, not volatility.
    vol.update(1100, ns(65));
    expect(vol.sigma).toBeLessThan(0.5);
    vol.update(1100, ns(71));
    expect(vol.ready).toBe(true);
  });
});

describe('IntensityEstimator', () => {
  const options: IntensityEstimatorOptions = {
    windowSeconds: 600, refitSeconds: 10, minTrades: 30, minBuckets: 3, bucketTicks: 1,
    maxDistanceTicks: 50, prior: { A: 1, k: 0.5 }, minK: 0.01, maxK: 100,
  };

  /**
   * Market orders arrive at rate A; each reaches a depth D ~ Exp(k) beyond the mid, so the rate
   * of orders reaching a quote at δ is A·e^(−kδ). The print lands on the integer tick level
   * floor(D) (mid on a whole tick), alternating sides.
   */
  function feed(est: IntensityEstimator, A: number, k: number, seconds: number, seed: number, startS = 0): number {
    const u = rng(seed);
    let t = startS;
    const mid = 1000;
    for (;;) {
      t += -Math.log(1 - u()) / A;
      if (t > startS + seconds) return t;
      const depth = Math.floor(-Math.log(1 - u()) / k);
      const buy = u() < 0.5;
      const trade: PublicTrade = {
        price: buy ? mid + depth : mid - depth, size: 1, aggressor: buy ? 'buy' : 'sell', exchangeTsNs: ns(t),
      };
      est.onTrade(trade, mid);
    }
  }

  it('recovers A and k from trades drawn from λ(δ) = A·e^(−kδ)', () => {
    // A = 5/s, k = 0.8/tick over 600 s: ~3000 trades, buckets 0…~10 ticks deep.
    const est = new IntensityEstimator(options);
    feed(est, 5, 0.8, 600, 1);
    const fit = est.estimate(ns(600));
    expect(fit.source).toBe('fit');
    expect(fit.k).toBeGreaterThan(0.8 * 0.9);
    expect(fit.k).toBeLessThan(0.8 * 1.1);
    expect(fit.A).toBeGreaterThan(5 * 0.85);
    expect(fit.A).toBeLessThan(5 * 1.15);
  });

  it('returns the priors with no trades, or too few', () => {
    const est = new IntensityEstimator(options);
    expect(est.estimate(ns(1000))).toEqual({ A: 1, k: 0.5, source: 'prior', trades: 0 });
    const sparse = new IntensityEstimator({ ...options, refitSeconds: 0 });
    feed(sparse, 0.02, 0.8, 600, 3); // ~12 trades < minTrades
    const estimate = sparse.estimate(ns(600));
    expect(estimate.source).toBe('prior');
    expect([estimate.A, estimate.k]).toEqual([1, 0.5]);
  });

  it('keeps the last good fit when trades stop, and refits at most every refitSeconds', () => {
    const est = new IntensityEstimator(options);
    feed(est, 5, 0.8, 600, 5);
    const fitted = est.estimate(ns(600));
    // Within refitSeconds the same answer comes back whatever arrives.
    feed(est, 50, 3, 5, 9, 600);
    expect(est.estimate(ns(605))).toEqual(fitted);
    // An hour with no trades: the window is empty, the last good A and k stand.
    const later = est.estimate(ns(4200));
    expect(later.source).toBe('last-fit');
    expect(later.trades).toBe(0);
    expect([later.A, later.k]).toEqual([fitted.A, fitted.k]);
  });

  it('clamps k into [minK, maxK] and rejects non-decreasing profiles', () => {
    // Every trade at the touch except a few deep ones: very steep decay, clamped to maxK = 2.
    const steep = new IntensityEstimator({ ...options, maxK: 2 });
    for (let i = 0; i < 200; i += 1) {
      steep.onTrade({ price: 1000, size: 1, aggressor: 'buy', exchangeTsNs: ns(i) }, 1000);
    }
    steep.onTrade({ price: 1001, size: 1, aggressor: 'buy', exchangeTsNs: ns(200) }, 1000);
    steep.onTrade({ price: 1002, size: 1, aggressor: 'buy', exchangeTsNs: ns(201) }, 1000);
    expect(steep.estimate(ns(300)).k).toBe(2);
    // All trades at one distance: no slope to fit, priors remain.
    const flat = new IntensityEstimator(options);
    for (let i = 0; i < 100; i += 1) {
      flat.onTrade({ price: 1003, size: 1, aggressor: 'buy', exchangeTsNs: ns(i) }, 1000);
    }
    expect(flat.estimate(ns(100)).source).toBe('prior');
  });
});
