// Where a performance report's data comes from. A source hands over the core's statistics and
// records of one period (the `to_json_with_records()` vocabulary: steps, fills, exact money
// strings) and, when it has them, the forecasts scored against what the mid did. The report
// derives everything else from that; it never recomputes what the statistics already hold.
//
// Sources: a backtest's result JSON (./backtest-source.ts) now; the daemon's Redis state (phase
// 2, once the storage keys exist) implements the same interface with `period` honoured.
import type { ReportSpec, ResultWithRecords } from '../backtest/report.js';
import type { PredictionScores } from './predictions.js';

/** Which period to report. Absent: everything the source holds. */
export interface ReportRequest {
  readonly period?: { readonly fromNs: bigint; readonly toNs: bigint };
}

export interface PerformanceData {
  readonly kind: 'backtest' | 'daemon';
  /** Says what was measured, e.g. "backtest of spot_btcusdt_20240808.gz". */
  readonly label: string;
  /** The market's grid and money formatting (the core's MarketSpec satisfies it). */
  readonly spec: ReportSpec;
  /** The core's statistics and the records they were computed from. */
  readonly result: ResultWithRecords;
  /** Forecasts scored against outcomes; null when the source has no model's forecasts. */
  readonly predictions: PredictionScores | null;
}

export interface ReportSource {
  readonly kind: PerformanceData['kind'];
  load(request?: ReportRequest): Promise<PerformanceData>;
}

export class ReportSourceError extends Error {
  override readonly name = 'ReportSourceError';
}
