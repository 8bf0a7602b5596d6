// Every route of the control plane against a real daemon quoting the simulated venue: answers,
// roles (401 and 403 for each), validation (400 naming the field), 404, 413, 429, the Host and
// Origin rules, secure headers, the bind rule, and the admin actions' effect on the venue and
// in the audit log.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindRefused, type ControlServer, startControlServer } from '../src/api/serve.js';
import { configSchema } from '../src/config/schema.js';
import { call, type ControlPlane, type LogLine, roleTokens, startControlPlane, tokenConfig, until } from './helpers/control-plane.js';

const SYMBOL = 'SEI/USDC';
const M = encodeURIComponent(SYMBOL);
const tokens = roleTokens();
let cp: ControlPlane;
let base: string;
/** A second server over the same daemon: every request needs a token. */
let closed: ControlServer;

beforeAll(async () => {
  cp = await startControlPlane({ tokens: tokenConfig(tokens), corsOrigins: ['https://ops.example'] });
  base = cp.server.url;
  closed = await startControlServer({
    control: cp.control, metrics: cp.metrics, log: cp.log,
    api: { ...cp.config.api, anonymousRead: false },
  });
  await cp.nextLine((l) => l.msg === 'first quote sent');
}, 30_000);

afterAll(async () => {
  await closed?.close();
  await cp?.stop();
});

const audits = (action: string): LogLine[] => cp.lines.filter((l) => l.component === 'audit' && (l['audit'] as { action: string }).action === action);
const venueOpen = async () => (await cp.venue.openOrders(SYMBOL)).length;

const READS = ['/api/v1/status', `/api/v1/markets/${M}`, '/api/v1/positions', '/api/v1/orders', '/api/v1/pnl', '/api/v1/params', '/metrics'];
/** Admin routes that pass auth without changing anything (unknown market, invalid body, missing hook). */
const HARMLESS_ADMIN: { method: string; path: string; body?: unknown; status: number }[] = [
  { method: 'POST', path: '/api/v1/admin/markets/NOPE/pause', status: 404 },
  { method: 'POST', path: '/api/v1/admin/markets/NOPE/resume', status: 404 },
  { method: 'PATCH', path: '/api/v1/admin/params', body: { risk: { maxPositionLots: -1 } }, status: 400 },
  { method: 'POST', path: '/api/v1/admin/model/reload', status: 501 },
];
const ALL_ADMIN = [
  ...HARMLESS_ADMIN,
  { method: 'POST', path: '/api/v1/admin/kill', status: 200 },
  { method: 'POST', path: '/api/v1/admin/release', status: 200 },
];

