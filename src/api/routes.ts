// The routes: each declared once with its schemas and role (the OpenAPI document is generated
// from these declarations), handled through the ControlPort. Admin actions are audited whatever
// their outcome.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import type { WebSocket } from 'ws';
import type { ApiEnv, AppDeps } from './app.js';
import { errorBody } from './errors.js';
import type { AuditEntry, AuditOutcome } from './audit.js';
import type { ApiRole } from './config.js';
import type { Actor, Unsupported } from './control.js';
import {
  ChangeSchema, DepthQuery, ErrorSchema, FillPageSchema, FillsQuery, KillResultSchema, MarketSummarySchema, MarketViewSchema,
  OrderSchema, OrdersQuery, ParamsPatchBody, ParamsSchema, PnlSchema, PositionSchema, ReadinessSchema, ReasonBody, StatusSchema,
  SymbolParam,
} from './schemas.js';
import type { StateStream } from './stream.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const STREAM_PATH = '/api/v1/stream';
const METRICS_CACHE_MS = 250;

const STATUS_CACHE_MS = 50;

export interface Microcache<T> {
  (): T;
  /** Forget the value: the next call produces a fresh one (after a change the caller made). */
  clear(): void;
}

/** `produce`'s latest result, reused for `ttlMs`; a rejected promise is not kept. */
export function microcache<T>(ttlMs: number, produce: () => T): Microcache<T> {
  let held: { readonly value: T; readonly at: number } | null = null;
  const get = (): T => {
    const now = performance.now();
    if (held === null || now - held.at >= ttlMs) {
      const value = produce();
      held = { value, at: now };
      if (value instanceof Promise) {
        value.catch(() => {
          if (held?.value === value) held = null;
        });
      }
    }
    return held.value;
  };
  return Object.assign(get, { clear: () => { held = null; } });
}

interface RouteDeps extends AppDeps {
  readonly guard: (role: ApiRole) => MiddlewareHandler<ApiEnv>;
  readonly stream: StateStream;
  readonly upgradeWebSocket: UpgradeWebSocket<WebSocket>;
}

const json = <S extends z.ZodType>(schema: S, description: string) => ({ content: { 'application/json': { schema } }, description });
const text = (description: string) => ({ content: { 'text/plain': { schema: z.string() } }, description });
const error = (description: string) => json(ErrorSchema, description);
const security = [{ bearer: [] }];

/** The error responses of a route guarded by `role`. */
const readErrors = { 400: error('invalid query'), 401: error('no token, or an unknown one'), 429: error('rate limit') };
const adminErrors = {
  400: error('invalid body'), 401: error('no token, or an unknown one'), 403: error("the token's role is below admin"),
  404: error('unknown market'), 413: error('body too large'), 429: error('rate limit'),
  501: error('the engine cannot do this yet (error.hook names what it lacks)'),
};
const actionBody = { body: { content: { 'application/json': { schema: ReasonBody } }, required: false } };

