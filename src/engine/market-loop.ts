// One market's quote loop: venue data in → the market's state (core: book, estimators, model);
// on each quote tick (or at once on a large move) → decision inputs (core, one call) → quoting
// model → risk filter → order diff → one batch out. Nothing here recomputes what the core owns;
// the loop only orchestrates and times the stages.
import type { DecisionInputs, EventBatch, MarketState, MarketStateOptions } from '../native.js';
import type { OrderManager } from '../execution/order-manager.js';
import type { PositionTracker } from '../execution/position.js';
import type { BookTop, DesiredQuote, MarketInfo } from '../market/types.js';
import type { FilterResult } from '../risk/quote-filter.js';
import type { RiskManager } from '../risk/risk-manager.js';
import { intensityOptions, type QuotingConfig } from '../strategy/config.js';
import { createQuoter, type QuoteDecision, type Quoter } from '../strategy/quoter.js';
import { depthQuery, type ControlReport, type DepthQuery, QuoteControls } from '../strategy/controls/index.js';
import { errorCode, errorMessage } from '../errors.js';
import type { ManagedOrder } from '../execution/order-state.js';
import { createLogOnce, type LogOnce, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Fill, OrderBatch, OrderEvent } from '../venues/venue.js';
import { recordPnl } from './observe.js';

/**
 * The core options of a market's state from the daemon's config: its estimators, the requote
 * threshold, the model (and its warm-up when the config sets one; else the core's).
 */