describe('reads', () => {
  it('/health and /ready answer without a token', async () => {
    expect(await call(base, '/health')).toMatchObject({ status: 200, text: 'ok\n' });
    const ready = await call(base, '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, checks: { booksValid: true, venueConnected: true, reconciled: true } });
  });

  it('/ready is 503 naming the failing checks until the daemon has started (connected, reconciled)', async () => {
    const { DaemonControl } = await import('../src/api/daemon-control.js');
    const starting = new DaemonControl({ daemon: cp.daemon, config: cp.config, started: new Promise<void>(() => undefined) });
    const server = await startControlServer({ control: starting, metrics: cp.metrics, log: cp.log, api: cp.config.api });
    try {
      const res = await call(server.url, '/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ ready: false, checks: { booksValid: true, venueConnected: false, reconciled: false } });
    } finally {
      await server.close();
    }
  });

  it('/api/v1/status: mode, venue, markets with risk, uptime, model', async () => {
    const { status, body } = await call(base, '/api/v1/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      mode: 'development', venue: 'sim', killed: false,
      markets: [{ symbol: SYMBOL, tickSize: '0.0001', lotSize: '0.1', risk: 'active', reasons: [], paused: false }],
      model: { enabled: false, path: 'models/default.onnx', generation: null },
    });
    expect(body.uptimeSeconds).toBeGreaterThan(0);
    expect(body.startToFirstQuoteMs).toBeGreaterThan(0);
  });

  it('/api/v1/markets/:symbol: the book as the daemon holds it, our quotes as the venue has them', async () => {
    const { status, body } = await call(base, `/api/v1/markets/${M}?depth=5`);
    expect(status).toBe(200);
    const loop = cp.daemon.loops.get(SYMBOL);
    expect(body.book.valid).toBe(true);
    expect(body.book.bids).toHaveLength(5);
    expect(body.book.asks).toHaveLength(5);
    // Levels strictly ordered away from the touch, touch = the first level, mid between.
    const bids = body.book.bids.map((l: { price: number }) => l.price);
    const asks = body.book.asks.map((l: { price: number }) => l.price);
    expect([...bids].sort((a, b) => b - a)).toEqual(bids);
    expect([...asks].sort((a, b) => a - b)).toEqual(asks);
    expect(body.book.bid).toEqual(body.book.bids[0]);
    expect(body.book.ask).toEqual(body.book.asks[0]);
    expect(body.book.mid).toBe((body.book.bid.price + body.book.ask.price) / 2);
    expect(bids[0]).toBeLessThan(asks[0]);
    // Two levels a side (config ladder), sizes 10 and 20 lots.
    const sides = body.quotes.map((q: { side: string; size: number; level: number }) => `${q.side}:${q.level}:${q.size}`).sort();
    expect(sides).toEqual(['buy:0:10', 'buy:1:20', 'sell:0:10', 'sell:1:20']);
    expect(body.sigma).toBeCloseTo(loop?.volatilityEstimate() ?? Number.NaN, 1);
    expect(body.unavailable).toEqual(['A', 'k', 'prediction', 'features']);
    expect(body).toMatchObject({ A: null, k: null, prediction: null, features: null, risk: 'active' });
  });

  it('/api/v1/orders equals the venue\'s open orders once the venue has answered', async () => {
    await until('no order in flight', () => cp.daemon.orders.liveOrders(SYMBOL).every((o) => o.state === 'open'));
    const { body } = await call(base, `/api/v1/orders?symbol=${M}`);
    const venue = await cp.venue.openOrders(SYMBOL);
    const key = (o: { clientId: string; side: string; price: number; size: number }) => `${o.clientId} ${o.side} ${o.price} ${o.size}`;
    expect(body.orders.map(key).sort()).toEqual(venue.map(key).sort());
  });

  it('/api/v1/positions and /api/v1/pnl: the position tracker\'s lots, P&L as exact decimals', async () => {
    const positions = await call(base, '/api/v1/positions');
    expect(positions.body.positions).toEqual([{
      symbol: SYMBOL, lots: cp.daemon.positions.position(SYMBOL), averageEntryTicks: cp.daemon.positions.averageEntryTicks(SYMBOL),
      volumeLots: cp.daemon.positions.snapshot(SYMBOL).volumeLots,
    }]);
    const pnl = await call(base, '/api/v1/pnl');
    const [row] = pnl.body.pnl;
    expect(row.symbol).toBe(SYMBOL);
    for (const key of ['realised', 'unrealised', 'fees', 'net']) expect(row[key]).toMatch(/^-?\d+(\.\d+)?$/);
  });

  it('/api/v1/params: the running strategy and risk sections', async () => {
    const { body } = await call(base, '/api/v1/params');
    expect(body).toEqual(JSON.parse(JSON.stringify({ strategy: cp.config.strategy, risk: cp.config.risk })));
  });

  it('/metrics: the exposition format, API requests counted by route pattern', async () => {
    await call(base, `/api/v1/markets/${M}`);
    const res = await call(base, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/flashmm_api_requests_total\{route="\/api\/v1\/markets\/:symbol",method="GET",status="200"\} [1-9]/);
    expect(res.text).not.toContain('SEI%2F');
  });

  it('/api/v1/fills: 501 naming the engine hook it waits for', async () => {
    const res = await call(base, '/api/v1/fills?limit=10');
    expect(res.status).toBe(501);
    expect(res.body).toEqual({ error: { code: 'not_implemented', message: 'this daemon cannot do this yet', hook: 'Daemon.fills(cursor, limit)' } });
  });
  it.todo('phase 2: /api/v1/fills pages the ledger\'s fills by cursor (every fill once, in order, nextCursor null at the end)');
  it.todo('phase 2: /api/v1/markets/:symbol reports A, k, the latest prediction and the feature summary');
});

describe('roles', () => {
  it('no token: reads 401 when anonymous reading is off, admin routes 401 everywhere', async () => {
    for (const path of READS) {
      const res = await call(closed.url, path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="flashmm"');
      expect(res.body.error.code).toBe('unauthorized');
    }
    for (const r of ALL_ADMIN) {
      expect((await call(base, r.path, { method: r.method, body: r.body })).status, r.path).toBe(401);
      expect((await call(closed.url, r.path, { method: r.method, body: r.body })).status, r.path).toBe(401);
    }
    // Anonymous reading (the default, loopback only) serves reads without a token.
    for (const path of READS) expect((await call(base, path)).status, path).toBe(200);
  });

  it('an unknown or malformed token: 401 on every route, probes included', async () => {
    for (const auth of ['Bearer fmm_not-a-real-token', 'Basic YWRtaW46YWRtaW4=', 'Bearer']) {
      for (const path of ['/health', ...READS]) {
        const res = await call(base, path, { headers: { authorization: auth } });
        expect(res.status, `${auth} ${path}`).toBe(401);
      }
    }
  });

  for (const role of ['read', 'trade'] as const) {
    it(`${role} token: every read 2xx, every admin route 403, nothing changed`, async () => {
      for (const path of READS) expect((await call(closed.url, path, { token: tokens[role] })).status, path).toBe(200);
      for (const r of ALL_ADMIN) {
        const res = await call(closed.url, r.path, { method: r.method, body: r.body, token: tokens[role] });
        expect(res.status, r.path).toBe(403);
        expect(res.body).toEqual({ error: { code: 'forbidden', message: 'this route needs the admin role' } });
      }
      expect(cp.daemon.risk.isKilled()).toBe(false);
    });
  }

  it('admin token: reads 2xx, admin routes past auth (404 / 400 / 501 where nothing is to be done)', async () => {
    for (const path of READS) expect((await call(closed.url, path, { token: tokens.admin })).status, path).toBe(200);
    for (const r of HARMLESS_ADMIN) {
      expect((await call(closed.url, r.path, { method: r.method, body: r.body, token: tokens.admin })).status, r.path).toBe(r.status);
    }
  });
});

describe('validation and limits', () => {
  it('400 names the field: query, path, body, unknown keys', async () => {
    const cases: [string, CallArgs, string][] = [
      [`/api/v1/markets/${M}?depth=0`, {}, 'depth'],
      [`/api/v1/markets/${M}?depth=abc`, {}, 'depth'],
      ['/api/v1/fills?limit=501', {}, 'limit'],
      ['/api/v1/admin/kill', { method: 'POST', body: { reason: 'x'.repeat(201) }, token: tokens.admin }, 'reason'],
      ['/api/v1/admin/kill', { method: 'POST', body: { because: 'typo' }, token: tokens.admin }, 'because'],
      ['/api/v1/admin/params', { method: 'PATCH', body: { strategy: 'fast' }, token: tokens.admin }, 'strategy'],
      ['/api/v1/admin/params', { method: 'PATCH', body: { strategy: { glft: { gamma: -1 } } }, token: tokens.admin }, 'strategy.glft.gamma'],
      ['/api/v1/admin/params', { method: 'PATCH', body: { strategy: { glft: { gama: 0.2 } } }, token: tokens.admin }, 'strategy.glft.gama'],
      ['/api/v1/admin/params', { method: 'PATCH', body: { risk: { maxPositionLots: 'ten' } }, token: tokens.admin }, 'risk.maxPositionLots'],
      ['/api/v1/admin/params', { method: 'PATCH', body: { risk: { maxNotional: 'lots' } }, token: tokens.admin }, 'risk.maxNotional'],
      ['/api/v1/admin/params', { method: 'PATCH', body: { strategy: { ladder: { sizesLots: [5] } } }, token: tokens.admin }, 'strategy.ladder.sizesLots'],
    ];
    for (const [path, args, field] of cases) {
      const res = await call(base, path, args);
      expect(res.status, `${path} ${JSON.stringify(args.body)}`).toBe(400);
      expect(res.body.error.field, path).toBe(field);
      expect(res.body.error.message).toContain(field);
    }
    // Not JSON at all: 400, not 500.
    const junk = await call(base, '/api/v1/admin/kill', { method: 'POST', body: '{not json', token: tokens.admin });
    expect(junk.status).toBe(400);
    expect(junk.body.error.code).toBe('bad_request');
    expect(cp.daemon.risk.isKilled()).toBe(false);
  });

  it('an invalid parameter change changes nothing and is audited as invalid', async () => {
    const before = await call(base, '/api/v1/params');
    const res = await call(base, '/api/v1/admin/params', { method: 'PATCH', body: { strategy: { glft: { gamma: 0 } }, reason: 'tighter' }, token: tokens.admin });
    expect(res.status).toBe(400);
    expect((await call(base, '/api/v1/params')).body).toEqual(before.body);
    const entry = audits('params').at(-1)?.['audit'];
    expect(entry).toMatchObject({
      actor: { name: 'admin-op', role: 'admin' }, action: 'params', target: 'all', outcome: 'invalid',
      detail: { reason: 'tighter', problems: [{ field: 'strategy.glft.gamma' }] },
    });
  });

  it('a valid parameter change: 501 until the engine can apply it; nothing changes; audited', async () => {
    const before = await call(base, '/api/v1/params');
    const res = await call(base, '/api/v1/admin/params', { method: 'PATCH', body: { strategy: { glft: { gamma: 0.2 } } }, token: tokens.admin });
    expect(res.status).toBe(501);
    expect(res.body.error.hook).toBe('Daemon.applyParams(strategy, risk)');
    expect((await call(base, '/api/v1/params')).body).toEqual(before.body);
    expect(audits('params').at(-1)?.['audit']).toMatchObject({ outcome: 'not_implemented', before: before.body, detail: { patch: { strategy: { glft: { gamma: 0.2 } } } } });
  });
  it.todo('phase 2: a live parameter change (strategy.glft.gamma) is visible in the next decision\'s spread and in the audit log (before, after)');
  it.todo('phase 2: POST /api/v1/admin/model/reload reloads the model and reports its generation');

  it('413 for a body over api.bodyLimitBytes, before the handler runs', async () => {
    const res = await call(base, '/api/v1/admin/kill', { method: 'POST', body: { reason: 'x'.repeat(20_000) }, token: tokens.admin });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'payload_too_large', message: 'request body over 16384 bytes' } });
    expect(cp.daemon.risk.isKilled()).toBe(false);
    expect(audits('kill')).toEqual([]);
  });

  it('404 for an unknown route or market', async () => {
    expect((await call(base, '/api/v1/nothing')).body).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    expect((await call(base, '/api/v1/markets/NOPE')).status).toBe(404);
    expect((await call(base, '/api/v1/orders?symbol=NOPE')).status).toBe(404);
  });

  it('429 per address and per token, with RateLimit headers', async () => {
    const limited = await startControlServer({
      control: cp.control, metrics: cp.metrics, log: cp.log,
      api: { ...cp.config.api, rateLimit: { perIpPerMinute: 40, perTokenPerMinute: 5 } },
    });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(limited.url, '/api/v1/status', { token: tokens.read })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const over = await call(limited.url, '/api/v1/status', { token: tokens.read });
      expect(over.body).toEqual({ error: { code: 'rate_limited', message: 'too many requests with this token' } });
      expect(over.headers.get('ratelimit-policy')).toBe('5;w=60');
      // Another token and anonymous reads have their own budgets…
      expect((await call(limited.url, '/api/v1/status', { token: tokens.trade })).status).toBe(200);
      expect((await call(limited.url, '/api/v1/status')).status).toBe(200);
      // …until the address's budget (40 a minute, every request above counted) runs out.
      let last = 200;
      for (let i = 0; i < 40 && last === 200; i++) last = (await call(limited.url, '/health')).status;
      expect(last).toBe(429);
      expect((await call(limited.url, '/health')).body.error.message).toBe('too many requests from this address');
    } finally {
      await limited.close();
    }
  });
});

