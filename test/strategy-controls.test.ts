// Each quoting control scripted end to end through the market loop (a real MarketState, the
// quoter, the controls, the risk filter, the order diff, the ledger) against the scripted venue:
// a book and fills in, the exact batch out. The fixed quoter without inventory skew keeps every
// price exact: bid = mid − 2, ask = mid + 2 ticks.
import { describe, expect, it } from 'vitest';
import { quotingConfigSchema, type QuotingConfigInput } from '../src/strategy/config.js';
import { inventoryTargetLots } from '../src/strategy/controls/inventory.js';
import { executionWindow } from '../src/strategy/controls/timeframe.js';
import { asQuotes } from '../src/strategy/as.js';
import { createQuoter } from '../src/strategy/quoter.js';
import { TEST_MARKET } from './helpers/scripted-venue.js';
import { FIXED, makeControlHarness, summary } from './helpers/control-harness.js';

const B0 = { bids: [[998, 10], [997, 10]], asks: [[1002, 10], [1003, 10]] } as const; // mid 1000
const with_ = (over: QuotingConfigInput): QuotingConfigInput => ({ ...FIXED, ...over });

describe('hanging orders (hanging_orders_enabled, hanging_orders_cancel_pct)', () => {
  const run = async (enabled: boolean) => {
    const h = await makeControlHarness(with_({ hangingOrders: { enabled, cancelPct: 1 } }));
    h.book(B0.bids, B0.asks);
    expect(summary((await h.decide()).batch)).toEqual({ places: [['buy', 998, 1], ['sell', 1002, 1]], cancels: [] });
    const [buy] = h.restingIds('buy');
    const [sell] = h.restingIds('sell');
    h.fill(buy ?? '', 1);
    h.book([[994, 10]], [[998, 10]]); // mid 996: the sell at 1002 is 0.6 % away
    return { h, sell: sell ?? '', second: await h.decide() };
  };

  it('keeps the other side of a filled level live across refreshes, then cancels it once it drifts past cancelPct', async () => {
    const { h, sell, second } = await run(true);
    expect(summary(second.batch)).toEqual({ places: [['buy', 994, 1], ['sell', 998, 1]], cancels: [] });
    expect(second.controls?.hanging).toEqual([sell]);
    expect(h.restingIds('sell')).toHaveLength(2);
    const fresh = [...h.restingIds('buy'), ...h.restingIds('sell').filter((id) => id !== sell)];
    h.book([[988, 10]], [[992, 10]]); // mid 990: 1002 is 1.21 % away
    const third = await h.decide();
    expect(summary(third.batch)).toEqual({ places: [['buy', 988, 1], ['sell', 992, 1]], cancels: [...fresh, sell].sort() });
    expect(third.controls?.hanging).toEqual([]);
  });

  it('off: the same refresh cancels the unfilled side', async () => {
    const { sell, second } = await run(false);
    expect(summary(second.batch)).toEqual({ places: [['buy', 994, 1], ['sell', 998, 1]], cancels: [sell] });
  });

  it('a hanging order counts toward the position limit: the fresh quote on its side is dropped', async () => {
    const h = await makeControlHarness(
      with_({ orderSizeLots: 2, ladder: { sizesLots: [2] }, hangingOrders: { enabled: true, cancelPct: 1 } }),
      { limits: { maxPositionLots: 2 } },
    );
    h.book(B0.bids, B0.asks);
    await h.decide();
    const [hanging] = h.restingIds('buy');
    h.fill(h.restingIds('sell')[0] ?? '', 2); // short 2: the buy at 998 hangs
    h.book([[1002, 10]], [[1006, 10]]); // mid 1004
    // Buy: −2 + 2 (hanging) + 2 = 2 ≤ 2 passes; sell: −2 − 2 = −4 does not.
    const second = await h.decide();
    expect(summary(second.batch)).toEqual({ places: [['buy', 1002, 2]], cancels: [] });
    h.fill(h.restingIds('buy').find((id) => id !== hanging) ?? '', 2); // flat again
    // A fresh buy now would make 0 + 2 (hanging) + 2 = 4 > 2: only the sell goes out.
    const third = await h.decide();
    expect(summary(third.batch)).toEqual({ places: [['sell', 1006, 2]], cancels: [] });
    expect(third.allowed.map((q) => [q.side, q.price])).toEqual([['sell', 1006], ['buy', 998]]);
    expect(third.controls?.hanging).toEqual([hanging]);
  });
});

