// Worker entry of `flashmm sweep` (compiled to dist/backtest/sweep-worker.js; the pool of
// ./worker-pool.ts starts it for ./sweep.ts). Each worker loads the native addon once (through
// ../native.js) and runs the backtests it is sent, one at a time, replying with the result JSON and the money
// strings the table needs (MarketSpec is a native object and cannot cross threads, so the
// quote-currency formatting happens here).
import { parentPort } from 'node:worker_threads';
import { runBacktest, type BacktestOptions } from '../native.js';
import type { PointOutcome } from './sweep.js';
import type { PoolJob, PoolReply } from './worker-pool.js';
import { errorMessage } from '../errors.js';

if (!parentPort) throw new Error('sweep-worker.js must run in a worker thread');
const port = parentPort;

port.on('message', ({ id, job }: PoolJob<BacktestOptions>) => {
  let reply: PoolReply<PointOutcome>;
  try {
    const out = runBacktest(job);
    const r = JSON.parse(out.json) as { stats: { pnl: { net: string }; drawdown: { max_abs: string } } };
    reply = {
      id,
      outcome: {
        ok: true,
        json: out.json,
        symbol: out.spec.symbol,
        market: out.market,
        netPnl: out.spec.formatMoney(r.stats.pnl.net),
        maxDrawdown: out.spec.formatMoney(r.stats.drawdown.max_abs),
      },
    };
  } catch (e) {
    reply = { id, outcome: { ok: false, error: errorMessage(e) } };
  }
  port.postMessage(reply);
});
