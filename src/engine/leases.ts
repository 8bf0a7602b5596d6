// Markets sharded over daemons (`flashmm run --shard`, docs/storage.md "Sharding"): the daemon
// quotes only the markets whose lease it holds. Every `renewMs` it renews its leases and, up to
// its fair share (markets / live daemons, rounded up), tries to take free ones; above its share
// it hands one back (pulled first, then released: another takes it at once). A lease it cannot
// renew (refused, or Redis unanswered) is lost at that moment: the market is pulled at once,
// before the lease can expire and be taken; a local timer also pulls it before its expiry if no
// renew succeeded meanwhile. A market taken is restored from Redis and reconciled before it quotes.
import { errorMessage } from '../errors.js';
import type { Clock } from '../execution/clock.js';
import type { LeaseHolder, LeaseStore } from '../storage/leases.js';
import type { Logger } from '../telemetry/logger.js';

export interface MarketLeasesDeps {
  readonly store: LeaseStore;
  readonly symbols: readonly string[];
  readonly owner: string;
  readonly ttlMs: number;
  readonly renewMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** The lease was taken: restore and reconcile, then quote. */
  readonly onAcquired: (symbol: string, token: number) => void;
  /** The lease is lost or being handed back: stop quoting and pull the market's orders. */
  readonly onLost: (symbol: string, reason: string) => Promise<void>;
}

interface Held {
  readonly token: number;
  /** The lease's expiry as of the last successful renew, on our clock (the renew's start + ttl). */
  validUntilMs: number;
  timer: NodeJS.Timeout | null;
}

export interface ShardStatus {
  readonly owner: string;
  readonly leaseTtlMs: number;
  /** Each market's lease holder as last seen (null: free), and whether it is this daemon. */
  readonly markets: Readonly<Record<string, { readonly holder: string | null; readonly fence: number | null; readonly mine: boolean }>>;
}

