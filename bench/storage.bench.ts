// Redis storage against a real redis-server on loopback (started here, append-only file on,
// fsync every second as in production). Two questions:
// - journal append latency: what the fill path waits before it books a fill (RedisStore's
//   idempotent script through the write queue), against a bare awaited XADD and a PING in the
//   same run. p50/p99 are printed after the run.
// - Redis writes/s: journal order events, which the quote loop fires and forgets, 10 000 per
//   iteration until the queue is drained (each one script call in Redis: no coalescing, unlike
//   book and forecast writes), against 10 000 bare XADDs and HSETs sent back to back on one
//   connection (ioredis writes them to the socket as they come).
import { Redis } from 'ioredis';
import { afterAll, bench, describe } from 'vitest';
import { RedisStore } from '../src/storage/redis-store.js';
import { startRedis } from '../test/helpers/redis.js';

const SYMBOL = 'SEI/USDC';
const redis = await startRedis();
const raw = new Redis(redis.url, { lazyConnect: true });
await raw.connect();
const store = new RedisStore({
  url: redis.url, keyPrefix: 'bench:', onDisconnect: 'reduce', maxBufferedWrites: 100_000, commandTimeoutMs: 1_000, maxReconnectDelayMs: 100, journalMaxEntries: 1_000_000,
});
const outcome = await store.restore([SYMBOL]);
if (!outcome.ok) throw new Error(outcome.reason);
const market = store.market(SYMBOL);

afterAll(async () => {
  await store.close();
  raw.disconnect();
  await redis.dispose();
});

const samples: Record<string, number[]> = { journalFill: [], xadd: [], ping: [] };
let n = 0;

async function timed(name: string, run: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await run();
  samples[name]!.push((performance.now() - t0) * 1e3);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
}

function report(_task: unknown, mode: string): void {
  if (mode !== 'run') return;
  const rows = Object.entries(samples)
    .filter(([, xs]) => xs.length > 0)
    .map(([name, xs]) => `${name.padEnd(12)} n=${String(xs.length).padStart(7)}  p50 ${percentile(xs, 0.5).toFixed(1).padStart(7)} µs  p99 ${percentile(xs, 0.99).toFixed(1).padStart(7)} µs`);
  process.stderr.write(`\nredis round trips (loopback):\n${rows.join('\n')}\n`);
}

const FIELDS = ['type', 'fill', 'clientId', 'fm-bench-1', 'fillId', '1', 'side', 'buy', 'price', '4000', 'lots', '3', 'fee', '-12', 'liquidity', 'maker', 'tsNs', '1'];

describe('journal append, awaited (µs per fill)', () => {
  bench('RedisStore journalFill (queue + idempotent script)', async () => {
    n += 1;
    await timed('journalFill', () => market.journalFill({ clientId: `fm-bench-${n}`, fillId: '1', side: 'buy', price: 4_000, lots: 3, fee: -12n, liquidity: 'maker', tsNs: BigInt(n) }));
  }, { time: 2_000, teardown: report });

  bench('peer: bare XADD awaited (no idempotency, no queue)', async () => {
    await timed('xadd', () => raw.xadd('bench:peer-journal', '*', ...FIELDS));
  }, { time: 2_000, teardown: report });

  bench('floor: PING awaited', async () => {
    await timed('ping', () => raw.ping());
  }, { time: 2_000, teardown: report });
});

const BURST = 10_000;

describe(`Redis writes (${BURST} per iteration; writes/s = ${BURST} × hz)`, () => {
  bench('RedisStore journal order events, fire and forget, until drained', async () => {
    for (let i = 0; i < BURST; i += 1) {
      n += 1;
      market.journalOrder({ clientId: `fm-bench-${n}`, state: 'open', reason: 'accepted', atMs: n });
    }
    await store.drained();
  }, { time: 3_000 });

  bench('peer: bare XADD of the same fields, sent back to back, all awaited', async () => {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < BURST; i += 1) pending.push(raw.xadd('bench:peer-orders', '*', 'type', 'order', 'clientId', `fm-bench-${i}`, 'state', 'open', 'reason', 'accepted', 'atMs', String(i)));
    await Promise.all(pending);
  }, { time: 3_000 });

  bench('peer: bare HSET sent back to back, all awaited', async () => {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < BURST; i += 1) pending.push(raw.hset('bench:peer-book', 'sequence', i));
    await Promise.all(pending);
  }, { time: 3_000 });
});
