// The Redis store against a real redis-server: every key round-trips with exact values, the
// journal is idempotent by client order id + fill id, a restore folds the journal after the
// checkpoint, and a Redis stopped mid-run and restarted loses nothing it had room for, counts
// what it dropped, and replays the rest in order.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type RedisConfig } from '../src/config/schema.js';
import { openStorage } from '../src/storage/open.js';
import { loadSecrets } from '../src/config/secret.js';
import { decodeBook, decodeEntry, decodePrediction, type FillRecord, type StoredOrder } from '../src/storage/records.js';
import { RedisStore, type StorageHealth } from '../src/storage/redis-store.js';
import { ALREADY_WRITTEN, OUT_OF_ORDER, SCRIPTS } from '../src/storage/scripts.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const SYMBOL = 'SEI/USDC';
let redis: TestRedis;
let raw: Redis;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on('error', () => undefined); // reconnects by itself while a test has Redis stopped
  await raw.connect();
});

// A failed outage test must not leave Redis stopped for the next one.
afterEach(async () => {
  if (!redis.isRunning()) await redis.start();
});

afterAll(async () => {
  raw?.disconnect();
  await redis?.dispose();
});

function config(keyPrefix: string, overrides: Partial<RedisConfig> = {}): RedisConfig {
  return {
    url: redis.url, keyPrefix, onDisconnect: 'reduce', maxBufferedWrites: 10_000, commandTimeoutMs: 500,
    maxReconnectDelayMs: 100, journalMaxEntries: 1_000_000, ...overrides,
  };
}

async function openStore(keyPrefix: string, overrides: Partial<RedisStoreOptionsExtra> = {}) {
  const store = new RedisStore({ ...config(keyPrefix), ...overrides });
  const outcome = await store.restore([SYMBOL], 5_000);
  if (!outcome.ok) throw new Error(outcome.reason);
  return { store, restored: outcome.markets.get(SYMBOL)!, market: store.market(SYMBOL) };
}
type RedisStoreOptionsExtra = ConstructorParameters<typeof RedisStore>[0];

function fill(clientId: string, fillId: string, side: 'buy' | 'sell', price: number, lots: number, fee: bigint): FillRecord {
  return { clientId, fillId, side, price, lots, fee, liquidity: 'maker', tsNs: 1_700_000_000_123_456_789n + BigInt(lots) };
}

const ORDER: StoredOrder = {
  clientId: 'fm-abc-1', venueId: 'v-991', side: 'buy', price: 4_012, size: 30, filled: 10, postOnly: true, state: 'partially-filled', level: 0,
};

