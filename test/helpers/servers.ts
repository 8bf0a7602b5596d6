// Real servers for tests (DESIGN: real components in tests): a free loopback port, a child
// process started once per test file, readiness awaited (never a fixed sleep), its output kept
// for the failure message, and a bounded stop. Server-specific starters (Redis, the
// time-series database, Prometheus, Alertmanager, the Sei chain) build on `startServer`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port the OS says is free on 127.0.0.1 now (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** A fresh directory under the OS temp dir; removed by `removeDir`. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `flashmm-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Resolves once a TCP connection to 127.0.0.1:port succeeds. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once `url` answers with a 2xx status. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export interface ServerSpec {
  /** Shown in errors, e.g. "redis-server". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Polled every 50 ms until true (e.g. `() => canConnect(port)`); gets the output so far, for a
   * server that announces its address in its log (a daemon started on port 0).
   */
  readonly ready: (output: string) => Promise<boolean>;
  readonly readyTimeoutMs?: number;
}

export interface RunningServer {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout + stderr so far (bounded), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;

/** Starts `spec.command` and waits until `spec.ready()`; throws with its output if it exits or times out. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      keep(Buffer.from(`spawn error: ${err.message}\n`));
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  const server: RunningServer = {
    name: spec.name,
    child,
    output: () => output,
    async stop(graceMs = 5_000) {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null) {
      const { code, signal } = exited as { code: number | null; signal: NodeJS.Signals | null };
      throw new Error(`${spec.name} exited before it was ready (code ${code}, signal ${signal}):\n${output}`);
    }
    if (await spec.ready(output)) return server;
    if (Date.now() > deadline) {
      await server.stop(1_000);
      throw new Error(`${spec.name} not ready within ${spec.readyTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
