// The core's live simulated venue (`SimVenue`) driven from JS for a simulated minute, the way
// the daemon's quote loop drives the embedded `sim` venue: advance to the host clock, keep a
// book from the market events, quote the touch in one batch, read the reports.
import { describe, expect, it } from 'vitest';
import { OrderBook, SimVenue, type SimReport } from '../src/native.js';

const MS = 1_000_000n;
const START = 1_750_000_000_000_000_000n;
const ENTRY_MS = 3;
const RESPONSE_MS = 2;

function venue(seed = 7): SimVenue {
  return new SimVenue({ startNs: START, seed, entryLatencyMs: ENTRY_MS, responseLatencyMs: RESPONSE_MS, queue: 'power' });
}

interface Session {
  reports: SimReport[];
  sentAt: Map<number, bigint>;
  book: OrderBook;
  v: SimVenue;
}

/** 60 s at 50 ms steps; every 500 ms cancel our quotes and join the touch with 1 lot a side. */
function session(seed = 7): Session {
  const v = venue(seed);
  const book = new OrderBook('strict');
  const reports: SimReport[] = [];
  const sentAt = new Map<number, bigint>();
  let live: number[] = [];
  let nextId = 1;
  for (let step = 0; step <= 1200; step++) {
    const t = START + BigInt(step) * 50n * MS;
    const { market, reports: rs } = v.advance(t);
    book.applyBatch(market);
    for (const ts of market.exchangeTs) expect(ts <= t).toBe(true);
    expect(book.isValid).toBe(true);
    reports.push(...rs);
    if (step % 10 !== 0) continue;
    const bid = book.bestBid();
    const ask = book.bestAsk();
    expect(bid && ask && bid.price < ask.price).toBe(true);
    if (!bid || !ask) continue;
    const places = [
      { clientId: nextId, side: 'buy' as const, price: bid.price, lots: 1 },
      { clientId: nextId + 1, side: 'sell' as const, price: ask.price, lots: 1, postOnly: true },
    ];
    v.submitBatch(t, live, places);
    for (const p of places) sentAt.set(p.clientId, t);
    live = places.map((p) => p.clientId);
    nextId += 2;
  }
  return { reports, sentAt, book, v };
}

describe('SimVenue (the embedded simulated venue)', () => {
  it('runs a simulated minute: valid book, well-formed reports, place → accepted → fill, cancelAll empties the book', () => {
    const { reports, sentAt, book, v } = session();
    expect(v.spec.symbol).toBe('BTCUSDT');
    // The host's book agrees with the exchange's.
    const touch = v.touch();
    expect(touch?.bid).toEqual(book.bestBid());
    expect(touch?.ask).toEqual(book.bestAsk());

    const kinds = new Set(['accepted', 'rejected', 'fill', 'cancelled', 'cancel-rejected', 'amended', 'amend-rejected', 'cancel-all-done']);
    const accepted = new Map<number, bigint>();
    let fills = 0;
    let buys = 0;
    for (const r of reports) {
      expect(kinds.has(r.kind)).toBe(true);
      expect(typeof r.ts).toBe('bigint');
      expect(r.ts - r.exchangeTs).toBe(BigInt(RESPONSE_MS) * MS);
      const sent = sentAt.get(r.clientId);
      expect(sent).toBeDefined();
      if (sent !== undefined) expect(r.exchangeTs >= sent + BigInt(ENTRY_MS) * MS).toBe(true);
      if (r.kind === 'accepted') {
        expect(r.side === 'buy' || r.side === 'sell').toBe(true);
        expect(Number.isInteger(r.price) && r.lots === 1).toBe(true);
        accepted.set(r.clientId, r.ts);
      }
      if (r.kind === 'fill') {
        fills++;
        if (r.side === 'buy') buys++;
        // place → accepted → fill: the fill comes after the order's acknowledgement.
        const ack = accepted.get(r.clientId);
        expect(ack !== undefined && ack <= r.ts).toBe(true);
        expect(typeof r.fee).toBe('bigint');
        expect(r.liquidity).toBe('maker');
        expect(r.leaves).toBeGreaterThanOrEqual(0);
      }
      if (r.kind === 'rejected' || r.kind === 'cancelled' || r.kind === 'cancel-rejected') expect(typeof r.reason).toBe('string');
    }
    expect(accepted.size).toBeGreaterThan(100);
    expect(fills).toBeGreaterThan(0);
    expect(buys).toBeGreaterThan(0);
    expect(buys).toBeLessThan(fills);
    const account = v.account;
    expect(account.fills).toBeGreaterThanOrEqual(fills);
    expect(v.position).toBe(account.boughtLots - account.soldLots);
    expect(typeof account.cash).toBe('bigint');

    // Cancel everything: after entry + response latency, no open orders and a cancel-all-done.
    const now = v.clock ?? START;
    expect(v.openOrders().length).toBeGreaterThan(0);
    v.cancelAll(now);
    const { reports: after } = v.advance(now + BigInt(ENTRY_MS + RESPONSE_MS) * MS);
    expect(v.openOrders()).toEqual([]);
    expect(after.some((r) => r.kind === 'cancel-all-done')).toBe(true);
  });

  it('is deterministic for a seed, and different for another', () => {
    const a = session(11).reports;
    expect(session(11).reports).toEqual(a);
    expect(session(12).reports).not.toEqual(a);
  });

  it('throws on bad options naming them, and refuses to send into the past', () => {
    expect(() => new SimVenue({ startNs: START, queue: 'fifo' })).toThrow(/unknown queue model 'fifo'/);
    expect(() => new SimVenue({ startNs: START, entryLatencyMs: -1 })).toThrow(/entryLatencyMs/);
    expect(() => new SimVenue({ startNs: START, symbol: 'NOPE' })).toThrow(/symbol/);
    expect(() => new SimVenue({ startNs: START, spec: { symbol: 'X', tickSize: '0.01', lotSize: '1' } })).toThrow(/initialPrice is required/);
    expect(() => new SimVenue({ startNs: START, zi: { limitRate: -1 } })).toThrow(/limit_rate/);
    expect(() => new SimVenue({ startNs: START, replayPath: '/nonexistent/usdm_btcusdt.gz' })).toThrow(/replayPath/);
    const v = venue();
    v.advance(START + 100n * MS);
    expect(() => v.place(START, 1, 'buy', 1, 1)).toThrow(/before the venue clock/);
    expect(() => v.place(START + 100n * MS, 1, 'up' as 'buy', 1, 1)).toThrow(/side = 'up'/);
    expect(() => v.submitBatch(START + 100n * MS, [], [{ clientId: 1.5, side: 'buy', price: 1, lots: 1 }])).toThrow(/clientId/);
    // A custom grid trades too.
    const custom = new SimVenue({ startNs: START, spec: { symbol: 'SEIUSDC', tickSize: '0.0001', lotSize: '0.1' }, initialPrice: '0.4000' });
    custom.advance(START + 1000n * MS);
    expect(custom.touch()?.bid.price).toBeGreaterThan(3000);
  });
});
