// One market's writes to Redis (docs/storage.md): the journal (order events, fills), the
// checkpoint, the book and the forecasts. Every method returns at once, through the store's
// ordered queue; only `journalFill` returns a promise, for the fill path to await before it
// books the fill.
import type { ChainableCommander } from 'ioredis';
import type { MarketKeys } from './keys.js';
import {
  encodeBook, encodeFill, encodeInt, encodeOrder, encodeOrderEvent, encodePosition, encodePrediction, fillKey, RecordError,
  type BookRecord, type Checkpoint, type FillRecord, type OrderEventRecord, type PredictionRecord, type StoredOrder,
} from './records.js';
import { FENCED_WRITE, type RedisStore } from './redis-store.js';
import type { RestoredMarket } from './restore.js';
import { ALREADY_WRITTEN, APPENDED, DUPLICATE_FILL } from './scripts.js';
import type { WriteOp } from './write-queue.js';

/** `orderbook:{symbol}` lives this long after its last write. */
export const BOOK_TTL_MS = 10_000;
/** `predictions:{symbol}` keeps this many forecasts. */
export const PREDICTIONS_KEPT = 100;
/** Fill keys remembered in memory per market, to recognise a re-delivered fill without Redis. */
const RECENT_FILLS = 10_000;

type Op = WriteOp<ChainableCommander>;

/** The forecasts a waiting predictions write carries, for merging the next one into it. */
const pendingPredictions = new WeakMap<Op, readonly string[]>();

export type JournalReceipt =
  /** In Redis. */
  | { readonly status: 'durable'; readonly seq: number }
  /** Queued while Redis is unreachable or slow: book it, it is written when Redis returns (unless dropped). */
  | { readonly status: 'buffered'; readonly seq: number }
  /** The journal already has this fill (same client id and fill id), as entry `seq`: do not book it again. */
  | { readonly status: 'duplicate'; readonly seq: number }
  /** Refused: another daemon took the market's lease since this writer's (the fill is the new holder's to book). */
  | { readonly status: 'fenced'; readonly seq: number };

/**
 * One market's writes. Every method returns at once; only `journalFill` returns a promise, for
 * the fill path to await before it books the fill.
 */
export class MarketStore {
  private seq: number;
  private readonly recentFills = new Map<string, number>();
  private lastCheckpoint: Op | null = null;

  constructor(
    private readonly store: RedisStore,
    readonly symbol: string,
    private readonly keys: MarketKeys,
    restored: RestoredMarket,
    /** The fencing token of the market's lease this writer works under (0: not sharded, unchecked). */
    readonly fence = 0,
  ) {
    this.seq = restored.lastSeq;
    for (const entry of restored.tail) if (entry.type === 'fill') this.remember(fillKey(entry.fill.clientId, entry.fill.fillId), entry.seq);
  }

  /** The seq of a fill this writer journaled or restored (the latest RECENT_FILLS), if it has it. */
  journaledSeq(clientId: string, fillId: string): number | undefined {
    return this.recentFills.get(fillKey(clientId, fillId));
  }

