// The daemon's HTTP surface: Prometheus metrics, a health check and a status snapshot.
// Read-only; bound to loopback by default (config api.host).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../telemetry/metrics.js';

export interface StatusSource {
  status(): unknown;
}

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startApi(host: string, port: number, metrics: Metrics, source: StatusSource): Promise<ApiServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end('metrics unavailable\n'),
      );
    } else if (path === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/status') {
      const body = JSON.stringify(source.status(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else {
      res.writeHead(404).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
