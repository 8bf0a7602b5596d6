// Keeps a market state's own-order book equal to our resting orders, so that on a venue whose
// public feed shows our orders (MarketStateOptions.netOfOwn) the touch and the order-optimisation
// depth are the book net of our liquidity. Driven by order events (after the order manager
// applied them): an acknowledged order with lots left is mirrored at its leaves, anything else
// is removed. The core's own-order errors are counted and logged once, never thrown.
import type { ManagedOrder } from '../execution/order-state.js';
import { leaves } from '../execution/order-state.js';
import type { MarketState } from '../native.js';
import { errorMessage } from '../errors.js';

interface Mirrored {
  readonly id: number;
  lots: number;
}

/** States in which an order may rest in the venue's public book. */
const RESTING = new Set(['open', 'partially-filled', 'cancelling', 'unknown']);

export class OwnOrderMirror {
  private readonly mirrored = new Map<string, Mirrored>();
  private nextId = 1;
  errors = 0;

  constructor(
    private readonly state: MarketState,
    private readonly onError: (message: string) => void,
  ) {}

  /** Mirrors one order as it now is (undefined: unknown to the order manager, or pruned). */
  sync(clientId: string, order: Readonly<ManagedOrder> | undefined): void {
    const want = order !== undefined && RESTING.has(order.state) ? leaves(order) : 0;
    const have = this.mirrored.get(clientId);
    try {
      if (have !== undefined && want === 0) {
        this.mirrored.delete(clientId);
        this.state.removeOwnOrder(have.id);
      } else if (have === undefined && want > 0 && order !== undefined) {
        const id = this.nextId++;
        this.state.addOwnOrder(id, order.side, order.price, want);
        this.mirrored.set(clientId, { id, lots: want });
      } else if (have !== undefined && want < have.lots) {
        this.state.fillOwnOrder(have.id, have.lots - want);
        have.lots = want;
      }
    } catch (err) {
      this.errors += 1;
      const stale = this.mirrored.get(clientId);
      this.mirrored.delete(clientId);
      if (stale !== undefined) this.forget(stale.id);
      this.onError(errorMessage(err));
    }
  }

  private forget(id: number): void {
    try {
      this.state.removeOwnOrder(id);
    } catch {
      // already gone from the core's own-order book: nothing left to undo
    }
  }

  /** Lots mirrored per client id (tests, status). */
  lots(): ReadonlyMap<string, number> {
    return new Map([...this.mirrored].map(([id, m]) => [id, m.lots]));
  }
}
