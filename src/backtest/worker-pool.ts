// A small pool of `node:worker_threads` workers, shared by `flashmm sweep` (./sweep-worker.ts)
// and `flashmm compare` (its own module is the worker entry). A worker runs the jobs it is
// sent one at a time: it receives `{ id, job }` and replies `{ id, outcome }`.
import { Worker } from 'node:worker_threads';

export interface PoolJob<J> {
  id: number;
  job: J;
}

export interface PoolReply<O> {
  id: number;
  outcome: O;
}

/** The outcome of a job whose worker died (or that never ran). */
export interface PoolFailure {
  ok: false;
  error: string;
}

/**
 * Runs every job in a pool of at most `workers` workers of `entry` (each started with
 * `workerData`). The outcomes are in job order. A worker that dies fails the job it was
 * running and is replaced; all workers are terminated before this resolves.
 */
export async function runPool<J, O>(
  entry: URL,
  jobs: readonly J[],
  workers: number,
  options: { workerData?: unknown; onDone?: (done: number, total: number) => void } = {},
): Promise<(O | PoolFailure)[]> {
  const outcomes = new Array<O | PoolFailure | undefined>(jobs.length).fill(undefined);
  const pool: Worker[] = [];
  let next = 0;
  let done = 0;
  let finished = false;
  try {
    await new Promise<void>((resolve) => {
      if (jobs.length === 0) {
        resolve();
        return;
      }
      const finish = (id: number, outcome: O | PoolFailure): void => {
        if (outcomes[id] !== undefined) return;
        outcomes[id] = outcome;
        done += 1;
        options.onDone?.(done, jobs.length);
        if (done === jobs.length) {
          finished = true;
          resolve();
        }
      };
      const start = (): void => {
        const worker = new Worker(entry, { workerData: options.workerData });
        pool.push(worker);
        let current: number | undefined;
        const feed = (): void => {
          if (next < jobs.length) {
            const id = next++;
            current = id;
            worker.postMessage({ id, job: jobs[id] as J } satisfies PoolJob<J>);
          } else {
            current = undefined;
          }
        };
        worker.on('message', (reply: PoolReply<O>) => {
          finish(reply.id, reply.outcome);
          feed();
        });
        worker.on('error', (e) => {
          if (current !== undefined) finish(current, { ok: false, error: `worker failed: ${e.message}` });
          current = undefined;
        });
        worker.on('exit', (code) => {
          if (current !== undefined) finish(current, { ok: false, error: `worker exited with code ${code}` });
          current = undefined;
          if (!finished && next < jobs.length) start();
        });
        feed();
      };
      const n = Math.max(1, Math.min(workers, jobs.length));
      for (let i = 0; i < n; i += 1) start();
    });
  } finally {
    finished = true;
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return outcomes.map((o) => o ?? { ok: false, error: 'not run' });
}
