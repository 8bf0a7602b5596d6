// The daemon: one venue, one order manager, risk manager and position tracker for all markets,
// one quote loop per market on a fixed interval (plus at once on a large move), and a bounded
// graceful shutdown that leaves no order open on the venue.
import { newBootId, ClientIdGenerator } from '../execution/client-id.js';
import { type Clock, systemClock } from '../execution/clock.js';
import { isError } from '../execution/events.js';
import { OrderManager } from '../execution/order-manager.js';
import { MarketSpec, MarketState } from '../native.js';
import { errorMessage } from '../errors.js';
import { type PnlBreakdown, PositionTracker } from '../execution/position.js';
import type { ReconcileReport } from '../execution/reconcile.js';
import type { MarketInfo, PriceLevel } from '../market/types.js';
import type { BreakerState } from '../risk/events.js';
import type { ResetResult } from '../risk/risk-manager.js';
import { type Notifier, riskNotifications } from '../telemetry/notifier.js';
import { KillSwitch } from '../risk/kill-switch.js';
import { type RiskLimits, riskLimitsFor } from '../risk/limits.js';
import { RiskManager } from '../risk/risk-manager.js';
import type { Config } from '../config/schema.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ConnectionState, OrderEvent, Venue, VenueListener, VenueOrder } from '../venues/venue.js';
import { FillHistory, type FillHistoryPage, type FillPageRequest } from './fill-history.js';
import { type DecisionRecord, MarketLoop, marketStateOptions } from './market-loop.js';
import { observedVenue } from './observed-venue.js';
import { recordFill, TradeObserver, wireRiskEvents } from './observe.js';
import { checkParams, type LiveParams, type ParamProblem, type ParamsPatch } from './params.js';
import { DaemonStorage } from './daemon-storage.js';
import type { Storage, StorageStatus } from '../storage/open.js';
import type { StorageHealth } from '../storage/redis-store.js';
import { type Fault, Supervisor } from './supervisor.js';
import { MarketLeases, type ShardStatus } from './leases.js';
import type { LeaseStore } from '../storage/leases.js';

export interface DaemonDeps {
  readonly config: Config;
  readonly venue: Venue;
  /** The book's sequence rule per market (how the venue's depth updates chain). */
  readonly sequenceRule: (symbol: string) => string;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  /** The ONNX model every market forecasts with (none: quote without a forecast). */
  readonly modelPath?: string;
  /** Waits `ms` of the clock (default a timer); a manual clock advances and pumps the venue instead. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called after each market's decision (a backtest records a statistics step there). */
  readonly onDecision?: (symbol: string, record: DecisionRecord) => void;
  /** The process's supervisor (default: one of the daemon's own). */
  readonly supervisor?: Supervisor;
  /** A daemon-wide fault: the caller runs the orderly shutdown (default: the daemon stops itself). */
  readonly onFatal?: (fault: Fault) => void;
  /** The operator notifier: kill switch, breaker trips, limit breaches, disconnects. */
  readonly notifier?: Notifier;
  /** Redis and the time-series writer (openStorage): the journal, restart recovery, hot state, series. */
  readonly storage?: Storage;
  /** Follow the markets without quoting (`flashmm run --observe`: a venue with no key). */
  readonly readOnly?: boolean;
  /** Sharded (`--shard`): the market leases, under this owner name (config.shard). */
  readonly shard?: { readonly store: LeaseStore; readonly owner: string };
}

/** The model the markets forecast with. */
export interface ModelStatus {
  readonly enabled: boolean;
  /** The file loaded (resolved), or the configured path when none was. */
  readonly path: string;
  /** Successful reloads so far; null without a model. */
  readonly generation: number | null;
}

export type ModelReload =
  | { readonly ok: true; readonly model: ModelStatus }
  | { readonly ok: false; readonly reason: 'no-model' | 'failed'; readonly message: string; readonly model: ModelStatus };

export type ParamsChange =
  | { readonly ok: true; readonly before: LiveParams; readonly after: LiveParams }
  | { readonly ok: false; readonly problems: readonly ParamProblem[] };

