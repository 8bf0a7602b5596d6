// The restart decision (pure): restored state against the venue's open orders (and its
// position, when it has one) → resume with exact corrections, or halt with a reason. Also the
// journal fold and the records' strict decoding, which feed it.
import { describe, expect, it } from 'vitest';
import type { VenueOrder } from '../src/venues/venue.js';
import { decodeEntry, decodeOrder, decodePosition, type Checkpoint, type JournalEntry, type StoredOrder } from '../src/storage/records.js';
import { decideRecovery } from '../src/storage/recovery.js';
import { foldJournal } from '../src/storage/restore.js';

const SYMBOL = 'SEI/USDC';

function order(clientId: string, overrides: Partial<StoredOrder> = {}): StoredOrder {
  return { clientId, venueId: null, side: 'buy', price: 100, size: 10, filled: 0, postOnly: true, state: 'open', level: 0, ...overrides };
}

function venue(clientId: string, filled: number, overrides: Partial<VenueOrder> = {}): VenueOrder {
  return { clientId, symbol: SYMBOL, side: 'buy', price: 100, size: 10, filled, ...overrides };
}

function checkpoint(openOrders: StoredOrder[], lots = 0, throughSeq = 10): Checkpoint {
  return { throughSeq, atMs: 1, position: { lots, entryCost: BigInt(Math.abs(lots)) * 100_000_000n, realised: 0n, fees: 0n, volumeLots: Math.abs(lots) }, openOrders };
}

const restored = (cp: Checkpoint | null, tail: JournalEntry[] = [], problems: string[] = []) => foldJournal(SYMBOL, cp, tail, tail.at(-1)?.seq ?? cp?.throughSeq ?? 0, problems);

const fillEntry = (seq: number, clientId: string, lots: number, side: 'buy' | 'sell' = 'buy'): JournalEntry => ({
  seq, type: 'fill', fill: { clientId, fillId: String(seq), side, price: 100, lots, fee: 1n, liquidity: 'maker', tsNs: BigInt(seq) },
});

