// redis-server stopped under a running daemon and started again: the quote loop keeps deciding
// (no await on Redis anywhere in it), the markets go to the configured policy's state (reduce)
// and back, fills made meanwhile are booked at once, and when Redis returns everything buffered
// is written once and in order: the journal's entries run 1..lastSeq, its fills are the fills
// the daemon booked, in the order it booked them, and the ledger rebuilt from the journal alone
// equals the daemon's to the unit. Real redis-server; the embedded sim venue.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../src/config/schema.js';
import { Daemon } from '../src/engine/daemon.js';
import { systemClock } from '../src/execution/clock.js';
import { sideSign } from '../src/market/types.js';
import { Ledger } from '../src/native.js';
import { openStorage, type Storage } from '../src/storage/open.js';
import { decodeEntry, fillKey, type JournalEntry } from '../src/storage/records.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { createVenue } from '../src/venues/create.js';
import type { Fill, Venue, VenueListener } from '../src/venues/venue.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const SYMBOL = 'SEI/USDC';
let redis: TestRedis;
let raw: Redis;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { lazyConnect: true });
  raw.on('error', () => undefined); // the test stops redis-server under it
  await raw.connect();
});

afterAll(async () => {
  raw?.disconnect();
  await redis?.dispose();
});

function config(): Config {
  return configSchema.parse({
    venue: { generator: { seed: 5, initialPrice: '0.4000', ziParams: { marketRate: 20, limitRate: 60 } }, latency: { entryMs: 1, responseMs: 1 } },
    markets: [{ symbol: SYMBOL, tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 }],
    strategy: { orderSizeLots: 10, ladder: { levels: 2, levelStepTicks: 1, sizesLots: [10, 10] } },
    risk: { maxPositionLots: 100_000, maxNotional: '1000000', maxDailyLoss: '1000000', maxDrawdown: '1000000' },
    engine: { intervalMs: 50 },
    model: { enabled: false },
    storage: { redis: { url: redis.url, keyPrefix: 'outage:', onDisconnect: 'reduce', commandTimeoutMs: 200, maxReconnectDelayMs: 200 } },
  });
}

/** The venue, with every fill it delivers kept (and awaitable) on the way to the daemon. */
function tapped(venue: Venue): { venue: Venue; fills: Fill[]; until: (pred: (fills: readonly Fill[]) => boolean) => Promise<void> } {
  const fills: Fill[] = [];
  const waiters: { pred: (fills: readonly Fill[]) => boolean; resolve: () => void }[] = [];
  const wrapped: Venue = {
    name: venue.name, ephemeral: true,
    markets: () => venue.markets(),
    submit: (batch) => venue.submit(batch),
    cancelAll: (symbol) => venue.cancelAll(symbol),
    openOrders: (symbol) => venue.openOrders(symbol),
    close: () => venue.close(),
    connect: (listener: VenueListener) => venue.connect({
      ...listener,
      onOrderEvent: (event) => {
        if (event.type === 'fill') fills.push(event.fill);
        listener.onOrderEvent(event);
        for (const w of waiters.splice(0)) (w.pred(fills) ? w.resolve() : waiters.push(w));
      },
    }),
  };
  return { venue: wrapped, fills, until: (pred) => (pred(fills) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pred, resolve }))) };
}

describe('redis-server stopped and started under a running daemon', () => {
  it('keeps quoting on the policy, books fills at once, replays every write once and in order', async () => {
    const cfg = config();
    const log = createLogger({ level: 'silent' });
    const metrics = createMetrics({ build: { version: 'test' }, defaultMetrics: false });
    const created = createVenue(cfg, systemClock);
    const tap = tapped(created.venue);
    let daemon: Daemon | null = null;
    const states: string[] = [];
    const storage: Storage = openStorage(cfg.storage, {}, {
      metrics, onRedisHealth: (h) => {
        daemon?.onStorageHealth(h);
        if (daemon !== null) states.push(daemon.risk.state(SYMBOL));
      },
    });
    // Decisions counted (and awaitable) as the daemon makes them.
    let decided = 0;
    const decisionWaiters: { n: number; resolve: () => void }[] = [];
    const onDecision = () => {
      decided += 1;
      for (const w of decisionWaiters.splice(0)) (decided >= w.n ? w.resolve() : decisionWaiters.push(w));
    };
    const decisions = (n: number) => (decided >= n ? Promise.resolve() : new Promise<void>((resolve) => decisionWaiters.push({ n, resolve })));
    daemon = new Daemon({ config: cfg, venue: tap.venue, sequenceRule: created.sequenceRule, log, metrics, storage, onDecision });
    await daemon.start();
    const store = storage.redis!;
    expect(daemon.risk.state(SYMBOL)).toBe('active');
    // Reducing quotes only the side that brings the position back to flat: Redis stops once the
    // position is at least two orders' worth, so that fills keep coming while it is away.
    await tap.until((fills) => fills.length >= 3 && Math.abs(lotsOf(fills)) >= 20);

    await redis.stop();
    const decisionsAtStop = decided;
    const fillsAtStop = tap.fills.length;
    // The market reduces; the loop keeps deciding; fills keep being booked (position follows the venue).
    await Promise.all([tap.until((fills) => fills.length >= fillsAtStop + 2), decisions(decisionsAtStop + 10)]);
    expect(daemon.risk.state(SYMBOL)).toBe('reducing');
    expect(daemon.risk.trips(SYMBOL).map((t) => t.reason)).toContain('storage');
    expect(store.health().connected).toBe(false);
    expect(store.health().buffered).toBeGreaterThan(0);

    await redis.start();
    await store.drained();
    expect(daemon.risk.state(SYMBOL)).toBe('active');
    expect(states).toContain('reducing');
    const report = await daemon.stop('test over');
    expect(report.openOrders).toBe(0);
    await storage.close();

    // The journal, read back: entries 1..lastSeq in order; its fills are the ones booked, in order.
    const entries: JournalEntry[] = (await raw.xrange(`outage:journal:{${SYMBOL}}`, '-', '+')).map(([id, f]) => decodeEntry(id, f));
    const lastSeq = Number(await raw.get(`outage:journal-seq:{${SYMBOL}}`));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(entries.some((e) => e.type === 'gap')).toBe(false);
    const journaledFills = entries.flatMap((e) => (e.type === 'fill' ? [e.fill] : []));
    expect(journaledFills.map((f) => [f.clientId, f.price, f.lots, f.side, f.fee, f.tsNs])).toEqual(tap.fills.map((f) => [f.clientId, f.price, f.size, f.side, f.fee, f.tsNs]));
    expect(new Set(journaledFills.map((f) => fillKey(f.clientId, f.fillId))).size).toBe(journaledFills.length);
    expect(tap.fills.length).toBeGreaterThan(fillsAtStop);
    // The ledger of the journal alone equals the daemon's, exactly.
    const rebuilt = new Ledger();
    for (const f of journaledFills) rebuilt.applyFill(f.side, f.price, f.lots, f.fee);
    expect(rebuilt.snapshot()).toEqual(daemon.positions.snapshot(SYMBOL));
  }, 60_000);
});

function lotsOf(fills: readonly Fill[]): number {
  return fills.reduce((n, f) => n + sideSign(f.side) * f.size, 0);
}
