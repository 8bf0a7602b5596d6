// The ControlPort over the engine's Daemon (src/engine/daemon.ts): its status, readiness
// (connection, reconciliation), the risk manager's states, pause/resume, the kill switch, the
// order manager's live orders, the position tracker and P&L, the fill history, live parameter
// changes, the model and each market's book, σ, A/k, forecast, its scores and features.
import type { Config } from '../config/schema.js';
import type { Daemon } from '../engine/daemon.js';
import type { MarketLoop } from '../engine/market-loop.js';
import { type Clock, systemClock } from '../execution/clock.js';
import { MarketSpec, type Level as CoreLevel } from '../native.js';
import type { Fill } from '../venues/venue.js';
import { fieldName } from './errors.js';
import type {
  Actor, Change, ControlPort, DaemonStatus, FillPage, FillView, InvalidParams, MarketSummary, MarketView, ModelInfo,
  OrderView, Outcome, ParamsPatch, PnlView, PositionView, Readiness, Refused, StreamFrame,
} from './control.js';

export interface DaemonControlDeps {
  readonly daemon: Daemon;
  readonly config: Config;
  /** Resolves when `daemon.start()` has: connected, reconciled every market, started quoting. */
  readonly started: Promise<void>;
  readonly clock?: Clock;
}

export class DaemonControl implements ControlPort {
  private readonly daemon: Daemon;
  private readonly config: Config;
  private readonly clock: Clock;
  private startedOk = false;
  private seq = 0;
  /** Formats fees; one per market, built on first use. */
  private readonly specs = new Map<string, MarketSpec>();

  constructor(deps: DaemonControlDeps) {
    this.daemon = deps.daemon;
    this.config = deps.config;
    this.clock = deps.clock ?? systemClock;
    deps.started.then(() => { this.startedOk = true; }, () => undefined);
  }

  status(): DaemonStatus {
    const startedAtMs = this.daemon.startedAtMs;
    return {
      mode: this.config.env, venue: this.config.venue.kind, startedAtMs,
      uptimeSeconds: Math.max(0, (this.clock.nowMs() - startedAtMs) / 1000), startToFirstQuoteMs: this.daemon.startToFirstQuoteMs(),
      killed: this.daemon.risk.isKilled(), markets: this.symbols().map((symbol) => this.summary(symbol)), model: this.daemon.model(),
      venueState: this.daemon.venueStatus() as DaemonStatus['venueState'], shard: this.daemon.shardStatus(),
      storage: this.daemon.storageStatus(),
    };
  }

  readiness(): Readiness {
    const loops = [...this.daemon.loops.values()];
    return {
      booksValid: loops.length > 0 && loops.every((l) => l.state.status === 'valid'),
      venueConnected: this.startedOk && this.daemon.connection() === 'connected',
      reconciled: this.startedOk && this.daemon.reconciled(),
    };
  }

  symbols(): readonly string[] {
    return [...this.daemon.loops.keys()];
  }

  market(symbol: string, depth: number): MarketView | null {
    return this.marketView(symbol, depth);
  }

  positions(): readonly PositionView[] {
    return this.symbols().map((symbol) => this.position(symbol));
  }

  orders(symbol?: string): readonly OrderView[] {
    const symbols = symbol === undefined ? this.symbols() : [symbol];
    return symbols.flatMap((s) => this.daemon.orders.liveOrders(s).map((o) => ({
      clientId: o.clientId, symbol: o.symbol, side: o.side, price: o.price, size: o.size, filled: o.filled, state: o.state, level: o.level,
    })));
  }

  pnl(): readonly PnlView[] {
    return this.symbols().map((symbol) => this.pnlView(symbol));
  }

  fills(page: { readonly cursor?: string; readonly limit: number }): Outcome<FillPage> {
    const { fills, more } = this.daemon.fills({ limit: page.limit, ...(page.cursor === undefined ? {} : { after: Number(page.cursor) }) });
    const views = fills.map(({ seq, fill }) => this.fillView(seq, fill));
    return { ok: true, value: { fills: views, nextCursor: more ? (views.at(-1)?.id ?? null) : null } };
  }

  pause(symbol: string, actor: Actor): Outcome<Change<MarketSummary>> | null {
    if (!this.daemon.loops.has(symbol)) return null;
    const before = this.summary(symbol);
    this.daemon.pause(symbol, `paused by ${actor.name} (api)`);
    return { ok: true, value: { before, after: this.summary(symbol) } };
  }

  resume(symbol: string, _actor: Actor): Outcome<Change<MarketSummary>> | null {
    if (!this.daemon.loops.has(symbol)) return null;
    const before = this.summary(symbol);
    this.daemon.resume(symbol);
    return { ok: true, value: { before, after: this.summary(symbol) } };
  }

  async kill(actor: Actor): Promise<Outcome<Change<{ killed: boolean }> & { settled: boolean; detail: string }>> {
    const before = { killed: this.daemon.risk.isKilled() };
    const outcome = await this.daemon.kill.engage(`api: ${actor.name}`);
    const detail = outcome.ok ? `venue shows no open orders after ${outcome.rounds} round(s)` : `orders left: ${JSON.stringify(outcome.remaining)}`;
    return { ok: true, value: { before, after: { killed: this.daemon.risk.isKilled() }, settled: outcome.ok, detail } };
  }

