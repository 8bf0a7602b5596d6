// The HTML report of one backtest (`flashmm backtest <recording> --report out.html`): one
// self-contained file (uPlot's JS and CSS and the data inlined; nothing fetched when opened)
// with the mid and our quotes with fill markers, inventory, net P&L (equity) and drawdown
// charts, and a summary table. `buildReport` is a pure function of the core's result JSON
// with records and a formatter (the market spec); `loadUplotAssets` reads uPlot from
// node_modules. See docs/backtest.md ("HTML report").
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BacktestResultJson, FillRecord, StepRecord } from '../native.js';

/** What the report needs of the market spec (`MarketSpec` from the core satisfies it). */
export interface ReportSpec {
  readonly symbol: string;
  readonly tickSize: string;
  readonly lotSize: string;
  formatMoney(money: string): string;
  lotsToSize(sizeLots: number): string;
}

/** The core's `to_json_with_records()` (docs/statistics.md): the generated type, records present. */
export type ResultWithRecords = BacktestResultJson & { readonly steps: readonly StepRecord[]; readonly fills: readonly FillRecord[] };

export interface UplotAssets {
  js: string;
  css: string;
}

/** uPlot's browser build and stylesheet, read from node_modules (the `uplot` dependency). */
export function loadUplotAssets(): UplotAssets {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('uplot').replace(/[^/\\]+$/, ''); // .../uplot/dist/
  return {
    js: readFileSync(`${dir}uPlot.iife.min.js`, 'utf8'),
    css: readFileSync(`${dir}uPlot.min.css`, 'utf8'),
  };
}

export interface ReportOptions {
  /** Shown in the title (the recording's path). */
  source: string;
  uplot: UplotAssets;
  /** Steps above this are downsampled for the charts (default 20 000); see `downsample`. */
  maxPoints?: number;
  /** Fill markers above this are thinned to every k-th fill (default 20 000). */
  maxFills?: number;
  /** The page's title (default "<symbol> backtest"). */
  title?: string;
  /** Shown under the title, e.g. a PNG card (trusted HTML: the caller escapes what it embeds). */
  headerHtml?: string;
  /** Tables after the summary and config, e.g. a performance report's extra figures. */
  sections?: readonly ReportSection[];
}

/** One more table of the report: rows of (id, label, value), or a paragraph of text. */
export interface ReportSection {
  id: string;
  title: string;
  rows?: readonly (readonly [string, string, string])[];
  text?: string;
}

function sectionHtml(s: ReportSection): string {
  const rows = (s.rows ?? []).map(([id, label, value]) => `<tr><th>${esc(label)}</th><td id="${esc(id)}">${esc(value)}</td></tr>`);
  const table = rows.length === 0 ? '' : `\n<table id="${esc(s.id)}">\n${rows.join('\n')}\n</table>`;
  const text = s.text === undefined ? '' : `\n<p id="${esc(s.id)}-text">${esc(s.text)}</p>`;
  return `<div><h2>${esc(s.title)}</h2>${table}${text}</div>`;
}

/** Chart data as embedded in the report (times in seconds of exchange time since the epoch). */
export interface ReportData {
  steps: number;
  shown_steps: number;
  t: number[];
  mid: number[];
  quote_bid: (number | null)[];
  quote_ask: (number | null)[];
  inventory: number[];
  equity: number[];
  drawdown: number[];
  fills: { count: number; shown: number; t: number[]; price: number[]; side: number[]; lots: number[] };
}

function decimals(s: string): number {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

/** ns string → seconds (µs precision, exact decimal of a float). */
function seconds(ns: string): number {
  return Number(BigInt(ns) / 1000n) / 1e6;
}

/**
 * Indices of the steps kept for the charts: all when `n ≤ max`, else per bucket of
 * `ceil(4n / max)` consecutive steps the first, the last and those of the lowest and highest
 * equity (so the equity extremes and the deepest drawdown stay visible). At most ~`max` points.
 */
export function downsample(equity: readonly bigint[], max: number): number[] {
  const n = equity.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const bucket = Math.ceil((4 * n) / Math.max(4, max));
  const out: number[] = [];
  for (let start = 0; start < n; start += bucket) {
    const end = Math.min(n, start + bucket);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (equity[i]! < equity[lo]!) lo = i;
      if (equity[i]! > equity[hi]!) hi = i;
    }
    for (const i of [...new Set([start, lo, hi, end - 1])].sort((a, b) => a - b)) out.push(i);
  }
  return out;
}

/** Net equity per step, exact money: E = cash + position × mid (one half-tick·lot is 500 000). */
export function equityCurve(steps: readonly StepRecord[]): bigint[] {
  return steps.map((s) => BigInt(s.cash) + BigInt(s.position) * BigInt(s.bid + s.ask) * 500_000n);
}

