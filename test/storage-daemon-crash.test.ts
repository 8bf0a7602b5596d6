// The daemon killed mid-session, for real: `flashmm run --redis` trades on a simulated venue
// that outlives it (the sim server, in this process) against a real redis-server; it is
// SIGKILLed at random moments (seeded: FLASHMM_CRASH_SEED reproduces a run) after fills, with
// orders resting, and restarted. Every restart must resume (the daemon's own recovery checks
// its position and every order against the venue's account, exactly), and at the end, after a
// graceful stop: the venue shows no order of ours, the daemon's position, the checkpoint's and
// the venue's are equal, and the journal holds every fill the venue made for us exactly once.
// Needs the built code (`npm run build:ts`, run by `npm test`'s pretest).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.js';
import { sideSign } from '../src/market/types.js';
import { openStorage } from '../src/storage/open.js';
import { decodeEntry, fillKey } from '../src/storage/records.js';
import { createLogger } from '../src/telemetry/logger.js';
import { SimServer } from '../src/venues/sim-remote/server.js';
import { repoRoot } from './helpers/cargo.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const SYMBOL = 'SEI/USDC';
const CLIENT = 'crash-test';
const KILLS = 6;
const CLI = fileURLToPath(new URL('dist/cli.js', repoRoot));
const MARKET = { symbol: SYMBOL, tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 };
// Busy order flow, so that resting quotes fill within a second or two.
const VENUE = { generator: { seed: 11, initialPrice: '0.4000', ziParams: { marketRate: 20, limitRate: 60 } }, latency: { entryMs: 1, responseMs: 1 } };

let redis: TestRedis;
let raw: Redis;
let sim: SimServer;
let dir: string;
let configPath: string;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { lazyConnect: true });
  await raw.connect();
  sim = await SimServer.start({ config: configSchema.parse({ markets: [MARKET], venue: VENUE, strategy: { orderSizeLots: 10, ladder: { levels: 2, sizesLots: [10, 10] } } }), log: createLogger({ level: 'silent' }) });
  dir = scratchDir('daemon-crash');
  configPath = join(dir, 'daemon.json');
  writeFileSync(configPath, JSON.stringify({
    venue: { kind: 'sim', url: `ws://127.0.0.1:${sim.port}`, client: CLIENT },
    markets: [MARKET],
    strategy: { orderSizeLots: 10, ladder: { levels: 2, levelStepTicks: 1, sizesLots: [10, 10] } },
    risk: { maxPositionLots: 100_000, maxNotional: '1000000', maxDailyLoss: '1000000', maxDrawdown: '1000000' },
    engine: { intervalMs: 50 },
    model: { enabled: false },
    api: { enabled: false },
    telemetry: { logLevel: 'info', logFormat: 'json' },
  }));
});

afterAll(async () => {
  raw?.disconnect();
  await sim?.close();
  await redis?.dispose();
  if (dir !== undefined) removeDir(dir);
});

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

type Line = Record<string, unknown> & { msg?: string };

