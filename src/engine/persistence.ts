// The daemon's Redis state (docs/storage.md): every venue event of a market passes through here
// in order, a fill is journaled before the ledger books it (journal → book → checkpoint), every
// order state change is journaled, a checkpoint (the ledger's snapshot and the live orders)
// follows each change, and the book and the forecasts are kept as hot state. The quote loop
// never waits for any of it: events of one market wait only for that market's earlier fills,
// and a receipt resolves at once ('buffered') while Redis is unreachable. A decision's order
// state changes are encoded and queued a microtask later, after its batch went to the venue:
// the pipeline that writes them goes out in a microtask anyway, so they reach Redis no later.
//
// Redis's health becomes the storage breaker condition on every market (the configured
// policy: continue, reduce or halt). Restart recovery is in recovery.ts.
import { isTerminal } from '../execution/order-state.js';
import type { OrderManager } from '../execution/order-manager.js';
import type { MissedFillBooked, OrderStateChange } from '../execution/events.js';
import type { PositionTracker } from '../execution/position.js';
import { errorMessage } from '../errors.js';
import type { Clock } from '../execution/clock.js';
import type { RiskManager } from '../risk/risk-manager.js';
import type { MarketStore } from '../storage/market-store.js';
import { RecordError, type FillRecord, type OrderEventRecord, type StoredOrder } from '../storage/records.js';
import type { RedisStore, StorageHealth } from '../storage/redis-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Fill, OrderEvent } from '../venues/venue.js';
import type { MarketInfo } from '../market/types.js';
import type { MarketLoop, DecisionRecord } from './market-loop.js';

export interface PersistenceDeps {
  readonly store: RedisStore;
  readonly orders: OrderManager;
  readonly positions: PositionTracker;
  readonly risk: RiskManager;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly markets: readonly MarketInfo[];
  /** The model's forecast horizon, ms (null: no model). */
  readonly horizonMs: number | null;
  /** Books one venue event (the order manager and what follows a fill). */
  readonly apply: (event: OrderEvent) => void;
}

/** One market's writer and the order of its events. */
export interface MarketPersistence {
  readonly symbol: string;
  readonly info: MarketInfo;
  /** Null until the market is restored (recovery.ts). */
  store: MarketStore | null;
  /** Sharded: the fencing token of the lease the market was taken under (its writes carry it); 0 otherwise. */
  fence: number;
  /** Seq of the last journaled fill the ledger includes: a checkpoint's `throughSeq`. */
  lastBookedSeq: number;
  /** Client ids the journal has seen (their later events need not repeat the order's details). */
  readonly known: Set<string>;
  /** Order state changes of the current synchronous run, journaled by `flushChanges` (in order, before anything else this market writes). */
  readonly changes: OrderEventRecord[];
  flushScheduled: boolean;
  /** Events waiting for the fill ahead of them to be journaled, or for recovery to finish. */
  readonly queue: OrderEvent[];
  /** Events are held (not booked) while recovery reads the journal and the venue. */
  holding: boolean;
  pumping: boolean;
  /** A checkpoint is wanted (written at the end of the current run of changes). */
  checkpointDue: boolean;
  checkpointScheduled: boolean;
  /**
   * A fill is being journaled and is not in the ledger yet: no checkpoint may be written
   * meanwhile with a later `throughSeq` (a missed fill booked by reconciliation), or a restore
   * would skip the fill. The checkpoint waits for the fill to be booked.
   */
  fillInFlight: boolean;
}

export class EnginePersistence {
  private readonly markets = new Map<string, MarketPersistence>();
  private readonly log: Logger;

  constructor(private readonly deps: PersistenceDeps) {
    this.log = deps.log;
    for (const info of deps.markets) {
      this.markets.set(info.symbol, {
        symbol: info.symbol, info, store: null, fence: 0, lastBookedSeq: 0, known: new Set(), changes: [], flushScheduled: false, queue: [], holding: true, pumping: false,
        checkpointDue: false, checkpointScheduled: false, fillInFlight: false,
      });
    }
  }

  get store(): RedisStore {
    return this.deps.store;
  }

  market(symbol: string): MarketPersistence | undefined {
    return this.markets.get(symbol);
  }

  symbols(): readonly string[] {
    return [...this.markets.keys()];
  }

  /** Redis's health as the storage condition of every market's breaker. */
  onHealth(health: StorageHealth): void {
    this.deps.risk.onStorage(health.state, health.reason ?? 'redis writes are going through', this.deps.clock.nowMs());
  }

