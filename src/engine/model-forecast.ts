// The model's forecast for the quote loop: the core's live `Signal` (features on the book the
// core keeps, ONNX inference) as a ForecastSource. Conversions only: the first (shortest)
// horizon's [down, flat, up] probabilities give pDown/pUp, the signal's overall confidence is
// the confidence, and no prediction yet (window not full, book invalid) means no forecast.
import { existsSync, type FSWatcher, watch } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { EventBatch } from '@flashmm/core';
import { Signal } from '../native.js';
import type { Forecast } from '../strategy/skew.js';
import type { Logger } from '../telemetry/logger.js';
import type { ForecastSource } from './market-loop.js';

export class ModelForecast implements ForecastSource {
  constructor(private readonly signal: Signal) {}

  onMarketData(batch: EventBatch): void {
    this.signal.applyBatch(batch);
  }

  forecast(): Forecast | undefined {
    const p = this.signal.predict();
    const first = p?.probs[0];
    if (p === null || p === undefined || first === undefined) return undefined;
    const [pDown = 0, , pUp = 0] = first;
    return { pUp, pDown, confidence: p.overallConfidence };
  }
}

/** A forecast from the model file at `modelPath` for a book with `sequenceRule`. */
export function modelForecast(modelPath: string, sequenceRule: string): ForecastSource {
  return new ModelForecast(new Signal(modelPath, sequenceRule));
}

/** Where a configured model path points: absolute, else the working directory, else the package. */
export function resolveModelPath(path: string, packageRoot: string): string | null {
  if (isAbsolute(path)) return existsSync(path) ? path : null;
  for (const base of [process.cwd(), packageRoot]) {
    const candidate = resolve(base, path);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * The daemon's forecasts: one Signal per market on the same model file; with `reloadOnChange`
 * a changed file is hot-reloaded into every market (a file that fails to load is logged and the
 * old model keeps serving).
 */
export class ModelForecasts {
  private readonly signals = new Map<string, Signal>();
  private watcher: FSWatcher | null = null;

  constructor(private readonly path: string, private readonly log: Logger) {}

  forMarket(symbol: string, sequenceRule: string): ForecastSource {
    const signal = new Signal(this.path, sequenceRule);
    this.signals.set(symbol, signal);
    return new ModelForecast(signal);
  }

  watch(): void {
    let timer: NodeJS.Timeout | null = null;
    this.watcher = watch(this.path, () => {
      // Editors and copies write in several steps: reload once the file has settled.
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => this.reload(), 200);
    });
  }

  reload(): void {
    for (const [symbol, signal] of this.signals) {
      try {
        signal.reload(this.path);
        this.log.info({ symbol, path: this.path, generation: signal.generation }, 'model reloaded');
      } catch (err) {
        this.log.error({ symbol, path: this.path, err: err instanceof Error ? err.message : String(err) }, 'model reload failed: the old model keeps serving');
      }
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}
