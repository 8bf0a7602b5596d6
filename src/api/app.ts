// The control plane's HTTP app (Hono): middleware in the order a request meets it — metrics,
// secure headers, Host check, CORS, per-IP rate limit, bearer auth, per-token rate limit, body
// limit — then the routes (routes.ts), the state stream and the web page. Every error is JSON
// `{ error: { code, message, field? } }` and never echoes a request's credentials.
import { getConnInfo } from '@hono/node-server/conninfo';
import { createNodeWebSocket } from '@hono/node-ws';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import { rateLimiter } from 'hono-rate-limiter';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { AuditSink } from './audit.js';
import { bearerToken, subprotocolToken, type Principal, TokenVerifier } from './auth.js';
import { type ApiConfig, type ApiRole, isLoopbackHost, roleAllows } from './config.js';
import type { ControlPort } from './control.js';
import { errorBody, issueProblem } from './errors.js';
import { registerRoutes } from './routes.js';
import { StateStream } from './stream.js';
import { registerWeb } from './web.js';

export interface ApiEnv {
  Variables: {
    /** The token's holder; null for a request without a token. */
    principal: Principal | null;
  };
}

export interface AppDeps {
  readonly control: ControlPort;
  readonly api: ApiConfig;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly audit: AuditSink;
  /** Built page and reference assets (dist/web); null serves a 503 that says how to build them. */
  readonly webDir: string | null;
}

export interface ControlApp {
  readonly app: OpenAPIHono<ApiEnv>;
  readonly stream: StateStream;
  readonly injectWebSocket: ReturnType<typeof createNodeWebSocket>['injectWebSocket'];
  readonly wss: ReturnType<typeof createNodeWebSocket>['wss'];
}

export function createControlApp(deps: AppDeps): ControlApp {
  const { api, metrics, log } = deps;
  const app = new OpenAPIHono<ApiEnv>({
    // zod validation failures: 400 naming the first field at fault.
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const issue = result.error.issues[0];
      const problem = issue === undefined ? { field: '', message: 'invalid' } : issueProblem(issue);
      const field = problem.field || result.target;
      return c.json(errorBody('bad_request', `${field}: ${problem.message}`, { field }), 400);
    },
  });
  const verifier = new TokenVerifier(api.tokens);

  app.use('*', observe(metrics));
  app.use('*', secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"], fontSrc: ["'self'"], objectSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"],
      formAction: ["'self'"],
    },
    crossOriginResourcePolicy: 'same-origin',
  }));
  if (isLoopbackHost(api.host)) app.use('*', loopbackHostOnly());
  app.use('/api/*', cors({
    origin: (origin) => (api.corsOrigins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'PATCH'], allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600,
  }));
  app.use('*', rateLimiter<ApiEnv>({
    windowMs: 60_000, limit: api.rateLimit.perIpPerMinute, standardHeaders: 'draft-7',
    keyGenerator: (c) => `ip:${remoteAddress(c)}`,
    handler: (c) => c.json(errorBody('rate_limited', 'too many requests from this address'), 429),
  }));
  app.use('*', authenticate(verifier));
  app.use('*', rateLimiter<ApiEnv>({
    windowMs: 60_000, limit: api.rateLimit.perTokenPerMinute, standardHeaders: 'draft-7',
    keyGenerator: (c) => `token:${c.get('principal')?.name ?? ''}`,
    skip: (c) => c.get('principal') === null,
    handler: (c) => c.json(errorBody('rate_limited', 'too many requests with this token'), 429),
  }));
  app.use('/api/*', bodyLimit({
    maxSize: api.bodyLimitBytes,
    onError: (c) => c.json(errorBody('payload_too_large', `request body over ${api.bodyLimitBytes} bytes`), 413),
  }));

  const ws = createNodeWebSocket({ app });
  // Nothing comes from stream clients but the close: a large message is refused, not buffered.
  ws.wss.options.maxPayload = 1_024;
  const stream = new StateStream((depth) => deps.control.frame(depth), api.stream, log, metrics);
  const guard = (role: ApiRole) => requireRole(role, api.anonymousRead);
  registerRoutes(app, { ...deps, guard, stream, upgradeWebSocket: ws.upgradeWebSocket });
  registerWeb(app, deps.webDir);

  app.notFound((c) => c.json(errorBody('not_found', 'no such route'), 404));
  app.onError((err, c) => {
    // Hono's own 4xx (a body that is not JSON): the client's fault, said as such.
    if (err instanceof HTTPException && err.status < 500) return c.json(errorBody('bad_request', err.message), err.status);
    log.error({ err: err.message, route: routePath(c, -1) }, 'api handler failed');
    metrics.errors.inc({ kind: 'api' });
    return c.json(errorBody('internal', 'internal error'), 500);
  });
  return { app, stream, injectWebSocket: ws.injectWebSocket, wss: ws.wss };
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Requests counted and timed by route pattern (never the raw path: symbols, junk URLs). */
function observe(metrics: Metrics): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    const pattern = routePath(c, -1);
    const route = pattern === '*' || pattern === '/*' || pattern === '/api/*' ? 'unmatched' : pattern;
    // A method is any token a client likes: only the known ones become label values.
    const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : 'other';
    metrics.apiRequests.inc({ route, method, status: String(c.res.status) });
    metrics.apiRequestDuration.observe({ route }, (performance.now() - t0) / 1000);
  };
}

function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * On a loopback bind, only loopback Host names: a web page on another site that rebinds its DNS
 * name to 127.0.0.1 still sends its own Host, and is refused.
 */
function loopbackHostOnly(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0] ?? '';
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(name) && !/^127\.\d+\.\d+\.\d+$/.test(name)) {
      return c.json(errorBody('bad_host', 'this daemon answers loopback host names only'), 421);
    }
    return next();
  };
}

/** A bad token is refused on every route (a typo should not look like anonymous access). */
function authenticate(verifier: TokenVerifier): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const token = header !== undefined ? bearerToken(header) : c.req.header('upgrade') === 'websocket' ? subprotocolToken(c.req.header('sec-websocket-protocol')) : null;
    if (header !== undefined && token === null) return unauthorized(c, 'expected Authorization: Bearer <token>');
    if (token === null) {
      c.set('principal', null);
      return next();
    }
    const principal = verifier.verify(token);
    if (principal === null) return unauthorized(c, 'unknown token');
    c.set('principal', principal);
    return next();
  };
}

function unauthorized(c: Context, message: string): Response {
  c.header('WWW-Authenticate', 'Bearer realm="flashmm"');
  return c.json(errorBody('unauthorized', message), 401);
}

/** 401 without a usable identity, 403 with one whose role is too low. */
export function requireRole(role: ApiRole, anonymousRead: boolean): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (principal === null) {
      if (role === 'read' && anonymousRead) return next();
      return unauthorized(c, `this route needs a token with the ${role} role`);
    }
    if (!roleAllows(principal.role, role)) return c.json(errorBody('forbidden', `this route needs the ${role} role`), 403);
    return next();
  };
}
