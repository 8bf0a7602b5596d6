// A backtest of the production engine: the daemon itself (its tick, its venue listener, its
// quoter → risk filter → order diff, its ledger) on a manual clock over the embedded SimVenue
// replaying a recording as fast as the host can run it (src/engine/manual-clock.ts, the same
// path as `flashmm run --speed max`). The venue records one statistics step after each
// decision; the statistics are the core's (BacktestStats, docs/statistics.md), nothing is
// recomputed here. Same inputs → identical output.
import { type BacktestStats, BinanceReader, MarketSpec, type StepRecord } from '../native.js';
import { configSchema } from '../config/schema.js';
import { type ReplayWindow, runOnManualClock } from '../engine/manual-clock.js';
import { spreadImprovement, type SpreadImprovement } from '../report/spread.js';
import type { MarketInfo } from '../market/types.js';
import type { riskConfigSchema } from '../risk/limits.js';
import type { QuotingConfigInput } from '../strategy/config.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import type { Fill } from '../venues/venue.js';
import type { z } from 'zod';

export interface EngineBacktestOptions {
  /** A Binance recording (gzip). */
  readonly recording: string;
  /** The quoting config (strategy section of the daemon's config). */
  readonly strategy: QuotingConfigInput;
  /** The risk section of the daemon's config (money in quote-currency decimals). */
  readonly risk?: z.input<typeof riskConfigSchema>;
  /** Decision interval, ms of market time (default the daemon's engine.intervalMs). */
  readonly intervalMs?: number;
  /** The venue is advanced every this many ms of market time (default 10). */
  readonly pumpMs?: number;
  /** Order entry / report latency, ms (default the sim venue's). */
  readonly entryLatencyMs?: number;
  readonly responseLatencyMs?: number;
  readonly queue?: 'risk-averse' | 'power' | 'log';
  readonly queueExponent?: number;
  /** Requote at once when the mid moves this many bps since the last decision (default the daemon's). */
  readonly largeMoveBps?: number;
  /** Adverse-selection horizons, ms (default the core's: 1 s, 10 s). */
  readonly horizonsMs?: readonly number[];
  /** Period of the resampled returns, ms (default the core's). */
  readonly resampleMs?: number;
  /** Stop after this much market time, ms (default: the whole recording). */
  readonly durationMs?: number;
  /** An ONNX model: the quotes are skewed by its forecast. */
  readonly modelPath?: string;
  /** Trade over this span of the recording's clock only (runOnManualClock's `window`); not with durationMs. */
  readonly window?: ReplayWindow;
}

export interface EngineBacktestResult {
  readonly market: MarketInfo;
  readonly stats: BacktestStats;
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
  /** Lots: the exchange's booking and the daemon's ledger (they must agree). */
  readonly position: { readonly venue: number; readonly tracker: number };
  /** The daemon's ledger marked at its book's mid at the end, money units as decimal strings. */
  readonly ledger: { readonly realised: string; readonly unrealised: string; readonly fees: string; readonly net: string };
  /** Every fill the daemon booked (price ticks, size lots, time ns). */
  readonly fills: readonly { readonly side: string; readonly price: number; readonly size: number; readonly liquidity: string; readonly tsNs: string }[];
  readonly maxPositionLots: number;
  /** Our two-sided quote against the exchange's touch over the recorded steps (src/report/spread.ts). */
  readonly spread: SpreadImprovement;
  /** The span traded, the recording's clock (ns as decimal strings), when a window was given. */
  readonly window?: { readonly fromNs: string; readonly untilNs: string };
}

function marketOf(reader: BinanceReader): MarketInfo {
  const s = reader.spec;
  return {
    symbol: s.symbol, tickSize: s.tickSize, lotSize: s.lotSize, minSizeLots: s.minSizeLots,
    makerFeePpm: s.makerFeePpm, takerFeePpm: s.takerFeePpm,
  };
}