  /** A venue event: booked in order behind the market's earlier fills (a fill after its journal entry). */
  onEvent(event: OrderEvent): void {
    const m = this.markets.get(event.type === 'fill' ? event.fill.symbol : event.symbol);
    if (m === undefined) return this.deps.apply(event);
    m.queue.push(event);
    if (!m.holding) this.pump(m);
  }

  /** Recovery is done with `symbol`: its held events are booked now, in order. */
  release(m: MarketPersistence): void {
    m.holding = false;
    this.pump(m);
  }

  /** Every order state change goes to the journal (with the order's details the first time). */
  onStateChange(change: OrderStateChange): void {
    const m = this.markets.get(change.symbol);
    if (m?.store == null) return;
    const order = this.deps.orders.order(change.clientId);
    const first = !m.known.has(change.clientId);
    if (isTerminal(change.to)) m.known.delete(change.clientId);
    else m.known.add(change.clientId);
    m.changes.push({
      clientId: change.clientId, state: change.to, reason: change.reason, atMs: change.atMs,
      ...(first && order !== undefined ? { order: { side: order.side, price: order.price, size: order.size, postOnly: order.postOnly, level: order.level, venueId: null } } : {}),
    });
    if (!m.flushScheduled) {
      m.flushScheduled = true;
      queueMicrotask(() => this.flushChanges(m));
    }
    this.checkpointSoon(m);
  }

  /**
   * Journals the order state changes waiting, in order. Called first by everything else that
   * writes the market's journal or checkpoint, so the journal's order is the events' order.
   */
  flushChanges(m: MarketPersistence): void {
    m.flushScheduled = false;
    if (m.changes.length === 0) return;
    const changes = m.changes.splice(0);
    for (const change of changes) m.store?.journalOrder(change);
  }

  /**
   * Lots reconciliation booked from the venue's filled count alone (no fill event reported
   * them): journaled now, under the fill id a live report of them would have, so a checkpoint
   * that includes them is never written before their entry (journal entries go out first).
   */
  onMissedFill(f: MissedFillBooked): void {
    const m = this.markets.get(f.symbol);
    const store = m?.store;
    if (m === undefined || store == null) return;
    this.flushChanges(m);
    const fillId = String(f.filledAfter);
    const before = store.lastSeq;
    store.journalFill({ clientId: f.clientId, fillId, side: f.side, price: f.price, lots: f.lots, fee: f.fee, liquidity: 'maker', tsNs: this.deps.clock.nowNs() }).catch((err: unknown) => {
      // Booked already (reconciliation follows the venue) but not recordable: say so, loudly.
      this.log.error({ symbol: f.symbol, clientId: f.clientId, err: errorMessage(err) }, 'a missed fill could not be journaled');
      this.deps.metrics.errors.inc({ kind: 'journal' });
    });
    // A new entry takes the next seq; a report of the same lots already journaled has its own.
    const seq = store.lastSeq > before ? store.lastSeq : (store.journaledSeq(f.clientId, fillId) ?? 0);
    m.lastBookedSeq = Math.max(m.lastBookedSeq, seq);
    this.log.warn({ symbol: f.symbol, clientId: f.clientId, lots: f.lots, price: f.price }, 'fill only the venue showed: booked at the limit price and journaled');
    this.checkpointSoon(m);
  }

  /** After a decision: the book's top and the forecast as hot state (fire and forget). */
  afterDecision(loop: MarketLoop, record: DecisionRecord): void {
    const store = this.markets.get(loop.symbol)?.store;
    if (store == null) return;
    const top = record.inputs.top;
    if (top !== undefined) {
      store.saveBook({ bids: [[top.bid.price, top.bid.size]], asks: [[top.ask.price, top.ask.size]], sequence: loop.state.counts().events, exchangeTsNs: top.exchangeTsNs });
    }
    const f = record.inputs.forecast;
    if (f !== undefined && this.deps.horizonMs !== null) {
      store.pushPrediction({ atMs: record.atMs, horizons: [{ horizonMs: this.deps.horizonMs, down: f.pDown, flat: Math.max(0, 1 - f.pUp - f.pDown), up: f.pUp }] });
    }
  }