/** A daemon child process whose JSON log lines can be awaited. */
class DaemonProcess {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  private readonly waiters: { pred: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  constructor() {
    this.child = spawn(process.execPath, [CLI, 'run', '--config', configPath, '--redis', redis.url], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLASHMM_ENV: 'development' } });
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        return;
      }
      this.lines.push(line);
      for (const w of this.waiters.splice(0)) (w.pred(line) ? w.resolve(line) : this.waiters.push(w));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first log line (from now on, or already seen) that `pred` accepts; fails if the daemon exits first. */
  until(pred: (l: Line) => boolean, what: string): Promise<Line> {
    const seen = this.lines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return Promise.race([
      new Promise<Line>((resolve) => this.waiters.push({ pred, resolve })),
      this.exited.then(({ code, signal }) => {
        throw new Error(`daemon exited (${code ?? signal}) before ${what}:\n${this.stderr}\n${this.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
      }),
    ]);
  }

  count(pred: (l: Line) => boolean): number {
    return this.lines.filter(pred).length;
  }
}

const isFill = (l: Line) => l.msg === 'fill';

async function recovered(d: DaemonProcess): Promise<Line> {
  const line = await d.until((l) => typeof l.msg === 'string' && (l.msg.startsWith('recovered from Redis') || l.msg.startsWith('market stays halted')), 'recovery');
  expect(line.msg, JSON.stringify(line)).toMatch(/^recovered from Redis/);
  return line;
}

describe('the daemon SIGKILLed mid-session, restarted against the same Redis and venue', () => {
  it(`resumes ${KILLS} times with every position, order and fill exact`, async () => {
    const seed = Number(process.env['FLASHMM_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`storage-daemon-crash: FLASHMM_CRASH_SEED=${seed}`);
    const random = rng(seed);
    const recoveries: Line[] = [];
    let restingAtKill = 0;

    for (let i = 0; i < KILLS; i++) {
      const d = new DaemonProcess();
      recoveries.push(await recovered(d));
      // Mid-session: a few fills booked, then a random moment.
      const fillsBefore = d.count(isFill);
      await d.until(() => d.count(isFill) >= fillsBefore + 2 + Math.floor(random() * 4), 'fills');
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 400)));
      d.child.kill('SIGKILL');
      const { signal } = await d.exited;
      expect(signal).toBe('SIGKILL');
      restingAtKill += (await sim.openOrdersOf(CLIENT, SYMBOL)).length;
    }
    // Orders were left resting on the venue at the kills (the recoveries had something to find).
    expect(restingAtKill).toBeGreaterThan(0);

    const last = new DaemonProcess();
    recoveries.push(await recovered(last));
    await last.until(() => last.count(isFill) >= 1, 'a fill after the last restart');
    last.child.kill('SIGTERM');
    const { code } = await last.exited;
    const final = await last.until((l) => l.msg === 'final state', 'the final state');

    // Each recovery matched the venue's position at that instant (checked by the daemon; logged).
    for (const r of recoveries) expect(r['position'], JSON.stringify(r)).toBe(r['venuePosition']);
    // Nothing left on the venue, nothing unknown: a clean stop cancels every order of ours.
    expect(code).toBe(0);
    expect(await sim.openOrdersOf(CLIENT, SYMBOL)).toEqual([]);

    const venueFills = sim.fillsOf(CLIENT, SYMBOL);
    const venuePosition = sim.positionOf(CLIENT, SYMBOL);
    expect(venueFills.reduce((n, f) => n + sideSign(f.side) * f.size, 0)).toBe(venuePosition);
    expect(final['position']).toBe(venuePosition);

    // The journal: every venue fill exactly once, nothing else.
    const keys = { journal: `flashmm:journal:{${SYMBOL}}`, positions: `flashmm:positions:{${SYMBOL}}` };
    const entries = (await raw.xrange(keys.journal, '-', '+')).map(([id, fields]) => decodeEntry(id, fields));
    const journaled = entries.flatMap((e) => (e.type === 'fill' ? [fillKey(e.fill.clientId, e.fill.fillId)] : []));
    expect(new Set(journaled).size).toBe(journaled.length);
    expect(new Set(journaled)).toEqual(new Set(venueFills.map((f) => fillKey(f.clientId, f.fillId))));
    expect(entries.some((e) => e.type === 'gap')).toBe(false);
    // What the next start restores (the clean stop's checkpoint and the journal after it, as
    // recovery reads them): the venue's position and no live order. A fill booked while the stop
    // cancels may land after the last checkpoint: it is in the tail.
    const storage = openStorage(configSchema.parse({ markets: [MARKET], venue: VENUE, strategy: { orderSizeLots: 10, ladder: { levels: 2, sizesLots: [10, 10] } }, storage: { redis: { url: redis.url } } }).storage, {});
    const outcome = await storage.redis!.restore([SYMBOL]);
    await storage.close();
    expect(outcome.ok).toBe(true);
    const restored = outcome.ok ? outcome.markets.get(SYMBOL)! : null;
    const replayed = restored!.fillsToReplay.reduce((n, f) => n + sideSign(f.side) * f.lots, 0);
    expect((restored!.checkpoint?.position.lots ?? 0) + replayed).toBe(venuePosition);
    expect(restored!.openOrders).toEqual([]);
    expect(restored!.gaps).toEqual([]);
    expect(restored!.problems).toEqual([]);
  }, 180_000);
});