/** The chart series from the records (exact money until the final conversion). */
function reportData(r: ResultWithRecords, spec: ReportSpec, maxPoints = 20_000, maxFills = 20_000): ReportData {
  const tick = Number(spec.tickSize);
  const d = decimals(spec.tickSize);
  const price = (ticks: number): number => Number((ticks * tick).toFixed(d));
  const midPrice = (bid: number, ask: number): number => Number((((bid + ask) * tick) / 2).toFixed(d + 1));
  const money = (m: bigint): number => Number(spec.formatMoney(m.toString()));
  const equity = equityCurve(r.steps);
  // P = max(0, E₀ … Eᵢ).
  const drawdown: bigint[] = [];
  let peak = 0n;
  for (const e of equity) {
    if (e > peak) peak = e;
    drawdown.push(peak - e);
  }
  const keep = downsample(equity, maxPoints);
  const stride = Math.max(1, Math.ceil(r.fills.length / Math.max(1, maxFills)));
  const fills = r.fills.filter((_, i) => i % stride === 0);
  return {
    steps: r.steps.length,
    shown_steps: keep.length,
    t: keep.map((i) => seconds(r.steps[i]!.ts)),
    mid: keep.map((i) => midPrice(r.steps[i]!.bid, r.steps[i]!.ask)),
    quote_bid: keep.map((i) => (r.steps[i]!.quote_bid === null ? null : price(r.steps[i]!.quote_bid!))),
    quote_ask: keep.map((i) => (r.steps[i]!.quote_ask === null ? null : price(r.steps[i]!.quote_ask!))),
    inventory: keep.map((i) => r.steps[i]!.position),
    equity: keep.map((i) => money(equity[i]!)),
    drawdown: keep.map((i) => -money(drawdown[i]!)),
    fills: {
      count: r.fills.length,
      shown: fills.length,
      t: fills.map((f) => seconds(f.ts)),
      price: fills.map((f) => price(f.price)),
      side: fills.map((f) => (f.side === 'buy' ? 1 : -1)),
      lots: fills.map((f) => f.lots),
    },
  };
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function num(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** JSON safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

const CLIENT = `
const D = JSON.parse(document.getElementById('flashmm-data').textContent);
const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
const width = () => Math.max(400, Math.min(1400, document.body.clientWidth - 32));
const stepped = uPlot.paths.stepped({ align: 1 });
function chart(id, title, yLabel, series, data, extra) {
  const opts = Object.assign({
    title, width: width(), height: 260, tzDate,
    cursor: { sync: { key: 'flashmm' } },
    scales: { x: { time: true } },
    axes: [{}, { label: yLabel, size: 70 }],
    series: [{ label: 'time (UTC, exchange)' }].concat(series),
  }, extra || {});
  return new uPlot(opts, [D.t].concat(data), document.getElementById(id));
}
function fillMarkers(u) {
  const F = D.fills, ctx = u.ctx, r = 4 * devicePixelRatio;
  const lo = u.scales.x.min, hi = u.scales.x.max;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  for (let i = 0; i < F.t.length; i++) {
    if (F.t[i] < lo || F.t[i] > hi) continue;
    const x = u.valToPos(F.t[i], 'x', true), y = u.valToPos(F.price[i], 'y', true);
    ctx.fillStyle = F.side[i] > 0 ? '#1a9850' : '#d73027';
    ctx.beginPath();
    if (F.side[i] > 0) { ctx.moveTo(x, y - r); ctx.lineTo(x - r, y + r); ctx.lineTo(x + r, y + r); }
    else { ctx.moveTo(x, y + r); ctx.lineTo(x - r, y - r); ctx.lineTo(x + r, y - r); }
    ctx.fill();
  }
  ctx.restore();
}
const charts = [
  chart('chart-price', 'Mid, our quotes and fills (▲ buy, ▼ sell)', 'price', [
    { label: 'mid', stroke: '#555', width: 1 },
    { label: 'our bid', stroke: '#1a9850', width: 1, paths: stepped, points: { show: false } },
    { label: 'our ask', stroke: '#d73027', width: 1, paths: stepped, points: { show: false } },
  ], [D.mid, D.quote_bid, D.quote_ask], { hooks: { draw: [fillMarkers] } }),
  chart('chart-inventory', 'Inventory', 'lots', [
    { label: 'position (lots)', stroke: '#3366cc', width: 1, paths: stepped, fill: 'rgba(51,102,204,0.12)' },
  ], [D.inventory]),
  chart('chart-equity', 'Net P&L (equity at the mid, net of fees)', 'quote', [
    { label: 'net P&L', stroke: '#222', width: 1 },
  ], [D.equity]),
  chart('chart-drawdown', 'Drawdown (from the running peak of net P&L)', 'quote', [
    { label: 'drawdown', stroke: '#b2182b', width: 1, fill: 'rgba(178,24,43,0.15)' },
  ], [D.drawdown]),
];
window.addEventListener('resize', () => { for (const c of charts) c.setSize({ width: width(), height: 260 }); });
`;

/** The whole report: a self-contained HTML document (deterministic for the same inputs). */
export function buildReport(r: ResultWithRecords, spec: ReportSpec, opts: ReportOptions): string {
  const data = reportData(r, spec, opts.maxPoints, opts.maxFills);
  const s = r.stats;
  const money = (m: string): string => spec.formatMoney(m);
  const t = s.trading;
  const rows: [string, string, string][] = [
    ['pnl-net', 'P&L net', money(s.pnl.net)],
    ['pnl-realised', 'P&L realised', money(s.pnl.realised)],
    ['pnl-unrealised', 'P&L unrealised', money(s.pnl.unrealised)],
    ['pnl-fees', 'fees (negative = rebates)', money(s.pnl.fees)],
    ['sharpe-annualised', `Sharpe annualised (per ${s.step_returns.period_s} s step)`, num(s.step_returns.sharpe_annualised, 2)],
    ['sortino-annualised', `Sortino annualised (per ${s.step_returns.period_s} s step)`, num(s.step_returns.sortino_annualised, 2)],
    ['sharpe-resampled', `Sharpe annualised (per ${s.resampled_returns.period_s} s, ${s.resampled_returns.periods} periods)`, num(s.resampled_returns.sharpe_annualised, 2)],
    ['sortino-resampled', `Sortino annualised (per ${s.resampled_returns.period_s} s)`, num(s.resampled_returns.sortino_annualised, 2)],
    ['max-drawdown', 'max drawdown', money(s.drawdown.max_abs)],
    ['return-over-drawdown', 'net / max drawdown', num(s.drawdown.return_over_max_drawdown, 3)],
    ['fills', 'fills', String(t.fills)],
    ['fills-split', 'maker / taker fills', `${t.maker_fills} / ${t.taker_fills}`],
    ['bought-sold', 'bought / sold lots', `${t.bought_lots} / ${t.sold_lots}`],
    ['volume', 'volume', `${t.volume_lots} lots (${spec.lotsToSize(t.volume_lots)})`],
    ['volume-notional', 'volume notional', money(t.volume_notional)],
    ['quote-fill-rate', 'quote fill rate (filled sides / quoted sides)', num(t.quote_fill_rate, 4)],
    ['orders', 'orders placed / amended / cancelled / rejected', `${r.counts.orders.placed} / ${r.counts.orders.amended} / ${r.counts.orders.cancelled} / ${r.counts.rejected}`],
    ['inventory-max', 'max |inventory|', `${s.inventory.max_abs} lots`],
    ['inventory-mean', 'mean |inventory| (per step / time-weighted)', `${num(s.inventory.mean_abs, 2)} / ${num(s.inventory.time_weighted_abs, 2)} lots`],
    ['inventory-last', 'final inventory', `${s.inventory.last} lots`],
    ['spread-captured', 'spread captured', `${money(s.spread_captured.total)} (${num(s.spread_captured.mean_ticks, 3)} ticks, ${num(s.spread_captured.mean_bps, 3)} bp per lot)`],
    ...s.adverse_selection.map((a): [string, string, string] => {
      const h = Number(BigInt(a.horizon_ns) / 1_000_000n) / 1000;
      return [`adverse-${h}s`, `adverse selection ${h} s`, `${money(a.adverse_total)} (${num(a.adverse_ticks, 2)} ticks, ${num(a.adverse_bps, 3)} bp per lot; ${a.fills} fills)`];
    }),
  ];
  const config = Object.entries(r.config).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v === null ? '-' : String(v))}</td></tr>`);
  const sampling =
    data.shown_steps < data.steps || data.fills.shown < data.fills.count
      ? `<p class="note">Charts downsampled: ${data.shown_steps} of ${data.steps} steps (per bucket the first, last, lowest and highest equity), ${data.fills.shown} of ${data.fills.count} fill markers. The table is computed on every step.</p>`
      : '';
  const title = opts.title ?? `${spec.symbol} backtest`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="flashmm">
<title>${esc(title)}</title>
<style>${opts.uplot.css}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 20px 0 6px; }
table { border-collapse: collapse; margin-bottom: 8px; }
th, td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid #eee; font-weight: normal; }
th { color: #555; }
td { font-variant-numeric: tabular-nums; }
.note { color: #666; }
.grid { display: flex; flex-wrap: wrap; gap: 32px; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>${esc(opts.source)}: ${num(s.span.duration_s, 1)} s of exchange time, ${r.counts.events} events, ${s.span.steps} steps, ${t.fills} fills. Money in the quote currency.</p>
${opts.headerHtml === undefined ? '' : `${opts.headerHtml}\n`}<div class="grid">
<div><h2>Summary</h2>
<table id="summary">
${rows.map(([id, label, value]) => `<tr><th>${esc(label)}</th><td id="${id}">${esc(value)}</td></tr>`).join('\n')}
</table></div>
<div><h2>Config</h2>
<table id="config">
${config.join('\n')}
</table></div>
${(opts.sections ?? []).map((x) => `${sectionHtml(x)}\n`).join('')}</div>
${sampling}
<div id="chart-price"></div>
<div id="chart-inventory"></div>
<div id="chart-equity"></div>
<div id="chart-drawdown"></div>
<script type="application/json" id="flashmm-data">${scriptJson(data)}</script>
<script>${opts.uplot.js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}
