// A backtest of the production engine: the daemon's MarketLoop (quoter → risk filter → order
// diff), RiskManager, OrderManager and PositionTracker trading the embedded SimVenue, which
// replays a recording on a ManualClock as fast as the host can run it. The venue pumps every
// `pumpMs` of market time, the engine decides every `intervalMs` (and at once on a large move,
// as the daemon does), and the venue records one statistics step after each decision. The
// statistics are the core's (BacktestStats, docs/statistics.md); nothing is recomputed here.
// Same inputs → identical output: no wall clock, no randomness, no timers.
import { BinanceReader, MarketSpec } from '../native.js';
import { ClientIdGenerator } from '../execution/client-id.js';
import { ManualClock } from '../execution/clock.js';
import { OrderManager } from '../execution/order-manager.js';
import { PositionTracker } from '../execution/position.js';
import { type ForecastSource, MarketLoop } from '../engine/market-loop.js';
import type { MarketInfo } from '../market/types.js';
import { riskConfigSchema, riskLimitsFor } from '../risk/limits.js';
import { RiskManager } from '../risk/risk-manager.js';
import { quotingConfigSchema, type QuotingConfigInput } from '../strategy/config.js';
import { createLogger } from '../telemetry/logger.js';
import type { z } from 'zod';
import { SimVenue } from '../venues/sim/sim-venue.js';

export interface EngineBacktestOptions {
  /** A Binance recording (gzip). */
  readonly recording: string;
  /** The quoting config (strategy section of the daemon's config). */
  readonly strategy: QuotingConfigInput;
  /** The risk section of the daemon's config (money in quote-currency decimals). */
  readonly risk?: z.input<typeof riskConfigSchema>;
  /** Decision interval, ms of market time (default 100). */
  readonly intervalMs?: number;
  /** The venue is advanced every this many ms of market time (default 10). */
  readonly pumpMs?: number;
  /** Order entry / report latency, ms (default 5 / 5). */
  readonly entryLatencyMs?: number;
  readonly responseLatencyMs?: number;
  readonly queue?: 'risk-averse' | 'power' | 'log';
  readonly queueExponent?: number;
  /** Requote at once when the mid moves this many bps since the last decision (default 5). */
  readonly largeMoveBps?: number;
  /** Adverse-selection horizons, ms (default 1 s, 10 s). */
  readonly horizonsMs?: readonly number[];
  /** Period of the resampled returns, ms (default 10 s: a 6-minute recording has ~36). */
  readonly resampleMs?: number;
  /** Stop after this much market time, ms (default: the whole recording). */
  readonly durationMs?: number;
  /** The model's forecast for the market, given the recording's book sequence rule. */
  readonly forecast?: (sequenceRule: string) => ForecastSource | undefined;
}

/** Per-period returns of the equity ([`ReturnStats`] in the core). Money in money units. */
export interface ReturnStatsJson {
  readonly period_s: number;
  readonly periods: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly downside_dev: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly sharpe_annualised: number | null;
  readonly sortino_annualised: number | null;
}

export interface AdverseSelectionJson {
  readonly horizon_ns: string;
  readonly fills: number;
  readonly lots: number;
  readonly excluded_past_end: number;
  readonly excluded_no_mid: number;
  readonly adverse_total: string;
  readonly adverse_ticks: number | null;
  readonly adverse_bps: number | null;
  readonly markout_total: string;
  readonly markout_ticks: number | null;
  readonly markout_bps: number | null;
}

