// The controls never get around the risk limits or quote on a bad book. Random control settings
// (swapped mid-run, as a live parameter change does), random books (some crossed, one-sided or
// invalidated), fills of any resting order by any amount — including orders whose cancel is
// still on its way — and requests that reach the venue late. After every step:
// - the position, and the worst case of every live order filling, stay within ±maxPositionLots;
// - every order placed passed the risk filter, and its worst-case notional at its price (the
//   filter's rule, recomputed here from the live orders) stays within maxNotional;
// - an invalid, crossed or one-sided book gets no order at all, a valid one no order that
//   crosses it, and our fresh quotes keep the minimum spread.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaves } from '../src/execution/order-state.js';
import { notional, sideSign } from '../src/market/types.js';
import { quotingConfigSchema, type QuotingConfigInput } from '../src/strategy/config.js';
import { HANGING_LEVEL } from '../src/strategy/controls/hanging.js';
import { makeControlHarness, SYMBOL } from './helpers/control-harness.js';

const controls = fc.record({
  kind: fc.constant('fixed' as const),
  fixed: fc.record({ halfSpread: fc.integer({ min: 1, max: 4 }), skewTicksPerOrder: fc.constantFrom(0, 0.5, 1) }),
  orderSizeLots: fc.integer({ min: 1, max: 3 }),
  inventoryTargetLots: fc.integer({ min: -4, max: 4 }),
  ladder: fc.record({ levels: fc.integer({ min: 1, max: 3 }), sizesLots: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), minSpreadTicks: fc.integer({ min: 1, max: 6 }) }),
  refresh: fc.record({ maxOrderAgeSeconds: fc.constantFrom(0.3, 1, 1800) }),
  hangingOrders: fc.record({ enabled: fc.boolean(), cancelPct: fc.constantFrom(0.2, 1, 5) }),
  filledOrderDelay: fc.record({ seconds: fc.constantFrom(0, 0.5, 2), sides: fc.constantFrom('both' as const, 'filled' as const) }),
  pingPong: fc.record({ enabled: fc.boolean() }),
  orderOptimization: fc.record({ enabled: fc.boolean(), bidDepthLots: fc.integer({ min: 0, max: 15 }), askDepthLots: fc.integer({ min: 0, max: 15 }) }),
  inventorySkew: fc.record({ enabled: fc.boolean(), rangeMultiplier: fc.constantFrom(0.5, 1, 3) }),
  movingPriceBand: fc.record({ enabled: fc.boolean(), ceilingPct: fc.constantFrom(0.2, 1), floorPct: fc.constantFrom(-0.2, -1), refreshSeconds: fc.constantFrom(1, 86_400) }),
}) satisfies fc.Arbitrary<QuotingConfigInput>;

const level = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 }));
const action = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('decide' as const), ms: fc.integer({ min: 50, max: 1500 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('book' as const), mid: fc.integer({ min: 980, max: 1020 }), spread: fc.integer({ min: 1, max: 6 }), bids: fc.array(level, { minLength: 1, maxLength: 4 }), asks: fc.array(level, { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bad-book' as const), how: fc.constantFrom('crossed' as const, 'one-sided' as const, 'invalidated' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(), lots: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hold' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), config: controls }) },
);

/** Levels stepping away from the touch by the given gaps. */
function ladderFrom(touch: number, direction: -1 | 1, levels: readonly (readonly [number, number])[]): [number, number][] {
  let price = touch;
  return levels.map(([gap, size], i) => {
    if (i > 0) price += direction * gap;
    return [price, size];
  });
}