describe('filled-order delay (filled_order_delay)', () => {
  it("'both': after a fill nothing new is placed for the delay; resting orders the quoter still wants stay, the others go", async () => {
    const h = await makeControlHarness(with_({ filledOrderDelay: { seconds: 1, sides: 'both' } }));
    h.book(B0.bids, B0.asks);
    await h.decide();
    const [sell] = h.restingIds('sell');
    h.fill(h.restingIds('buy')[0] ?? '', 1);
    const held = await h.decide(); // fill + 200 ms: the sell at 1002 is still wanted, no new buy
    expect(summary(held.batch)).toEqual({ places: [], cancels: [] });
    expect(held.controls?.delayedSides).toEqual(['buy', 'sell']);
    h.book([[997, 10]], [[1001, 10]]); // mid 999: the quoter wants 997 / 1001
    expect(summary((await h.decide()).batch)).toEqual({ places: [], cancels: [sell] }); // + 400 ms
    expect(summary((await h.decide(600)).batch)).toEqual({ places: [['buy', 997, 1], ['sell', 1001, 1]], cancels: [] }); // + 1 s
  });

  it("'filled': only the side that filled waits", async () => {
    const h = await makeControlHarness(with_({ filledOrderDelay: { seconds: 1, sides: 'filled' } }));
    h.book(B0.bids, B0.asks);
    await h.decide();
    const [sell] = h.restingIds('sell');
    h.fill(h.restingIds('buy')[0] ?? '', 1);
    h.book([[997, 10]], [[1001, 10]]);
    const moved = await h.decide();
    expect(summary(moved.batch)).toEqual({ places: [['sell', 1001, 1]], cancels: [sell] });
    expect(moved.controls?.delayedSides).toEqual(['buy']);
    expect(summary((await h.decide(800)).batch)).toEqual({ places: [['buy', 997, 1]], cancels: [] });
  });
});

describe('ping-pong (ping_pong_enabled)', () => {
  it('after a buy fill only the sell side is quoted until a sell fills', async () => {
    const h = await makeControlHarness(with_({ pingPong: { enabled: true } }));
    h.book(B0.bids, B0.asks);
    await h.decide();
    const [sell] = h.restingIds('sell');
    h.fill(h.restingIds('buy')[0] ?? '', 1);
    const first = await h.decide();
    expect(summary(first.batch)).toEqual({ places: [], cancels: [] });
    expect(first.controls?.pingPongBalance).toBe(1);
    h.book([[997, 10]], [[1001, 10]]);
    expect(summary((await h.decide()).batch)).toEqual({ places: [['sell', 1001, 1]], cancels: [sell] });
    h.fill(h.restingIds('sell')[0] ?? '', 1);
    const even = await h.decide();
    expect(summary(even.batch)).toEqual({ places: [['buy', 997, 1], ['sell', 1001, 1]], cancels: [] });
    expect(even.controls?.pingPongBalance).toBe(0);
  });

  it('with two levels one buy fill takes only the closest buy level off', async () => {
    const h = await makeControlHarness(with_({ pingPong: { enabled: true }, ladder: { levels: 2, sizesLots: [1] } }));
    h.book(B0.bids, B0.asks);
    expect(summary((await h.decide()).batch).places).toEqual([['buy', 998, 1], ['sell', 1002, 1], ['buy', 997, 1], ['sell', 1003, 1]]);
    const [top] = h.orders.liveOrders('BTC-USD').filter((o) => o.side === 'buy' && o.price === 998).map((o) => o.clientId);
    h.fill(top ?? '', 1);
    // The level-1 buy at 997 stays; nothing replaces the filled level 0.
    const next = await h.decide();
    expect(summary(next.batch)).toEqual({ places: [], cancels: [] });
    expect(next.allowed.filter((q) => q.side === 'buy').map((q) => q.price)).toEqual([997]);
  });
});

