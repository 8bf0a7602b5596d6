// EventBatchBuilder: a venue's decimal book and trades into the core's columnar batch, exactly on
// the market's grid; an off-grid level is skipped and counted, never rounded, never thrown.
import { describe, expect, test } from 'vitest';
import { EventBatchBuilder, EventKind, MarketSpec, OrderBook } from '../src/native.js';
import { halfOf } from '../src/venues/sei/markets.js';

const spec = new MarketSpec({ symbol: 'SEI/USDC', tickSize: '0.0001', lotSize: '1' });

describe('EventBatchBuilder', () => {
  test('a snapshot with sequence = height, exact levels, off-grid levels skipped and counted', () => {
    const b = new EventBatchBuilder(spec);
    const skipped = b.pushSnapshot(1_234, 1_700_000_000_123_456_789n, 1_700_000_000_200_000_000n,
      ['1.1', '1.0999', '1.09995'], ['3', '4', '1'], ['1.3000', '1.3001'], ['2', '1.5']);
    expect(skipped).toBe(2);
    expect(b.offGrid).toBe(2);
    expect(b.lastError).toBe("'1.5' is not on the grid of 1");
    const batch = b.finish();
    expect(b.length).toBe(0);
    expect([...batch.kinds]).toEqual([EventKind.Snapshot]);
    expect([...batch.firstId, ...batch.lastId]).toEqual([1_234, 1_234]);
    expect([...batch.exchangeTs, ...batch.localTs]).toEqual([1_700_000_000_123_456_789n, 1_700_000_000_200_000_000n]);
    expect([...batch.bidCount, ...batch.askCount]).toEqual([2, 1]);
    expect([...batch.prices]).toEqual([11_000, 10_999, 13_000]);
    expect([...batch.sizes]).toEqual([3, 4, 2]);
    // The core book takes it as a snapshot at that sequence.
    const book = new OrderBook('strict');
    book.applyBatch(batch);
    expect([book.lastUpdateId, book.bestBid(), book.bestAsk()]).toEqual([1_234, { price: 11_000, size: 3 }, { price: 13_000, size: 2 }]);
  });

  test('trades: one event each, numbered, the aggressor in the flags; bad input is an error', () => {
    const b = new EventBatchBuilder(spec);
    expect(b.pushTrades(5n, 6n, 7_000, ['1.1', '1.10005', '1.2'], ['2', '1', '3'], Uint8Array.from([0, 1, 1]))).toBe(1);
    const batch = b.finish();
    expect([...batch.kinds]).toEqual([EventKind.Trade, EventKind.Trade]);
    expect([...batch.firstId]).toEqual([7_000, 7_002]);
    expect([...batch.prices, ...batch.sizes]).toEqual([11_000, 12_000, 2, 3]);
    expect([...batch.flags]).toEqual([0, 1]);
    expect(() => b.pushTrades(5n, 6n, 1, ['1.1'], ['1', '2'], Uint8Array.from([0]))).toThrow(/same length/);
    expect(() => b.pushSnapshot(1, 0n, 0n, ['1.1'], [], [], [])).toThrow(/1 prices but 0 sizes/);
  });

  test('settlement prices are exact to half a tick', () => {
    expect(halfOf('0.0001')).toBe('0.00005');
    expect(halfOf('1')).toBe('0.5');
    expect(halfOf('0.0000001')).toBe('0.00000005');
    expect(halfOf('25')).toBe('12.5');
  });
});
