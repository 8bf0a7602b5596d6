// The BullMQ sandboxed processor of `flashmm worker` (compiled to
// dist/backtest/queue/processor.js and run by BullMQ in worker threads): one sweep point per
// job. The backtest is synchronous native code, so it runs here and not on the worker's main
// thread, which must stay free to renew the job locks.
import type { SandboxedJob } from 'bullmq';
import { runPoint } from '../sweep-point.js';
import type { PointOutcome } from '../sweep.js';
import { buildId, type SweepJobData } from './queue.js';

const build = buildId();

export default function processPoint(job: SandboxedJob<SweepJobData, PointOutcome>): Promise<PointOutcome> {
  if (job.data.build !== build) {
    return Promise.resolve({ ok: false, error: `this worker runs ${build}; the sweep was started by ${job.data.build}` });
  }
  return Promise.resolve(runPoint(job.data.options));
}
