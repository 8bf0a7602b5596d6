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
import type { MarketInfo } from '../market/types.js';
import { KillSwitch } from '../risk/kill-switch.js';
import { type RiskLimits, riskLimitsFor } from '../risk/limits.js';
import { RiskManager } from '../risk/risk-manager.js';
import type { Config } from '../config/schema.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { OrderEvent, Venue, VenueListener } from '../venues/venue.js';
import { type DecisionRecord, MarketLoop, marketStateOptions } from './market-loop.js';
import { recordFill, wireRiskEvents } from './observe.js';

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
}

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
  private readonly clock: Clock;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAtMs: number;
  private firstQuoteMs: number | null = null;
  private stopping: Promise<ShutdownReport> | null = null;

  constructor(private readonly deps: DaemonDeps) {
    this.clock = deps.clock ?? systemClock;
    this.startedAtMs = this.clock.nowMs();
    this.log = componentLogger(deps.log, 'engine');
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
      },
    });
    this.kill = new KillSwitch({ risk: this.risk, orders: this.orders, venue: deps.venue, clock: this.clock });
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
    await venue.connect(this.listener());
    for (const symbol of this.loops.keys()) await this.reconcile(symbol);
    if (options.timer ?? true) this.timer = setInterval(() => void this.tick(), config.engine.intervalMs);
    this.log.info({ markets: [...this.loops.keys()], venue: venue.name, intervalMs: config.engine.intervalMs }, 'quoting started');
  }

  /** Graceful stop: no new quotes, cancel everything, wait (bounded) until the venue shows none. */
  stop(reason: string): Promise<ShutdownReport> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  /** Milliseconds from construction to the first order sent, once it happened. */
  startToFirstQuoteMs(): number | null {
    return this.firstQuoteMs;
  }

  /** A snapshot for the API's /status: per market risk state, position, P&L, orders, touch. */
  status(): unknown {
    const markets = [...this.loops].map(([symbol, loop]) => {
      const top = loop.state.top();
      return {
        symbol, risk: this.risk.state(symbol), position: this.positions.position(symbol),
        pnl: this.quotePnl(symbol, loop), openOrders: this.orders.openOrders(symbol), bid: top?.bid ?? null, ask: top?.ask ?? null,
      };
    });
    return { startedAtMs: this.startedAtMs, startToFirstQuoteMs: this.firstQuoteMs, killed: this.risk.isKilled(), markets };
  }

  /** P&L marked at the mid, in the quote currency; null without a valid book. */
  private quotePnl(symbol: string, loop: MarketLoop): ReturnType<typeof formatPnl> | null {
    const top = loop.state.top();
    return top === null ? null : formatPnl(this.positions.pnl(symbol, top.mid2), loop.market);
  }

  /** Loads `path` into every market's model; a file that fails leaves that market on its old model. */
  reloadModel(path: string): void {
    for (const [symbol, loop] of this.loops) {
      try {
        loop.state.reloadModel(path);
        this.log.info({ symbol, path, generation: loop.state.modelGeneration }, 'model reloaded');
      } catch (err) {
        this.log.error({ symbol, path, err: errorMessage(err) }, 'model reload failed: the old model keeps serving');
      }
    }
  }

  private createLoop(market: MarketInfo): MarketLoop {
    const { config, metrics, venue } = this.deps;
    const options = {
      ...marketStateOptions(config.strategy, this.deps.sequenceRule(market.symbol), config.engine.largeMoveBps, this.deps.modelPath),
      netOfOwn: venue.publicBookIncludesOwnOrders === true,
    };
    return new MarketLoop({
      market, state: new MarketState(options), strategy: config.strategy,
      maxPositionLots: config.risk.maxPositionLots, risk: this.risk, orders: this.orders, positions: this.positions,
      send: async (batch) => {
        if (this.stopping !== null && batch.places.length > 0) return; // never place while stopping
        await venue.submit(batch);
        if (this.firstQuoteMs === null && batch.places.length > 0) {
          this.firstQuoteMs = this.clock.nowMs() - this.startedAtMs;
          this.log.info({ startToFirstQuoteMs: this.firstQuoteMs }, 'first quote sent');
        }
      },
      log: componentLogger(this.deps.log, 'quoter', market.symbol), metrics,
      ...(this.deps.onDecision === undefined ? {} : { onDecision: (record: DecisionRecord) => this.deps.onDecision?.(market.symbol, record) }),
    });
  }

  private listener(): VenueListener {
    return {
      onMarketData: (symbol, batch) => {
        const loop = this.loops.get(symbol);
        if (loop === undefined) return;
        const nowMs = this.clock.nowMs();
        if (loop.onMarketData(batch, nowMs) && this.stopping === null) void loop.decide(nowMs, this.clock.nowNs());
      },
      onOrderEvent: (event) => this.onOrderEvent(event),
      onConnection: (state, reason) => {
        const nowMs = this.clock.nowMs();
        this.log.info({ state, reason }, 'venue connection');
        this.risk.onConnection(state, nowMs);
        if (state === 'connected') {
          for (const symbol of this.loops.keys()) {
            this.orders.markInFlightUncertain(symbol, nowMs);
            void this.reconcile(symbol);
          }
        }
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
    recordFill(this.deps.metrics, fill);
    const position = this.positions.position(fill.symbol);
    this.risk.onPosition(fill.symbol, position, this.clock.nowMs());
    this.log.info(
      { symbol: fill.symbol, side: fill.side, price: fill.price, size: fill.size, liquidity: fill.liquidity, tsNs: String(fill.tsNs), position },
      'fill',
    );
  }

  /** One quote tick: housekeeping (timeouts, watchdogs), then a decision per market. */
  async tick(): Promise<void> {
    if (this.stopping !== null) return;
    const nowMs = this.clock.nowMs();
    const nowNs = this.clock.nowNs();
    const housekeeping = this.orders.tick(nowMs);
    for (const symbol of housekeeping.needsReconcile) await this.reconcile(symbol);
    this.risk.tick(nowMs);
    for (const [symbol, loop] of this.loops) {
      this.deps.metrics.bookStaleness.set({ market: symbol }, Math.min(loop.ageMs(nowMs), 1e9) / 1e3);
      await loop.decide(nowMs, nowNs); // marks the ledger at the mid first: the loss limits act on this decision
    }
  }

  private async reconcile(symbol: string): Promise<void> {
    try {
      const venueOrders = await this.deps.venue.openOrders(symbol);
      const report = this.orders.reconcile(symbol, venueOrders, this.clock.nowMs());
      if (report.batch.cancels.length + report.batch.places.length > 0) await this.deps.venue.submit(report.batch);
      if (report.adopted.length + report.phantoms.length + report.revived.length > 0) this.log.warn({ symbol, ...summary(report) }, 'reconciled with the venue');
    } catch (err) {
      this.log.error({ symbol, err: errorMessage(err) }, 'reconciliation failed');
      this.deps.metrics.errors.inc({ kind: 'reconcile' });
    }
  }

  private async shutdown(reason: string): Promise<ShutdownReport> {
    const t0 = this.clock.nowMs();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.log.info({ reason }, 'shutting down: cancelling every order');
    const { venue, config } = this.deps;
    const deadline = t0 + config.engine.shutdownTimeoutMs;
    let open = 0;
    try {
      for (const symbol of this.loops.keys()) {
        const batch = this.orders.cancelAll(symbol, t0);
        if (batch.cancels.length > 0) await venue.submit(batch);
      }
      await venue.cancelAll();
      open = await this.waitForNoOpenOrders(deadline);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'shutdown cancel failed');
      open = -1;
    }
    for (const [symbol, loop] of this.loops) {
      const top = loop.state.top();
      const units = top === null ? null : this.positions.pnl(symbol, top.mid2);
      const pnlUnits = units === null ? null : { realised: String(units.realised), unrealised: String(units.unrealised), fees: String(units.fees), net: String(units.net) };
      this.log.info({ symbol, position: this.positions.position(symbol), pnl: this.quotePnl(symbol, loop), pnlUnits }, 'final state');
    }
    await venue.close();
    const report = { reason, openOrders: open, elapsedMs: this.clock.nowMs() - t0 };
    this.log.info(report, open === 0 ? 'stopped cleanly: no open orders' : 'stopped with open orders');
    return report;
  }

  private async waitForNoOpenOrders(deadlineMs: number): Promise<number> {
    for (;;) {
      let open = 0;
      for (const symbol of this.loops.keys()) {
        const venueOrders = await this.deps.venue.openOrders(symbol);
        this.orders.reconcile(symbol, venueOrders, this.clock.nowMs());
        open += venueOrders.length;
      }
      if (open === 0 || this.clock.nowMs() >= deadlineMs) return open;
      await (this.deps.sleep ?? sleep)(20);
    }
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

/** P&L in the quote currency as exact decimal strings (the core formats money units). */
function formatPnl(pnl: PnlBreakdown, market: MarketInfo): Record<'realised' | 'unrealised' | 'fees' | 'net', string> {
  const spec = new MarketSpec({ ...market });
  const f = (m: bigint) => spec.formatMoney(m.toString());
  return { realised: f(pnl.realised), unrealised: f(pnl.unrealised), fees: f(pnl.fees), net: f(pnl.net) };
}