describe('decideRecovery', () => {
  it('resumes when the venue shows exactly what the journal says', () => {
    const r = restored(checkpoint([order('a', { filled: 3, state: 'partially-filled' }), order('b', { side: 'sell', price: 110 })], 3));
    const decision = decideRecovery({ restored: r, venueOrders: [venue('a', 3), venue('b', 0, { side: 'sell', price: 110 })], ledgerLots: 3 });
    expect(decision).toEqual({ action: 'resume', orphans: [], gone: [], missedFills: [], positionLots: 3 });
  });

  it('books the lots a post-only order filled beyond the journal at its limit price', () => {
    const r = restored(checkpoint([order('a', { filled: 3, state: 'partially-filled' }), order('s', { side: 'sell', price: 120 })], 3));
    const decision = decideRecovery({ restored: r, venueOrders: [venue('a', 7), venue('s', 4, { side: 'sell', price: 120 })], ledgerLots: 3 });
    expect(decision).toEqual({
      action: 'resume', orphans: [], gone: [], positionLots: 3 + 4 - 4,
      missedFills: [{ clientId: 'a', side: 'buy', price: 100, lots: 4, filledAfter: 7 }, { clientId: 's', side: 'sell', price: 120, lots: 4, filledAfter: 4 }],
    });
  });

  it('halts when a missed fill of an order that could take liquidity has no certain price', () => {
    const r = restored(checkpoint([order('a', { postOnly: false })]));
    expect(decideRecovery({ restored: r, venueOrders: [venue('a', 2)], ledgerLots: 0 })).toEqual({
      action: 'halt', code: 'fills-unjournaled', reason: 'SEI/USDC: order a has 2 filled lots the journal lacks; it is not post-only, so their price is not certain',
    });
  });

  it('adopts an orphan whose fills the journal already has, halts on one with fills it lacks', () => {
    // Placed and filled after the checkpoint, its 'pending' event lost with the crash: the fill is in the tail.
    const r = restored(checkpoint([]), [fillEntry(11, 'x', 2)]);
    expect(r.fillsOfUnknownOrders).toEqual(new Map([['x', 2]]));
    expect(decideRecovery({ restored: r, venueOrders: [venue('x', 2)], ledgerLots: 2 })).toEqual({
      action: 'resume', orphans: [venue('x', 2)], gone: [], missedFills: [], positionLots: 2,
    });
    expect(decideRecovery({ restored: r, venueOrders: [venue('x', 5)], ledgerLots: 2 })).toEqual({
      action: 'halt', code: 'fills-unjournaled', reason: 'SEI/USDC: order x on the venue has 3 filled lots the journal lacks, at a price it cannot know',
    });
    expect(decideRecovery({ restored: r, venueOrders: [venue('y', 0)], ledgerLots: 2 })).toMatchObject({ action: 'resume', orphans: [venue('y', 0)] });
  });

  it('halts when the journal has fills the venue does not show', () => {
    const r = restored(checkpoint([order('a', { filled: 5, state: 'partially-filled' })], 5));
    expect(decideRecovery({ restored: r, venueOrders: [venue('a', 4)], ledgerLots: 5 })).toEqual({
      action: 'halt', code: 'journal-ahead-of-venue', reason: 'SEI/USDC: order a: the journal booked 5 lots, the venue shows 4 filled',
    });
  });

  it('halts on an order gone from the venue with lots unfilled, unless the venue position explains it', () => {
    const r = restored(checkpoint([order('a', { filled: 4, state: 'cancelling' }), order('done', { filled: 10, state: 'partially-filled' })], 14));
    expect(decideRecovery({ restored: r, venueOrders: [], ledgerLots: 14 })).toEqual({
      action: 'halt', code: 'order-gone-unexplained',
      reason: 'SEI/USDC: order a (cancelling, 6 of 10 lots unfilled) is no longer on the venue, and the venue reports no position to tell whether it filled or was cancelled',
    });
    // The venue's position agrees with the journal: the order was cancelled.
    expect(decideRecovery({ restored: r, venueOrders: [], ledgerLots: 14, venuePositionLots: 14 })).toEqual({
      action: 'resume', orphans: [], gone: r.openOrders, missedFills: [], positionLots: 14,
    });
    // It disagrees: the order filled (or something else traded) while we were down.
    expect(decideRecovery({ restored: r, venueOrders: [], ledgerLots: 14, venuePositionLots: 20 })).toEqual({
      action: 'halt', code: 'position-mismatch', reason: "SEI/USDC: the venue's position is 20 lots, the journal's 14",
    });
    // Fully filled and gone: nothing to explain.
    const filled = restored(checkpoint([order('done', { filled: 10, state: 'partially-filled' })], 10));
    expect(decideRecovery({ restored: filled, venueOrders: [], ledgerLots: 10 })).toMatchObject({ action: 'resume', gone: filled.openOrders });
  });

  it('halts on dropped journal entries after the checkpoint, not before it', () => {
    const gap: JournalEntry = { seq: 14, type: 'gap', first: 11, last: 14, count: 4 };
    expect(decideRecovery({ restored: restored(checkpoint([]), [gap]), venueOrders: [], ledgerLots: 0 })).toEqual({
      action: 'halt', code: 'journal-gap', reason: 'SEI/USDC: 4 journal entries (seq 11..14) were dropped while Redis was unreachable; fills may be missing',
    });
    // A checkpoint through 20 was written after the gap: the position includes whatever was lost.
    expect(restored(checkpoint([], 0, 20), []).gaps).toEqual([]);
    expect(foldJournal(SYMBOL, checkpoint([], 0, 20), [gap], 20).gaps).toEqual([]);
  });

  it('halts on unreadable state', () => {
    expect(decideRecovery({ restored: restored(null, [], ['journal entry 3: lots: expected an integer, got "x"']), venueOrders: [], ledgerLots: 0 })).toEqual({
      action: 'halt', code: 'corrupt-state', reason: 'SEI/USDC: unreadable state in Redis: journal entry 3: lots: expected an integer, got "x"',
    });
  });
});