/** Forecast tallies are read from the core at most this often (off the decision path). */
const SCORES_EVERY_MS = 1_000;

export interface ShutdownReport {
  readonly reason: string;
  /** Orders still open on the venue after the shutdown (0 = clean). */
  readonly openOrders: number;
  readonly elapsedMs: number;
}

export class Daemon {
  readonly risk: RiskManager;
  readonly orders: OrderManager;
  readonly positions = new PositionTracker();
  readonly kill: KillSwitch;
  readonly loops = new Map<string, MarketLoop>();
  readonly startedAtMs: number;
  private readonly deps: DaemonDeps;
  private readonly clock: Clock;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private firstQuoteMs: number | null = null;
  private stopping: Promise<ShutdownReport> | null = null;
  /** Every callback, timer and task of the daemon and its venue runs under it. */
  readonly supervisor: Supervisor;
  /** Markets halted by a fault in their code path: why (latched until a restart). */
  private readonly faulted = new Map<string, Fault>();
  private readonly fillHistory = new FillHistory();
  private readonly trades: TradeObserver;
  /** The strategy and risk sections in force, and a change waiting for the next tick. */
  private live: LiveParams;
  private pendingParams: { readonly params: LiveParams; readonly limits: ReadonlyMap<string, RiskLimits> } | null = null;
  private connectionState: ConnectionState = 'connecting';
  private reconciledAll = false;
  private scoresReadAtMs = Number.NEGATIVE_INFINITY;
  private readonly storage: DaemonStorage | null;
  private readonly leases: MarketLeases | null;

  constructor(unobserved: DaemonDeps) {
    const deps = { ...unobserved, venue: observedVenue(unobserved.venue, unobserved.metrics) };
    this.deps = deps;
    this.live = { strategy: deps.config.strategy, risk: deps.config.risk };
    this.clock = deps.clock ?? systemClock;
    this.startedAtMs = this.clock.nowMs();
    this.log = componentLogger(deps.log, 'engine');
    this.supervisor = deps.supervisor ?? new Supervisor({ log: deps.log, metrics: deps.metrics, clock: this.clock });
    this.supervisor.handle({ onMarketFault: (symbol, fault) => this.haltMarket(symbol, fault), onDaemonFault: (fault) => this.fail(fault) });
    const markets = deps.venue.markets();
    this.risk = new RiskManager(limitsOf(deps.config, markets), this.startedAtMs);
    wireRiskEvents(this.risk, componentLogger(deps.log, 'risk'), deps.metrics);
    this.orders = new OrderManager({
      clock: this.clock, ids: new ClientIdGenerator(newBootId(this.startedAtMs)), positions: this.positions, markets,
      ackTimeoutMs: deps.config.engine.orderTimeoutMs, orphanPolicy: 'cancel',
      events: {
        onAnomaly: (a, symbol, atMs) => {
          deps.metrics.errors.inc({ kind: a.kind });
          if (symbol !== null && isError(a)) this.risk.onError(symbol, a.kind, atMs);
        },
        onStateChange: (change) => this.storage?.onStateChange(change),
        onMissedFill: (fill) => this.storage?.onMissedFill(fill),
      },
    });
    this.leases = this.createLeases(markets.map((m) => m.symbol));
    // A write refused by its fencing token: another daemon took the market; we stop quoting it at once.
    if (this.leases !== null) deps.storage?.redis?.onFenced((symbol, token, current) => this.leases?.fenced(symbol, token, current));
    this.storage = deps.storage === undefined ? null : new DaemonStorage({
      storage: deps.storage, venue: deps.venue, orders: this.orders, positions: this.positions, risk: this.risk, clock: this.clock,
      log: componentLogger(deps.log, 'storage'), metrics: deps.metrics, markets, apply: (event) => this.onOrderEvent(event),
      fillRate: (symbol) => this.trades.fillRate(symbol),
      ...(this.leases === null ? {} : { holds: (symbol: string) => this.leases?.holds(symbol) === true }),
      ...(deps.modelPath === undefined ? {} : { modelPath: deps.modelPath }),
    });
    this.kill = new KillSwitch({
      risk: this.risk, orders: this.orders, venue: deps.venue, clock: this.clock, ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
      sharedAccount: this.leases !== null, // sharded: the account's other orders are other daemons'
    });
    if (deps.notifier !== undefined) this.risk.subscribe(riskNotifications(deps.notifier));
    this.trades = new TradeObserver(deps.metrics, markets);
    for (const market of markets) this.loops.set(market.symbol, this.createLoop(market));
  }

