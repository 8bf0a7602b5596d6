// `flashmm convert` and `flashmm backtest` on its cache, end to end through the CLI: the same
// JSON from the gzip and from the cache, a stale cache beside a recording rebuilt (and said so),
// a stale one named directly refused, and an hftbacktest .npz taken with its market.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { repoRoot } from './helpers/cargo.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

function flashmm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
}

const fees = ['--maker-fee-ppm', '-50', '--taker-fee-ppm', '400'];

/** A .npy of hftbacktest's event dtype: rows of [ev, exch_ts, local_ts, px, qty]. */
function eventsNpy(rows: [bigint, bigint, bigint, number, number][]): Buffer {
  const descr = "[('ev', '<u8'), ('exch_ts', '<i8'), ('local_ts', '<i8'), ('px', '<f8'), ('qty', '<f8'), ('order_id', '<u8'), ('ival', '<i8'), ('fval', '<f8')]";
  let header = `{'descr': ${descr}, 'fortran_order': False, 'shape': (${rows.length},), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head);
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(rows.length * 64);
  rows.forEach(([ev, exch, local, px, qty], i) => {
    body.writeBigUInt64LE(ev, i * 64);
    body.writeBigInt64LE(exch, i * 64 + 8);
    body.writeBigInt64LE(local, i * 64 + 16);
    body.writeDoubleLE(px, i * 64 + 24);
    body.writeDoubleLE(qty, i * 64 + 32);
  });
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

describe('flashmm convert and backtests from the cache', () => {
  const gz = recording('usdm_btcusdt_20240808.gz');
  let dir: string;
  beforeAll(() => {
    dir = scratchDir('cache-cli');
  });
  afterAll(() => removeDir(dir));

  it('converts, and a backtest of the cache is byte-identical to one of the recording', async () => {
    const out = join(dir, 'usdm.fmcache');
    const { stdout } = await flashmm('convert', gz, '--out', out);
    expect(stdout).toMatch(new RegExp(`^${out.replace(/[.]/g, '\\.')}: usdm BTCUSDT, \\d+ events, \\d+ levels, [\\d.]+ MB \\(from 3\\.6 MB of gzip\\) in [\\d.]+ s\\n$`));
    const fromGz = await flashmm('backtest', gz, '--json', ...fees);
    const fromCache = await flashmm('backtest', out, '--json', ...fees);
    expect(fromCache.stderr).toBe('');
    expect(fromCache.stdout).toBe(fromGz.stdout);
    expect((JSON.parse(fromCache.stdout) as { counts: { fills: number } }).counts.fills).toBeGreaterThan(100);
  });

  it('uses a fresh cache beside a recording, rebuilds a stale one, refuses a stale one named directly', async () => {
    const copy = join(dir, 'usdm_btcusdt_copy.gz');
    copyFileSync(gz, copy);
    const beside = `${copy}.fmcache`;
    const plain = await flashmm('backtest', copy, '--json', ...fees);
    expect(existsSync(beside)).toBe(false); // never made behind the user's back
    await flashmm('convert', copy);
    expect(existsSync(beside)).toBe(true);
    const cached = await flashmm('backtest', copy, '--json', ...fees);
    expect(cached).toEqual({ stdout: plain.stdout, stderr: '' });

    // Another recording under the same name: the cache no longer matches.
    const other = recording('usdm_ethusdt_20240808.gz');
    copyFileSync(other, copy);
    const direct = await flashmm('backtest', beside, '--json').catch((e: { code: number; stderr: string }) => e);
    expect('code' in direct && direct.code).toBe(2);
    expect(direct.stderr).toMatch(new RegExp(`error: backtest failed: .*usdm_btcusdt_copy\\.gz\\.fmcache is stale: .*usdm_btcusdt_copy\\.gz is \\d+ bytes, the cache was made from \\d+ bytes`));
    const rebuilt = await flashmm('backtest', copy, '--json', ...fees);
    expect(rebuilt.stderr).toMatch(/^note: rebuilt the cache: .*is stale: .*usdm_btcusdt_copy\.gz is \d+ bytes, the cache was made from \d+ bytes\n$/);
    const eth = await flashmm('backtest', other, '--json', ...fees);
    expect(rebuilt.stdout).toBe(eth.stdout);
    // Rebuilt, so fresh now; --no-cache reads the recording and gives the same.
    expect((await flashmm('backtest', copy, '--json', ...fees)).stderr).toBe('');
    expect((await flashmm('backtest', copy, '--json', '--no-cache', ...fees)).stdout).toBe(eth.stdout);

    // A corrupt cache beside the recording: rebuilt too.
    writeFileSync(beside, 'FLASHMMC garbage');
    const again = await flashmm('backtest', copy, '--json', ...fees);
    expect(again.stderr).toMatch(/^note: rebuilt the cache: .*fmcache is truncated: 16 of 32 bytes\n$/);
    expect(again.stdout).toBe(eth.stdout);
  });

  it('backtests an hftbacktest event file, its market from the name or --market', async () => {
    const [EXCH, BUY, SELL] = [3n << 30n, 1n << 29n, 1n << 28n]; // EXCH_EVENT | LOCAL_EVENT
    const t = 1_723_161_300_000_000_000n;
    const rows: [bigint, bigint, bigint, number, number][] = [
      [EXCH | 4n | BUY, t, t + 5n, 61000.0, 0.001],
      [EXCH | 4n | SELL, t, t + 5n, 61000.1, 0.001],
    ];
    for (let k = 1n; k <= 20n; k += 1n) rows.push([EXCH | 2n | (k % 2n ? BUY : SELL), t + k * 100_000_000n, t + k * 100_000_000n + 5n, k % 2n ? 61000.1 : 61000.0, 0.002]);
    const named = join(dir, 'usdm_btcusdt_tiny.npy');
    writeFileSync(named, eventsNpy(rows));
    const unnamed = join(dir, 'tiny.npy');
    writeFileSync(unnamed, eventsNpy(rows));
    const a = await flashmm('backtest', named, '--json');
    const b = await flashmm('backtest', unnamed, '--json', '--market', 'usdm:BTCUSDT');
    expect(b.stdout).toBe(a.stdout);
    const r = JSON.parse(a.stdout) as { config: { sequence_rule: string }; counts: { events: number; fills: number } };
    expect(r.config.sequence_rule).toBe('none');
    expect(r.counts.events).toBe(21);
    expect(r.counts.fills).toBeGreaterThan(0);
    await expect(flashmm('backtest', unnamed)).rejects.toThrow(/cannot tell the market of .*tiny\.npy: name it like the recordings/);
  });

  it('fails clearly on a recording it cannot convert, and on --market with a recording', async () => {
    const bad = join(dir, 'spot_btcusdt_bad.gz');
    writeFileSync(bad, gzipSync('garbage\n'));
    await expect(flashmm('convert', bad)).rejects.toThrow(/error: convert failed: cannot convert .*spot_btcusdt_bad\.gz: line 1: expected '<receive ns> <json>' but the line has no space/);
    expect(existsSync(`${bad}.fmcache`)).toBe(false);
    await expect(flashmm('backtest', gz, '--market', 'usdm:BTCUSDT')).rejects.toThrow(/a market applies to hftbacktest \.npz input only/);
  });
});
