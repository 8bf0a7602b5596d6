// Fencing of a sharded market's writes, against a real redis-server: a daemon whose lease
// expired while it was cut off (or paused) still has writes buffered; another daemon takes the
// lease (a larger token), restores and writes; when the first one's writes finally reach Redis,
// every one of them (journal entries, checkpoint, book, forecasts) is refused by its script's
// token check, counted and logged once, and the new holder's state is exactly as it left it.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConfig } from '../src/config/schema.js';
import { LeaseStore } from '../src/storage/leases.js';
import { marketKeys } from '../src/storage/keys.js';
import type { FillRecord } from '../src/storage/records.js';
import { RedisStore } from '../src/storage/redis-store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const SYMBOL = 'FEN/USDC';
const PREFIX = 'fence:';
const TTL_MS = 300;
const KEYS = marketKeys(PREFIX, SYMBOL);
let redis: TestRedis;
let proxy: TcpProxy;
let raw: Redis;

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startTcpProxy(redis.port);
  raw = new Redis(redis.url);
});

afterAll(async () => {
  raw?.disconnect();
  await proxy?.close();
  await redis?.dispose();
});

function config(url: string): RedisConfig {
  return { url, keyPrefix: PREFIX, onDisconnect: 'reduce', maxBufferedWrites: 10_000, commandTimeoutMs: 500, maxReconnectDelayMs: 50, journalMaxEntries: 1_000_000 };
}

function fill(clientId: string, lots: number): FillRecord {
  return { clientId, fillId: String(lots), side: 'buy', price: 4_000 + lots, lots, fee: -BigInt(lots), liquidity: 'maker', tsNs: 1_700_000_000_000_000_000n + BigInt(lots) };
}

const position = (lots: number) => ({ lots, entryCost: BigInt(lots) * 4_000n, realised: 0n, fees: -BigInt(lots), volumeLots: lots });

/** Everything Redis holds of the market, for an exact before/after comparison. */
async function marketState() {
  return {
    journal: await raw.xrange(KEYS.journal, '-', '+'),
    lastSeq: await raw.get(KEYS.lastSeq),
    fillKeys: await raw.zrange(KEYS.fillKeys, '0', '-1', 'WITHSCORES'),
    positions: await raw.hgetall(KEYS.positions),
    orders: await raw.hgetall(KEYS.orders),
    book: await raw.hgetall(KEYS.book),
    predictions: await raw.lrange(KEYS.predictions, 0, -1),
  };
}

