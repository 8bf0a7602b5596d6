// `flashmm compare [recordings...]`: the production engine (src/backtest/engine-backtest.ts)
// backtested with each quoting model — fixed spread, Avellaneda–Stoikov, GLFT, and AS/GLFT
// with the model's forecast skew when a model file exists — over Binance recordings, with the
// same order size and risk limits per market for every model. The statistics are the core's.
// Runs go to a pool of worker threads (../backtest/worker-pool.ts; this module is its own
// worker entry); results keep job order.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Command } from 'commander';
import { type MarketParams, marketParams, STRATEGIES, type StrategyName, COMPARE_LARGE_MOVE_BPS } from '../backtest/calibration.js';
import { type EngineBacktestResult, runEngineBacktest } from '../backtest/engine-backtest.js';
import { type PoolFailure, type PoolJob, type PoolReply, runPool } from '../backtest/worker-pool.js';
import { dataDir } from '../config/data-dir.js';
import { fixed } from '../config/numbers.js';
import { errorMessage } from '../errors.js';
import { nonNegativeInt, positiveInt } from './options.js';
import { table } from './table.js';

interface Job {
  readonly path: string;
  /** The recording's parameters, read once in the main thread. */
  readonly params: MarketParams;
  readonly strategy: StrategyName;
  readonly model: string | null;
  readonly intervalMs: number;
  readonly durationMs: number | null;
}

type JobOutcome = { readonly ok: true; readonly result: EngineBacktestResult } | PoolFailure;