  /** Writes the market's checkpoint now (after recovery; the daemon's shutdown). */
  checkpointNow(m: MarketPersistence): void {
    this.flushChanges(m);
    if (m.fillInFlight) {
      m.checkpointDue = true; // written once the fill is booked (journalThenBook)
      return;
    }
    m.checkpointDue = false;
    m.store?.checkpoint({ throughSeq: m.lastBookedSeq, position: this.deps.positions.snapshot(m.symbol), openOrders: this.liveOrders(m.symbol) });
  }

  /** One checkpoint after the current run of changes (a tick, an event), not one per change. */
  checkpointSoon(m: MarketPersistence): void {
    if (m.store === null) return;
    m.checkpointDue = true;
    if (m.checkpointScheduled) return;
    m.checkpointScheduled = true;
    queueMicrotask(() => {
      m.checkpointScheduled = false;
      if (m.checkpointDue) this.checkpointNow(m);
    });
  }

  private liveOrders(symbol: string): StoredOrder[] {
    return this.deps.orders.liveOrders(symbol).map((o) => ({
      clientId: o.clientId, venueId: null, side: o.side, price: o.price, size: o.size, filled: o.filled, postOnly: o.postOnly, state: o.state, level: o.level,
    }));
  }

  private pump(m: MarketPersistence): void {
    if (m.pumping) return;
    m.pumping = true;
    void this.drain(m);
  }

  /**
   * Books the queued events in order. `pumping` is cleared in the same synchronous step as the
   * last look at the queue, never a microtask later: events arrive several per socket read (one
   * ws 'message' after another with no microtask between), and one pushed while a finished drain
   * still looked busy was left in the queue until the market's next event, which on a quiet
   * market came only with the order timeout's reconciliation, 10 s later (the shard test's flake).
   */
  private async drain(m: MarketPersistence): Promise<void> {
    try {
      while (!m.holding && m.queue.length > 0) {
        const event = m.queue.shift() as OrderEvent;
        if (event.type !== 'fill' || m.store === null) {
          this.deps.apply(event);
          continue;
        }
        try {
          await this.journalThenBook(m, m.store, event);
        } catch (err) {
          this.log.error({ symbol: m.symbol, err: errorMessage(err) }, 'fill handling failed');
          this.deps.metrics.errors.inc({ kind: 'journal' });
        }
      }
    } finally {
      m.pumping = false; // no await between the loop's last check and this
    }
  }

  private async journalThenBook(m: MarketPersistence, store: MarketStore, event: Extract<OrderEvent, { type: 'fill' }>): Promise<void> {
    const { fill } = event;
    this.flushChanges(m);
    m.fillInFlight = true;
    try {
      let receipt;
      try {
        receipt = await store.journalFill(fillRecord(fill, this.fillId(fill)));
      } catch (err) {
        if (!(err instanceof RecordError)) throw err;
        // Not recordable exactly (no lots, a size past 2^53): not a fill the ledger can book either.
        this.log.error({ symbol: m.symbol, clientId: fill.clientId, err: err.message }, 'a fill that cannot be recorded is skipped');
        this.deps.metrics.errors.inc({ kind: 'bad_fill' });
        this.deps.risk.onError(m.symbol, 'unrecordable fill', this.deps.clock.nowMs());
        return;
      }
      // Re-delivered: booked once already. Fenced: another daemon holds the market now, the fill is its to book.
      if (receipt.status === 'duplicate' || receipt.status === 'fenced') return;
      m.lastBookedSeq = Math.max(m.lastBookedSeq, receipt.seq);
      m.checkpointDue = true;
      this.deps.apply(event); // no await between the receipt and the booking
    } finally {
      this.fillBooked(m);
    }
  }

  /** The fill in flight is booked (or skipped): a checkpoint held back for it can be written. */
  private fillBooked(m: MarketPersistence): void {
    m.fillInFlight = false;
    if (m.checkpointDue) this.checkpointSoon(m);
  }

  /** The venue's id, else the order's cumulative filled lots after the fill (docs/storage.md). */
  private fillId(fill: Fill): string {
    if (fill.fillId !== undefined) return fill.fillId;
    const order = this.deps.orders.order(fill.clientId);
    if (order !== undefined) return String(Math.min(order.size, Math.max(0, order.size - fill.leaves)));
    return `t${fill.tsNs}-${fill.size}-${fill.leaves}`; // an order we do not know: the report's own coordinates
  }
}

export function fillRecord(fill: Fill, fillId: string): FillRecord {
  return { clientId: fill.clientId, fillId, side: fill.side, price: fill.price, lots: fill.size, fee: fill.fee, liquidity: fill.liquidity, tsNs: fill.tsNs };
}
