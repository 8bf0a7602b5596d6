// The order manager: one record per client order id, desired quotes diffed into one batch,
// venue events applied (fills → position tracker), ack timeouts, reconciliation with the
// venue's open orders (reconcile.ts) and the kill switch's cancel-all path.
//
// The venue is the truth: a fill counts whatever our local state says; reconciliation makes the
// local live set equal to `venue.openOrders()`. Fills are de-duplicated per order by cumulative
// quantity (size - leaves), so a replayed or duplicated fill is never booked twice.
import type { DesiredQuote, MarketInfo } from '../market/types.js';
import type { CancelRequest, Fill, OrderBatch, OrderEvent, PlaceRequest, VenueOrder } from '../venues/venue.js';
import type { ClientIdGenerator } from './client-id.js';
import type { Clock } from './clock.js';
import { diffQuotes, type QuoteDiff } from './diff.js';
import type { AnomalyKind, ExecutionAnomaly, ExecutionEvents } from './events.js';
import { isLive, isTerminal, restingStateFor, transition, type ManagedOrder, type OrderState } from './order-state.js';
import type { PositionTracker } from './position.js';
import { reconcileOrders, type ReconcileHost, type ReconcileReport } from './reconcile.js';

export type OrphanPolicy = 'cancel' | 'adopt';

export interface OrderManagerOptions {
  readonly clock: Clock;
  readonly ids: ClientIdGenerator;
  readonly positions: PositionTracker;
  /** For the maker fee of fills only reconciliation reveals. */
  readonly markets: readonly MarketInfo[];
  /** A place or cancel unanswered for this long → 'unknown', to be reconciled. */
  readonly ackTimeoutMs: number;
  /** Orders found on the venue without a local record: cancel at once, or adopt (the diff keeps them if wanted). */
  readonly orphanPolicy: OrphanPolicy;
  /** How long closed orders are kept to recognise late or duplicate events (default 60 s). */
  readonly retainClosedMs?: number;
  readonly events?: ExecutionEvents;
}

export interface SyncResult {
  readonly batch: OrderBatch;
  readonly diff: QuoteDiff;
}

export interface TickResult {
  readonly timedOut: readonly string[];
  /** Symbols with orders in doubt: call `reconcile` with the venue's open orders. */
  readonly needsReconcile: readonly string[];
}

const EMPTY_BATCH: OrderBatch = { cancels: [], places: [] };

interface Closing {
  readonly order: ManagedOrder;
  readonly doneAtMs: number;
}

export class OrderManager implements ReconcileHost {
  private readonly orders = new Map<string, ManagedOrder>();
  /**
   * Per market, the records that may be live, in the records' order: every live one, and closed
   * ones until the next look drops them. A look scans these instead of every record, which
   * includes the closed orders kept for `retainClosedMs`: hundreds, for one or two live.
   */
  private readonly maybeLive = new Map<string, ManagedOrder[]>();
  /**
   * Every close, in the order they happened (the clock's): what `tick` prunes, oldest first. A
   * close whose order reopened or closed again since is skipped (its later close is further on).
   */
  private closings: Closing[] = [];
  private closingsHead = 0;
  /** Symbols whose places are blocked by cancelAll (kill switch) until `resume`. */
  private readonly blocked = new Set<string>();
  private readonly anomalyCounts = new Map<AnomalyKind, number>();
  private readonly fees: ReadonlyMap<string, number>;
  readonly orphanPolicy: OrphanPolicy;

  constructor(private readonly opts: OrderManagerOptions) {
    this.fees = new Map(opts.markets.map((m) => [m.symbol, m.makerFeePpm]));
    this.orphanPolicy = opts.orphanPolicy;
  }

  /** Diffs `desired` against the live orders of `symbol`; the batch is to be submitted as is. */
  sync(symbol: string, desired: readonly DesiredQuote[], nowMs: number): SyncResult {
    const wanted = this.blocked.has(symbol) ? [] : desired;
    const diff = diffQuotes(wanted, this.liveOrders(symbol));
    for (const { clientId, level } of diff.keep) {
      const order = this.orders.get(clientId);
      if (order !== undefined) order.level = level;
    }
    const cancels: CancelRequest[] = [];
    for (const clientId of diff.cancel) {
      const order = this.orders.get(clientId);
      if (order !== undefined && this.requestCancel(order, nowMs, 'not desired')) cancels.push({ clientId, symbol });
    }
    const places: PlaceRequest[] = diff.place.map((quote) => {
      const order = this.create(symbol, quote, nowMs);
      return { clientId: order.clientId, symbol, side: quote.side, price: quote.price, size: quote.size, postOnly: quote.postOnly };
    });
    return { batch: { cancels, places }, diff };
  }

