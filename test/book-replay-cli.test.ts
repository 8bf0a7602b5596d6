// `flashmm book replay`: the CLI prints the replayed book and its counts.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import type { ReplayReport } from '../src/market/book-replay.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

async function replayJson(...args: string[]): Promise<ReplayReport> {
  const { stdout } = await run(process.execPath, [cli, 'book', 'replay', ...args, '--json'], { timeout: 30_000 });
  return JSON.parse(stdout) as ReplayReport;
}

describe('flashmm book replay', () => {
  it('replays a whole recording with its exact counts and the final top of book', async () => {
    const r = await replayJson(recording('spot_btcusdt_20240808.gz'), '--depth', '2');
    expect(r.status).toBe('valid');
    expect(r.counts).toMatchObject({ events: 41249, snapshots: 1, diffs: 3451, trades: 9757, tickers: 28040, gaps: 0, invalidStates: 0 });
    expect(r.lastUpdateId).toBe(50093421584);
    expect(r.bids).toEqual([
      { price: '61685.99', size: '1.008700' },
      { price: '61685.98', size: '0.109720' },
    ]);
    expect(r.asks[0]).toEqual({ price: '61686.00', size: '2.293270' });
  });

  it('stops at --until (exchange ms)', async () => {
    const r = await replayJson(recording('usdm_btcusdt_20240808.gz'), '--until', '1723161300000', '--depth', '1');
    expect(r.counts).toMatchObject({ events: 10676, diffs: 836, gaps: 0 });
    expect(r.lastUpdateId).toBe(5123111259166);
  });

  it('prints a readable book by default and fails on a bad argument', async () => {
    const { stdout } = await run(process.execPath, [cli, 'book', 'replay', recording('cm_ethusd_perp_20240808.gz'), '--depth', '3']);
    expect(stdout).toMatch(/^ETHUSD_PERP \(coinm, rule binance-futures\)/);
    expect(stdout).toMatch(/gaps 0, crossed 0, bad levels 0, invalid states 0/);
    await expect(run(process.execPath, [cli, 'book', 'replay', 'x.gz', '--depth', '0'])).rejects.toThrow(/positive integer/);
  });
});