  /**
   * Connects, reconciles with the venue (orders left by a previous run are cancelled), starts
   * quoting every `engine.intervalMs`. With `timer: false` the caller calls `tick()` instead (a
   * manual clock: `flashmm run --speed max`, `flashmm compare`).
   */
  async start(options: { readonly timer?: boolean } = {}): Promise<void> {
    const { venue, config } = this.deps;
    for (const symbol of this.loops.keys()) this.deps.metrics.initMarket(symbol);
    await venue.connect(this.supervisor.listener(this.listener()));
    let reconciled = true;
    // Sharded: each market is restored and reconciled when its lease is taken (onLeaseAcquired).
    for (const symbol of this.leases === null ? this.loops.keys() : []) {
      // With Redis, restart recovery restores the market and reconciles it, retrying until it
      // can: readiness waits for it (reconciled()). Null: no Redis, reconciled here.
      const recovered = await this.storage?.recover(symbol);
      if (recovered === undefined || recovered === null) reconciled = (await this.reconcile(symbol)) && reconciled;
    }
    this.reconciledAll = reconciled;
    if (this.stopping !== null) return; // stopped while starting: no quote timer
    if (options.timer ?? true) this.timer = setInterval(() => void this.tick(), config.engine.intervalMs);
    this.leases?.start();
    this.log.info({ markets: [...this.loops.keys()], venue: venue.name, intervalMs: config.engine.intervalMs }, 'quoting started');
  }

  /** Graceful stop: no new quotes, cancel everything, wait (bounded) until the venue shows none. */
  stop(reason: string): Promise<ShutdownReport> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  /** Redis's health changed (openStorage's onRedisHealth): the storage breaker condition follows it. */
  onStorageHealth(health: StorageHealth): void {
    this.storage?.onHealth(health);
  }

  /** Redis's and the time-series writer's health and each market's recovery; null without storage configured. */
  storageStatus(): StorageStatus | null {
    return this.storage?.status() ?? null;
  }

  /** Sharded: who holds which market's lease (as this daemon last saw it); null when not sharded. */
  shardStatus(): ShardStatus | null {
    return this.leases?.status() ?? null;
  }

  private createLeases(symbols: readonly string[]): MarketLeases | null {
    const shard = this.deps.shard;
    const config = this.deps.config.shard;
    if (shard === undefined || this.deps.storage?.redis == null) return null;
    return new MarketLeases({
      store: shard.store, symbols, owner: shard.owner, ttlMs: config.leaseTtlMs, renewMs: config.renewMs, clock: this.clock,
      log: componentLogger(this.deps.log, 'leases'),
      onAcquired: (symbol, token) => {
        this.orders.resume(symbol); // a market handed back before was pulled (places blocked); the recovery halt holds it meanwhile
        this.supervisor.task({ kind: 'recovery', symbol }, this.storage?.recover(symbol, token) ?? Promise.resolve());
      },
      onLost: (symbol, reason) => this.onLeaseLost(symbol, reason),
    });
  }

  /** The lease is gone (or handed back): halted at once, its orders pulled; its events are no longer ours after. */
  private async onLeaseLost(symbol: string, reason: string): Promise<void> {
    this.storage?.release(symbol, `no market lease: ${reason}`);
    const outcome = await this.kill.pull([symbol]);
    if (outcome.ok) this.log.warn({ symbol, reason }, 'market lease lost: its orders are cancelled');
    else this.log.error({ symbol, reason, outcome }, 'market lease lost: orders remain on the venue');
    // Our journal entries for it land before a hand-back lets another daemon read it (its writer
    // continues from Redis's last seq). Bounded: an unreachable Redis holds nothing back.
    await this.drained(this.deps.config.shard.leaseTtlMs);
  }