/** The core's `BacktestStats::to_json` (docs/statistics.md): money and ns are decimal strings. */
export interface BacktestStatsJson {
  readonly span: {
    readonly first_ts: string; readonly last_ts: string; readonly duration_s: number; readonly steps: number;
    readonly last_bid: number; readonly last_ask: number;
  };
  readonly pnl: { readonly realised: string; readonly unrealised: string; readonly gross: string; readonly fees: string; readonly net: string };
  readonly step_returns: ReturnStatsJson;
  readonly resampled_returns: ReturnStatsJson;
  readonly drawdown: {
    readonly max_abs: string; readonly max_rel: number | null; readonly peak_ts: string | null; readonly trough_ts: string | null;
    readonly return_over_max_drawdown: number | null;
  };
  readonly trading: {
    readonly fills: number; readonly maker_fills: number; readonly taker_fills: number;
    readonly bought_lots: number; readonly sold_lots: number; readonly volume_lots: number;
    readonly maker_lots: number; readonly taker_lots: number; readonly volume_notional: string;
    readonly orders: { readonly placed: number; readonly amended: number; readonly canceled: number } | null;
    readonly filled_orders: number; readonly order_fill_ratio: number | null;
    readonly quoted_steps: number; readonly quoted_sides: number; readonly filled_sides: number;
    readonly quote_fill_rate: number | null;
  };
  readonly inventory: {
    readonly last: number; readonly max_abs: number; readonly mean_abs: number;
    readonly time_weighted_abs: number | null; readonly time_weighted: number | null;
  };
  readonly spread_captured: {
    readonly fills: number; readonly lots: number; readonly excluded_no_mid: number; readonly total: string;
    readonly mean_ticks: number | null; readonly mean_bps: number | null;
  };
  readonly adverse_selection: readonly AdverseSelectionJson[];
}

export interface EngineBacktestResult {
  readonly market: MarketInfo;
  readonly stats: BacktestStatsJson;
  /** The core's JSON, byte for byte. */
  readonly statsJson: string;
  /** Money amounts of the stats in the quote currency (the core's formatting). */
  readonly money: { readonly net: string; readonly fees: string; readonly maxDrawdown: string };
  readonly counts: {
    readonly decisions: number; readonly largeMoveDecisions: number; readonly steps: number; readonly skippedSteps: number;
    readonly ordersSent: number; readonly cancelsSent: number; readonly fillEvents: number;
    readonly riskState: string; readonly maxAbsPosition: number;
  };
  /** The quoter's online σ estimate at the end, ticks/√s. */
  readonly sigmaTicks: number;
  /** Lots: the exchange's booking and the engine's PositionTracker (they must agree). */
  readonly position: { readonly venue: number; readonly tracker: number };
  readonly maxPositionLots: number;
}

/** Host clock at the start: fixed (not the wall clock), so runs repeat exactly. */
const START_MS = Date.UTC(2024, 7, 8, 12);

function marketOf(reader: BinanceReader): MarketInfo {
  const s = reader.spec;
  return {
    symbol: s.symbol, tickSize: s.tickSize, lotSize: s.lotSize, minSizeLots: s.minSizeLots,
    makerFeePpm: s.makerFeePpm, takerFeePpm: s.takerFeePpm,
  };
}

