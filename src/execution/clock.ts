// Injected time for risk and execution: nothing in these modules reads Date.now() itself, so
// tests and backtests are deterministic. The engine drives timeouts and watchdogs by calling
// `tick(now)`; no class here owns a timer.

export interface Clock {
  /** Wall-clock milliseconds since the epoch (timeouts, watchdogs, day boundaries). */
  nowMs(): number;
  /** Nanoseconds since the epoch, for event timestamps (bigint: a double loses ns past 2^53). */
  nowNs(): bigint;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowNs: () => BigInt(Date.now()) * 1_000_000n,
};

/** A clock that only moves when told to: tests, replays and backtests. */
export class ManualClock implements Clock {
  constructor(private ms: number = 0) {}

  nowMs(): number {
    return this.ms;
  }

  nowNs(): bigint {
    return BigInt(this.ms) * 1_000_000n;
  }

  advance(ms: number): number {
    this.ms += ms;
    return this.ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }
}
