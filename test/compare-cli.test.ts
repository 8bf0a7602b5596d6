// `flashmm compare` through the CLI (dist/, so its worker threads run the compiled module):
// one recording, --json, the report's shape, and the same output twice; the skew sources on
// the walk-forward test part.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type CompareReport, formatReport } from '../src/commands/compare.js';
import { recording } from '../src/config/data-dir.js';
import { MANUAL_START_MS } from '../src/engine/manual-clock.js';
import { SimVenue, walkForwardSplit } from '../src/native.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

interface Result {
  stats: { trading: { fills: number }; inventory: { max_abs: number; mean_abs: number }; adverse_selection: { fills: number; adverse_bps: number | null }[] };
  money: { net: string };
}

interface Report {
  intervalMs: number;
  durationMs: number | null;
  model: string | null;
  notes: string[];
  recordings: {
    file: string;
    params: { symbol: string; sizeLots: number; risk: { maxPositionLots: number } };
    rows: { strategy: string; control?: string; error?: string; result?: Result }[];
  }[];
}

describe('flashmm compare', () => {
  const file = recording('usdm_ethusdt_20240808.gz');
  const none = ['--model', '/nonexistent/model.onnx', '--baseline', '/nonexistent/logistic.onnx'];
  const args = [cli, 'compare', file, '--json', '--duration-ms', '60000', '--workers', '2', ...none];

  it('prints one row per model for the recording, deterministically', async () => {
    const a = await run(process.execPath, args, { timeout: 60_000, maxBuffer: 64 << 20 });
    const b = await run(process.execPath, args, { timeout: 60_000, maxBuffer: 64 << 20 });
    expect(b.stdout).toBe(a.stdout);
    const report = JSON.parse(a.stdout) as Report;
    expect(report.model).toBeNull();
    expect(report.notes.join(' ')).toMatch(/no model file.*left out.*no baseline model file.*left out/);
    expect(report.recordings).toHaveLength(1);
    const rec = report.recordings[0];
    expect(rec?.params.symbol).toBe('ETHUSDT');
    expect(rec?.rows.map((r) => r.strategy)).toEqual(['fixed', 'as', 'glft']);
    for (const row of rec?.rows ?? []) {
      expect(row.error).toBeUndefined();
      expect(row.result?.money.net).toMatch(/^-?\d+(\.\d+)?$/);
      expect(row.result?.stats.inventory.max_abs).toBeLessThanOrEqual(rec?.params.risk.maxPositionLots ?? 0);
    }
  }, 60_000);

  it('runs a strategy with each control on beside the same strategy with it off, on the same recording', async () => {
    const base = [cli, 'compare', file, '--json', '--duration-ms', '60000', '--workers', '2', ...none, '--strategies', 'glft'];
    const off = JSON.parse((await run(process.execPath, base, { timeout: 60_000, maxBuffer: 64 << 20 })).stdout) as Report;
    const withControls = [...base, '--controls', 'ping-pong,execution-timeframe,hanging-orders'];
    const on = JSON.parse((await run(process.execPath, withControls, { timeout: 60_000, maxBuffer: 64 << 20 })).stdout) as Report;
    const rows = on.recordings[0]?.rows ?? [];
    expect(rows.map((r) => [r.strategy, r.control ?? null])).toEqual([['glft', null], ['glft', 'ping-pong'], ['glft', 'hanging-orders']]);
    expect(on.notes).toContain('execution-timeframe does not apply to glft: no row');
    // The row without a control is the plain run, exactly; each control changes what was traded.
    expect(rows[0]?.result).toEqual(off.recordings[0]?.rows[0]?.result);
    const fills = rows.map((r) => r.result?.stats.trading.fills ?? -1);
    expect(fills[1]).toBeLessThan(fills[0] ?? 0);
    expect(fills[2]).toBeGreaterThan(fills[0] ?? 0);
    for (const row of rows) expect(row.result?.stats.inventory.max_abs).toBeLessThanOrEqual(on.recordings[0]?.params.risk.maxPositionLots ?? 0);
    // The effect table: each control's run against the plain run, from the same numbers.
    const markdown = formatReport(on as unknown as CompareReport, true);
    const plain = rows[0]?.result as Result;
    for (const [i, control] of [[1, 'ping-pong'], [2, 'hanging-orders']] as const) {
      const r = rows[i]?.result as Result;
      const line = markdown.split('\n').find((l) => l.startsWith(`| ${control} |`));
      const cells = line?.split(' | ').map((c) => c.replace(/^\| | \|$/g, '')) ?? [];
      const as = (x: Result, h: number) => x.stats.adverse_selection[h]?.adverse_bps?.toFixed(2);
      const ratio = r.stats.inventory.mean_abs / plain.stats.inventory.mean_abs;
      expect(cells.slice(0, 3)).toEqual([control, '1', Number(r.money.net) > Number(plain.money.net) ? '1/1' : '0/1']);
      expect(Number(cells[3])).toBeCloseTo(Number(r.money.net) - Number(plain.money.net), 12);
      expect(cells.slice(4)).toEqual(['-', `${plain.stats.trading.fills} → ${r.stats.trading.fills}`, ratio.toFixed(2), `${as(plain, 0)} → ${as(r, 0)}`, `${as(plain, 1)} → ${as(r, 1)}`]);
    }
    await expect(run(process.execPath, [...base, '--controls', 'jumping'], { timeout: 60_000 })).rejects.toThrow(/unknown control jumping/);
  }, 90_000);
});

