// The kill switch: risk manager latched halted on every market, every order cancelled on the
// venue (venue.cancelAll also catches orders we have no record of), local state reconciled
// with the venue until it shows no open orders, and the order manager blocked from placing
// until an operator resets it. Fires on `engage` (manual) or on the risk manager's automatic
// kill (limits.autoKillOn).
import type { Clock } from '../execution/clock.js';
import type { ReconcileReport } from '../execution/reconcile.js';
import type { OrderBatch, Venue, VenueOrder } from '../venues/venue.js';
import type { ResetResult, RiskManager } from './risk-manager.js';
import { errorMessage } from '../errors.js';

/** The part of the order manager the kill switch drives. */
export interface KillTarget {
  cancelAll(symbol: string, nowMs: number): OrderBatch;
  reconcile(symbol: string, venueOrders: readonly VenueOrder[], nowMs: number): ReconcileReport;
  resume(symbol: string): void;
}

export type KillOutcome =
  | { readonly ok: true; readonly rounds: number }
  | { readonly ok: false; readonly remaining: Readonly<Record<string, number>>; readonly errors: readonly string[] };

export interface KillSwitchDeps {
  readonly risk: RiskManager;
  readonly orders: KillTarget;
  readonly venue: Pick<Venue, 'cancelAll' | 'openOrders'>;
  readonly clock: Clock;
  /** cancel-all → check rounds before giving up and reporting what is left (default 20). */
  readonly maxRounds?: number;
  /**
   * Wait between rounds, ms (default 100): cancels take a venue round trip (the simulated
   * venue's latency, a block on a chain), so an order seen right after cancel-all is usually
   * already being cancelled.
   */
  readonly roundDelayMs?: number;
}

export class KillSwitch {
  private running: Promise<KillOutcome> | null = null;

  constructor(private readonly deps: KillSwitchDeps) {
    deps.risk.subscribe({ onKill: () => void this.cancelEverything() });
  }

  /** Manual kill. Resolves when the venue shows no open orders (or after maxRounds tries). */
  engage(detail: string): Promise<KillOutcome> {
    if (this.deps.risk.isKilled()) return this.cancelEverything(); // again: idempotent
    this.deps.risk.kill(detail, this.deps.clock.nowMs());
    return this.running ?? this.cancelEverything();
  }

  /** The outcome of the latest cancel-everything run, if one was started. */
  settled(): Promise<KillOutcome> | null {
    return this.running;
  }

  /** Operator reset: unlatches the risk manager and unblocks the order manager. */
  async reset(): Promise<ResetResult> {
    if (this.running !== null) await this.running;
    const result = this.deps.risk.reset('all', 'kill', this.deps.clock.nowMs());
    if (result.ok) for (const symbol of this.deps.risk.symbols()) this.deps.orders.resume(symbol);
    this.running = null;
    return result;
  }

  private cancelEverything(): Promise<KillOutcome> {
    const previous = this.running ?? Promise.resolve<KillOutcome>({ ok: true, rounds: 0 });
    // Runs are chained so two kills never interleave their cancel/reconcile rounds.
    this.running = previous.then(() => this.run());
    return this.running;
  }

  private async run(): Promise<KillOutcome> {
    const { orders, venue, clock } = this.deps;
    const symbols = this.deps.risk.symbols();
    const errors: string[] = [];
    const remaining: Record<string, number> = {};
    const maxRounds = this.deps.maxRounds ?? 20;
    const delayMs = this.deps.roundDelayMs ?? 100;
    let rounds = 0;
    for (const symbol of symbols) orders.cancelAll(symbol, clock.nowMs());
    let pending = [...symbols];
    while (pending.length > 0 && rounds < maxRounds) {
      if (rounds > 0 && delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      rounds += 1;
      const still: string[] = [];
      for (const symbol of pending) {
        try {
          await venue.cancelAll(symbol);
          const open = await venue.openOrders(symbol);
          orders.reconcile(symbol, open, clock.nowMs());
          remaining[symbol] = open.length;
          if (open.length > 0) still.push(symbol);
        } catch (error) {
          errors.push(`${symbol}: ${errorMessage(error)}`);
          still.push(symbol);
        }
      }
      pending = still;
    }
    if (pending.length === 0) return { ok: true, rounds };
    return { ok: false, remaining: Object.fromEntries(pending.map((s) => [s, remaining[s] ?? -1])), errors };
  }
}
