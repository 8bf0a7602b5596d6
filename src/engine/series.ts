// The engine's time series (docs/storage.md, "Time series"), fed after each decision, off the
// decision's own timing: one `trading_metrics` point per market, the decision's latency, and
// the model's forecast with, once its horizon has passed, the realised direction and the
// rolling accuracy. A forecast made at t is scored against the mid in force at t + h: the mid
// of the last decision at or before t + h (the report's rule, src/report/predictions.ts); the
// outcome is the sign of the mid's change, and a forecast is right when its most probable class
// (down, flat, up) was the outcome.
import type { PositionTracker } from '../execution/position.js';
import type { Direction, TimeSeriesWriter } from '../storage/timeseries.js';
import type { DecisionRecord, MarketLoop } from './market-loop.js';
import { moneyToQuote } from './observe.js';

/** Forecasts scored per horizon for the rolling accuracy. */
export const ACCURACY_WINDOW = 100;

interface Pending {
  readonly atMs: number;
  readonly mid2: number;
  readonly probs: readonly [number, number, number];
}

interface MarketSeries {
  readonly pending: Pending[];
  readonly scores: boolean[];
  /** The previous decision's time and mid (the mid in force until this one). */
  last: { atMs: number; mid2: number } | null;
}

export interface SeriesFeedOptions {
  readonly writer: TimeSeriesWriter;
  readonly positions: PositionTracker;
  /** The model's forecast horizon, ms (null: no model). */
  readonly horizonMs: number | null;
  /** The market's fill rate, the one its Prometheus gauge shows (TradeObserver); null before any order. */
  readonly fillRate: (symbol: string) => number | null;
}

export class SeriesFeed {
  private readonly markets = new Map<string, MarketSeries>();
  private readonly horizon: string | null;

  constructor(private readonly opts: SeriesFeedOptions) {
    this.horizon = opts.horizonMs === null ? null : `${opts.horizonMs}ms`;
  }

  afterDecision(loop: MarketLoop, record: DecisionRecord): void {
    const w = this.opts.writer;
    const s = this.of(loop.symbol);
    w.latency({ op: 'decision', atMs: record.atMs, seconds: record.stages.total });
    const top = record.inputs.top;
    if (top === undefined) return;
    const pnl = this.opts.positions.pnl(loop.symbol, top.mid2);
    const marketSpreadBps = ((top.ask.price - top.bid.price) / top.mid) * 1e4;
    const half = record.decision?.halfSpreads;
    const ourSpreadBps = half === undefined ? Number.NaN : ((half.bid + half.ask) / top.mid) * 1e4;
    w.trading({
      market: loop.symbol, atMs: record.atMs, marketSpreadBps, ourSpreadBps, spreadImprovementBps: marketSpreadBps - ourSpreadBps,
      pnl: moneyToQuote(pnl.net, loop.market.tickSize, loop.market.lotSize), inventoryLots: pnl.lots, fillRate: this.opts.fillRate(loop.symbol) ?? Number.NaN,
    });
    this.score(loop.symbol, s, record.atMs, top.mid2);
    const f = record.inputs.forecast;
    if (f !== undefined && this.horizon !== null) {
      const probs: [number, number, number] = [f.pDown, Math.max(0, 1 - f.pUp - f.pDown), f.pUp];
      w.prediction({ market: loop.symbol, horizon: this.horizon, atMs: record.atMs, down: probs[0], flat: probs[1], up: probs[2], confidence: f.confidence });
      s.pending.push({ atMs: record.atMs, mid2: top.mid2, probs });
    }
    s.last = { atMs: record.atMs, mid2: top.mid2 };
  }

  /** Forecasts whose horizon ended before this decision, against the mid in force then. */
  private score(symbol: string, s: MarketSeries, nowMs: number, mid2: number): void {
    const h = this.opts.horizonMs;
    if (h === null || this.horizon === null) return;
    while (s.pending.length > 0 && (s.pending[0] as Pending).atMs + h <= nowMs) {
      const p = s.pending.shift() as Pending;
      const end = p.atMs + h;
      const then = end < nowMs && s.last !== null && s.last.atMs <= end ? s.last.mid2 : mid2;
      const outcome = Math.sign(then - p.mid2) as -1 | 0 | 1;
      s.scores.push(argmax(p.probs) === outcome + 1);
      if (s.scores.length > ACCURACY_WINDOW) s.scores.shift();
      const accuracy = s.scores.filter(Boolean).length / s.scores.length;
      this.opts.writer.outcome({ market: symbol, horizon: this.horizon, atMs: p.atMs, outcome: DIRECTIONS[outcome + 1] as Direction, rollingAccuracy: accuracy });
    }
  }

  private of(symbol: string): MarketSeries {
    let s = this.markets.get(symbol);
    if (s === undefined) {
      s = { pending: [], scores: [], last: null };
      this.markets.set(symbol, s);
    }
    return s;
  }
}

const DIRECTIONS = ['down', 'flat', 'up'] as const;

function argmax(p: readonly number[]): number {
  return p.reduce((best, x, i) => (x > (p[best] ?? -Infinity) ? i : best), 0);
}