describe('order optimisation (order_optimization_enabled, *_order_optimization_depth)', () => {
  // Others' best bid 995 is 1 lot of dust; their ask is 1005. The model wants 998 / 1002.
  const dusty = { bids: [[995, 1], [994, 10]], asks: [[1005, 10], [1006, 10]] } as const;
  const first = async (over: QuotingConfigInput, netOfOwn = false) => {
    const h = await makeControlHarness(with_(over), { netOfOwn });
    h.book(dusty.bids, dusty.asks);
    return { h, record: await h.decide() };
  };

  it('off: the model prices', async () => {
    expect(summary((await first({})).record.batch).places).toEqual([['buy', 998, 1], ['sell', 1002, 1]]);
  });

  it('depth 0: one tick inside the others’ touch, no further', async () => {
    const { record } = await first({ orderOptimization: { enabled: true } });
    expect(summary(record.batch).places).toEqual([['buy', 996, 1], ['sell', 1004, 1]]);
  });

  it('a bid depth of 2 lots looks through the dust: one tick above the 994 level', async () => {
    const { record } = await first({ orderOptimization: { enabled: true, bidDepthLots: 2, askDepthLots: 15 } });
    expect(summary(record.batch).places).toEqual([['buy', 995, 1], ['sell', 1005, 1]]);
  });

  it('never narrows the spread below the minimum and never crosses', async () => {
    const { record } = await first({ orderOptimization: { enabled: true }, ladder: { sizesLots: [1], minSpreadTicks: 10 } });
    // The minimum spread first widens the model to 995 / 1005; optimisation only moves outwards.
    expect(summary(record.batch).places).toEqual([['buy', 995, 1], ['sell', 1005, 1]]);
    const h = await makeControlHarness(with_({ orderOptimization: { enabled: true } }));
    h.book([[999, 10]], [[1001, 10]]); // a one-tick market: the model's 998 / 1002 are already behind it
    expect(summary((await h.decide()).batch).places).toEqual([['buy', 998, 1], ['sell', 1002, 1]]);
  });

  it('net of our own orders: on a feed that shows them we do not jump ourselves', async () => {
    const on = { orderOptimization: { enabled: true } };
    const net = await first(on, true);
    expect(summary(net.record.batch).places).toEqual([['buy', 996, 1], ['sell', 1004, 1]]);
    const ids = [...net.h.restingIds('buy'), ...net.h.restingIds('sell')];
    // The venue's next book shows our two orders in it.
    const ours = { bids: [[996, 1], ...dusty.bids], asks: [[1004, 1], ...dusty.asks] } as const;
    net.h.book(ours.bids, ours.asks);
    expect(summary((await net.h.decide()).batch)).toEqual({ places: [], cancels: [] });
    // Without the own-order book the same feed reads our bid as theirs and steps over it, each tick.
    const raw = await first(on, false);
    raw.h.book(ours.bids, ours.asks);
    expect(summary((await raw.h.decide()).batch).places).toEqual([['buy', 997, 1], ['sell', 1003, 1]]);
    expect(ids).toHaveLength(2);
  });
});

describe('maximum order age (max_order_age)', () => {
  it('replaces every resting order once one is older, in one batch, even at an unchanged price', async () => {
    const h = await makeControlHarness(with_({ refresh: { maxOrderAgeSeconds: 1 } }));
    h.book(B0.bids, B0.asks);
    await h.decide();
    const old = [...h.restingIds('buy'), ...h.restingIds('sell')].sort();
    expect(summary((await h.decide(1000)).batch)).toEqual({ places: [], cancels: [] }); // exactly 1 s old
    const refreshed = await h.decide(200);
    expect(summary(refreshed.batch)).toEqual({ places: [['buy', 998, 1], ['sell', 1002, 1]], cancels: old });
    expect([...refreshed.controls?.refreshed ?? []].sort()).toEqual(old);
  });

  it('the default (1800 s) keeps them', async () => {
    const h = await makeControlHarness(FIXED);
    h.book(B0.bids, B0.asks);
    await h.decide();
    expect(summary((await h.decide(60_000)).batch)).toEqual({ places: [], cancels: [] });
  });
});

