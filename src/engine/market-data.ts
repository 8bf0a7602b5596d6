// One market's view of the venue's data: the core order book fed batch by batch, the trades
// of each batch for the intensity estimator, and the freshness the watchdogs read.
import { type EventBatch, EventKind, OrderBook } from '@flashmm/core';
import type { BookTop, PublicTrade } from '../market/types.js';

/** Trade flag bit: the buyer was the maker, so the aggressor sold (core `FLAG_BUYER_MAKER`). */
const FLAG_BUYER_MAKER = 1;

export interface BatchOutcome {
  readonly events: number;
  readonly trades: readonly PublicTrade[];
  /** The book's validity after the batch. */
  readonly valid: boolean;
}

export class MarketData {
  readonly book: OrderBook;
  /** Exchange time of the newest event seen, ns. */
  private lastExchangeTsNs = 0n;
  /** Local clock (ms) when data last arrived: what the stale-book watchdog reads. */
  private lastDataAtMs: number | null = null;

  constructor(sequenceRule: string) {
    this.book = new OrderBook(sequenceRule);
  }

  apply(batch: EventBatch, nowMs: number): BatchOutcome {
    const n = batch.length;
    if (n === 0) return { events: 0, trades: [], valid: this.book.isValid };
    this.book.applyBatch(batch);
    this.lastDataAtMs = nowMs;
    const exchangeTs = batch.exchangeTs;
    const last = exchangeTs[n - 1];
    if (last !== undefined && last > this.lastExchangeTsNs) this.lastExchangeTsNs = last;
    return { events: n, trades: tradesOf(batch), valid: this.book.isValid };
  }

  /** The top of book, or null when the book is invalid or one-sided (never quote then). */
  top(): BookTop | null {
    if (!this.book.isValid) return null;
    const bid = this.book.bestBid();
    const ask = this.book.bestAsk();
    const mid = this.book.mid();
    const micro = this.book.microPrice();
    if (bid === null || ask === null || mid === null || micro === null) return null;
    return { bid, ask, mid, microPrice: micro, exchangeTsNs: this.lastExchangeTsNs };
  }

  /** Milliseconds since data last arrived (Infinity before any). */
  ageMs(nowMs: number): number {
    return this.lastDataAtMs === null ? Number.POSITIVE_INFINITY : nowMs - this.lastDataAtMs;
  }
}

/** The public trades of a batch, in order. */
export function tradesOf(batch: EventBatch): PublicTrade[] {
  const kinds = batch.kinds;
  const trades: PublicTrade[] = [];
  if (!kinds.includes(EventKind.Trade)) return trades;
  const starts = batch.levelStart;
  const prices = batch.prices;
  const sizes = batch.sizes;
  const flags = batch.flags;
  const ts = batch.exchangeTs;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== EventKind.Trade) continue;
    const at = starts[i] ?? 0;
    trades.push({
      price: prices[at] ?? 0,
      size: sizes[at] ?? 0,
      aggressor: ((flags[i] ?? 0) & FLAG_BUYER_MAKER) !== 0 ? 'sell' : 'buy',
      exchangeTsNs: ts[i] ?? 0n,
    });
  }
  return trades;
}
