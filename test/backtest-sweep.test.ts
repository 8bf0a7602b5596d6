// `flashmm sweep`: a parameter grid of backtests run in parallel worker threads, through the CLI
// (from dist/, so the worker entry dist/backtest/sweep-worker.js is the compiled one).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { gridPoints, parseGrid } from '../src/backtest/sweep.js';
import { recording } from '../src/config/data-dir.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

function flashmm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
}

interface SweepJson {
  recording: string;
  grid: Record<string, unknown[]>;
  fixed: Record<string, unknown>;
  points: { params: Record<string, unknown>; result?: { stats: unknown }; error?: string }[];
}

describe('flashmm sweep', () => {
  const file = recording('usdm_btcusdt_20240808.gz');
  const until = '1723161600000'; // ~6 minutes of the recording: fast, with fills
  const grid = 'size=1,2;queue=power,log';

  it('runs a 2x2 grid in 2 workers: results in grid order, equal to single backtests, deterministic', async () => {
    const args = ['sweep', file, '--grid', grid, '--workers', '2', '--until', until, '--json'];
    const [a, b] = [await flashmm(...args), await flashmm(...args)];
    expect(b.stdout).toBe(a.stdout); // byte-identical across runs whatever the completion order
    expect(a.stderr).toBe('');
    const sweep = JSON.parse(a.stdout) as SweepJson;
    expect(sweep.grid).toEqual({ size: [1, 2], queue: ['power', 'log'] });
    expect(sweep.fixed).toEqual({ endExchangeMs: Number(until) });
    expect(sweep.points.map((p) => p.params)).toEqual([
      { size: 1, queue: 'power' },
      { size: 1, queue: 'log' },
      { size: 2, queue: 'power' },
      { size: 2, queue: 'log' },
    ]);
    for (const p of sweep.points) {
      expect(p.error).toBeUndefined();
      expect(p.result).toBeDefined();
    }
    // The points differ (the parameters reached the core).
    expect(new Set(sweep.points.map((p) => JSON.stringify(p.result?.stats))).size).toBe(4);
    // Each point equals `flashmm backtest --json` with the same parameters.
    for (const [i, size, queue] of [
      [1, '1', 'log'],
      [2, '2', 'power'],
    ] as const) {
      const single = await flashmm('backtest', file, '--size', size, '--queue', queue, '--until', until, '--json');
      const point = sweep.points[i];
      expect(point?.result).toEqual(JSON.parse(single.stdout));
      // The core's JSON is spliced in verbatim.
      expect(a.stdout).toContain(`"result":${single.stdout.trimEnd()}}`);
    }
  });

  it('prints a table in grid order by default', async () => {
    const { stdout } = await flashmm('sweep', file, '--grid', 'ticks=1,2;mode=around-mid', '--workers', '2', '--until', until);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^BTCUSDT sweep of .*usdm_btcusdt_20240808\.gz: 2 points, 2 workers$/);
    expect(lines[1]).toMatch(/^ticks\s+mode\s+net P&L\s+Sharpe \(ann\.\)\s+max drawdown\s+fills\s+max \|inv\|$/);
    expect(lines[2]).toMatch(/^1\s+around-mid\s+-?\d+(\.\d+)?\s+(-?\d+\.\d|-)\s+\d+(\.\d+)?\s+\d+\s+\d+$/);
    expect(lines[3]).toMatch(/^2\s+around-mid\s/);
    expect(lines).toHaveLength(4);
  });

  it('fails with a clear message on a bad grid, and reports a failing point without killing the sweep', async () => {
    await expect(flashmm('sweep', file, '--grid', 'size=1,2;sz=3')).rejects.toThrow(/--grid: unknown grid key 'sz': expected one of size, ticks, mode, queue/);
    await expect(flashmm('sweep', file, '--grid', 'queue=power,fifo')).rejects.toThrow(/grid key 'queue': value 'fifo' is invalid: expected one of risk-averse, power, log/);
    await expect(flashmm('sweep', file, '--grid', 'size=1', '--size', '2')).rejects.toThrow(/--size conflicts with grid key 'size'/);
    const failed = await flashmm('sweep', 'x.gz', '--grid', 'size=1,2', '--workers', '2', '--json').catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect('code' in failed ? failed.code : 0).toBe(2);
    const out = JSON.parse(failed.stdout) as SweepJson;
    expect(out.points).toHaveLength(2);
    for (const p of out.points) expect(p.error).toMatch(/cannot tell the Binance market of x\.gz/);
    expect(failed.stderr).toMatch(/2 of 2 sweep points failed/);
  });

  it('parses grids into the cartesian product, first key slowest', () => {
    const axes = parseGrid('size=1,2; ticks=1,2,3 ;queue=power,log');
    expect(axes.map((a) => [a.key, a.option, a.values])).toEqual([
      ['size', 'sizeLots', [1, 2]],
      ['ticks', 'ticks', [1, 2, 3]],
      ['queue', 'queue', ['power', 'log']],
    ]);
    const points = gridPoints(axes);
    expect(points).toHaveLength(12);
    expect(points[0]?.options).toEqual({ sizeLots: 1, ticks: 1, queue: 'power' });
    expect(points[1]?.options).toEqual({ sizeLots: 1, ticks: 1, queue: 'log' });
    expect(points[11]?.params).toEqual({ size: 2, ticks: 3, queue: 'log' });
    expect(parseGrid('latency-ms=0,5')[0]?.option).toBe('entryLatencyMs');
    expect(() => parseGrid('')).toThrow(/empty grid/);
    expect(() => parseGrid('size')).toThrow(/has no '='/);
    expect(() => parseGrid('size=')).toThrow(/'size' has no values/);
    expect(() => parseGrid('size=1,1')).toThrow(/value '1' given twice/);
    expect(() => parseGrid('size=1;size=2')).toThrow(/'size' given twice/);
    expect(() => parseGrid('size=0')).toThrow(/value '0' is invalid: expected a positive integer/);
  });
});
