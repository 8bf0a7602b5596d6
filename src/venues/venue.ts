// The one Venue interface, venue-neutral: the embedded `sim` venue
// (venues/sim/: the core's simulated exchange, fed by the market generator or by a recording) is
// the adapter in this tree; an on-chain order book (Sei's dex module, or an EVM order-book
// venue) plugs in behind the same calls. Orders are identified by our client order id; the
// venue's own id, if any, is carried alongside. Requests are batched: one call carries every
// cancel and place of a decision, and their outcomes arrive later as `OrderEvent`s (never as
// return values), because on a real venue acceptance, fills and cancels are asynchronous.
import type { EventBatch } from '../native.js';
import type { MarketInfo, Side } from '../market/types.js';

export interface PlaceRequest {
  readonly clientId: string;
  readonly symbol: string;
  readonly side: Side;
  /** Limit price in ticks. */
  readonly price: number;
  /** Size in lots. */
  readonly size: number;
  /** Rejected instead of taking liquidity. */
  readonly postOnly: boolean;
}

export interface CancelRequest {
  readonly clientId: string;
  readonly symbol: string;
}

export interface OrderBatch {
  readonly cancels: readonly CancelRequest[];
  readonly places: readonly PlaceRequest[];
}

/** One of our orders as the venue reports it. */
export interface VenueOrder {
  readonly clientId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: number;
  /** Original size in lots. */
  readonly size: number;
  /** Lots filled so far. */
  readonly filled: number;
}

export interface Fill {
  readonly clientId: string;
  readonly symbol: string;
  readonly side: Side;
  /** Execution price in ticks; a half tick (11000.5) where the venue settles at a midpoint (Sei). */
  readonly price: number;
  readonly size: number;
  /** Fee in money units (tick × lot × 1e-6); negative = rebate. */
  readonly fee: bigint;
  readonly liquidity: 'maker' | 'taker';
  /** Lots of the order still open after this fill. */
  readonly leaves: number;
  readonly tsNs: bigint;
  /**
   * The venue's id of this fill, stable across re-deliveries (the journal's idempotency key with
   * the client id); absent where the venue has none (then: the order's cumulative filled lots).
   */
  readonly fillId?: string;
}

/** A fill as a venue reports it afterwards (its history): always with its id. */
export interface VenueFill extends Fill {
  readonly fillId: string;
}

/** Our account on one market at one instant (restart recovery compares the journal with it). */
export interface VenueAccount {
  readonly orders: readonly VenueOrder[];
  /** Our fills since the time asked for, oldest first. */
  readonly fills: readonly VenueFill[];
  /** False when older fills were asked for than the venue still keeps. */
  readonly complete: boolean;
  /** Our position as the venue books it, lots. */
  readonly positionLots: number;
}

export type OrderEvent =
  | { readonly type: 'accepted'; readonly clientId: string; readonly symbol: string; readonly tsNs: bigint }
  | { readonly type: 'rejected'; readonly clientId: string; readonly symbol: string; readonly reason: string; readonly tsNs: bigint }
  | { readonly type: 'fill'; readonly fill: Fill }
  | {
      readonly type: 'cancelled';
      readonly clientId: string;
      readonly symbol: string;
      /** e.g. 'requested', 'self-trade', 'expired', 'post-only'. */
      readonly reason: string;
      readonly tsNs: bigint;
    }
  /** A cancel we sent that the venue could not apply (order unknown or already done). */
  | { readonly type: 'cancel-rejected'; readonly clientId: string; readonly symbol: string; readonly reason: string; readonly tsNs: bigint };

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/**
 * Where a venue's own code runs: a timer, a socket or stream handler, a task it started. A site
 * with a `symbol` is one market's business (a fault there halts that market); a site without
 * one concerns the whole venue (a fault there stops the daemon in order). `kind` is a fixed
 * code (it labels `flashmm_errors_total`): `venue-pump`, `sei-block`, ...
 */
export interface FaultSite {
  readonly kind: string;
  readonly symbol?: string;
}

/**
 * The daemon's supervisor, as a venue sees it (docs/daemon.md, "Faults"). A venue runs every
 * callback it schedules itself through it, so that nothing it does can throw out of a timer or
 * a socket handler and kill the process with orders live: the fault is caught, counted, logged
 * and handled by its site's scope.
 */
export interface Guard {
  /** Runs `fn` now; a throw is the site's fault. */
  run(site: FaultSite, fn: () => void): void;
  /** Follows a task the venue started and does not await: a rejection is the site's fault. */
  task(site: FaultSite, task: Promise<unknown>): void;
}

