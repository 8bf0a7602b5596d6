// Order-book throughput on a real recording (USD-M BTCUSDT: 6.5 k depth diffs, ~445 k level
// updates incl. the 2 000-level snapshot): the core through N-API in batches, one diff per
// call, one level per call, and a plain TypeScript book on the same updates.
// Level updates per second = hz × LEVEL_UPDATES (printed once below).
import { bench, describe } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { BinanceReader, EventKind, OrderBook } from '../src/native.js';
import type { EventBatch } from '../src/native.js';
import { SortedArrayBook } from './sorted-array-book.js';

interface DepthEvent {
  snapshot: boolean;
  first: number;
  last: number;
  prev: number | null;
  bp: Float64Array;
  bs: Float64Array;
  ap: Float64Array;
  as: Float64Array;
}

const reader = new BinanceReader(recording('usdm_btcusdt_20240808.gz'));
const rule = reader.sequenceRule;
const batches: EventBatch[] = [];
for (let b = reader.nextBatch(1 << 16); b !== null; b = reader.nextBatch(1 << 16)) batches.push(b);

// Snapshot first: the recording buffers early diffs, which the plain book would not do.
const events: DepthEvent[] = [];
for (const batch of batches) {
  const [kinds, first, last, prev, start, nb, na, prices, sizes] = [
    batch.kinds, batch.firstId, batch.lastId, batch.prevId, batch.levelStart, batch.bidCount, batch.askCount, batch.prices, batch.sizes,
  ];
  for (let i = 0; i < batch.length; i++) {
    if (kinds[i] !== EventKind.Snapshot && kinds[i] !== EventKind.DepthDiff) continue;
    const s = start[i]!;
    const m = s + nb[i]!;
    const e = m + na[i]!;
    const p = prev[i]!;
    events.push({
      snapshot: kinds[i] === EventKind.Snapshot,
      first: first[i]!, last: last[i]!, prev: p < 0 ? null : p,
      bp: prices.subarray(s, m), bs: sizes.subarray(s, m), ap: prices.subarray(m, e), as: sizes.subarray(m, e),
    });
  }
}
const snapIndex = events.findIndex((e) => e.snapshot);
const ordered = [events[snapIndex]!, ...events.filter((e, i) => i !== snapIndex && e.last > events[snapIndex]!.last)];
const LEVEL_UPDATES = ordered.reduce((n, e) => n + e.bp.length + e.ap.length, 0);
console.log(`order-book bench: ${ordered.length} depth events, ${LEVEL_UPDATES} level updates per iteration`);

describe(`order book: replay ${LEVEL_UPDATES} level updates (usdm_btcusdt)`, () => {
  bench('core via N-API: reader batches (applyBatch)', () => {
    const book = new OrderBook(rule);
    for (const b of batches) book.applyBatch(b);
    if (book.counts().gaps !== 0) throw new Error('gap');
  });

  bench('core via N-API: one diff per call (applyDiff, typed arrays)', () => {
    const book = new OrderBook(rule);
    for (const e of ordered) {
      if (e.snapshot) book.applySnapshot(e.last, e.bp, e.bs, e.ap, e.as);
      else book.applyDiff(e.first, e.last, e.prev, e.bp, e.bs, e.ap, e.as);
    }
    if (!book.isValid) throw new Error(book.invalidReason ?? 'invalid');
  });

  bench('core via N-API: one level per call (setLevel)', () => {
    const book = new OrderBook('none');
    for (const e of ordered) {
      for (let i = 0; i < e.bp.length; i++) book.setLevel('buy', e.bp[i]!, e.bs[i]!);
      for (let i = 0; i < e.ap.length; i++) book.setLevel('sell', e.ap[i]!, e.as[i]!);
    }
  });

  bench('plain TypeScript book (sorted arrays, binary search, splice)', () => {
    const book = new SortedArrayBook();
    for (const e of ordered) {
      if (e.snapshot) book.snapshot(e.bp, e.bs, e.ap, e.as);
      else book.apply(e.bp, e.bs, e.ap, e.as);
    }
  });
});