export class MarketLeases {
  private readonly held = new Map<string, Held>();
  /** Markets being pulled after a loss (their order events are still ours until the pull ends): the pull. */
  private readonly releasing = new Map<string, Promise<void>>();
  private readonly seen = new Map<string, LeaseHolder | null>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: MarketLeasesDeps) {
    for (const s of deps.symbols) this.seen.set(s, null);
  }

  start(): void {
    this.timer = setInterval(() => void this.round(), this.deps.renewMs);
    void this.round();
  }

  /** Whether this daemon quotes `symbol` now. */
  holds(symbol: string): boolean {
    return this.held.has(symbol);
  }

  /** Whether `symbol`'s order events are still this daemon's (held, or being pulled). */
  owns(symbol: string): boolean {
    return this.held.has(symbol) || this.releasing.has(symbol);
  }

  ownedSymbols(): string[] {
    return this.deps.symbols.filter((s) => this.owns(s));
  }

  status(): ShardStatus {
    const markets: Record<string, { holder: string | null; fence: number | null; mine: boolean }> = {};
    for (const s of this.deps.symbols) {
      const mine = this.held.get(s);
      const seen = this.seen.get(s) ?? null;
      markets[s] = mine !== undefined ? { holder: this.deps.owner, fence: mine.token, mine: true } : { holder: seen?.owner ?? null, fence: seen?.token ?? null, mine: false };
    }
    return { owner: this.deps.owner, leaseTtlMs: this.deps.ttlMs, markets };
  }

  /**
   * Redis refused a write of `symbol` made under lease `token`: a later lease (`current`) was
   * issued, so ours is gone even if no renew has failed yet (a paused process, a late write).
   * Lost at once if it is the lease we hold; a write left over from an earlier holding changes nothing.
   */
  fenced(symbol: string, token: number, current: number): void {
    if (this.held.get(symbol)?.token !== token) return;
    void this.lose(symbol, `a write was refused: its fencing token ${token} is older than the market's ${current} (another daemon took the lease)`);
  }

  /** One round at a time: renew what we hold, then take or hand back to reach the fair share. */
  round(): Promise<void> {
    if (this.running !== null || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.roundOnce().catch((err: unknown) => this.deps.log.error({ err: errorMessage(err) }, 'lease round failed')).finally(() => (this.running = null));
    return this.running;
  }

  private async roundOnce(): Promise<void> {
    const { store, owner, ttlMs, symbols } = this.deps;
    await Promise.all([...this.held.keys()].map((s) => this.renew(s)));
    let alive: number;
    try {
      alive = await store.members(owner, ttlMs);
    } catch {
      return; // Redis unreachable: the renews above have already pulled what they must
    }
    const share = Math.ceil(symbols.length / Math.max(1, alive));
    if (this.held.size > share) {
      const [giveBack] = [...this.held.keys()].slice(-1);
      if (giveBack !== undefined) this.handBack(giveBack, `above the fair share (${share} of ${symbols.length} markets for ${alive} daemons)`);
      return;
    }
    for (const symbol of symbols) {
      if (this.stopped || this.held.size >= share) return;
      if (this.owns(symbol)) continue;
      await this.tryAcquire(symbol);
    }
  }

  private async tryAcquire(symbol: string): Promise<void> {
    const { store, owner, ttlMs, clock, log } = this.deps;
    const startMs = clock.nowMs();
    let holder: LeaseHolder;
    try {
      holder = await store.acquire(symbol, owner, ttlMs);
    } catch {
      return;
    }
    this.seen.set(symbol, holder);
    if (holder.owner !== owner || this.stopped) return;
    if (!holder.fresh) return; // our name on a lease we did not just take: an earlier run's, left to expire
    this.hold(symbol, { token: holder.token, validUntilMs: startMs + ttlMs, timer: null });
    log.info({ symbol, fence: holder.token, ttlMs }, 'market lease taken: restoring and reconciling before quoting');
    this.deps.onAcquired(symbol, holder.token);
  }

  private async renew(symbol: string): Promise<void> {
    const held = this.held.get(symbol);
    if (held === undefined) return;
    const startMs = this.deps.clock.nowMs();
    let ok: boolean;
    let why = 'the lease is no longer ours (expired or taken)';
    try {
      ok = await this.deps.store.renew(symbol, { owner: this.deps.owner, token: held.token }, this.deps.ttlMs);
    } catch (err) {
      ok = false;
      why = `cannot renew: ${errorMessage(err)}`;
    }
    if (this.held.get(symbol) !== held) return;
    if (ok) {
      held.validUntilMs = startMs + this.deps.ttlMs;
      this.hold(symbol, held);
    } else void this.lose(symbol, why);
  }

  /** Arms the local guard: pulled a renew interval before the expiry unless renewed meanwhile. */
  private hold(symbol: string, held: Held): void {
    if (held.timer !== null) clearTimeout(held.timer);
    const guardMs = Math.max(0, held.validUntilMs - this.deps.renewMs - this.deps.clock.nowMs());
    held.timer = setTimeout(() => void this.lose(symbol, 'no renew succeeded before the lease ran out'), guardMs);
    this.held.set(symbol, held);
  }

  /**
   * Stops quoting `symbol` now and pulls its orders, then (a hand-back) releases its lease. The
   * pull is not awaited by the round: it can take several venue round trips (the kill switch's
   * rounds, then our writes landing), and renewing the other leases must not wait for it, or
   * their guards run out meanwhile and every market is lost (seen under load).
   */
  private lose(symbol: string, reason: string, then?: (held: Held) => Promise<unknown>): Promise<void> {
    const held = this.held.get(symbol);
    if (held === undefined) return this.releasing.get(symbol) ?? Promise.resolve();
    if (held.timer !== null) clearTimeout(held.timer);
    this.held.delete(symbol);
    this.deps.log.warn({ symbol, fence: held.token, reason }, 'market lease lost: its quotes are pulled');
    const pull = Promise.resolve() // its order events stay ours (releasing) from now until the pull ends
      .then(() => this.deps.onLost(symbol, reason))
      .then(() => then?.(held))
      .catch((err: unknown) => this.deps.log.error({ symbol, err: errorMessage(err) }, 'pulling a market after its lease failed'))
      .finally(() => this.releasing.delete(symbol))
      .then(() => undefined);
    this.releasing.set(symbol, pull);
    return pull;
  }

  /** Pulls the market, then releases its lease (another daemon takes it without waiting for the expiry). */
  private handBack(symbol: string, reason: string): void {
    void this.lose(symbol, reason, (held) => this.deps.store.release(symbol, { owner: this.deps.owner, token: held.token }).catch(() => false)); // else left to expire
  }

  /** A clean stop: no more rounds; the caller has pulled every market; every lease is released. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.running;
    await Promise.all(this.releasing.values());
    const releases = [...this.held].map(async ([symbol, held]) => {
      if (held.timer !== null) clearTimeout(held.timer);
      this.held.delete(symbol);
      await this.deps.store.release(symbol, { owner: this.deps.owner, token: held.token }).catch(() => false);
    });
    await Promise.all(releases);
    await this.deps.store.members(this.deps.owner, 0).catch(() => 0);
    this.deps.store.close();
  }
}