  /** Applies one venue event. Unknown ids and duplicates are counted, never thrown. */
  onEvent(event: OrderEvent): void {
    const now = this.opts.clock.nowMs();
    if (event.type === 'fill') return this.applyFill(event.fill, now);
    const order = this.orders.get(event.clientId);
    if (order === undefined) return this.report({ kind: 'event-for-unknown-order', clientId: event.clientId, event: event.type }, now);
    const duplicate = (): void => this.report({ kind: 'duplicate-event', clientId: order.clientId, event: event.type }, now);
    switch (event.type) {
      case 'accepted': {
        const revive = isTerminal(order.state) && order.closedLocally;
        if (order.state !== 'pending' && order.state !== 'unknown' && !revive) return duplicate();
        if (revive) order.level = -1; // closed by us too early: alive but unwanted, the diff cancels it
        if (order.inFlight === 'place') order.inFlight = null;
        this.move(order, restingStateFor(order), now, revive ? 'accepted after local close' : 'accepted');
        return;
      }
      case 'rejected':
        if (isTerminal(order.state)) return duplicate();
        this.report({ kind: 'rejected', clientId: order.clientId, reason: event.reason }, now);
        this.move(order, 'rejected', now, event.reason);
        return;
      case 'cancelled':
        if (order.state === 'cancelled' || order.state === 'filled') return duplicate();
        this.move(order, event.reason === 'expired' ? 'expired' : 'cancelled', now, event.reason);
        return;
      case 'cancel-rejected':
        // Already filled or gone, or not yet known to the venue: only the venue can say.
        if (order.state !== 'cancelling') return duplicate();
        this.move(order, 'unknown', now, `cancel rejected: ${event.reason}`);
        return;
    }
  }

  /** Ack timeouts and pruning of closed orders. */
  tick(nowMs: number): TickResult {
    this.prune(nowMs - (this.opts.retainClosedMs ?? 60_000));
    const timedOut: string[] = [];
    for (const symbol of this.maybeLive.keys()) {
      for (const order of this.liveRecords(symbol)) {
        const waiting = order.state === 'pending' || order.state === 'cancelling';
        if (!waiting || order.inFlight === null || nowMs - order.sentAtMs < this.opts.ackTimeoutMs) continue;
        // inFlight stays set: reconciliation reads it as the intent (was it a place or a cancel?).
        this.report({ kind: 'ack-timeout', clientId: order.clientId, request: order.inFlight }, nowMs);
        this.move(order, 'unknown', nowMs, `no answer to ${order.inFlight} in ${this.opts.ackTimeoutMs} ms`);
        timedOut.push(order.clientId);
      }
    }
    return { timedOut, needsReconcile: this.symbolsInDoubt() };
  }

  /** Forgets the orders closed before `beforeMs` (and not reopened since). */
  private prune(beforeMs: number): void {
    while (this.closingsHead < this.closings.length) {
      const { order, doneAtMs } = this.closings[this.closingsHead] as Closing;
      if (doneAtMs >= beforeMs) break;
      this.closingsHead += 1;
      if (order.doneAtMs === doneAtMs && this.orders.get(order.clientId) === order) this.orders.delete(order.clientId);
    }
    if (this.closingsHead > 1024 && this.closingsHead * 2 > this.closings.length) {
      this.closings = this.closings.slice(this.closingsHead);
      this.closingsHead = 0;
    }
  }

  /** A submit that threw may or may not have reached the venue: its orders are in doubt. */
  onSubmitFailed(batch: OrderBatch, error: string, nowMs: number): void {
    const ids = [...batch.cancels, ...batch.places].map((r) => r.clientId);
    this.report({ kind: 'submit-failed', clientIds: ids, error }, nowMs);
    for (const id of ids) {
      const order = this.orders.get(id);
      if (order !== undefined && !isTerminal(order.state)) this.move(order, 'unknown', nowMs, `submit failed: ${error}`);
    }
  }

  /** After a reconnect: requests in flight may have been lost; reconcile before quoting. */
  markInFlightUncertain(symbol: string, nowMs: number): void {
    for (const order of this.liveRecords(symbol)) {
      if (order.inFlight !== null && order.state !== 'unknown') this.move(order, 'unknown', nowMs, 'in flight across a reconnect');
    }
  }

