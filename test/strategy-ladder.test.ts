// Ladder (rounding, band, minimum spread, no crossing), refresh tolerance and forecast skew.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookTop, DesiredQuote } from '../src/market/types.js';
import { buildLadder, type LadderConfig } from '../src/strategy/ladder.js';
import { applyRefreshTolerance } from '../src/strategy/refresh.js';
import { forecastSkewTicks, spreadMultiplier, type SkewConfig } from '../src/strategy/skew.js';

function book(bid: number, ask: number): BookTop {
  return {
    bid: { price: bid, size: 10 }, ask: { price: ask, size: 10 },
    mid: (bid + ask) / 2, microPrice: (bid + ask) / 2, exchangeTsNs: 0n,
  };
}

const ladder: LadderConfig = {
  levels: 1, levelStepTicks: 1, sizesLots: [5], minSpreadTicks: 1, priceBandBps: 10_000, allowCross: false,
};
const prices = (quotes: DesiredQuote[], side: 'buy' | 'sell'): number[] =>
  quotes.filter((q) => q.side === side).map((q) => q.price);

describe('buildLadder', () => {
  it('rounds bids down and asks up, tolerating float noise', () => {
    const quotes = buildLadder(99.7, 100.2, book(99, 101), ladder);
    expect(quotes).toEqual([
      { side: 'buy', price: 99, size: 5, level: 0, postOnly: true },
      { side: 'sell', price: 101, size: 5, level: 0, postOnly: true },
    ]);
    // 0.1 + 0.2 + 97.7 = 98.00000000000001 must stay 98 as an ask, 97.99999999999999 98 as a bid.
    expect(prices(buildLadder(97.99999999999999, 0.1 + 0.2 + 101.7, book(97, 103), ladder), 'buy')).toEqual([98]);
    expect(prices(buildLadder(97, 0.1 + 0.2 + 101.7, book(97, 103), ladder), 'sell')).toEqual([102]);
  });

  it('enforces the minimum spread symmetrically about the centre', () => {
    // 99.9 / 100.1 with minSpread 3 → 98.5 / 101.5 → 98 / 102
    const quotes = buildLadder(99.9, 100.1, book(95, 105), { ...ladder, minSpreadTicks: 3 });
    expect(prices(quotes, 'buy')).toEqual([98]);
    expect(prices(quotes, 'sell')).toEqual([102]);
  });

  it('steps levels away from the touch with per-level sizes, dropping size-0 levels', () => {
    const config = { ...ladder, levels: 4, levelStepTicks: 2, sizesLots: [1, 0, 3] };
    const quotes = buildLadder(99, 101, book(99, 101), config);
    // level 0: 1 lot, level 1: 0 lots (dropped), levels 2 and 3: the last size, 3 lots
    expect(quotes.filter((q) => q.side === 'buy').map((q) => [q.level, q.price, q.size])).toEqual([
      [0, 99, 1], [2, 95, 3], [3, 93, 3],
    ]);
    expect(prices(quotes, 'sell')).toEqual([101, 105, 107]);
  });

  it('drops levels outside the price band', () => {
    // mid 100, band 200 bps = 2 ticks: bids 99, 98 stay, 97 goes; asks 101, 102 stay
    const quotes = buildLadder(99, 101, book(99, 101), { ...ladder, levels: 3, priceBandBps: 200 });
    expect(prices(quotes, 'buy')).toEqual([99, 98]);
    expect(prices(quotes, 'sell')).toEqual([101, 102]);
  });

  it('never crosses the book unless allowed', () => {
    // Book 100/101; the model wants to buy at 102.3 and sell at 104.
    const postOnly = buildLadder(102.3, 104, book(100, 101), ladder);
    expect(prices(postOnly, 'buy')).toEqual([100]);
    expect(postOnly.every((q) => q.postOnly)).toBe(true);
    const crossing = buildLadder(102.3, 104, book(100, 101), { ...ladder, allowCross: true });
    expect(prices(crossing, 'buy')).toEqual([102]);
    expect(crossing.every((q) => !q.postOnly)).toBe(true);
  });

  it('leaves a side out when its price is not finite', () => {
    const quotes = buildLadder(Number.NEGATIVE_INFINITY, 101, book(99, 101), ladder);
    expect(quotes.map((q) => q.side)).toEqual(['sell']);
  });

  it('property: bids < asks, no crossing, whole ticks, inside the band', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 100_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 10 }),
        (bestBid, width, bidOffset, askOffset, levels, minSpread) => {
          const b = book(bestBid, bestBid + width);
          const quotes = buildLadder(b.mid + bidOffset, b.mid + askOffset, b, {
            ...ladder, levels, minSpreadTicks: minSpread, priceBandBps: 100,
          });
          const bids = prices(quotes, 'buy');
          const asks = prices(quotes, 'sell');
          expect(Math.max(...bids)).toBeLessThan(Math.min(...asks));
          for (const q of quotes) {
            expect(Number.isInteger(q.price)).toBe(true);
            expect(Math.abs(q.price - b.mid)).toBeLessThanOrEqual(b.mid / 100 + 1e-9);
          }
          bids.forEach((p) => expect(p).toBeLessThan(b.ask.price));
          asks.forEach((p) => expect(p).toBeGreaterThan(b.bid.price));
          if (bids.length > 0 && asks.length > 0) {
            expect(Math.min(...asks) - Math.max(...bids)).toBeGreaterThanOrEqual(minSpread);
          }
        },
      ),
    );
  });
});

