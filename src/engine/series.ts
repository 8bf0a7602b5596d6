// The engine's time series (docs/storage.md, "Time series"), fed after each decision, off the
// decision's own timing: one `trading_metrics` point per market, the decision's latency, and the
// model's forecasts as the core logs them (MarketState.drainForecasts, core model::score): each
// forecast the core scores (the first on its row) at every horizon, at the row's time, and once a
// horizon has ended the dataset's label there and the horizon's rolling accuracy. The scoring is
// the core's alone (the accuracy the API reports): nothing is recomputed here.
import type { PositionTracker } from '../execution/position.js';
import type { TimeSeriesWriter } from '../storage/timeseries.js';
import type { DecisionRecord, MarketLoop } from './market-loop.js';
import { horizonLabel, moneyToQuote } from './observe.js';

export interface SeriesFeedOptions {
  readonly writer: TimeSeriesWriter;
  readonly positions: PositionTracker;
  /** The market's fill rate, the one its Prometheus gauge shows (TradeObserver); null before any order. */
  readonly fillRate: (symbol: string) => number | null;
}

export class SeriesFeed {
  constructor(private readonly opts: SeriesFeedOptions) {}

  afterDecision(loop: MarketLoop, record: DecisionRecord): void {
    const w = this.opts.writer;
    w.latency({ op: 'decision', atMs: record.atMs, seconds: record.stages.total });
    this.forecasts(loop);
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
  }

  /** The core's forecasts made and scored since the last decision, every horizon. */
  private forecasts(loop: MarketLoop): void {
    const w = this.opts.writer;
    const market = loop.symbol;
    const log = loop.state.drainForecasts();
    for (const made of log.made) {
      for (const h of made.horizons) {
        w.prediction({ market, horizon: horizonLabel(h.horizonMs), atMs: made.atMs, down: h.pDown, flat: h.pFlat, up: h.pUp, confidence: h.confidence });
      }
    }
    for (const s of log.scored) {
      w.outcome({ market, horizon: horizonLabel(s.forecast.horizonMs), atMs: s.atMs, outcome: s.outcome, rollingAccuracy: s.accuracy });
    }
  }
}
