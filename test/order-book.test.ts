// The core order book through N-API: exact states, clear errors, and the real recordings
// replayed diff by diff through typed arrays, checked against Binance's bookTicker.
import { describe, expect, it } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { ApplyOutcome, BinanceReader, EventKind, MarketSpec, OrderBook } from '../src/native.js';

const f = (...xs: number[]): Float64Array => Float64Array.from(xs);
const none = f();

function spotBook(): OrderBook {
  const book = new OrderBook('binance-spot');
  expect(book.applySnapshot(100, f(99, 98), f(5, 7), f(101, 102), f(3, 4))).toBe(ApplyOutcome.Applied);
  return book;
}

describe('OrderBook', () => {
  it('applies a snapshot and chained diffs to an exact state', () => {
    const book = spotBook();
    expect(book.applyDiff(95, 103, null, f(99, 97), f(0, 2), f(101), f(8))).toBe(ApplyOutcome.Applied);
    expect(book.applyDiff(104, 104, null, f(100), f(1), none, none)).toBe(ApplyOutcome.Applied);
    expect(book.topLevels('buy', 10)).toEqual([
      { price: 100, size: 1 },
      { price: 98, size: 7 },
      { price: 97, size: 2 },
    ]);
    expect(book.topLevels('sell', 10)).toEqual([
      { price: 101, size: 8 },
      { price: 102, size: 4 },
    ]);
    expect(book.lastUpdateId).toBe(104);
    expect(book.status).toBe('valid');
    expect(book.spread()).toBe(1);
    expect(book.mid()).toBe(100.5);
    expect(book.microPrice()).toBeCloseTo((100 * 8 + 101 * 1) / 9, 12);
    expect(book.imbalance(1)).toBeCloseTo((1 - 8) / 9, 12);
    expect(book.averageFillPrice('buy', 10)).toBeCloseTo((8 * 101 + 2 * 102) / 10, 12);
    expect(book.averageFillPrice('buy', 13)).toBeNull();
    expect(book.sizeAt('sell', 102)).toBe(4);
  });

  it('buffers diffs until the snapshot, then applies those that follow it', () => {
    const book = new OrderBook('binance-spot');
    expect(book.status).toBe('awaiting-snapshot');
    expect(book.applyDiff(101, 102, null, f(99), f(9), none, none)).toBe(ApplyOutcome.Buffered);
    expect(book.bufferedDiffs).toBe(1);
    expect(book.applySnapshot(100, f(99), f(5), f(101), f(3))).toBe(ApplyOutcome.Applied);
    expect(book.bestBid()).toEqual({ price: 99, size: 9 });
    expect(book.lastUpdateId).toBe(102);
  });

  it('marks a gap and a crossed book invalid with the reason, until a snapshot resyncs', () => {
    const book = spotBook();
    expect(book.applyDiff(103, 104, null, f(99), f(1), none, none)).toBe(ApplyOutcome.Rejected);
    expect(book.status).toBe('invalid');
    expect(book.invalidReason).toBe('sequence gap: expected update 101 next, got 103..=104');
    expect(book.counts().gaps).toBe(1);
    expect(book.applySnapshot(104, f(99), f(2), f(101), f(1))).toBe(ApplyOutcome.Applied);
    expect(book.isValid).toBe(true);

    expect(book.applyDiff(105, 105, null, f(101), f(1), none, none)).toBe(ApplyOutcome.Rejected);
    expect(book.invalidReason).toBe('crossed book: best bid 101 >= best ask 101 (ticks)');
  });

  it('rejects negative and zero prices as an invalid book state, atomically', () => {
    const book = spotBook();
    expect(book.applyDiff(101, 101, null, f(97, -5), f(3, 1), none, none)).toBe(ApplyOutcome.Rejected);
    expect(book.invalidReason).toBe('invalid bid level: price -5 ticks, size 1 lots (price must be > 0, size >= 0)');
    expect(book.sizeAt('buy', 97)).toBe(0);
    const zero = spotBook();
    expect(zero.applyDiff(101, 101, null, none, none, f(0), f(1))).toBe(ApplyOutcome.Rejected);
    expect(zero.invalidReason).toMatch(/^invalid ask level: price 0 ticks/);
  });

  it('throws clear errors for NaN, fractions, mismatched arrays and bad arguments', () => {
    const book = spotBook();
    expect(() => book.applyDiff(101, 101, null, f(NaN), f(1), none, none)).toThrow(
      'bids: prices[0] = NaN is not an integer number of ticks',
    );
    expect(() => book.applyDiff(101, 101, null, f(99), f(0.5), none, none)).toThrow(
      'bids: sizes[0] = 0.5 is not an integer number of lots',
    );
    expect(() => book.applyDiff(101, 101, null, none, none, f(1, 2), f(1))).toThrow(
      'asks: 2 prices but 1 sizes: the arrays must have the same length',
    );
    expect(() => book.applyDiff(-1, 101, null, none, none, none, none)).toThrow('firstUpdateId = -1 must not be negative');
    expect(() => new OrderBook('nasdaq')).toThrow("unknown sequence rule 'nasdaq'");
    expect(() => book.setLevel('buy', 99, 1)).toThrow("the book uses sequence rule 'binance-spot'");
    // Nothing above changed the book.
    expect(book.isValid).toBe(true);
    expect(book.bestBid()).toEqual({ price: 99, size: 5 });
  });

  it('keeps our own orders and shows the public book net of them', () => {
    const book = new OrderBook('none');
    book.applySnapshot(1, f(1000, 999), f(10, 20), f(1002), f(30));
    book.addOwnOrder(1, 'buy', 1000, 4);
    book.addOwnOrder(2, 'buy', 1000, 6);
    expect(book.netTopLevels('buy', 5)).toEqual([{ price: 999, size: 20 }]);
    expect(() => book.addOwnOrder(2, 'buy', 1000, 1)).toThrow('own order 2 already exists');
    expect(book.setLevel('buy', 1000, 7)).toBe(ApplyOutcome.Applied);
    expect(book.ownOverhang()).toEqual([{ side: 'buy', price: 1000, excess: 3 }]);
    expect(book.fillOwnOrder(2, 3)).toBe(3);
    expect(book.ownOverhang()).toEqual([]);
    expect(book.ownOrders()).toEqual([
      { id: 1, side: 'buy', price: 1000, size: 4 },
      { id: 2, side: 'buy', price: 1000, size: 3 },
    ]);
  });
});