describe('inventory target (inventory_target_base_pct) and skew (inventory_range_multiplier)', () => {
  it('a base share of the account: the quotes lean towards buying it', async () => {
    // 100 quote at a price of 100.0 (mid 1000 ticks of 0.1) is 1000 lots of 0.001: the 50 % target
    // is +500 lots, q = (0 − 500) / 100 = −5 orders, reservation 1000 + 5 · 0.2 = 1001.
    const over = { orderSizeLots: 100, ladder: { sizesLots: [100] }, fixed: { halfSpread: 2, skewTicksPerOrder: 0.2 } };
    const h = await makeControlHarness(with_({ ...over, inventoryTarget: { basePct: 50, quote: '100' } }), { limits: { maxPositionLots: 1000 } });
    h.book(B0.bids, B0.asks);
    const record = await h.decide();
    expect(record.controls?.inventoryTargetLots).toBe(500);
    expect(summary(record.batch).places).toEqual([['buy', 999, 100], ['sell', 1003, 100]]);
    const none = await makeControlHarness(with_(over), { limits: { maxPositionLots: 1000 } });
    none.book(B0.bids, B0.asks);
    expect(summary((await none.decide()).batch).places).toEqual([['buy', 998, 100], ['sell', 1002, 100]]);
  });

  it('the target counts base held at start and the P&L since', () => {
    const config = quotingConfigSchema.parse({ inventoryTarget: { basePct: 50, baseLots: 400, quote: '60' } });
    // 400 lots + 60 / 100.0 = 600 lots: 1000 lots, half is 500, 100 more than held.
    expect(inventoryTargetLots(config, TEST_MARKET, 1000, 0n)).toBe(100);
    // 20 quote made (2e11 money units) is 200 lots more of account: target 600 − 400 = 200.
    expect(inventoryTargetLots(config, TEST_MARKET, 1000, 200_000_000_000n)).toBe(200);
    expect(inventoryTargetLots(quotingConfigSchema.parse({ inventoryTargetLots: -7 }), TEST_MARKET, 1000, 0n)).toBe(-7);
  });

  it('sizes scale from 2× to 0× across ± rangeMultiplier × the total order size', async () => {
    const over = { orderSizeLots: 10, ladder: { sizesLots: [10] }, inventorySkew: { enabled: true, rangeMultiplier: 1 } };
    const h = await makeControlHarness(with_(over), { limits: { maxPositionLots: 100 } });
    h.book(B0.bids, B0.asks);
    expect(summary((await h.decide()).batch).places).toEqual([['buy', 998, 10], ['sell', 1002, 10]]);
    const old = [...h.restingIds('buy'), ...h.restingIds('sell')].sort();
    h.fill(h.restingIds('buy')[0] ?? '', 5);
    // +5 lots of a 20-lot range: bid × 0.75 = 7.5 → 7, ask × 1.25 = 12.5 → 12.
    expect(summary((await h.decide()).batch)).toEqual({ places: [['buy', 998, 7], ['sell', 1002, 12]], cancels: old });
    const bad = quotingConfigSchema.safeParse({ inventoryTarget: { basePct: 50 } });
    expect(bad.error?.issues[0]?.message).toBe('inventoryTarget.basePct needs the account: baseLots or quote > 0');
  });
});

describe('moving price band (moving_price_band_enabled, price_ceiling_pct, price_floor_pct, price_band_refresh_time)', () => {
  it('no buys at or above the ceiling, no sells at or below the floor; re-anchored every refreshSeconds', async () => {
    const h = await makeControlHarness(with_({ movingPriceBand: { enabled: true, ceilingPct: 0.5, floorPct: -0.5, refreshSeconds: 10 } }));
    h.book(B0.bids, B0.asks);
    const anchored = await h.decide(); // band 995 … 1005 around mid 1000
    expect(anchored.controls?.band).toMatchObject({ floor: 995, ceiling: 1005 });
    const first = [...h.restingIds('buy'), ...h.restingIds('sell')].sort();
    h.book([[1003, 10]], [[1007, 10]]); // mid 1005: at the ceiling
    expect(summary((await h.decide()).batch)).toEqual({ places: [['sell', 1007, 1]], cancels: first });
    const high = h.restingIds('sell');
    h.book([[993, 10]], [[997, 10]]); // mid 995: at the floor
    expect(summary((await h.decide()).batch)).toEqual({ places: [['buy', 993, 1]], cancels: high });
    const rebased = await h.decide(10_000); // 10.4 s after anchoring: re-anchored at 995
    expect(rebased.controls?.band?.ceiling).toBeCloseTo(999.975, 9);
    expect(summary(rebased.batch)).toEqual({ places: [['sell', 997, 1]], cancels: [] });
  });
});

