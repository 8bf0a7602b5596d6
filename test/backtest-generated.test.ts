// `flashmm backtest --generate zi`: backtests on a market the core generates, through the CLI;
// and the delayed-book mode (`--feed-delay`).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseFeedDelay, parseMarket } from '../src/backtest/generator-options.js';
import { runBacktest } from '../src/native.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

function backtest(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, 'backtest', ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
}

interface Result {
  config: { feed_offset_ns: string | null; feed_delay_ns?: string };
  counts: { rejected: number; steps: number };
  stats: { trading: { fills: number; bought_lots: number; sold_lots: number }; pnl: { net: string } };
}

describe('flashmm backtest --generate zi', () => {
  it('gives byte-identical JSON for a seed, different JSON for another seed, and fills on both sides', async () => {
    const args = ['--generate', 'zi', '--duration', '60s', '--json'];
    const [a, b, c] = await Promise.all([backtest(...args, '--seed', '7'), backtest(...args, '--seed', '7'), backtest(...args, '--seed', '8')]);
    expect(a.stdout.length).toBeGreaterThan(0);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    for (const out of [a, c]) {
      const r = JSON.parse(out.stdout) as Result;
      expect(r.stats.trading.bought_lots).toBeGreaterThan(0);
      expect(r.stats.trading.sold_lots).toBeGreaterThan(0);
      expect(r.counts.steps).toBeGreaterThanOrEqual(600);
    }
  });

  it('takes a market grid and prints a summary naming the generated run', async () => {
    const { stdout } = await backtest('--generate', 'zi', '--duration', '20s', '--seed', '3', '--market', 'SEIUSDC/0.0001/0.1', '--initial-price', '0.4000');
    expect(stdout).toMatch(/^SEIUSDC backtest of zi seed 3, 20 s: /);
    expect(stdout).toMatch(/^fills \d+ \(buys \d+ lots, sells \d+ lots/m);
  });

  it('--feed-delay changes the result, reproducibly', async () => {
    const args = ['--generate', 'zi', '--duration', '60s', '--seed', '7', '--json'];
    const [base, slow, slow2, auto] = await Promise.all([
      backtest(...args),
      backtest(...args, '--feed-delay', '250'),
      backtest(...args, '--feed-delay', '250'),
      backtest(...args, '--feed-delay', 'auto'),
    ]);
    expect(slow2.stdout).toBe(slow.stdout);
    expect(slow.stdout).not.toBe(base.stdout);
    const r = JSON.parse(slow.stdout) as Result;
    expect(r.config.feed_delay_ns).toBe('250000000');
    // The generator's own 1 ms feed latency: no clock offset needed.
    expect((JSON.parse(auto.stdout) as Result).config.feed_offset_ns).toBe('0');
    expect((JSON.parse(base.stdout) as Result).config.feed_delay_ns).toBeUndefined();
  });

  it('refuses mixed or incomplete options with clear messages', async () => {
    await expect(backtest()).rejects.toThrow(/give a recording or --generate zi/);
    await expect(backtest('x.gz', '--generate', 'zi')).rejects.toThrow(/a recording and --generate are exclusive/);
    await expect(backtest('x.gz', '--seed', '3')).rejects.toThrow(/--seed needs --generate/);
    await expect(backtest('--generate', 'zi', '--duration', '0s')).rejects.toThrow(/--duration <time>' argument '0s' is invalid/);
    await expect(backtest('--generate', 'zi', '--market', 'bogus')).rejects.toThrow(/--market <spec>' argument 'bogus' is invalid/);
    await expect(backtest('--generate', 'zi', '--market', 'X/0.01/1')).rejects.toThrow(/initialPrice is required/);
    await expect(backtest('--generate', 'zi', '--feed-delay', 'soon')).rejects.toThrow(/'soon' is invalid. expected a non-negative number of ms or 'auto'/);
  });

  it('names a bad generator option in the binding error', () => {
    expect(() => runBacktest({ generator: { kind: 'gbm', durationMs: 1000 } })).toThrow(/generator.kind = 'gbm'/);
    expect(() => runBacktest({ generator: { kind: 'zi', durationMs: -5 } })).toThrow(/generator.durationMs/);
    expect(() => runBacktest({ generator: { kind: 'zi', durationMs: 1000, seed: 0.5 } })).toThrow(/generator.seed/);
    expect(() => runBacktest({})).toThrow(/exactly one of path/);
    expect(() => runBacktest({ generator: { kind: 'zi', durationMs: 1000 }, feedDelay: 'later' as 'auto' })).toThrow(/feedDelay = 'later'/);
  });

  it('parses durations, markets and feed delays', () => {
    expect(parseDurationMs('60s')).toBe(60_000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1.5')).toBe(1_500);
    expect(() => parseDurationMs('-1s')).toThrow(/positive duration/);
    expect(() => parseDurationMs('0.5ms')).toThrow(/whole ms/);
    expect(parseMarket('usdm:btcusdt')).toEqual({ market: 'usdm', symbol: 'BTCUSDT' });
    expect(parseMarket('SEIUSDC/0.0001/0.1/1')).toEqual({ spec: { symbol: 'SEIUSDC', tickSize: '0.0001', lotSize: '0.1', minSize: '1' } });
    expect(() => parseMarket('SEI/abc/1')).toThrow(/expected/);
    expect(parseFeedDelay('auto')).toBe('auto');
    expect(parseFeedDelay('12.5')).toBe(12.5);
    expect(() => parseFeedDelay('-1')).toThrow(/non-negative/);
  });
});