  async release(_actor: Actor): Promise<Outcome<Change<{ killed: boolean }>>> {
    const before = { killed: this.daemon.risk.isKilled() };
    await this.daemon.releaseKill();
    return { ok: true, value: { before, after: { killed: this.daemon.risk.isKilled() } } };
  }

  params(): { readonly strategy: unknown; readonly risk: unknown } {
    return this.daemon.params();
  }

  setParams(patch: ParamsPatch, _actor: Actor): Outcome<Change<{ strategy: unknown; risk: unknown }>> | InvalidParams {
    const change = this.daemon.applyParams(patch);
    if (!change.ok) {
      return { ok: false, code: 'invalid_params', problems: change.problems.map((p) => ({ field: fieldName(p.path), message: p.message })) };
    }
    return { ok: true, value: { before: change.before, after: change.after } };
  }

  async reloadModel(_actor: Actor): Promise<Outcome<Change<ModelInfo>> | Refused> {
    const before = this.daemon.model();
    const result = this.daemon.reloadModel();
    if (!result.ok) return { ok: false, code: result.reason === 'no-model' ? 'conflict' : 'failed', message: result.message };
    return { ok: true, value: { before, after: result.model } };
  }

  frame(depth: number): StreamFrame {
    const atMs = this.clock.nowMs();
    const markets = this.symbols().map((s) => this.marketView(s, depth)).filter((m): m is MarketView => m !== null);
    this.seq += 1;
    return { seq: this.seq, atMs, killed: this.daemon.risk.isKilled(), markets };
  }

  private summary(symbol: string): MarketSummary {
    const loop = this.loop(symbol);
    const trips = this.daemon.risk.trips(symbol);
    return {
      symbol, tickSize: loop.market.tickSize, lotSize: loop.market.lotSize, risk: this.daemon.risk.state(symbol),
      reasons: trips.map((t) => t.reason), paused: trips.some((t) => t.reason === 'manual'),
    };
  }

  private position(symbol: string): PositionView {
    const p = this.daemon.positions;
    return { symbol, lots: p.position(symbol), averageEntryTicks: p.averageEntryTicks(symbol), volumeLots: p.snapshot(symbol).volumeLots };
  }

  /** P&L as the daemon formats it (exact decimals of the quote currency, marked at the mid). */
  private pnlView(symbol: string): PnlView {
    const pnl = this.daemon.formattedPnl(symbol);
    return pnl === null ? { symbol, realised: null, unrealised: null, fees: null, net: null } : { symbol, ...pnl };
  }

  private fillView(seq: number, fill: Fill): FillView {
    let spec = this.specs.get(fill.symbol);
    if (spec === undefined) this.specs.set(fill.symbol, (spec = new MarketSpec({ ...this.loop(fill.symbol).market })));
    return {
      id: String(seq), symbol: fill.symbol, clientId: fill.clientId, side: fill.side, price: fill.price, size: fill.size,
      fee: spec.formatMoney(fill.fee.toString()), liquidity: fill.liquidity, tsNs: fill.tsNs.toString(),
    };
  }

  private marketView(symbol: string, depth: number): MarketView | null {
    const loop = this.daemon.loops.get(symbol);
    if (loop === undefined) return null;
    const summary = this.summary(symbol);
    const { state } = loop;
    const top = state.top();
    const age = loop.ageMs(this.clock.nowMs());
    const sigma = loop.volatilityEstimate();
    const intensity = loop.latest()?.inputs.intensity;
    const prediction = state.lastPrediction();
    const features = state.featureSummary();
    return {
      symbol, tickSize: summary.tickSize, lotSize: summary.lotSize, risk: summary.risk, reasons: summary.reasons,
      book: {
        valid: state.status === 'valid', bid: top?.bid ?? null, ask: top?.ask ?? null, mid: top?.mid ?? null,
        bids: levels(state.topLevels('buy', depth)), asks: levels(state.topLevels('sell', depth)),
        ageMs: Number.isFinite(age) ? age : null,
      },
      quotes: this.orders(symbol), position: this.position(symbol), pnl: this.pnlView(symbol),
      sigma: Number.isFinite(sigma) ? sigma : null, A: intensity?.A ?? null, k: intensity?.k ?? null,
      prediction: prediction === null ? null : { probs: prediction.probs, confidence: prediction.confidence[0] ?? 0 },
      scores: state.forecastScores().map((s) => ({
        horizonMs: s.horizonMs, forecasts: s.forecasts, correct: s.correct, wrong: s.wrong, unscored: s.unscored, accuracy: s.accuracy ?? null,
      })),
      features: features === null ? null : Object.fromEntries(features.map((f) => [f.name, f.value])),
      unavailable: [],
    };
  }

  private loop(symbol: string): MarketLoop {
    const loop = this.daemon.loops.get(symbol);
    if (loop === undefined) throw new Error(`unknown market ${symbol}`);
    return loop;
  }
}

function levels(xs: readonly CoreLevel[]): { price: number; size: number }[] {
  return xs.map((l) => ({ price: l.price, size: l.size }));
}
