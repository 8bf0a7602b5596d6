// Readiness and the storage status of the real daemon (`flashmm run --redis`) whose Redis is
// down when it starts: restart recovery fails and is retried, the market stays halted, /ready
// says not reconciled and nothing is quoted; once redis-server is started, the retry restores
// and reconciles the market, /ready turns true without any reconnection, and quoting starts
// only then. /api/v1/status shows Redis's health, its last error (no secret in it) and each
// market's recovery, in the shape of the API's schema. Real redis-server; the embedded sim venue.
// Needs the built code (`npm run build:ts`, run by `npm test`'s pretest).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusSchema } from '../src/api/schemas.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { DaemonProcess, type LogLine } from './helpers/sei-daemon.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const SYMBOL = 'SEI/USDC';
// Given to the daemon as its Redis password (redis-server asks for none: ioredis goes on without).
const PASSWORD = 'ready-test-redis-password-7f3a';

let redis: TestRedis;
let dir: string;
let configPath: string;

beforeAll(async () => {
  redis = await startRedis();
  await redis.stop(); // down before the daemon starts; started again on the same port below
  dir = scratchDir('daemon-ready');
  configPath = join(dir, 'daemon.json');
  writeFileSync(configPath, JSON.stringify({
    venue: { generator: { seed: 7, initialPrice: '0.4000', ziParams: { marketRate: 20, limitRate: 60 } }, latency: { entryMs: 1, responseMs: 1 } },
    markets: [{ symbol: SYMBOL, tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 }],
    strategy: { orderSizeLots: 10, ladder: { levels: 1, sizesLots: [10] } },
    risk: { maxPositionLots: 100_000, maxNotional: '1000000', maxDailyLoss: '1000000', maxDrawdown: '1000000' },
    engine: { intervalMs: 100 },
    model: { enabled: false },
    storage: { redis: { url: redis.url, keyPrefix: 'ready:', commandTimeoutMs: 200, maxReconnectDelayMs: 200 } },
  }));
});

afterAll(async () => {
  await redis?.dispose();
  if (dir !== undefined) removeDir(dir);
});

async function get(d: DaemonProcess, path: string): Promise<{ status: number; text: string; body: unknown }> {
  const url = String((await d.next((l) => l.msg.startsWith('api listening'), 'api listening', 60_000)).url);
  const res = await fetch(`${url}${path}`);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as unknown };
}

/** /api/v1/status, checked against the API's own schema (strictly: no field it does not declare). */
async function status(d: DaemonProcess) {
  const { status: code, text, body } = await get(d, '/api/v1/status');
  expect(code).toBe(200);
  expect(text).not.toContain(PASSWORD);
  return StatusSchema.strict().parse(body);
}

/** Polls /ready (one request every 100 ms) until it answers 200. */
async function ready(d: DaemonProcess, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if ((await get(d, '/ready')).status === 200) return;
    if (Date.now() > deadline) throw new Error(`/ready still 503 after ${boundMs} ms; last: ${d.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const isMsg = (msg: string) => (l: LogLine) => l.msg === msg;

describe('the daemon started while redis-server is down', () => {
  it('stays halted and not ready until a retry restores it, then turns ready and quotes', async () => {
    const d = DaemonProcess.start(['--config', configPath, '--redis', redis.url], { FLASHMM_REDIS_PASSWORD: PASSWORD });
    try {
      const failed = await d.next(isMsg('market stays halted: restart recovery did not succeed'), 'a failed recovery', 60_000);
      expect(failed).toMatchObject({ symbol: SYMBOL, code: 'redis-unavailable', retry: true });

      const notReady = await get(d, '/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({ ready: false, checks: { venueConnected: true, reconciled: false } });
      const down = await status(d);
      expect(down.markets.map((m) => [m.symbol, m.risk])).toEqual([[SYMBOL, 'halted']]);
      expect(down.storage?.timeseries).toBeNull();
      expect(down.storage?.recovery[SYMBOL]).toMatch(/^halted \(redis-unavailable\): redis unreachable for 10000 ms \(127\.0\.0\.1:\d+\)$/);
      expect(down.storage?.redis).toMatchObject({ connected: false, dropped: 0, state: 'reducing' });
      expect(down.storage?.redis?.lastError?.message).toMatch(/^redis: /);
      // Nothing quoted on a market not restored.
      expect((await get(d, '/api/v1/orders')).body).toEqual({ orders: [] });
      expect(d.lines.some(isMsg('first quote sent'))).toBe(false);

      await redis.start();
      await ready(d, 30_000);
      const first = await d.next(isMsg('first quote sent'), 'the first quote');
      // The halt was lifted (by the recovery) before the first order went out.
      const lifted = d.lines.findIndex((l) => l.symbol === SYMBOL && l.from === 'halted');
      expect(lifted).toBeGreaterThan(d.lines.indexOf(failed));
      expect(d.lines.indexOf(first)).toBeGreaterThan(lifted);
      expect(d.lines[lifted]).toMatchObject({ reason: 'recovery' });

      const up = await status(d);
      expect(up.storage?.recovery).toEqual({ [SYMBOL]: 'recovered: started flat (ephemeral venue)' });
      expect(up.storage?.redis).toMatchObject({ connected: true, dropped: 0, state: 'active', reason: null });
      // The outage's error is kept after it (with when it happened).
      expect(up.storage?.redis?.lastError).toEqual(down.storage?.redis?.lastError);
      expect((await get(d, '/ready')).body).toEqual({ ready: true, checks: { booksValid: true, venueConnected: true, reconciled: true } });
    } finally {
      d.kill('SIGTERM');
    }
    expect(await d.exited).toBe(0);
  }, 180_000);
});