  private async drained(boundMs: number): Promise<void> {
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([this.deps.storage?.redis?.drained(), new Promise((resolve) => (bound = setTimeout(resolve, boundMs)))]);
    clearTimeout(bound);
  }

  /** The markets whose orders are this daemon's to cancel and count (sharded: those it holds). */
  private ownSymbols(): string[] {
    return this.leases?.ownedSymbols() ?? [...this.loops.keys()];
  }

  /** Milliseconds from construction to the first order sent, once it happened. */
  startToFirstQuoteMs(): number | null {
    return this.firstQuoteMs;
  }

  /** The venue's own state for the status page (connection, height, counters), null when it keeps none. */
  venueStatus(): unknown {
    return this.deps.venue.status?.() ?? null;
  }

  /** Why `symbol` was halted by a fault, or null. */
  marketFault(symbol: string): Fault | null {
    return this.faulted.get(symbol) ?? null;
  }

  /**
   * A fault in one market's code path (its data, its order events, its decision): that market
   * is halted (latched until a restart) and its orders pulled; the other markets quote on.
   */
  private haltMarket(symbol: string, fault: Fault): void {
    if (!this.loops.has(symbol)) return this.fail(fault); // not one of ours: nothing local to halt
    if (this.stopping !== null || this.faulted.has(symbol)) return; // the shutdown (or the first halt) cancels
    this.faulted.set(symbol, fault);
    this.risk.fault(symbol, `${fault.kind}: ${fault.message}`, this.clock.nowMs());
    this.supervisor.task({ kind: 'halt-cancel' }, this.kill.pull([symbol]).then((outcome) => {
      if (outcome.ok) this.log.warn({ symbol, kind: fault.kind }, 'market halted by a fault: its orders are cancelled');
      else this.log.error({ symbol, kind: fault.kind, outcome }, 'market halted by a fault: orders remain on the venue');
    }));
  }

  /** A daemon-wide fault: the orderly shutdown (through the caller's lifecycle when there is one). */
  private fail(fault: Fault): void {
    if (this.deps.onFatal !== undefined) this.deps.onFatal(fault);
    else void this.stop(`fault: ${fault.kind}`);
  }

  /** P&L marked at the mid, in the quote currency; null without a valid book. */
  private quotePnl(symbol: string, loop: MarketLoop): FormattedPnl | null {
    const top = loop.state.top();
    return top === null ? null : formatPnl(this.positions.pnl(symbol, top.mid2), loop.market);
  }

  /** One market's P&L as exact decimals of the quote currency, marked at the mid; null without a valid book or market. */
  formattedPnl(symbol: string): FormattedPnl | null {
    const loop = this.loops.get(symbol);
    return loop === undefined ? null : this.quotePnl(symbol, loop);
  }

  /**
   * Loads `path` (default: the model the daemon started with) into every market's model; a
   * file that fails leaves every market on its old model (the core checks it completely first).
   */
  reloadModel(path = this.deps.modelPath): ModelReload {
    if (path === undefined) {
      return { ok: false, reason: 'no-model', message: 'this daemon runs without a model (model.enabled, model.path)', model: this.model() };
    }
    const failures: string[] = [];
    for (const [symbol, loop] of this.loops) {
      try {
        loop.state.reloadModel(path);
        this.log.info({ symbol, path, generation: loop.state.modelGeneration }, 'model reloaded');
      } catch (err) {
        this.deps.metrics.errors.inc({ kind: 'model-reload' });
        failures.push(`${symbol}: ${errorMessage(err)}`);
        this.log.error({ symbol, path, err: errorMessage(err) }, 'model reload failed: the old model keeps serving');
      }
    }
    if (failures.length > 0) return { ok: false, reason: 'failed', message: failures.join('; '), model: this.model() };
    return { ok: true, model: this.model() };
  }

  model(): ModelStatus {
    const first = this.loops.values().next().value;
    return {
      enabled: this.deps.modelPath !== undefined, path: this.deps.modelPath ?? this.deps.config.model.path,
      generation: first?.state.modelGeneration ?? null,
    };
  }

