// One market's quote loop: venue data in → the market's state (core: book, estimators, model);
// on each quote tick (or at once on a large move) → decision inputs (core, one call) → quoting
// model → risk filter → order diff → one batch out. Nothing here recomputes what the core owns;
// the loop only orchestrates and times the stages.
import type { EventBatch, MarketState, MarketStateOptions } from '../native.js';
import type { OrderManager } from '../execution/order-manager.js';
import type { PositionTracker } from '../execution/position.js';
import type { BookTop, DesiredQuote, MarketInfo } from '../market/types.js';
import type { FilterResult } from '../risk/quote-filter.js';
import type { RiskManager } from '../risk/risk-manager.js';
import { intensityOptions, type QuotingConfig } from '../strategy/config.js';
import { createQuoter, type QuoteDecision, type Quoter } from '../strategy/quoter.js';
import { errorCode, errorMessage } from '../errors.js';
import type { ManagedOrder } from '../execution/order-state.js';
import { createLogOnce, type LogOnce, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { OrderBatch, OrderEvent } from '../venues/venue.js';
import { recordPnl } from './observe.js';

/** The core options of a market's state from the daemon's config: its estimators, the requote threshold, the model. */
export function marketStateOptions(
  strategy: QuotingConfig, sequenceRule: string, largeMoveBps: number, modelPath?: string,
): MarketStateOptions {
  const { warmupSeconds, ...volatility } = strategy.volatility;
  return {
    sequenceRule, largeMoveBps, intensity: intensityOptions(strategy.intensity),
    volatility: { ...volatility, ...(warmupSeconds === undefined ? {} : { warmupSeconds }) },
    ...(modelPath === undefined ? {} : { model: { path: modelPath } }),
  };
}

export interface MarketLoopDeps {
  readonly market: MarketInfo;
  /** The market's one state (book, estimators, model), fed only by this loop. */
  readonly state: MarketState;
  readonly strategy: QuotingConfig;
  readonly maxPositionLots: number;
  readonly risk: RiskManager;
  readonly orders: OrderManager;
  readonly positions: PositionTracker;
  /** Sends one batch to the venue; rejections come back as order events. */
  readonly send: (batch: OrderBatch) => Promise<void>;
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** After each decision, once its batch is sent. */
  readonly onDecision?: (record: DecisionRecord) => void;
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
  readonly state: MarketState;
  private readonly quoter: Quoter;
  private deciding = false;
  /** Decisions made (sent or empty). */
  decisions = 0;
  private lastDecision: DecisionRecord | null = null;
  private lastSigma: number;
  /** Local clock (ms) when data last arrived: what the stale-book watchdog reads. */
  private lastDataAtMs: number | null = null;
  private readonly logOnce: LogOnce;
  /** Numeric ids of our orders in the market state's own-order book. */
  private readonly ownIds = new Map<string, number>();
  private nextOwnId = 1;

  constructor(private readonly deps: MarketLoopDeps) {
    this.symbol = deps.market.symbol;
    this.market = deps.market;
    this.maxPositionLots = deps.maxPositionLots;
    this.state = deps.state;
    this.logOnce = createLogOnce(deps.log);
    this.quoter = createQuoter(deps.strategy);
    this.lastSigma = deps.strategy.volatility.priorSigma;
  }

  /** Venue data for this market (one core call). Returns true when the mid moved enough to requote at once. */
  onMarketData(batch: EventBatch, nowMs: number): boolean {
    const outcome = this.state.apply(batch);
    if (outcome.events === 0) return false;
    this.lastDataAtMs = nowMs;
    this.deps.risk.onMarketData(this.symbol, nowMs);
    return outcome.moved;
  }

  /**
   * Our order's life in the market state's own-order book (venues whose public book shows our
   * orders): the decisions then read the book net of our liquidity. An event the own-order book
   * cannot apply (a duplicate, an order it never saw) is logged once and changes nothing.
   */
  onOwnOrderEvent(event: OrderEvent, order: Readonly<ManagedOrder> | undefined): void {
    const clientId = event.type === 'fill' ? event.fill.clientId : event.clientId;
    try {
      if (event.type === 'accepted' && order !== undefined) {
        const id = this.nextOwnId++;
        this.ownIds.set(clientId, id);
        this.state.addOwnOrder(id, order.side, order.price, order.size - order.filled);
        return;
      }
      const id = this.ownIds.get(clientId);
      if (id === undefined) return;
      if (event.type === 'fill') {
        if (this.state.fillOwnOrder(id, event.fill.size) === 0) this.ownIds.delete(clientId);
      } else if (event.type === 'cancelled' || event.type === 'rejected') {
        this.ownIds.delete(clientId);
        this.state.removeOwnOrder(id);
      }
    } catch (err) {
      if (errorCode(err) !== 'OWN_ORDER') throw err;
      this.logOnce(`own-order:${event.type}`, { clientId, err: errorMessage(err) }, 'own-order book could not apply an order event');
    }
  }

  /** Milliseconds since data last arrived (Infinity before any). */
  ageMs(nowMs: number): number {
    return this.lastDataAtMs === null ? Number.POSITIVE_INFINITY : nowMs - this.lastDataAtMs;
  }

  /** One quote decision; sends the resulting batch. Never throws: a failure is logged and counted. */
  async decide(nowMs: number, nowNs: bigint): Promise<DecisionRecord | null> {
    if (this.deciding) return null; // a decision is in flight; the next tick catches up
    this.deciding = true;
    try {
      const record = this.compute(nowMs, nowNs);
      this.lastDecision = record;
      if (record.batch.cancels.length + record.batch.places.length > 0) await this.submit(record.batch, nowMs);
      this.decisions += 1;
      this.deps.onDecision?.(record);
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

  /**
   * The computation of a decision, without sending: what the latency benchmark times. Two core
   * calls: the decision inputs (top, σ, A/k, forecast) and the ledger marked at the mid (the
   * position, and the P&L the loss limits watch).
   */
  compute(nowMs: number, nowNs: bigint): DecisionRecord {
    const t0 = performance.now();
    const inputs = this.state.decisionInputs(nowNs);
    const top = inputs.top ?? null;
    this.lastSigma = inputs.sigma;
    const pnl = top === null ? null : this.deps.positions.pnl(this.symbol, top.mid2);
    const inventory = pnl === null ? this.deps.positions.position(this.symbol) : pnl.lots;
    if (pnl !== null) {
      this.deps.risk.onPnl(this.symbol, pnl.net, nowMs);
      if (this.deps.metrics !== undefined) recordPnl(this.deps.metrics, this, pnl);
    }
    // One scan of the live orders serves the refresh tolerance and the risk filter: neither changes them.
    const live = this.deps.orders.liveOrders(this.symbol);
    let decision: QuoteDecision | null = null;
    if (top !== null) {
      const forecast = inputs.forecast;
      if (forecast !== undefined) {
        this.deps.metrics?.predictions.inc({ market: this.symbol, horizon: 'h0' });
        this.logOnce('forecast:first', { symbol: this.symbol, ...forecast }, 'model forecast active: quotes are skewed by it');
      }
      decision = this.quoter.quote({
        book: top, inventory, nowNs, volatility: inputs.sigma, intensity: inputs.intensity,
        ...(forecast === undefined ? {} : { forecast }), liveQuotes: live,
      });
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

  /** σ (ticks/√s) as of the last decision. */
  volatilityEstimate(): number {
    return this.lastSigma;
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
      const message = errorMessage(err);
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
