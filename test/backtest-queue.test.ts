// `flashmm sweep --redis` + `flashmm worker --redis`: the grid as BullMQ jobs on a real
// redis-server, processed by two worker processes. The output is the local sweep's byte for
// byte, and still is when one worker is SIGKILLed in the middle of a point (its point is
// retried by the other once its lock expires).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { repoRoot } from './helpers/cargo.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

function flashmm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
}

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  log(): string;
  /** Resolves once a log line matches. */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
}

/** `flashmm worker` with a 1 s lock and a 0.5 s stalled check, resolved once it is ready. */
async function startWorker(url: string, name: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [cli, 'worker', '--redis', url, '--concurrency', '1', '--name', name, '--lock-ms', '1000', '--stalled-check-ms', '500'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = log.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => {
    log += b.toString();
    check();
  });
  const w: WorkerProcess = {
    name,
    child,
    log: () => log,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        child.once('exit', (code, signal) => reject(new Error(`worker ${name} exited (${code ?? signal}) before ${re}:\n${log}`)));
        check();
      }),
  };
  await w.waitFor(/ready on redis:\/\/127\.0\.0\.1:\d+, 1 at a time/);
  return w;
}

async function stopWorker(w: WorkerProcess): Promise<number | null> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return w.child.exitCode;
  const exited = once(w.child, 'exit');
  w.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

/** Job ids a worker logged as started / finished. */
function jobs(w: WorkerProcess, what: 'started' | 'finished'): string[] {
  return [...w.log().matchAll(new RegExp(`: ${what} (\\S+)`, 'g'))].map((m) => m[1] ?? '');
}

describe('flashmm sweep --redis (BullMQ)', () => {
  const file = recording('usdm_btcusdt_20240808.gz');
  const grid = 'size=1,2;queue=power,log,risk-averse'; // 6 points
  let redis: TestRedis;
  let local: string;

  beforeAll(async () => {
    redis = await startRedis();
    local = (await flashmm('sweep', file, '--grid', grid, '--workers', '2', '--json')).stdout;
  }, 60_000);

  afterAll(async () => {
    await redis?.dispose();
  });

  it('two worker processes give the local sweep, byte for byte, and leave no job behind', async () => {
    const workers = [await startWorker(redis.url, 'A'), await startWorker(redis.url, 'B')];
    try {
      const queued = await flashmm('sweep', file, '--grid', grid, '--redis', redis.url, '--json');
      expect(queued.stderr).toBe('');
      expect(queued.stdout).toBe(local);
      const finished = workers.flatMap((w) => jobs(w, 'finished'));
      expect(finished).toHaveLength(6);
      expect(new Set(finished.map((id) => id.replace(/-\d+$/, ''))).size).toBe(1); // one sweep id
      expect(new Set(finished.map((id) => Number(id.match(/-(\d+)$/)?.[1])))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
      for (const w of workers) expect(jobs(w, 'finished').length, w.log()).toBeGreaterThan(0);

      // The table: the same rows; the header says where the points ran.
      const table = await flashmm('sweep', file, '--grid', grid, '--redis', redis.url);
      const localTable = await flashmm('sweep', file, '--grid', grid, '--workers', '2');
      const [head, ...rows] = table.stdout.split('\n');
      expect(head).toMatch(new RegExp(`^BTCUSDT sweep of .*usdm_btcusdt_20240808\\.gz: 6 points, queued on redis://127\\.0\\.0\\.1:${redis.port}$`));
      expect(rows).toEqual(localTable.stdout.split('\n').slice(1));

      // The producer removed its jobs: only the queue's own keys are left.
      const client = new Redis(redis.url);
      try {
        const keys = (await client.keys('bull:flashmm-sweep:*')).sort();
        expect(keys.filter((k) => /[0-9a-f]{8}-/.test(k))).toEqual([]);
      } finally {
        client.disconnect();
      }
    } finally {
      for (const w of workers) expect(await stopWorker(w)).toBe(0);
    }
  }, 120_000);

  it('a worker SIGKILLed mid-point: another retries the point, and the output is unchanged', async () => {
    const workers = [await startWorker(redis.url, 'A'), await startWorker(redis.url, 'B')];
    try {
      const sweep = flashmm('sweep', file, '--grid', grid, '--redis', redis.url, '--json');
      // The first worker to start a point dies before it can finish it.
      const [victim, survivor] = await Promise.race(
        workers.map((w, i) => w.waitFor(/: started (\S+)/).then((m) => [w, workers[1 - i], m[1]] as const)),
      ).then(([v, s, id]) => {
        v.child.kill('SIGKILL');
        return [{ w: v, id }, s] as const;
      });
      const queued = await sweep;
      expect(queued.stdout).toBe(local);
      expect(jobs(victim.w, 'finished')).not.toContain(victim.id);
      expect(jobs(survivor as WorkerProcess, 'started')).toContain(victim.id);
      expect(jobs(survivor as WorkerProcess, 'finished')).toContain(victim.id);
      expect(victim.w.child.signalCode).toBe('SIGKILL');
    } finally {
      for (const w of workers) await stopWorker(w);
    }
  }, 120_000);

  it('refuses a bad URL, and --workers with --redis, with clear messages', async () => {
    await expect(flashmm('sweep', file, '--grid', 'size=1', '--redis', 'http://127.0.0.1:1')).rejects.toThrow(
      /--redis: expected a redis:\/\/ or rediss:\/\/ URL, got http:\/\//,
    );
    await expect(flashmm('sweep', file, '--grid', 'size=1', '--redis', 'redis://:secret@host:1', '--workers', '2')).rejects.toThrow(
      /--workers applies to local sweeps; with --redis, start `flashmm worker` processes/,
    );
    const bad = await flashmm('worker', '--redis', 'not a url').catch((e: { stderr: string }) => e);
    expect(bad.stderr).toMatch(/--redis: 'not a url' is not a URL: expected redis:\/\/\[user:password@\]host:port\[\/db\]/);
  });
});