function until(pred: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (pred()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out: ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

/** The lease store connects on its own and fails fast meanwhile. */
async function acquireWhenConnected(leases: LeaseStore, owner: string, ttlMs: number) {
  for (let i = 0; ; i += 1) {
    try {
      return await leases.acquire(SYMBOL, owner, ttlMs);
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('fenced writes of a sharded market', () => {
  it('refuses every write of a stale lease holder after a takeover; the new holder\'s state stays intact', async () => {
    const leases = new LeaseStore({ url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 500, maxReconnectDelayMs: 50 });
    const lines: Record<string, unknown>[] = [];
    const capture = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
    const metrics = createMetrics({ build: { version: 'test' }, defaultMetrics: false });
    const fenced: [string, number, number][] = [];

    // A takes the lease (token 1) and writes through the proxy.
    const a = await acquireWhenConnected(leases, 'a', TTL_MS);
    expect(a).toMatchObject({ owner: 'a', token: 1, fresh: true });
    const storeA = new RedisStore({ ...config(`redis://127.0.0.1:${proxy.port}`), metrics, logger: createLogger({ level: 'info', format: 'json', destination: capture }) });
    storeA.onFenced((symbol, token, current) => fenced.push([symbol, token, current]));
    const restoredA = await storeA.restore([SYMBOL], 5_000, { [SYMBOL]: a.token });
    expect(restoredA.ok).toBe(true);
    const marketA = storeA.market(SYMBOL);
    expect(marketA.fence).toBe(1);
    expect(await marketA.journalFill(fill('fm-a-1', 10))).toEqual({ status: 'durable', seq: 1 });
    marketA.checkpoint({ throughSeq: 1, position: position(10), openOrders: [] });
    await storeA.drained();

    // A is cut off; what it writes now waits in its buffer. Its lease expires and B takes the market.
    proxy.refuse(true);
    proxy.cut();
    await until(() => !storeA.health().connected, 'A sees the cut');
    expect(await marketA.journalFill(fill('fm-a-2', 20))).toEqual({ status: 'buffered', seq: 2 });
    marketA.journalOrder({ clientId: 'fm-a-3', state: 'pending', reason: 'place sent', atMs: 1 });
    marketA.checkpoint({ throughSeq: 99, position: position(30), openOrders: [] }); // a newer throughSeq than B's: only the fence refuses it
    marketA.saveBook({ bids: [[3_999, 1]], asks: [[4_001, 1]], sequence: 7, exchangeTsNs: 7n });
    marketA.pushPrediction({ atMs: 7, horizons: [{ horizonMs: 100, down: 0.5, flat: 0.25, up: 0.25 }] });
    await new Promise((r) => setTimeout(r, TTL_MS + 50));
    const b = await leases.acquire(SYMBOL, 'b', 60_000);
    expect(b).toMatchObject({ owner: 'b', token: 2, fresh: true });

    const storeB = new RedisStore(config(redis.url));
    const restoredB = await storeB.restore([SYMBOL], 5_000, { [SYMBOL]: b.token });
    if (!restoredB.ok) throw new Error(restoredB.reason);
    expect(restoredB.markets.get(SYMBOL)).toMatchObject({ lastSeq: 1, fillsToReplay: [] });
    const marketB = storeB.market(SYMBOL);
    expect(await marketB.journalFill(fill('fm-b-1', 5))).toEqual({ status: 'durable', seq: 2 });
    marketB.checkpoint({ throughSeq: 2, position: position(15), openOrders: [] });
    marketB.saveBook({ bids: [[4_100, 2]], asks: [[4_102, 3]], sequence: 8, exchangeTsNs: 8n });
    marketB.pushPrediction({ atMs: 8, horizons: [{ horizonMs: 100, down: 0.125, flat: 0.75, up: 0.125 }] });
    await storeB.drained();
    const before = await marketState();
    expect(before.journal.map(([id]) => id)).toEqual(['0-1', '0-2']);
    expect(before.positions).toMatchObject({ throughSeq: '2', position: '15' });

    // A's connection comes back: its five buffered writes go out, and every one is refused.
    proxy.refuse(false);
    await until(() => storeA.health().dropped === 5, 'A\'s buffered writes refused');
    await storeA.drained();
    // A write made now, after the refusal, is refused too; its fill must not be booked.
    expect(await marketA.journalFill(fill('fm-a-4', 40))).toEqual({ status: 'fenced', seq: 4 });
    expect(await marketState()).toEqual(before);

    expect(storeA.health()).toMatchObject({ connected: true, dropped: 6, buffered: 0 });
    expect(fenced).toEqual(Array.from({ length: 6 }, () => [SYMBOL, 1, 2]));
    expect(await metrics.registry.getSingleMetricAsString('flashmm_storage_dropped_writes_total')).toContain('flashmm_storage_dropped_writes_total{sink="redis",reason="fenced"} 6');
    const refusals = lines.filter((l) => String(l.msg).startsWith('a write was refused'));
    expect(refusals).toEqual([expect.objectContaining({ symbol: SYMBOL, fence: 1, current: 2, level: 'error' })]);

    // B, the holder, writes on as before.
    expect(await marketB.journalFill(fill('fm-b-2', 6))).toEqual({ status: 'durable', seq: 3 });
    await Promise.all([storeA.close(), storeB.close()]);
    leases.close();
  });

  it('leaves an unsharded writer (no token) unchecked', async () => {
    await raw.set(marketKeys('plain:', SYMBOL).leaseToken, '7');
    const store = new RedisStore({ ...config(redis.url), keyPrefix: 'plain:' });
    const outcome = await store.restore([SYMBOL], 5_000);
    expect(outcome.ok).toBe(true);
    expect(store.market(SYMBOL).fence).toBe(0);
    expect(await store.market(SYMBOL).journalFill(fill('fm-p-1', 1))).toEqual({ status: 'durable', seq: 1 });
    await store.close();
  });
});
