// The daemon on a manual clock: the same Daemon (its tick, its venue listener, its order and
// risk managers, its ledger) driven as fast as the host can run it instead of by timers, over
// the simulated venue. `flashmm run --speed max` and `flashmm compare` both run through here,
// so a backtest is the daemon's own run. Same inputs → the same fills and P&L: no wall clock,
// no randomness that reaches the market, no timers.
import type { Config } from '../config/schema.js';
import { ManualClock } from '../execution/clock.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { createVenue } from '../venues/create.js';
import { SimVenue } from '../venues/sim/sim-venue.js';
import type { Fill, OrderBatch, OrderEvent, Venue, VenueListener } from '../venues/venue.js';
import { Daemon } from './daemon.js';

/** Host clock at the start: fixed (not the wall clock), so runs repeat exactly. */
export const MANUAL_START_MS = Date.UTC(2024, 7, 8, 12);

export interface ManualRunOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly modelPath?: string;
  /** The venue is advanced every this many ms of market time (default 10). */
  readonly pumpMs?: number;
  /** Stop after this much market time, ms (default: until a replay ends; required for a generated market). */
  readonly durationMs?: number;
}

export interface ManualRunCounts {
  readonly decisions: number;
  readonly largeMoveDecisions: number;
  readonly ordersSent: number;
  readonly cancelsSent: number;
  readonly fillEvents: number;
  readonly maxAbsPosition: number;
}

export interface ManualRun {
  readonly daemon: Daemon;
  /** The simulated venue (one market): its exchange holds the recorded statistics. */
  readonly venue: SimVenue;
  readonly clock: ManualClock;
  readonly counts: ManualRunCounts;
  /** Every fill the daemon booked, in order. */
  readonly fills: readonly Fill[];
}

/** Counts what the daemon sends and receives, for the report; changes nothing. */
class CountingVenue implements Venue {
  readonly name: string;
  ordersSent = 0;
  cancelsSent = 0;
  readonly fills: Fill[] = [];

  constructor(private readonly inner: SimVenue, private readonly onFill: () => void) {
    this.name = inner.name;
  }

  markets() {
    return this.inner.markets();
  }

  connect(listener: VenueListener): Promise<void> {
    return this.inner.connect({
      ...listener,
      onMarketData: (symbol, batch) => listener.onMarketData(symbol, batch),
      onOrderEvent: (event: OrderEvent) => {
        listener.onOrderEvent(event);
        if (event.type === 'fill') {
          this.fills.push(event.fill);
          this.onFill();
        }
      },
    });
  }

  submit(batch: OrderBatch): Promise<void> {
    this.ordersSent += batch.places.length;
    this.cancelsSent += batch.cancels.length;
    return this.inner.submit(batch);
  }

  cancelAll(symbol?: string) {
    return this.inner.cancelAll(symbol);
  }

  openOrders(symbol: string) {
    return this.inner.openOrders(symbol);
  }

  close() {
    return this.inner.close();
  }
}

/** Lets the promise continuations of a decision run (its submit, its step record). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs the daemon of `config` (sim venue, one market) on a manual clock: every `pumpMs` the
 * clock advances and the venue delivers what happened; every `engine.intervalMs` the daemon
 * ticks; a large move decides at once inside the pump, as live. The venue records one
 * statistics step after each decision, and one more at the end once every report is in.
 */
export async function runOnManualClock(o: ManualRunOptions): Promise<ManualRun> {
  const pumpMs = o.pumpMs ?? 10;
  const intervalMs = o.config.engine.intervalMs;
  if (!(Number.isInteger(pumpMs) && pumpMs > 0 && intervalMs >= pumpMs)) {
    throw new Error(`pumpMs (${pumpMs}) must be a whole number of ms > 0 and at most engine.intervalMs (${intervalMs})`);
  }
  const clock = new ManualClock(MANUAL_START_MS);
  const { venue: created, sequenceRule } = createVenue(o.config, clock, { manual: true });
  if (!(created instanceof SimVenue)) throw new Error('a manual-clock run trades one market of the sim venue');
  const sim = created;
  if (o.durationMs === undefined && o.config.venue.kind === 'sim' && o.config.venue.replay === undefined) {
    throw new Error('a generated market never ends: give a duration');
  }
  let maxAbsPosition = 0;
  let decisions = 0;
  let daemon: Daemon | null = null;
  const venue = new CountingVenue(sim, () => {
    const symbol = sim.markets()[0]?.symbol ?? '';
    maxAbsPosition = Math.max(maxAbsPosition, Math.abs(daemon?.positions.position(symbol) ?? 0));
  });
  daemon = new Daemon({
    config: o.config, venue, sequenceRule, log: o.log, metrics: o.metrics, clock,
    ...(o.modelPath === undefined ? {} : { modelPath: o.modelPath }),
    sleep: async (ms) => {
      clock.advance(ms);
      sim.pump();
      await settle();
    },
    onDecision: () => {
      decisions += 1;
      sim.exchange.recordStep();
    },
  });
  await daemon.start({ timer: false });
  let scheduled = 0;
  let next = clock.nowMs() + intervalMs;
  const end = clock.nowMs() + (o.durationMs ?? Number.POSITIVE_INFINITY);
  while (!sim.exchange.finished && clock.nowMs() < end) {
    clock.advance(pumpMs);
    sim.pump();
    await settle();
    if (clock.nowMs() >= next) {
      next += intervalMs;
      scheduled += 1;
      await daemon.tick();
      await settle();
    }
  }
  // One last step once every report is in: every fill is in the statistics.
  clock.advance(Math.max(pumpMs, o.config.venue.kind === 'sim' ? o.config.venue.latency.responseMs + 1 : 0));
  sim.pump();
  await settle();
  sim.exchange.recordStep();
  return {
    daemon, venue: sim, clock, fills: venue.fills,
    counts: {
      decisions, largeMoveDecisions: decisions - scheduled, ordersSent: venue.ordersSent, cancelsSent: venue.cancelsSent,
      fillEvents: venue.fills.length, maxAbsPosition,
    },
  };
}
