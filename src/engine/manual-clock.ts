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
import type { Fault, Supervisor } from './supervisor.js';

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
  /**
   * Trade only over this span of a replayed recording's own clock (exchange ns, both ends
   * included): until `fromNs` the daemon follows the market paused (a manual halt: its book,
   * features, model and estimators run, it sends no order, no step is recorded); its first
   * recorded decision is at `fromNs`, its last at `untilNs`, where the run ends. Steps then
   * start and end exactly there (to the ms of the host's clock). Not with `durationMs`.
   */
  readonly window?: ReplayWindow;
  /** The process's supervisor (`flashmm run`); default the daemon's own. */
  readonly supervisor?: Supervisor;
  /** Checked before each pump: true ends the run early (a signal). */
  readonly stopRequested?: () => boolean;
  /** The daemon, once built (before it starts). */
  readonly onDaemon?: (daemon: Daemon) => void;
  /** A daemon-wide fault (see DaemonDeps.onFatal). */
  readonly onFatal?: (fault: Fault) => void;
}

/** A span of a recording's own clock (exchange ns). */
export interface ReplayWindow {
  readonly fromNs: bigint;
  readonly untilNs: bigint;
}

/** The window on the host's clock (ms), once the replay has read its first event (its origin). */
function hostWindow(sim: SimVenue, window: ReplayWindow): { readonly fromMs: number; readonly untilMs: number } {
  const ms = (exchangeNs: bigint): number => {
    const host = sim.exchange.hostTimeOf(exchangeNs);
    if (host === null) throw new Error('a replay window needs a recording replay that has started');
    return Number((host + 999_999n) / 1_000_000n); // the first ms at or after it
  };
  const span = { fromMs: ms(window.fromNs), untilMs: ms(window.untilNs) };
  if (!(span.fromMs <= span.untilMs)) throw new Error(`replay window ${window.fromNs}..${window.untilNs} ns is empty`);
  return span;
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
  if (o.window !== undefined && o.durationMs !== undefined) throw new Error('give a replay window or a duration, not both');
  let maxAbsPosition = 0;
  let decisions = 0;
  /** Decisions are recorded (as statistics steps) inside the window only; always without one. */
  let inWindow = o.window === undefined;
  let daemon: Daemon | null = null;
  const venue = new CountingVenue(sim, () => {
    const symbol = sim.markets()[0]?.symbol ?? '';
    maxAbsPosition = Math.max(maxAbsPosition, Math.abs(daemon?.positions.position(symbol) ?? 0));
  });
  daemon = new Daemon({
    config: o.config, venue, sequenceRule, log: o.log, metrics: o.metrics, clock,
    ...(o.modelPath === undefined ? {} : { modelPath: o.modelPath }),
    ...(o.supervisor === undefined ? {} : { supervisor: o.supervisor }),
    ...(o.onFatal === undefined ? {} : { onFatal: o.onFatal }),
    sleep: async (ms) => {
      clock.advance(ms);
      sim.pump();
      await settle();
    },
    onDecision: () => {
      if (!inWindow) return;
      decisions += 1;
      sim.exchange.recordStep();
    },
  });
  o.onDaemon?.(daemon);
  const symbol = sim.markets()[0]?.symbol ?? '';
  if (o.window !== undefined) daemon.pause(symbol, 'before the backtest window');
  await daemon.start({ timer: false });
  const span = o.window === undefined ? null : hostWindow(sim, o.window);
  if (span !== null && span.fromMs < clock.nowMs()) throw new Error('the replay window starts before the replay');
  let scheduled = 0;
  let next = clock.nowMs() + intervalMs;
  const end = span?.untilMs ?? clock.nowMs() + (o.durationMs ?? Number.POSITIVE_INFINITY);
  while (!sim.exchange.finished && clock.nowMs() < end && o.stopRequested?.() !== true) {
    // Before the window, the last pump lands on its first ms.
    clock.advance(span !== null && !inWindow ? Math.max(0, Math.min(pumpMs, span.fromMs - clock.nowMs())) : pumpMs);
    sim.pump();
    await settle();
    if (span !== null && !inWindow && clock.nowMs() >= span.fromMs) {
      inWindow = true;
      daemon.resume(symbol);
      next = clock.nowMs(); // the window's first decision, then every interval
    }
    if (clock.nowMs() >= next) {
      next += intervalMs;
      if (inWindow) scheduled += 1;
      await daemon.tick();
      await settle();
    }
  }
  // Without a window, one last step once every report is in: every fill is in the statistics.
  // With one, the steps end at the window's last decision.
  if (span === null) {
    clock.advance(Math.max(pumpMs, o.config.venue.kind === 'sim' ? o.config.venue.latency.responseMs + 1 : 0));
    sim.pump();
    await settle();
    sim.exchange.recordStep();
  }
  return {
    daemon, venue: sim, clock, fills: venue.fills,
    counts: {
      decisions, largeMoveDecisions: decisions - scheduled, ordersSent: venue.ordersSent, cancelsSent: venue.cancelsSent,
      fillEvents: venue.fills.length, maxAbsPosition,
    },
  };
}
