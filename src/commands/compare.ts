// `flashmm compare [recordings...]`: the production engine (src/backtest/engine-backtest.ts)
// backtested with each quoting model — fixed spread, Avellaneda–Stoikov, GLFT, and AS/GLFT
// with a forecast skew, from the baseline model and from the model, when their files exist —
// over Binance recordings, with the same order size and risk limits per market for every
// model. The statistics are the core's. With --test-part each run trades the walk-forward
// test part of its recording only (the core's split, the one the model card scores).
// With --controls each strategy also runs with each quoting control on (control-variants.ts),
// beside the same run with it off.
// Runs go to a pool of worker threads (../backtest/worker-pool.ts; this module is its own
// worker entry); results keep job order.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Command } from 'commander';
import {
  type MarketParams, marketParams, STRATEGIES, type StrategyName, COMPARE_LARGE_MOVE_BPS, type SkewSource, strategyParts,
} from '../backtest/calibration.js';
import { type ControlName, parseControls, withControl } from '../backtest/control-variants.js';
import { type EngineBacktestResult, runEngineBacktest } from '../backtest/engine-backtest.js';
import { type PoolFailure, type PoolJob, type PoolReply, runPool } from '../backtest/worker-pool.js';
import { dataDir } from '../config/data-dir.js';
import type { ReplayWindow } from '../engine/manual-clock.js';
import { Model, walkForwardSplit } from '../native.js';
import { fixed } from '../config/numbers.js';
import { errorMessage } from '../errors.js';
import { nonNegativeInt, positiveInt } from './options.js';
import { table } from './table.js';

interface Job {
  readonly path: string;
  /** The recording's parameters, read once in the main thread. */
  readonly params: MarketParams;
  readonly strategy: StrategyName;
  /** A quoting control switched on over the strategy (control-variants.ts), or none. */
  readonly control: ControlName | null;
  readonly model: string | null;
  readonly baseline: string | null;
  readonly intervalMs: number;
  readonly durationMs: number | null;
  /** The walk-forward test part of the recording (--test-part), or all of it. */
  readonly window: ReplayWindow | null;
}

type JobOutcome = { readonly ok: true; readonly result: EngineBacktestResult } | PoolFailure;

