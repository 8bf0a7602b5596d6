// How the model's forecast enters the quotes: a bounded shift of the reference price towards the
// predicted direction, scaled by the model's confidence, and a spread multiplier that widens when
// the forecast is unsure or the market is more volatile than usual. Without a forecast neither
// applies (the quoting models already widen with σ on their own).

export interface Forecast {
  /** Probability the mid moves up / down over the model's horizon, in [0, 1]. */
  readonly pUp: number;
  readonly pDown: number;
  /** How far the model trusts itself, in [0, 1]. */
  readonly confidence: number;
}

export interface SkewConfig {
  /** The largest shift of the reference price, ticks. */
  readonly maxSkewTicks: number;
  /** Widening per unit of missing confidence. */
  readonly confidenceWeight: number;
  /** Widening per unit of σ above referenceSigma (relative). */
  readonly volatilityWeight: number;
  /** The σ (ticks/√s) regarded as normal; above it the spread widens. */
  readonly referenceSigma: number;
  /** Cap on the spread multiplier. */
  readonly maxSpreadMultiplier: number;
}

function unit(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** clamp(maxSkew·(pUp − pDown)·confidence, ±maxSkew); 0 without a forecast. */
export function forecastSkewTicks(forecast: Forecast | undefined, config: SkewConfig): number {
  if (forecast === undefined) return 0;
  const max = config.maxSkewTicks;
  const raw = max * (unit(forecast.pUp) - unit(forecast.pDown)) * unit(forecast.confidence);
  return Math.min(max, Math.max(-max, raw));
}

/** min(cap, 1 + wConf·(1 − confidence) + wVol·max(0, σ/σref − 1)); 1 without a forecast. */
export function spreadMultiplier(forecast: Forecast | undefined, sigma: number, config: SkewConfig): number {
  if (forecast === undefined) return 1;
  const lowConfidence = 1 - unit(forecast.confidence);
  const excessVol = Number.isFinite(sigma) ? Math.max(0, sigma / config.referenceSigma - 1) : 0;
  const m = 1 + config.confidenceWeight * lowConfidence + config.volatilityWeight * excessVol;
  return Math.min(config.maxSpreadMultiplier, Math.max(1, m));
}