describe('applyRefreshTolerance', () => {
  const want = (side: 'buy' | 'sell', price: number, size: number, level = 0): DesiredQuote =>
    ({ side, price, size, level, postOnly: true });

  it('keeps a live quote within the price tolerance (strictly fewer ticks)', () => {
    const live = [{ side: 'buy' as const, price: 99, size: 10 }];
    expect(applyRefreshTolerance(live, [want('buy', 100, 10)], { priceTicks: 2, sizeFraction: 0 })).toEqual([
      want('buy', 99, 10),
    ]);
    // priceTicks 1 accepts only an exact price
    expect(applyRefreshTolerance(live, [want('buy', 100, 10)], { priceTicks: 1, sizeFraction: 0 })).toEqual([
      want('buy', 100, 10),
    ]);
  });

  it('keeps a live quote within the size tolerance', () => {
    const live = [{ side: 'sell' as const, price: 101, size: 9 }];
    // |9 − 10| = 1 < 0.2·10 = 2 → keep; with 0.1 (1 < 1 is false) → replace
    expect(applyRefreshTolerance(live, [want('sell', 101, 10)], { priceTicks: 1, sizeFraction: 0.2 })[0]?.size).toBe(9);
    expect(applyRefreshTolerance(live, [want('sell', 101, 10)], { priceTicks: 1, sizeFraction: 0.1 })[0]?.size).toBe(10);
  });

  it('matches each live quote at most once and never on the other side', () => {
    const live = [{ side: 'buy' as const, price: 99, size: 1 }];
    const desired = [want('buy', 100, 1, 0), want('buy', 99, 1, 1), want('sell', 101, 1, 0)];
    // The live bid 99 matches the level-1 bid exactly; it is not also borrowed by level 0.
    expect(applyRefreshTolerance(live, desired, { priceTicks: 3, sizeFraction: 0 }).map((q) => q.price)).toEqual([100, 99, 101]);
    // Two live bids near two desired ones: closest pairs first, no price used twice.
    const two = [{ side: 'buy' as const, price: 98, size: 1 }, { side: 'buy' as const, price: 101, size: 1 }];
    const kept = applyRefreshTolerance(two, [want('buy', 100, 1, 0), want('buy', 99, 1, 1)], { priceTicks: 2, sizeFraction: 0 });
    expect(kept.map((q) => q.price)).toEqual([101, 98]);
  });

  it('does not keep stale prices that would cross its own quotes', () => {
    // Live ask at 100 is within 3 ticks of the desired 102, but the desired bid is 101.
    const live = [{ side: 'sell' as const, price: 100, size: 1 }];
    const desired = [want('buy', 101, 1), want('sell', 102, 1)];
    expect(applyRefreshTolerance(live, desired, { priceTicks: 3, sizeFraction: 0 })).toEqual(desired);
  });
});

describe('forecast skew', () => {
  const config: SkewConfig = {
    maxSkewTicks: 3, confidenceWeight: 0.5, volatilityWeight: 0.5, referenceSigma: 1, maxSpreadMultiplier: 2,
  };

  it('shifts by maxSkew·(pUp − pDown)·confidence', () => {
    // 3·(0.7 − 0.1)·0.5 = 0.9 ticks up
    expect(forecastSkewTicks({ pUp: 0.7, pDown: 0.1, confidence: 0.5 }, config)).toBeCloseTo(0.9, 12);
    expect(forecastSkewTicks(undefined, config)).toBe(0);
  });

  it('widens for low confidence and high σ, capped; not at all without a forecast', () => {
    // 1 + 0.5·(1 − 0.6) + 0.5·(1.5/1 − 1) = 1 + 0.2 + 0.25 = 1.45
    expect(spreadMultiplier({ pUp: 0.5, pDown: 0.5, confidence: 0.6 }, 1.5, config)).toBeCloseTo(1.45, 12);
    expect(spreadMultiplier({ pUp: 0.5, pDown: 0.5, confidence: 0 }, 10, config)).toBe(2);
    expect(spreadMultiplier(undefined, 10, config)).toBe(1);
  });

  it('property: |skew| ≤ max and 1 ≤ multiplier ≤ cap for any forecast, even malformed', () => {
    const anyNumber = fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY));
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, anyNumber, (pUp, pDown, confidence, sigma) => {
        const forecast = { pUp, pDown, confidence };
        expect(Math.abs(forecastSkewTicks(forecast, config))).toBeLessThanOrEqual(config.maxSkewTicks);
        const m = spreadMultiplier(forecast, sigma, config);
        expect(m).toBeGreaterThanOrEqual(1);
        expect(m).toBeLessThanOrEqual(config.maxSpreadMultiplier);
      }),
    );
  });
});
