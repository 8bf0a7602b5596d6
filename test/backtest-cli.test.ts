// `flashmm backtest`: the core backtester with the built-in quoter, through the CLI.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

function backtest(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, 'backtest', ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
}

interface Result {
  counts: { fills: number };
  account: { position: number; bought_lots: number; sold_lots: number };
  stats: {
    pnl: { net: string; realised: string; unrealised: string; fees: string };
    trading: { fills: number; bought_lots: number; sold_lots: number };
    inventory: { max_abs: number };
  };
  fills?: unknown[];
}

describe('flashmm backtest', () => {
  const file = recording('usdm_btcusdt_20240808.gz');
  const size = 1;
  const limit = 10;

  it('is deterministic (byte-identical JSON), fills both sides and keeps |inventory| within limit + size', async () => {
    const args = [file, '--size', String(size), '--max-position', String(limit), '--maker-fee-ppm', '-50', '--taker-fee-ppm', '400', '--json'];
    const [a, b] = [await backtest(...args), await backtest(...args)];
    expect(a.stdout.length).toBeGreaterThan(0);
    expect(b.stdout).toBe(a.stdout);
    expect(a.stderr).toBe(''); // no progress bar when stderr is not a terminal
    const r = JSON.parse(a.stdout) as Result;
    expect(r.stats.trading.fills).toBeGreaterThan(0);
    expect(r.stats.trading.bought_lots).toBeGreaterThan(0);
    expect(r.stats.trading.sold_lots).toBeGreaterThan(0);
    expect(r.stats.inventory.max_abs).toBeLessThanOrEqual(limit + size);
    expect(Math.abs(r.account.position)).toBeLessThanOrEqual(limit + size);
    // Money is exact: net = realised + unrealised - fees.
    const p = r.stats.pnl;
    expect(BigInt(p.net)).toBe(BigInt(p.realised) + BigInt(p.unrealised) - BigInt(p.fees));
    expect(r.fills).toBeUndefined(); // records only with --records
  });

  it('prints a human summary in the quote currency by default', async () => {
    const { stdout } = await backtest(file, '--until', '1723161300000', '--mode', 'around-mid', '--ticks', '2', '--queue', 'log');
    expect(stdout).toMatch(/^BTCUSDT backtest of .*usdm_btcusdt_20240808\.gz: /);
    expect(stdout).toMatch(/^P&L net -?\d+(\.\d+)?  realised -?\d+(\.\d+)?  unrealised -?\d+(\.\d+)?  fees -?\d+(\.\d+)?$/m);
    expect(stdout).toMatch(/^fills \d+ \(buys \d+ lots, sells \d+ lots/m);
    expect(stdout).toMatch(/^adverse selection 1s .*; 10s /m);
  });

  it('fails with a clear message on a bad option or a bad file', async () => {
    await expect(backtest(file, '--queue', 'fifo')).rejects.toThrow(/argument 'fifo' is invalid. Allowed choices are risk-averse, power, log/);
    await expect(backtest(file, '--size', '0')).rejects.toThrow(/--size <lots>' argument '0' is invalid. expected a positive integer/);
    await expect(backtest(file, '--records')).rejects.toThrow(/--records needs --json/);
    await expect(backtest('x.gz')).rejects.toThrow(/backtest failed: cannot tell the Binance market of x\.gz/);
  });
});
