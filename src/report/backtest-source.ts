// A backtest's result JSON as a report source: the output of `flashmm backtest <recording>
// --json --records` (the core's `to_json_with_records()`). The JSON does not name its market,
// so the market spec comes with it (the recording's, or the generated market's grid). With a
// model and the recording, the model's forecasts at each step are scored against outcomes.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ReportSpec, ResultWithRecords } from '../backtest/report.js';
import { predictionScores } from './predictions.js';
import { ReportSourceError, type PerformanceData, type ReportRequest, type ReportSource } from './source.js';

export interface BacktestSourceOptions {
  /** The result JSON file. */
  readonly resultPath: string;
  readonly spec: ReportSpec;
  /** The recording the backtest ran on: needed to replay it through the model. */
  readonly recording?: string;
  /** An ONNX model: its forecasts at each step are scored. */
  readonly modelPath?: string;
  /** Shown as the report's subject (default "backtest of <recording or JSON file>"). */
  readonly label?: string;
}

function parse(path: string): ResultWithRecords {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ReportSourceError(`${path}: not a backtest result JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const r = value as Partial<ResultWithRecords> | null;
  if (typeof r !== 'object' || r === null || typeof r.stats !== 'object' || typeof r.counts !== 'object') {
    throw new ReportSourceError(`${path}: not a backtest result JSON (no stats): make it with flashmm backtest <recording> --json --records`);
  }
  if (!Array.isArray(r.steps) || !Array.isArray(r.fills)) {
    throw new ReportSourceError(`${path}: the result has no records (steps, fills): run the backtest with --json --records`);
  }
  if (r.steps.length === 0) throw new ReportSourceError(`${path}: the backtest recorded no step`);
  return r as ResultWithRecords;
}

export class BacktestJsonSource implements ReportSource {
  readonly kind = 'backtest' as const;

  constructor(private readonly options: BacktestSourceOptions) {
    if (options.modelPath !== undefined && options.recording === undefined) {
      throw new ReportSourceError('scoring a model needs the recording the backtest ran on');
    }
  }

  async load(request?: ReportRequest): Promise<PerformanceData> {
    const o = this.options;
    const result = parse(o.resultPath);
    if (request?.period !== undefined) {
      const { first_ts, last_ts } = result.stats.span;
      if (request.period.fromNs > BigInt(first_ts) || request.period.toNs < BigInt(last_ts)) {
        throw new ReportSourceError("a backtest's statistics cover its whole run: it cannot report part of it (run the backtest over that period instead)");
      }
    }
    return {
      kind: 'backtest',
      label: o.label ?? `backtest of ${basename(o.recording ?? o.resultPath)}`,
      spec: o.spec,
      result,
      predictions: o.modelPath === undefined || o.recording === undefined ? null : predictionScores(o.recording, o.modelPath, result.steps),
    };
  }
}
