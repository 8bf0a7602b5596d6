// The stops users ask for, in the risk layer: the kill switch on a P&L rate (Hummingbot's
// kill_switch_rate: P&L since start as a percent of capital) and a trailing stop on the fall
// of equity from its peak; exact thresholds, latching, resets, the config's rules, and the
// kill switch firing from a losing fill through the quote loop.
import { describe, expect, it } from 'vitest';
import { riskConfigSchema, riskLimitsFor } from '../src/risk/limits.js';
import type { RiskTransition } from '../src/risk/events.js';
import { RiskManager } from '../src/risk/risk-manager.js';
import { TEST_MARKET } from './helpers/scripted-venue.js';
import { FIXED, makeControlHarness, summary } from './helpers/control-harness.js';
import { START_MS, SYMBOL, TEST_LIMITS } from './helpers/trading-harness.js';

const CAPITAL = 1_000_000n; // money units

function manager(over: Partial<typeof TEST_LIMITS>) {
  const kills: string[] = [];
  const transitions: RiskTransition[] = [];
  const risk = new RiskManager({ [SYMBOL]: { ...TEST_LIMITS, capital: CAPITAL, ...over } }, START_MS, {
    onKill: (e) => kills.push(e.detail),
    onTransition: (t) => transitions.push(t),
  });
  return { risk, kills, transitions };
}

describe('kill-switch rate', () => {
  it('fires once P&L since start reaches the (negative) rate of capital, and counts afresh after a reset', () => {
    const { risk, kills } = manager({ killSwitchRate: -5 });
    risk.onPnl(SYMBOL, -49_999n, START_MS);
    expect(risk.isKilled()).toBe(false);
    risk.onPnl(SYMBOL, -50_000n, START_MS + 1);
    expect(risk.isKilled()).toBe(true);
    expect(kills).toEqual([`automatic: kill-switch rate on ${SYMBOL}: P&L -5.0000 % of capital reached -5 %`]);
    expect(risk.state(SYMBOL)).toBe('halted');
    risk.reset('all', 'kill', START_MS + 2);
    risk.onPnl(SYMBOL, -99_999n, START_MS + 3); // −4.9999 % since the reset
    expect(risk.isKilled()).toBe(false);
    risk.onPnl(SYMBOL, -100_000n, START_MS + 4);
    expect(risk.isKilled()).toBe(true);
  });

  it('a positive rate takes profit', () => {
    const { risk } = manager({ killSwitchRate: 2 });
    risk.onPnl(SYMBOL, 19_999n, START_MS);
    expect(risk.isKilled()).toBe(false);
    risk.onPnl(SYMBOL, 20_000n, START_MS);
    expect(risk.isKilled()).toBe(true);
  });
});

describe('trailing stop', () => {
  it('halts (latched) once equity falls trailingStopPct from its peak; a reset re-bases the peak', () => {
    const { risk, transitions } = manager({ trailingStopPct: 10 });
    risk.onPnl(SYMBOL, 100_000n, START_MS); // equity peak 1 100 000
    risk.onPnl(SYMBOL, -9_999n, START_MS + 1); // 109 999 / 1 100 000 = 9.9999 %
    expect(risk.state(SYMBOL)).toBe('active');
    risk.onPnl(SYMBOL, -10_000n, START_MS + 2); // exactly 10 %
    expect(risk.state(SYMBOL)).toBe('halted');
    expect(transitions.map((t) => [t.to, t.reason, t.detail])).toEqual([['halted', 'trailing-stop', 'equity 10.0000 % below its peak ≥ 10 %']]);
    risk.onPnl(SYMBOL, 200_000n, START_MS + 3);
    expect(risk.state(SYMBOL)).toBe('halted'); // latched: a recovery does not clear it
    expect(risk.reset(SYMBOL, 'trailing-stop', START_MS + 4)).toEqual({ ok: true, state: 'active' });
    risk.onPnl(SYMBOL, 100_000n, START_MS + 5); // peak re-based at 1 200 000: 8.33 %
    expect(risk.state(SYMBOL)).toBe('active');
  });
});

describe('config', () => {
  it('converts capital to money units and needs it for either rate', () => {
    const ok = riskLimitsFor(riskConfigSchema.parse({ capital: '100', killSwitchRate: -5, trailingStopPct: 2.5 }), TEST_MARKET);
    expect(ok.ok && [ok.limits.capital, ok.limits.killSwitchRate, ok.limits.trailingStopPct]).toEqual([1_000_000_000_000n, -5, 2.5]);
    const off = riskLimitsFor(riskConfigSchema.parse({}), TEST_MARKET);
    expect(off.ok && [off.limits.capital, off.limits.killSwitchRate, off.limits.trailingStopPct]).toEqual([null, null, null]);
    const bad = riskConfigSchema.safeParse({ killSwitchRate: -5, trailingStopPct: 0 });
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      'risk.trailingStopPct must be > 0',
      'risk.killSwitchRate needs risk.capital (the equity its percent is of)',
      'risk.trailingStopPct needs risk.capital (the equity its percent is of)',
    ]);
    expect(riskConfigSchema.safeParse({ capital: '1', killSwitchRate: 0 }).error?.issues[0]?.message).toBe('risk.killSwitchRate must not be 0');
  });
});

describe('through the quote loop', () => {
  it('a losing fill marked at the next decision fires the kill switch: everything is pulled, nothing placed', async () => {
    // 100 lots of 0.001 bought at 99.8, marked at 99.0: −0.08 quote of 100 capital = −0.08 %.
    const h = await makeControlHarness(
      { ...FIXED, orderSizeLots: 100, ladder: { sizesLots: [100] } },
      { limits: { maxPositionLots: 1000, capital: 1_000_000_000_000n, killSwitchRate: -0.05 } },
    );
    h.book([[998, 1000]], [[1002, 1000]]);
    await h.decide();
    const [sell] = h.restingIds('sell');
    h.fill(h.restingIds('buy')[0] ?? '', 100);
    h.book([[988, 1000]], [[992, 1000]]);
    const record = await h.decide();
    expect(h.risk.isKilled()).toBe(true);
    expect(summary(record.batch)).toEqual({ places: [], cancels: [sell] });
  });
});
