// Lease takeover time after a SIGKILL (docs/storage.md, "Sharding"): three `flashmm run --shard`
// daemons share a real redis-server and one trading account on the remote sim venue (served from
// this process) over four markets. KILLS times (default 20) the holder of one market (the markets
// in turn) is SIGKILLed; the time from the kill until another daemon's order for that market
// rests on the venue (sampled every 5 ms from the venue's side) is one sample. The killed daemon
// is started again and the shards settle before the next kill. Prints the lease TTL, the renew
// interval, the quote tick, min/p50/p90/max over the samples and the load average.
// Run after `npm run build:ts`:  node bench/lease-takeover.mjs   (KILLS, TTL_MS, RENEW_MS, TICK_MS)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../dist/config/schema.js';
import { createLogger } from '../dist/telemetry/logger.js';
import { SimServer } from '../dist/venues/sim-remote/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const KILLS = Number(process.env.KILLS ?? 20);
const TTL_MS = Number(process.env.TTL_MS ?? 1_500);
const RENEW_MS = Number(process.env.RENEW_MS ?? 300);
const TICK_MS = Number(process.env.TICK_MS ?? 50);
const ACCOUNT = 'desk';
const SPEC = { tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 };
const SYMBOLS = ['AAA/USDC', 'BBB/USDC', 'CCC/USDC', 'DDD/USDC'];
const MARKETS = SYMBOLS.map((symbol) => ({ symbol, ...SPEC }));
const STRATEGY = { orderSizeLots: 10, ladder: { levels: 1, sizesLots: [10] } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

const canConnect = (port) => new Promise((resolve) => {
  const c = createConnection({ port, host: '127.0.0.1' }, () => { c.destroy(); resolve(true); });
  c.on('error', () => resolve(false));
});

const dir = mkdtempSync(join(tmpdir(), 'lease-bench-'));
const redisPort = await freePort();
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
await until(() => canConnect(redisPort), 10_000, 'redis-server');
const sim = await SimServer.start({
  config: configSchema.parse({ markets: MARKETS, strategy: STRATEGY, venue: { generator: { seed: 5, initialPrice: '0.4000', ziParams: { marketRate: 20, limitRate: 60 } }, latency: { entryMs: 1, responseMs: 1 } } }),
  log: createLogger({ level: 'silent' }),
});

const daemons = new Map();
function startDaemon(name) {
  const configPath = join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify({
    venue: { kind: 'sim', url: `ws://127.0.0.1:${sim.port}`, client: name, account: ACCOUNT },
    markets: MARKETS, strategy: STRATEGY,
    risk: { maxPositionLots: 100_000, maxNotional: '1000000', maxDailyLoss: '1000000', maxDrawdown: '1000000' },
    engine: { intervalMs: TICK_MS }, shard: { owner: name, leaseTtlMs: TTL_MS, renewMs: RENEW_MS }, model: { enabled: false },
    api: { enabled: false }, telemetry: { logLevel: 'info', logFormat: 'json' },
  }));
  const child = spawn(process.execPath, [CLI, 'run', '--config', configPath, '--redis', `redis://127.0.0.1:${redisPort}`, '--shard'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, FLASHMM_ENV: 'development' } });
  const d = { name, child, alive: true, started: false, exited: new Promise((r) => child.once('exit', r)) };
  // Started: connected to the venue and taking part in the lease rounds.
  createInterface({ input: child.stdout }).on('line', (t) => {
    if (t.includes('"msg":"quoting started"')) d.started = true;
  });
  d.exited.then(() => (d.alive = false));
  daemons.set(name, d);
  return d;
}

// The venue's side, every 5 ms: the last moment each daemon had an order resting on each market.
const lastSeen = new Map(SYMBOLS.map((s) => [s, new Map()]));
let busy = false;
const monitor = setInterval(async () => {
  if (busy) return;
  busy = true;
  try {
    const now = Date.now();
    for (const s of SYMBOLS) for (const c of (await sim.placersOf(ACCOUNT, s)).keys()) lastSeen.get(s).set(c, now);
  } finally {
    busy = false;
  }
}, 5);
const quoters = (s, since) => [...lastSeen.get(s)].filter(([c, t]) => t >= since && daemons.get(c)?.alive === true).map(([c]) => c);

/** All three daemons up, every market quoted by exactly one (2/2/0 is settled too: the fair share is 2 of 4 for 3). */
function settled() {
  if ([...daemons.values()].some((d) => !d.started)) return null;
  const since = Date.now() - 300;
  const out = new Map();
  for (const s of SYMBOLS) {
    const q = quoters(s, since);
    if (q.length !== 1) return null;
    out.set(s, q[0]);
  }
  return out;
}

const samples = [];
const load = [];
let stopped = null;
try {
  for (const name of ['d1', 'd2', 'd3']) startDaemon(name);
  for (let i = 0; i < KILLS; i += 1) {
    const assignment = await until(settled, 60_000, 'the shards settle');
    await sleep(500); // a renew or two after the last move, as in steady state
    const symbol = SYMBOLS[i % SYMBOLS.length];
    const victim = daemons.get(assignment.get(symbol));
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const ms = await until(() => (quoters(symbol, killedAt).some((c) => c !== victim.name) ? Date.now() - killedAt : null), 30_000, `${symbol} quoted again`);
    samples.push(ms);
    load.push(loadavg()[0]);
    process.stderr.write(`kill ${i + 1}/${KILLS}: ${victim.name} held ${symbol}, quoted again by another daemon after ${ms} ms\n`);
    startDaemon(victim.name);
  }
} catch (err) {
  stopped = String(err); // reported with the samples taken so far
} finally {
  clearInterval(monitor);
  for (const d of daemons.values()) if (d.alive) d.child.kill('SIGTERM');
  await Promise.all([...daemons.values()].map((d) => d.exited));
  await sim.close();
  redis.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const sorted = [...samples].sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
console.log(JSON.stringify({
  kills: samples.length, leaseTtlMs: TTL_MS, renewMs: RENEW_MS, tickMs: TICK_MS,
  takeoverMs: { min: sorted[0], p50: pct(50), p90: pct(90), max: sorted.at(-1) },
  samplesMs: samples, loadAverage1m: { min: Math.min(...load), max: Math.max(...load) }, ...(stopped === null ? {} : { stopped }),
}));
