// The control plane under load while the engine trades: a real daemon on the simulated venue
// (real time, 25 ms quote tick for more decisions per phase) with its API, loaded by autocannon (a separate process) at
// 1 000 req/s on /api/v1/status and then on /metrics. Reported, same run: the API's latency and
// throughput, and the engine's tick-to-decision p50/p99 idle, under each load, and idle again
// (goal: the load moves the decision p99 by less than 20 %). The figures are printed at the end.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';
import { DaemonControl } from '../src/api/daemon-control.js';
import { startControlServer } from '../src/api/serve.js';
import { configSchema } from '../src/config/schema.js';
import { Daemon } from '../src/engine/daemon.js';
import { systemClock } from '../src/execution/clock.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics, type Metrics } from '../src/telemetry/metrics.js';
import { createVenue } from '../src/venues/create.js';

const PHASE_SECONDS = Number(process.env['FLASHMM_BENCH_SECONDS'] ?? 15);
const RATE = 1_000;
const INTERVAL_MS = 25;
const autocannon = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

const config = configSchema.parse({
  markets: [{ symbol: 'SEI/USDC', tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 }],
  strategy: { orderSizeLots: 10, ladder: { levels: 2, sizesLots: [10, 20] } },
  risk: { maxPositionLots: 100, maxNotional: '100', maxDailyLoss: '10', maxDrawdown: '20' },
  engine: { intervalMs: INTERVAL_MS },
  model: { enabled: false },
  api: { port: 0, rateLimit: { perIpPerMinute: 10_000_000, perTokenPerMinute: 10_000_000 } },
});

/** Every decision's total time (µs), as the loop reports it to its histogram, and when it ended (ms). */
let decisions: number[] = [];
let endedAt: number[] = [];
function recording(metrics: Metrics): Metrics {
  const real = metrics.tickToDecision;
  const tickToDecision = Object.create(real) as typeof real;
  tickToDecision.observe = ((labels: { stage: string }, seconds: number) => {
    if (labels.stage === 'total') {
      decisions.push(seconds * 1e6);
      endedAt.push(performance.now());
    }
    real.observe(labels, seconds);
  }) as typeof real.observe;
  return { ...metrics, tickToDecision };
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

interface Load { rps: number; p50: number; p99: number; non2xx: number; errors: number }

function load(url: string, seconds = PHASE_SECONDS): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [autocannon, '-c', '10', '-R', String(RATE), '-d', String(seconds), '-j', url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const r = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
    });
  });
}

const idle = () => new Promise((resolve) => setTimeout(resolve, PHASE_SECONDS * 1000));

/**
 * The control: the same load against a trivial server in another process, so the daemon serves
 * nothing and only shares the two cores with the load generator and that server.
 */
async function elsewhere(): Promise<Load> {
  const code = "const s=require('node:http').createServer((q,r)=>r.end('{}'));s.listen(0,'127.0.0.1',()=>console.log(s.address().port))";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  try {
    return await load(`http://127.0.0.1:${port}/`);
  } finally {
    child.kill();
  }
}

const rows: string[] = [];
/** How late each quote tick ran (ms): the gap between decisions beyond the interval (the event loop's delay). */
function lateness(): number[] {
  const gaps = endedAt.slice(1).map((t, i) => t - (endedAt[i] ?? t));
  return gaps.filter((g) => g > INTERVAL_MS / 2).map((g) => Math.max(0, g - INTERVAL_MS));
}

async function phase(name: string, run: () => Promise<Load | unknown>): Promise<number> {
  decisions = [];
  endedAt = [];
  const result = await run();
  const p99 = quantile(decisions, 0.99);
  const late = lateness();
  const api = result as Load | undefined;
  const apiText = api?.rps === undefined ? '' : `  | API ${api.rps.toFixed(0)} req/s, p50 ${api.p50} ms, p99 ${api.p99} ms, non-2xx ${api.non2xx}, errors ${api.errors}`;
  rows.push(`${name.padEnd(20)} decisions n=${String(decisions.length).padStart(4)}  p50 ${quantile(decisions, 0.5).toFixed(1).padStart(7)} µs  p99 ${p99.toFixed(1).padStart(7)} µs`
    + `  tick lateness p50 ${quantile(late, 0.5).toFixed(2)} ms p99 ${quantile(late, 0.99).toFixed(2)} ms${apiText}`);
  return p99;
}

async function run(): Promise<void> {
  const log = createLogger({ level: 'silent' });
  const metrics = recording(createMetrics({ build: { version: 'bench' } }));
  const { venue, sequenceRule } = createVenue(config, systemClock);
  const daemon = new Daemon({ config, venue, sequenceRule, log, metrics });
  const started = daemon.start();
  const server = await startControlServer({ control: new DaemonControl({ daemon, config, started }), api: config.api, metrics, log, webDir: null });
  await started;
  // Warm up the engine (estimators) and the API's code paths and heap: the first loaded phase
  // after a cold start otherwise pays for JIT and heap growth, whichever route it loads.
  await load(`${server.url}/api/v1/status`, 5);
  await load(`${server.url}/metrics`, 5);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  // Idle phases around each load: the machine is shared, so each load is compared with the idle
  // phases on either side of it.
  const idle1 = await phase('idle', idle);
  const metricsP99 = await phase('GET /metrics', () => load(`${server.url}/metrics`));
  const idle2 = await phase('idle', idle);
  const status = await phase('GET /api/v1/status', () => load(`${server.url}/api/v1/status`));
  const idle3 = await phase('idle', idle);
  const peer = await phase('same load elsewhere', elsewhere);
  const idle4 = await phase('idle', idle);
  const ratio = (loaded: number, a: number, b: number) => (loaded / ((a + b) / 2)).toFixed(2);
  rows.push(`decision p99 vs the idle phases around it: /metrics ${ratio(metricsP99, idle1, idle2)}x, /status ${ratio(status, idle2, idle3)}x, `
    + `the same load on another process ${ratio(peer, idle3, idle4)}x (goal for the API: < 1.20x)`);
  await server.close();
  await daemon.stop('bench over');
}

describe('control plane under load (real daemon, sim venue)', () => {
  bench(`autocannon ${RATE} req/s, ${PHASE_SECONDS} s per phase`, run, {
    iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0,
    teardown: (_task, mode) => {
      if (mode === 'run') process.stderr.write(`\n${rows.join('\n')}\n`);
    },
  });
});
