// The daemon as a process: what stops it (SIGINT/SIGTERM, the end of --duration, a daemon-wide
// fault, and as the last line of defence an uncaughtException or unhandledRejection), the one
// orderly shutdown each of them runs (every order cancelled until the venue shows none), its
// bound, and the exit code. SIGUSR2 engages the kill switch. A signal during the shutdown is
// logged and changes nothing: the cancels always run to the end or to the bound.
import { claimSignals, HELD_SIGNALS, releaseSignals, type HeldSignal } from '../early-signals.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Daemon, ShutdownReport } from './daemon.js';
import type { Supervisor } from './supervisor.js';

/** The exit codes of `flashmm run` (docs/daemon.md, "Exit codes"). */
export const EXIT = {
  /** Stopped on request (signal, --duration, end of a replay) with no order left open. */
  clean: 0,
  /** The shutdown ended (or hit engine.shutdownTimeoutMs) with orders still open on the venue. */
  ordersLeft: 1,
  /** The shutdown hung past its bound and was cut off. */
  shutdownHung: 2,
  /** A daemon-wide fault (or an uncaught exception) stopped it; no order left open. */
  fault: 3,
  /** The configuration is invalid; nothing started. */
  config: 78,
} as const;

/** How long past engine.shutdownTimeoutMs a shutdown may run before the process is cut off. */
export const HARD_STOP_GRACE_MS = 2_000;

export type LastResort = 'uncaught-exception' | 'unhandled-rejection';

/** What the lifecycle needs from the process (the real one, or a stand-in in tests). */
export interface ProcessPort {
  /** Delivers SIGINT, SIGTERM and SIGUSR2, those received before included; returns the release. */
  onSignal(handler: (signal: HeldSignal) => void): () => void;
  /** Delivers uncaughtException and unhandledRejection; returns the release. */
  onLastResort(handler: (kind: LastResort, error: unknown) => void): () => void;
  /** Calls `fn` after `ms` (without keeping the process alive); returns the cancel. */
  schedule(ms: number, fn: () => void): () => void;
  exit(code: number): void;
}

/** The Node process: signals held since the CLI's first line (early-signals.ts). */
export function nodeProcess(): ProcessPort {
  return {
    onSignal: (handler) => {
      const release = claimSignals(handler);
      return () => {
        // The shutdown has run: a signal while the process drains ends it at once with the exit
        // code decided (process.exitCode), not by the default action (a death by signal). These
        // go on before the held ones come off: with no listener left for a moment, Node restores
        // the default disposition, and a signal arriving then kills the process.
        for (const s of HELD_SIGNALS) process.on(s, () => process.exit());
        release();
        releaseSignals();
      };
    },
    onLastResort: (handler) => {
      const onException = (error: unknown) => handler('uncaught-exception', error);
      const onRejection = (error: unknown) => handler('unhandled-rejection', error);
      process.on('uncaughtException', onException);
      process.on('unhandledRejection', onRejection);
      return () => {
        process.off('uncaughtException', onException);
        process.off('unhandledRejection', onRejection);
      };
    },
    schedule: (ms, fn) => {
      const timer = setTimeout(fn, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
    exit: (code) => process.exit(code),
  };
}

export interface StopRequest {
  readonly reason: string;
  /** The exit code if the shutdown leaves nothing open: clean or fault. */
  readonly code: typeof EXIT.clean | typeof EXIT.fault;
}

export interface LifecycleDeps {
  readonly port: ProcessPort;
  readonly supervisor: Supervisor;
  readonly log: Logger;
  readonly shutdownTimeoutMs: number;
}

export class Lifecycle {
  /** Resolves with the first stop request. */
  readonly stopRequested: Promise<StopRequest>;
  private request: StopRequest | null = null;
  private resolveStop: (request: StopRequest) => void = () => undefined;
  private daemon: Daemon | null = null;
  private pendingKill = false;
  private shutdown: Promise<number> | null = null;
  private readonly releases: (() => void)[] = [];

  constructor(private readonly deps: LifecycleDeps) {
    this.stopRequested = new Promise((resolve) => {
      this.resolveStop = resolve;
    });
    this.releases.push(deps.port.onSignal((signal) => this.onSignal(signal)));
    this.releases.push(deps.port.onLastResort((kind, error) => this.onLastResort(kind, error)));
  }

  /** The stop asked for so far, if any. */
  get requested(): StopRequest | null {
    return this.request;
  }

  /** The daemon to stop; a SIGUSR2 received before it existed engages its kill switch now. */
  attach(daemon: Daemon): void {
    this.daemon = daemon;
    if (this.pendingKill) this.engageKill('SIGUSR2 (received during start-up)');
  }

  /** Asks for the orderly shutdown; the first request wins, later ones are logged. */
  requestStop(reason: string, code: StopRequest['code'] = EXIT.clean): void {
    if (this.request !== null) {
      this.deps.log.warn({ reason, stopping: this.request.reason }, 'already stopping: the shutdown runs to its end');
      return;
    }
    this.request = { reason, code };
    this.resolveStop(this.request);
  }

  /**
   * Waits for a stop request, runs the daemon's orderly shutdown (bounded: past
   * shutdownTimeoutMs + 2 s the process is cut off with exit 2) and returns the exit code.
   */
  finish(): Promise<number> {
    this.shutdown ??= this.runShutdown();
    return this.shutdown;
  }

  /** Releases the signals and the last-resort handlers (the process's defaults apply again). */
  dispose(): void {
    for (const release of this.releases.splice(0)) release();
  }

  private async runShutdown(): Promise<number> {
    const request = await this.stopRequested;
    const { port, log, shutdownTimeoutMs } = this.deps;
    const cancelHardStop = port.schedule(shutdownTimeoutMs + HARD_STOP_GRACE_MS, () => {
      log.fatal({ reason: request.reason, boundMs: shutdownTimeoutMs + HARD_STOP_GRACE_MS }, 'shutdown timed out: exiting with orders possibly open');
      port.exit(EXIT.shutdownHung);
    });
    let report: ShutdownReport | null = null;
    try {
      report = this.daemon === null ? null : await this.daemon.stop(request.reason);
    } finally {
      cancelHardStop();
    }
    if (report === null) log.info({ reason: request.reason }, 'stopped before start: nothing was placed');
    return exitCode(request, report);
  }

  private onSignal(signal: HeldSignal): void {
    if (signal === 'SIGUSR2') {
      if (this.request !== null) this.deps.log.warn({ signal }, 'already stopping: the shutdown cancels every order');
      else if (this.daemon === null) this.pendingKill = true;
      else this.engageKill('SIGUSR2');
      return;
    }
    this.requestStop(signal);
  }

  private onLastResort(kind: LastResort, error: unknown): void {
    // The supervisor missed it: count and log it like any fault, then stop in order.
    this.deps.supervisor.record({ kind }, error);
    this.requestStop(`${kind}: ${errorMessage(error)}`, EXIT.fault);
  }

  private engageKill(detail: string): void {
    const daemon = this.daemon;
    if (daemon === null) return;
    // The emergency stop: cancel everything, stop quoting (latched until a restart); the daemon
    // keeps running so its state can be inspected.
    this.deps.supervisor.task({ kind: 'kill-switch' }, daemon.kill.engage(detail).then((outcome) => {
      this.deps.log.warn({ outcome }, 'kill switch settled');
    }));
  }
}

function exitCode(request: StopRequest, report: ShutdownReport | null): number {
  if (report !== null && report.openOrders !== 0) return EXIT.ordersLeft;
  return request.code;
}
