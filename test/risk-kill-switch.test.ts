import { describe, expect, it } from 'vitest';
import { KillSwitch } from '../src/risk/kill-switch.js';
import { makeHarness, quote, SYMBOL, type Harness } from './helpers/trading-harness.js';

const QUOTES = [quote('buy', 100, 2, 0), quote('buy', 99, 2, 1), quote('sell', 102, 2, 0)];

async function busyMarket(h: Harness): Promise<void> {
  h.risk.onMarketData(SYMBOL, h.clock.nowMs());
  await h.step(QUOTES);
  h.venue.deliver();
  h.venue.inject({ clientId: 'fm-before-restart-1', symbol: SYMBOL, side: 'sell', price: 110, size: 1 });
  h.venue.dropNextAck();
  await h.step([...QUOTES, quote('sell', 103, 2, 1)]); // a place still unacknowledged
}

describe('kill switch', () => {
  it('leaves zero open orders on the venue and sends nothing more until reset', async () => {
    const h = await makeHarness();
    const kill = new KillSwitch({ risk: h.risk, orders: h.orders, venue: h.venue, clock: h.clock });
    await busyMarket(h);
    expect(h.venue.restingIds()).toHaveLength(5);

    expect(await kill.engage('operator')).toEqual({ ok: true, rounds: 1 });
    expect(await h.venue.openOrders(SYMBOL)).toEqual([]);
    h.venue.deliver();
    const { local, venue } = await h.compare();
    expect(local).toEqual([]);
    expect(venue).toEqual([]);
    expect(h.risk.state(SYMBOL)).toBe('halted');

    const sentBefore = { ...h.venue.counts };
    for (let i = 0; i < 3; i++) {
      h.clock.advance(100);
      h.risk.onMarketData(SYMBOL, h.clock.nowMs());
      h.risk.tick(h.clock.nowMs());
      const { batch } = await h.step(QUOTES);
      expect(batch).toEqual({ cancels: [], places: [] });
    }
    expect(h.venue.counts).toEqual(sentBefore);
    // Blocked in the order manager too, whatever reaches it.
    expect(h.orders.sync(SYMBOL, QUOTES, h.clock.nowMs()).batch.places).toEqual([]);

    expect(await kill.reset()).toEqual({ ok: true, state: 'active' });
    expect((await h.step(QUOTES)).batch.places).toHaveLength(3);
  });

  it('fires automatically on a loss limit and cancels everything', async () => {
    const h = await makeHarness({ limits: { maxDailyLoss: 1_000n, autoKillOn: ['daily-loss'] } });
    const kill = new KillSwitch({ risk: h.risk, orders: h.orders, venue: h.venue, clock: h.clock });
    await busyMarket(h);
    h.risk.onPnl(SYMBOL, 0n, h.clock.nowMs());
    h.risk.onPnl(SYMBOL, -1_000n, h.clock.nowMs());
    expect(h.risk.isKilled()).toBe(true);
    expect(await kill.settled()).toEqual({ ok: true, rounds: 1 });
    expect(h.venue.restingIds()).toEqual([]);
    h.venue.deliver();
    expect(h.orders.openOrders(SYMBOL)).toEqual([]);
  });

  it('reports what is left when the venue cannot be reached', async () => {
    const h = await makeHarness();
    const kill = new KillSwitch({ risk: h.risk, orders: h.orders, venue: h.venue, clock: h.clock, maxRounds: 2 });
    await busyMarket(h);
    h.venue.disconnect();
    const outcome = await kill.engage('operator');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.errors).toHaveLength(2);
    h.venue.reconnect();
    expect(await kill.engage('again')).toEqual({ ok: true, rounds: 1 });
    expect(h.venue.restingIds()).toEqual([]);
  });
});