export function registerRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { control, guard } = deps;
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http', scheme: 'bearer', description: 'A token from `flashmm token create`; roles read < trade < admin.',
  });

  // --- probes and metrics
  app.openapi(createRoute({ method: 'get', path: '/health', summary: 'Liveness', responses: { 200: text('alive') } }), (c) => c.text('ok\n', 200));
  app.openapi(createRoute({
    method: 'get', path: '/ready', summary: 'Readiness: books valid, venue connected, reconciliation done',
    responses: { 200: json(ReadinessSchema, 'ready'), 503: json(ReadinessSchema, 'not ready') },
  }), (c) => {
    const checks = control.readiness();
    const ready = checks.booksValid && checks.venueConnected && checks.reconciled;
    return ready ? c.json({ ready, checks }, 200) : c.json({ ready, checks }, 503);
  });
  // Rendering every series costs ~1 ms of the engine's thread: at most one render per 250 ms,
  // however many scrapers ask.
  const metricsText = microcache(METRICS_CACHE_MS, () => deps.metrics.render());
  app.use('/metrics', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/metrics', summary: 'Prometheus metrics', security, 'x-role': 'read',
    responses: { 200: text('exposition format'), 401: error('no token, or an unknown one'), 429: error('rate limit') },
  }), async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.text(await metricsText(), 200);
  });

  // --- reads
  // Polled by dashboards and scripts: built at most every 50 ms (and afresh after any admin action).
  const status = microcache(STATUS_CACHE_MS, () => control.status());
  app.use('/api/v1/status', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/api/v1/status', summary: 'Mode, venue, markets and risk states, uptime, model', security, 'x-role': 'read',
    responses: { 200: json(StatusSchema, 'OK'), ...readErrors },
  }), (c) => c.json(status() as z.infer<typeof StatusSchema>, 200));

  app.use('/api/v1/markets/*', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/api/v1/markets/{symbol}', summary: 'One market: book top and depth, our quotes, σ, A, k, prediction',
    security, 'x-role': 'read', request: { params: SymbolParam, query: DepthQuery },
    responses: { 200: json(MarketViewSchema, 'OK'), 404: error('unknown market'), ...readErrors },
  }), (c) => {
    const { symbol } = c.req.valid('param');
    const view = control.market(symbol, c.req.valid('query').depth);
    return view === null ? c.json(errorBody('not_found', `no market ${symbol}`), 404) : c.json(view as z.infer<typeof MarketViewSchema>, 200);
  });

  app.use('/api/v1/positions', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/api/v1/positions', summary: 'Positions per market', security, 'x-role': 'read',
    responses: { 200: json(z.object({ positions: z.array(PositionSchema) }), 'OK'), ...readErrors },
  }), (c) => c.json({ positions: [...control.positions()] }, 200));

  app.use('/api/v1/orders', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/api/v1/orders', summary: 'Our live orders', security, 'x-role': 'read', request: { query: OrdersQuery },
    responses: { 200: json(z.object({ orders: z.array(OrderSchema) }), 'OK'), 404: error('unknown market'), ...readErrors },
  }), (c) => {
    const { symbol } = c.req.valid('query');
    if (symbol !== undefined && !control.symbols().includes(symbol)) return c.json(errorBody('not_found', `no market ${symbol}`), 404);
    return c.json({ orders: [...control.orders(symbol)] }, 200);
  });

  app.use('/api/v1/pnl', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/api/v1/pnl', summary: 'P&L per market', security, 'x-role': 'read',
    responses: { 200: json(z.object({ pnl: z.array(PnlSchema) }), 'OK'), ...readErrors },
  }), (c) => c.json({ pnl: [...control.pnl()] }, 200));

  app.use('/api/v1/fills', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/api/v1/fills', summary: 'Our fills, oldest first, paged by cursor', security, 'x-role': 'read',
    request: { query: FillsQuery },
    responses: { 200: json(FillPageSchema, 'a page'), ...readErrors, 501: error('the engine keeps no fill history yet') },
  }), (c) => {
    const { cursor, limit } = c.req.valid('query');
    const page = control.fills({ limit, ...(cursor === undefined ? {} : { cursor }) });
    return page.ok ? c.json(page.value as z.infer<typeof FillPageSchema>, 200) : c.json(notImplemented(page), 501);
  });

  app.use('/api/v1/params', guard('read'));
  app.openapi(createRoute({
    method: 'get', path: '/api/v1/params', summary: 'Running strategy and risk parameters', security, 'x-role': 'read',
    responses: { 200: json(ParamsSchema, 'OK'), ...readErrors },
  }), (c) => c.json(control.params() as z.infer<typeof ParamsSchema>, 200));

  registerAdmin(app, deps, () => status.clear());
  registerStream(app, deps);

  app.openAPIRegistry.registerPath({
    method: 'get', path: OPENAPI_PATH, summary: 'This document (OpenAPI 3.1)',
    responses: { 200: json(z.object({}).passthrough(), 'the document') },
  });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'FlashMM control plane', version: '1', description: 'Watch and steer a FlashMM daemon. Prices in ticks, sizes in lots.' },
  });
}