describe('controls under risk', () => {
  it('never exceed the position or notional limit, never quote on a bad book, never cross', async () => {
    await fc.assert(
      fc.asyncProperty(
        controls, fc.integer({ min: 2, max: 10 }), fc.integer({ min: 2_000, max: 12_000 }), fc.array(action, { minLength: 10, maxLength: 80 }),
        async (config, limit, notionalLimit, actions) => {
          const maxNotional = BigInt(notionalLimit) * 1_000_000_000n; // binds between 2 and 12 lots at ~1000 ticks
          const h = await makeControlHarness(config, { limits: { maxPositionLots: limit, maxNotional, maxOpenOrders: 40 } });
          let minSpread = quotingConfigSchema.parse(config).ladder.minSpreadTicks;
          h.book([[999, 5]], [[1001, 5]]);

          const worst = (side: 'buy' | 'sell', exclude: ReadonlySet<string> = new Set()): number => {
            const live = h.orders.liveOrders(SYMBOL).filter((o) => o.side === side && !exclude.has(o.clientId));
            return h.positions.position(SYMBOL) + sideSign(side) * live.reduce((a, o) => a + leaves(o), 0);
          };
          const checkPosition = (): void => {
            expect(Math.abs(h.venue.executed.get(SYMBOL) ?? 0)).toBeLessThanOrEqual(limit);
            expect(h.positions.position(SYMBOL)).toBe(h.venue.executed.get(SYMBOL) ?? 0);
            expect(worst('buy')).toBeLessThanOrEqual(limit);
            expect(worst('sell')).toBeGreaterThanOrEqual(-limit);
          };

          for (const a of actions) {
            switch (a.kind) {
              case 'book': {
                const bid = a.mid - Math.floor(a.spread / 2);
                h.book(ladderFrom(bid, -1, a.bids), ladderFrom(bid + a.spread, 1, a.asks));
                break;
              }
              case 'bad-book':
                if (a.how === 'crossed') h.book([[1005, 3]], [[1000, 3]]);
                else if (a.how === 'one-sided') h.book([[1000, 3]], []);
                else h.state.invalidate('test');
                break;
              case 'fill': {
                const resting = h.venue.restingIds();
                const id = resting[a.pick % Math.max(1, resting.length)];
                if (id !== undefined) h.fill(id, a.lots);
                break;
              }
              case 'hold':
                h.venue.holdRequests = a.on;
                if (!a.on) {
                  h.venue.processHeld();
                  h.venue.deliver();
                }
                break;
              case 'swap':
                h.loop.setParams(quotingConfigSchema.parse(a.config), h.loop.maxPositionLots);
                minSpread = quotingConfigSchema.parse(a.config).ladder.minSpreadTicks;
                break;
              case 'decide': {
                const top = h.state.top();
                const record = await h.decide(a.ms);
                const placed = new Set(record.batch.places.map((p) => p.clientId));
                if (top === null) {
                  expect(record.batch.places).toEqual([]);
                  expect(record.allowed).toEqual([]);
                  break;
                }
                for (const side of ['buy', 'sell'] as const) {
                  let w = worst(side, placed);
                  for (const p of record.batch.places.filter((x) => x.side === side)) {
                    expect(record.allowed.some((q) => q.side === p.side && q.price === p.price && q.size === p.size)).toBe(true);
                    if (side === 'buy') expect(p.price).toBeLessThan(top.ask.price);
                    else expect(p.price).toBeGreaterThan(top.bid.price);
                    w += sideSign(side) * p.size;
                    if (sideSign(side) * w > 0) expect(notional(p.price, Math.abs(w))).toBeLessThanOrEqual(maxNotional);
                  }
                }
                const fresh = record.allowed.filter((q) => q.level < HANGING_LEVEL);
                const bids = fresh.filter((q) => q.side === 'buy').map((q) => q.price);
                const asks = fresh.filter((q) => q.side === 'sell').map((q) => q.price);
                if (bids.length > 0 && asks.length > 0 && record.controls?.delayedSides.length === 0) {
                  expect(Math.min(...asks) - Math.max(...bids)).toBeGreaterThanOrEqual(minSpread);
                }
                break;
              }
            }
            checkPosition();
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});
