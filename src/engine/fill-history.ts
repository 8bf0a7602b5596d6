// The daemon's recent fills, in arrival order, for the API's paged /api/v1/fills: a bounded
// ring (the oldest are forgotten first; the durable record is the storage journal), each fill
// numbered by a sequence that only grows, which is the page cursor.
import type { Fill } from '../venues/venue.js';

export interface NumberedFill {
  /** 1, 2, 3, … in arrival order, never reused. */
  readonly seq: number;
  readonly fill: Fill;
}

export interface FillPageRequest {
  /** The `seq` of the last fill already seen; none: from the oldest kept. */
  readonly after?: number;
  readonly limit: number;
}

export interface FillHistoryPage {
  readonly fills: readonly NumberedFill[];
  /** More fills after this page, as of now. */
  readonly more: boolean;
}

export class FillHistory {
  private readonly ring: NumberedFill[] = [];
  private head = 0;
  private seq = 0;

  constructor(readonly capacity = 10_000) {}

  get size(): number {
    return this.ring.length;
  }

  add(fill: Fill): number {
    this.seq += 1;
    const entry = { seq: this.seq, fill };
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else {
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
    }
    return this.seq;
  }

  /** Fills with seq > `after`, oldest first, at most `limit`. */
  page(request: FillPageRequest): FillHistoryPage {
    const n = this.ring.length;
    const oldest = n === 0 ? this.seq + 1 : this.at(0).seq;
    // Seqs are contiguous in the ring: the first wanted one's position is arithmetic.
    const from = Math.max(0, (request.after ?? 0) + 1 - oldest);
    const fills: NumberedFill[] = [];
    for (let i = from; i < n && fills.length < request.limit; i++) fills.push(this.at(i));
    return { fills, more: from + fills.length < n };
  }

  private at(i: number): NumberedFill {
    return this.ring[(this.head + i) % this.ring.length] as NumberedFill;
  }
}
