// Prediction accuracy against outcomes over a report's steps. A forecast made at step time t
// is scored at each horizon h of the model against the mid in force at t + h: the mid of the
// last step at or before t + h (the rule of the core's labels and of its adverse-selection
// statistics; steps are on the decision grid, so for horizons that are multiples of the
// decision interval this is the book at exactly t + h). The outcome is the sign of the mid's
// change (flat band zero, as in the core's labels); a horizon past the last step is not scored.
//
// For a backtest, the forecasts are those the model's live signal (the core's `Signal`, the
// daemon's forecast source) held at each step, replaying the recording in arrival order.
import { basename } from 'node:path';
import type { StepRecord } from '../native.js';
import { BinanceReader, Model, Signal } from '../native.js';

export interface HorizonScore {
  readonly horizonMs: number;
  /** Forecasts whose horizon ended within the steps. */
  readonly scored: number;
  /** The most probable class (down, flat, up) was the outcome. */
  readonly correct: number;
  readonly accuracy: number | null;
  /** Scored forecasts whose outcome was a move (not flat). */
  readonly moves: number;
  /** Of those, the sign of p(up) − p(down) was the move's ("direction given a move"). */
  readonly directionRight: number;
  readonly directionGivenMove: number | null;
}

export interface PredictionScores {
  /** The model file's name. */
  readonly model: string;
  /** Steps that had a forecast (none before the signal's window is full and its book valid). */
  readonly forecasts: number;
  readonly steps: number;
  readonly horizons: readonly HorizonScore[];
}

/** Per step, `[down, flat, up]` per horizon (shortest first), or null: no forecast then. */
export type StepForecasts = readonly (readonly (readonly number[])[] | null)[];

const argmax = (p: readonly number[]): number => p.reduce((best, x, i) => (x > (p[best] ?? -Infinity) ? i : best), 0);

export function scoreForecasts(steps: readonly StepRecord[], forecasts: StepForecasts, horizonsNs: readonly number[]): HorizonScore[] {
  if (forecasts.length !== steps.length) throw new Error(`${forecasts.length} forecasts for ${steps.length} steps`);
  const ts = steps.map((s) => BigInt(s.ts));
  const mid2 = steps.map((s) => s.bid + s.ask);
  return horizonsNs.map((h, k) => {
    let scored = 0;
    let correct = 0;
    let moves = 0;
    let directionRight = 0;
    let j = 0; // the last step at or before ts[i] + h; non-decreasing in i
    for (let i = 0; i < steps.length; i++) {
      const probs = forecasts[i]?.[k];
      const end = ts[i]! + BigInt(h);
      if (end > ts[ts.length - 1]!) break;
      while (j + 1 < ts.length && ts[j + 1]! <= end) j += 1;
      if (probs === undefined) continue;
      const outcome = Math.sign(mid2[j]! - mid2[i]!); // -1, 0, 1 = class 0, 1, 2
      scored += 1;
      if (argmax(probs) === outcome + 1) correct += 1;
      if (outcome !== 0) {
        moves += 1;
        if (Math.sign((probs[2] ?? 0) - (probs[0] ?? 0)) === outcome) directionRight += 1;
      }
    }
    return {
      horizonMs: h / 1e6, scored, correct, accuracy: scored === 0 ? null : correct / scored,
      moves, directionRight, directionGivenMove: moves === 0 ? null : directionRight / moves,
    };
  });
}

/**
 * The forecast the model's live signal held at each step time: the recording's events with an
 * exchange time at or before the step (in file order, as a live feed delivers them) are fed
 * first. Events without an exchange time (a REST snapshot) are fed as they come.
 */
export function forecastsAtSteps(recording: string, modelPath: string, steps: readonly StepRecord[]): StepForecasts {
  const reader = new BinanceReader(recording);
  const signal = new Signal(modelPath, reader.sequenceRule);
  let next = reader.nextBatch(1);
  const out: (number[][] | null)[] = [];
  for (const step of steps) {
    const t = BigInt(step.ts);
    while (next !== null && (next.exchangeTs[0] ?? 0n) <= t) {
      signal.applyBatch(next);
      next = reader.nextBatch(1);
    }
    out.push(signal.predict()?.probs ?? null);
  }
  return out;
}

/** Scores `modelPath`'s forecasts over the steps of a run on `recording`. */
export function predictionScores(recording: string, modelPath: string, steps: readonly StepRecord[]): PredictionScores {
  const horizons = Model.load(modelPath).horizons;
  if (horizons.length === 0) throw new Error(`${modelPath}: the model declares no horizons (flashmm.horizons_ns), so its forecasts cannot be scored`);
  const forecasts = forecastsAtSteps(recording, modelPath, steps);
  return {
    model: basename(modelPath),
    forecasts: forecasts.filter((f) => f !== null).length,
    steps: steps.length,
    horizons: scoreForecasts(steps, forecasts, horizons),
  };
}
