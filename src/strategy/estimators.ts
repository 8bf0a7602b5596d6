// Online estimates the models need: σ of the mid (EwmaVolatility) and the order-arrival
// intensity λ(δ) = A·e^(−kδ) (IntensityEstimator). Both are fed exchange timestamps (ns) so that
// replay and live behave the same; neither reads a clock.
import type { PublicTrade } from '../market/types.js';

const NS_PER_S = 1e9;

function secondsBetween(fromNs: bigint, toNs: bigint): number {
  return Number(toNs - fromNs) / NS_PER_S;
}

export interface EwmaVolatilityOptions {
  /** Weight of a sample halves after this many seconds: the estimator's window. */
  readonly halfLifeSeconds: number;
  /** Returns are taken over at least this long: sub-second mid bounce would inflate σ. */
  readonly minSampleSeconds: number;
  /** A longer gap (disconnect, stale book) restarts the return chain instead of using it. */
  readonly maxGapSeconds: number;
  /** σ (ticks/√s) assumed before data: the EWMA starts from it and blends towards the data. */
  readonly priorSigma: number;
  /** Seconds of returns observed before `ready` (default: one half-life). */
  readonly warmupSeconds?: number;
}

/**
 * σ in ticks/√s from mid returns under irregular sampling: each return Δs over Δt seconds gives
 * an unbiased sample (Δs/√Δt)² of σ² for a Brownian mid, and samples are averaged with weight
 * α = 1 − 2^(−Δt/halfLife), so the weighting is by time, not by update count. The effective
 * window (mean age of the weights) is halfLife/ln 2 ≈ 1.44 half-lives.
 */
export class EwmaVolatility {
  private variance: number;
  private lastMid: number | undefined;
  private lastNs: bigint | undefined;
  private observedSeconds = 0;
  private readonly warmupSeconds: number;

  constructor(private readonly options: EwmaVolatilityOptions) {
    this.variance = options.priorSigma * options.priorSigma;
    this.warmupSeconds = options.warmupSeconds ?? options.halfLifeSeconds;
  }

  update(mid: number, exchangeTsNs: bigint): void {
    if (!Number.isFinite(mid)) return;
    if (this.lastMid === undefined || this.lastNs === undefined) {
      this.lastMid = mid;
      this.lastNs = exchangeTsNs;
      return;
    }
    const dt = secondsBetween(this.lastNs, exchangeTsNs);
    // Too soon: keep the older reference so the next return spans at least minSampleSeconds.
    if (dt < this.options.minSampleSeconds || dt <= 0) return;
    if (dt <= this.options.maxGapSeconds) {
      const r = mid - this.lastMid;
      const alpha = 1 - Math.pow(2, -dt / this.options.halfLifeSeconds);
      this.variance += alpha * ((r * r) / dt - this.variance);
      this.observedSeconds += dt;
    }
    this.lastMid = mid;
    this.lastNs = exchangeTsNs;
  }

  /** Current σ, ticks/√s (the prior until data arrive). */
  get sigma(): number {
    return Math.sqrt(this.variance);
  }

  /** True once warm-up seconds of returns have been seen; before that σ leans on the prior. */
  get ready(): boolean {
    return this.observedSeconds >= this.warmupSeconds;
  }
}

export interface Intensity {
  /** Arrival rate of trades reaching distance 0 from the mid, 1/s. */
  readonly A: number;
  /** Decay per tick of distance, 1/tick (> 0). */
  readonly k: number;
}

export interface IntensityEstimate extends Intensity {
  /** 'prior' until a fit succeeds; 'fit' when fresh; 'last-fit' when the window no longer fits. */
  readonly source: 'prior' | 'fit' | 'last-fit';
  readonly trades: number;
}

export interface IntensityEstimatorOptions {
  readonly windowSeconds: number;
  /** Refit at most this often; between refits the last result is returned. */
  readonly refitSeconds: number;
  /** Fewer trades in the window than this: no fit. */
  readonly minTrades: number;
  /** Fewer distinct distance buckets than this: no fit (a line needs ≥ 2). */
  readonly minBuckets: number;
  readonly bucketTicks: number;
  /** Trades further than this from the mid are ignored (sweeps, bad prints). */
  readonly maxDistanceTicks: number;
  readonly prior: Intensity;
  readonly minK: number;
  readonly maxK: number;
  /** Memory bound: the oldest trades are dropped beyond it. */
  readonly maxTrades?: number;
}