  /** Makes local state equal to the venue's open orders for `symbol`; submit `report.batch`. */
  reconcile(symbol: string, venueOrders: readonly VenueOrder[], nowMs: number): ReconcileReport {
    return reconcileOrders(this, symbol, venueOrders, nowMs);
  }

  /**
   * Kill-switch path: every live order of `symbol` is marked cancelling and places are blocked
   * until `resume`. The caller sends the cancels (or `venue.cancelAll`, which also catches
   * orders we do not know) and then reconciles.
   */
  cancelAll(symbol: string, nowMs: number): OrderBatch {
    this.blocked.add(symbol);
    const cancels: CancelRequest[] = [];
    for (const order of this.liveRecords(symbol)) {
      if (order.state === 'unknown' || order.state === 'cancelling') continue;
      if (this.requestCancel(order, nowMs, 'cancel all')) cancels.push({ clientId: order.clientId, symbol });
    }
    return cancels.length === 0 ? EMPTY_BATCH : { cancels, places: [] };
  }

  /**
   * Cancels these resting orders of `symbol` now (a quoting control replacing them): they are
   * 'cancelling' at once, so the diff and the risk filter see them as going and still count
   * them until the venue answers. Returns the requests to send; others are skipped.
   */
  cancelOrders(symbol: string, clientIds: readonly string[], nowMs: number, reason: string): CancelRequest[] {
    const cancels: CancelRequest[] = [];
    for (const clientId of clientIds) {
      const order = this.orders.get(clientId);
      if (order === undefined || order.symbol !== symbol || (order.state !== 'open' && order.state !== 'partially-filled')) continue;
      if (this.requestCancel(order, nowMs, reason)) cancels.push({ clientId, symbol });
    }
    return cancels;
  }

  resume(symbol: string): void {
    this.blocked.delete(symbol);
  }

  isBlocked(symbol: string): boolean {
    return this.blocked.has(symbol);
  }

  /** Live orders (anything that may rest on the venue), as views. */
  liveOrders(symbol: string): readonly Readonly<ManagedOrder>[] {
    return this.liveRecords(symbol);
  }

  /** Our live orders in the venue's shape, to compare with `venue.openOrders(symbol)`. */
  openOrders(symbol: string): readonly VenueOrder[] {
    return this.liveRecords(symbol).map(({ clientId, side, price, size, filled }) => ({ clientId, symbol, side, price, size, filled }));
  }

  order(clientId: string): Readonly<ManagedOrder> | undefined {
    return this.orders.get(clientId);
  }

  /**
   * Whether an order on the venue is this daemon's to cancel on an account other daemons share
   * (sharded markets): one it tracks (placed, restored or adopted on a market it held) or one
   * minted by this boot (a record already let go).
   */
  owns(clientId: string): boolean {
    return this.orders.has(clientId) || this.opts.ids.isFromThisBoot(clientId);
  }

  symbolsInDoubt(): string[] {
    return [...this.maybeLive.keys()].filter((symbol) => this.liveRecords(symbol).some((o) => o.state === 'unknown'));
  }

  anomalies(): ReadonlyMap<AnomalyKind, number> {
    return this.anomalyCounts;
  }

  // ---- ReconcileHost --------------------------------------------------------------------

  records(symbol: string): ManagedOrder[] {
    return [...this.orders.values()].filter((o) => o.symbol === symbol);
  }

  get(clientId: string): ManagedOrder | undefined {
    return this.orders.get(clientId);
  }

  insert(order: ManagedOrder): void {
    const replaces = this.orders.has(order.clientId);
    this.orders.set(order.clientId, order);
    if (replaces) this.reindexLive(order.symbol);
    else this.indexLive(order);
    if (order.doneAtMs !== null) this.closings.push({ order, doneAtMs: order.doneAtMs });
  }

  bookFill(order: ManagedOrder, price: number, lots: number, fee: bigint): void {
    this.opts.positions.applyFill(order.symbol, order.side, price, lots, fee);
    order.filled += lots;
  }

  onMissedFill(order: ManagedOrder, lots: number, fee: bigint): void {
    const { clientId, symbol, side, price, filled } = order;
    this.opts.events?.onMissedFill?.({ clientId, symbol, side, price, lots, fee, filledAfter: filled });
  }

  makerFeePpm(symbol: string): number {
    return this.fees.get(symbol) ?? 0;
  }

