// One market's quote loop: venue data in → book (core) → estimators; on each quote tick (or at
// once on a large move) → forecast → quoting model → risk filter → order diff → one batch out.
// Nothing here recomputes what the core owns; the loop only orchestrates and times the stages.
import type { EventBatch } from '@flashmm/core';
import type { OrderManager } from '../execution/order-manager.js';
import type { PositionTracker } from '../execution/position.js';
import type { BookTop, DesiredQuote, MarketInfo } from '../market/types.js';
import type { FilterResult } from '../risk/quote-filter.js';
import type { RiskManager } from '../risk/risk-manager.js';
import type { QuotingConfig } from '../strategy/config.js';
import { EwmaVolatility, IntensityEstimator } from '../strategy/estimators.js';
import { createQuoter, type QuoteDecision, type Quoter } from '../strategy/quoter.js';
import type { Forecast } from '../strategy/skew.js';
import { createLogOnce, type LogOnce, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { OrderBatch } from '../venues/venue.js';
import { MarketData } from './market-data.js';

/** The model's view of a market at a decision, if a model is loaded and warm. */
export interface ForecastSource {
  onMarketData(batch: EventBatch): void;
  forecast(): Forecast | undefined;
}

export interface MarketLoopDeps {
  readonly market: MarketInfo;
  readonly sequenceRule: string;
  readonly strategy: QuotingConfig;
  readonly largeMoveBps: number;
  readonly maxPositionLots: number;
  readonly risk: RiskManager;
  readonly orders: OrderManager;
  readonly positions: PositionTracker;
  /** Sends one batch to the venue; rejections come back as order events. */
  readonly send: (batch: OrderBatch) => Promise<void>;
  readonly log: Logger;
  readonly metrics?: Metrics;
  readonly forecast?: ForecastSource;
}

export interface DecisionRecord {
  readonly atMs: number;
  readonly decision: QuoteDecision | null;
  readonly allowed: readonly DesiredQuote[];
  readonly batch: OrderBatch;
  /** Stage durations, seconds. */
  readonly stages: Readonly<Record<'quote' | 'risk' | 'diff' | 'total', number>>;
}

export class MarketLoop {
  readonly symbol: string;
  readonly market: MarketInfo;
  readonly maxPositionLots: number;
  readonly data: MarketData;
  private readonly quoter: Quoter;
  private readonly volatility: EwmaVolatility;
  private readonly intensity: IntensityEstimator;
  private lastDecisionMid: number | null = null;
  private deciding = false;
  private lastDecision: DecisionRecord | null = null;
  private readonly logOnce: LogOnce;

  constructor(private readonly deps: MarketLoopDeps) {
    this.symbol = deps.market.symbol;
    this.market = deps.market;
    this.maxPositionLots = deps.maxPositionLots;
    this.logOnce = createLogOnce(deps.log);
    this.data = new MarketData(deps.sequenceRule);
    this.quoter = createQuoter(deps.strategy);
    const v = deps.strategy.volatility;
    this.volatility = new EwmaVolatility({
      halfLifeSeconds: v.halfLifeSeconds, minSampleSeconds: v.minSampleSeconds, maxGapSeconds: v.maxGapSeconds,
      priorSigma: v.priorSigma, ...(v.warmupSeconds === undefined ? {} : { warmupSeconds: v.warmupSeconds }),
    });
    const i = deps.strategy.intensity;
    this.intensity = new IntensityEstimator({ ...i, prior: { A: i.priorA, k: i.priorK } });
  }

  /** Venue data for this market. Returns true when the mid moved enough to requote at once. */
  onMarketData(batch: EventBatch, nowMs: number): boolean {
    const midBefore = this.data.book.isValid ? this.data.book.mid() : null;
    const outcome = this.data.apply(batch, nowMs);
    if (outcome.events === 0) return false;
    this.deps.risk.onMarketData(this.symbol, nowMs);
    this.deps.forecast?.onMarketData(batch);
    if (midBefore !== null) for (const t of outcome.trades) this.intensity.onTrade(t, midBefore);
    const top = this.data.top();
    if (top === null) return false;
    this.volatility.update(top.mid, top.exchangeTsNs);
    const last = this.lastDecisionMid;
    return last !== null && (Math.abs(top.mid - last) / last) * 1e4 >= this.deps.largeMoveBps;
  }

  /** One quote decision; sends the resulting batch. Never throws: a failure is logged and counted. */
  async decide(nowMs: number, nowNs: bigint): Promise<DecisionRecord | null> {
    if (this.deciding) return null; // a decision is in flight; the next tick catches up
    this.deciding = true;
    try {
      const record = this.compute(nowMs, nowNs);
      this.lastDecision = record;
      if (record.batch.cancels.length + record.batch.places.length > 0) await this.submit(record.batch, nowMs);
      return record;
    } catch (err) {
      this.deps.log.error({ err }, 'quote decision failed');
      this.deps.metrics?.errors.inc({ kind: 'decision' });
      this.deps.risk.onError(this.symbol, 'decision failed', nowMs);
      return null;
    } finally {
      this.deciding = false;
    }
  }

  /** The computation of a decision, without sending: what the latency benchmark times. */
  compute(nowMs: number, nowNs: bigint): DecisionRecord {
    const t0 = performance.now();
    const top = this.data.top();
    const inventory = this.deps.positions.position(this.symbol);
    // One scan of the live orders serves the refresh tolerance and the risk filter: neither changes them.
    const live = this.deps.orders.liveOrders(this.symbol);
    let decision: QuoteDecision | null = null;
    if (top !== null) {
      const forecast = this.deps.forecast?.forecast();
      if (forecast !== undefined) {
        this.deps.metrics?.predictions.inc({ market: this.symbol, horizon: 'h0' });
        this.logOnce('forecast:first', { symbol: this.symbol, ...forecast }, 'model forecast active: quotes are skewed by it');
      }
      decision = this.quoter.quote({
        book: top, inventory, nowNs,
        volatility: this.volatility.sigma, intensity: this.intensity.estimate(nowNs),
        ...(forecast === undefined ? {} : { forecast }),
        liveQuotes: live,
      });
      this.lastDecisionMid = top.mid;
    }
    const t1 = performance.now();
    const desired = decision?.quotes ?? []; // no book → no quotes: pull everything
    const filtered = this.deps.risk.filter(this.symbol, desired, { positionLots: inventory, live }, nowMs);
    const t2 = performance.now();
    this.explainDrops(filtered.dropped, decision);
    const { batch } = this.deps.orders.sync(this.symbol, filtered.allowed, nowMs);
    const t3 = performance.now();
    const stages = { quote: (t1 - t0) / 1e3, risk: (t2 - t1) / 1e3, diff: (t3 - t2) / 1e3, total: (t3 - t0) / 1e3 };
    this.observe(stages, decision, top);
    return { atMs: nowMs, decision, allowed: filtered.allowed, batch, stages };
  }

  latest(): DecisionRecord | null {
    return this.lastDecision;
  }

  volatilityEstimate(): number {
    return this.volatility.sigma;
  }

  /** Why quotes are missing, logged once per reason (a limit set below one order is silent otherwise). */
  private explainDrops(dropped: FilterResult['dropped'], decision: QuoteDecision | null): void {
    for (const d of dropped) {
      if (d.reason === 'halted' || d.reason === 'reducing' || d.reason === 'rate-limit') continue; // logged as risk transitions / transient
      this.logOnce(`drop:${d.reason}`, { reason: d.reason, quote: d.quote }, 'risk dropped a quote');
    }
    if (decision?.reason !== undefined) this.logOnce(`no-quote:${decision.reason}`, { reason: decision.reason }, 'no quotes');
  }

  private async submit(batch: OrderBatch, nowMs: number): Promise<void> {
    const m = this.deps.metrics;
    try {
      await this.deps.send(batch);
      for (const p of batch.places) m?.ordersSent.inc({ market: this.symbol, side: p.side });
      m?.ordersCancelled.inc({ market: this.symbol }, batch.cancels.length);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.orders.onSubmitFailed(batch, message, nowMs);
      this.deps.risk.onError(this.symbol, 'submit failed', nowMs);
      m?.errors.inc({ kind: 'submit' });
      this.deps.log.warn({ err: message, cancels: batch.cancels.length, places: batch.places.length }, 'order batch failed');
    }
  }

  private observe(stages: DecisionRecord['stages'], decision: QuoteDecision | null, top: BookTop | null): void {
    const m = this.deps.metrics;
    if (m === undefined) return;
    for (const [stage, seconds] of Object.entries(stages)) m.tickToDecision.observe({ stage }, seconds);
    if (top === null || decision === null) return;
    const { bid, ask } = decision.halfSpreads;
    if (!Number.isFinite(bid) || !Number.isFinite(ask)) return;
    const ours = ((bid + ask) / top.mid) * 1e4;
    m.quoteSpread.set({ market: this.symbol }, ours);
    m.spreadImprovement.set({ market: this.symbol }, ((top.ask.price - top.bid.price) / top.mid) * 1e4 - ours);
  }
}
