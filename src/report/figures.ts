// The figures of a performance report, computed once from its data and shown by every output:
// the HTML page, the PNG card, the one-line summary of an X post. Money is the core's exact
// integer string formatted by the market spec (never through a float); counts are the
// statistics' own. Only the spread and prediction figures are derived here (./spread.ts,
// ./predictions.ts): the core's statistics do not hold them.
import { equityCurve } from '../backtest/report.js';
import type { PerformanceData } from './source.js';
import { spreadImprovement, type SpreadImprovement } from './spread.js';
import type { PredictionScores } from './predictions.js';

/**
 * What a published summary (an X post and its card) may show. Positions, inventory, orders
 * and anything secret are deliberately not in this vocabulary.
 */
export const SUMMARY_FIELDS = ['pnl', 'fills', 'volume', 'spreadImprovement', 'predictionAccuracy'] as const;
export type SummaryField = (typeof SUMMARY_FIELDS)[number];

export interface ReportFigures {
  readonly kind: PerformanceData['kind'];
  readonly label: string;
  readonly symbol: string;
  readonly period: { readonly from: Date; readonly to: Date; readonly durationS: number };
  /** Quote currency, exact decimals. */
  readonly pnl: { readonly net: string; readonly realised: string; readonly unrealised: string; readonly fees: string; readonly maxDrawdown: string };
  readonly fills: { readonly total: number; readonly maker: number; readonly taker: number; readonly boughtLots: number; readonly soldLots: number };
  readonly volume: { readonly lots: number; readonly size: string; readonly notional: string };
  readonly spread: SpreadImprovement;
  readonly inventory: { readonly last: number; readonly maxAbs: number; readonly timeWeightedAbs: number | null };
  readonly predictions: PredictionScores | null;
  /** Net equity (P&L so far) at each step, exact money units: the card's line. */
  readonly equity: readonly bigint[];
}

const nsToDate = (ns: string): Date => new Date(Number(BigInt(ns) / 1_000_000n));

export function reportFigures(data: PerformanceData): ReportFigures {
  const { spec, result } = data;
  const s = result.stats;
  const money = (m: string): string => spec.formatMoney(m);
  const t = s.trading;
  return {
    kind: data.kind,
    label: data.label,
    symbol: spec.symbol,
    period: { from: nsToDate(s.span.first_ts), to: nsToDate(s.span.last_ts), durationS: s.span.duration_s },
    pnl: { net: money(s.pnl.net), realised: money(s.pnl.realised), unrealised: money(s.pnl.unrealised), fees: money(s.pnl.fees), maxDrawdown: money(s.drawdown.max_abs) },
    fills: { total: t.fills, maker: t.maker_fills, taker: t.taker_fills, boughtLots: t.bought_lots, soldLots: t.sold_lots },
    volume: { lots: t.volume_lots, size: spec.lotsToSize(t.volume_lots), notional: money(t.volume_notional) },
    spread: spreadImprovement(result.steps),
    inventory: { last: s.inventory.last, maxAbs: s.inventory.max_abs, timeWeightedAbs: s.inventory.time_weighted_abs },
    predictions: data.predictions,
    equity: equityCurve(result.steps),
  };
}

const fixed = (x: number | null, digits: number): string => (x === null ? '-' : x.toFixed(digits));
/** With its sign; a value that rounds to zero has none ("0.00", never "-0.00"). */
const signed = (x: number | null, digits: number): string => {
  if (x === null) return '-';
  const text = x.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : x > 0 ? `+${text}` : text;
};
/** Two decimals, or two significant digits below 1 bp (one tick of BTC is ~0.02 bp). */
const bpDigits = (x: number | null): number => (x === null || x === 0 || Math.abs(x) >= 1 ? 2 : Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(x))))));
const percent = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

/** "2024-08-08 23:54–00:00 UTC" */
export function periodText(p: ReportFigures['period']): string {
  const d = (x: Date): string => x.toISOString().slice(0, 10);
  const hm = (x: Date): string => x.toISOString().slice(11, 16);
  return d(p.from) === d(p.to) ? `${d(p.from)} ${hm(p.from)}–${hm(p.to)} UTC` : `${d(p.from)} ${hm(p.from)} – ${d(p.to)} ${hm(p.to)} UTC`;
}

/** The shortest horizon's score (the one the quote loop acts on), if any. */
export function headlineScore(f: ReportFigures): PredictionScores['horizons'][number] | undefined {
  return f.predictions?.horizons[0];
}

/** One field as a short label and value, for the card and the summary line. */
export function fieldText(f: ReportFigures, field: SummaryField): { label: string; value: string; detail: string } {
  switch (field) {
    case 'pnl':
      return { label: 'net P&L', value: f.pnl.net, detail: `fees ${f.pnl.fees}` };
    case 'fills':
      return { label: 'fills', value: String(f.fills.total), detail: `${f.fills.maker} maker / ${f.fills.taker} taker` };
    case 'volume':
      return { label: 'volume', value: f.volume.size, detail: `notional ${f.volume.notional}` };
    case 'spreadImprovement':
      return {
        label: 'spread vs market',
        value: `${signed(f.spread.improvementBps, bpDigits(f.spread.improvementBps))} bp`,
        detail: `${percent(f.spread.improvementRatio)} of the market spread; both sides quoted ${percent(f.spread.quotedShare)} of steps`,
      };
    case 'predictionAccuracy': {
      const h = headlineScore(f);
      return h === undefined
        ? { label: 'forecast accuracy', value: '-', detail: 'no model forecasts' }
        : { label: `accuracy ${h.horizonMs} ms`, value: percent(h.accuracy), detail: `direction given a move ${percent(h.directionGivenMove)} (${h.moves} moves)` };
    }
  }
}

/** At most 280 characters (an X post), only the given fields. */
export function summaryLine(f: ReportFigures, fields: readonly SummaryField[]): string {
  const head = `FlashMM ${f.symbol} ${periodText(f.period)}${f.kind === 'backtest' ? ' (backtest)' : ''}:`;
  const parts = fields.map((field) => {
    const { label, value } = fieldText(f, field);
    return `${label} ${value}`;
  });
  const line = `${head} ${parts.join(' · ')}`;
  if (line.length > 280) throw new Error(`summary is ${line.length} characters, more than a post's 280: configure fewer summary fields`);
  return line;
}

export { fixed, percent, signed };