describe('execution timeframes (execution_timeframe_mode) of finite-horizon AS', () => {
  const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
  const as = (executionTimeframe: object) =>
    quotingConfigSchema.parse({ kind: 'as', as: { horizon: 'finite', executionTimeframe } });
  const input = (nowNs: bigint) => ({
    book: { bid: { price: 99, size: 10 }, ask: { price: 101, size: 10 }, mid: 100, microPrice: 100, exchangeTsNs: 0n },
    inventory: 2, nowNs, volatility: 2, intensity: { A: 2, k: 1.5 },
  });

  it('from date to date: quotes only inside the window, τ counting down to its end', () => {
    const config = as({ mode: 'from-date-to-date', start: '2024-08-08T12:00:00Z', end: '2024-08-08T12:10:00Z' });
    expect(executionWindow(at('2024-08-08T12:09:59.5Z'), config.as)).toEqual({ open: true, tauSeconds: 0.5 });
    const quoter = createQuoter(config);
    const inside = quoter.quote(input(at('2024-08-08T12:09:59.5Z')));
    const expected = asQuotes({ s: 100, q: 2, gamma: 0.1, sigma: 2, k: 1.5, tau: 0.5 });
    expect(inside.reservation).toBeCloseTo(expected.reservation, 12);
    expect(inside.quotes.map((q) => [q.side, q.price])).toEqual([['buy', Math.floor(expected.bid)], ['sell', Math.ceil(expected.ask)]]);
    for (const t of ['2024-08-08T11:59:59Z', '2024-08-08T12:10:00Z']) {
      const outside = quoter.quote(input(at(t)));
      expect(outside.quotes).toEqual([]);
      expect(outside.reason).toBe('outside the execution timeframe');
    }
  });

  it('daily between times, across midnight', () => {
    const config = as({ mode: 'daily-between-times', start: '23:00', end: '01:00' });
    expect(executionWindow(at('2024-08-09T00:30:00Z'), config.as)).toEqual({ open: true, tauSeconds: 1800 });
    expect(executionWindow(at('2024-08-08T23:00:00Z'), config.as)).toEqual({ open: true, tauSeconds: 7200 });
    expect(executionWindow(at('2024-08-09T01:00:00Z'), config.as).open).toBe(false);
    expect(createQuoter(config).quote(input(at('2024-08-09T12:00:00Z'))).reason).toBe('outside the execution timeframe');
  });

  it('infinite keeps the epoch-aligned sessions; bad windows are refused with a message', () => {
    const config = as({ mode: 'infinite' });
    expect(executionWindow(9_500_000_000n, { ...config.as, sessionSeconds: 10 })).toEqual({ open: true, tauSeconds: 0.5 });
    const messages = (x: object) => quotingConfigSchema.safeParse({ as: { executionTimeframe: x } }).error?.issues.map((i) => i.message);
    expect(messages({ mode: 'from-date-to-date', start: '2024-08-08T12:00:00', end: '2024-08-08T13:00:00Z' }))
      .toEqual(['as.executionTimeframe: dates are ISO 8601 with a zone, e.g. 2024-08-08T12:00:00Z']);
    expect(messages({ mode: 'daily-between-times', start: '25:00', end: '01:00' })).toEqual(["as.executionTimeframe: daily times are UTC 'HH:MM' or 'HH:MM:SS'"]);
    expect(messages({ mode: 'daily-between-times' })).toEqual(['as.executionTimeframe: daily-between-times needs a start and an end']);
  });
});

describe('live parameter changes', () => {
  it('a swapped config takes effect at the next decision, the controls keeping their state', async () => {
    const h = await makeControlHarness(FIXED);
    h.book(B0.bids, B0.asks);
    await h.decide();
    const [sell] = h.restingIds('sell');
    h.loop.setParams(quotingConfigSchema.parse(with_({ pingPong: { enabled: true } })), h.loop.maxPositionLots);
    h.fill(h.restingIds('buy')[0] ?? '', 1);
    h.book([[997, 10]], [[1001, 10]]);
    expect(summary((await h.decide()).batch)).toEqual({ places: [['sell', 1001, 1]], cancels: [sell] });
    h.loop.setParams(quotingConfigSchema.parse(FIXED), h.loop.maxPositionLots);
    expect(summary((await h.decide()).batch).places).toEqual([['buy', 997, 1]]);
  });
});

describe('pause and resume of one market (a manual halt)', () => {
  it('pulls its orders, then quotes again where it left off: position and ping-pong balance kept', async () => {
    const h = await makeControlHarness(with_({ pingPong: { enabled: true } }));
    h.book(B0.bids, B0.asks);
    await h.decide();
    const [sell] = h.restingIds('sell');
    h.fill(h.restingIds('buy')[0] ?? '', 1);
    h.risk.manual('BTC-USD', 'halted', 'paused by test', h.clock.nowMs());
    const paused = await h.decide();
    expect(summary(paused.batch)).toEqual({ places: [], cancels: [sell] });
    expect(summary((await h.decide()).batch)).toEqual({ places: [], cancels: [] });
    h.risk.reset('BTC-USD', 'manual', h.clock.nowMs());
    const resumed = await h.decide();
    expect(summary(resumed.batch)).toEqual({ places: [['sell', 1002, 1]], cancels: [] });
    expect(resumed.controls?.pingPongBalance).toBe(1);
    expect(h.positions.position('BTC-USD')).toBe(1);
  });
});