  /** The venue connection as last reported. */
  connection(): ConnectionState {
    return this.connectionState;
  }

  /** Every market reconciled with the venue since the last (re)connection, and (with Redis) restored. */
  reconciled(): boolean {
    return this.reconciledAll && (this.storage?.restored() ?? true);
  }

  /**
   * Checks `patch` against the running strategy and risk sections (the config's schema and
   * the live rules, params.ts) and applies it, all of it at once, before the next tick's
   * decisions. A later change before that tick builds on this one.
   */
  applyParams(patch: ParamsPatch): ParamsChange {
    const before = this.params();
    const checked = checkParams(this.deps.config, before, patch, [...this.loops.values()].map((l) => l.market));
    if (!checked.ok) return checked;
    this.pendingParams = { params: checked.params, limits: checked.limits };
    return { ok: true, before, after: checked.params };
  }

  /** The strategy and risk sections: the accepted change waiting for the next tick, else those in force. */
  params(): LiveParams {
    return this.pendingParams?.params ?? this.live;
  }

  private applyPendingParams(nowMs: number): void {
    const pending = this.pendingParams;
    if (pending === null) return;
    this.pendingParams = null;
    const before = this.live;
    this.live = pending.params;
    for (const [symbol, loop] of this.loops) {
      loop.setParams(pending.params.strategy, pending.params.risk.maxPositionLots);
      const limits = pending.limits.get(symbol);
      if (limits !== undefined) this.risk.setLimits(symbol, limits);
      this.risk.onPosition(symbol, this.positions.position(symbol), nowMs);
    }
    this.log.info({ before, after: pending.params }, 'parameters applied');
  }

  /** Recent fills, oldest first, after the fill numbered `after` (the history is bounded: the journal keeps them all). */
  fills(request: FillPageRequest): FillHistoryPage {
    return this.fillHistory.page(request);
  }

  /** Stop quoting one market (a latched manual halt: its orders are pulled, its state kept). */
  pause(symbol: string, detail: string): boolean {
    if (!this.loops.has(symbol)) return false;
    this.risk.manual(symbol, 'halted', detail, this.clock.nowMs());
    return true;
  }

  /** Quote a paused market again (other trips, if any, still hold it). */
  resume(symbol: string): boolean {
    if (!this.loops.has(symbol)) return false;
    this.risk.reset(symbol, 'manual', this.clock.nowMs());
    return true;
  }

  /** Releases the kill switch: quoting resumes where the other breakers allow. */
  async releaseKill(): Promise<ResetResult> {
    const result = await this.kill.reset();
    if (result.ok) {
      this.deps.metrics.setKillSwitch(false);
      this.deps.notifier?.resolve('kill_switch', 'all');
      this.log.warn({}, 'kill switch released');
    }
    return result;
  }

  private createLoop(market: MarketInfo): MarketLoop {
    const { config, metrics, venue } = this.deps;
    const options = {
      ...marketStateOptions(
        config.strategy, this.deps.sequenceRule(market.symbol), config.engine.largeMoveBps, this.deps.modelPath, config.model.warmupSeconds,
      ),
      netOfOwn: venue.publicBookIncludesOwnOrders === true,
    };
    return new MarketLoop({
      market, state: new MarketState(options), strategy: config.strategy,
      maxPositionLots: config.risk.maxPositionLots, risk: this.risk, orders: this.orders, positions: this.positions,
      send: async (batch) => {
        if (this.stopping !== null && batch.places.length > 0) return; // never place while stopping
        await venue.submit(batch);
        this.trades.sent(batch);
        if (this.firstQuoteMs === null && batch.places.length > 0) {
          this.firstQuoteMs = this.clock.nowMs() - this.startedAtMs;
          this.log.info({ startToFirstQuoteMs: this.firstQuoteMs }, 'first quote sent');
        }
      },
      log: componentLogger(this.deps.log, 'quoter', market.symbol), metrics,
      onFault: (err) => this.supervisor.fault({ kind: 'decision', symbol: market.symbol }, err),
      ...(this.deps.onDecision === undefined && this.deps.storage === undefined && !this.log.isLevelEnabled('debug') ? {} : {
        onDecision: (record: DecisionRecord) => {
          const loop = this.loops.get(market.symbol);
          if (loop !== undefined && this.leases?.holds(market.symbol) !== false) this.storage?.afterDecision(loop, record);
          if (loop !== undefined && this.log.isLevelEnabled('debug')) this.log.debug(this.decisionFields(loop, record), 'decision');
          this.deps.onDecision?.(market.symbol, record);
        },
      }),
    });
  }