/**
 * A and k from trade distances to the mid at trade time. A quote at distance δ is filled by any
 * trade reaching δ or further, so λ(δ) is the rate of trades with distance ≥ δ: for each bucket
 * (width bucketTicks) we take x = the smallest distance seen in it and λ = (trades at distance
 * ≥ x)/window, an exact empirical survival rate at x. ln λ = ln A − k·x is fitted by least
 * squares weighted by the counts (Var ln n ≈ 1/n for a Poisson count), over buckets with ≥ 1
 * trade. The window is shortened to the time since the first trade while the estimator is young.
 */
export class IntensityEstimator {
  private readonly times: bigint[] = [];
  private readonly distances: number[] = [];
  private head = 0;
  private firstNs: bigint | undefined;
  private lastFitNs: bigint | undefined;
  private lastGood: Intensity | undefined;
  private current: IntensityEstimate;

  constructor(private readonly options: IntensityEstimatorOptions) {
    this.current = { ...options.prior, source: 'prior', trades: 0 };
  }

  /** Records a trade; `mid` is the mid (ticks) just before the trade. */
  onTrade(trade: PublicTrade, mid: number): void {
    const distance = Math.abs(trade.price - mid);
    if (!Number.isFinite(distance) || distance > this.options.maxDistanceTicks) return;
    this.firstNs ??= trade.exchangeTsNs;
    this.times.push(trade.exchangeTsNs);
    this.distances.push(distance);
    if (this.times.length - this.head > (this.options.maxTrades ?? 100_000)) this.head += 1;
  }

  /** The estimate at `nowNs`, refitting if refitSeconds have passed since the last fit. */
  estimate(nowNs: bigint): IntensityEstimate {
    if (this.lastFitNs === undefined || secondsBetween(this.lastFitNs, nowNs) >= this.options.refitSeconds) {
      this.lastFitNs = nowNs;
      this.current = this.refit(nowNs);
    }
    return this.current;
  }

  private refit(nowNs: bigint): IntensityEstimate {
    const windowNs = BigInt(Math.round(this.options.windowSeconds * NS_PER_S));
    this.evictBefore(nowNs - windowNs);
    const trades = this.times.length - this.head;
    const fitted = trades >= this.options.minTrades ? this.fit(nowNs) : undefined;
    if (fitted !== undefined) {
      this.lastGood = fitted;
      return { ...fitted, source: 'fit', trades };
    }
    return this.lastGood !== undefined
      ? { ...this.lastGood, source: 'last-fit', trades }
      : { ...this.options.prior, source: 'prior', trades };
  }

  private evictBefore(cutoffNs: bigint): void {
    while (this.head < this.times.length && (this.times[this.head] ?? cutoffNs) < cutoffNs) this.head += 1;
    // Compact now and then so the arrays do not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.distances.splice(0, this.head);
      this.head = 0;
    }
  }

  private fit(nowNs: bigint): Intensity | undefined {
    const { bucketTicks, windowSeconds, minBuckets, minK, maxK } = this.options;
    const sinceFirst = this.firstNs === undefined ? 0 : secondsBetween(this.firstNs, nowNs);
    const seconds = Math.min(windowSeconds, sinceFirst);
    if (!(seconds > 0)) return undefined;
    // Per bucket: number of trades and smallest distance seen.
    const counts = new Map<number, { n: number; x: number }>();
    for (let i = this.head; i < this.distances.length; i += 1) {
      const d = this.distances[i] ?? 0;
      const b = Math.floor(d / bucketTicks + 1e-9);
      const cell = counts.get(b);
      if (cell === undefined) counts.set(b, { n: 1, x: d });
      else {
        cell.n += 1;
        cell.x = Math.min(cell.x, d);
      }
    }
    if (counts.size < Math.max(2, minBuckets)) return undefined;
    // Survival counts from the deepest bucket inwards.
    const buckets = [...counts.entries()].sort((a, b) => b[0] - a[0]);
    let atOrBeyond = 0;
    let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const [, { n, x }] of buckets) {
      atOrBeyond += n;
      const y = Math.log(atOrBeyond / seconds);
      const w = atOrBeyond;
      sw += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y;
    }
    const varX = sxx - (sx * sx) / sw;
    if (!(varX > 1e-12)) return undefined;
    const slope = (sxy - (sx * sy) / sw) / varX;
    const intercept = (sy - slope * sx) / sw;
    const k = -slope;
    // A non-decreasing λ(δ) has no exponential reading: keep the last good fit instead.
    if (!(k > 0) || !Number.isFinite(intercept)) return undefined;
    return { A: Math.exp(intercept), k: Math.min(maxK, Math.max(minK, k)) };
  }
}
