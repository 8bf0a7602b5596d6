// One market's circuit breaker: a set of tripped conditions, the state being the worst of their
// severities. Automatic conditions clear themselves when their cause goes away; latched ones
// (losses, manual, kill) stay until an operator resets them. Every change of state is emitted.
import { worse, type BreakerReason, type BreakerState, type RiskTransition } from './events.js';

export type LatchedReason = 'daily-loss' | 'drawdown' | 'trailing-stop' | 'manual' | 'kill' | 'fault';
export type AutomaticReason = Exclude<BreakerReason, LatchedReason>;

/** Conditions whose trip says which state they force. */
type ChosenSeverity = 'manual' | 'storage';

/** The state each condition forces (manual and storage pick their own). */
export const SEVERITY: Readonly<Record<Exclude<BreakerReason, ChosenSeverity>, Exclude<BreakerState, 'active'>>> = {
  'daily-loss': 'halted',
  drawdown: 'reducing',
  'trailing-stop': 'halted',
  'position-limit': 'reducing',
  'stale-book': 'halted',
  disconnect: 'halted',
  'error-rate': 'halted',
  kill: 'halted',
  recovery: 'halted',
  fault: 'halted',
};

export interface Trip {
  readonly reason: BreakerReason;
  readonly severity: Exclude<BreakerState, 'active'>;
  readonly sinceMs: number;
  readonly detail: string;
}

export class Breaker {
  private readonly trips = new Map<BreakerReason, Trip>();
  private current: BreakerState = 'active';

  constructor(
    readonly symbol: string,
    private readonly emit: (event: RiskTransition) => void,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  isTripped(reason: BreakerReason): boolean {
    return this.trips.has(reason);
  }

  activeTrips(): readonly Trip[] {
    return [...this.trips.values()];
  }

  /** Trips `reason` (no-op if already tripped at the same severity). Returns true if newly tripped. */
  trip(reason: BreakerReason, detail: string, nowMs: number, severity?: Exclude<BreakerState, 'active'>): boolean {
    const level = reason === 'manual' || reason === 'storage' ? (severity ?? 'halted') : SEVERITY[reason];
    const existing = this.trips.get(reason);
    if (existing !== undefined && existing.severity === level) {
      // Same state, a newer reason (e.g. why a recovery halts): shown, no transition.
      if (existing.detail !== detail) this.trips.set(reason, { ...existing, detail });
      return false;
    }
    this.trips.set(reason, { reason, severity: level, sinceMs: nowMs, detail });
    this.settle(reason, 'tripped', detail, nowMs);
    return existing === undefined;
  }

  /** Clears an automatic condition whose cause has gone. */
  clear(reason: AutomaticReason, detail: string, nowMs: number): boolean {
    return this.remove(reason, detail, nowMs);
  }

  /** Operator reset of a latched condition. */
  reset(reason: LatchedReason, detail: string, nowMs: number): boolean {
    return this.remove(reason, detail, nowMs);
  }

  private remove(reason: BreakerReason, detail: string, nowMs: number): boolean {
    if (!this.trips.delete(reason)) return false;
    this.settle(reason, 'cleared', detail, nowMs);
    return true;
  }

  private settle(reason: BreakerReason, cause: 'tripped' | 'cleared', detail: string, nowMs: number): void {
    let next: BreakerState = 'active';
    for (const t of this.trips.values()) next = worse(next, t.severity);
    if (next === this.current) return;
    const from = this.current;
    this.current = next;
    this.emit({ symbol: this.symbol, from, to: next, reason, cause, detail, atMs: nowMs });
  }
}
