// Tick-to-decision latency on the simulated venue: venue data in → market state (core) →
// quoting model → risk filter → order diff → batch out, per stage. The market runs on a manual
// clock (10 ms per step, a decision every 200 ms of market time), so the figures measure our
// code, not the timer. Per-stage p50/p99 are printed after the run; the bench's own row is one
// decision step (pump + book + decide + submit).
import { bench, describe } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { MarketLoop, marketStateOptions } from '../src/engine/market-loop.js';
import { ClientIdGenerator } from '../src/execution/client-id.js';
import { ManualClock } from '../src/execution/clock.js';
import { MarketState } from '../src/native.js';
import { OrderManager } from '../src/execution/order-manager.js';
import { PositionTracker } from '../src/execution/position.js';
import { riskLimitsFor } from '../src/risk/limits.js';
import { RiskManager } from '../src/risk/risk-manager.js';
import { createLogger } from '../src/telemetry/logger.js';
import { marketInfo } from '../src/venues/create.js';
import { SimVenue } from '../src/venues/sim/sim-venue.js';

const { config } = loadConfig({ env: 'development' });
const market = marketInfo(config.markets[0] ?? (() => { throw new Error('no market'); })());
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const limits = riskLimitsFor(config.risk, market);
if (!limits.ok) throw new Error(limits.error);
/** Native calls made through an object: every method called on it is one crossing. */
const calls = { batch: 0, decision: 0 };
let phase: 'batch' | 'decision' | 'other' = 'other';
function counted<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, p) {
      const v: unknown = Reflect.get(t, p, t);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (phase !== 'other') calls[phase] += 1;
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}
// The ledger is a native object per market: count the tracker's calls (each is one crossing).
const positions = counted(new PositionTracker());
const risk = new RiskManager({ [market.symbol]: limits.limits }, clock.nowMs());
const orders = new OrderManager({
  clock, ids: new ClientIdGenerator('bench'), positions, markets: [market], ackTimeoutMs: 10_000, orphanPolicy: 'cancel',
});
const venue = new SimVenue({ market, clock, pumpMs: 0, native: { initialPrice: '0.4000', seed: 7 } });
const state = counted(new MarketState(marketStateOptions(config.strategy, 'strict', 1e9)));
// The venue's native exchange: its advance is the venue batch's own read.
const internals = venue as unknown as { native: object };
internals.native = counted(internals.native);
const loop = new MarketLoop({
  market, state, strategy: config.strategy, maxPositionLots: limits.limits.maxPositionLots,
  risk, orders, positions, send: (batch) => venue.submit(batch), log: createLogger({ level: 'silent' }),
});

const samples: Record<'book' | 'quote' | 'risk' | 'diff' | 'decision' | 'inToOut' | 'callsPerBatch' | 'callsPerDecision', number[]> = {
  book: [], quote: [], risk: [], diff: [], decision: [], inToOut: [], callsPerBatch: [], callsPerDecision: [],
};
let bookMs = 0;
await venue.connect({
  onMarketData: (_s, batch) => {
    const t0 = performance.now();
    loop.onMarketData(batch, clock.nowMs());
    bookMs = performance.now() - t0;
    samples.book.push(bookMs * 1e3);
  },
  onOrderEvent: (e) => orders.onEvent(e),
  onConnection: (state) => risk.onConnection(state, clock.nowMs()),
});

let step = 0;
function decisionStep(): void {
  for (let i = 0; i < 20; i++) {
    clock.advance(10);
    bookMs = 0;
    const before = calls.batch;
    phase = 'batch';
    venue.pump();
    phase = 'other';
    if (bookMs > 0) samples.callsPerBatch.push(calls.batch - before);
  }
  orders.tick(clock.nowMs());
  risk.tick(clock.nowMs());
  const before = calls.decision;
  phase = 'decision';
  const record = loop.compute(clock.nowMs(), clock.nowNs());
  phase = 'other';
  samples.callsPerDecision.push(calls.decision - before);
  void venue.submit(record.batch);
  samples.quote.push(record.stages.quote * 1e6);
  samples.risk.push(record.stages.risk * 1e6);
  samples.diff.push(record.stages.diff * 1e6);
  samples.decision.push(record.stages.total * 1e6);
  samples.inToOut.push(bookMs * 1e3 + record.stages.total * 1e6);
  step++;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
}

describe('tick to decision (simulated venue, µs)', () => {
  // The venue (re)connects inside the listener; risk needs to see it connected.
  risk.onConnection('connected', clock.nowMs());
  bench('one decision step: 200 ms of generated market + decide + submit', decisionStep, { time: 3_000, teardown: report });
});

/** Prints the per-stage percentiles (tinybench calls teardown after warm-up and after the run). */
function report(_task: unknown, mode: string): void {
  if (mode !== 'run') return;
  const rows = Object.entries(samples).map(([stage, xs]) =>
    stage.startsWith('calls')
      ? `${stage.padEnd(16)} n=${String(xs.length).padStart(7)}  median ${percentile(xs, 0.5)}  max ${xs.reduce((a, b) => Math.max(a, b), 0)} native calls`
      : `${stage.padEnd(16)} n=${String(xs.length).padStart(7)}  p50 ${percentile(xs, 0.5).toFixed(1).padStart(8)} µs  p99 ${percentile(xs, 0.99).toFixed(1).padStart(8)} µs`);
  process.stderr.write(`\ndecision steps: ${step}, position ${positions.position(market.symbol)} lots\n${rows.join('\n')}\n`);
}
