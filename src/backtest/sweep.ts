// Parameter sweeps for `flashmm sweep`: parse a grid ("size=1,2;ticks=1,2,3;queue=power,log"),
// expand it to its cartesian product (grid order: the first key varies slowest) and run each
// point as one `runBacktest` call in a small pool of `node:worker_threads` workers
// (./worker-pool.ts running ./sweep-worker.ts). Results come back in grid order whatever the
// completion order; a failing point carries its error and the others still run.
import { integer, nonNegativeInt, nonNegativeMs, positiveInt, positiveNumber } from '../config/numbers.js';
import type { BacktestOptions } from '../native.js';
import { runPool } from './worker-pool.js';
import { errorMessage } from '../errors.js';

type GridValue = number | string | boolean;

interface GridKey {
  /** The runBacktest option the key sets. */
  option: Exclude<keyof BacktestOptions, 'path' | 'records' | 'endExchangeMs'>;
  /** Parses one value or throws an Error whose message says what was expected. */
  parse: (text: string) => GridValue;
}

function oneOf(choices: readonly string[]): (text: string) => string {
  return (text) => {
    if (!choices.includes(text)) throw new Error(`expected one of ${choices.join(', ')}`);
    return text;
  };
}

const bool = (text: string): boolean => {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error('expected true or false');
};

/** Grid keys (the canonical name first; the backtest flag names are accepted as aliases). */
const GRID_KEYS: Record<string, GridKey> = {
  size: { option: 'sizeLots', parse: positiveInt },
  ticks: { option: 'ticks', parse: nonNegativeInt },
  mode: { option: 'mode', parse: oneOf(['join', 'around-mid']) },
  queue: { option: 'queue', parse: oneOf(['risk-averse', 'power', 'log']) },
  queueExponent: { option: 'queueExponent', parse: positiveNumber },
  interval: { option: 'intervalMs', parse: positiveNumber },
  latency: { option: 'entryLatencyMs', parse: nonNegativeMs },
  response: { option: 'responseLatencyMs', parse: nonNegativeMs },
  limit: { option: 'limitLots', parse: nonNegativeInt },
  postOnly: { option: 'postOnly', parse: bool },
  makerFee: { option: 'makerFeePpm', parse: integer },
  takerFee: { option: 'takerFeePpm', parse: integer },
};

const ALIASES: Record<string, string> = {
  'queue-n': 'queueExponent',
  'interval-ms': 'interval',
  'latency-ms': 'latency',
  'response-ms': 'response',
  'max-position': 'limit',
  'post-only': 'postOnly',
  'maker-fee-ppm': 'makerFee',
  'taker-fee-ppm': 'takerFee',
};

const gridKeyNames: readonly string[] = Object.keys(GRID_KEYS);

/** The runBacktest option a grid key (or alias) sets, or undefined for an unknown key. */
export function gridOption(key: string): GridKey['option'] | undefined {
  return GRID_KEYS[ALIASES[key] ?? key]?.option;
}

export interface GridAxis {
  /** The key as written in the grid. */
  key: string;
  option: GridKey['option'];
  values: GridValue[];
}

/** Parses "k=v1,v2;k2=v3" into axes, with an error naming the bad key or value. */
export function parseGrid(grid: string): GridAxis[] {
  const axes: GridAxis[] = [];
  const segments = grid.split(';').map((s) => s.trim()).filter((s) => s !== '');
  if (segments.length === 0) throw new Error('empty grid: expected "key=v1,v2;key2=v3,..."');
  for (const segment of segments) {
    const eq = segment.indexOf('=');
    if (eq < 0) throw new Error(`grid entry '${segment}' has no '=': expected key=v1,v2,...`);
    const key = segment.slice(0, eq).trim();
    const spec = GRID_KEYS[ALIASES[key] ?? key];
    if (!spec) throw new Error(`unknown grid key '${key}': expected one of ${gridKeyNames.join(', ')}`);
    const previous = axes.find((a) => a.option === spec.option);
    if (previous) throw new Error(`grid key '${key}' given twice (also as '${previous.key}')`);
    const texts = segment.slice(eq + 1).split(',').map((v) => v.trim());
    if (texts.length === 1 && texts[0] === '') throw new Error(`grid key '${key}' has no values`);
    const values: GridValue[] = [];
    for (const text of texts) {
      let value: GridValue;
      try {
        value = spec.parse(text);
      } catch (e) {
        throw new Error(`grid key '${key}': value '${text}' is invalid: ${errorMessage(e)}`);
      }
      if (values.includes(value)) throw new Error(`grid key '${key}': value '${text}' given twice`);
      values.push(value);
    }
    axes.push({ key, option: spec.option, values });
  }
  return axes;
}

export interface GridPoint {
  /** Grid key (as written) → value, in grid key order. */
  params: Record<string, GridValue>;
  /** The runBacktest options the point sets. */
  options: Partial<BacktestOptions>;
}

/** The cartesian product of the axes, the first axis varying slowest. */
export function gridPoints(axes: readonly GridAxis[]): GridPoint[] {
  let points: GridPoint[] = [{ params: {}, options: {} }];
  for (const axis of axes) {
    points = points.flatMap((p) =>
      axis.values.map((v) => ({ params: { ...p.params, [axis.key]: v }, options: { ...p.options, [axis.option]: v } })),
    );
  }
  return points;
}

export type PointOutcome =
  | { ok: true; json: string; symbol: string; market: string; netPnl: string; maxDrawdown: string }
  | { ok: false; error: string };

/** The compiled worker entry, beside this file (dist/backtest/sweep-worker.js). */
const workerUrl = new URL('./sweep-worker.js', import.meta.url);

/**
 * Runs every job in a pool of at most `workers` worker threads (./worker-pool.ts; each loads
 * the addon once and runs jobs one at a time). The outcomes are in job order; a worker that
 * dies fails the job it was running and is replaced.
 */
export function runSweep(
  jobs: readonly BacktestOptions[],
  workers: number,
  onDone?: (done: number, total: number) => void,
): Promise<PointOutcome[]> {
  return runPool<BacktestOptions, PointOutcome>(workerUrl, jobs, workers, onDone ? { onDone } : {});
}
