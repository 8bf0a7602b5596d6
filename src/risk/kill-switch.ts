// The kill switch: risk manager latched halted on every market, every order cancelled on the
// venue (venue.cancelAll also catches orders we have no record of), local state reconciled
// with the venue until it shows no open orders, and the order manager blocked from placing
// until an operator resets it. Fires on `engage` (manual) or on the risk manager's automatic
// kill (limits.autoKillOn). On a trading account shared with other daemons (sharded markets)
// "every order" means every order of ours: cancel-all would take the other daemons' orders
// too, so our own are cancelled by id instead, and only ours are waited for.
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
  /** Whether an order on the venue is ours (used on a shared account only). */
  owns(clientId: string): boolean;
}

export type KillOutcome =
  | { readonly ok: true; readonly rounds: number }
  | { readonly ok: false; readonly remaining: Readonly<Record<string, number>>; readonly errors: readonly string[] };

export interface KillSwitchDeps {
  readonly risk: RiskManager;
  readonly orders: KillTarget;
  readonly venue: Pick<Venue, 'cancelAll' | 'openOrders' | 'submit'>;
  readonly clock: Clock;
  /** The venue account is shared with other daemons (`--shard`): cancel and count only our orders. */
  readonly sharedAccount?: boolean;
  /** cancel-all → check rounds before giving up and reporting what is left (default 20). */
  readonly maxRounds?: number;
  /**
   * Wait between rounds, ms (default 100): cancels take a venue round trip (the simulated
   * venue's latency, a block on a chain), so an order seen right after cancel-all is usually
   * already being cancelled.
   */
  readonly roundDelayMs?: number;
  /** Waits between rounds (default a timer; a manual clock advances instead). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class KillSwitch {
  private running: Promise<KillOutcome> | null = null;
  private tail: Promise<KillOutcome> = Promise.resolve({ ok: true, rounds: 0 });

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

  /**
   * The same cancel-and-check rounds for some markets only, without killing: a market halted by
   * a fault (the risk manager holds it halted; its places stay blocked until a restart).
   */
  pull(symbols: readonly string[]): Promise<KillOutcome> {
    return this.chain(() => this.run(symbols));
  }

  private cancelEverything(): Promise<KillOutcome> {
    this.running = this.chain(() => this.run(this.deps.risk.symbols()));
    return this.running;
  }

  /** Runs are chained so two rounds of cancels never interleave their cancel/reconcile rounds. */
  private chain(next: () => Promise<KillOutcome>): Promise<KillOutcome> {
    const previous = this.tail;
    const run = previous.then(next);
    this.tail = run.catch(() => ({ ok: true, rounds: 0 }) as const);
    return run;
  }

  private async run(symbols: readonly string[]): Promise<KillOutcome> {
    const { orders, venue, clock } = this.deps;
    const errors: string[] = [];
    const remaining: Record<string, number> = {};
    const maxRounds = this.deps.maxRounds ?? 20;
    const delayMs = this.deps.roundDelayMs ?? 100;
    let rounds = 0;
    for (const symbol of symbols) orders.cancelAll(symbol, clock.nowMs());
    let pending = [...symbols];
    while (pending.length > 0 && rounds < maxRounds) {
      if (rounds > 0 && delayMs > 0) await (this.deps.sleep ?? sleep)(delayMs);
      rounds += 1;
      const still: string[] = [];
      for (const symbol of pending) {
        try {
          const open = await this.sweep(symbol);
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

  /**
   * One cancel pass over `symbol`: cancel-all, or on a shared account a cancel of each order of
   * ours by id. Returns our orders still open after it (being cancelled, most of them).
   */
  async sweep(symbol: string): Promise<readonly VenueOrder[]> {
    const { venue } = this.deps;
    if (this.deps.sharedAccount !== true) {
      await venue.cancelAll(symbol);
      return venue.openOrders(symbol);
    }
    const mine = await this.openOf(symbol);
    if (mine.length > 0) await venue.submit({ cancels: mine.map((o) => ({ clientId: o.clientId, symbol })), places: [] });
    return this.openOf(symbol);
  }

  /** Our open orders on `symbol` as the venue shows them (on a shared account, the others' left out). */
  async openOf(symbol: string): Promise<readonly VenueOrder[]> {
    const open = await this.deps.venue.openOrders(symbol);
    return this.deps.sharedAccount === true ? open.filter((o) => this.deps.orders.owns(o.clientId)) : open;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
