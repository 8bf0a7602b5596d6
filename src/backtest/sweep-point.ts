// One point of a sweep, wherever it runs (a local worker thread, ./sweep-worker.ts, or a BullMQ
// worker, ./queue/processor.ts): the core's backtest, its result JSON verbatim and the money
// strings the table needs (MarketSpec is a native object and cannot cross threads or hosts, so
// the quote-currency formatting happens here). A failing backtest is an outcome, not a throw.
import { errorMessage } from '../errors.js';
import { runBacktest, type BacktestOptions, type BacktestResultJson } from '../native.js';
import type { PointOutcome } from './sweep.js';

export function runPoint(options: BacktestOptions): PointOutcome {
  try {
    const out = runBacktest(options);
    const r = JSON.parse(out.json) as BacktestResultJson;
    return {
      ok: true,
      json: out.json,
      symbol: out.spec.symbol,
      market: out.market,
      netPnl: out.spec.formatMoney(r.stats.pnl.net),
      maxDrawdown: out.spec.formatMoney(r.stats.drawdown.max_abs),
    };
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
}
