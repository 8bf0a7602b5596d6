// End to end: `flashmm run` with no arguments on the embedded simulated venue quotes both sides,
// gets fills, keeps its position within the risk limit, and on SIGTERM cancels everything and
// exits 0 with no open orders.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cargo.js';

const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));
const MAX_POSITION_LOTS = 100; // config/development.yml risk.maxPositionLots

interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

interface Status {
  readonly killed: boolean;
  readonly markets: readonly { readonly symbol: string; readonly risk: string; readonly openOrders: readonly { readonly side: string }[] }[];
}

/** The daemon as these tests read it from the control plane: GET /api/v1/status and /api/v1/orders. */
async function status(api: LogLine): Promise<Status> {
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${String(api.url)}${path}`)).json()) as T;
  const [s, o] = await Promise.all([
    get<{ killed: boolean; markets: { symbol: string; risk: string }[] }>('/api/v1/status'),
    get<{ orders: { symbol: string; side: string }[] }>('/api/v1/orders'),
  ]);
  return { killed: s.killed, markets: s.markets.map((m) => ({ ...m, openOrders: o.orders.filter((x) => x.symbol === m.symbol) })) };
}

const TWO_MARKETS = `
venue: { kind: sim, generator: { kind: zi, seed: 3, initialPrice: "0.4000" } }
markets:
  - { symbol: SEI/USDC, tickSize: "0.0001", lotSize: "0.1", minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 }
  - { symbol: SEI/USDT, tickSize: "0.0001", lotSize: "0.1", minSizeLots: 10, makerFeePpm: 0, takerFeePpm: 300 }
strategy: { orderSizeLots: 10, ladder: { levels: 2, sizesLots: [10, 20] } }
`;

function startDaemon(args: readonly string[] = []): { child: ChildProcessWithoutNullStreams; lines: LogLine[]; next: (pred: (l: LogLine) => boolean, ms: number) => Promise<LogLine> } {
  const child = spawn(process.execPath, [cli, 'run', ...args], {
    cwd: fileURLToPath(repoRoot),
    env: { ...process.env, FLASHMM_API__PORT: '0', FLASHMM_TELEMETRY__LOG_FORMAT: 'json', FLASHMM_TELEMETRY__LOG_LEVEL: 'info' },
  });
  const lines: LogLine[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    for (const w of waiters.splice(0)) (w.pred(line) ? w.resolve(line) : waiters.push(w));
  });
  const next = (pred: (l: LogLine) => boolean, ms: number) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = lines.find(pred);
      if (seen !== undefined) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${ms} ms; got: ${lines.map((l) => l.msg).join(' | ')}`)), ms);
      waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  return { child, lines, next };
}

describe('flashmm run (embedded simulated venue)', () => {
  it('quotes both sides, fills, stays within limits, and exits 0 on SIGTERM with no open orders', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    const { child, lines, next } = startDaemon();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const api = await next((l) => l.msg.startsWith('api listening'), 10_000);
      await next((l) => l.msg === 'first quote sent', 5_000);
      const first = await status(api);
      const sides = new Set(first.markets[0]?.openOrders.map((o) => o.side));
      expect([...sides].sort()).toEqual(['buy', 'sell']);
      await next((l) => l.msg === 'fill' && l.side === 'buy', 40_000);
      await next((l) => l.msg === 'fill' && l.side === 'sell', 40_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const fills = lines.filter((l) => l.msg === 'fill');
    for (const f of fills) expect(Math.abs(Number(f.position))).toBeLessThanOrEqual(MAX_POSITION_LOTS);
    const last = lines.at(-1);
    expect(last?.msg).toBe('stopped cleanly: no open orders');
    expect(last?.openOrders).toBe(0);
    expect(last?.reason).toBe('SIGTERM');
  }, 90_000);

  it('two markets in one daemon; SIGUSR2 (the kill switch) cancels everything and stops quoting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashmm-e2e-'));
    const config = join(dir, 'two.yml');
    writeFileSync(config, TWO_MARKETS);
    const { child, lines, next } = startDaemon(['--config', config]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const api = await next((l) => l.msg.startsWith('api listening'), 10_000);
      await next((l) => l.msg === 'first quote sent', 5_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const before = await status(api);
      expect(before.markets.map((m) => m.symbol)).toEqual(['SEI/USDC', 'SEI/USDT']);
      for (const m of before.markets) expect(new Set(m.openOrders.map((o) => o.side)).size).toBe(2);
      child.kill('SIGUSR2');
      const settled = await next((l) => l.msg === 'kill switch settled', 10_000);
      expect(settled.outcome).toMatchObject({ ok: true });
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // several quote ticks: nothing is placed
      const after = await status(api);
      expect(after.killed).toBe(true);
      for (const m of after.markets) {
        expect(m.risk).toBe('halted');
        expect(m.openOrders).toEqual([]);
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(lines.at(-1)?.msg).toBe('stopped cleanly: no open orders');
  }, 90_000);
});
