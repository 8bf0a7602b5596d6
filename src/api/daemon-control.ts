// The ControlPort over today's Daemon (src/engine/daemon.ts), using only what it exposes: its
// status snapshot, the risk manager (manual halt = pause), the kill switch, the order manager's
// live orders, the position tracker and each market loop's book and σ.
//
// What today's engine does not expose answers `unsupported(hook)` (the API's 501) or is listed in
// a market view's `unavailable`; the hooks, for the engine to add:
//   Daemon.applyParams(strategy, risk)   validated patch swapped in atomically at the next tick
//   Daemon.fills(cursor, limit)          the ledger's fill journal, paged
//   Daemon.reloadModel()                 { generation } or the reason the old model is kept
//   Daemon.model()                       path and generation of the serving model
//   MarketLoop.latest().inputs           the decision's A, k, forecast and feature summary
//   Daemon.connection() / reconciled()   the venue's connection state, reconciliation after a reconnect
import { z } from 'zod';
import { configSchema, type Config } from '../config/schema.js';
import type { Daemon } from '../engine/daemon.js';
import type { MarketLoop } from '../engine/market-loop.js';
import { type Clock, systemClock } from '../execution/clock.js';
import { fieldName, issueProblem } from './errors.js';
import type { Level as CoreLevel } from '../native.js';
import {
  type Actor, type Change, type ControlPort, type DaemonStatus, type FillPage, type InvalidParams, type MarketSummary,
  type MarketView, type ModelInfo, type OrderView, type Outcome, type ParamsPatch, type PnlView, type PositionView,
  type Readiness, type StreamFrame, unsupported,
} from './control.js';

/** The fields of Daemon.status() the adapter reads: checked, so a change of shape fails loudly. */
const statusShape = z.object({
  startedAtMs: z.number(),
  startToFirstQuoteMs: z.number().nullable(),
  killed: z.boolean(),
  markets: z.array(z.object({
    symbol: z.string(),
    pnl: z.object({ realised: z.string(), unrealised: z.string(), fees: z.string(), net: z.string() }).nullable(),
  })),
});