type CallArgs = { method?: string; body?: unknown; token?: string };

describe('admin actions, their effect and the audit log', () => {
  it('pause pulls the market\'s orders and stops quoting; resume quotes again', async () => {
    await until('quoting', async () => (await venueOpen()) > 0);
    const paused = await call(base, `/api/v1/admin/markets/${M}/pause`, { method: 'POST', body: { reason: 'maintenance' }, token: tokens.admin });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ action: 'pause', target: SYMBOL, before: { paused: false, risk: 'active' }, after: { paused: true, risk: 'halted', reasons: ['manual'] } });
    await until('orders pulled', async () => (await venueOpen()) === 0);
    expect((await call(base, '/api/v1/status')).body.markets[0]).toMatchObject({ paused: true, risk: 'halted' });
    const resumed = await call(base, `/api/v1/admin/markets/${M}/resume`, { method: 'POST', token: tokens.admin });
    expect(resumed.body).toMatchObject({ before: { paused: true }, after: { paused: false, risk: 'active' } });
    await until('quoting again', async () => (await venueOpen()) === 4);
    expect(audits('pause').at(-1)?.['audit']).toMatchObject({
      actor: { name: 'admin-op', role: 'admin' }, target: SYMBOL, outcome: 'applied', detail: 'maintenance',
      before: { paused: false }, after: { paused: true },
    });
    expect(audits('resume').at(-1)?.['audit']).toMatchObject({ outcome: 'applied', before: { paused: true }, after: { paused: false } });
  });

  it('kill cancels everything (the venue shows no open orders) and no later tick quotes; release quotes again', async () => {
    await until('quoting', async () => (await venueOpen()) > 0);
    const killed = await call(base, '/api/v1/admin/kill', { method: 'POST', body: { reason: 'drill' }, token: tokens.admin });
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ action: 'kill', target: 'all', before: { killed: false }, after: { killed: true }, settled: true });
    expect(await venueOpen()).toBe(0);
    const loop = cp.daemon.loops.get(SYMBOL);
    const at = loop?.latest()?.atMs ?? 0;
    await until('three more decisions', () => (loop?.latest()?.atMs ?? 0) >= at + 3 * cp.config.engine.intervalMs);
    expect(await venueOpen()).toBe(0);
    expect((await call(base, '/api/v1/status')).body).toMatchObject({ killed: true, markets: [{ risk: 'halted', reasons: ['kill'] }] });
    const released = await call(base, '/api/v1/admin/release', { method: 'POST', token: tokens.admin });
    expect(released.body).toEqual({ action: 'release', target: 'all', before: { killed: true }, after: { killed: false } });
    await until('quoting again', async () => (await venueOpen()) > 0);
    expect(audits('kill').at(-1)?.['audit']).toMatchObject({
      actor: { name: 'admin-op' }, outcome: 'applied', before: { killed: false }, after: { killed: true }, detail: { reason: 'drill' },
    });
    expect(audits('release').at(-1)?.['audit']).toMatchObject({ outcome: 'applied', before: { killed: true }, after: { killed: false } });
  });
});