describe('foldJournal', () => {
  it('creates, fills, closes and revives orders from the tail; an event already in the checkpoint changes nothing', () => {
    const cp = checkpoint([order('a', { filled: 2, state: 'partially-filled' })], 2);
    const tail: JournalEntry[] = [
      { seq: 11, type: 'order', event: { clientId: 'a', state: 'partially-filled', reason: 'partial fill', atMs: 1 } }, // already reflected
      fillEntry(12, 'a', 3),
      { seq: 13, type: 'order', event: { clientId: 'a', state: 'cancelled', reason: 'requested', atMs: 2 } },
      { seq: 14, type: 'order', event: { clientId: 'a', state: 'partially-filled', reason: 'partial fill after local close', atMs: 3 } },
      { seq: 15, type: 'order', event: { clientId: 'late', state: 'cancelled', reason: 'requested', atMs: 4 } }, // closed before the checkpoint
      { seq: 16, type: 'order', event: { clientId: 'n', state: 'pending', reason: 'place sent', atMs: 5, order: { side: 'sell', price: 105, size: 4, postOnly: true, level: 1, venueId: null } } },
      { seq: 17, type: 'order', event: { clientId: 'n', state: 'open', reason: 'accepted', atMs: 6, order: { side: 'sell', price: 105, size: 4, postOnly: true, level: 1, venueId: 'v7' } } },
    ];
    const r = foldJournal(SYMBOL, cp, tail, 17);
    expect(r.fillsToReplay).toEqual([(tail[1] as Extract<JournalEntry, { type: 'fill' }>).fill]);
    expect(r.openOrders).toEqual([order('a', { filled: 5, state: 'partially-filled' }), order('n', { side: 'sell', price: 105, size: 4, level: 1, venueId: 'v7' })]);
    expect(r.closedOrders).toEqual([]);
    expect(r.lastSeq).toBe(17);
  });
});

describe('records decode strictly', () => {
  it('names the field that is wrong', () => {
    expect(() => decodePosition({ position: '1.5', cost: '0', realised: '0', fees: '0', volume: '0' })).toThrow('position: expected an integer, got "1.5"');
    expect(() => decodePosition({ position: '9007199254740993', cost: '0', realised: '0', fees: '0', volume: '0' })).toThrow('position: expected an integer');
    expect(() => decodePosition({ position: '1', cost: '1e3', realised: '0', fees: '0', volume: '0' })).toThrow('cost: expected an integer, got "1e3"');
    expect(() => decodePosition({ position: '1', cost: '0', realised: '0', fees: '0' })).toThrow('missing field volume');
    expect(() => decodeOrder('a', '{"side":"buy"')).toThrow('order a: not JSON');
    expect(() => decodeOrder('a', JSON.stringify({ ...order('a'), clientId: undefined, side: 'long' }))).toThrow('order a: side: Invalid option');
    expect(() => decodeEntry('1-0', ['type', 'fill'])).toThrow('journal id "1-0" is not 0-<seq>');
    expect(() => decodeEntry('0-3', ['type', 'fill', 'clientId', 'a', 'fillId', '1', 'side', 'buy', 'price', '1', 'lots', '0', 'fee', '0', 'liquidity', 'maker', 'tsNs', '1'])).toThrow(
      'journal entry 3: lots: expected > 0, got 0',
    );
    expect(() => decodeEntry('0-4', ['type', 'trade'])).toThrow('journal entry 4: type: expected one of fill, order, gap, got "trade"');
  });

  it('reads money and nanoseconds beyond 2^53 exactly', () => {
    expect(decodePosition({ position: '-9007199254740991', cost: '170141183460469231731687303715884105727', realised: '-1', fees: '0', volume: '3' })).toEqual({
      lots: -9_007_199_254_740_991, entryCost: 2n ** 127n - 1n, realised: -1n, fees: 0n, volumeLots: 3,
    });
  });
});
