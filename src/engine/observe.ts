// The engine's telemetry glue: risk transitions to one log line and the risk metrics, fills and
// P&L to their gauges, orders and fills to the fill rate, the core's forecast scores to the
// prediction metrics. Money is exact (bigint money units) everywhere but here: a metric is a
// double of the quote currency.
import type { PnlBreakdown } from '../execution/position.js';
import type { MarketInfo } from '../market/types.js';
import type { ForecastScore } from '../native.js';
import type { OrderBatch } from '../venues/venue.js';
import { FillRate } from './fill-rate.js';
import type { RiskManager } from '../risk/risk-manager.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Fill } from '../venues/venue.js';
import type { MarketLoop } from './market-loop.js';

export function wireRiskEvents(risk: RiskManager, log: Logger, metrics: Metrics): void {
  risk.subscribe({
    onTransition: (t) => {
      const fields = { symbol: t.symbol, from: t.from, to: t.to, reason: t.reason, cause: t.cause, detail: t.detail };
      if (t.to === 'active') log.info(fields, 'risk state recovered');
      else log.warn(fields, 'risk state changed');
      metrics.riskTransition(t.symbol, t.from, t.to, t.reason);
    },
    onKill: (k) => {
      log.error({ detail: k.detail, automatic: k.automatic }, 'kill switch engaged: cancelling everything');
      metrics.setKillSwitch(true);
    },
  });
}

export function recordFill(metrics: Metrics, fill: Fill): void {
  metrics.fills.inc({ market: fill.symbol, side: fill.side, liquidity: fill.liquidity });
  metrics.filledVolume.inc({ market: fill.symbol, side: fill.side }, fill.size);
  metrics.lastFill.set({ market: fill.symbol }, Number(fill.tsNs / 1_000_000n) / 1e3);
}

/** Money units (tick × lot × 1e-6) of a market to quote currency, for display only. */
export function moneyToQuote(money: bigint, tickSize: string, lotSize: string): number {
  return Number(money) * Number(tickSize) * Number(lotSize) * 1e-6;
}

/** The P&L and position gauges of one market, from the ledger marked at the mid; `dailyNet` from the risk manager's day. */
export function recordPnl(metrics: Metrics, loop: MarketLoop, pnl: PnlBreakdown, dailyNet: bigint | null): void {
  const symbol = loop.symbol;
  const { tickSize, lotSize } = loop.market;
  metrics.pnlTotal.set({ market: symbol }, moneyToQuote(pnl.net, tickSize, lotSize));
  if (dailyNet !== null) metrics.pnlDaily.set({ market: symbol }, moneyToQuote(dailyNet, tickSize, lotSize));
  metrics.pnlRealised.set({ market: symbol }, moneyToQuote(pnl.realised, tickSize, lotSize));
  metrics.pnlUnrealised.set({ market: symbol }, moneyToQuote(pnl.unrealised, tickSize, lotSize));
  metrics.fees.set({ market: symbol }, moneyToQuote(pnl.fees, tickSize, lotSize));
  metrics.positionLots.set({ market: symbol }, pnl.lots);
  metrics.positionUtilisation.set({ market: symbol }, Math.abs(pnl.lots) / loop.maxPositionLots);
}

/** Horizon label values: `100ms`, `200ms`, `500ms`. */
export function horizonLabel(horizonMs: number): string {
  return `${horizonMs}ms`;
}

/** Per market: maker fees, the fill rate, and the forecast tallies already counted. */
interface MarketTally {
  readonly market: MarketInfo;
  makerFees: bigint;
  readonly fillRate: FillRate;
  /** horizon → counts already added to the counters. */
  readonly counted: Map<string, { forecasts: number; correct: number; wrong: number }>;
}

/**
 * Trading and forecast metrics that need a memory: maker fees (a sum over maker fills), the fill
 * rate (a window of orders), and the core's cumulative forecast tallies turned into counter
 * increments. The quote loop never waits on it; scores are read off the hot path.
 */
export class TradeObserver {
  private readonly markets = new Map<string, MarketTally>();

  constructor(private readonly metrics: Metrics, markets: readonly MarketInfo[]) {
    for (const market of markets) this.markets.set(market.symbol, { market, makerFees: 0n, fillRate: new FillRate(), counted: new Map() });
  }

  /** A batch the venue accepted for sending: its orders enter the fill rate's window (which falls while they rest unfilled). */
  sent(batch: OrderBatch): void {
    for (const p of batch.places) this.markets.get(p.symbol)?.fillRate.placed(p.clientId);
    const symbol = batch.places[0]?.symbol;
    const ratio = symbol === undefined ? null : this.markets.get(symbol)?.fillRate.ratio();
    if (symbol !== undefined && ratio !== undefined && ratio !== null) this.metrics.fillRate.set({ market: symbol }, ratio);
  }

  fill(fill: Fill): void {
    const t = this.markets.get(fill.symbol);
    if (t === undefined) return;
    t.fillRate.fill(fill.clientId);
    const ratio = t.fillRate.ratio();
    if (ratio !== null) this.metrics.fillRate.set({ market: fill.symbol }, ratio);
    if (fill.liquidity !== 'maker') return;
    t.makerFees += fill.fee;
    this.metrics.makerFees.set({ market: fill.symbol }, moneyToQuote(t.makerFees, t.market.tickSize, t.market.lotSize));
  }

  /** Of `symbol`'s last orders placed, the share that filled (what flashmm_fill_rate shows); null before any order. */
  fillRate(symbol: string): number | null {
    return this.markets.get(symbol)?.fillRate.ratio() ?? null;
  }

  /** The core's forecast tallies of one market (`MarketState.forecastScores()`). */
  scores(symbol: string, scores: readonly ForecastScore[]): void {
    const t = this.markets.get(symbol);
    if (t === undefined) return;
    for (const s of scores) {
      const horizon = horizonLabel(s.horizonMs);
      const labels = { market: symbol, horizon };
      const seen = t.counted.get(horizon) ?? { forecasts: 0, correct: 0, wrong: 0 };
      // A reload onto other horizons restarts the core's tally: count from its new zero.
      const base = s.forecasts < seen.forecasts ? { forecasts: 0, correct: 0, wrong: 0 } : seen;
      this.metrics.predictions.inc(labels, s.forecasts - base.forecasts);
      this.metrics.predictionOutcomes.inc({ ...labels, outcome: 'correct' }, s.correct - base.correct);
      this.metrics.predictionOutcomes.inc({ ...labels, outcome: 'wrong' }, s.wrong - base.wrong);
      if (typeof s.accuracy === 'number') this.metrics.predictionAccuracy.set(labels, s.accuracy);
      t.counted.set(horizon, { forecasts: s.forecasts, correct: s.correct, wrong: s.wrong });
    }
  }
}
