// The engine's telemetry glue: risk transitions to one log line and the risk metrics, fills and
// P&L to their gauges. Money is exact (bigint money units) everywhere but here: a metric is a
// double of the quote currency.
import type { PnlBreakdown } from '../execution/position.js';
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

/** The P&L and position gauges of one market, from the ledger marked at the mid. */
export function recordPnl(metrics: Metrics, loop: MarketLoop, pnl: PnlBreakdown): void {
  const symbol = loop.symbol;
  const { tickSize, lotSize } = loop.market;
  metrics.pnlRealised.set({ market: symbol }, moneyToQuote(pnl.realised, tickSize, lotSize));
  metrics.pnlUnrealised.set({ market: symbol }, moneyToQuote(pnl.unrealised, tickSize, lotSize));
  metrics.fees.set({ market: symbol }, moneyToQuote(pnl.fees, tickSize, lotSize));
  metrics.positionLots.set({ market: symbol }, pnl.lots);
  metrics.positionUtilisation.set({ market: symbol }, Math.abs(pnl.lots) / loop.maxPositionLots);
}
