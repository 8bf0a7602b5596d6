// Real Prometheus and Alertmanager (Debian's `prometheus`, `prometheus-alertmanager`) for tests,
// on free loopback ports in a scratch directory, built on servers.ts. Also the daemon itself
// (`node dist/cli.js run` on the simulated venue, API on port 0, its URL read from its log) and a
// local webhook receiver that records what is posted to it.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './cargo.js';
import { answers, freePort, removeDir, type RunningServer, scratchDir, startServer } from './servers.js';

export interface Prometheus {
  readonly url: string;
  readonly server: RunningServer;
  /** An instant query; throws with Prometheus' own error text when it fails. */
  query(expr: string): Promise<readonly { metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** Starts `prometheus` with `config` (YAML) and `files` (name → content) beside it. */
export async function startPrometheus(config: string, files: Readonly<Record<string, string>> = {}): Promise<Prometheus> {
  const dir = scratchDir('prometheus');
  for (const [name, text] of Object.entries({ ...files, 'prometheus.yml': config })) writeFileSync(join(dir, name), text);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer({
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ],
    ready: () => answers(`${url}/-/ready`),
  });
  return {
    url,
    server,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? res.status}`);
      const result = body.data?.result;
      // A scalar answer is one value with no labels.
      return body.data?.resultType === 'scalar' ? [{ metric: {}, value: result as [number, string] }] : (result as never);
    },
    async stop() {
      await server.stop();
      removeDir(dir);
    },
  };
}

export interface Alertmanager {
  readonly url: string;
  readonly server: RunningServer;
  stop(): Promise<void>;
}

/** Starts `prometheus-alertmanager` with `config` (YAML), clustering off. */
export async function startAlertmanager(config: string): Promise<Alertmanager> {
  const dir = scratchDir('alertmanager');
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer({
    name: 'prometheus-alertmanager',
    command: 'prometheus-alertmanager',
    args: [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
    ],
    ready: () => answers(`${url}/-/ready`),
  });
  return {
    url,
    server,
    async stop() {
      await server.stop();
      removeDir(dir);
    },
  };
}

export interface Daemon {
  /** The API's base URL, from the daemon's `api listening` log line. */
  readonly url: string;
  readonly server: RunningServer;
  stop(): Promise<void>;
}

const CLI = fileURLToPath(new URL('dist/cli.js', repoRoot));

/** `flashmm run` on the embedded simulated venue, JSON logs, API on a free port announced in its log. */
export async function startDaemon(args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  let url = '';
  const server = await startServer({
    name: 'flashmm run',
    command: process.execPath,
    args: [CLI, 'run', ...args],
    cwd: fileURLToPath(repoRoot),
    env: {
      ...process.env, FLASHMM_API__PORT: '0', FLASHMM_TELEMETRY__LOG_FORMAT: 'json', FLASHMM_TELEMETRY__LOG_LEVEL: 'info', ...env,
    },
    ready: async (output) => {
      const line = output.split('\n').find((l) => l.includes('"api listening'));
      if (line === undefined) return false;
      url = (JSON.parse(line) as { url: string }).url;
      return true;
    },
  });
  return { url, server, stop: () => server.stop() };
}

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: Received[];
  /** Resolves with the first request (seen or to come) that `pred` accepts. */
  next(pred: (r: Received) => boolean, timeoutMs: number): Promise<Received>;
  /** Answers the next `n` requests with `status` (then 200 again). */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

/** A local HTTP server that records every POST and answers 200 (or what failNext says). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  let failures: { n: number; status: number } = { n: 0, status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures.n > 0) {
        failures = { ...failures, n: failures.n - 1 };
        res.writeHead(failures.status).end('try again');
        return;
      }
      const r: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      for (const w of waiters.splice(0)) (w.pred(r) ? w.resolve(r) : waiters.push(w));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    next(pred, timeoutMs) {
      const seen = received.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching request within ${timeoutMs} ms (got ${received.length})`)), timeoutMs);
        waiters.push({ pred, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      });
    },
    failNext(n, status) {
      failures = { n, status };
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
