// The daemon never dies with orders live. fast-check drives the real daemon (supervisor,
// lifecycle, order and risk managers, ledger) on the real simulated venue, on a manual clock,
// through random chaos: a synthetic recording with malformed, NaN, negative, huge and off-grid
// lines, duplicated, reordered and dropped lines, silences; venue faults (refused, timed-out and
// slow requests, dropped, repeated and reordered reports, a cancel after a fill, repeated and
// empty batches, lost market data, disconnects, the adapter throwing); model faults (predict throws, a corrupt file on hot
// reload); SIGTERM, SIGINT and SIGUSR2 at any moment, twice. After every step:
// - the process is alive, or has shut down in order, and only for a reason we gave it (a
//   signal, or a daemon-wide fault): a market's fault halts that market, nothing more;
// - no order is placed while the daemon's book is invalid or stale, nor on a halted or killed
//   market; once a halted market's cancels have settled, none of ours rests there again;
// - |position| stays within the limit, at the exchange and in the ledger;
// - every order the venue has is known to the order manager;
// and after the shutdown the venue shows zero open orders of ours (and none lands later).
// CHAOS_UNSUPERVISED=1 runs it with the supervisor removed: it must fail (the second test
// checks that it does).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.js';
import { Daemon } from '../src/engine/daemon.js';
import { EXIT, HARD_STOP_GRACE_MS, Lifecycle } from '../src/engine/lifecycle.js';
import { Supervisor } from '../src/engine/supervisor.js';
import type { HeldSignal } from '../src/early-signals.js';
import { ManualClock } from '../src/execution/clock.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { createVenue } from '../src/venues/create.js';
import { SimVenue } from '../src/venues/sim/sim-venue.js';
import {
  ChaosVenue, chaosConfig, DAMAGE_KINDS, FakeProcess, ManualScheduler, NoSupervisor, STEP_MS, syntheticRecording, VENUE_FAULTS,
  type VenueFault, writeRecording,
} from './helpers/chaos.js';
import { repoRoot } from './helpers/cargo.js';

const RUNS = Number(process.env['CHAOS_RUNS'] ?? 200);
const MODEL = new URL('models/default.onnx', repoRoot).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flashmm-chaos-'));
const CORRUPT_MODEL = join(dir, 'corrupt.onnx');
writeFileSync(CORRUPT_MODEL, 'not an ONNX model: the half-written file a copy leaves behind');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Action =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'venue'; readonly fault: VenueFault; readonly times: number }
  | { readonly kind: 'predict-throws'; readonly times: number }
  | { readonly kind: 'corrupt-reload' }
  | { readonly kind: 'signal'; readonly signal: HeldSignal };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 10, max: 1_000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('venue' as const), fault: fc.constantFrom(...VENUE_FAULTS), times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('predict-throws' as const), times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('corrupt-reload' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signal' as const), signal: fc.constantFrom<HeldSignal>('SIGTERM', 'SIGINT', 'SIGUSR2') }) },
);

const STEPS = 300; // 15 s of market
const scenarioArb = fc.record({
  plan: fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    steps: fc.constant(STEPS),
    damage: fc.array(fc.record({ step: fc.integer({ min: 1, max: STEPS }), kind: fc.constantFrom(...DAMAGE_KINDS), onTrade: fc.boolean() }), { maxLength: 12 }),
    gaps: fc.array(fc.record({ step: fc.integer({ min: 1, max: STEPS }), ms: fc.integer({ min: 200, max: 3_000 }) }), { maxLength: 4 }),
    resyncEvery: fc.constantFrom(20, 60),
  }),
  withModel: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  actions: fc.array(actionArb, { minLength: 3, maxLength: 40 }),
  /** A signal during the shutdown too (a second SIGTERM, SIGINT or SIGUSR2). */
  secondSignal: fc.option(fc.record({ afterMs: fc.integer({ min: 0, max: 200 }), signal: fc.constantFrom<HeldSignal>('SIGTERM', 'SIGINT', 'SIGUSR2') })),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

let runId = 0;