/** The daemon's config of an engine backtest: one sim market replaying the recording. */
export function engineBacktestConfig(o: EngineBacktestOptions, market: MarketInfo) {
  const latency = {
    ...(o.entryLatencyMs === undefined ? {} : { entryMs: o.entryLatencyMs }),
    ...(o.responseLatencyMs === undefined ? {} : { responseMs: o.responseLatencyMs }),
  };
  const queueModel = { ...(o.queue === undefined ? {} : { kind: o.queue }), ...(o.queueExponent === undefined ? {} : { exponent: o.queueExponent }) };
  return configSchema.parse({
    venue: { kind: 'sim', replay: { path: o.recording, speed: 1 }, latency, queueModel },
    markets: [{ ...market, enabled: true }],
    strategy: o.strategy,
    risk: o.risk ?? {},
    engine: { ...(o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs }), ...(o.largeMoveBps === undefined ? {} : { largeMoveBps: o.largeMoveBps }) },
    api: { enabled: false },
    model: { enabled: o.modelPath !== undefined, ...(o.modelPath === undefined ? {} : { path: o.modelPath }) },
  });
}

export async function runEngineBacktest(o: EngineBacktestOptions): Promise<EngineBacktestResult> {
  const market = marketOf(new BinanceReader(o.recording));
  const config = engineBacktestConfig(o, market);
  const metrics = createMetrics({ build: { version: 'backtest' }, defaultMetrics: false });
  const run = await runOnManualClock({
    config, log: createLogger({ level: 'silent' }), metrics,
    ...(o.modelPath === undefined ? {} : { modelPath: o.modelPath }),
    ...(o.pumpMs === undefined ? {} : { pumpMs: o.pumpMs }),
    ...(o.durationMs === undefined ? {} : { durationMs: o.durationMs }),
    ...(o.window === undefined ? {} : { window: o.window }),
  });
  const native = run.venue.exchange;
  const statsJson = native.statsJson({
    stepIntervalMs: config.engine.intervalMs,
    ...(o.resampleMs === undefined ? {} : { resampleMs: o.resampleMs }),
    ...(o.horizonsMs === undefined ? {} : { horizonsMs: [...o.horizonsMs] }),
  });
  const stats = JSON.parse(statsJson) as BacktestStats;
  const spec = new MarketSpec({ ...market });
  const loop = run.daemon.loops.get(market.symbol);
  const top = loop?.state.top();
  const pnl = top === undefined || top === null ? null : run.daemon.positions.pnl(market.symbol, top.mid2);
  const limits = config.risk.maxPositionLots;
  const spread = spreadImprovement(JSON.parse(native.stepsJson()) as StepRecord[]);
  await run.venue.close();
  return {
    market, stats, statsJson,
    money: { net: spec.formatMoney(stats.pnl.net), fees: spec.formatMoney(stats.pnl.fees), maxDrawdown: spec.formatMoney(stats.drawdown.max_abs) },
    counts: {
      ...run.counts, steps: stats.span.steps, skippedSteps: native.skippedSteps, riskState: run.daemon.risk.state(market.symbol),
    },
    sigmaTicks: loop?.volatilityEstimate() ?? Number.NaN,
    position: { venue: native.position, tracker: run.daemon.positions.position(market.symbol) },
    ledger: {
      realised: String(pnl?.realised ?? 0n), unrealised: String(pnl?.unrealised ?? 0n), fees: String(pnl?.fees ?? 0n), net: String(pnl?.net ?? 0n),
    },
    fills: run.fills.map(fillRow),
    maxPositionLots: limits,
    spread,
    ...(o.window === undefined ? {} : { window: { fromNs: String(o.window.fromNs), untilNs: String(o.window.untilNs) } }),
  };
}

/** A fill as the report prints it. */
export function fillRow(f: Fill): EngineBacktestResult['fills'][number] {
  return { side: f.side, price: f.price, size: f.size, liquidity: f.liquidity, tsNs: String(f.tsNs) };
}