describe('RedisStore round trips (exact values in Redis and back)', () => {
  it('writes the book, predictions, journal and checkpoint under the design key names', async () => {
    const { store, restored, market } = await openStore('rt:');
    expect(restored).toMatchObject({ checkpoint: null, tail: [], lastSeq: 0, problems: [], gaps: [] });

    const book = { bids: [[4_011, 120], [4_010, 7]] as const, asks: [[4_013, 55]] as const, sequence: 9_007_199_254_740_991, exchangeTsNs: 1_723_100_000_123_456_789n };
    market.saveBook({ bids: book.bids.map(([p, s]) => [p, s] as const), asks: book.asks.map(([p, s]) => [p, s] as const), sequence: book.sequence, exchangeTsNs: book.exchangeTsNs });
    const predictions = [1, 2, 3].map((i) => ({ atMs: 1_723_100_000_000 + i, horizons: [{ horizonMs: 100, down: 0.125 * i, flat: 0.5, up: 0.5 - 0.125 * i }] }));
    for (const p of predictions) market.pushPrediction(p);
    market.journalOrder({ clientId: ORDER.clientId, state: 'pending', reason: 'place sent', atMs: 1_723_100_000_001, order: { side: 'buy', price: 4_012, size: 30, postOnly: true, level: 0, venueId: null } });
    const f = fill(ORDER.clientId, '10', 'buy', 4_012, 10, -40_120n);
    expect(await market.journalFill(f)).toEqual({ status: 'durable', seq: 2 });
    const position = { lots: -37, entryCost: 2n ** 70n + 1n, realised: -(2n ** 64n) - 3n, fees: -123_456_789_012_345_678_901n, volumeLots: 9_007_199_254_740_991 };
    market.checkpoint({ throughSeq: 2, position, openOrders: [ORDER] });
    await store.drained();

    const k = (name: string) => `rt:${name}:{${SYMBOL}}`;
    const rawBook = await raw.hgetall(k('orderbook'));
    expect(rawBook).toEqual({ bids: '[[4011,120],[4010,7]]', asks: '[[4013,55]]', sequence: '9007199254740991', tsNs: '1723100000123456789' });
    expect(decodeBook(rawBook)).toEqual(book);
    const ttl = await raw.pttl(k('orderbook'));
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);

    expect(await raw.hgetall(k('positions'))).toEqual({
      throughSeq: '2', atMs: expect.stringMatching(/^\d{13}$/) as unknown as string, position: '-37', cost: '1180591620717411303425',
      realised: '-18446744073709551619', fees: '-123456789012345678901', volume: '9007199254740991',
    });
    expect(await raw.hgetall(k('orders'))).toEqual({
      'fm-abc-1': '{"side":"buy","price":4012,"size":30,"filled":10,"postOnly":true,"state":"partially-filled","level":0,"venueId":"v-991"}',
    });
    const listed = await raw.lrange(k('predictions'), 0, -1);
    expect(listed.map(decodePrediction)).toEqual([...predictions].reverse());

    const entries = await raw.xrange(k('journal'), '-', '+');
    expect(entries.map(([id]) => id)).toEqual(['0-1', '0-2']);
    expect(entries[1]![1]).toEqual([
      'type', 'fill', 'clientId', 'fm-abc-1', 'fillId', '10', 'side', 'buy', 'price', '4012', 'lots', '10', 'fee', '-40120', 'liquidity', 'maker', 'tsNs', '1700000000123456799',
    ]);
    expect(entries.map(([id, fields]) => decodeEntry(id, fields))).toEqual([
      { seq: 1, type: 'order', event: { clientId: 'fm-abc-1', state: 'pending', reason: 'place sent', atMs: 1_723_100_000_001, order: { side: 'buy', price: 4_012, size: 30, postOnly: true, level: 0, venueId: null } } },
      { seq: 2, type: 'fill', fill: f },
    ]);
    await store.close();

    // A restart reads it all back, exactly.
    const again = await openStore('rt:');
    expect(again.restored.checkpoint).toEqual({ throughSeq: 2, atMs: expect.any(Number) as unknown as number, position, openOrders: [ORDER] });
    expect(again.restored).toMatchObject({ tail: [], fillsToReplay: [], openOrders: [ORDER], lastSeq: 2 });
    expect(again.market.lastSeq).toBe(2);
    await again.store.close();
  });

  it('bad records are refused without a throw on the quote path, counted, and never written', async () => {
    const metrics = createMetrics({ build: { version: 'test' }, defaultMetrics: false });
    const { store, market } = await openStore('bad:', { ...config('bad:'), metrics });
    market.pushPrediction({ atMs: 1, horizons: [{ horizonMs: 100, down: Number.NaN, flat: 0.5, up: 0.5 }] });
    market.saveBook({ bids: [[1.5, 1]], asks: [], sequence: 1, exchangeTsNs: 1n });
    market.checkpoint({ throughSeq: 1, position: { lots: 0.5, entryCost: 0n, realised: 0n, fees: 0n, volumeLots: 0 }, openOrders: [] });
    market.journalOrder({ clientId: 'x', state: 'pending', reason: 'r', atMs: 1.25 });
    await expect(market.journalFill(fill('x', '1', 'buy', 1, 0, 0n))).rejects.toThrow('fill x/1: lots must be > 0, got 0');
    await store.drained();
    expect(store.health().dropped).toBe(4);
    expect(await metrics.registry.getSingleMetricAsString('flashmm_storage_dropped_writes_total')).toContain('flashmm_storage_dropped_writes_total{sink="redis",reason="rejected"} 4');
    expect(await raw.keys('bad:*')).toEqual([]);
    expect(market.lastSeq).toBe(0);
    await store.close();
  });

  it('keeps the latest 100 predictions, newest first', async () => {
    const { store, market } = await openStore('cap:');
    for (let i = 1; i <= 150; i += 1) market.pushPrediction({ atMs: i, horizons: [{ horizonMs: 200, down: 0, flat: 1, up: 0 }] });
    await store.drained();
    const listed = (await raw.lrange(`cap:predictions:{${SYMBOL}}`, 0, -1)).map(decodePrediction);
    expect(listed.map((p) => p.atMs)).toEqual(Array.from({ length: 100 }, (_, i) => 150 - i));
    await store.close();
  });

  it('an older checkpoint never overwrites a newer one', async () => {
    const { store, market } = await openStore('ck:');
    const at = (lots: number) => ({ lots, entryCost: 0n, realised: 0n, fees: 0n, volumeLots: 0 });
    market.checkpoint({ throughSeq: 7, position: at(7), openOrders: [] });
    await store.drained();
    market.checkpoint({ throughSeq: 5, position: at(5), openOrders: [ORDER] });
    await store.drained();
    expect(await raw.hmget(`ck:positions:{${SYMBOL}}`, 'throughSeq', 'position')).toEqual(['7', '7']);
    expect(await raw.hlen(`ck:orders:{${SYMBOL}}`)).toBe(0);
    await store.close();
  });
});