  /**
   * A decision as the debug log reports it: what it saw (touch in ticks, forecast), what it
   * quoted (half spreads in ticks), the ledger then (lots, exact net P&L), the fill rate and its
   * latency. The time series of the same decision is derived from these (docs/storage.md).
   */
  private decisionFields(loop: MarketLoop, record: DecisionRecord): Record<string, unknown> {
    const top = record.inputs.top;
    const pnl = top === undefined ? null : this.positions.pnl(loop.symbol, top.mid2);
    return {
      symbol: loop.symbol, atMs: record.atMs, bid: top?.bid.price ?? null, ask: top?.ask.price ?? null, mid2: top?.mid2 ?? null,
      halfSpreads: record.decision?.halfSpreads ?? null, lots: pnl?.lots ?? this.positions.position(loop.symbol),
      pnlNet: pnl === null ? null : formatPnl(pnl, loop.market).net, fillRate: this.trades.fillRate(loop.symbol),
      forecast: record.inputs.forecast ?? null, seconds: record.stages.total,
    };
  }

  private listener(): VenueListener {
    return {
      onMarketData: (symbol, batch) => {
        const loop = this.loops.get(symbol);
        if (loop === undefined) return;
        const nowMs = this.clock.nowMs();
        if (loop.onMarketData(batch, nowMs) && this.stopping === null && this.deps.readOnly !== true) {
          this.supervisor.task({ kind: 'decision', symbol }, loop.decide(nowMs, this.clock.nowNs()));
        }
      },
      onOrderEvent: (event) => {
        // Sharded: another daemon's market (the account's reports reach every daemon): not ours to book.
        if (this.leases?.owns(event.type === 'fill' ? event.fill.symbol : event.symbol) === false) return;
        if (this.storage?.onEvent(event) !== true) this.onOrderEvent(event);
      },
      onConnection: (state, reason) => {
        const nowMs = this.clock.nowMs();
        this.log.info({ state, reason }, 'venue connection');
        this.connectionState = state;
        this.risk.onConnection(state, nowMs);
        // Blind while disconnected: no book is current, so no market quotes until the venue sends one again.
        if (state === 'disconnected') for (const loop of this.loops.values()) loop.state.invalidate(`venue disconnected: ${reason ?? 'no reason given'}`);
        if (state !== 'connected') this.reconciledAll = false;
        else this.supervisor.task({ kind: 'reconcile' }, this.reconcileAfterConnect(nowMs));
      },
    };
  }

  private onOrderEvent(event: OrderEvent): void {
    this.orders.onEvent(event);
    if (this.deps.venue.publicBookIncludesOwnOrders === true) {
      const clientId = event.type === 'fill' ? event.fill.clientId : event.clientId;
      const symbol = event.type === 'fill' ? event.fill.symbol : event.symbol;
      this.loops.get(symbol)?.onOwnOrderEvent(event, this.orders.order(clientId));
    }
    if (event.type === 'rejected') this.deps.metrics.ordersRejected.inc({ market: event.symbol, reason: 'venue' });
    if (event.type !== 'fill') return;
    const { fill } = event;
    this.loops.get(fill.symbol)?.onFill(fill, this.clock.nowMs());
    recordFill(this.deps.metrics, fill);
    this.fillHistory.add(fill);
    this.trades.fill(fill);
    const position = this.positions.position(fill.symbol);
    this.risk.onPosition(fill.symbol, position, this.clock.nowMs());
    this.log.info(
      { symbol: fill.symbol, side: fill.side, price: fill.price, size: fill.size, liquidity: fill.liquidity, tsNs: String(fill.tsNs), position },
      'fill',
    );
  }