function notImplemented(u: Unsupported) {
  return errorBody('not_implemented', 'this daemon cannot do this yet', { hook: u.hook });
}

function actorOf(c: Context<ApiEnv>): Actor {
  const p = c.get('principal');
  return p === null ? { name: 'anonymous', role: 'anonymous' } : { name: p.name, role: p.role };
}

const MarketChange = ChangeSchema('MarketChange', MarketSummarySchema);
const KillChange = ChangeSchema('KillChange', z.object({ killed: z.boolean() }));
const ParamsChange = ChangeSchema('ParamsChange', ParamsSchema);
const ModelChange = ChangeSchema('ModelChange', z.object({ enabled: z.boolean(), path: z.string(), generation: z.number().int().nullable() }));

function registerAdmin(app: OpenAPIHono<ApiEnv>, deps: RouteDeps, changed: () => void): void {
  const { control, audit, guard } = deps;
  app.use('/api/v1/admin/*', guard('admin'));
  const record = (c: Context<ApiEnv>, action: string, target: string, outcome: AuditOutcome, rest: Partial<AuditEntry> = {}) => {
    changed();
    audit.record({ atMs: Date.now(), actor: actorOf(c), action, target, outcome, ...rest });
  };

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/api/v1/admin/markets/{symbol}/${action}`, security, 'x-role': 'admin',
      summary: action === 'pause' ? 'Stop quoting one market (orders pulled, state kept)' : 'Quote one market again',
      request: { params: SymbolParam, ...actionBody }, responses: { 200: json(MarketChange, 'applied'), ...adminErrors },
    }), (c) => {
      const { symbol } = c.req.valid('param');
      const detail = c.req.valid('json')?.reason;
      const result = action === 'pause' ? control.pause(symbol, actorOf(c)) : control.resume(symbol, actorOf(c));
      if (result === null) {
        record(c, action, symbol, 'not_found', { detail });
        return c.json(errorBody('not_found', `no market ${symbol}`), 404);
      }
      if (!result.ok) {
        record(c, action, symbol, 'not_implemented', { detail });
        return c.json(notImplemented(result), 501);
      }
      record(c, action, symbol, 'applied', { ...result.value, detail });
      return c.json({ action, target: symbol, ...result.value } as z.infer<typeof MarketChange>, 200);
    });
  }

  app.openapi(createRoute({
    method: 'post', path: '/api/v1/admin/kill', summary: 'Kill switch: cancel everything and halt every market', security, 'x-role': 'admin',
    request: actionBody, responses: { 200: json(KillResultSchema, 'engaged'), ...adminErrors },
  }), async (c) => {
    const reason = c.req.valid('json')?.reason;
    const result = await control.kill(actorOf(c));
    if (!result.ok) {
      record(c, 'kill', 'all', 'not_implemented', { detail: reason });
      return c.json(notImplemented(result), 501);
    }
    const { before, after, settled, detail } = result.value;
    record(c, 'kill', 'all', settled ? 'applied' : 'failed', { before, after, detail: { reason, venue: detail } });
    return c.json({ action: 'kill', target: 'all', before, after, settled, detail }, 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/v1/admin/release', summary: 'Release the kill switch (quoting resumes where risk allows)', security, 'x-role': 'admin',
    request: actionBody, responses: { 200: json(KillChange, 'released'), ...adminErrors },
  }), async (c) => {
    const reason = c.req.valid('json')?.reason;
    const result = await control.release(actorOf(c));
    if (!result.ok) {
      record(c, 'release', 'all', 'not_implemented', { detail: reason });
      return c.json(notImplemented(result), 501);
    }
    record(c, 'release', 'all', 'applied', { ...result.value, detail: reason });
    return c.json({ action: 'release', target: 'all', ...result.value }, 200);
  });

  app.openapi(createRoute({
    method: 'patch', path: '/api/v1/admin/params', summary: 'Change strategy parameters and risk limits (applied at the next tick)',
    security, 'x-role': 'admin',
    request: { body: { content: { 'application/json': { schema: ParamsPatchBody } }, required: true } },
    responses: { 200: json(ParamsChange, 'applied at the next tick'), ...adminErrors },
  }), (c) => {
    const { reason, strategy, risk } = c.req.valid('json');
    const patch = { ...(strategy === undefined ? {} : { strategy }), ...(risk === undefined ? {} : { risk }) };
    const result = control.setParams(patch, actorOf(c));
    if (!result.ok && result.code === 'invalid_params') {
      // The refused values are not recorded (they may be anything), only what was wrong with them.
      record(c, 'params', 'all', 'invalid', { detail: { reason, problems: result.problems } });
      const first = result.problems[0];
      const message = result.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      return c.json(errorBody('bad_request', message, first === undefined ? {} : { field: first.field }), 400);
    }
    if (!result.ok) {
      record(c, 'params', 'all', 'not_implemented', { before: control.params(), detail: { reason, patch } });
      return c.json(notImplemented(result), 501);
    }
    record(c, 'params', 'all', 'applied', { ...result.value, detail: { reason, patch } });
    return c.json({ action: 'params', target: 'all', ...result.value } as z.infer<typeof ParamsChange>, 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/v1/admin/model/reload', summary: 'Reload the model file (the old model keeps serving if the new one fails)',
    security, 'x-role': 'admin', request: actionBody, responses: { 200: json(ModelChange, 'reloaded'), ...adminErrors },
  }), async (c) => {
    const reason = c.req.valid('json')?.reason;
    const result = await control.reloadModel(actorOf(c));
    if (!result.ok) {
      record(c, 'model-reload', 'all', 'not_implemented', { detail: reason });
      return c.json(notImplemented(result), 501);
    }
    record(c, 'model-reload', 'all', 'applied', { ...result.value, detail: reason });
    return c.json({ action: 'model-reload', target: 'all', ...result.value }, 200);
  });
}

function registerStream(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { stream, guard, api } = deps;
  app.openAPIRegistry.registerPath({
    method: 'get', path: STREAM_PATH, summary: 'State stream (websocket): one JSON frame per tick, at most api.stream.maxHz per client',
    description: 'Browsers pass the token as the subprotocol `bearer.<token>` beside `flashmm.v1`. Acknowledge each frame drawn with '
      + '`{"ack": seq}`: a client more than api.stream.maxUnackedFrames behind, or with more than maxBufferedBytes unsent, is closed with 4008.',
    security, 'x-role': 'read',
    request: { query: z.object({ hz: z.coerce.number().positive().optional().openapi({ param: { name: 'hz', in: 'query' }, description: 'frames per second wanted' }) }) },
    responses: {
      101: { description: 'switching to the websocket protocol' }, 401: error('no token, or an unknown one'), 403: error('origin not allowed'),
      426: error('not a websocket request'), 429: error('rate limit'),
    },
  });
  app.get(STREAM_PATH, guard('read'), sameOriginOrAllowed(api.corsOrigins), deps.upgradeWebSocket((c) => {
    const hz = Number(c.req.query('hz'));
    return { onOpen: (_event, ws) => stream.attach(ws.raw as WebSocket, Number.isFinite(hz) ? hz : deps.api.stream.maxHz) };
  }), (c) => c.json(errorBody('bad_request', 'expected a websocket upgrade'), 426));
}

/**
 * Browsers apply no CORS to websockets: a page on another origin could read the stream with the
 * user's loopback access. Refuse any Origin that is neither this host nor in api.corsOrigins.
 */
function sameOriginOrAllowed(allowed: readonly string[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined) return next(); // not a browser
    const host = c.req.header('host');
    if (allowed.includes(origin) || (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`))) return next();
    return c.json(errorBody('forbidden', 'origin not allowed'), 403);
  };
}
