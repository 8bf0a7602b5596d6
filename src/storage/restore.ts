// Restart: the last checkpoint of a market and the journal after it, folded into what the engine
// restores before it reconciles with the venue. Pure: the reading is in redis-store.ts.
//
// The checkpoint holds the ledger's snapshot after every fill up to `throughSeq` was booked, and
// the live orders at that moment; the journal tail holds what happened after. Folding the tail:
// - fills are returned in journal order for the engine to book into the ledger restored from the
//   checkpoint (the ledger computes, storage only keeps), and added to their order's `filled`;
// - order events create orders (the first event carries the order's details), change their
//   state, and close them; a closed order is kept aside so that a later event can revive it.
// Applying an event the checkpoint already reflects changes nothing, so the fold is exact
// whether or not a checkpoint landed after the last order event.
import { isTerminal } from '../execution/order-state.js';
import type { Checkpoint, FillRecord, JournalEntry, StoredOrder } from './records.js';

export interface JournalGap {
  readonly first: number;
  readonly last: number;
  readonly count: number;
}

export interface RestoredMarket {
  readonly symbol: string;
  /** The last checkpoint, or null when the market has none (first start). */
  readonly checkpoint: Checkpoint | null;
  /** Journal entries after the checkpoint, in sequence order. */
  readonly tail: readonly JournalEntry[];
  /** Fills after the checkpoint: book them, in this order, into the ledger restored from the checkpoint. */
  readonly fillsToReplay: readonly FillRecord[];
  /** Live orders: the checkpoint's with the tail applied (their `filled` includes the tail's fills). */
  readonly openOrders: readonly StoredOrder[];
  /** Orders the tail closed (still useful to recognise the venue's late news of them). */
  readonly closedOrders: readonly StoredOrder[];
  /** Lots the tail booked for client ids neither the checkpoint nor the tail describes. */
  readonly fillsOfUnknownOrders: ReadonlyMap<string, number>;
  /** Journal entries dropped after the checkpoint (Redis was unreachable and the buffer full). */
  readonly gaps: readonly JournalGap[];
  /** Records that could not be decoded: nothing restored from this market can be trusted. */
  readonly problems: readonly string[];
  /** The journal's last sequence number; the next entry is lastSeq + 1. */
  readonly lastSeq: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function foldJournal(
  symbol: string,
  checkpoint: Checkpoint | null,
  tail: readonly JournalEntry[],
  lastSeq: number,
  problems: readonly string[] = [],
): RestoredMarket {
  const open = new Map<string, Mutable<StoredOrder>>();
  const closed = new Map<string, Mutable<StoredOrder>>();
  for (const order of checkpoint?.openOrders ?? []) open.set(order.clientId, { ...order });
  const fills: FillRecord[] = [];
  const unknown = new Map<string, number>();
  const gaps: JournalGap[] = [];
  const throughSeq = checkpoint?.throughSeq ?? 0;

  for (const entry of tail) {
    if (entry.type === 'gap') {
      if (entry.last > throughSeq) gaps.push({ first: entry.first, last: entry.last, count: entry.count });
      continue;
    }
    if (entry.type === 'fill') {
      const { fill } = entry;
      fills.push(fill);
      const order = open.get(fill.clientId) ?? closed.get(fill.clientId);
      if (order !== undefined) order.filled += fill.lots;
      else unknown.set(fill.clientId, (unknown.get(fill.clientId) ?? 0) + fill.lots);
      continue;
    }
    const { event } = entry;
    let order = open.get(event.clientId) ?? closed.get(event.clientId);
    if (order === undefined) {
      // An event for an order closed before the checkpoint (a late cancel) describes nothing live.
      if (event.order === undefined) continue;
      const filled = unknown.get(event.clientId) ?? 0;
      unknown.delete(event.clientId);
      order = { clientId: event.clientId, ...event.order, filled, state: event.state };
    }
    order.state = event.state;
    if (event.order?.venueId != null) order.venueId = event.order.venueId;
    open.delete(order.clientId);
    closed.delete(order.clientId);
    (isTerminal(order.state) ? closed : open).set(order.clientId, order);
  }

  const lastTailSeq = tail.length === 0 ? 0 : (tail[tail.length - 1] as JournalEntry).seq;
  return {
    symbol,
    checkpoint,
    tail,
    fillsToReplay: fills,
    openOrders: [...open.values()],
    closedOrders: [...closed.values()],
    fillsOfUnknownOrders: unknown,
    gaps,
    problems,
    lastSeq: Math.max(lastSeq, lastTailSeq, throughSeq),
  };
}
