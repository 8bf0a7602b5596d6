// `flashmm worker --redis <url>`: process the sweep points that `flashmm sweep --redis <url>`
// enqueues, on this host, until SIGINT/SIGTERM (which lets the running points finish). Start
// as many as you like, on as many hosts as share the Redis and the recordings' paths. One line
// per point on stderr.
import { availableParallelism, hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { parseRedisUrl, redactUrl } from '../backtest/queue/queue.js';
import { startSweepWorker } from '../backtest/queue/worker.js';
import { errorMessage } from '../errors.js';
import { positiveInt } from './options.js';

interface WorkerCliOptions {
  redis: string;
  concurrency: number;
  lockMs: number;
  stalledCheckMs: number;
  name?: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('process the points of sweeps run with `flashmm sweep --redis` (BullMQ jobs), until interrupted')
    .requiredOption('--redis <url>', 'the Redis of the sweep queue, redis://[user:password@]host:port[/db]')
    .addOption(new Option('--concurrency <n>', 'points run at once (worker threads)').argParser(positiveInt).default(availableParallelism(), `available parallelism, ${availableParallelism()}`))
    .addOption(new Option('--lock-ms <ms>', "a point's lock; a dead worker's point is retried once it expires").argParser(positiveInt).default(30_000))
    .addOption(new Option('--stalled-check-ms <ms>', "how often to look for dead workers' points").argParser(positiveInt).default(30_000))
    .option('--name <name>', 'name in the queue and the log lines (default host:pid)')
    .action(async (opts: WorkerCliOptions, cmd: Command) => {
      let url: URL;
      try {
        url = parseRedisUrl(opts.redis);
      } catch (e) {
        cmd.error(`error: --redis: ${errorMessage(e)}`);
      }
      const name = opts.name ?? `${hostname()}:${process.pid}`;
      const log = (line: string): void => {
        process.stderr.write(`${new Date().toISOString()} worker ${name}: ${line}\n`);
      };
      let lastError = '';
      const worker = await startSweepWorker(url, { concurrency: opts.concurrency, lockMs: opts.lockMs, stalledCheckMs: opts.stalledCheckMs, name }, {
        started: (job) => log(`started ${job.id} (point ${job.data.index})`),
        finished: (job, outcome, ms) => log(`finished ${job.id} in ${(ms / 1000).toFixed(2)} s${outcome.ok ? '' : `: ${outcome.error}`}`),
        failed: (job, e) => log(`failed ${job?.id ?? '?'}: ${e.message}`),
        error: (e) => {
          // Once per distinct error: ioredis retries a lost connection every few hundred ms.
          if (e.message !== lastError) log(`error: ${e.message}`);
          lastError = e.message;
        },
      });
      log(`ready on ${redactUrl(url.href)}, ${opts.concurrency} at a time`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log(`${signal}: finishing the running points`);
          worker.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