export async function runEngineBacktest(o: EngineBacktestOptions): Promise<EngineBacktestResult> {
  const intervalMs = o.intervalMs ?? 100;
  const pumpMs = o.pumpMs ?? 10;
  if (!(Number.isInteger(pumpMs) && pumpMs > 0 && Number.isInteger(intervalMs) && intervalMs >= pumpMs)) {
    throw new Error(`pumpMs (${pumpMs}) and intervalMs (${intervalMs}) must be whole ms with intervalMs ≥ pumpMs`);
  }
  const reader = new BinanceReader(o.recording);
  const market = marketOf(reader);
  const rule = reader.sequenceRule;
  const strategy = quotingConfigSchema.parse(o.strategy);
  const limits = riskLimitsFor(riskConfigSchema.parse(o.risk ?? {}), market);
  if (!limits.ok) throw new Error(`risk limits for ${market.symbol}: ${limits.error}`);
  const clock = new ManualClock(START_MS);
  const positions = new PositionTracker();
  const risk = new RiskManager({ [market.symbol]: limits.limits }, clock.nowMs());
  const orders = new OrderManager({
    clock, ids: new ClientIdGenerator('bt'), positions, markets: [market], ackTimeoutMs: 10_000, orphanPolicy: 'cancel',
  });
  const venue = new SimVenue({
    market, clock, pumpMs: 0,
    native: {
      replayPath: o.recording, record: true,
      ...(o.entryLatencyMs === undefined ? {} : { entryLatencyMs: o.entryLatencyMs }),
      ...(o.responseLatencyMs === undefined ? {} : { responseLatencyMs: o.responseLatencyMs }),
      ...(o.queue === undefined ? {} : { queue: o.queue }),
      ...(o.queueExponent === undefined ? {} : { queueExponent: o.queueExponent }),
    },
  });
  const native = venue.exchange;
  const forecast = o.forecast?.(rule);
  let ordersSent = 0;
  let cancelsSent = 0;
  const loop = new MarketLoop({
    market, sequenceRule: rule, strategy, largeMoveBps: o.largeMoveBps ?? 5, maxPositionLots: limits.limits.maxPositionLots,
    risk, orders, positions,
    send: async (batch) => {
      ordersSent += batch.places.length;
      cancelsSent += batch.cancels.length;
      await venue.submit(batch);
    },
    log: createLogger({ level: 'silent' }),
    ...(forecast === undefined ? {} : { forecast }),
  });

  let largeMove = false;
  let fillEvents = 0;
  let maxAbsPosition = 0;
  await venue.connect({
    onMarketData: (_symbol, batch) => {
      if (loop.onMarketData(batch, clock.nowMs())) largeMove = true;
    },
    onOrderEvent: (event) => {
      orders.onEvent(event);
      if (event.type !== 'fill') return;
      fillEvents += 1;
      const lots = positions.position(market.symbol);
      maxAbsPosition = Math.max(maxAbsPosition, Math.abs(lots));
      risk.onPosition(market.symbol, lots, clock.nowMs());
    },
    onConnection: (state) => risk.onConnection(state, clock.nowMs()),
  });

  let decisions = 0;
  let largeMoveDecisions = 0;
  let nextDecisionMs = clock.nowMs() + intervalMs;
  const endMs = clock.nowMs() + (o.durationMs ?? Number.POSITIVE_INFINITY);
  while (!native.finished && clock.nowMs() < endMs) {
    clock.advance(pumpMs);
    venue.pump();
    const now = clock.nowMs();
    const scheduled = now >= nextDecisionMs;
    if (!scheduled && !largeMove) continue;
    if (scheduled) {
      nextDecisionMs += intervalMs;
      const housekeeping = orders.tick(now);
      for (const symbol of housekeeping.needsReconcile) {
        const report = orders.reconcile(symbol, await venue.openOrders(symbol), now);
        if (report.batch.cancels.length + report.batch.places.length > 0) await venue.submit(report.batch);
      }
      risk.tick(now);
      const top = loop.data.top();
      if (top !== null) risk.onPnl(market.symbol, positions.pnl(market.symbol, Math.round(top.mid * 2)).net, now);
    } else {
      largeMoveDecisions += 1;
    }
    largeMove = false;
    await loop.decide(now, clock.nowNs());
    decisions += 1;
    native.recordStep();
  }
  // One last step after the replay, once every report is in: every fill is in the statistics.
  clock.advance(Math.max(pumpMs, (o.responseLatencyMs ?? 5) + 1));
  venue.pump();
  native.recordStep();

  const statsJson = native.statsJson({ stepIntervalMs: intervalMs, resampleMs: o.resampleMs ?? 10_000, horizonsMs: [...(o.horizonsMs ?? [1_000, 10_000])] });
  const stats = JSON.parse(statsJson) as BacktestStatsJson;
  const spec = new MarketSpec({ ...market });
  await venue.close();
  return {
    market, stats, statsJson,
    money: { net: spec.formatMoney(stats.pnl.net), fees: spec.formatMoney(stats.pnl.fees), maxDrawdown: spec.formatMoney(stats.drawdown.max_abs) },
    counts: {
      decisions, largeMoveDecisions, steps: stats.span.steps, skippedSteps: native.skippedSteps, ordersSent, cancelsSent, fillEvents,
      riskState: risk.state(market.symbol), maxAbsPosition,
    },
    sigmaTicks: loop.volatilityEstimate(),
    position: { venue: native.position, tracker: positions.position(market.symbol) },
    maxPositionLots: limits.limits.maxPositionLots,
  };
}