/** Runs one scenario; returns the broken invariant, or null. */
async function chaos(s: Scenario, supervised: boolean): Promise<string | null> {
  const recording = join(dir, `spot_ethusdt_${runId++}.gz`);
  writeRecording(recording, syntheticRecording(s.plan));
  const config = chaosConfig(recording, (raw) => configSchema.parse(raw), s.withModel ? MODEL : null);
  const clock = new ManualClock(Date.UTC(2024, 7, 8, 12));
  const scheduler = new ManualScheduler(clock);
  const log = createLogger({ level: 'silent' });
  const metrics = createMetrics({ build: { version: 'chaos' }, defaultMetrics: false });
  const proc = new FakeProcess(scheduler, supervised);
  const supervisor = supervised ? new Supervisor({ log, metrics, clock }) : new NoSupervisor({ log, metrics, clock });
  const { venue: sim, sequenceRule } = createVenue(config, clock, { manual: true });
  if (!(sim instanceof SimVenue)) throw new Error('the chaos runs on one simulated market');
  const venue = new ChaosVenue(sim, scheduler, config.risk.staleBookMs);
  const life = new Lifecycle({ port: proc, supervisor, log, shutdownTimeoutMs: config.engine.shutdownTimeoutMs });
  // What Node does with a rejection nobody handles: the last resort, or death.
  const onRejection = (err: unknown) => proc.escaped('unhandled-rejection', err);
  process.on('unhandledRejection', onRejection);
  const daemon = new Daemon({
    config, venue, sequenceRule, log, metrics, clock, supervisor, sleep: (ms) => scheduler.sleep(ms),
    ...(s.withModel ? { modelPath: MODEL } : {}),
    onFatal: (fault) => life.requestStop(`fault: ${fault.kind}`, EXIT.fault),
  });
  venue.daemon = daemon;
  life.attach(daemon);
  const symbol = sim.markets()[0]?.symbol ?? '';
  const loop = daemon.loops.get(symbol);
  if (loop === undefined) throw new Error('no market loop');
  let predictFaults = 0;
  const decisionInputs = loop.state.decisionInputs.bind(loop.state);
  Object.assign(loop.state, {
    decisionInputs: (nowNs: bigint) => {
      if (predictFaults > 0) {
        predictFaults -= 1;
        throw Object.assign(new Error('chaos: the model failed to run'), { code: 'MODEL_RUN' });
      }
      return decisionInputs(nowNs);
    },
  });
  // A halt's cancels settled (the venue showed none of ours there): none may appear there again.
  const settledHalts = new Set<string>();
  const pull = daemon.kill.pull.bind(daemon.kill);
  Object.assign(daemon.kill, {
    pull: async (symbols: readonly string[]) => {
      const outcome = await pull(symbols);
      if (outcome.ok) for (const sym of symbols) settledHalts.add(sym);
      return outcome;
    },
  });
  const allowedStops = new Set<string>();
  let exitCode: number | null = null;
  let requestedAtMs: number | null = null;
  void life.stopRequested.then(() => (requestedAtMs = clock.nowMs()));
  void life.finish().then((code) => (exitCode = code), (err: unknown) => proc.escaped('unhandled-rejection', err));

  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const ticker = () => {
    scheduler.schedule(config.engine.intervalMs, () => {
      proc.timer(() => void daemon.tick());
      ticker();
    });
  };
  const pumpFor = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10);
      proc.timer(() => scheduler.fire());
      proc.timer(() => venue.pump());
      await settle();
      if (proc.death !== null) return;
    }
  };
  const signal = (sig: HeldSignal) => {
    if (sig !== 'SIGUSR2') allowedStops.add(sig);
    proc.signal(sig);
  };
  const check = async (): Promise<string | null> => {
    if (proc.death !== null) return `the process died: ${proc.death}`;
    const requested = life.requested;
    if (requested !== null && !allowedStops.has(requested.reason)) return `stopped for a reason nobody gave it: ${requested.reason} (${supervisor.faults().map((f) => f.message).join("; ")})`;
    if (venue.violations.length > 0) return `placed on a bad book: ${JSON.stringify(venue.violations[0])}`;
    const limit = config.risk.maxPositionLots;
    const exchange = sim.account().position;
    const ledger = daemon.positions.position(symbol);
    if (Math.abs(exchange) > limit || Math.abs(ledger) > limit) return `position beyond ${limit}: exchange ${exchange}, ledger ${ledger}`;
    const open = await sim.openOrders(symbol);
    for (const o of open) {
      if (daemon.orders.order(o.clientId) === undefined) return `the venue has ${o.clientId}, unknown to the order manager`;
    }
    if (settledHalts.has(symbol) && open.length > 0) return `the halted market has ${open.length} order(s) of ours after its cancels settled`;
    return null;
  };

  try {
    await daemon.start({ timer: false });
    ticker();
    for (const a of s.actions) {
      if (exitCode !== null) break;
      switch (a.kind) {
        case 'advance': await pumpFor(a.ms); break;
        case 'venue':
          venue.arm(a.fault, a.times);
          if (a.fault === 'adapter-throws-venue-wide') allowedStops.add('fault: chaos-venue');
          break;
        case 'predict-throws': predictFaults += a.times; break;
        case 'corrupt-reload': proc.timer(() => supervisor.run({ kind: 'model-reload' }, () => daemon.reloadModel(CORRUPT_MODEL))); break;
        case 'signal': signal(a.signal); break;
      }
      await settle();
      const broken = await check();
      if (broken !== null) return broken;
    }
    if (life.requested === null) signal('SIGTERM');
    const bound = config.engine.shutdownTimeoutMs + HARD_STOP_GRACE_MS;
    let second = s.secondSignal;
    while (exitCode === null && proc.death === null && clock.nowMs() - (requestedAtMs ?? clock.nowMs()) <= bound + 1_000) {
      await pumpFor(10);
      if (second !== null && requestedAtMs !== null && clock.nowMs() - requestedAtMs >= second.afterMs) {
        signal(second.signal);
        second = null;
      }
      const broken = await check();
      if (broken !== null) return broken;
    }
    if (exitCode === null) return `the shutdown never ended (${clock.nowMs() - (requestedAtMs ?? 0)} ms)`;
    if (exitCode !== EXIT.clean && exitCode !== EXIT.fault) return `exit ${exitCode}`;
    const took = clock.nowMs() - (requestedAtMs ?? 0);
    if (took > config.engine.shutdownTimeoutMs + 100) return `the shutdown took ${took} ms`;
    // Nothing lands later: a place in flight at the end would show up now.
    for (let t = 0; t < 500; t += 10) {
      clock.advance(10);
      sim.exchange.advance(clock.nowNs());
    }
    const left = sim.exchange.openOrders().length + sim.exchange.inFlight;
    if (process.env['CHAOS_DEBUG'] === '1') {
      console.log(JSON.stringify({ t: clock.nowMs() - Date.UTC(2024, 7, 8, 12), exitCode, reason: life.requested?.reason, fills: sim.account().fills, position: sim.account().position, decisions: loop.decisions, injected: venue.injected.length, faults: supervisor.faults().map((f) => f.kind), fault: daemon.marketFault(symbol)?.kind, risk: daemon.risk.state(symbol), trips: daemon.risk.trips(symbol).map((t) => t.reason) }));
    }
    if (left > 0) return `after the shutdown the venue has ${left} order(s) of ours`;
    return null;
  } catch (err) {
    // What escaped the driver would have reached Node's event loop.
    proc.escaped('uncaught-exception', err);
    return proc.death === null ? null : `the process died: ${proc.death}`;
  } finally {
    process.off('unhandledRejection', onRejection);
    rmSync(recording, { force: true });
  }
}

describe('the daemon under chaos', () => {
  const supervised = process.env['CHAOS_UNSUPERVISED'] !== '1';

  it(`keeps every invariant after every step (${RUNS} runs${supervised ? '' : ', SUPERVISOR REMOVED'})`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const broken = await chaos(s, supervised);
        expect(broken).toBeNull();
      }),
      { numRuns: RUNS, ...(process.env['CHAOS_SEED'] === undefined ? {} : { seed: Number(process.env['CHAOS_SEED']) }) },
    );
  }, 600_000);

  it('has teeth: with the supervisor removed, a run breaks an invariant', async () => {
    const result = await fc.check(
      fc.asyncProperty(scenarioArb, async (s) => (await chaos(s, false)) === null),
      { numRuns: 100, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
  }, 120_000);
});
