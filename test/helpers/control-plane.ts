// A real daemon on the embedded simulated venue (the engine's Daemon, the sim venue, real time)
// with the control plane in front of it, on a free loopback port: what the API, stream and web
// tests talk to. Every log line (engine, api, audit) is kept for assertions.
import { parse } from 'yaml';
import { hashToken, createToken } from '../../src/api/auth.js';
import type { ApiRole } from '../../src/api/config.js';
import { DaemonControl } from '../../src/api/daemon-control.js';
import { type ControlServer, startControlServer } from '../../src/api/serve.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import type { Secret } from '../../src/config/secret.js';
import { Daemon } from '../../src/engine/daemon.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js';
import { createVenue } from '../../src/venues/create.js';
import type { Venue } from '../../src/venues/venue.js';
import { systemClock } from '../../src/execution/clock.js';

export interface LogLine {
  readonly msg: string;
  readonly component?: string;
  readonly [key: string]: unknown;
}

/** One token per role, created the way `flashmm token create` does. */
export function roleTokens(): Record<ApiRole, string> {
  return { read: createToken().token, trade: createToken().token, admin: createToken().token };
}

export function tokenConfig(tokens: Record<ApiRole, string>) {
  return Object.entries(tokens).map(([role, token]) => ({ name: `${role}-op`, role, sha256: hashToken(token) }));
}

/** The development market on the sim venue, quoting fast enough to see changes within a second. */
export const SIM_CONFIG = `
venue: { kind: sim, generator: { kind: zi, seed: 5, initialPrice: "0.4000" } }
markets:
  - { symbol: SEI/USDC, tickSize: "0.0001", lotSize: "0.1", minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 }
strategy: { kind: glft, orderSizeLots: 10, ladder: { levels: 2, sizesLots: [10, 20] } }
risk: { maxPositionLots: 100, maxNotional: "100", maxDailyLoss: "10", maxDrawdown: "20" }
engine: { intervalMs: 100 }
model: { enabled: false }
api: { port: 0 }
telemetry: { logLevel: info, metrics: { enabled: true } }
`;

export interface ControlPlane {
  readonly config: Config;
  readonly daemon: Daemon;
  readonly venue: Venue;
  readonly control: DaemonControl;
  readonly server: ControlServer;
  readonly metrics: Metrics;
  /** The logger everything writes to (captured in `lines`). */
  readonly log: Logger;
  readonly lines: LogLine[];
  /** Resolves with the first log line (already seen or future) that matches. */
  nextLine(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<void>;
}

/** `api` overrides are merged into SIM_CONFIG's api section; `secrets` are scrubbed from the log. */
export async function startControlPlane(api: Record<string, unknown> = {}, yaml = SIM_CONFIG, secrets: readonly Secret[] = []): Promise<ControlPlane> {
  const raw = parse(yaml) as Record<string, Record<string, unknown>>;
  const config = configSchema.parse({ ...raw, api: { ...raw['api'], ...api } });
  const lines: LogLine[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const log = createLogger({
    level: 'info', format: 'json', secrets,
    destination: {
      write(text: string) {
        for (const part of text.split('\n')) {
          if (part.trim() === '') continue;
          const line = JSON.parse(part) as LogLine;
          lines.push(line);
          for (const w of waiters.splice(0)) (w.pred(line) ? w.resolve(line) : waiters.push(w));
        }
      },
    },
  });
  const metrics = createMetrics({ build: { version: 'test' } });
  const { venue, sequenceRule } = createVenue(config, systemClock);
  const daemon = new Daemon({ config, venue, sequenceRule, log, metrics });
  const started = daemon.start();
  const control = new DaemonControl({ daemon, config, started });
  const server = await startControlServer({ control, api: config.api, metrics, log });
  await started;
  const nextLine = (pred: (l: LogLine) => boolean, timeoutMs = 10_000) => new Promise<LogLine>((resolve, reject) => {
    const seen = lines.find(pred);
    if (seen !== undefined) return resolve(seen);
    const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms`)), timeoutMs);
    waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
  });
  return {
    config, daemon, venue, control, server, metrics, log, lines, nextLine,
    async stop() {
      await server.close();
      await daemon.stop('test over');
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly headers: Headers;
}

export interface CallOptions {
  readonly token?: string;
  readonly method?: string;
  /** Sent as JSON unless a string. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** One HTTP request to the control plane. */
export async function call(base: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method: options.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, body: parsed, headers: res.headers };
}

/** Polls `check` every 20 ms until it holds (a venue state has no event to await); throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
