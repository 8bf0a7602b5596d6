// `flashmm backtest --report`: the self-contained HTML report of one backtest.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { downsample, type ReportData } from '../src/backtest/report.js';
import { recording } from '../src/config/data-dir.js';
import { MarketSpec } from '../src/native.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

function backtest(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, 'backtest', ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
}

interface Result {
  counts: { steps: number; fills: number };
  stats: {
    pnl: { net: string; realised: string; unrealised: string; fees: string };
    drawdown: { max_abs: string };
    trading: { fills: number };
    inventory: { max_abs: number };
  };
}

function cell(html: string, id: string): string | undefined {
  return new RegExp(`<td id="${id}">([^<]*)</td>`).exec(html)?.[1];
}

describe('flashmm backtest --report', () => {
  const file = recording('usdm_btcusdt_20240808.gz');
  const dir = mkdtempSync(join(tmpdir(), 'flashmm-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a deterministic, self-contained HTML report matching the --json stats', async () => {
    const args = [file, '--maker-fee-ppm', '-50', '--taker-fee-ppm', '400'];
    const [a, b, plain] = await Promise.all([
      backtest(...args, '--json', '--report', join(dir, 'a.html')),
      backtest(...args, '--report', join(dir, 'b.html')),
      backtest(...args, '--json'),
    ]);
    // --report leaves the JSON on stdout exactly as without it (no records unless --records).
    expect(a.stdout).toBe(plain.stdout);
    expect(b.stdout).toMatch(/^BTCUSDT backtest of /);
    const html = readFileSync(join(dir, 'a.html'));
    expect(readFileSync(join(dir, 'b.html')).equals(html)).toBe(true); // byte-identical

    const text = html.toString('utf8');
    expect(text.startsWith('<!DOCTYPE html>')).toBe(true);
    // Self-contained: no external scripts, stylesheets or any http(s) resource loaded.
    expect(text).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(text).not.toMatch(/<link[^>]*\shref=/i);
    expect(text).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    // uPlot's browser build and stylesheet are inlined.
    const require = createRequire(import.meta.url);
    const dist = require.resolve('uplot').replace(/[^/\\]+$/, '');
    expect(text).toContain(readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'));
    expect(text).toContain(readFileSync(join(dist, 'uPlot.min.css'), 'utf8'));

    // The summary table shows the core's stats in the quote currency.
    const r = JSON.parse(plain.stdout) as Result;
    const spec = MarketSpec.binance('BTCUSDT', 'usdm');
    expect(cell(text, 'pnl-net')).toBe(spec.formatMoney(r.stats.pnl.net));
    expect(cell(text, 'pnl-realised')).toBe(spec.formatMoney(r.stats.pnl.realised));
    expect(cell(text, 'pnl-unrealised')).toBe(spec.formatMoney(r.stats.pnl.unrealised));
    expect(cell(text, 'pnl-fees')).toBe(spec.formatMoney(r.stats.pnl.fees));
    expect(cell(text, 'max-drawdown')).toBe(spec.formatMoney(r.stats.drawdown.max_abs));
    expect(cell(text, 'fills')).toBe(String(r.stats.trading.fills));
    expect(cell(text, 'inventory-max')).toBe(`${r.stats.inventory.max_abs} lots`);
    expect(cell(text, 'adverse-1s')).toBeDefined();
    expect(cell(text, 'adverse-10s')).toBeDefined();

    // The chart data: every step (no downsampling at this size) and every fill.
    const m = /<script type="application\/json" id="flashmm-data">(.*?)<\/script>/s.exec(text);
    expect(m).not.toBeNull();
    const d = JSON.parse(m![1]!) as ReportData;
    expect(d.steps).toBe(r.counts.steps);
    for (const series of [d.t, d.mid, d.quote_bid, d.quote_ask, d.inventory, d.equity, d.drawdown]) expect(series).toHaveLength(r.counts.steps);
    expect(d.fills.count).toBe(r.stats.trading.fills);
    for (const series of [d.fills.t, d.fills.price, d.fills.side, d.fills.lots]) expect(series).toHaveLength(r.stats.trading.fills);
    // Seconds of exchange time, increasing; the equity curve ends at the net P&L and its
    // deepest drawdown is the core's max drawdown.
    expect(d.t[0]).toBeCloseTo(1723161256.599, 3);
    expect(d.t.every((t, i) => i === 0 || t > d.t[i - 1]!)).toBe(true);
    expect(d.equity.at(-1)).toBe(Number(spec.formatMoney(r.stats.pnl.net)));
    expect(Math.min(...d.drawdown)).toBe(-Number(spec.formatMoney(r.stats.drawdown.max_abs)));
  });

  it('downsamples long runs to about the point budget, keeping the ends and the equity extremes', () => {
    const equity = Array.from({ length: 100_000 }, (_, i) => BigInt(Math.round(1000 * Math.sin(i / 777))) + (i === 54_321 ? -100_000n : 0n));
    const keep = downsample(equity, 4000);
    expect(keep.length).toBeLessThanOrEqual(4000);
    expect(keep.length).toBeGreaterThan(2000);
    expect(keep[0]).toBe(0);
    expect(keep.at(-1)).toBe(equity.length - 1);
    expect(keep).toContain(54_321);
    expect(keep.every((k, i) => i === 0 || k > keep[i - 1]!)).toBe(true);
    expect(downsample(equity.slice(0, 10), 4000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
