// Quote-loop tick to decision with the stores on against off, in the same run: two daemons
// (the real Daemon, each on its own simulated venue and manual clock, the shipped model), one
// with Redis (journal, hot state, checkpoints) and the time-series writer on a real
// redis-server and VictoriaMetrics started here, one with neither (`flashmm run` without
// --redis / storage.influx). Their steps alternate (the order swapped every step), so both see
// the same machine. A step is 200 ms of generated market (20 pumps of 10 ms, I/O let through
// after each, as on the event loop) and one `Daemon.tick()`: housekeeping, the decision, the
// batch to the venue and, with the stores on, everything the daemon does with them after the
// decision (hot state, time series). Timed: tick start → the order batch handed to the venue
// (ticks that send one: what the market waits for), the whole tick (with what runs after the
// send), and the decision's own stages.total. The ratios (on / off) are printed with the load
// average; the goal is tick → batch out with the stores on within 10 % of off.
import { loadavg } from 'node:os';
import { afterAll, bench, describe } from 'vitest';
import { configSchema, type Config } from '../src/config/schema.js';
import { Daemon } from '../src/engine/daemon.js';
import type { DecisionRecord } from '../src/engine/market-loop.js';
import { ManualClock } from '../src/execution/clock.js';
import { openStorage, type Storage } from '../src/storage/open.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { createVenue } from '../src/venues/create.js';
import type { SimVenue } from '../src/venues/sim/sim-venue.js';
import { startRedis } from '../test/helpers/redis.js';
import { startVictoriaMetrics } from '../test/helpers/victoria-metrics.js';

const MODEL = 'models/default.onnx';
const redis = await startRedis();
const vm = await startVictoriaMetrics();

function config(stores: boolean): Config {
  return configSchema.parse({
    venue: { generator: { seed: 7, initialPrice: '0.4000', ziParams: { marketRate: 20, limitRate: 60 } }, latency: { entryMs: 1, responseMs: 1 } },
    markets: [{ symbol: 'SEI/USDC', tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 }],
    strategy: { orderSizeLots: 10, ladder: { levels: 2, levelStepTicks: 1, sizesLots: [10, 10] } },
    risk: { maxPositionLots: 100_000, maxNotional: '1000000', maxDailyLoss: '1000000', maxDrawdown: '1000000' },
    engine: { intervalMs: 200 },
    model: { warmupSeconds: 1 },
    ...(stores ? { storage: { redis: { url: redis.url, keyPrefix: `bench-${Date.now()}:` }, influx: { url: vm.url, org: 'flashmm', bucket: 'bench' } } } : {}),
  });
}

interface Side {
  readonly name: string;
  readonly daemon: Daemon;
  readonly clock: ManualClock;
  readonly sim: SimVenue;
  readonly storage: Storage;
  readonly out: number[];
  readonly tick: number[];
  readonly decision: number[];
  /** The current tick's start, and when it handed its first batch to the venue. */
  timing: { t0: number; sentAt: number | null } | null;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function side(name: string, stores: boolean): Promise<Side> {
  const cfg = config(stores);
  const clock = new ManualClock(Date.now());
  const { venue, sequenceRule } = createVenue(cfg, clock, { manual: true });
  const sim = venue as SimVenue;
  const submit = sim.submit.bind(sim);
  sim.submit = (batch) => {
    if (s.timing !== null) s.timing.sentAt ??= performance.now();
    return submit(batch);
  };
  const metrics = createMetrics({ build: { version: 'bench' }, defaultMetrics: false });
  let daemon: Daemon | null = null;
  const storage = openStorage(cfg.storage, {}, { metrics, onRedisHealth: (h) => daemon?.onStorageHealth(h) });
  const decision: number[] = [];
  const s = { name, clock, sim, storage, out: [], tick: [], decision, timing: null } as unknown as { -readonly [K in keyof Side]: Side[K] };
  daemon = new Daemon({
    config: cfg, venue, sequenceRule, log: createLogger({ level: 'silent' }), metrics, clock, storage, modelPath: MODEL,
    onDecision: (_symbol: string, record: DecisionRecord) => void decision.push(record.stages.total * 1e6),
    // Shutdown's cancel rounds wait on the manual clock: the venue answers as it advances.
    sleep: async (ms) => {
      clock.advance(ms);
      sim.pump();
      await settle();
    },
  });
  s.daemon = daemon;
  await daemon.start({ timer: false });
  return s;
}

const off = await side('stores off', false);
const on = await side('stores on (Redis + time series)', true);

afterAll(async () => {
  for (const s of [on, off]) {
    await s.daemon.stop('bench over');
    await s.storage.close();
  }
  await Promise.all([redis.dispose(), vm.dispose()]);
});

async function step(s: Side): Promise<void> {
  for (let i = 0; i < 20; i++) {
    s.clock.advance(10);
    s.sim.pump();
    await settle();
  }
  const timing = { t0: performance.now(), sentAt: null as number | null };
  s.timing = timing;
  await s.daemon.tick();
  s.timing = null;
  s.tick.push((performance.now() - timing.t0) * 1e3);
  if (timing.sentAt !== null) s.out.push((timing.sentAt - timing.t0) * 1e3);
}

let steps = 0;
const loads: number[] = [];

function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

type Sample = 'out' | 'tick' | 'decision';
const SAMPLES = ['out', 'tick', 'decision'] as const;
const LABEL: Readonly<Record<Sample, string>> = { out: 'tick → batch out', tick: 'whole tick', decision: 'decision (stages.total)' };

function report(_task: unknown, mode: string): void {
  if (mode === 'warmup') {
    for (const s of [on, off]) for (const k of SAMPLES) s[k].splice(0);
    steps = 0;
    return;
  }
  const row = (s: Side, what: Sample) =>
    `${`${s.name}, ${LABEL[what]}`.padEnd(60)} n=${String(s[what].length).padStart(6)}  p50 ${percentile(s[what], 0.5).toFixed(1).padStart(7)} µs  p99 ${percentile(s[what], 0.99).toFixed(1).padStart(7)} µs`;
  const ratio = (what: Sample, p: number) => (percentile(on[what], p) / percentile(off[what], p)).toFixed(3);
  const h = on.storage.redis?.health();
  const ts = on.storage.timeseries?.stats();
  process.stderr.write([
    '', `steps: ${steps} per side; load average (1 min) ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
    ...SAMPLES.flatMap((k) => [row(off, k), row(on, k)]),
    ...SAMPLES.map((k) => `on / off, ${LABEL[k]}: p50 ${ratio(k, 0.5)}, p99 ${ratio(k, 0.99)}`),
    `stores on: redis ${JSON.stringify(h)}; time series ${JSON.stringify(ts)}; positions off ${off.daemon.positions.position('SEI/USDC')}, on ${on.daemon.positions.position('SEI/USDC')} lots`,
    '',
  ].join('\n'));
}

describe('tick to decision, stores on vs off (µs, same run, alternating)', () => {
  bench('one step of each daemon (200 ms of market + tick), order swapped every step', async () => {
    steps += 1;
    if (steps % 100 === 1) loads.push(loadavg()[0]!);
    const [first, second] = steps % 2 === 0 ? [on, off] : [off, on];
    await step(first);
    await step(second);
  }, { time: 20_000, warmupTime: 2_000, teardown: report });
});
