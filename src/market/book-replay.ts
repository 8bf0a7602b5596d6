// Replays a Binance recording into a core OrderBook and reports what happened: the
// counts, the book's state and its top levels as exact decimal strings.
import { BinanceReader, OrderBook, type Side } from '../native.js';
import type { BookCounts, MarketSpec } from '../native.js';
import { errorMessage } from '../errors.js';

export interface ReplayOptions {
  /** Stop before the first event stamped by the exchange after this time (ms). */
  untilExchangeMs?: number;
  /** Levels per side in the report. */
  depth: number;
}

export interface LevelView {
  price: string;
  size: string;
}

export interface ReplayReport {
  file: string;
  symbol: string;
  market: string;
  rule: string;
  status: string;
  invalidReason: string | null;
  lastUpdateId: number | null;
  counts: BookCounts;
  /** Lines that could not be read (each skipped); the first error's message. */
  badLines: number;
  firstBadLine: string | null;
  bids: LevelView[];
  asks: LevelView[];
}

function levels(book: OrderBook, spec: MarketSpec, side: Side, depth: number): LevelView[] {
  return book.topLevels(side, depth).map((l) => ({
    price: spec.ticksToPrice(l.price),
    size: spec.lotsToSize(l.size),
  }));
}

export function replayBook(file: string, options: ReplayOptions): ReplayReport {
  const reader = new BinanceReader(file);
  const spec = reader.spec;
  const book = new OrderBook(reader.sequenceRule);
  const until = options.untilExchangeMs === undefined ? undefined : BigInt(options.untilExchangeMs) * 1_000_000n;
  let badLines = 0;
  let firstBadLine: string | null = null;
  for (;;) {
    let batch;
    try {
      batch = reader.nextBatch(8192);
    } catch (err) {
      // A bad line is skipped and counted; the reader continues after it.
      badLines += 1;
      firstBadLine ??= errorMessage(err);
      continue;
    }
    if (batch === null) break;
    if (book.applyBatch(batch, 0, until) < batch.length) break;
  }
  return {
    file,
    symbol: spec.symbol,
    market: reader.market,
    rule: book.rule,
    status: book.status,
    invalidReason: book.invalidReason,
    lastUpdateId: book.lastUpdateId,
    counts: book.counts(),
    badLines,
    firstBadLine,
    bids: levels(book, spec, 'buy', options.depth),
    asks: levels(book, spec, 'sell', options.depth),
  };
}
