// The one Venue interface , venue-neutral: the embedded `sim` venue
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
  readonly price: number;
  readonly size: number;
  /** Fee in money units (tick × lot × 1e-6); negative = rebate. */
  readonly fee: bigint;
  readonly liquidity: 'maker' | 'taker';
  /** Lots of the order still open after this fill. */
  readonly leaves: number;
  readonly tsNs: bigint;
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
}

export interface Venue {
  readonly name: string;
  /**
   * The venue's public book shows our own resting orders (a real exchange; the simulated venue
   * keeps them apart). The engine then tracks them in the market state and quotes from the book
   * net of our liquidity.
   */
  readonly publicBookIncludesOwnOrders?: boolean;
  markets(): readonly MarketInfo[];
  /** Starts delivering events to `listener`. */
  connect(listener: VenueListener): Promise<void>;
  /** Sends one batch: cancels first, then places. Outcomes arrive as `OrderEvent`s. */
  submit(batch: OrderBatch): Promise<void>;
  /** Cancels every open order of ours on `symbol` (all markets when omitted). */
  cancelAll(symbol?: string): Promise<void>;
  /** Our open orders as the venue knows them now: the truth reconciliation trusts. */
  openOrders(symbol: string): Promise<readonly VenueOrder[]>;
  close(): Promise<void>;
}
