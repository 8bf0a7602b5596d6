// Rotation of a recording made of snapshots only (the Sei venue: one snapshot per block,
// sequence = height, and the block's settlements as trades). The core's Recorder rotates at a
// depth diff, which such a stream never has, so here each part is a Recorder of its own, closed
// and renamed to `<family>_<symbol>_<name>-<n>.gz` (its sidecar with it) when the next one
// starts. A new part opens with a snapshot of the book as recorded (as the core's rotation
// does), so every part replays on its own. While it is written a part is named
// `<family>_<symbol>_<name>-<n>-1.gz`; a process killed hard leaves it under that name, readable
// up to its last complete line.
import { renameSync, statSync } from 'node:fs';
import { EventBatchBuilder, Recorder, type EventBatch, type MarketSpec, type RecordedBook } from '../native.js';

export interface SnapshotPartsOptions {
  readonly dir: string;
  readonly name: string;
  /** The ids' sequencing family (the file name prefix). */
  readonly market: string;
  /** A new part past this many bytes of the open part on disk (compressed; 0: never). */
  readonly maxBytes: number;
  /** A new part past this many seconds of local time (0: never). */
  readonly maxSeconds: number;
}

/** The core Recorder's rotation defaults (`Rotation::default`, replay/record.rs: 256 MiB, one hour), restated: the binding does not export them. */
export const PART_DEFAULTS = { maxBytes: 256 * 2 ** 20, maxSeconds: 3600 } as const;

export class SnapshotParts {
  private current: Recorder | null = null;
  private firstLocalNs = 0n;
  private lastExchangeNs = 0n;
  private readonly done: string[] = [];
  private eventsBefore = 0;
  private finished = false;

  constructor(private readonly spec: MarketSpec, private readonly options: SnapshotPartsOptions) {}

  /** Appends the batch; a due part is closed first (between two blocks, never inside one). */
  writeBatch(batch: EventBatch): void {
    if (this.finished) throw new Error('the recording is finished');
    if (batch.length === 0) return;
    const localNs = batch.localTs[0] ?? 0n;
    if (this.current !== null && this.due(localNs)) this.rotate(localNs);
    if (this.current === null) this.open(localNs);
    (this.current as Recorder).writeBatch(batch);
    const ts = batch.exchangeTs;
    for (let i = ts.length - 1; i >= 0; i--) {
      if ((ts[i] ?? 0n) !== 0n) {
        this.lastExchangeNs = ts[i] ?? 0n;
        break;
      }
    }
  }

  get events(): number {
    return this.eventsBefore + (this.current?.events ?? 0);
  }

  /** The book as recorded so far. */
  get book(): RecordedBook {
    return this.current?.book ?? { valid: false, bids: [], asks: [] };
  }

  /** Closes the open part and returns every part. */
  finish(): string[] {
    if (!this.finished) this.close();
    this.finished = true;
    return [...this.done];
  }

  private open(localNs: bigint): void {
    const n = this.done.length + 1;
    this.current = new Recorder(this.spec, { dir: this.options.dir, name: `${this.options.name}-${n}`, market: this.options.market, maxBytes: 0, maxSeconds: 0 });
    this.firstLocalNs = localNs;
  }

  private due(localNs: bigint): boolean {
    const { maxBytes, maxSeconds } = this.options;
    if (maxSeconds > 0 && localNs - this.firstLocalNs >= BigInt(Math.round(maxSeconds * 1e9))) return true;
    const path = this.current?.parts[0];
    return maxBytes > 0 && path !== undefined && statSync(path).size >= maxBytes;
  }

  private rotate(localNs: bigint): void {
    const book = this.book;
    this.close();
    this.open(localNs);
    if (!book.valid || book.lastUpdateId === undefined) return; // the next part waits for the venue's snapshot
    const b = new EventBatchBuilder(this.spec);
    const px = (levels: RecordedBook['bids']) => levels.map((l) => this.spec.ticksToPrice(l.price));
    const qty = (levels: RecordedBook['bids']) => levels.map((l) => this.spec.lotsToSize(l.size));
    b.pushSnapshot(book.lastUpdateId, this.lastExchangeNs, localNs, px(book.bids), qty(book.bids), px(book.asks), qty(book.asks));
    (this.current as Recorder).writeBatch(b.finish());
  }

  private close(): void {
    const r = this.current;
    if (r === null) return;
    this.current = null;
    this.eventsBefore += r.events;
    for (const part of r.finish()) {
      const final = part.replace(/-1\.gz$/, '.gz');
      renameSync(part, final);
      renameSync(`${part}.spec.json`, `${final}.spec.json`);
      this.done.push(final);
    }
  }
}
