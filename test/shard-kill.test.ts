// The kill switch on a trading account shared by several daemons (sharded markets), on the real
// remote sim venue: one daemon's kill switch cancels its own orders and leaves every order of
// the other daemons resting, on the same markets too; an unscoped kill switch (cancel-all, what a
// daemon alone on its account uses) would take the whole account's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.js';
import { ClientIdGenerator } from '../src/execution/client-id.js';
import { systemClock } from '../src/execution/clock.js';
import { OrderManager } from '../src/execution/order-manager.js';
import { PositionTracker } from '../src/execution/position.js';
import type { DesiredQuote } from '../src/market/types.js';
import { KillSwitch } from '../src/risk/kill-switch.js';
import { RiskManager } from '../src/risk/risk-manager.js';
import { createLogger } from '../src/telemetry/logger.js';
import { marketInfo } from '../src/venues/create.js';
import { RemoteSimVenue } from '../src/venues/sim-remote/remote-venue.js';
import { SimServer } from '../src/venues/sim-remote/server.js';
import type { OrderEvent } from '../src/venues/venue.js';
import { TEST_LIMITS } from './helpers/trading-harness.js';

const ACCOUNT = 'desk';
const SPEC = { tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 };
const MARKETS = ['AAA/USDC', 'BBB/USDC'].map((symbol) => ({ symbol, ...SPEC }));
const [AAA, BBB] = ['AAA/USDC', 'BBB/USDC'] as const;
const log = createLogger({ level: 'silent' });
const config = configSchema.parse({
  markets: MARKETS, strategy: { orderSizeLots: 10, ladder: { levels: 1, sizesLots: [10] } },
  venue: { generator: { seed: 9, initialPrice: '0.4000', ziParams: { marketRate: 5, limitRate: 20 } }, latency: { entryMs: 1, responseMs: 1 } },
});
let sim: SimServer;
const venues: RemoteSimVenue[] = [];

/** Far from the 0.4000 market: post-only orders that rest and never fill during the test. */
const bid = (price: number): DesiredQuote => ({ side: 'buy', price, size: 10, level: 0, postOnly: true });
const ask = (price: number): DesiredQuote => ({ side: 'sell', price, size: 10, level: 0, postOnly: true });

/** One daemon's trading parts on the shared account, wired as the daemon wires them. */
async function participant(name: string, bootId: string, sharedAccount: boolean) {
  const venue = new RemoteSimVenue({ url: `ws://127.0.0.1:${sim.port}`, client: name, account: ACCOUNT, markets: config.markets.map((m) => marketInfo(m)), log });
  venues.push(venue);
  const orders = new OrderManager({
    clock: systemClock, ids: new ClientIdGenerator(bootId), positions: new PositionTracker(), markets: venue.markets(), ackTimeoutMs: 10_000, orphanPolicy: 'cancel',
  });
  const events: OrderEvent[] = [];
  await venue.connect({
    onMarketData: () => undefined,
    onOrderEvent: (e) => {
      events.push(e);
      orders.onEvent(e);
    },
    onConnection: () => undefined,
  });
  const risk = new RiskManager({ [AAA]: TEST_LIMITS, [BBB]: TEST_LIMITS }, Date.now());
  const kill = new KillSwitch({ risk, orders, venue, clock: systemClock, sharedAccount, roundDelayMs: 20 });
  const quote = async (symbol: string, quotes: readonly DesiredQuote[]) => venue.submit(orders.sync(symbol, quotes, Date.now()).batch);
  return { name, venue, orders, events, kill, quote };
}

async function eventually<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Who has orders resting on each market, once it equals `want`. */
async function placers(want: Record<string, Record<string, number>>): Promise<void> {
  const seen = async () => Object.fromEntries(await Promise.all([AAA, BBB].map(async (s) => [s, Object.fromEntries(await sim.placersOf(ACCOUNT, s))] as const)));
  await eventually(async () => (JSON.stringify(await seen()) === JSON.stringify(want) ? true : null), `resting orders ${JSON.stringify(want)}`).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; seen ${JSON.stringify(await seen())}`);
  });
}

const restingIds = async (symbol: string) => (await sim.openOrdersOf(ACCOUNT, symbol)).map((o) => o.clientId).sort();

beforeAll(async () => {
  sim = await SimServer.start({ config, log });
});

afterAll(async () => {
  for (const v of venues) await v.close();
  await sim?.close();
});

describe('the kill switch on a shared account', () => {
  it('cancels only its own daemon\'s orders; the other daemon\'s rest on, on the same markets too', async () => {
    const a = await participant('a', 'boota', true);
    const b = await participant('b', 'bootb', true);
    await a.quote(AAA, [bid(3_000), ask(5_000)]);
    await a.quote(BBB, [bid(3_001)]);
    await b.quote(AAA, [bid(2_990)]);
    await b.quote(BBB, [bid(2_991), ask(5_010)]);
    await placers({ [AAA]: { a: 2, b: 1 }, [BBB]: { a: 1, b: 2 } });
    const bBefore = { [AAA]: await restingIds(AAA), [BBB]: await restingIds(BBB) };

    const outcome = await a.kill.engage('operator');
    expect(outcome).toMatchObject({ ok: true });
    await placers({ [AAA]: { b: 1 }, [BBB]: { b: 2 } });
    // The very same orders of b, none cancelled, none replaced; b was told of no cancel.
    for (const s of [AAA, BBB]) expect(await restingIds(s)).toEqual(bBefore[s]!.filter((id) => id.startsWith('fm-bootb-')));
    expect(b.events.filter((e: OrderEvent) => e.type === 'cancelled' && e.clientId.startsWith('fm-bootb-'))).toEqual([]);
    expect(a.orders.liveOrders(AAA)).toEqual([]);
    expect(a.orders.liveOrders(BBB)).toEqual([]);
    // b's kill switch in turn leaves the account empty (a has nothing left).
    expect(await b.kill.engage('operator')).toMatchObject({ ok: true });
    await placers({ [AAA]: {}, [BBB]: {} });
  });

  it('unscoped (a daemon alone on its account), cancel-all takes every order of the account', async () => {
    const c = await participant('c', 'bootc', false);
    const d = await participant('d', 'bootd', true);
    await c.quote(AAA, [bid(3_000)]);
    await d.quote(AAA, [bid(2_990)]);
    await placers({ [AAA]: { c: 1, d: 1 }, [BBB]: {} });
    await c.kill.engage('operator');
    await placers({ [AAA]: {}, [BBB]: {} });
    expect(d.events.filter((e: OrderEvent) => e.type === 'cancelled' && e.clientId.startsWith('fm-bootd-'))).toHaveLength(1);
  });
});
