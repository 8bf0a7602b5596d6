// Circuit-breaker states and the structured transition events the risk manager emits. The lead
// wires `RiskEvents` to pino (one log line per transition) and a prom-client gauge
// (`breakerStateValue`).

/** active: quoting normally; reducing: only inventory-reducing quotes; halted: nothing, orders pulled. */
export type BreakerState = 'active' | 'reducing' | 'halted';

export type BreakerReason =
  | 'daily-loss' // halted, latched: manual reset
  | 'drawdown' // reducing, latched: manual reset
  | 'trailing-stop' // halted, latched: equity fell trailingStopPct from its peak: manual reset
  | 'position-limit' // reducing while |position| > limit (e.g. limit lowered): automatic
  | 'stale-book' // halted while no market data within staleBookMs: automatic
  | 'disconnect' // halted while the venue is disconnected longer than disconnectMs: automatic
  | 'error-rate' // halted while errors exceed maxErrors per errorWindowMs: automatic
  | 'manual' // operator's choice of reducing or halted, latched: manual reset
  | 'storage' // Redis unreachable or catching up: the configured policy's state (storage.redis.onDisconnect), automatic
  | 'recovery' // halted until restart recovery from Redis has reconciled with the venue: cleared by the engine only
  | 'fault' // a fault in this market's code path (the supervisor caught it): halted, latched until a restart
  | 'kill'; // kill switch: halted everywhere, latched, cancel-all: manual reset

export interface RiskTransition {
  readonly symbol: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** The condition whose trip or clearing caused the change. */
  readonly reason: BreakerReason;
  readonly cause: 'tripped' | 'cleared';
  readonly detail: string;
  readonly atMs: number;
}

export interface KillEvent {
  readonly detail: string;
  readonly automatic: boolean;
  readonly atMs: number;
}

export interface RiskEvents {
  onTransition?(event: RiskTransition): void;
  /** The kill switch fired (manual or automatic): cancel everything (see KillSwitch). */
  onKill?(event: KillEvent): void;
}

const SEVERITY: Readonly<Record<BreakerState, number>> = { active: 0, reducing: 1, halted: 2 };

/** Gauge value: 0 active, 1 reducing, 2 halted. */
export function breakerStateValue(state: BreakerState): number {
  return SEVERITY[state];
}

export function worse(a: BreakerState, b: BreakerState): BreakerState {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}
