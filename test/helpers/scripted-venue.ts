// A scripted in-memory venue: a real implementation of the Venue interface with an order
// table, our true executed position, and faults a test can inject (rejects, lost requests,
// dropped acks, failing submits, fills racing cancels, orders we do not know, disconnects).
// Events queue in an outbox and reach the listener only on `deliver()` (or a test takes them
// with `takeEvents()` to reorder and duplicate them), so in-flight states are observable.
import type { Clock } from '../../src/execution/clock.js';
import { feeFor, sideSign, type MarketInfo } from '../../src/market/types.js';
import type { OrderBatch, OrderEvent, Venue, VenueListener, VenueOrder } from '../../src/venues/venue.js';

interface Resting {
  readonly clientId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly size: number;
  filled: number;
}

export const TEST_MARKET: MarketInfo = {
  symbol: 'BTC-USD',
  tickSize: '0.1',
  lotSize: '0.001',
  minSizeLots: 1,
  makerFeePpm: -100,
  takerFeePpm: 500,
};

export class ScriptedVenue implements Venue {
  readonly name = 'scripted';
  private listener: VenueListener | null = null;
  private readonly book = new Map<string, Resting>();
  private readonly outbox: OrderEvent[] = [];
  /** Every client id ever placed: a venue refuses a reused id. */
  private readonly seen = new Set<string>();
  /** Our true executed position per symbol (lots). */
  readonly executed = new Map<string, number>();
  readonly counts = { batches: 0, places: 0, cancels: 0, cancelAlls: 0 };
  private readonly faults = { reject: [] as string[], dropAcks: 0, losePlaces: 0, loseCancels: 0, failSubmit: null as null | { message: string; processed: boolean } };
  connected = true;
  /** While true, submitted batches wait in `held` until `processHeld()`: request latency. */
  holdRequests = false;
  private readonly held: OrderBatch[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly marketList: readonly MarketInfo[] = [TEST_MARKET],
  ) {}

  markets(): readonly MarketInfo[] {
    return this.marketList;
  }

  async connect(listener: VenueListener): Promise<void> {
    this.listener = listener;
    this.connected = true;
    listener.onConnection('connected');
  }

