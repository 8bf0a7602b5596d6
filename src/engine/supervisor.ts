// The daemon's one supervisor. Every venue callback, timer, stream handler and task of the
// daemon runs under it (the venue gets it as its listener's `guard`): a fault is caught, counted
// (`flashmm_errors_total{kind}`), logged with its context, and handled by its scope. A site that
// names a market is that market's fault: the market is halted and its orders cancelled (the
// daemon's `onMarketFault`). Any other is the daemon's: the orderly shutdown runs
// (`onDaemonFault`). Nothing a venue or a handler throws reaches the event loop, so the process
// never dies with orders live. docs/daemon.md, "Faults".
import { errorMessage } from '../errors.js';
import type { Clock } from '../execution/clock.js';
import { createLogOnce, type LogOnce, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BadInput, FaultSite, Guard, OrderEvent, VenueListener } from '../venues/venue.js';

export type FaultScope = 'market' | 'daemon';

export interface Fault {
  readonly kind: string;
  readonly symbol: string | null;
  readonly scope: FaultScope;
  readonly message: string;
  readonly atMs: number;
}

export interface FaultHandlers {
  onMarketFault(symbol: string, fault: Fault): void;
  onDaemonFault(fault: Fault): void;
}

export interface SupervisorDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
}

const RECENT = 20;

export class Supervisor implements Guard {
  private handlers: FaultHandlers | null = null;
  private readonly recent: Fault[] = [];
  private readonly seen = new Set<string>();
  private readonly badInputOnce: LogOnce;

  constructor(private readonly deps: SupervisorDeps) {
    this.badInputOnce = createLogOnce(deps.log);
  }

  /** Who acts on faults (the daemon). Until then a fault is only counted and logged. */
  handle(handlers: FaultHandlers): void {
    this.handlers = handlers;
  }

  run(site: FaultSite, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fault(site, err);
    }
  }

  task(site: FaultSite, task: Promise<unknown>): void {
    task.then(undefined, (err: unknown) => this.fault(site, err));
  }

  /** A fault (caught here or by the caller): counted, logged, then handled by its scope. */
  fault(site: FaultSite, err: unknown): Fault {
    const fault = this.record(site, err);
    const handlers = this.handlers;
    if (handlers === null) return fault;
    try {
      if (fault.symbol !== null) handlers.onMarketFault(fault.symbol, fault);
      else handlers.onDaemonFault(fault);
    } catch (inner) {
      // Handling a market's fault failed: nothing is sure any more, so the daemon stops in order.
      if (fault.scope === 'market') this.fault({ kind: 'fault-handler' }, inner);
      else this.deps.log.fatal({ kind: fault.kind, err: errorMessage(inner) }, 'handling a daemon fault failed');
    }
    return fault;
  }

  /** Counts and logs a fault without acting on it (the caller decides what follows). */
  record(site: FaultSite, err: unknown): Fault {
    const symbol = site.symbol ?? null;
    const fault: Fault = {
      kind: site.kind, symbol, scope: symbol === null ? 'daemon' : 'market', message: errorMessage(err), atMs: this.deps.clock.nowMs(),
    };
    this.deps.metrics.errors.inc({ kind: site.kind });
    this.recent.push(fault);
    if (this.recent.length > RECENT) this.recent.shift();
    const key = `${site.kind}\u0000${symbol ?? ''}`;
    const fields = { kind: fault.kind, symbol, scope: fault.scope, err: fault.message, stack: err instanceof Error ? err.stack : undefined };
    if (this.seen.has(key)) {
      this.deps.log.debug(fields, 'fault again (counted in flashmm_errors_total)');
    } else {
      this.seen.add(key);
      this.deps.log.error(fields, fault.scope === 'market' ? 'market fault: halting the market' : 'daemon fault: stopping in order');
    }
    return fault;
  }

  /** The latest faults, oldest first (at most 20). */
  faults(): readonly Fault[] {
    return this.recent;
  }

  /** Counts skipped input and logs the first of each source, reason and market. */
  badInput(input: BadInput): void {
    this.deps.metrics.badInput.inc({ source: input.source, reason: input.reason }, input.count ?? 1);
    this.badInputOnce(
      `bad-input:${input.source}:${input.reason}:${input.symbol ?? ''}`,
      { source: input.source, reason: input.reason, symbol: input.symbol, detail: input.detail },
      'bad input skipped',
    );
  }

  /**
   * The listener a venue gets: each callback runs under the supervisor (market data and order
   * events as their market's, the connection as the daemon's), skipped input is counted, and the
   * venue's own timers and handlers run under `guard`.
   */
  listener(inner: VenueListener): VenueListener {
    return {
      onMarketData: (symbol, batch) => this.run({ kind: 'market-data', symbol }, () => inner.onMarketData(symbol, batch)),
      onOrderEvent: (event) => this.run({ kind: 'order-event', symbol: symbolOf(event) }, () => inner.onOrderEvent(event)),
      onConnection: (state, reason) => this.run({ kind: 'connection' }, () => inner.onConnection(state, reason)),
      onBadInput: (input) => this.run({ kind: 'bad-input' }, () => {
        this.badInput(input);
        inner.onBadInput?.(input);
      }),
      guard: this,
    };
  }
}

function symbolOf(event: OrderEvent): string {
  return event.type === 'fill' ? event.fill.symbol : event.symbol;
}