describe('openStorage (from the daemon configuration)', () => {
  it('opens only what is configured, with the schema defaults', async () => {
    const none = openStorage(configSchema.parse({}).storage, loadSecrets({}));
    expect(none).toMatchObject({ redis: null, timeseries: null });
    await none.close();
    const parsed = configSchema.parse({ storage: { redis: { url: redis.url, keyPrefix: 'open:' } } }).storage;
    expect(parsed.redis).toEqual({
      url: redis.url, keyPrefix: 'open:', onDisconnect: 'reduce', maxBufferedWrites: 10_000, commandTimeoutMs: 500, maxReconnectDelayMs: 2_000, journalMaxEntries: 1_000_000,
    });
    const storage = openStorage(parsed, loadSecrets({}));
    expect(storage.timeseries).toBeNull();
    const outcome = await storage.redis!.restore([SYMBOL]);
    expect(outcome.ok).toBe(true);
    expect(storage.redis!.health()).toEqual({ connected: true, buffered: 0, dropped: 0, state: 'active', reason: null });
    await storage.close();
  });
});

describe('journal idempotency (client order id + fill id)', () => {
  it('the same fill twice is one entry: in one session, after a restart, and from Redis alone', async () => {
    const f = fill('fm-x-1', '5', 'sell', 4_000, 5, 2_000n);
    const first = await openStore('idem:');
    expect(await first.market.journalFill(f)).toEqual({ status: 'durable', seq: 1 });
    expect(await first.market.journalFill(f)).toEqual({ status: 'duplicate', seq: 1 });
    await first.store.close();

    // Restarted: the fill is in the journal tail (no checkpoint yet).
    const second = await openStore('idem:');
    expect(second.restored.fillsToReplay).toEqual([f]);
    expect(await second.market.journalFill(f)).toEqual({ status: 'duplicate', seq: 1 });
    second.market.checkpoint({ throughSeq: 1, position: { lots: -5, entryCost: 20_000_000_000n, realised: 0n, fees: 2_000n, volumeLots: 5 }, openOrders: [] });
    await second.store.drained();
    await second.store.close();

    // Restarted after a checkpoint: the tail is empty, only Redis's fill keys know it.
    const third = await openStore('idem:');
    expect(third.restored.tail).toEqual([]);
    expect(await third.market.journalFill(f)).toEqual({ status: 'duplicate', seq: 1 });
    // Sequence numbers increase but need not be contiguous: the duplicate used up 2 locally.
    const other = fill('fm-x-1', '9', 'sell', 4_000, 4, 1_600n);
    expect(await third.market.journalFill(other)).toEqual({ status: 'durable', seq: 3 });
    await third.store.close();

    const entries = await raw.xrange(`idem:journal:{${SYMBOL}}`, '-', '+');
    expect(entries.map(([id, fields]) => decodeEntry(id, fields))).toEqual([
      { seq: 1, type: 'fill', fill: f },
      { seq: 3, type: 'fill', fill: other },
    ]);
  });

  it('a resend of an entry whose reply was lost is not written again', async () => {
    const { store, market } = await openStore('resend:');
    await market.journalFill(fill('fm-r-1', '1', 'buy', 10, 1, 0n));
    await store.close();
    const k = (name: string) => `resend:${name}:{${SYMBOL}}`;
    // The same command again, as the writer would resend it (unsharded: fencing token 0).
    const args = [k('journal'), k('journal-fills'), k('journal-seq'), k('lease-token'), 1, 'fm-r-1/1', 1_000_000, 100_000, 0, 'type', 'fill'];
    expect(await raw.eval(SCRIPTS.journalAppend.lua, 4, ...args)).toEqual([ALREADY_WRITTEN, 1]);
    expect(await raw.xlen(k('journal'))).toBe(1);
    // Behind the journal with no entry of its own: refused, never reported as written.
    await raw.set(k('journal-seq'), '3');
    expect(await raw.eval(SCRIPTS.journalAppend.lua, 4, k('journal'), k('journal-fills'), k('journal-seq'), k('lease-token'), 2, '', 1_000_000, 100_000, 0, 'type', 'gap')).toEqual([OUT_OF_ORDER, 3]);
    expect(await raw.xlen(k('journal'))).toBe(1);
    // Forecasts: a resend merged with newer ones pushes only the newer ones.
    const push = (...entries: string[]) => raw.eval(SCRIPTS.pushPredictions.lua, 2, k('predictions'), k('lease-token'), 100, 0, ...entries);
    expect(await push('p1', 'p2')).toBe(2);
    expect(await push('p1', 'p2', 'p3')).toBe(1);
    expect(await push('p2', 'p3')).toBe(0);
    expect(await raw.lrange(k('predictions'), 0, -1)).toEqual(['p3', 'p2', 'p1']);
  });
});

