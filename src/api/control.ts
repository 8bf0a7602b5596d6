// The control plane's port onto the daemon: everything the API, the stream and the web page
// read or change goes through this interface, so the HTTP layer never reaches into the engine.
// Prices are integer ticks and sizes integer lots of the market's spec (its tickSize and lotSize
// say how to print them); money is the core's exact decimal string in the quote currency.
//
// An engine that cannot yet do something returns `Unsupported` with the hook it lacks; the API
// answers 501 with code `not_implemented` (see daemon-control.ts for the hooks of today's Daemon).
import type { PriceLevel as Level, Side } from '../market/types.js';
import type { BreakerState } from '../risk/events.js';
import type { StorageStatus } from '../storage/open.js';
import type { VenueOrder } from '../venues/venue.js';
import type { ApiRole } from './config.js';

export interface Unsupported {
  readonly ok: false;
  readonly code: 'not_implemented';
  /** The engine hook this needs, e.g. `Daemon.applyParams(patch)`. */
  readonly hook: string;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | Unsupported;

/** An action the daemon refused: `conflict` (not possible in this state, e.g. no model), `failed` (tried, nothing changed). */
export interface Refused {
  readonly ok: false;
  readonly code: 'conflict' | 'failed';
  readonly message: string;
}

export function unsupported(hook: string): Unsupported {
  return { ok: false, code: 'not_implemented', hook };
}

export interface MarketSummary {
  readonly symbol: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly risk: BreakerState;
  /** Why the market is not active (its breaker's trips), e.g. 'manual', 'stale-book'. */
  readonly reasons: readonly string[];
  readonly paused: boolean;
}

export interface ModelInfo {
  readonly enabled: boolean;
  readonly path: string;
  /** Successful reloads so far; null while the engine does not report it. */
  readonly generation: number | null;
}

export interface DaemonStatus {
  readonly mode: string;
  readonly venue: string;
  readonly startedAtMs: number;
  readonly uptimeSeconds: number;
  readonly startToFirstQuoteMs: number | null;
  readonly killed: boolean;
  readonly markets: readonly MarketSummary[];
  readonly model: ModelInfo;
  /** The venue's own state (Sei: node, height, counters); null when it keeps none. */
  readonly venueState: Readonly<Record<string, unknown>> | null;
  /** Sharded (`--shard`): this daemon's lease owner name and who holds each market's lease; null when not sharded. */
  readonly shard?: {
    readonly owner: string;
    readonly leaseTtlMs: number;
    readonly markets: Readonly<Record<string, { readonly holder: string | null; readonly fence: number | null; readonly mine: boolean }>>;
  } | null;
  /** Redis and the time-series writer (connected, buffered, dropped, last error; each null when not configured) and each market's restart recovery. */
  readonly storage?: StorageStatus | null;
}

export interface Readiness {
  /** Every enabled market's book is valid. */
  readonly booksValid: boolean;
  readonly venueConnected: boolean;
  /** The start-up reconciliation with the venue has finished. */
  readonly reconciled: boolean;
}

/** One order as the venue reports it (ticks, lots), plus our order state machine's view of it. */
export interface OrderView extends VenueOrder {
  readonly state: string;
  /** Quote level it serves (0 = touch), -1 when adopted from the venue. */
  readonly level: number;
}

export interface PnlView {
  readonly symbol: string;
  /** Null without a valid book to mark at. */
  readonly realised: string | null;
  readonly unrealised: string | null;
  readonly fees: string | null;
  readonly net: string | null;
}

export interface PositionView {
  readonly symbol: string;
  readonly lots: number;
  /** Average entry in ticks; null when flat. */
  readonly averageEntryTicks: number | null;
  readonly volumeLots: number;
}

export interface Prediction {
  /** [down, flat, up] per horizon, shortest first. */
  readonly probs: readonly (readonly number[])[];
  /** The shortest horizon's confidence (the one the quotes act on), 0–1. */
  readonly confidence: number;
}

/** One horizon's forecasts scored against what the mid did (the core's label rule). */
export interface ForecastScoreView {
  readonly horizonMs: number;
  readonly forecasts: number;
  readonly correct: number;
  readonly wrong: number;
  /** No label at this horizon (the book invalid within it). */
  readonly unscored: number;
  /** Share right of the last scored forecasts (up to 500); null before any. */
  readonly accuracy: number | null;
}

export interface MarketView {
  readonly symbol: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly risk: BreakerState;
  readonly reasons: readonly string[];
  readonly book: {
    readonly valid: boolean;
    readonly bid: Level | null;
    readonly ask: Level | null;
    readonly mid: number | null;
    readonly bids: readonly Level[];
    readonly asks: readonly Level[];
    /** Milliseconds since the venue last sent data for this market. */
    readonly ageMs: number | null;
  };
  readonly quotes: readonly OrderView[];
  readonly position: PositionView;
  readonly pnl: PnlView;
  /** σ of the mid, ticks/√s. */
  readonly sigma: number | null;
  /** Order-arrival intensity λ(δ) = A·e^(−kδ): A in 1/s, k in 1/tick. */
  readonly A: number | null;
  readonly k: number | null;
  readonly prediction: Prediction | null;
  /** Per horizon of the model; empty without one. */
  readonly scores: readonly ForecastScoreView[];
  /** A few named features of the latest window. */
  readonly features: Readonly<Record<string, number>> | null;
  /** Fields this engine cannot report yet (null above for that reason, not for lack of data). */
  readonly unavailable: readonly string[];
}

export interface FillView {
  /** Opaque, increasing: pass the last one as `cursor` to get the next page. */
  readonly id: string;
  readonly symbol: string;
  readonly clientId: string;
  readonly side: Side;
  readonly price: number;
  readonly size: number;
  readonly fee: string;
  readonly liquidity: 'maker' | 'taker';
  readonly tsNs: string;
}

export interface FillPage {
  readonly fills: readonly FillView[];
  /** Null when there are no more. */
  readonly nextCursor: string | null;
}

/** One frame of the state stream: what the page draws. */
export interface StreamFrame {
  readonly seq: number;
  readonly atMs: number;
  readonly killed: boolean;
  readonly markets: readonly MarketView[];
}

/** Who asked for an admin action: the token's name and role (never the token). */
export interface Actor {
  readonly name: string;
  readonly role: ApiRole | 'anonymous';
}

/** An admin action's effect, for the response and the audit log. */
export interface Change<T = unknown> {
  readonly before: T;
  readonly after: T;
}

export type ParamsPatch = { readonly strategy?: Record<string, unknown>; readonly risk?: Record<string, unknown> };

/** A parameter change that failed validation: each problem names its field (`strategy.glft.gamma`). */
export interface InvalidParams {
  readonly ok: false;
  readonly code: 'invalid_params';
  readonly problems: readonly { readonly field: string; readonly message: string }[];
}

export interface ControlPort {
  status(): DaemonStatus;
  readiness(): Readiness;
  symbols(): readonly string[];
  /** Null for an unknown symbol. `depth` levels per side. */
  market(symbol: string, depth: number): MarketView | null;
  positions(): readonly PositionView[];
  orders(symbol?: string): readonly OrderView[];
  pnl(): readonly PnlView[];
  fills(page: { readonly cursor?: string; readonly limit: number }): Outcome<FillPage>;

  /** Stop quoting one market (its orders are pulled), keeping its state; null for an unknown symbol. */
  pause(symbol: string, actor: Actor): Outcome<Change<MarketSummary>> | null;
  resume(symbol: string, actor: Actor): Outcome<Change<MarketSummary>> | null;
  /** Cancel everything and halt every market; resolves once the venue shows no open orders (or gives up). */
  kill(actor: Actor): Promise<Outcome<Change<{ killed: boolean }> & { settled: boolean; detail: string }>>;
  release(actor: Actor): Promise<Outcome<Change<{ killed: boolean }>>>;
  /** Current live-changeable parameters (the config's strategy and risk sections). */
  params(): { readonly strategy: unknown; readonly risk: unknown };
  /** Validates `patch` against the config schema, then applies it atomically at the next tick. */
  setParams(patch: ParamsPatch, actor: Actor): Outcome<Change<{ strategy: unknown; risk: unknown }>> | InvalidParams;
  reloadModel(actor: Actor): Promise<Outcome<Change<ModelInfo>> | Refused>;

  /** The stream's frame source: called at most at the stream's rate while a client listens. */
  frame(depth: number): StreamFrame;
}