export function marketStateOptions(
  strategy: QuotingConfig, sequenceRule: string, largeMoveBps: number, modelPath?: string, modelWarmupSeconds?: number,
): MarketStateOptions {
  const { warmupSeconds, ...volatility } = strategy.volatility;
  const warmup = modelWarmupSeconds === undefined ? {} : { warmupMs: modelWarmupSeconds * 1000 };
  return {
    sequenceRule, largeMoveBps, intensity: intensityOptions(strategy.intensity),
    volatility: { ...volatility, ...(warmupSeconds === undefined ? {} : { warmupSeconds }) },
    ...(modelPath === undefined ? {} : { model: { path: modelPath, ...warmup } }),
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
  /**
   * A decision that threw (the model, the quoter, a bug): the supervisor's market fault (the
   * daemon halts the market). Without it the failure is logged and counts toward the
   * error-rate breaker.
   */
  readonly onFault?: (err: unknown) => void;
}

export interface DecisionRecord {
  readonly atMs: number;
  /** What the core gave the decision: top, σ, A/k, forecast. */
  readonly inputs: DecisionInputs;
  readonly decision: QuoteDecision | null;
  readonly allowed: readonly DesiredQuote[];
  readonly batch: OrderBatch;
  /** What the quoting controls did (absent without a book). */
  readonly controls?: ControlReport;
  /** Stage durations, seconds. */
  readonly stages: Readonly<Record<'quote' | 'risk' | 'diff' | 'total', number>>;
}

export class MarketLoop {
  readonly symbol: string;
  readonly market: MarketInfo;
  readonly state: MarketState;
  /** The quoter holds the quoting config in force; the controls read theirs from it, so swapping the quoter swaps both. */
  private quoter: Quoter;
  private maxLots: number;
  private readonly controls = new QuoteControls();
  /** The order-optimisation depth the state was last asked for. */
  private depthAsked: DepthQuery | null = null;
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
    this.maxLots = deps.maxPositionLots;
    this.state = deps.state;
    this.logOnce = createLogOnce(deps.log);
    this.quoter = createQuoter(deps.strategy);
    this.lastSigma = deps.strategy.volatility.priorSigma;
  }

  get maxPositionLots(): number {
    return this.maxLots;
  }

  /** New quoting parameters and position limit, from the next decision on (the daemon swaps them between ticks). */
  setParams(strategy: QuotingConfig, maxPositionLots: number): void {
    this.quoter = createQuoter(strategy);
    this.maxLots = maxPositionLots;
  }

  /** A fill of ours on this market, after the order manager booked it: the controls that react to fills follow it. */
  onFill(fill: Fill, nowMs: number): void {
    const order = this.deps.orders.order(fill.clientId);
    this.controls.onFill(this.quoter.config, fill, order?.level, this.deps.orders.liveOrders(this.symbol), nowMs);
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
      if (this.deps.onFault !== undefined) {
        this.deps.onFault(err);
        return null;
      }
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
    this.askDepth();
    const inputs = this.state.decisionInputs(nowNs);
    const top = inputs.top ?? null;
    this.lastSigma = inputs.sigma;
    const pnl = top === null ? null : this.deps.positions.pnl(this.symbol, top.mid2);
    const inventory = pnl === null ? this.deps.positions.position(this.symbol) : pnl.lots;
    if (pnl !== null) {
      this.deps.risk.onPnl(this.symbol, pnl.net, nowMs);
      if (this.deps.metrics !== undefined) recordPnl(this.deps.metrics, this, pnl, this.deps.risk.dailyNet(this.symbol));
    }
    // One scan of the live orders serves the controls, the refresh tolerance and the risk filter
    // (a second only when the maximum order age cancels some).
    let live = this.deps.orders.liveOrders(this.symbol);
    let decision: QuoteDecision | null = null;
    let desired: readonly DesiredQuote[] = []; // no book → no quotes: pull everything
    let refreshCancels: OrderBatch['cancels'] = [];
    let controls: ControlReport | undefined;
    if (top !== null && pnl !== null) {
      const forecast = inputs.forecast;
      if (forecast !== undefined) {
        this.logOnce('forecast:first', { symbol: this.symbol, ...forecast }, 'model forecast active: quotes are skewed by it');
      }
      const context = { config: this.quoter.config, market: this.market, nowMs, book: top, positionLots: inventory, netPnl: pnl.net, live };
      const plan = this.controls.plan(context);
      if (plan.refresh.length > 0) {
        refreshCancels = this.deps.orders.cancelOrders(this.symbol, plan.refresh, nowMs, 'maximum order age');
        live = this.deps.orders.liveOrders(this.symbol);
      }
      decision = this.quoter.quote({
        book: top, inventory, nowNs, volatility: inputs.sigma, intensity: inputs.intensity,
        ...(forecast === undefined ? {} : { forecast }), ...plan.quoter,
        ...(inputs.depth === undefined ? {} : { depth: depthOf(inputs.depth) }),
      });
      const finished = this.controls.finish({ ...context, live }, plan, decision.quotes);
      desired = finished.quotes;
      controls = finished.report;
    }
    const t1 = performance.now();
    const filtered = this.deps.risk.filter(this.symbol, desired, { positionLots: inventory, live }, nowMs);
    const t2 = performance.now();
    this.explainDrops(filtered.dropped, decision);
    const synced = this.deps.orders.sync(this.symbol, filtered.allowed, nowMs).batch;
    const batch = refreshCancels.length === 0 ? synced : { cancels: [...refreshCancels, ...synced.cancels], places: synced.places };
    const t3 = performance.now();
    const stages = { quote: (t1 - t0) / 1e3, risk: (t2 - t1) / 1e3, diff: (t3 - t2) / 1e3, total: (t3 - t0) / 1e3 };
    this.observe(stages, decision, top);
    return { atMs: nowMs, inputs, decision, allowed: filtered.allowed, batch, stages, ...(controls === undefined ? {} : { controls }) };
  }

  /** Tells the state the order-optimisation depth when the config's changed (one native call then, none otherwise). */
  private askDepth(): void {
    const want = depthQuery(this.quoter.config);
    const had = this.depthAsked;
    if (want?.bidLots === had?.bidLots && want?.askLots === had?.askLots) return;
    this.state.setDepthQuery(want);
    this.depthAsked = want;
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

/** The core's depth answer without its nulls (a side it could not answer keeps the model's price). */
function depthOf(d: { readonly bid?: number | null; readonly ask?: number | null }): { bid?: number; ask?: number } {
  return { ...(d.bid == null ? {} : { bid: d.bid }), ...(d.ask == null ? {} : { ask: d.ask }) };
}