describe('restore folds the journal after the checkpoint', () => {
  it('replays fills, applies order events, closes and revives orders', async () => {
    const { store, market } = await openStore('fold:');
    const details = (price: number) => ({ side: 'buy' as const, price, size: 10, postOnly: true, level: 0, venueId: null });
    market.journalOrder({ clientId: 'a', state: 'pending', reason: 'place sent', atMs: 1, order: details(100) }); // 1
    market.journalOrder({ clientId: 'a', state: 'open', reason: 'accepted', atMs: 2, order: { ...details(100), venueId: 'va' } }); // 2
    const fa = fill('a', '4', 'buy', 100, 4, 40n);
    await market.journalFill(fa); // 3
    market.checkpoint({
      throughSeq: 3, position: { lots: 4, entryCost: 400_000_000n, realised: 0n, fees: 40n, volumeLots: 4 },
      openOrders: [{ clientId: 'a', venueId: 'va', side: 'buy', price: 100, size: 10, filled: 4, postOnly: true, state: 'partially-filled', level: 0 }],
    });
    market.journalOrder({ clientId: 'b', state: 'pending', reason: 'place sent', atMs: 4, order: details(99) }); // 4
    const fb = fill('b', '10', 'buy', 99, 10, 99n);
    const fa2 = fill('a', '6', 'buy', 100, 2, 20n);
    await market.journalFill(fb); // 5
    market.journalOrder({ clientId: 'b', state: 'filled', reason: 'filled', atMs: 6 }); // 6
    await market.journalFill(fa2); // 7
    market.journalOrder({ clientId: 'a', state: 'cancelling', reason: 'not desired', atMs: 8 }); // 8
    await store.drained();
    await store.close();

    const { restored, store: again } = await openStore('fold:');
    expect(restored.checkpoint?.throughSeq).toBe(3);
    expect(restored.tail.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(restored.fillsToReplay).toEqual([fb, fa2]);
    expect(restored.openOrders).toEqual([{ clientId: 'a', venueId: 'va', side: 'buy', price: 100, size: 10, filled: 6, postOnly: true, state: 'cancelling', level: 0 }]);
    expect(restored.closedOrders).toEqual([{ clientId: 'b', venueId: null, side: 'buy', price: 99, size: 10, filled: 10, postOnly: true, state: 'filled', level: 0 }]);
    expect(restored.lastSeq).toBe(8);
    await again.close();
  });
});

function healthWhen(pred: (h: StorageHealth) => boolean) {
  let resolve: (h: StorageHealth) => void = () => undefined;
  const seen = new Promise<StorageHealth>((r) => (resolve = r));
  return { seen, onHealth: (h: StorageHealth) => pred(h) && resolve(h) };
}

describe('redis-server stopped mid-run and restarted', () => {
  it('never throws or stalls, buffers within its bound, counts drops, replays in order', async () => {
    const metrics = createMetrics({ build: { version: 'test' }, defaultMetrics: false });
    const down = healthWhen((h) => !h.connected && h.state === 'halted');
    let onHealth = down.onHealth;
    const { store, market } = await openStore('out:', { ...config('out:', { maxBufferedWrites: 20, onDisconnect: 'halt' }), metrics, onHealth: (h) => onHealth(h) });
    const lenient = await openStore('out2:', { ...config('out2:', { onDisconnect: 'continue' }) });
    const fills = Array.from({ length: 60 }, (_, i) => fill(`fm-o-${i}`, '1', i % 2 === 0 ? 'buy' : 'sell', 4_000 + i, 1 + (i % 3), BigInt(i)));
    for (const f of fills.slice(0, 5)) expect((await market.journalFill(f)).status).toBe('durable');

    // A quote loop that writes hot state every 2 ms and never awaits Redis.
    let ticks = 0;
    let waiter: { until: number; resolve: () => void } | null = null;
    const ticked = (count: number) => new Promise<void>((resolve) => (waiter = { until: ticks + count, resolve }));
    const loop = setInterval(() => {
      ticks += 1;
      market.saveBook({ bids: [[4_000, ticks]], asks: [[4_001, 1]], sequence: ticks, exchangeTsNs: BigInt(ticks) });
      market.pushPrediction({ atMs: ticks, horizons: [{ horizonMs: 100, down: 0.25, flat: 0.5, up: 0.25 }] });
      if (waiter !== null && ticks >= waiter.until) waiter.resolve();
    }, 2);

    await redis.stop();
    await down.seen;
    await ticked(2); // the loop keeps writing while Redis is away
    expect(lenient.store.health()).toMatchObject({ connected: false, state: 'active' });
    const ticksAtStop = ticks;

    // While it is down every journal receipt resolves at once as buffered; 55 entries for 20 places.
    const receipts = await Promise.all(fills.slice(5).map((f) => market.journalFill(f)));
    expect(receipts).toEqual(fills.slice(5).map((_, i) => ({ status: 'buffered', seq: 6 + i })));
    market.checkpoint({ throughSeq: 60, position: { lots: 3, entryCost: 1n, realised: 2n, fees: 3n, volumeLots: 4 }, openOrders: [ORDER] });
    const during = store.health();
    expect(during).toMatchObject({ connected: false, dropped: 35, state: 'halted' });
    // 20 journal entries + 1 gap entry + book, predictions, checkpoint.
    expect(during.buffered).toBe(24);
    const dropped = await metrics.registry.getSingleMetricAsString('flashmm_storage_dropped_writes_total');
    expect(dropped).toContain('flashmm_storage_dropped_writes_total{sink="redis",reason="buffer_full"} 35');
    expect(await metrics.registry.getSingleMetricAsString('flashmm_storage_connected')).toContain('flashmm_storage_connected{sink="redis"} 0');

    const up = healthWhen((h) => h.connected && h.state === 'active');
    onHealth = up.onHealth;
    await ticked(5);
    expect(ticks).toBeGreaterThan(ticksAtStop);
    await redis.start();
    await up.seen;
    await store.drained();
    clearInterval(loop);
    await store.drained();

    const entries = (await raw.xrange(`out:journal:{${SYMBOL}}`, '-', '+')).map(([id, f]) => decodeEntry(id, f));
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 40, ...Array.from({ length: 20 }, (_, i) => 41 + i)]);
    expect(entries[5]).toEqual({ seq: 40, type: 'gap', first: 6, last: 40, count: 35 });
    expect(entries.filter((e) => e.type === 'fill').map((e) => (e.type === 'fill' ? e.fill : null))).toEqual([...fills.slice(0, 5), ...fills.slice(40)]);
    expect(await raw.hmget(`out:positions:{${SYMBOL}}`, 'throughSeq', 'position', 'cost')).toEqual(['60', '3', '1']);
    const book = decodeBook(await raw.hgetall(`out:orderbook:{${SYMBOL}}`));
    expect(book.sequence).toBe(ticks);
    // Every forecast made, outage or not, newest first, up to the cap.
    const listed = (await raw.lrange(`out:predictions:{${SYMBOL}}`, 0, -1)).map((p) => decodePrediction(p).atMs);
    expect(listed).toEqual(Array.from({ length: Math.min(100, ticks) }, (_, i) => ticks - i));
    expect(store.health()).toMatchObject({ connected: true, buffered: 0, dropped: 35, state: 'active', reason: null });
    expect(await metrics.registry.getSingleMetricAsString('flashmm_storage_connected')).toContain('flashmm_storage_connected{sink="redis"} 1');

    // A restore after this outage halts on the gap only if it lies after the checkpoint: here the
    // checkpoint (through 60) came after it, so the state is complete.
    await store.close();
    const after = await openStore('out:');
    expect(after.restored.gaps).toEqual([]);
    expect(after.restored.checkpoint?.throughSeq).toBe(60);
    await after.store.close();
    await lenient.store.close();
  }, 60_000);

  it('journal entries in flight when Redis stops are written once, in order, when it returns', async () => {
    const { store, market } = await openStore('flight:', { ...config('flight:', { onDisconnect: 'continue' }) });
    let n = 0;
    let waiter: { until: number; resolve: () => void } | null = null;
    /** Resolves once the loop has written `count` more entries. */
    const written = (count: number) => new Promise<void>((resolve) => (waiter = { until: n + count, resolve }));
    const loop = setInterval(() => {
      for (let i = 0; i < 20; i += 1) {
        n += 1;
        market.journalOrder({ clientId: `fm-f-${n}`, state: 'open', reason: 'accepted', atMs: n });
      }
      if (waiter !== null && n >= waiter.until) waiter.resolve();
    }, 1);
    await written(200);
    await redis.stop();
    const atStop = n;
    await written(200);
    await redis.start();
    await written(200);
    clearInterval(loop);
    await store.drained();
    expect(n).toBeGreaterThan(atStop);
    const entries = (await raw.xrange(`flight:journal:{${SYMBOL}}`, '-', '+')).map(([id, f]) => decodeEntry(id, f));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(entries.map((e) => (e.type === 'order' ? e.event.clientId : ''))).toEqual(Array.from({ length: n }, (_, i) => `fm-f-${i + 1}`));
    expect(store.health()).toMatchObject({ dropped: 0, buffered: 0, connected: true });
    await store.close();
  }, 30_000);

  it('a hung Redis (SIGSTOP): receipts resolve as buffered after the command timeout; on SIGCONT everything is written once, in order', async () => {
    const { store, market } = await openStore('hung:', { ...config('hung:', { commandTimeoutMs: 100, onDisconnect: 'reduce' }) });
    const fills = Array.from({ length: 30 }, (_, i) => fill(`fm-h-${i}`, '1', 'buy', 100 + i, 1, 0n));
    expect((await market.journalFill(fills[0]!)).status).toBe('durable');
    const child = redis.server().child;
    child.kill('SIGSTOP');
    try {
      const started = performance.now();
      const hung = await market.journalFill(fills[1]!);
      expect(hung).toEqual({ status: 'buffered', seq: 2 });
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(store.health()).toMatchObject({ connected: false, state: 'reducing' });
      // While it hangs, the next ones resolve at once.
      expect(await Promise.all(fills.slice(2).map((f) => market.journalFill(f)))).toEqual(fills.slice(2).map((_, i) => ({ status: 'buffered', seq: 3 + i })));
    } finally {
      child.kill('SIGCONT');
    }
    await store.drained();
    const entries = (await raw.xrange(`hung:journal:{${SYMBOL}}`, '-', '+')).map(([id, f]) => decodeEntry(id, f));
    expect(entries.map((e) => (e.type === 'fill' ? e.fill : null))).toEqual(fills);
    expect(entries.map((e) => e.seq)).toEqual(fills.map((_, i) => i + 1));
    expect(store.health()).toMatchObject({ connected: true, state: 'active', dropped: 0 });
    await store.close();
  }, 30_000);

  it('a Redis that comes back empty gets the latest checkpoint again; a journal without its start is refused', async () => {
    const { store, market } = await openStore('lost:');
    const position = { lots: 2, entryCost: 800_000_000n, realised: 5n, fees: 1n, volumeLots: 2 };
    expect((await market.journalFill(fill('fm-l-1', '2', 'buy', 400, 2, 1n))).status).toBe('durable');
    market.checkpoint({ throughSeq: 1, position, openOrders: [] });
    await store.drained();
    await redis.stop();
    rmSync(join(redis.dir, 'appendonlydir'), { recursive: true, force: true }); // Redis loses everything
    await redis.start();
    market.journalOrder({ clientId: 'fm-l-2', state: 'pending', reason: 'place sent', atMs: 1, order: { side: 'sell', price: 401, size: 1, postOnly: true, level: 0, venueId: null } });
    await store.drained();
    await store.close();
    const again = await openStore('lost:');
    expect(again.restored.problems).toEqual([]);
    expect(again.restored.checkpoint).toMatchObject({ throughSeq: 1, position });
    expect(again.restored.tail.map((e) => e.seq)).toEqual([2]);
    await again.store.close();

    // The same, had the checkpoint not been written again: restoring would start mid-journal.
    await raw.del(`lost:positions:{${SYMBOL}}`);
    const broken = await openStore('lost:');
    expect(broken.restored.problems).toEqual([`lost:journal:{${SYMBOL}} starts at entry 2 without a checkpoint: earlier entries are missing`]);
    await broken.store.close();
  }, 30_000);

  it('authenticates with the password from the environment, which no error or state shows', async () => {
    await raw.config('SET', 'requirepass', 'hunter2-secret');
    try {
      const secrets = loadSecrets({ FLASHMM_REDIS_PASSWORD: 'hunter2-secret' });
      const { store, market } = await openStore('auth:', { ...config('auth:'), password: secrets.redisPassword! });
      expect((await market.journalFill(fill('fm-auth-1', '1', 'buy', 1, 1, 0n))).status).toBe('durable');
      expect(JSON.stringify(store.health())).not.toContain('hunter2');
      await store.close();
      const without = new RedisStore(config('auth:'));
      const outcome = await without.restore([SYMBOL], 300);
      expect(outcome).toEqual({ ok: false, reason: `redis unreachable for 300 ms (127.0.0.1:${redis.port})` });
      await without.close(0);
    } finally {
      await raw.config('SET', 'requirepass', '');
    }
  });

  it('restore fails, never returns an empty state, while Redis is unreachable', async () => {
    const store = new RedisStore({ ...config('none:'), url: 'redis://127.0.0.1:1' });
    expect(await store.restore([SYMBOL], 300)).toEqual({ ok: false, reason: 'redis unreachable for 300 ms (127.0.0.1:1)' });
    expect(() => store.market(SYMBOL)).toThrow('market SEI/USDC was not restored from Redis');
    await store.close(0);
  });
});
