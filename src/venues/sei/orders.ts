// Our orders as the Sei venue tracks them between a request and the chain's word on it: queued
// (waiting for the next transaction), sending (in a transaction not yet in a block), open (on the
// book, with its chain id), done. A client id maps to one order for its whole life.
import type { Side } from '../../market/types.js';
import type { SeiMarket } from './markets.js';
import type { CancelSpec, PlaceSpec, SignedTx } from './tx-builder.js';

export type OrderState = 'queued' | 'sending' | 'open' | 'done';

export interface TrackedOrder {
  readonly clientId: string;
  readonly market: SeiMarket;
  readonly side: Side;
  /** Ticks and lots. */
  readonly price: number;
  readonly size: number;
  filled: number;
  state: OrderState;
  orderId: bigint | null;
  /** Height of the block that placed it (fills in a later block are maker fills). */
  placedHeight: number;
  /** A cancel is queued or in flight. */
  cancelling: boolean;
  /** When the quote decision asked for it (performance.now() ms) and the height processed then; absent for adopted orders. */
  readonly requested?: { readonly atMs: number; readonly height: number };
}

/** A transaction sent and not yet seen in a block. */
export interface InFlight {
  tx: SignedTx;
  readonly sequence: number;
  readonly places: readonly TrackedOrder[];
  readonly cancels: readonly TrackedOrder[];
  /** The chain drops it for good once past this height. */
  readonly timeoutHeight: number;
  readonly sentAtMs: number;
  /** cancelAll() callers waiting for this transaction. */
  readonly waiters: (() => void)[];
}

export class OrderTable {
  private readonly byClient = new Map<string, TrackedOrder>();
  private readonly byChainId = new Map<bigint, TrackedOrder>();

  get(clientId: string): TrackedOrder | undefined {
    return this.byClient.get(clientId);
  }

  byOrderId(id: bigint): TrackedOrder | undefined {
    return this.byChainId.get(id);
  }

  add(order: TrackedOrder): void {
    this.byClient.set(order.clientId, order);
    if (order.orderId !== null) this.byChainId.set(order.orderId, order);
  }

  opened(order: TrackedOrder, orderId: bigint, height: number): void {
    order.orderId = orderId;
    order.placedHeight = height;
    order.state = 'open';
    this.byChainId.set(orderId, order);
  }

  done(order: TrackedOrder): void {
    order.state = 'done';
    order.cancelling = false;
    this.byClient.delete(order.clientId);
    if (order.orderId !== null) this.byChainId.delete(order.orderId);
  }

  live(): TrackedOrder[] {
    return [...this.byClient.values()];
  }
}

/** The chain's view of our orders: decimal prices and quantities on each market's grid. */
export function orderSpecs(cancels: readonly TrackedOrder[], places: readonly TrackedOrder[]): { cancels: CancelSpec[]; places: PlaceSpec[] } {
  return {
    cancels: cancels.map((o) => ({ pair: o.market.pair, orderId: o.orderId ?? 0n, side: o.side, price: o.market.spec.ticksToPrice(o.price) })),
    places: places.map((o) => ({
      pair: o.market.pair, side: o.side, price: o.market.spec.ticksToPrice(o.price), quantity: o.market.spec.lotsToSize(o.size),
    })),
  };
}