  /** One quote tick: housekeeping (timeouts, watchdogs), then a decision per market. Never throws. */
  async tick(): Promise<void> {
    try {
      await this.quoteTick();
    } catch (err) {
      this.supervisor.fault({ kind: 'tick' }, err);
    }
  }

  private async quoteTick(): Promise<void> {
    if (this.stopping !== null) return;
    const nowMs = this.clock.nowMs();
    const nowNs = this.clock.nowNs();
    this.applyPendingParams(nowMs);
    const housekeeping = this.orders.tick(nowMs);
    for (const symbol of housekeeping.needsReconcile) await this.reconcile(symbol);
    this.risk.tick(nowMs);
    for (const [symbol, loop] of this.loops) {
      this.deps.metrics.bookStaleness.set({ market: symbol }, Math.min(loop.ageMs(nowMs), 1e9) / 1e3);
      this.deps.metrics.bookValid.set({ market: symbol }, loop.state.status === 'valid' ? 1 : 0);
      if (this.deps.readOnly !== true) await loop.decide(nowMs, nowNs); // marks the ledger at the mid first: the loss limits act on this decision
    }
    if (nowMs - this.scoresReadAtMs >= SCORES_EVERY_MS && this.deps.modelPath !== undefined) {
      this.scoresReadAtMs = nowMs;
      for (const [symbol, loop] of this.loops) this.trades.scores(symbol, loop.state.forecastScores());
    }
  }

  /** After a (re)connection: in-flight orders are uncertain; every market is reconciled before /ready says so. */
  private async reconcileAfterConnect(nowMs: number): Promise<void> {
    const results: Promise<boolean>[] = [];
    for (const symbol of this.loops.keys()) {
      this.orders.markInFlightUncertain(symbol, nowMs);
      results.push(this.reconcile(symbol));
    }
    const ok = (await Promise.all(results)).every(Boolean);
    if (this.connectionState === 'connected') this.reconciledAll = ok;
  }

  /** True when the venue answered and the order manager agrees with it (or restart recovery will make it so). */
  private async reconcile(symbol: string): Promise<boolean> {
    try {
      // Recovery reconciles once it has restored the market; readiness waits for it (reconciled()).
      if (this.storage?.recovering(symbol) === true) return true;
      const venueOrders = await this.deps.venue.openOrders(symbol);
      const report = this.orders.reconcile(symbol, venueOrders, this.clock.nowMs());
      if (report.batch.cancels.length + report.batch.places.length > 0) await this.deps.venue.submit(report.batch);
      if (report.adopted.length + report.phantoms.length + report.revived.length > 0) this.log.warn({ symbol, ...summary(report) }, 'reconciled with the venue');
      return true;
    } catch (err) {
      this.log.error({ symbol, err: errorMessage(err) }, 'reconciliation failed');
      this.deps.metrics.errors.inc({ kind: 'reconcile' });
      return false;
    }
  }

