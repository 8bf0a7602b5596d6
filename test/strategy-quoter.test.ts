// The quoter end to end: config defaults and messages, each model through the ladder, inventory
// bound, forecast skew and widening, bad books and estimates, refresh tolerance, and the
// never-cross / bid-below-ask properties over random inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookTop } from '../src/market/types.js';
import { glftQuotes } from '../src/strategy/glft.js';
import { quotingConfigSchema, type QuotingConfigInput } from '../src/strategy/config.js';
import { createQuoter, secondsToSessionEnd, type QuoteInput } from '../src/strategy/quoter.js';

function book(bid: number, ask: number): BookTop {
  return {
    bid: { price: bid, size: 10 }, ask: { price: ask, size: 10 },
    mid: (bid + ask) / 2, microPrice: (bid + ask) / 2, exchangeTsNs: 0n,
  };
}

const config = (input: QuotingConfigInput) => quotingConfigSchema.parse(input);
const input = (over: Partial<QuoteInput> = {}): QuoteInput => ({
  book: book(99, 101), inventory: 0, nowNs: 0n, volatility: 2, intensity: { A: 2, k: 1.5 }, ...over,
});

describe('quotingConfigSchema', () => {
  it('fills every default from an empty object', () => {
    const c = config({});
    expect(c.kind).toBe('glft');
    expect(c.ladder).toEqual({
      levels: 1, levelStepTicks: 1, sizesLots: [1], minSpreadTicks: 1, priceBandBps: 200, allowCross: false,
    });
    expect(c.intensity.priorK).toBe(0.5);
    expect(c.as.horizon).toBe('infinite');
  });

  it('says what is wrong', () => {
    const bad = quotingConfigSchema.safeParse({ glft: { gamma: -1 }, ladder: { sizesLots: [0] }, kind: 'xyz' });
    expect(bad.success).toBe(false);
    const messages = bad.error?.issues.map((i) => i.message).join('\n') ?? '';
    expect(messages).toContain('glft.gamma (risk aversion, 1/tick) must be > 0');
    expect(messages).toContain('ladder.sizesLots needs a size > 0');
    expect(messages).toContain("strategy.kind must be 'fixed', 'as' or 'glft'");
    const priors = quotingConfigSchema.safeParse({ intensity: { priorK: 500 } });
    expect(priors.error?.issues[0]?.message).toBe('intensity: need minK ≤ priorK ≤ maxK');
  });
});