describe('transport rules', () => {
  it('secure headers on every answer', async () => {
    const res = await call(base, '/api/v1/status');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('CORS: only allowlisted origins get access headers', async () => {
    const ok = await call(base, '/api/v1/status', { headers: { origin: 'https://ops.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ops.example');
    const other = await call(base, '/api/v1/status', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call(base, '/api/v1/admin/kill', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(cp.daemon.risk.isKilled()).toBe(false);
  });

  it('a loopback bind answers loopback Host names only (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/v1/status`, { headers: { host: 'evil.example:8080' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    expect((await call(base.replace('127.0.0.1', 'localhost'), '/health')).status).toBe(200);
  });

  it('a non-loopback bind is refused without tokens or with anonymous reading', async () => {
    const parse = (api: Record<string, unknown>) => configSchema.safeParse({ api });
    const noTokens = parse({ host: '0.0.0.0' });
    expect(noTokens.success).toBe(false);
    expect(noTokens.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['api.anonymousRead', 'api.tokens']);
    const withTokens = parse({ host: '0.0.0.0', tokens: tokenConfig(tokens), anonymousRead: false });
    expect(withTokens.success).toBe(true);
    await expect(startControlServer({
      control: cp.control, metrics: cp.metrics, log: cp.log, api: { ...cp.config.api, host: '0.0.0.0', tokens: [] },
    })).rejects.toThrow(BindRefused);
  });
});

