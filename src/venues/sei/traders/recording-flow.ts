// A recording's order flow on a chain pair's grid, for the traders' plan (plan.ts): the core
// replays the recording (its own grid) at `rate` × real time and keeps its book; each block the
// plan reads the top `depth` levels of each side and the block's trades, mapped onto the pair:
// - prices tick for tick (the recording's spread and queue structure in ticks are kept), shifted
//   so the recording's first mid lands on `anchorTicks` (the chain pair's mid at the start);
// - sizes × `sizeScale` chain lots per unit of the recording's size, rounded up or down at random
//   with the probability of the fraction (seeded), so any scale keeps the expected volume; a
//   level's rounding is drawn again only when its recorded size changes (no churn).
import { BinanceReader, OrderBook, SimVenue } from '../../../native.js';
import type { Side } from '../../../market/types.js';

export interface RecordingFlowOptions {
  /** A recording the readers take (a Binance recording, or one of `flashmm record`). */
  readonly path: string;
  /** Chain lots per unit of the recording's size (its asset, or contracts). */
  readonly sizeScale: number;
  /** Levels of each side of the recording's book kept on the chain. */
  readonly depth: number;
}

export interface FlowLevel {
  readonly side: Side;
  /** Ticks and lots of the chain pair's grid. */
  readonly price: number;
  readonly size: number;
}

export interface FlowTrade extends FlowLevel {
  /** The aggressor. */
  readonly side: Side;
  readonly tsNs: bigint;
}

/** mulberry32: a small seeded generator of [0, 1) (the plan must not depend on Math.random). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class RecordingFlow {
  private readonly replay: SimVenue;
  private readonly book: OrderBook;
  private readonly lot: number;
  private readonly random: () => number;
  /** The recording's mid (its ticks) that maps onto the anchor; set at its first two-sided book. */
  private origin: number | null = null;
  /** Per recorded level: its recorded size and the chain lots drawn for it. */
  private drawn = new Map<string, { recorded: number; lots: number }>();

  constructor(private readonly options: RecordingFlowOptions, private readonly anchorTicks: number, seed: number, rate: number, startNs: bigint) {
    if (!(options.sizeScale > 0)) throw new Error(`size scale must be > 0, got ${options.sizeScale}`);
    if (!Number.isInteger(options.depth) || options.depth < 1) throw new Error(`depth must be a whole number ≥ 1, got ${options.depth}`);
    const reader = new BinanceReader(options.path);
    this.book = new OrderBook(reader.sequenceRule);
    this.lot = Number(reader.spec.lotSize);
    this.replay = new SimVenue({ startNs, replayPath: options.path, speed: rate });
    this.random = seeded(seed);
  }

  /** The recording has fed its last event. */
  get finished(): boolean {
    return this.replay.finished;
  }

  /** The recording up to `untilNs`: its trades in order, then the book's top levels, on the chain's grid. */
  advance(untilNs: bigint): { trades: FlowTrade[]; levels: FlowLevel[] } {
    const batch = this.replay.advance(untilNs).market;
    this.book.applyBatch(batch);
    if (this.origin === null) {
      const bid = this.book.bestBid();
      const ask = this.book.bestAsk();
      if (bid === null || ask === null || !this.book.isValid) return { trades: [], levels: [] };
      this.origin = Math.floor((bid.price + ask.price) / 2);
    }
    const trades: FlowTrade[] = [];
    for (const t of batch.trades()) {
      const price = this.price(t.price);
      const size = this.round(t.size);
      if (price > 0 && size > 0) trades.push({ side: t.aggressor, price, size, tsNs: t.exchangeTsNs });
    }
    const levels: FlowLevel[] = [];
    const previous = this.drawn;
    this.drawn = new Map(); // only the levels on show: the map stays small
    if (this.book.isValid) {
      for (const side of ['buy', 'sell'] as const) {
        for (const l of this.book.topLevels(side, this.options.depth)) {
          const price = this.price(l.price);
          const size = this.levelLots(previous, side, l.price, l.size);
          if (price > 0 && size > 0) levels.push({ side, price, size });
        }
      }
    }
    return { trades, levels };
  }

  private price(recorded: number): number {
    return this.anchorTicks + recorded - (this.origin ?? recorded);
  }

  private levelLots(previous: ReadonlyMap<string, { recorded: number; lots: number }>, side: Side, price: number, recorded: number): number {
    const key = `${side}:${price}`;
    const known = previous.get(key);
    if (known !== undefined && known.recorded === recorded) {
      this.drawn.set(key, known);
      return known.lots;
    }
    const lots = this.round(recorded);
    this.drawn.set(key, { recorded, lots });
    return lots;
  }

  /** Recorded lots as chain lots: the scaled size, its fraction rounded up with that probability. */
  private round(recordedLots: number): number {
    const x = recordedLots * this.lot * this.options.sizeScale;
    const whole = Math.floor(x);
    return whole + (this.random() < x - whole ? 1 : 0);
  }
}
