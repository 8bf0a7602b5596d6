// Each watchdog and breaker trips and recovers; every transition is emitted with its reason.
import { describe, expect, it } from 'vitest';
import { breakerStateValue, type RiskTransition } from '../src/risk/events.js';
import { RiskManager } from '../src/risk/risk-manager.js';
import { makeHarness, quote, START_MS, SYMBOL, TEST_LIMITS } from './helpers/trading-harness.js';

const S = SYMBOL;

function manager(overrides: Partial<typeof TEST_LIMITS> = {}) {
  const events: RiskTransition[] = [];
  const kills: string[] = [];
  const risk = new RiskManager({ [S]: { ...TEST_LIMITS, ...overrides } }, START_MS, {
    onTransition: (e) => events.push(e),
    onKill: (e) => kills.push(e.detail),
  });
  const path = () => events.map((e) => `${e.from}>${e.to}:${e.reason}`);
  return { risk, events, kills, path };
}

describe('watchdogs', () => {
  it('stale book: no data within staleBookMs halts and pulls quotes; fresh data recovers', async () => {
    const h = await makeHarness();
    h.risk.onMarketData(SYMBOL, h.clock.nowMs());
    await h.step([quote('buy', 100, 1), quote('sell', 102, 1)]);
    h.venue.deliver();
    h.clock.advance(1_001);
    h.risk.tick(h.clock.nowMs());
    expect(h.risk.state(SYMBOL)).toBe('halted');
    const pulled = await h.step([quote('buy', 100, 1), quote('sell', 102, 1)]);
    expect(pulled.batch.cancels).toHaveLength(2);
    expect(pulled.filtered.dropped.map((d) => d.reason)).toEqual(['halted', 'halted']);
    h.venue.deliver();
    expect(h.venue.restingIds()).toEqual([]);
    h.risk.onMarketData(SYMBOL, h.clock.nowMs());
    expect(h.risk.state(SYMBOL)).toBe('active');
    expect((await h.step([quote('buy', 100, 1)])).batch.places).toHaveLength(1);
    expect(h.transitions.map((t) => [t.from, t.to, t.reason, t.cause])).toEqual([
      ['active', 'halted', 'stale-book', 'tripped'],
      ['halted', 'active', 'stale-book', 'cleared'],
    ]);
    expect(h.transitions[0]).toMatchObject({ symbol: SYMBOL, atMs: START_MS + 1_001 });
  });

  it('disconnect: down longer than disconnectMs halts; reconnecting recovers', async () => {
    const h = await makeHarness();
    h.risk.onMarketData(SYMBOL, h.clock.nowMs());
    h.venue.disconnect();
    h.clock.advance(499);
    h.risk.tick(h.clock.nowMs());
    expect(h.risk.state(SYMBOL)).toBe('active');
    h.clock.advance(1);
    h.risk.tick(h.clock.nowMs());
    expect(h.risk.state(SYMBOL)).toBe('halted');
    h.venue.reconnect();
    expect(h.risk.state(SYMBOL)).toBe('active');
    expect(h.transitions.map((t) => t.reason)).toEqual(['disconnect', 'disconnect']);
  });
});

describe('breakers', () => {
  it('error rate: more than maxErrors in the window halts; a quiet window recovers', () => {
    const { risk, path } = manager({ maxErrors: 2, errorWindowMs: 1_000 });
    risk.onMarketData(S, START_MS);
    for (let i = 0; i < 3; i++) risk.onError(S, 'rejected', START_MS + i);
    expect(risk.state(S)).toBe('halted');
    risk.tick(START_MS + 500);
    expect(risk.state(S)).toBe('halted');
    risk.onMarketData(S, START_MS + 1_002);
    risk.tick(START_MS + 1_002);
    expect(risk.state(S)).toBe('active');
    expect(path()).toEqual(['active>halted:error-rate', 'halted>active:error-rate']);
  });

  it('position beyond its limit: reducing until back within, automatically', () => {
    const { risk, path } = manager();
    risk.onPosition(S, 11, START_MS);
    expect(risk.state(S)).toBe('reducing');
    const r = risk.filter(S, [quote('buy', 99, 1), quote('sell', 101, 1)], { positionLots: 11, live: [] }, START_MS);
    expect(r.allowed.map((q) => q.side)).toEqual(['sell']);
    risk.filter(S, [], { positionLots: 10, live: [] }, START_MS + 1);
    expect(risk.state(S)).toBe('active');
    expect(path()).toEqual(['active>reducing:position-limit', 'reducing>active:position-limit']);
  });

  it('daily loss halts, stays latched across a new day, and recovers only by reset (re-based)', () => {
    const { risk, path } = manager({ maxDailyLoss: 100n, maxDrawdown: 1_000n });
    risk.onPnl(S, 50n, START_MS);
    risk.onPnl(S, -50n, START_MS + 1);
    expect(risk.state(S)).toBe('halted');
    risk.onPnl(S, 0n, START_MS + 86_400_000);
    expect(risk.state(S)).toBe('halted');
    expect(risk.reset(S, 'daily-loss', START_MS + 86_400_001)).toEqual({ ok: true, state: 'active' });
    risk.onPnl(S, -10n, START_MS + 86_400_002); // 10 below the re-based start: fine
    expect(risk.state(S)).toBe('active');
    expect(path()).toEqual(['active>halted:daily-loss', 'halted>active:daily-loss']);
  });

  it('drawdown from the peak reduces, latched until reset', () => {
    const { risk, path } = manager({ maxDrawdown: 100n });
    risk.onPnl(S, 500n, START_MS);
    risk.onPnl(S, 401n, START_MS + 1);
    expect(risk.state(S)).toBe('active');
    risk.onPnl(S, 400n, START_MS + 2);
    expect(risk.state(S)).toBe('reducing');
    risk.onPnl(S, 600n, START_MS + 3);
    expect(risk.state(S)).toBe('reducing');
    risk.reset(S, 'drawdown', START_MS + 4);
    expect(risk.state(S)).toBe('active');
    expect(path()).toEqual(['active>reducing:drawdown', 'reducing>active:drawdown']);
  });

  it('manual halt and reduce-only, reset by the operator; states combine by severity', () => {
    const { risk, path } = manager();
    risk.manual(S, 'reducing', 'operator', START_MS);
    risk.onPosition(S, 11, START_MS); // also reducing: no transition
    risk.manual('all', 'halted', 'operator', START_MS + 1);
    risk.reset(S, 'manual', START_MS + 2);
    expect(risk.state(S)).toBe('reducing'); // the position trip remains
    expect(path()).toEqual(['active>reducing:manual', 'reducing>halted:manual', 'halted>reducing:manual']);
    expect(breakerStateValue(risk.state(S))).toBe(1);
  });

  it('an automatic kill on a loss limit latches every market', () => {
    const { risk, kills } = manager({ maxDailyLoss: 100n, autoKillOn: ['daily-loss'] });
    risk.onPnl(S, 0n, START_MS);
    risk.onPnl(S, -100n, START_MS + 1);
    expect(risk.isKilled()).toBe(true);
    expect(kills).toHaveLength(1);
    risk.reset(S, 'daily-loss', START_MS + 2);
    expect(risk.state(S)).toBe('halted'); // still killed
    risk.reset('all', 'kill', START_MS + 3);
    expect(risk.state(S)).toBe('active');
  });
});