  private async shutdown(reason: string): Promise<ShutdownReport> {
    const t0 = this.clock.nowMs();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.log.info({ reason }, 'shutting down: cancelling every order');
    const { venue, config } = this.deps;
    const open = await this.cancelUntilNone(t0 + config.engine.shutdownTimeoutMs);
    for (const [symbol, loop] of this.loops) {
      const top = loop.state.top();
      const units = top === null ? null : this.positions.pnl(symbol, top.mid2);
      const pnlUnits = units === null ? null : { realised: String(units.realised), unrealised: String(units.unrealised), fees: String(units.fees), net: String(units.net) };
      this.log.info({ symbol, position: this.positions.position(symbol), pnl: this.quotePnl(symbol, loop), pnlUnits, mid2: top?.mid2 ?? null }, 'final state');
    }
    this.storage?.close();
    if (this.leases !== null) {
      // The last journal entries and checkpoints land before another daemon may take the markets.
      await this.drained(config.shard.leaseTtlMs);
      await this.leases.stop();
    }
    try {
      await venue.close();
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'venue close failed');
    }
    const report = { reason, openOrders: open, elapsedMs: this.clock.nowMs() - t0 };
    this.log.info(report, open === 0 ? 'stopped cleanly: no open orders' : 'stopped with open orders');
    return report;
  }

  /**
   * Cancel rounds until the venue shows no order of ours and no place of ours is unanswered (it
   * could still land), or the deadline: a round cancels what the order manager knows, then
   * everything on the venue (cancel-all also catches orders we have no record of), then looks
   * again. A round that fails (the venue refused or timed out) is retried; nothing that
   * happens meanwhile (a signal, a fault) ends the rounds early. Returns the orders left on the
   * venue (-1: it never answered).
   */
  private async cancelUntilNone(deadlineMs: number): Promise<number> {
    let open = -1;
    for (let round = 0; ; round += 1) {
      if (round > 0) await (this.deps.sleep ?? sleep)(20);
      try {
        if (open !== 0) await this.cancelRound();
        open = await this.openOnVenue();
      } catch (err) {
        open = -1;
        this.deps.metrics.errors.inc({ kind: 'shutdown-cancel' });
        this.log.warn({ err: errorMessage(err), round }, 'shutdown: cancel round failed; retrying');
      }
      const unanswered = this.unansweredPlaces();
      if (open === 0 && unanswered.length === 0) return 0;
      if (this.clock.nowMs() >= deadlineMs) {
        if (unanswered.length > 0) this.log.warn({ unanswered }, 'shutdown bound reached with places never answered (not on the venue)');
        return open;
      }
    }
  }

  private async cancelRound(): Promise<void> {
    const nowMs = this.clock.nowMs();
    for (const symbol of this.ownSymbols()) {
      const batch = this.orders.cancelAll(symbol, nowMs);
      if (batch.cancels.length > 0) await this.deps.venue.submit(batch);
    }
    if (this.leases === null) await this.deps.venue.cancelAll();
    else for (const symbol of this.ownSymbols()) await this.kill.sweep(symbol); // our orders only: the account's others are other daemons'
  }

  private async openOnVenue(): Promise<number> {
    let open = 0;
    for (const symbol of this.ownSymbols()) {
      const venueOrders = await this.kill.openOf(symbol);
      this.orders.reconcile(symbol, venueOrders, this.clock.nowMs());
      open += venueOrders.length;
    }
    return open;
  }

  /** Places sent and not yet answered: they may still land on the venue. */
  private unansweredPlaces(): string[] {
    return this.ownSymbols().flatMap((s) => this.orders.liveOrders(s).filter((o) => o.state === 'pending').map((o) => o.clientId));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function limitsOf(config: Config, markets: readonly MarketInfo[]): Record<string, RiskLimits> {
  const out: Record<string, RiskLimits> = {};
  for (const m of markets) {
    const result = riskLimitsFor(config.risk, m);
    if (!result.ok) throw new Error(`risk limits for ${m.symbol}: ${result.error}`);
    out[m.symbol] = result.limits;
  }
  return out;
}

function summary(report: ReconcileReport) {
  return { adopted: report.adopted, phantoms: report.phantoms, revived: report.revived, missedFillLots: report.missedFillLots };
}

export type FormattedPnl = Readonly<Record<'realised' | 'unrealised' | 'fees' | 'net', string>>;

/** One spec per market: formatting a P&L on every status read must not build a native object. */
const SPECS = new WeakMap<MarketInfo, MarketSpec>();

/** P&L in the quote currency as exact decimal strings (the core formats money units). */
function formatPnl(pnl: PnlBreakdown, market: MarketInfo): FormattedPnl {
  let spec = SPECS.get(market);
  if (spec === undefined) SPECS.set(market, (spec = new MarketSpec({ ...market })));
  const f = (m: bigint) => spec.formatMoney(m.toString());
  return { realised: f(pnl.realised), unrealised: f(pnl.unrealised), fees: f(pnl.fees), net: f(pnl.net) };
}