/** Input a venue could not use and skipped (counted in `flashmm_bad_input_total{source,reason}`). */
export interface BadInput {
  /** Where it came from: `recording`, `sei`, ... (a fixed code). */
  readonly source: string;
  /** Why, a fixed kebab-case code: `malformed`, `negative`, `not-a-number`, `off-grid`, ... */
  readonly reason: string;
  /** How many of them (default 1). */
  readonly count?: number;
  readonly symbol?: string;
  /** The first of them: its line or message id and what was wrong (logged once per kind). */
  readonly detail: string;
}

/**
 * A latency the venue timed on its own path (the daemon observes it as a metric, docs/metrics.md).
 * `resting`: the quote decision (its batch handed to `submit`) → the venue's word that the order
 * rests on the book (`accepted`), in seconds and, on a block venue, in blocks (the height the
 * venue had processed at the decision → the block that placed it). `broadcast`: → the order
 * transaction's signed bytes handed to the node, from the venue event that released it (`block`:
 * the block's message arrived; `data`: its queries answered, the venue's own path from there) or
 * from the decision (`decision`: includes waiting for the previous transaction's block).
 */
export type VenueLatency =
  | { readonly kind: 'resting'; readonly seconds: number; readonly blocks?: number }
  | { readonly kind: 'broadcast'; readonly from: 'block' | 'data' | 'decision'; readonly seconds: number };

export interface VenueListener {
  /**
   * Normalised market data for `symbol`: depth snapshots/diffs and trades in the core's columnar
   * `EventBatch` (exchange and local timestamps in ns), applied by the engine to the market's
   * `MarketState` in one call (docs/market-state.md). A venue that cannot normalise a message
   * counts it, logs it once and skips it; it never delivers a partial batch.
   */
  onMarketData(symbol: string, batch: EventBatch): void;
  onOrderEvent(event: OrderEvent): void;
  onConnection(state: ConnectionState, reason?: string): void;
  /** Input skipped as unusable: the daemon counts it and logs the first of each kind. */
  onBadInput?(input: BadInput): void;
  /** A latency the venue measured (observed by the daemon's metrics). */
  onLatency?(sample: VenueLatency): void;
  /**
   * The daemon's supervisor: every timer, handler and task of the venue runs under it. The
   * daemon always sets it (and runs the callbacks above under it); a venue driven without a
   * daemon (a tool, a test) runs unguarded (`guardOf`).
   */
  readonly guard?: Guard;
}

/** No supervisor: the callback runs as is, a throw propagates, a rejection is unhandled. */
export const UNGUARDED: Guard = {
  run: (_site, fn) => fn(),
  task: (_site, task) => void task,
};

/** The supervisor a listener carries, or none. */
export function guardOf(listener: VenueListener | null): Guard {
  return listener?.guard ?? UNGUARDED;
}

export interface Venue {
  readonly name: string;
  /**
   * The venue's public book shows our own resting orders (a real exchange, Sei; the simulated
   * venue keeps them apart). The engine then tracks them in the market state and quotes from the
   * book net of our liquidity.
   */
  readonly publicBookIncludesOwnOrders?: boolean;
  /** Venue-specific state for the daemon's /status (connection, counters). */
  status?(): unknown;
  markets(): readonly MarketInfo[];
  /** Starts delivering events to `listener`. */
  connect(listener: VenueListener): Promise<void>;
  /** Sends one batch: cancels first, then places. Outcomes arrive as `OrderEvent`s. */
  submit(batch: OrderBatch): Promise<void>;
  /** Cancels every open order of ours on `symbol` (all markets when omitted). */
  cancelAll(symbol?: string): Promise<void>;
  /** Our open orders as the venue knows them now: the truth reconciliation trusts. */
  openOrders(symbol: string): Promise<readonly VenueOrder[]>;
  /**
   * Our open orders, our fills since `fillsSinceNs` and our position on `symbol`, all at one
   * instant; only venues that keep them (restart recovery is exact with it, docs/storage.md).
   */
  accountSnapshot?(symbol: string, fillsSinceNs: bigint): Promise<VenueAccount>;
  /**
   * The venue lives and dies with this process (the embedded simulator): nothing of an earlier
   * run exists on it, so there is nothing to restore.
   */
  readonly ephemeral?: boolean;
  close(): Promise<void>;
}
