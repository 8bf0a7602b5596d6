import { describe, expect, it } from 'vitest';
import type { ManagedOrder } from '../src/execution/order-state.js';
import { MONEY_PER_TICK_LOT } from '../src/market/types.js';
import { moneyFromDecimal, riskConfigSchema, riskLimitsFor } from '../src/risk/limits.js';
import { filterQuotes, type RiskInputs } from '../src/risk/quote-filter.js';
import { TokenBucket } from '../src/risk/token-bucket.js';
import { TEST_MARKET } from './helpers/scripted-venue.js';
import { quote, TEST_LIMITS } from './helpers/trading-harness.js';

const always = (): boolean => true;

function live(o: Partial<ManagedOrder>): ManagedOrder {
  return {
    clientId: 'x', symbol: 'X', side: 'buy', price: 100, size: 5, postOnly: true, level: 0, state: 'open', filled: 0,
    inFlight: null, sentAtMs: 0, doneAtMs: null, adopted: false, reason: '', closedLocally: false, ...o,
  };
}

const reasons = (r: ReturnType<typeof filterQuotes>) => r.dropped.map((d) => d.reason);

describe('the hard position check counts the worst case', () => {
  it('position + every live order on the side (in flight, being cancelled, in doubt) + the new order', () => {
    const inputs: RiskInputs = {
      positionLots: 3,
      live: [live({ clientId: 'a', state: 'pending', size: 2, price: 99 }), live({ clientId: 'b', state: 'cancelling', size: 2, price: 98 }), live({ clientId: 'c', state: 'unknown', size: 2, price: 97 })],
    };
    // 3 + 6 live + 2 = 11 > 10; 3 + 6 + 1 = 10 passes
    expect(reasons(filterQuotes([quote('buy', 101, 2)], inputs, TEST_LIMITS, 'active', always))).toEqual(['position-limit']);
    expect(filterQuotes([quote('buy', 101, 1)], inputs, TEST_LIMITS, 'active', always).allowed).toHaveLength(1);
    // the sell side is unaffected: 3 - 10 = -7
    expect(filterQuotes([quote('sell', 103, 10)], inputs, TEST_LIMITS, 'active', always).allowed).toHaveLength(1);
  });

  it('a desired quote already resting is not counted twice', () => {
    const inputs: RiskInputs = { positionLots: 5, live: [live({ clientId: 'a', size: 5, price: 100 })] };
    expect(filterQuotes([quote('buy', 100, 5)], inputs, TEST_LIMITS, 'active', always).allowed).toHaveLength(1);
    expect(reasons(filterQuotes([quote('buy', 101, 5)], inputs, TEST_LIMITS, 'active', always))).toEqual(['position-limit']);
  });

  it('notional, open-order and rate limits', () => {
    const limits = { ...TEST_LIMITS, maxNotional: 1_000n * MONEY_PER_TICK_LOT, maxOpenOrders: 2 };
    expect(reasons(filterQuotes([quote('buy', 201, 5)], { positionLots: 0, live: [] }, limits, 'active', always))).toEqual(['notional-limit']);
    const three = [quote('buy', 100, 1, 0), quote('buy', 99, 1, 1), quote('buy', 98, 1, 2)];
    expect(reasons(filterQuotes(three, { positionLots: 0, live: [] }, limits, 'active', always))).toEqual(['max-open-orders']);
    let tokens = 1;
    const take = (): boolean => tokens-- > 0;
    expect(reasons(filterQuotes(three.slice(0, 2), { positionLots: 0, live: [] }, TEST_LIMITS, 'active', take))).toEqual(['rate-limit']);
  });

  it('reducing passes only quotes that shrink |position| without crossing zero; halted passes nothing', () => {
    const inputs: RiskInputs = { positionLots: 4, live: [] };
    const r = filterQuotes([quote('buy', 99, 1), quote('sell', 101, 3), quote('sell', 102, 2, 1)], inputs, TEST_LIMITS, 'reducing', always);
    expect(r.allowed.map((q) => q.price)).toEqual([101]);
    expect(reasons(r)).toEqual(['reducing', 'reducing']);
    expect(filterQuotes([quote('sell', 101, 1)], inputs, TEST_LIMITS, 'halted', always).allowed).toEqual([]);
  });
});

describe('order-rate budget', () => {
  it('spends a burst, then refills at the rate', () => {
    const bucket = new TokenBucket(10, 3); // 10 per second, burst 3
    expect([1, 2, 3, 4].map(() => bucket.take(0))).toEqual([true, true, true, false]);
    expect(bucket.take(99)).toBe(false);
    expect(bucket.take(100)).toBe(true); // 100 ms = one token
    expect(bucket.available(10_000)).toBe(3); // never above the burst
  });
});

describe('risk limits from config', () => {
  it('converts quote-currency decimals to money units exactly, rounding toward zero', () => {
    // tick 0.1 × lot 0.001 × 1e-6 = 1e-10 quote per money unit
    expect(moneyFromDecimal('1', TEST_MARKET)).toBe(10_000_000_000n);
    expect(moneyFromDecimal('0.00000000015', TEST_MARKET)).toBe(1n);
    expect(moneyFromDecimal('1e3', TEST_MARKET)).toBeNull();
    const config = riskConfigSchema.parse({ maxPositionLots: 10, maxNotional: '50000', maxDailyLoss: 250, maxDrawdown: '400.5' });
    const result = riskLimitsFor(config, TEST_MARKET);
    expect(result).toMatchObject({ ok: true, limits: { maxNotional: 500_000_000_000_000n, maxDailyLoss: 2_500_000_000_000n, maxDrawdown: 4_005_000_000_000n, orderBurst: 10 } });
    expect(riskLimitsFor(config, { ...TEST_MARKET, tickSize: '0' }).ok).toBe(false);
  });
});