async function runJob(job: Job): Promise<JobOutcome> {
  try {
    const p = job.params;
    const { kind, skew } = strategyParts(job.strategy);
    const model = { none: null, baseline: job.baseline, model: job.model }[skew];
    if (skew !== 'none' && model === null) throw new Error(`${job.strategy} needs a ${skew} model file`);
    const variant = job.control === null ? { strategy: p.strategies[kind], risk: p.risk } : withControl(job.control, kind, p);
    if (variant === null) throw new Error(`${job.control ?? ''} does not apply to ${job.strategy}`);
    const result = await runEngineBacktest({
      recording: job.path, strategy: variant.strategy, risk: variant.risk, intervalMs: job.intervalMs, largeMoveBps: COMPARE_LARGE_MOVE_BPS,
      ...(job.durationMs === null ? {} : { durationMs: job.durationMs }),
      ...(model === null ? {} : { modelPath: model }),
      ...(job.window === null ? {} : { window: job.window }),
    });
    return { ok: true, result };
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
}

// In a worker of the pool (./backtest/worker-pool.ts): run the jobs sent, one at a time.
if (!isMainThread && parentPort !== null && (workerData as { compareWorker?: boolean } | null)?.compareWorker === true) {
  const port = parentPort;
  port.on('message', ({ id, job }: PoolJob<Job>) => {
    void runJob(job).then((outcome) => port.postMessage({ id, outcome } satisfies PoolReply<JobOutcome>));
  });
}

/** Runs the jobs, at most `workers` at a time (0: in this thread, one after the other). */
async function runAll(jobs: readonly Job[], workers: number): Promise<JobOutcome[]> {
  if (workers > 0) return runPool<Job, JobOutcome>(new URL(import.meta.url), jobs, workers, { workerData: { compareWorker: true } });
  const out: JobOutcome[] = [];
  for (const job of jobs) out.push(await runJob(job));
  return out;
}

export interface CompareRow {
  readonly strategy: StrategyName;
  /** The control this row has on (its row without it is the strategy's). */
  readonly control?: ControlName;
  readonly error?: string;
  readonly result?: EngineBacktestResult;
}

/** The span a recording's runs traded (--test-part: its walk-forward test part), the recording's clock. */
export interface CompareWindow {
  /** First and last test sample, exchange ns (decimal strings). */
  readonly fromNs: string;
  readonly untilNs: string;
  readonly samples: number;
}

export interface CompareReport {
  readonly intervalMs: number;
  readonly durationMs: number | null;
  readonly model: string | null;
  readonly baseline: string | null;
  /** Every run traded its recording's walk-forward test part only. */
  readonly testPart: boolean;
  readonly notes: readonly string[];
  readonly recordings: readonly {
    readonly file: string; readonly params: MarketParams; readonly window?: CompareWindow; readonly rows: readonly CompareRow[];
  }[];
}

const HEADER = [
  'strategy', 'net P&L', 'Sharpe (ann.)', 'max DD', 'fill rate', 'mean |inv|', 'max |inv|', 'captured (bps)', 'AS 1s (bps)', 'AS 10s (bps)', 'fills',
  'spread impr. (bps)', 'spread impr. (%)',
];

const percent = (x: number | null): string => (x === null ? '-' : `${fixed(100 * x, 1)}`);

/** The row's name: the strategy, and the control it has on. */
export function rowLabel(row: Pick<CompareRow, 'strategy' | 'control'>): string {
  return row.control === undefined ? row.strategy : `${row.strategy} + ${row.control}`;
}

function cells(row: CompareRow): string[] {
  const r = row.result;
  if (r === undefined) return [rowLabel(row), `error: ${row.error ?? 'unknown'}`];
  const s = r.stats;
  const as = (i: number): string => fixed(s.adverse_selection[i]?.adverse_bps, 2);
  return [
    rowLabel(row), r.money.net, fixed(s.resampled_returns.sharpe_annualised, 1), r.money.maxDrawdown, fixed(s.trading.quote_fill_rate, 3),
    fixed(s.inventory.mean_abs, 1), String(s.inventory.max_abs), fixed(s.spread_captured.mean_bps, 2), as(0), as(1), String(s.trading.fills),
    fixed(r.spread.improvementBps, 2), percent(r.spread.improvementRatio),
  ];
}

/** Exact sum of decimal strings. */
function addDecimals(xs: readonly string[]): string {
  const scale = Math.max(0, ...xs.map((x) => x.split('.')[1]?.length ?? 0));
  const units = (x: string): bigint => {
    const neg = x.startsWith('-');
    const [w = '0', f = ''] = x.replace('-', '').split('.');
    const v = BigInt(w + f.padEnd(scale, '0'));
    return neg ? -v : v;
  };
  const total = xs.reduce((a, x) => a + units(x), 0n);
  const abs = (total < 0n ? -total : total).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? abs : `${abs.slice(0, -scale)}.${abs.slice(-scale)}`;
  return total < 0n ? `-${text}` : text;
}

/** Per quote currency (coin-M P&L is on the core's linear convention: a contract counts as one coin). */
function totals(report: CompareReport): string[][] {
  const names = [...new Set(report.recordings.flatMap((r) => r.rows.map(rowLabel)))];
  const groups = [...new Set(report.recordings.map((r) => group(r.params.market)))];
  return groups.flatMap((g) => names.map((n) => {
    const rows = report.recordings.filter((r) => group(r.params.market) === g).flatMap((r) => r.rows.filter((x) => rowLabel(x) === n));
    const results = rows.flatMap((x) => (x.result === undefined ? [] : [x.result]));
    const wins = results.filter((x) => !x.money.net.startsWith('-') && /[1-9]/.test(x.money.net)).length;
    const fills = results.reduce((a, x) => a + x.stats.trading.fills, 0);
    return [n, g, addDecimals(results.map((x) => x.money.net)), `${wins}/${results.length}`, String(fills)];
  }));
}

const negate = (x: string): string => (x.startsWith('-') ? x.slice(1) : `-${x}`);

/** Fill-weighted mean adverse move (bps) at horizon `i` over runs. */
function adverseBps(results: readonly EngineBacktestResult[], i: number): number | null {
  let weight = 0;
  let sum = 0;
  for (const r of results) {
    const a = r.stats.adverse_selection[i];
    if (a?.adverse_bps == null || a.fills === 0) continue;
    weight += a.fills;
    sum += a.adverse_bps * a.fills;
  }
  return weight === 0 ? null : sum / weight;
}

/** Per control: its runs against the same runs without it (every recording and strategy it ran on). */
function effects(report: CompareReport): string[][] {
  const controls = [...new Set(report.recordings.flatMap((r) => r.rows.flatMap((x) => (x.control === undefined ? [] : [x.control]))))];
  return controls.map((control) => {
    const pairs = report.recordings.flatMap((rec) => rec.rows.flatMap((on) => {
      const off = rec.rows.find((x) => x.control === undefined && x.strategy === on.strategy);
      return on.control === control && on.result !== undefined && off?.result !== undefined ? [{ market: rec.params.market, on: on.result, off: off.result }] : [];
    }));
    const delta = (coinm: boolean): string => {
      const ps = pairs.filter((p) => (p.market === 'coinm') === coinm);
      return ps.length === 0 ? '-' : addDecimals(ps.flatMap((p) => [p.on.money.net, negate(p.off.money.net)]));
    };
    const better = pairs.filter((p) => Number(p.on.money.net) > Number(p.off.money.net)).length;
    const fills = (side: 'on' | 'off') => pairs.reduce((a, p) => a + p[side].stats.trading.fills, 0);
    const ratios = pairs.map((p) => p.on.stats.inventory.mean_abs / p.off.stats.inventory.mean_abs).filter(Number.isFinite).sort((a, b) => a - b);
    const median = ratios.length === 0 ? null : ((ratios[(ratios.length - 1) >> 1] ?? 0) + (ratios[ratios.length >> 1] ?? 0)) / 2;
    const as = (i: number) => `${fixed(adverseBps(pairs.map((p) => p.off), i), 2)} → ${fixed(adverseBps(pairs.map((p) => p.on), i), 2)}`;
    return [control, String(pairs.length), `${better}/${pairs.length}`, delta(false), delta(true), `${fills('off')} → ${fills('on')}`, fixed(median, 2), as(0), as(1)];
  });
}

const SKEW_LABEL: Readonly<Record<SkewSource, string>> = { none: 'none', baseline: 'baseline', model: 'model' };

interface SkewRun { readonly file: string; readonly market: string; readonly kind: string; readonly skew: SkewSource; readonly result: EngineBacktestResult }

const SKEW_ORDER: readonly SkewSource[] = ['none', 'baseline', 'model'];

/** AS and GLFT runs without a control, each with its skew source (the skew-source comparison): per recording, quoter, source. */
function skewRuns(report: CompareReport): SkewRun[] {
  return report.recordings.flatMap((rec) => rec.rows.flatMap((row) => {
    const { kind, skew } = strategyParts(row.strategy);
    if (row.control !== undefined || row.result === undefined || kind === 'fixed') return [];
    return [{ file: rec.file, market: rec.params.market, kind, skew, result: row.result }];
  }).sort((a, b) => a.kind.localeCompare(b.kind) || SKEW_ORDER.indexOf(a.skew) - SKEW_ORDER.indexOf(b.skew)));
}

const meanOf = (xs: readonly (number | null | undefined)[]): number | null => {
  const ok = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return ok.length === 0 ? null : ok.reduce((a, x) => a + x, 0) / ok.length;
};

/** Per recording: net P&L, AS 1 s, fills and spread improvement of each quoter with each skew source. */
function skewTable(runs: readonly SkewRun[]): string[][] {
  return runs.map((r) => [
    r.file, r.kind, SKEW_LABEL[r.skew], r.result.money.net, fixed(r.result.stats.adverse_selection[0]?.adverse_bps, 2),
    String(r.result.stats.trading.fills), fixed(r.result.spread.improvementBps, 2), percent(r.result.spread.improvementRatio),
  ]);
}

/** Means over the recordings (P&L per quote currency), per quoter and skew source. */
function skewMeans(runs: readonly SkewRun[]): string[][] {
  const keys = [...new Set(runs.map((r) => `${r.kind}|${r.skew}`))];
  return keys.map((key) => {
    const rs = runs.filter((r) => `${r.kind}|${r.skew}` === key);
    const [kind = '', skew = 'none'] = key.split('|') as [string, SkewSource];
    const pnl = (coinm: boolean): string => {
      const xs = rs.filter((r) => (r.market === 'coinm') === coinm).map((r) => r.result.money.net);
      return xs.length === 0 ? '-' : fixed(Number(addDecimals(xs)) / xs.length, 4);
    };
    const res = rs.map((r) => r.result);
    return [
      kind, SKEW_LABEL[skew], String(rs.length), pnl(false), pnl(true), fixed(meanOf(res.map((r) => r.stats.adverse_selection[0]?.adverse_bps)), 2),
      fixed(meanOf(res.map((r) => r.stats.trading.fills)), 1), fixed(meanOf(res.map((r) => r.spread.improvementBps)), 2),
      percent(meanOf(res.map((r) => r.spread.improvementRatio))),
    ];
  });
}

function group(market: string): string {
  return market === 'coinm' ? 'USD (coin-M)' : 'USDT';
}

/** The parameters of every market (markdown), in the units the config takes. */
function paramsTable(report: CompareReport): string {
  const n = (x: number): string => String(Number(x.toPrecision(3)));
  const rows = report.recordings.map((rec) => {
    const { file, params: p } = rec;
    const g = p.strategies.glft;
    const iv = g.intensity ?? {};
    return [
      file, `${p.sizeLots}`, `${p.risk.maxPositionLots}`, n(p.ticksPerBps), n(g.volatility?.priorSigma ?? 0), n(iv.priorK ?? 0),
      n(iv.bucketTicks ?? 0), n(iv.maxDistanceTicks ?? 0), n(g.glft?.gamma ?? 0), `${g.skew?.maxSkewTicks ?? 0}`, `${g.refresh?.priceTicks ?? 0}`,
      String(p.risk.maxNotional ?? ''), n(rec.rows.find((r) => r.result !== undefined)?.result?.sigmaTicks ?? Number.NaN),
    ];
  });
  const header = ['recording', 'size (lots)', 'limit (lots)', 'ticks/bps b', 'σ prior', 'k prior', 'bucket', 'max dist', 'γ (AS, GLFT)', 'max skew', 'refresh', 'notional/loss/DD limit', 'σ at end'];
  return table(header, rows, true);
}

export function formatReport(report: CompareReport, markdown: boolean): string {
  const parts: string[] = [];
  const h = markdown ? '### ' : '';
  if (markdown) parts.push(`${h}Parameters (ticks unless stated; decisions every ${report.intervalMs} ms)`, paramsTable(report));
  const effect = effects(report);
  if (effect.length > 0) {
    parts.push(`${h}Effect of each control (with it on against the same run with it off, over every recording and strategy it ran on)`);
    const header = ['control', 'runs', 'P&L better', 'Δ net P&L USDT', 'Δ net P&L USD (coin-M)', 'fills off → on', 'mean |inv| on ÷ off (median)', 'AS 1s off → on (bps)', 'AS 10s off → on (bps)'];
    parts.push(table(header, effect, markdown));
  }
  const runs = skewRuns(report);
  if (new Set(runs.map((r) => r.skew)).size > 1) {
    const where = report.testPart ? 'walk-forward test part of each recording' : 'whole recordings';
    parts.push(`${h}Skew sources (${where}): none / baseline (${report.baseline ?? '-'}) / model (${report.model ?? '-'})`);
    const header = ['recording', 'quoter', 'skew', 'net P&L', 'AS 1s (bps)', 'fills', 'spread impr. (bps)', 'spread impr. (%)'];
    parts.push(table(header, skewTable(runs), markdown));
    parts.push(`${h}Skew sources, mean over the recordings`);
    const means = [
      'quoter', 'skew', 'recordings', 'net P&L USDT (mean)', 'net P&L USD coin-M (mean)', 'AS 1s (bps)', 'fills', 'spread impr. (bps)', 'spread impr. (%)',
    ];
    parts.push(table(means, skewMeans(runs), markdown));
  }
  for (const rec of report.recordings) {
    const p = rec.params;
    const w = rec.window;
    const span = w === undefined ? '' : `, test part ${w.fromNs}–${w.untilNs} ns (${w.samples} samples)`;
    parts.push(`${h}${rec.file} — ${p.market} ${p.symbol}, order ${p.sizeLots} lots, position limit ${p.risk.maxPositionLots} lots${span}`);
    parts.push(table(HEADER, rec.rows.map(cells), markdown));
  }
  parts.push(`${h}Totals per quote currency`);
  parts.push(table(['strategy', 'currency', 'net P&L', 'P&L > 0', 'fills'], totals(report), markdown));
  for (const note of report.notes) parts.push(`note: ${note}`);
  return `${parts.join('\n\n')}\n`;
}

export interface CompareOptions {
  readonly model: string | null;
  /** The baseline model for the `+baseline` rows (models/logistic.onnx); null or missing: no such rows. */
  readonly baseline?: string | null;
  /** Trade each recording's walk-forward test part only (the core's split, windows of the model's seq). */
  readonly testPart?: boolean;
  /** The strategies to run (default: every one the model file allows). */
  readonly strategies?: readonly StrategyName[];
  /** Each strategy is run again with each of these controls on (default: none). */
  readonly controls?: readonly ControlName[];
  readonly intervalMs: number;
  /** Market time per recording, ms (null: all of it). */
  readonly durationMs: number | null;
  readonly workers: number;
}

/** The recording's walk-forward test part, as the core splits it for training (windows of `seq` rows). */
export function testPartOf(path: string, seq: number): ReplayWindow & { readonly samples: number } {
  const test = walkForwardSplit(path, seq).test;
  if (test == null) throw new Error(`${path}: the walk-forward split leaves no test part`);
  return { fromNs: test.firstNs, untilNs: test.lastNs, samples: test.samples };
}

export async function compare(recordings: readonly string[], o: CompareOptions): Promise<CompareReport> {
  const { model, intervalMs, durationMs, workers } = o;
  const baseline = o.baseline ?? null;
  const testPart = o.testPart === true;
  if (testPart && durationMs !== null) throw new Error('--test-part sets the span itself: no --duration-ms');
  const notes: string[] = [];
  const haveModel = model !== null && existsSync(model);
  const haveBaseline = baseline !== null && existsSync(baseline);
  if (!haveModel) notes.push(`no model file${model === null ? '' : ` at ${model}`}: the AS+skew and GLFT+skew rows are left out`);
  if (!haveBaseline) notes.push(`no baseline model file${baseline === null ? '' : ` at ${baseline}`}: the AS+baseline and GLFT+baseline rows are left out`);
  const has: Readonly<Record<SkewSource, boolean>> = { none: true, baseline: haveBaseline, model: haveModel };
  const names = (o.strategies ?? STRATEGIES).filter((s) => has[strategyParts(s).skew]);
  const controls = o.controls ?? [];
  const params = recordings.map(marketParams);
  // The card's split: windows of the model's length (both shipped models read one row).
  const seq = haveModel && model !== null ? Model.load(model).seq : 1;
  const windows = recordings.map((path) => (testPart ? testPartOf(path, seq) : null));
  const kindOf = (s: StrategyName) => strategyParts(s).kind;
  const jobs = recordings.flatMap((path, i) => {
    const p = params[i] as MarketParams;
    const w = windows[i] ?? null;
    const window = w === null ? null : { fromNs: w.fromNs, untilNs: w.untilNs };
    const job = (strategy: StrategyName, control: ControlName | null): Job => ({
      path, params: p, strategy, control, model: haveModel ? model : null, baseline: haveBaseline ? baseline : null, intervalMs, durationMs, window,
    });
    return names.flatMap((s) => [job(s, null), ...controls.filter((c) => withControl(c, kindOf(s), p) !== null).map((c) => job(s, c))]);
  });
  for (const c of controls) {
    const skipped = names.filter((s) => params.every((p) => withControl(c, kindOf(s), p) === null));
    if (skipped.length > 0) notes.push(`${c} does not apply to ${skipped.join(', ')}: no row`);
  }
  const outcomes = await runAll(jobs, workers);
  const rowOf = (job: Job, outcome: JobOutcome): CompareRow => {
    const base = { strategy: job.strategy, ...(job.control === null ? {} : { control: job.control }) };
    return outcome.ok ? { ...base, result: outcome.result } : { ...base, error: outcome.error };
  };
  return {
    intervalMs, durationMs, model: haveModel ? model : null, baseline: haveBaseline ? baseline : null, testPart, notes,
    recordings: recordings.map((path, i) => ({
      file: basename(path), params: params[i] as MarketParams,
      ...(windows[i] == null ? {} : { window: windowText(windows[i]) }),
      rows: jobs.flatMap((job, j) => (job.path === path ? [rowOf(job, outcomes[j] as JobOutcome)] : [])),
    })),
  };
}

function windowText(w: ReplayWindow & { readonly samples: number }): CompareWindow {
  return { fromNs: String(w.fromNs), untilNs: String(w.untilNs), samples: w.samples };
}

interface CompareCliOptions {
  model: string; baseline: string; testPart?: boolean; json?: boolean; out?: string; intervalMs: number; durationMs?: number; workers: number; controls?: string; strategies?: string;
}

function parseStrategies(list: string): StrategyName[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = names.filter((n) => !(STRATEGIES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown strategy ${unknown.join(', ')} (one of: ${STRATEGIES.join(', ')})`);
  return names as StrategyName[];
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('backtest the engine with fixed, AS, GLFT (and AS/GLFT skewed by the baseline model and by the model) on recordings or their walk-forward test parts, optionally each with quoting controls on and off; one table per recording')
    .argument('[recordings...]', 'recordings (default: every *.gz in $FLASHMM_DATA_DIR/binance)')
    .option('--model <path>', 'ONNX model for the skew rows (left out when the file does not exist)', 'models/default.onnx')
    .option('--baseline <path>', 'ONNX baseline model for the +baseline skew rows (left out when the file does not exist)', 'models/logistic.onnx')
    .option('--test-part', "trade each recording's walk-forward test part only (the model card's split)")
    .option('--json', 'print the report as JSON (the core statistics of every run)')
    .option('--out <file>', 'also write the tables as markdown to this file')
    .option('--interval-ms <n>', 'decision interval, ms', positiveInt, 100)
    .option('--duration-ms <n>', 'market time per recording, ms (default: all of it)', positiveInt)
    .option('--workers <n>', 'worker threads (0: run in this thread)', nonNegativeInt, Math.min(2, availableParallelism()))
    .option('--strategies <list>', `comma-separated strategies to run (default: all of ${STRATEGIES.join(', ')})`)
    .option('--controls <list>', 'also run each strategy with each of these quoting controls on (comma-separated, or all; docs/controls.md)')
    .action(async (files: string[], opts: CompareCliOptions) => {
      const dir = join(dataDir(), 'binance');
      const paths = files.length > 0 ? files : readdirSync(dir).filter((f) => f.endsWith('.gz')).sort().map((f) => join(dir, f));
      const report = await compare(paths, {
        model: opts.model, baseline: opts.baseline, testPart: opts.testPart === true,
        intervalMs: opts.intervalMs, durationMs: opts.durationMs ?? null, workers: opts.workers,
        ...(opts.strategies === undefined ? {} : { strategies: parseStrategies(opts.strategies) }),
        ...(opts.controls === undefined ? {} : { controls: parseControls(opts.controls) }),
      });
      if (opts.out !== undefined) writeSection(opts.out, formatReport(report, true), report.testPart);
      process.stdout.write(opts.json === true ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : formatReport(report, false));
    });
}

/** Writes the generated tables between the markers of `file` (the prose around them stays), or the whole file. */
function writeSection(file: string, body: string, testPart: boolean): void {
  const name = testPart ? 'flashmm compare --test-part' : 'flashmm compare';
  const [BEGIN, END] = [`<!-- ${name}: begin (generated) -->`, `<!-- ${name}: end -->`];
  const section = `${BEGIN}\n\n${body}\n${END}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const [a, b] = [text.indexOf(BEGIN), text.indexOf(END)];
  writeFileSync(file, a >= 0 && b > a ? `${text.slice(0, a)}${section}${text.slice(b + END.length)}` : `${section}\n`);
}

/** Drops the raw stats string from the JSON (the parsed stats are there). */
function jsonReplacer(key: string, value: unknown): unknown {
  return key === 'statsJson' ? undefined : value;
}
