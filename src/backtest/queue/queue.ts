// What the sweep producer (./producer.ts, `flashmm sweep --redis`) and the workers
// (./worker.ts, `flashmm worker --redis`) agree on: the BullMQ queue, the shape of a job and
// how to reach Redis. A job is one grid point; its return value is the point's outcome.
import type { ConnectionOptions } from 'bullmq';
import type { BacktestOptions } from '../../native.js';
import { coreVersion } from '../../native.js';
import { daemonVersion } from '../../version.js';

/** The one queue every sweep uses; the sweep id in the job id keeps concurrent sweeps apart. */
export const QUEUE_NAME = 'flashmm-sweep';

export interface SweepJobData {
  /** Random id of the sweep that enqueued the job. */
  sweep: string;
  /** The point's index in grid order. */
  index: number;
  options: BacktestOptions;
  /** `flashmm <v> / flashmm-core <v>` of the producer: a worker of another build refuses the job. */
  build: string;
}

export function buildId(): string {
  return `flashmm ${daemonVersion()} / flashmm-core ${coreVersion()}`;
}

/** BullMQ forbids ':' in custom ids; '-' joins the sweep id and the index. */
export function jobId(sweep: string, index: number): string {
  return `${sweep}-${index}`;
}

/** A redis:// or rediss:// URL, or an Error saying what was expected. */
export function parseRedisUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`'${redactUrl(text)}' is not a URL: expected redis://[user:password@]host:port[/db]`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`expected a redis:// or rediss:// URL, got ${url.protocol}//`);
  }
  return url;
}

/** The URL without its credentials, for messages (a password never reaches a log). */
export function redactUrl(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@');
}

export function connection(url: URL): ConnectionOptions {
  return { url: url.href };
}