async function runJob(job: Job): Promise<JobOutcome> {
  try {
    const p = job.params;
    const skew = job.strategy.endsWith('+skew');
    const kind = job.strategy.replace('+skew', '') as 'fixed' | 'as' | 'glft';
    const model = job.model;
    const result = await runEngineBacktest({
      recording: job.path, strategy: p.strategies[kind], risk: p.risk, intervalMs: job.intervalMs, largeMoveBps: COMPARE_LARGE_MOVE_BPS,
      ...(job.durationMs === null ? {} : { durationMs: job.durationMs }),
      ...(skew && model !== null ? { modelPath: model } : {}),
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
  readonly error?: string;
  readonly result?: EngineBacktestResult;
}

export interface CompareReport {
  readonly intervalMs: number;
  readonly durationMs: number | null;
  readonly model: string | null;
  readonly notes: readonly string[];
  readonly recordings: readonly { readonly file: string; readonly params: MarketParams; readonly rows: readonly CompareRow[] }[];
}

const HEADER = [
  'strategy', 'net P&L', 'Sharpe (ann.)', 'max DD', 'fill rate', 'mean |inv|', 'max |inv|', 'captured (bps)', 'AS 1s (bps)', 'AS 10s (bps)', 'fills',
];

function cells(row: CompareRow): string[] {
  const r = row.result;
  if (r === undefined) return [row.strategy, `error: ${row.error ?? 'unknown'}`];
  const s = r.stats;
  const as = (i: number): string => fixed(s.adverse_selection[i]?.adverse_bps, 2);
  return [
    row.strategy, r.money.net, fixed(s.resampled_returns.sharpe_annualised, 1), r.money.maxDrawdown, fixed(s.trading.quote_fill_rate, 3),
    fixed(s.inventory.mean_abs, 1), String(s.inventory.max_abs), fixed(s.spread_captured.mean_bps, 2), as(0), as(1), String(s.trading.fills),
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
  const names = STRATEGIES.filter((n) => report.recordings.some((r) => r.rows.some((x) => x.strategy === n)));
  const groups = [...new Set(report.recordings.map((r) => group(r.params.market)))];
  return groups.flatMap((g) => names.map((n) => {
    const rows = report.recordings.filter((r) => group(r.params.market) === g).flatMap((r) => r.rows.filter((x) => x.strategy === n));
    const results = rows.flatMap((x) => (x.result === undefined ? [] : [x.result]));
    const wins = results.filter((x) => !x.money.net.startsWith('-') && /[1-9]/.test(x.money.net)).length;
    const fills = results.reduce((a, x) => a + x.stats.trading.fills, 0);
    return [n, g, addDecimals(results.map((x) => x.money.net)), `${wins}/${results.length}`, String(fills)];
  }));
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
  for (const rec of report.recordings) {
    const p = rec.params;
    parts.push(`${h}${rec.file} — ${p.market} ${p.symbol}, order ${p.sizeLots} lots, position limit ${p.risk.maxPositionLots} lots`);
    parts.push(table(HEADER, rec.rows.map(cells), markdown));
  }
  parts.push(`${h}Totals per quote currency`);
  parts.push(table(['strategy', 'currency', 'net P&L', 'P&L > 0', 'fills'], totals(report), markdown));
  for (const note of report.notes) parts.push(`note: ${note}`);
  return `${parts.join('\n\n')}\n`;
}

export interface CompareOptions {
  readonly model: string | null;
  readonly intervalMs: number;
  /** Market time per recording, ms (null: all of it). */
  readonly durationMs: number | null;
  readonly workers: number;
}

export async function compare(recordings: readonly string[], o: CompareOptions): Promise<CompareReport> {
  const { model, intervalMs, durationMs, workers } = o;
  const notes: string[] = [];
  const haveModel = model !== null && existsSync(model);
  if (!haveModel) notes.push(`no model file${model === null ? '' : ` at ${model}`}: the AS+skew and GLFT+skew rows are left out`);
  const names = STRATEGIES.filter((s) => haveModel || !s.endsWith('+skew'));
  const params = recordings.map(marketParams);
  const jobs = recordings.flatMap((path, i) =>
    names.map((strategy) => ({ path, params: params[i] as MarketParams, strategy, model: haveModel ? model : null, intervalMs, durationMs })),
  );
  const outcomes = await runAll(jobs, workers);
  return {
    intervalMs, durationMs, model: haveModel ? model : null, notes,
    recordings: recordings.map((path, i) => ({
      file: basename(path), params: params[i] as MarketParams,
      rows: names.map((strategy, j) => {
        const o = outcomes[i * names.length + j] as JobOutcome;
        return o.ok ? { strategy, result: o.result } : { strategy, error: o.error };
      }),
    })),
  };
}

interface CompareCliOptions { model: string; json?: boolean; out?: string; intervalMs: number; durationMs?: number; workers: number }

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('backtest the engine with fixed, AS, GLFT (and AS/GLFT with the model skew) on recordings; one table per recording')
    .argument('[recordings...]', 'recordings (default: every *.gz in $FLASHMM_DATA_DIR/binance)')
    .option('--model <path>', 'ONNX model for the skew rows (left out when the file does not exist)', 'models/default.onnx')
    .option('--json', 'print the report as JSON (the core statistics of every run)')
    .option('--out <file>', 'also write the tables as markdown to this file')
    .option('--interval-ms <n>', 'decision interval, ms', positiveInt, 100)
    .option('--duration-ms <n>', 'market time per recording, ms (default: all of it)', positiveInt)
    .option('--workers <n>', 'worker threads (0: run in this thread)', nonNegativeInt, Math.min(2, availableParallelism()))
    .action(async (files: string[], opts: CompareCliOptions) => {
      const dir = join(dataDir(), 'binance');
      const paths = files.length > 0 ? files : readdirSync(dir).filter((f) => f.endsWith('.gz')).sort().map((f) => join(dir, f));
      const report = await compare(paths, { model: opts.model, intervalMs: opts.intervalMs, durationMs: opts.durationMs ?? null, workers: opts.workers });
      if (opts.out !== undefined) writeSection(opts.out, formatReport(report, true));
      process.stdout.write(opts.json === true ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : formatReport(report, false));
    });
}

const BEGIN = '<!-- flashmm compare: begin (generated) -->';
const END = '<!-- flashmm compare: end -->';

/** Writes the generated tables between the markers of `file` (the prose around them stays), or the whole file. */
function writeSection(file: string, body: string): void {
  const section = `${BEGIN}\n\n${body}\n${END}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const [a, b] = [text.indexOf(BEGIN), text.indexOf(END)];
  writeFileSync(file, a >= 0 && b > a ? `${text.slice(0, a)}${section}${text.slice(b + END.length)}` : `${section}\n`);
}

/** Drops the raw stats string from the JSON (the parsed stats are there). */
function jsonReplacer(key: string, value: unknown): unknown {
  return key === 'statsJson' ? undefined : value;
}
