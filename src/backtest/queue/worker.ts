// The BullMQ worker behind `flashmm worker --redis <url>`: takes sweep points off the queue
// and runs each in a sandboxed worker thread (./processor.ts), `concurrency` at a time. Locks
// are renewed from this thread; when a worker dies (even SIGKILL) its lock expires after
// `lockMs` and another worker's stalled-job check puts the job back in the queue.
import { Worker, type Job } from 'bullmq';
import type { PointOutcome } from '../sweep.js';
import { connection, QUEUE_NAME, type SweepJobData } from './queue.js';

export interface SweepWorkerOptions {
  concurrency: number;
  /** Lock duration of a job (BullMQ's default 30 s); renewed every half of it. */
  lockMs: number;
  /** How often this worker looks for stalled jobs (BullMQ's default 30 s). */
  stalledCheckMs: number;
  /** Shown in the queue's worker list and the log lines. */
  name: string;
}

export interface SweepWorkerEvents {
  started(job: Job<SweepJobData, PointOutcome>): void;
  finished(job: Job<SweepJobData, PointOutcome>, outcome: PointOutcome, ms: number): void;
  failed(job: Job<SweepJobData, PointOutcome> | undefined, error: Error): void;
  error(error: Error): void;
}

/** How long a finished job nobody collected stays in Redis: a day. */
const KEEP_S = 24 * 3600;

/** The compiled processor, beside this file (dist/backtest/queue/processor.js). */
const processorUrl = new URL('./processor.js', import.meta.url);

export async function startSweepWorker(url: URL, o: SweepWorkerOptions, on: SweepWorkerEvents): Promise<Worker<SweepJobData, PointOutcome>> {
  const worker = new Worker<SweepJobData, PointOutcome>(QUEUE_NAME, processorUrl, {
    connection: connection(url),
    name: o.name,
    concurrency: o.concurrency,
    useWorkerThreads: true,
    lockDuration: o.lockMs,
    stalledInterval: o.stalledCheckMs,
    // The producer reads the outcome and removes the job; these bound what an interrupted
    // sweep leaves behind (removing at once would race the producer's read).
    removeOnComplete: { age: KEEP_S },
    removeOnFail: { age: KEEP_S },
  });
  const started = new Map<string, number>();
  worker.on('active', (job) => {
    started.set(job.id ?? '', Date.now());
    on.started(job);
  });
  worker.on('completed', (job, outcome) => {
    on.finished(job, outcome, Date.now() - (started.get(job.id ?? '') ?? Date.now()));
    started.delete(job.id ?? '');
  });
  worker.on('failed', (job, error) => on.failed(job, error));
  worker.on('error', (error) => on.error(error));
  await worker.waitUntilReady();
  return worker;
}