  move(order: ManagedOrder, to: OrderState, nowMs: number, reason: string): boolean {
    const from = order.state;
    if (from === to) return true;
    const result = transition(order, to, nowMs, reason);
    if (!result.ok) {
      this.report({ kind: 'illegal-transition', clientId: result.clientId, from, to, reason }, nowMs);
      return false;
    }
    if (isTerminal(from) && !isTerminal(to)) this.reindexLive(order.symbol); // revived: back in its place
    if (order.doneAtMs !== null && isTerminal(to)) this.closings.push({ order, doneAtMs: order.doneAtMs });
    this.opts.events?.onStateChange?.({ clientId: order.clientId, symbol: order.symbol, from, to, reason, atMs: nowMs });
    return true;
  }

  requestCancel(order: ManagedOrder, nowMs: number, reason: string): boolean {
    if (!this.move(order, 'cancelling', nowMs, reason)) return false;
    order.inFlight = 'cancel';
    order.sentAtMs = nowMs;
    return true;
  }

  // ---- internals ------------------------------------------------------------------------

  private liveRecords(symbol: string): ManagedOrder[] {
    const candidates = this.maybeLive.get(symbol);
    if (candidates === undefined) return [];
    const live = candidates.filter(isLive);
    if (live.length < candidates.length) this.maybeLive.set(symbol, live.slice());
    return live;
  }

  /** A new record (the last in the records' order). */
  private indexLive(order: ManagedOrder): void {
    const candidates = this.maybeLive.get(order.symbol);
    if (candidates === undefined) this.maybeLive.set(order.symbol, [order]);
    else candidates.push(order);
  }

  /** The market's index rebuilt from the records, for a record that is not the last one. */
  private reindexLive(symbol: string): void {
    const live: ManagedOrder[] = [];
    for (const order of this.orders.values()) if (order.symbol === symbol && isLive(order)) live.push(order);
    this.maybeLive.set(symbol, live);
  }

  private create(symbol: string, quote: DesiredQuote, nowMs: number): ManagedOrder {
    const order: ManagedOrder = {
      clientId: this.opts.ids.next(),
      symbol,
      side: quote.side,
      price: quote.price,
      size: quote.size,
      postOnly: quote.postOnly,
      level: quote.level,
      state: 'new',
      filled: 0,
      inFlight: 'place',
      sentAtMs: nowMs,
      doneAtMs: null,
      adopted: false,
      reason: 'desired',
      closedLocally: false,
    };
    this.insert(order);
    this.move(order, 'pending', nowMs, 'place sent');
    return order;
  }

  private applyFill(fill: Fill, nowMs: number): void {
    const order = this.orders.get(fill.clientId);
    if (order === undefined) {
      // Still ours and still real: the position must follow the venue.
      this.report({ kind: 'fill-for-unknown-order', clientId: fill.clientId, lots: fill.size }, nowMs);
      this.opts.positions.applyFill(fill.symbol, fill.side, fill.price, fill.size, fill.fee);
      return;
    }
    const cumulative = Math.min(order.size, Math.max(0, order.size - fill.leaves));
    const lots = cumulative - order.filled;
    if (lots <= 0) return this.report({ kind: 'duplicate-event', clientId: order.clientId, event: 'fill' }, nowMs);
    // A fill that also covers an earlier missed one: its fee is scaled to the lots booked.
    const fee = lots === fill.size || fill.size <= 0 ? fill.fee : (fill.fee * BigInt(lots)) / BigInt(fill.size);
    this.bookFill(order, fill.price, lots, fee);
    if (order.inFlight === 'place') order.inFlight = null; // a fill proves the place landed
    if (restingStateFor(order) === 'filled') this.move(order, 'filled', nowMs, 'filled');
    else if (order.state === 'pending' || order.state === 'open' || order.state === 'unknown') {
      this.move(order, 'partially-filled', nowMs, 'partial fill');
    } else if (isTerminal(order.state) && order.closedLocally) {
      order.level = -1; // closed by us too early: alive but unwanted, the diff cancels it
      this.move(order, 'partially-filled', nowMs, 'partial fill after local close');
    }
  }

  report(anomaly: ExecutionAnomaly, nowMs: number): void {
    this.anomalyCounts.set(anomaly.kind, (this.anomalyCounts.get(anomaly.kind) ?? 0) + 1);
    const clientId = anomaly.kind === 'submit-failed' ? anomaly.clientIds[0] : anomaly.clientId;
    const symbol = clientId === undefined ? null : (this.orders.get(clientId)?.symbol ?? null);
    this.opts.events?.onAnomaly?.(anomaly, symbol, nowMs);
  }
}
