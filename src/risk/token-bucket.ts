// Order-rate budget: a token bucket refilled continuously at `ratePerSecond`, holding at most
// `burst` tokens. Time comes from the caller (ms), so it is deterministic under a manual clock.

export class TokenBucket {
  private tokens: number;
  private lastMs: number | null = null;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  available(nowMs: number): number {
    this.refill(nowMs);
    return Math.floor(this.tokens);
  }

  /** Takes one token if there is one. */
  take(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(nowMs: number): void {
    if (this.lastMs !== null && nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.ratePerSecond) / 1000);
    }
    if (this.lastMs === null || nowMs > this.lastMs) this.lastMs = nowMs;
  }
}