describe('MarketSpec', () => {
  it('converts decimal strings exactly and refuses off-grid values', () => {
    const spec = new MarketSpec({ symbol: 'BTC-USD', tickSize: '0.1', lotSize: '0.001' });
    expect(spec.priceToTicks('61773.6')).toBe(617736);
    expect(spec.ticksToPrice(617736)).toBe('61773.6');
    expect(spec.sizeToLots('1.5')).toBe(1500);
    expect(() => spec.priceToTicks('61773.65')).toThrow("'61773.65' is not on the grid of 0.1");
    expect(() => spec.priceToTicks('NaN')).toThrow("'NaN' is not a decimal number");
    expect(() => spec.priceToTicks('-1')).toThrow("'-1' is negative");
    expect(() => new MarketSpec({ symbol: 'X', tickSize: '0', lotSize: '1' })).toThrow('tick size');
    expect(MarketSpec.binance('btcusdt', 'usdm').tickSize).toBe('0.1');
  });
});

// The touch at each depth-diff boundary must equal the bookTicker with the greatest update
// id not after it (Binance publishes every change of the touch on that stream).
interface Agreement {
  boundaries: number;
  /** Boundaries before the first ticker: nothing to compare with. */
  unchecked: number;
  mismatches: number;
  gaps: number;
}

function replayAgainstTicker(file: string): Agreement {
  const reader = new BinanceReader(recording(file));
  const book = new OrderBook(reader.sequenceRule);
  const boundaries: { id: number; touch: string }[] = [];
  const tickers: { id: number; touch: string }[] = [];
  const touch = (bp: number, bs: number, ap: number, as: number): string => `${bp}x${bs}/${ap}x${as}`;
  for (let batch = reader.nextBatch(4096); batch !== null; batch = reader.nextBatch(4096)) {
    const [kinds, first, last, prev] = [batch.kinds, batch.firstId, batch.lastId, batch.prevId];
    const [start, nb, na, prices, sizes] = [batch.levelStart, batch.bidCount, batch.askCount, batch.prices, batch.sizes];
    for (let i = 0; i < batch.length; i++) {
      const s = start[i]!;
      const m = s + nb[i]!;
      const e = m + na[i]!;
      const [bp, bs, ap, as] = [prices.subarray(s, m), sizes.subarray(s, m), prices.subarray(m, e), sizes.subarray(m, e)];
      let outcome: ApplyOutcome | null = null;
      if (kinds[i] === EventKind.Snapshot) outcome = book.applySnapshot(last[i]!, bp, bs, ap, as);
      else if (kinds[i] === EventKind.DepthDiff) {
        const pu = prev[i]! < 0 ? null : prev[i]!;
        outcome = book.applyDiff(first[i]!, last[i]!, pu, bp, bs, ap, as);
      } else if (kinds[i] === EventKind.BookTicker) {
        tickers.push({ id: last[i]!, touch: touch(prices[s]!, sizes[s]!, prices[m]!, sizes[m]!) });
      }
      if (outcome === ApplyOutcome.Applied) {
        const b = book.bestBid()!;
        const a = book.bestAsk()!;
        expect(b.price).toBeLessThan(a.price);
        boundaries.push({ id: book.lastUpdateId!, touch: touch(b.price, b.size, a.price, a.size) });
      }
    }
  }
  tickers.sort((x, y) => x.id - y.id);
  let mismatches = 0;
  let unchecked = 0;
  for (const b of boundaries) {
    let lo = 0;
    let hi = tickers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tickers[mid]!.id <= b.id) lo = mid + 1;
      else hi = mid;
    }
    const t = tickers[lo - 1];
    if (t === undefined) unchecked += 1;
    else if (t.touch !== b.touch) mismatches += 1;
  }
  return { boundaries: boundaries.length, unchecked, mismatches, gaps: book.counts().gaps };
}

describe('real recordings through N-API', () => {
  it.each([
    ['spot_btcusdt_20240808.gz', 3449],
    ['spot_ethusdt_20240808.gz', 3433],
    ['usdm_btcusdt_20240808.gz', 6546],
    ['usdm_ethusdt_20240808.gz', 6580],
    ['cm_btcusd_perp_20240808.gz', 26823],
    ['cm_ethusd_perp_20240808.gz', 22886],
  ])('%s: zero gaps, never crossed, all %i boundaries agree with bookTicker', (file, expectedBoundaries) => {
    const got = replayAgainstTicker(file);
    expect(got.unchecked).toBeLessThanOrEqual(1);
    expect(got).toEqual({ boundaries: expectedBoundaries, unchecked: got.unchecked, mismatches: 0, gaps: 0 });
  });
});