  /** The last sequence number given to a journal entry. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Journals a fill; book it when the receipt says 'durable' or 'buffered', never on 'duplicate'.
   * Never rejects for Redis's sake; rejects with a RecordError for a fill that cannot be
   * recorded exactly (lots <= 0, a price or size beyond 2^53): it must not be booked either.
   */
  journalFill(fill: FillRecord): Promise<JournalReceipt> {
    const key = fillKey(fill.clientId, fill.fillId);
    const known = this.recentFills.get(key);
    if (known !== undefined) return Promise.resolve({ status: 'duplicate', seq: known });
    let fields: string[];
    try {
      fields = encodeFill(fill);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const seq = this.nextSeq();
    this.remember(key, seq);
    return new Promise((resolve) => {
      let settled = false;
      const args = this.store.journalArgs(this.keys, seq, key, this.fence, fields);
      this.store.enqueue({
        journal: { market: this.symbol, seq },
        send: (p) => void p.journalAppend(...args),
        settle: (reply) => {
          if (settled) return;
          settled = true;
          resolve(receiptOf(seq, reply));
        },
      });
    });
  }

  /** Journals an order's state change (fire and forget, in order with the fills). */
  journalOrder(event: OrderEventRecord): void {
    const fields = this.encoded('order event', () => encodeOrderEvent(event));
    if (fields === null) return;
    const seq = this.nextSeq();
    const args = this.store.journalArgs(this.keys, seq, '', this.fence, fields);
    this.store.enqueue({ journal: { market: this.symbol, seq }, send: (p) => void p.journalAppend(...args) });
  }

  /**
   * The ledger's snapshot and the live orders, after every fill up to `throughSeq` was booked
   * (the seq of the last booked fill's receipt; after a restore, `restored.lastSeq` once its
   * fills are replayed). Replaces the previous checkpoint; an older one never overwrites it.
   */
  checkpoint(state: { readonly throughSeq: number; readonly position: Checkpoint['position']; readonly openOrders: readonly StoredOrder[] }): void {
    const args = this.encoded('checkpoint', () => {
      const p = encodePosition(state.position);
      const out: (string | number)[] = [
        this.keys.positions, this.keys.orders, this.keys.leaseToken, encodeInt(state.throughSeq), this.store.nowMs, p.position, p.cost, p.realised, p.fees, p.volume, this.fence,
      ];
      for (const order of state.openOrders) out.push(order.clientId, encodeOrder(order));
      return out;
    });
    if (args === null) return;
    this.lastCheckpoint = { key: this.keys.positions, market: this.symbol, send: (pipe) => void pipe.checkpoint(...args) };
    this.store.enqueue(this.lastCheckpoint);
  }

  /** Queues the latest checkpoint again (after a reconnect), unless a newer one is waiting. */
  resendCheckpoint(): void {
    if (this.lastCheckpoint !== null) this.store.enqueueUnlessWaiting(this.lastCheckpoint);
  }

  /** The book's top levels (`orderbook:{symbol}`, expires after BOOK_TTL_MS). */
  saveBook(book: BookRecord): void {
    const encoded = this.encoded('book', () => encodeBook(book));
    if (encoded === null) return;
    const fields = Object.entries(encoded).flat();
    this.store.enqueue({ key: this.keys.book, market: this.symbol, send: (p) => void p.saveBook(this.keys.book, this.keys.leaseToken, BOOK_TTL_MS, this.fence, ...fields) });
  }

  /** A forecast (`predictions:{symbol}`, the latest PREDICTIONS_KEPT, newest first). */
  pushPrediction(prediction: PredictionRecord): void {
    const entry = this.encoded('prediction', () => encodePrediction(prediction));
    if (entry !== null) this.store.enqueue(this.predictionsOp([entry]));
  }

  /** Fire-and-forget writes never throw: a record that cannot be encoded is counted, logged once, skipped. */
  private encoded<T>(what: string, encode: () => T): T | null {
    try {
      return encode();
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      this.store.refuse(`${this.symbol} ${what}`, err.message);
      return null;
    }
  }

  private predictionsOp(entries: readonly string[]): Op {
    const op: Op = {
      key: this.keys.predictions,
      market: this.symbol,
      send: (p) => void p.pushPredictions(this.keys.predictions, this.keys.leaseToken, PREDICTIONS_KEPT, this.fence, ...entries),
      // Waiting forecasts accumulate (oldest first); only the latest PREDICTIONS_KEPT matter.
      mergeAfter: (older) => this.predictionsOp([...(pendingPredictions.get(older) ?? []), ...entries].slice(-PREDICTIONS_KEPT)),
    };
    pendingPredictions.set(op, entries);
    return op;
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  private remember(key: string, seq: number): void {
    this.recentFills.set(key, seq);
    if (this.recentFills.size > RECENT_FILLS) this.recentFills.delete(this.recentFills.keys().next().value as string);
  }
}

function receiptOf(seq: number, reply: unknown): JournalReceipt {
  if (reply === FENCED_WRITE) return { status: 'fenced', seq };
  if (!Array.isArray(reply)) return { status: 'buffered', seq };
  const [status, at] = reply as [number, number];
  if (status === DUPLICATE_FILL) return { status: 'duplicate', seq: at };
  if (status === APPENDED || status === ALREADY_WRITTEN) return { status: 'durable', seq };
  return { status: 'buffered', seq };
}