/** Not reported by today's engine (see the hooks above). */
const UNAVAILABLE = ['A', 'k', 'prediction', 'features'] as const;

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
  private startedAtMs: number | null = null;
  private seq = 0;

  constructor(deps: DaemonControlDeps) {
    this.daemon = deps.daemon;
    this.config = deps.config;
    this.clock = deps.clock ?? systemClock;
    deps.started.then(() => { this.startedOk = true; }, () => undefined);
  }

  status(): DaemonStatus {
    // Daemon.status() also formats every market's P&L through the core (a native object per
    // market per call): too dear for a route polled hundreds of times a second. The start time
    // never changes, so it is read once.
    this.startedAtMs ??= statusShape.parse(this.daemon.status()).startedAtMs;
    const nowMs = this.clock.nowMs();
    return {
      mode: this.config.env, venue: this.config.venue.kind, startedAtMs: this.startedAtMs,
      uptimeSeconds: Math.max(0, (nowMs - this.startedAtMs) / 1000), startToFirstQuoteMs: this.daemon.startToFirstQuoteMs(),
      killed: this.daemon.risk.isKilled(), markets: this.symbols().map((symbol) => this.summary(symbol)), model: this.model(),
    };
  }

  readiness(): Readiness {
    const loops = [...this.daemon.loops.values()];
    const disconnected = loops.some((l) => this.daemon.risk.trips(l.symbol).some((t) => t.reason === 'disconnect'));
    return {
      booksValid: loops.length > 0 && loops.every((l) => l.state.status === 'valid'),
      // Until the engine reports its connection state: connected since start, unless a market
      // has tripped on a disconnect (which takes risk.disconnectMs to show).
      venueConnected: this.startedOk && !disconnected,
      reconciled: this.startedOk,
    };
  }

  symbols(): readonly string[] {
    return [...this.daemon.loops.keys()];
  }

  market(symbol: string, depth: number): MarketView | null {
    return this.marketView(symbol, depth, this.pnlBySymbol());
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
    const bySymbol = this.pnlBySymbol();
    return this.symbols().map((symbol) => bySymbol.get(symbol) ?? emptyPnl(symbol));
  }

  fills(_page: { readonly cursor?: string; readonly limit: number }): Outcome<FillPage> {
    return unsupported('Daemon.fills(cursor, limit)');
  }

  pause(symbol: string, actor: Actor): Outcome<Change<MarketSummary>> | null {
    if (!this.daemon.loops.has(symbol)) return null;
    const before = this.summary(symbol);
    this.daemon.risk.manual(symbol, 'halted', `paused by ${actor.name} (api)`, this.clock.nowMs());
    return { ok: true, value: { before, after: this.summary(symbol) } };
  }

  resume(symbol: string, _actor: Actor): Outcome<Change<MarketSummary>> | null {
    if (!this.daemon.loops.has(symbol)) return null;
    const before = this.summary(symbol);
    this.daemon.risk.reset(symbol, 'manual', this.clock.nowMs());
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
    await this.daemon.kill.reset();
    return { ok: true, value: { before, after: { killed: this.daemon.risk.isKilled() } } };
  }

  params(): { readonly strategy: unknown; readonly risk: unknown } {
    return { strategy: this.config.strategy, risk: this.config.risk };
  }

  setParams(patch: ParamsPatch, _actor: Actor): Outcome<Change<{ strategy: unknown; risk: unknown }>> | InvalidParams {
    const checked = validateParams(this.config, patch);
    if (!checked.ok) return checked;
    return unsupported('Daemon.applyParams(strategy, risk)');
  }

  async reloadModel(_actor: Actor): Promise<Outcome<Change<ModelInfo>>> {
    return unsupported('Daemon.reloadModel()');
  }

  frame(depth: number): StreamFrame {
    const pnl = this.pnlBySymbol();
    const markets = this.symbols().map((s) => this.marketView(s, depth, pnl)).filter((m): m is MarketView => m !== null);
    this.seq += 1;
    return { seq: this.seq, atMs: this.clock.nowMs(), killed: this.daemon.risk.isKilled(), markets };
  }

  private model(): ModelInfo {
    return { enabled: this.config.model.enabled, path: this.config.model.path, generation: null };
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
  private pnlBySymbol(): Map<string, PnlView> {
    const s = statusShape.parse(this.daemon.status());
    return new Map(s.markets.map((m) => [m.symbol, m.pnl === null ? emptyPnl(m.symbol) : { symbol: m.symbol, ...m.pnl }]));
  }

  private marketView(symbol: string, depth: number, pnl: Map<string, PnlView>): MarketView | null {
    const loop = this.daemon.loops.get(symbol);
    if (loop === undefined) return null;
    const summary = this.summary(symbol);
    const valid = loop.state.status === 'valid';
    const top = loop.state.top();
    const age = loop.ageMs(this.clock.nowMs());
    const sigma = loop.volatilityEstimate();
    return {
      symbol, tickSize: summary.tickSize, lotSize: summary.lotSize, risk: summary.risk, reasons: summary.reasons,
      book: {
        valid, bid: top?.bid ?? null, ask: top?.ask ?? null, mid: top?.mid ?? null,
        // Depth needs MarketState.topLevels (phase 2); the top is exact meanwhile.
        bids: valid && top !== null && depth > 0 ? levels([top.bid]) : [],
        asks: valid && top !== null && depth > 0 ? levels([top.ask]) : [],
        ageMs: Number.isFinite(age) ? age : null,
      },
      quotes: this.orders(symbol), position: this.position(symbol), pnl: pnl.get(symbol) ?? emptyPnl(symbol),
      sigma: Number.isFinite(sigma) ? sigma : null, A: null, k: null, prediction: null, features: null,
      unavailable: UNAVAILABLE,
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

function emptyPnl(symbol: string): PnlView {
  return { symbol, realised: null, unrealised: null, fees: null, net: null };
}

/**
 * `patch` merged into the running config's strategy and risk sections and parsed by the config's
 * own schema: the same rules as at start-up. A key the schema does not know is refused too (the
 * strategy schema strips unknown keys silently, which would make a typo look applied).
 */
export function validateParams(config: Config, patch: ParamsPatch): { ok: true; config: Config } | InvalidParams {
  const problems: { field: string; message: string }[] = [];
  const candidate = {
    ...config,
    strategy: deepMerge(config.strategy, patch.strategy ?? {}),
    risk: deepMerge(config.risk, patch.risk ?? {}),
  };
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(issueProblem(issue));
    return { ok: false, code: 'invalid_params', problems };
  }
  for (const [section, value] of Object.entries(patch)) {
    for (const path of unknownKeys(value, (parsed.data as Record<string, unknown>)[section], [section])) {
      problems.push({ field: fieldName(path), message: 'unknown parameter' });
    }
  }
  return problems.length > 0 ? { ok: false, code: 'invalid_params', problems } : { ok: true, config: parsed.data };
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; lists and scalars replace (the config loader's rule). */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlain(base) || !isPlain(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

function unknownKeys(patch: unknown, parsed: unknown, at: string[]): string[][] {
  if (!isPlain(patch)) return [];
  if (!isPlain(parsed)) return [at];
  return Object.entries(patch).flatMap(([k, v]) => (k in parsed ? unknownKeys(v, parsed[k], [...at, k]) : [[...at, k]]));
}
