// Our resting orders in a market state's own-order book, for a venue whose public book lists
// them too (Sei): with `netOfOwn`, the quoting models then read other participants' liquidity
// only. The order manager is the truth; before each venue batch is applied the own-order book is
// brought level with the orders the venue has acknowledged (a venue reports an order's
// acceptance, fills and cancel before the book that shows them), so nothing here depends on
// seeing every event once.
import type { MarketState } from '../native.js';
import { leaves, type ManagedOrder, type OrderState } from '../execution/order-state.js';

/** States of an order the venue's book shows: acknowledged and not yet gone. */
const RESTING: ReadonlySet<OrderState> = new Set(['open', 'partially-filled', 'cancelling']);

interface Own {
  readonly id: number;
  readonly side: ManagedOrder['side'];
  readonly price: number;
  size: number;
}

export class OwnOrderSync {
  private readonly own = new Map<string, Own>();
  private nextId = 1;

  constructor(private readonly state: MarketState) {}

  /** Makes the own-order book hold exactly the resting part of `live`. */
  sync(live: readonly Readonly<ManagedOrder>[]): void {
    const seen = new Set<string>();
    for (const order of live) {
      const size = leaves(order);
      if (!RESTING.has(order.state) || size <= 0) continue;
      seen.add(order.clientId);
      const known = this.own.get(order.clientId);
      if (known !== undefined && known.price === order.price && known.side === order.side && known.size >= size) {
        if (known.size > size) this.state.fillOwnOrder(known.id, known.size - size);
        known.size = size;
        continue;
      }
      if (known !== undefined) this.state.removeOwnOrder(known.id);
      const own: Own = { id: this.nextId++, side: order.side, price: order.price, size };
      this.state.addOwnOrder(own.id, own.side, own.price, own.size);
      this.own.set(order.clientId, own);
    }
    for (const [clientId, own] of this.own) {
      if (seen.has(clientId)) continue;
      this.state.removeOwnOrder(own.id);
      this.own.delete(clientId);
    }
  }
}