interface SpanResult extends Result {
  stats: Result['stats'] & { span: { first_ts: string; last_ts: string; steps: number } };
  spread: { improvementBps: number | null; improvementRatio: number | null; steps: number };
  window?: { fromNs: string; untilNs: string };
  fills: { tsNs: string }[];
}

describe('flashmm compare --test-part', () => {
  const file = recording('usdm_ethusdt_20240808.gz');
  const model = fileURLToPath(new URL('models/default.onnx', repoRoot));
  const baseline = fileURLToPath(new URL('models/logistic.onnx', repoRoot));
  const args = [
    cli, 'compare', file, '--json', '--test-part', '--workers', '2', '--model', model, '--baseline', baseline, '--strategies', 'as,as+baseline,as+skew',
  ];

  it('runs no skew, baseline skew and model skew on exactly the walk-forward test part, deterministically', async () => {
    const a = await run(process.execPath, args, { timeout: 240_000, maxBuffer: 64 << 20 });
    const b = await run(process.execPath, args, { timeout: 240_000, maxBuffer: 64 << 20 });
    expect(b.stdout).toBe(a.stdout);
    const report = JSON.parse(a.stdout) as Report & { testPart: boolean; recordings: { window?: { fromNs: string; untilNs: string; samples: number } }[] };
    expect(report.testPart).toBe(true);
    const rec = report.recordings[0];
    // The span is the core's split (the one training scores on), read here independently.
    const test = walkForwardSplit(file, 1).test;
    expect(rec?.window).toEqual({ fromNs: String(test?.firstNs), untilNs: String(test?.lastNs), samples: test?.samples });
    // Where that span lands on the backtest's clock: the replay's own mapping (a venue started as the run's).
    const venue = new SimVenue({ startNs: BigInt(MANUAL_START_MS) * 1_000_000n, replayPath: file });
    venue.advance(BigInt(MANUAL_START_MS) * 1_000_000n);
    const from = venue.hostTimeOf(test?.firstNs ?? 0n);
    const until = venue.hostTimeOf(test?.lastNs ?? 0n);
    expect(rec?.rows.map((r) => r.strategy)).toEqual(['as', 'as+baseline', 'as+skew']);
    const results = (rec?.rows ?? []).map((r) => r.result as SpanResult);
    for (const r of results) {
      // The first recorded step is the test part's first sample, the last its last.
      expect([r.stats.span.first_ts, r.stats.span.last_ts]).toEqual([String(from), String(until)]);
      expect(r.window).toEqual({ fromNs: String(test?.firstNs), untilNs: String(test?.lastNs) });
      // One decision every 100 ms over the part (and more on large moves).
      expect(r.stats.span.steps).toBeGreaterThanOrEqual((test?.samples ?? 0));
      expect(r.stats.trading.fills).toBeGreaterThan(0);
      for (const f of r.fills) expect(BigInt(f.tsNs)).toBeGreaterThanOrEqual(from ?? 0n);
      expect(r.spread.steps).toBeGreaterThan(0);
      expect(r.spread.improvementBps).not.toBeNull();
    }
    // The three skew sources trade differently.
    expect(new Set(results.map((r) => JSON.stringify([r.money.net, r.stats.trading.fills]))).size).toBe(3);
  }, 480_000);

  it('refuses a duration with the test part', async () => {
    await expect(run(process.execPath, [...args, '--duration-ms', '1000'], { timeout: 60_000 })).rejects.toThrow(/no --duration-ms/);
  }, 60_000);
});
