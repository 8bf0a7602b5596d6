// Worker entry of `flashmm sweep` (compiled to dist/backtest/sweep-worker.js and started by
// src/backtest/sweep.ts). Each worker loads the native addon once (through ../native.js) and
// runs the backtests it is sent, one at a time, replying with the result JSON and the money
// strings the table needs (MarketSpec is a native object and cannot cross threads, so the
// quote-currency formatting happens here).
import { parentPort } from 'node:worker_threads';
import { runBacktest } from '../native.js';
import type { SweepJob, SweepReply } from './sweep.js';

if (!parentPort) throw new Error('sweep-worker.js must run in a worker thread');
const port = parentPort;

port.on('message', (job: SweepJob) => {
  let reply: SweepReply;
  try {
    const out = runBacktest(job.options);
    const r = JSON.parse(out.json) as { stats: { pnl: { net: string }; drawdown: { max_abs: string } } };
    reply = {
      id: job.id,
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
    reply = { id: job.id, outcome: { ok: false, error: e instanceof Error ? e.message : String(e) } };
  }
  port.postMessage(reply);
});