  async submit(batch: OrderBatch): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    const failure = this.faults.failSubmit;
    this.faults.failSubmit = null;
    if (failure !== null && !failure.processed) throw new Error(failure.message);
    this.counts.batches += 1;
    if (this.holdRequests) this.held.push(batch);
    else this.apply(batch);
    if (failure !== null) throw new Error(failure.message); // processed, but the caller saw an error
  }

  /** Applies up to `count` held batches, oldest first; returns how many. */
  processHeld(count = Number.POSITIVE_INFINITY): number {
    const batches = this.held.splice(0, Math.min(count, this.held.length));
    for (const batch of batches) this.apply(batch);
    return batches.length;
  }

  private apply(batch: OrderBatch): void {
    for (const cancel of batch.cancels) {
      this.counts.cancels += 1;
      if (this.faults.loseCancels > 0) {
        this.faults.loseCancels -= 1;
        continue;
      }
      const order = this.book.get(cancel.clientId);
      if (order === undefined) {
        this.emit({ type: 'cancel-rejected', clientId: cancel.clientId, symbol: cancel.symbol, reason: 'unknown or done', tsNs: this.clock.nowNs() });
      } else {
        this.book.delete(cancel.clientId);
        this.emit({ type: 'cancelled', clientId: cancel.clientId, symbol: cancel.symbol, reason: 'requested', tsNs: this.clock.nowNs() });
      }
    }
    for (const place of batch.places) {
      this.counts.places += 1;
      if (this.faults.losePlaces > 0) {
        this.faults.losePlaces -= 1;
        continue;
      }
      const base = { clientId: place.clientId, symbol: place.symbol, tsNs: this.clock.nowNs() };
      const reject = this.seen.has(place.clientId) ? 'duplicate client id' : this.faults.reject.shift();
      this.seen.add(place.clientId);
      if (reject !== undefined) {
        this.emit({ type: 'rejected', ...base, reason: reject });
        continue;
      }
      this.book.set(place.clientId, { clientId: place.clientId, symbol: place.symbol, side: place.side, price: place.price, size: place.size, filled: 0 });
      if (this.faults.dropAcks > 0) this.faults.dropAcks -= 1;
      else this.emit({ type: 'accepted', ...base });
    }
  }

  async cancelAll(symbol?: string): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    this.counts.cancelAlls += 1;
    for (const order of [...this.book.values()]) {
      if (symbol !== undefined && order.symbol !== symbol) continue;
      this.book.delete(order.clientId);
      this.emit({ type: 'cancelled', clientId: order.clientId, symbol: order.symbol, reason: 'requested', tsNs: this.clock.nowNs() });
    }
  }

  async openOrders(symbol: string): Promise<readonly VenueOrder[]> {
    if (!this.connected) throw new Error('not connected');
    return [...this.book.values()]
      .filter((o) => o.symbol === symbol)
      .map(({ clientId, side, price, size, filled }) => ({ clientId, symbol, side, price, size, filled }));
  }

  async close(): Promise<void> {
    this.listener = null;
  }

  // ---- faults ---------------------------------------------------------------------------

  rejectNextPlace(reason = 'post-only would cross'): void {
    this.faults.reject.push(reason);
  }

  /** The next place rests on the venue but its 'accepted' is never sent. */
  dropNextAck(): void {
    this.faults.dropAcks += 1;
  }

  /** The next place never reaches the venue (no order, no event). */
  loseNextPlace(): void {
    this.faults.losePlaces += 1;
  }

  loseNextCancel(): void {
    this.faults.loseCancels += 1;
  }

  /** The next submit throws; `processed` says whether the venue applied it anyway. */
  failNextSubmit(message: string, processed: boolean): void {
    this.faults.failSubmit = { message, processed };
  }

  /** An order of ours the manager does not know (placed before a restart, or by hand). */
  inject(order: Omit<VenueOrder, 'filled'> & { readonly filled?: number }): void {
    this.seen.add(order.clientId);
    this.book.set(order.clientId, { ...order, filled: order.filled ?? 0 });
  }

  /** The market trades through a resting order: up to `lots` fill at its price (maker). */
  fill(clientId: string, lots: number): number {
    const order = this.book.get(clientId);
    if (order === undefined) return 0;
    const size = Math.min(lots, order.size - order.filled);
    if (size <= 0) return 0;
    order.filled += size;
    const leaves = order.size - order.filled;
    if (leaves === 0) this.book.delete(clientId);
    this.executed.set(order.symbol, (this.executed.get(order.symbol) ?? 0) + sideSign(order.side) * size);
    const market = this.marketList.find((m) => m.symbol === order.symbol);
    const fee = feeFor(order.price, size, market?.makerFeePpm ?? 0);
    const { symbol, side, price } = order;
    this.emit({ type: 'fill', fill: { clientId, symbol, side, price, size, fee, liquidity: 'maker', leaves, tsNs: this.clock.nowNs() } });
    return size;
  }

  /** Drops the connection: events not yet delivered are lost. */
  disconnect(reason = 'socket closed'): void {
    this.connected = false;
    this.outbox.length = 0;
    this.listener?.onConnection('disconnected', reason);
  }

  reconnect(): void {
    this.connected = true;
    this.listener?.onConnection('connected');
  }

  // ---- delivery -------------------------------------------------------------------------

  /** Delivers every queued event in order; returns how many. */
  deliver(): number {
    const events = this.takeEvents();
    for (const event of events) this.listener?.onOrderEvent(event);
    return events.length;
  }

  takeEvents(): OrderEvent[] {
    return this.outbox.splice(0, this.outbox.length);
  }

  restingIds(): string[] {
    return [...this.book.keys()];
  }

  private emit(event: OrderEvent): void {
    if (this.connected) this.outbox.push(event);
  }
}