describe('createQuoter', () => {
  it('AS finite horizon reproduces the hand example and rounds outwards', () => {
    // Session 10 s, now 9.5 s → τ = 0.5. mid 100, q = 2, γ 0.1, σ 2, k 1.5:
    // r = 99.6, bid 98.8546 → 98, ask 100.3454 → 101 (see strategy-models.test.ts)
    expect(secondsToSessionEnd(9_500_000_000n, 10)).toBeCloseTo(0.5, 12);
    const quoter = createQuoter(config({ kind: 'as', as: { horizon: 'finite', sessionSeconds: 10 } }));
    const decision = quoter.quote(input({ inventory: 2, nowNs: 9_500_000_000n }));
    expect(decision.reservation).toBeCloseTo(99.6, 12);
    expect(decision.halfSpreads.bid).toBeCloseTo(100 - 98.8546147886, 9);
    expect(decision.quotes.map((q) => [q.side, q.price])).toEqual([['buy', 98], ['sell', 101]]);
  });

  it('GLFT in order sizes with an inventory target', () => {
    // inventory 7 lots, target 3, order size 2 → q = 2; mid 1000 on a 999/1001 book
    const quoter = createQuoter(config({ orderSizeLots: 2, inventoryTargetLots: 3, ladder: { sizesLots: [2] } }));
    const decision = quoter.quote(input({ book: book(999, 1001), inventory: 7 }));
    const expected = glftQuotes(1000, 2, { gamma: 0.1, sigma: 2, A: 2, k: 1.5 });
    expect(decision.reservation).toBeCloseTo(expected.reservation, 12);
    expect(decision.quotes).toEqual([
      { side: 'buy', price: Math.floor(expected.bid), size: 2, level: 0, postOnly: true },
      { side: 'sell', price: Math.ceil(expected.ask), size: 2, level: 0, postOnly: true },
    ]);
  });

  it('stops bidding at the inventory bound and asking at its negative', () => {
    const quoter = createQuoter(config({ maxInventoryOrders: 3 }));
    expect(quoter.quote(input({ inventory: 3 })).quotes.map((q) => q.side)).toEqual(['sell']);
    expect(quoter.quote(input({ inventory: -3 })).quotes.map((q) => q.side)).toEqual(['buy']);
  });

  it('fixed: skews the reference by the forecast and widens with low confidence', () => {
    // mid 1000, half 2 ticks; forecast up: skew = 2·(0.9 − 0.1)·1 = 1.6 → reference 1001.6;
    // σ = referenceSigma = 1 and full confidence → multiplier 1
    const quoter = createQuoter(
      config({ kind: 'fixed', fixed: { halfSpread: 2, skewTicksPerOrder: 0 }, skew: { maxSkewTicks: 2 } }),
    );
    const forecast = { pUp: 0.9, pDown: 0.1, confidence: 1 };
    const sure = quoter.quote(input({ book: book(995, 1005), volatility: 1, forecast }));
    expect(sure.spreadMultiplier).toBe(1);
    expect(sure.reference).toBeCloseTo(1001.6, 12);
    expect(sure.quotes.map((q) => q.price)).toEqual([999, 1004]); // 999.6 ↓, 1003.6 ↑
    // confidence 0: no skew; multiplier 1 + 0.5·1 + 0.5·(2/1 − 1) = 2 → half 4 → 996 / 1004
    const unsure = quoter.quote(input({ book: book(995, 1005), forecast: { pUp: 0.9, pDown: 0.1, confidence: 0 } }));
    expect(unsure.spreadMultiplier).toBe(2);
    expect(unsure.quotes.map((q) => q.price)).toEqual([996, 1004]);
  });

  it('refuses bad books and missing estimates with a reason', () => {
    const quoter = createQuoter(config({}));
    expect(quoter.quote(input({ book: book(101, 100) })).reason).toBe('book is crossed or locked');
    expect(quoter.quote(input({ volatility: Number.NaN })).reason).toBe('no volatility estimate');
    expect(quoter.quote(input({ intensity: { A: 0, k: 1 } })).reason).toBe('no intensity estimate');
    expect(quoter.quote(input({ volatility: Number.NaN })).quotes).toEqual([]);
  });

  it('keeps live quotes within the refresh tolerance', () => {
    const quoter = createQuoter(config({ kind: 'fixed', fixed: { halfSpread: 2 }, refresh: { priceTicks: 2 } }));
    // mid 1000 → desired 998 / 1002; live 997 / 1002 are within 2 ticks
    const live = [{ side: 'buy' as const, price: 997, size: 1 }, { side: 'sell' as const, price: 1002, size: 1 }];
    const decision = quoter.quote(input({ book: book(995, 1005), liveQuotes: live }));
    expect(decision.quotes.map((q) => q.price)).toEqual([997, 1002]);
  });

  it('property: any model, inventory, forecast and estimate → bids < asks, no crossing unless allowed', () => {
    const unitInterval = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.constantFrom('fixed' as const, 'as' as const, 'glft' as const),
        fc.boolean(),
        fc.integer({ min: 100, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: -20, max: 20 }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.option(fc.record({ pUp: unitInterval, pDown: unitInterval, confidence: unitInterval }), { nil: undefined }),
        (model, allowCross, bestBid, width, inventory, sigma, A, k, forecast) => {
          const quoter = createQuoter(config({
            kind: model, as: { horizon: inventory % 2 === 0 ? 'infinite' : 'finite', sessionSeconds: 60 },
            ladder: { levels: 3, allowCross, minSpreadTicks: 2 }, skew: { maxSkewTicks: 20 },
          }));
          const b = book(bestBid, bestBid + width);
          const base = input({ book: b, inventory, volatility: sigma, intensity: { A, k }, nowNs: 12_345_000_000n });
          const decision = quoter.quote(forecast === undefined ? base : { ...base, forecast });
          const bids = decision.quotes.filter((q) => q.side === 'buy').map((q) => q.price);
          const asks = decision.quotes.filter((q) => q.side === 'sell').map((q) => q.price);
          expect(Math.max(...bids)).toBeLessThan(Math.min(...asks));
          if (!allowCross) {
            bids.forEach((p) => expect(p).toBeLessThan(b.ask.price));
            asks.forEach((p) => expect(p).toBeGreaterThan(b.bid.price));
          }
          decision.quotes.forEach((q) => {
            expect(Number.isInteger(q.price) && q.price > 0 && q.size > 0).toBe(true);
            expect(q.postOnly).toBe(!allowCross);
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
