// The bounded, ordered buffer between the daemon and Redis. Every write goes through it, so one
// path serves a healthy Redis (the queue drains at once) and an unreachable one (it fills).
//
// Two kinds of write:
// - journal entries: first in, first out, never merged. At most `capacity` wait; past that the
//   oldest is dropped and the drop is recorded in the journal itself: a gap entry (its market,
//   the range of sequence numbers lost and their count) takes the place of the first one dropped,
//   and later drops of that market merge into it. A gap entry always precedes the market's
//   surviving entries, so the stream stays in sequence order.
// - state (book, checkpoint, predictions): one per key, the latest value wins (predictions
//   accumulate), so they cannot overflow: their number is bounded by the keys.
// `take` hands out journal entries before state, so a checkpoint is always written after the
// journal entries it includes.

export interface JournalGap {
  readonly first: number;
  readonly last: number;
  readonly count: number;
}

export interface WriteOp<P> {
  /** Journal entries: the market and sequence number (drops are recorded per market); a gap entry says which. */
  readonly journal?: { readonly market: string; readonly seq: number; readonly gap?: JournalGap };
  /** State: the key this write replaces. */
  readonly key?: string;
  /** The market a state write belongs to (journal entries name theirs in `journal`). */
  readonly market?: string;
  /** Adds this write's one command to `pipeline`. */
  send(pipeline: P): void;
  /** State writes that accumulate: this write, merged after `older` (still waiting). */
  mergeAfter?(older: WriteOp<P>): WriteOp<P>;
  /** Called with the command's reply, or with null if the write will not be confirmed. */
  settle?(reply: unknown): void;
}

/** A journal gap entry under construction: mutable until it is taken. */
interface Gap {
  readonly market: string;
  first: number;
  last: number;
  count: number;
}

export type GapFactory<P> = (market: string, first: number, last: number, count: number) => WriteOp<P>;

type Slot<P> = { readonly op: WriteOp<P> } | { readonly gap: Gap };

export class WriteQueue<P> {
  private journal: Slot<P>[] = [];
  private head = 0;
  private journalOps = 0;
  private readonly openGaps = new Map<string, Gap>();
  private state = new Map<string, WriteOp<P>>();

  constructor(
    /** Journal entries held at most (gap entries and state writes are not counted: both are bounded by the markets). */
    readonly capacity: number,
    private readonly makeGap: GapFactory<P>,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error(`write queue capacity must be >= 1, got ${capacity}`);
  }

  /** Writes waiting, of every kind. */
  get size(): number {
    return this.journal.length - this.head + this.state.size;
  }

  /** Journal entries waiting (gap entries excluded). */
  get journalSize(): number {
    return this.journalOps;
  }

  /** Whether a state write under `key` is waiting. */
  isWaiting(key: string): boolean {
    return this.state.has(key);
  }

  /** Queues `op`; returns the journal entries dropped to make room (0 or 1). */
  push(op: WriteOp<P>): number {
    if (op.key !== undefined) {
      this.putState(op.key, op);
      return 0;
    }
    this.journal.push({ op });
    this.journalOps += 1;
    if (this.journalOps <= this.capacity) return 0;
    this.dropOldest();
    return 1;
  }

  /** Up to `max` writes in order: journal entries (gaps included) first, then state. */
  take(max: number): WriteOp<P>[] {
    const out: WriteOp<P>[] = [];
    while (out.length < max && this.head < this.journal.length) {
      const slot = this.journal[this.head] as Slot<P>;
      this.head += 1;
      if ('gap' in slot) {
        if (this.openGaps.get(slot.gap.market) === slot.gap) this.openGaps.delete(slot.gap.market);
        const { market, first, last, count } = slot.gap;
        out.push(this.makeGap(market, first, last, count));
      } else {
        this.journalOps -= 1;
        out.push(slot.op);
      }
    }
    this.compact();
    for (const [key, op] of this.state) {
      if (out.length >= max) break;
      this.state.delete(key);
      out.push(op);
    }
    return out;
  }

  /** Puts writes that could not be confirmed back at the front, in their order. */
  requeue(ops: readonly WriteOp<P>[]): void {
    const slots: Slot<P>[] = [];
    for (const op of ops) {
      if (op.journal?.gap !== undefined) {
        // A gap entry goes back as a gap, so later drops of its market can merge into it.
        const gap: Gap = { market: op.journal.market, ...op.journal.gap };
        if (!this.openGaps.has(gap.market)) this.openGaps.set(gap.market, gap);
        slots.push({ gap });
      } else if (op.key === undefined) {
        slots.push({ op });
        this.journalOps += 1;
      }
    }
    this.journal = [...slots, ...this.journal.slice(this.head)];
    this.head = 0;
    while (this.journalOps > this.capacity) this.dropOldest();
    const waiting = this.state;
    this.state = new Map();
    for (const op of ops) if (op.key !== undefined) this.state.set(op.key, op);
    for (const [key, op] of waiting) this.putState(key, op);
  }

  private putState(key: string, op: WriteOp<P>): void {
    const older = this.state.get(key);
    const merged = older !== undefined && op.mergeAfter !== undefined ? op.mergeAfter(older) : op;
    this.state.delete(key); // re-inserted at the end: state goes out in the order it was last written
    this.state.set(key, merged);
  }

  /** Drops the oldest journal entry, recording it in its market's gap entry. */
  private dropOldest(): void {
    let i = this.head;
    while (i < this.journal.length && 'gap' in (this.journal[i] as Slot<P>)) i += 1;
    const slot = this.journal[i] as { readonly op: WriteOp<P> };
    const { market, seq } = slot.op.journal as { market: string; seq: number };
    this.journalOps -= 1;
    slot.op.settle?.(null);
    const gap = this.openGaps.get(market);
    if (gap === undefined) {
      const fresh: Gap = { market, first: seq, last: seq, count: 1 };
      this.openGaps.set(market, fresh);
      this.journal[i] = { gap: fresh };
      return;
    }
    gap.first = Math.min(gap.first, seq);
    gap.last = Math.max(gap.last, seq);
    gap.count += 1;
    // Remove slot i: everything before it is a gap entry (at most one per market), shift them up.
    for (let j = i; j > this.head; j -= 1) this.journal[j] = this.journal[j - 1] as Slot<P>;
    this.head += 1;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.journal.length) {
      this.journal = this.journal.slice(this.head);
      this.head = 0;
    }
  }
}
