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

  it("sei-block matching holds orders until their block ends and settles crossing limits at the midpoint", () => {
    const v = new SimVenue({ startNs: START, seed: 7, entryLatencyMs: 0, responseLatencyMs: 0, matching: 'sei-block', blockTimeMs: 100 });
    const book = new OrderBook('strict');
    // START is a multiple of 100 ms: blocks end at START + k × 100 ms.
    book.applyBatch(v.advance(START + 1010n * MS).market);
    const ask = book.bestAsk();
    expect(ask).not.toBeNull();
    if (ask === null) return;
    // A bid 3 ticks through the best ask: it waits for the block's end (START + 1100 ms) and then
    // meets the best ask at the midpoint, 1.5 ticks above the ask.
    const bid = ask.price + 3;
    v.place(START + 1010n * MS, 1, 'buy', bid, 1, false);
    const early = v.advance(START + 1099n * MS);
    book.applyBatch(early.market);
    expect(early.reports).toEqual([]);
    const { reports, market } = v.advance(START + 1100n * MS);
    book.applyBatch(market); // market events at the block's end go first: this is its book
    expect(reports.map((r) => [r.kind, r.exchangeTs])).toEqual([['accepted', START + 1100n * MS], ['fill', START + 1100n * MS]]);
    const fill = reports[1];
    const end = book.bestAsk();
    if (fill?.kind !== 'fill' || end === null) throw new Error('no fill');
    expect(end.price).toBeLessThanOrEqual(bid);
    expect(fill).toMatchObject({ side: 'buy', price: (bid + end.price) / 2, lots: 1, leaves: 0, liquidity: 'taker', trigger: 'taker' });
    expect(() => new SimVenue({ startNs: START, matching: 'batch' as 'sei-block' })).toThrow(/unknown matching 'batch'/);
    expect(() => new SimVenue({ startNs: START, blockTimeMs: 100 })).toThrow(/blockTimeMs applies to matching 'sei-block' only/);
    expect(() => new SimVenue({ startNs: START, matching: 'sei-block', blockTimeMs: 0 })).toThrow(/blockTimeMs/);
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
