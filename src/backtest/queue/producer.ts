// `flashmm sweep --redis <url>`: the grid as BullMQ jobs, one per point, run by
// `flashmm worker` processes on any number of hosts. The outcomes come back in grid order
// (each job knows its index), so the output is the local sweep's byte for byte. A point whose
// worker died is retried by another worker (BullMQ's stalled-job check); a job that fails
// outright (its worker died more often than the stall limit allows) becomes a failed point.
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { BacktestOptions } from '../../native.js';
import { errorMessage } from '../../errors.js';
import type { PointOutcome } from '../sweep.js';
import { buildId, connection, jobId, QUEUE_NAME, redactUrl, type SweepJobData } from './queue.js';

export interface QueuedProgress {
  done: number;
  total: number;
  /** Workers connected to the queue (any sweep's). */
  workers: number;
}

/** How long to wait for the first connection to Redis before giving up. */
const CONNECT_TIMEOUT_MS = 10_000;

async function ready(what: { waitUntilReady(): Promise<unknown> }, url: URL): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cannot reach Redis at ${redactUrl(url.href)} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([what.waitUntilReady(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Enqueues every point and resolves with their outcomes in grid order; the jobs are removed after. */
export async function runQueuedSweep(
  points: readonly BacktestOptions[],
  url: URL,
  onProgress?: (p: QueuedProgress) => void,
): Promise<PointOutcome[]> {
  const queue = new Queue<SweepJobData, PointOutcome>(QUEUE_NAME, { connection: connection(url) });
  const events = new QueueEvents(QUEUE_NAME, { connection: connection(url) });
  // Errors surface through the calls below; without a listener ioredis would print each retry.
  queue.on('error', () => {});
  events.on('error', () => {});
  const sweep = randomUUID();
  let poll: NodeJS.Timeout | undefined;
  try {
    await ready(queue, url);
    await ready(events, url);
    const build = buildId();
    const jobs = await queue.addBulk(
      points.map((options, index) => ({
        name: 'point',
        data: { sweep, index, options, build },
        opts: { jobId: jobId(sweep, index), attempts: 1 },
      })),
    );
    let done = 0;
    let workers = 0;
    const report = (): void => onProgress?.({ done, total: points.length, workers });
    if (onProgress) {
      const count = (): void => {
        queue.getWorkersCount().then((n) => {
          workers = n;
          report();
        }, () => {});
      };
      count();
      poll = setInterval(count, 1_000);
    }
    return await Promise.all(
      jobs.map(async (job): Promise<PointOutcome> => {
        let outcome: PointOutcome;
        try {
          outcome = await job.waitUntilFinished(events);
        } catch (e) {
          outcome = { ok: false, error: `job ${job.id} failed: ${errorMessage(e)}` };
        }
        done += 1;
        report();
        return outcome;
      }),
    );
  } finally {
    clearInterval(poll);
    // Finished jobs are removed; an unfinished one (the sweep was interrupted) is left to run.
    await Promise.allSettled(points.map((_, i) => queue.remove(jobId(sweep, i))));
    await Promise.allSettled([events.close(), queue.close()]);
  }
}
