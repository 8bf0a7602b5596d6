// Starts the control plane on @hono/node-server: the app, its websocket stream, and the bind
// rule (a non-loopback address needs tokens and no anonymous access).
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from '../telemetry/logger.js';
import { componentLogger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { type ControlApp, createControlApp } from './app.js';
import { type AuditSink, LogAuditSink } from './audit.js';
import { type ApiConfig, bindProblems } from './config.js';
import type { ControlPort } from './control.js';
import { DEFAULT_WEB_DIR } from './web.js';

export interface ControlServerOptions {
  readonly control: ControlPort;
  readonly api: ApiConfig;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly audit?: AuditSink;
  readonly webDir?: string | null;
}

export interface ControlServer {
  readonly port: number;
  readonly url: string;
  readonly app: ControlApp['app'];
  close(): Promise<void>;
}

export class BindRefused extends Error {
  override readonly name = 'BindRefused';
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { api } = options;
  const problems = bindProblems(api);
  if (problems.length > 0) throw new BindRefused(problems.map((p) => p.message).join('; '));
  const log = componentLogger(options.log, 'api');
  const control = createControlApp({
    control: options.control, api, metrics: options.metrics, log,
    audit: options.audit ?? new LogAuditSink(componentLogger(options.log, 'audit')),
    webDir: options.webDir === undefined ? DEFAULT_WEB_DIR : options.webDir,
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: control.app.fetch, hostname: api.host, port: api.port }, () => resolve(s));
    s.once('error', reject);
  });
  control.injectWebSocket(server);
  const port = (server.address() as AddressInfo).port;
  const host = api.host.includes(':') ? `[${api.host}]` : api.host;
  return {
    port, url: `http://${host}:${port}`, app: control.app,
    close: () => new Promise<void>((resolve) => {
      control.stream.close();
      for (const ws of control.wss.clients) ws.terminate();
      server.close(() => resolve());
      // Keep-alive sockets would hold close() open until they time out.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    }),
  };
}
