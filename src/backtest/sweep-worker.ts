// Worker entry of `flashmm sweep` (compiled to dist/backtest/sweep-worker.js; the pool of
// ./worker-pool.ts starts it for ./sweep.ts). Each worker loads the native addon once (through
// ../native.js) and runs the points it is sent, one at a time (./sweep-point.ts).
import { parentPort } from 'node:worker_threads';
import type { BacktestOptions } from '../native.js';
import { runPoint } from './sweep-point.js';
import type { PointOutcome } from './sweep.js';
import type { PoolJob, PoolReply } from './worker-pool.js';

if (!parentPort) throw new Error('sweep-worker.js must run in a worker thread');
const port = parentPort;

port.on('message', ({ id, job }: PoolJob<BacktestOptions>) => {
  port.postMessage({ id, outcome: runPoint(job) } satisfies PoolReply<PointOutcome>);
});
