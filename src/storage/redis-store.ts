// Redis as the daemon's memory across restarts (docs/storage.md): per market the book's top
// levels, the latest forecasts, a checkpoint (the ledger's snapshot and the live orders) and an
// append-only journal of order events and fills.
//
// Nothing on the quote path waits for Redis: every write is queued (write-queue.ts) and the
// queue is drained by one pipeline at a time, in order. Only a fill's journal entry can be
// awaited, by the fill path (off the quote path), before the fill is booked; its receipt
// resolves when Redis has the entry, or at once as 'buffered' while Redis is unreachable, so
// that the position never lags the venue for longer than a command timeout.
//
// Redis unreachable: writes wait in the bounded queue and go out in order when it returns;
// `health().state` tells the engine what the configured policy allows meanwhile (continue on
// in-memory state, only reduce, or halt) until the backlog is written.
import { Redis, type ChainableCommander, type Result } from 'ioredis';
import type { Secret } from '../config/secret.js';
import type { RedisConfig } from '../config/schema.js';
import type { BreakerState } from '../risk/events.js';
import type { Logger } from '../telemetry/logger.js';
import type { DropReason } from '../telemetry/metrics.js';
import { failFastOptions } from './connection.js';
import { marketKeys, type MarketKeys } from './keys.js';
import type { StorageMetrics } from './metrics.js';
import { MarketStore } from './market-store.js';
import {
  decodeEntry, decodeOrder, decodePosition, decodeInt, encodeGap, fieldMap, seqOfStreamId, streamId, RecordError, type Checkpoint, type JournalEntry,
} from './records.js';
import { foldJournal, type RestoredMarket } from './restore.js';
import { fencedTokens, OUT_OF_ORDER, SCRIPTS } from './scripts.js';
import { WriteQueue, type WriteOp } from './write-queue.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    journalAppend(...args: (string | number)[]): Result<[number, number], Context>;
    checkpoint(...args: (string | number)[]): Result<number, Context>;
    saveBook(...args: (string | number)[]): Result<number, Context>;
    pushPredictions(...args: (string | number)[]): Result<number, Context>;
  }
}

/** Fill idempotency keys kept in Redis per market (the oldest go first). */
export const FILL_KEYS_KEPT = 100_000;
const MAX_BATCH = 512;
const RESTORE_PAGE = 1_000;

export type DisconnectPolicy = RedisConfig['onDisconnect'];

export interface RedisStoreOptions extends RedisConfig {
  readonly password?: Secret;
  readonly metrics?: StorageMetrics;
  readonly logger?: Logger;
  /** Wall clock, ms (checkpoint times). */
  readonly nowMs?: () => number;
  /** Called on every change of `health().state` or of the connection. */
  readonly onHealth?: (health: StorageHealth) => void;
}

export interface StorageHealth {
  /** Redis answers and the last write went through. */
  readonly connected: boolean;
  /** Writes waiting (the backlog of an outage, or the next pipeline). */
  readonly buffered: number;
  /** Journal entries dropped because the buffer was full, and writes Redis refused, since start. */
  readonly dropped: number;
  /** What the engine may do on every market: 'active' unless Redis is down or catching up, then the policy's. */
  readonly state: BreakerState;
  readonly reason: string | null;
}

/** A write of `symbol` was refused: its fencing token is older than the market's lease token now. */
export type FencedListener = (symbol: string, token: number, current: number) => void;

/** What a fenced write settles with (its journal receipt says 'fenced'). */
export const FENCED_WRITE = Symbol('fenced');

export type RestoreOutcome =
  | { readonly ok: true; readonly markets: ReadonlyMap<string, RestoredMarket> }
  | { readonly ok: false; readonly reason: string };

type Pipe = ChainableCommander;
type Op = WriteOp<Pipe>;

const POLICY_STATE: Readonly<Record<DisconnectPolicy, BreakerState>> = { continue: 'active', reduce: 'reducing', halt: 'halted' };
// Replies that say "not now", not "never": the write is retried.
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN|READONLY|NOSCRIPT)\b/;

function isTransient(err: Error): boolean {
  return err.name !== 'ReplyError' || TRANSIENT_REPLY.test(err.message);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RedisStore {
  private readonly redis: Redis;
  private readonly queue: WriteQueue<Pipe>;
  private readonly handles = new Map<string, MarketStore>();
  private inFlight = false;
  private pumpScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 50;
  /** Since when writes are not going through (an outage, then its replay); null when healthy. */
  private degradedReason: string | null = 'connecting';
  private dropped = 0;
  private lastHealth: StorageHealth | null = null;
  private drainWaiters: (() => void)[] = [];
  private readonly loggedReplies = new Set<string>();
  private readonly fencedListeners: FencedListener[] = [];
  private closed = false;
  private everReady = false;

  constructor(private readonly opts: RedisStoreOptions) {
    this.queue = new WriteQueue<Pipe>(opts.maxBufferedWrites, (market, first, last, count) => this.gapOp(market, first, last, count));
    // The queue is the only buffer: failed commands go out again from it, in order.
    this.redis = new Redis(opts.url, failFastOptions(opts, SCRIPTS));
    this.redis.on('ready', () => this.onReady());
    this.redis.on('close', () => this.degrade('connection closed'));
    // ioredis reports every failed reconnection as an error event; the state change says enough.
    this.redis.on('error', (err: Error) => this.logOnce(`connection:${err.message}`, 'warn', { err: err.message }, 'redis connection error'));
    opts.metrics?.initStorage('redis', opts.maxBufferedWrites);
    opts.metrics?.storageConnected.set({ sink: 'redis' }, 0);
    this.redis.connect().catch(() => undefined); // retried by retryStrategy; 'ready' says when
  }

  static fromConfig(config: RedisConfig, extra: Omit<RedisStoreOptions, keyof RedisConfig> = {}): RedisStore {
    return new RedisStore({ ...config, ...extra });
  }

  health(): StorageHealth {
    const connected = this.redis.status === 'ready' && this.degradedReason === null;
    const degraded = this.degradedReason !== null;
    return {
      connected,
      buffered: this.queue.size,
      dropped: this.dropped,
      state: degraded ? POLICY_STATE[this.opts.onDisconnect] : 'active',
      reason: degraded ? `redis: ${this.degradedReason}` : null,
    };
  }

  /**
   * Reads every market's checkpoint and journal tail. Waits up to `timeoutMs` for Redis; an
   * unreachable Redis is a failure (the engine keeps the markets halted and retries), never an
   * empty state. Must run before `market()`. A sharded market's writer carries its lease's
   * fencing token (`fences`): Redis refuses its writes once another daemon took the lease.
   */
  async restore(symbols: readonly string[], timeoutMs = 10_000, fences: Readonly<Record<string, number>> = {}): Promise<RestoreOutcome> {
    if (!(await this.waitReady(timeoutMs))) return { ok: false, reason: `redis unreachable for ${timeoutMs} ms (${new URL(this.opts.url).host})` };
    const markets = new Map<string, RestoredMarket>();
    try {
      for (const symbol of symbols) {
        const restored = await this.readMarket(symbol);
        markets.set(symbol, restored);
        this.handles.set(symbol, new MarketStore(this, symbol, marketKeys(this.opts.keyPrefix, symbol), restored, fences[symbol] ?? 0));
      }
    } catch (err) {
      return { ok: false, reason: `redis restore failed: ${messageOf(err)}` };
    }
    return { ok: true, markets };
  }

  /** The writer of one restored market. */
  market(symbol: string): MarketStore {
    const handle = this.handles.get(symbol);
    if (handle === undefined) throw new Error(`market ${symbol} was not restored from Redis`);
    return handle;
  }

  /** Calls `listener` on every fenced write (the daemon then stops quoting the market). */
  onFenced(listener: FencedListener): void {
    this.fencedListeners.push(listener);
  }

  /** Resolves once every queued write is in Redis (or at once if none). */
  drained(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Writes what is queued (waiting at most `graceMs`), then disconnects. */
  async close(graceMs = 2_000): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drained(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.closed = true;
    if (this.queue.size > 0) this.opts.logger?.warn({ writes: this.queue.size }, 'redis store closed with writes unwritten');
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.redis.disconnect();
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  // ---- for MarketStore ----------------------------------------------------------------

  /** Queues a write. Journal receipts resolve at once while writes are not going through. */
  enqueue(op: Op): void {
    if (this.closed) {
      op.settle?.(null);
      return;
    }
    const dropped = this.queue.push(op);
    if (dropped > 0) this.countDrop('buffer_full', dropped);
    if (this.degradedReason !== null && op.journal !== undefined) op.settle?.(null);
    this.opts.metrics?.storageBuffered.set({ sink: 'redis' }, this.queue.size);
    this.schedulePump();
  }

  /** A write refused before it was queued (it cannot be encoded): counted as rejected, logged once per kind. */
  refuse(what: string, reason: string): void {
    this.countDrop('rejected', 1);
    this.logOnce(`refused:${what}`, 'error', { reason }, `${what} not written: it cannot be encoded`);
  }

  /** Queues a state write only if nothing is waiting under its key (a newer value would be). */
  enqueueUnlessWaiting(op: Op): void {
    if (op.key !== undefined && this.queue.isWaiting(op.key)) return;
    this.enqueue(op);
  }

  journalArgs(keys: MarketKeys, seq: number, dedupeKey: string, fence: number, fields: readonly string[]): (string | number)[] {
    return [keys.journal, keys.fillKeys, keys.lastSeq, keys.leaseToken, seq, dedupeKey, this.opts.journalMaxEntries, FILL_KEYS_KEPT, fence, ...fields];
  }

  get nowMs(): number {
    return (this.opts.nowMs ?? Date.now)();
  }

  // ---- internals ----------------------------------------------------------------------

  private gapOp(market: string, first: number, last: number, count: number): Op {
    const keys = marketKeys(this.opts.keyPrefix, market);
    const args = this.journalArgs(keys, last, '', this.handles.get(market)?.fence ?? 0, encodeGap(first, last, count));
    return { journal: { market, seq: last, gap: { first, last, count } }, send: (p) => void p.journalAppend(...args) };
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // After the current synchronous run (a quote tick): its writes go out as one pipeline.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight || this.closed || this.redis.status !== 'ready' || this.retryTimer !== null) return;
    if (this.queue.size === 0) return this.onDrained();
    const ops = this.queue.take(MAX_BATCH);
    const pipeline = this.redis.pipeline();
    for (const op of ops) op.send(pipeline);
    this.inFlight = true;
    const started = performance.now();
    pipeline.exec().then(
      (results) => this.onResults(ops, results ?? [], started),
      (err: unknown) => this.onFailure(ops, 0, messageOf(err)),
    );
  }

  private onResults(ops: readonly Op[], results: [Error | null, unknown][], started: number): void {
    this.opts.metrics?.storageWrite.observe({ sink: 'redis' }, (performance.now() - started) / 1000);
    let written = 0;
    for (let i = 0; i < ops.length; i += 1) {
      const op = ops[i] as Op;
      const [err, reply] = results[i] ?? [new Error('no reply'), null];
      const fenced = err === null ? null : fencedTokens(err);
      if (fenced !== null) {
        this.fenced(op, fenced.token, fenced.current);
      } else if (err === null && isOutOfOrder(reply)) {
        this.countDrop('rejected', 1);
        this.logOnce('out-of-order', 'error', { seq: op.journal?.seq }, 'a journal entry could not be written in sequence; it is dropped');
        op.settle?.(null);
      } else if (err === null) {
        written += 1;
        op.settle?.(reply);
      } else if (isTransient(err)) {
        this.opts.metrics?.storageWrites.inc({ sink: 'redis' }, written);
        return this.onFailure(ops.slice(i), 0, err.message);
      } else {
        // Redis refused it (a bug or a foreign key of the wrong type): resending cannot help.
        this.countDrop('rejected', 1);
        this.logOnce(`reply:${err.message}`, 'error', { err: err.message }, 'redis refused a write; it is dropped');
        op.settle?.(null);
      }
    }
    this.opts.metrics?.storageWrites.inc({ sink: 'redis' }, written);
    this.inFlight = false;
    this.retryDelayMs = 50;
    this.opts.metrics?.storageBuffered.set({ sink: 'redis' }, this.queue.size);
    if (this.queue.size === 0) this.onDrained();
    else this.schedulePump();
  }

  private onFailure(ops: readonly Op[], from: number, reason: string): void {
    const failed = ops.slice(from);
    for (const op of failed) op.settle?.(null);
    this.queue.requeue(failed);
    this.inFlight = false;
    this.degrade(reason);
    this.opts.metrics?.storageBuffered.set({ sink: 'redis' }, this.queue.size);
    // The connection may still look ready (a command timed out): try again after a backoff.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, this.retryDelayMs);
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.opts.maxReconnectDelayMs);
  }

  private onReady(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryDelayMs = 50;
    if (this.degradedReason === 'connecting') this.degradedReason = 'replaying writes buffered while connecting';
    else if (this.degradedReason !== null) this.degradedReason = `replaying writes buffered while ${this.degradedReason}`;
    // A Redis that comes back may have lost its data (no persistence, a failover): the latest
    // checkpoint goes again, after the journal entries waiting, so a restore never starts from
    // a journal without its checkpoint. Redis keeps the newer one if it still has it.
    if (this.everReady) for (const handle of this.handles.values()) handle.resendCheckpoint();
    this.everReady = true;
    this.opts.logger?.info({ buffered: this.queue.size }, 'redis ready');
    this.pump();
    this.publishHealth();
  }

  private onDrained(): void {
    if (this.redis.status === 'ready' && this.degradedReason !== null) {
      this.degradedReason = null;
      this.publishHealth();
    }
    if (this.isDrained()) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private isDrained(): boolean {
    return this.queue.size === 0 && !this.inFlight && this.redis.status === 'ready' && this.degradedReason === null;
  }

  private degrade(reason: string): void {
    if (this.closed) return;
    if (this.degradedReason === null || this.degradedReason.startsWith('replaying')) {
      this.degradedReason = reason;
      this.opts.logger?.warn({ reason, policy: this.opts.onDisconnect }, 'redis writes are buffered');
    }
    this.publishHealth();
  }

  private publishHealth(): void {
    const health = this.health();
    this.opts.metrics?.storageConnected.set({ sink: 'redis' }, health.connected ? 1 : 0);
    const last = this.lastHealth;
    this.lastHealth = health;
    if (last !== null && last.connected === health.connected && last.state === health.state && last.reason === health.reason) return;
    this.opts.onHealth?.(health);
  }

  /** Another daemon holds the market's lease now: the write is dropped (never resent), counted, logged once per market and token. */
  private fenced(op: Op, token: number, current: number): void {
    this.countDrop('fenced', 1);
    const symbol = op.journal?.market ?? op.market ?? '?';
    this.logOnce(`fenced:${symbol}:${token}`, 'error', { symbol, fence: token, current },
      'a write was refused: its fencing token is older than the market\'s lease (another daemon took the market); the market stops quoting');
    op.settle?.(FENCED_WRITE);
    for (const listener of this.fencedListeners) listener(symbol, token, current);
  }

  private countDrop(reason: DropReason, n: number): void {
    this.dropped += n;
    this.opts.metrics?.storageDropped.inc({ sink: 'redis', reason }, n);
    if (reason === 'buffer_full') this.logOnce('buffer_full', 'error', { capacity: this.queue.capacity }, 'redis buffer full: the oldest journal entries are dropped');
  }

  private logOnce(key: string, level: 'warn' | 'error', fields: Record<string, unknown>, msg: string): void {
    if (this.loggedReplies.has(key) || this.loggedReplies.size > 100) return;
    this.loggedReplies.add(key);
    this.opts.logger?.[level](fields, `${msg} (logged once)`);
  }

  private waitReady(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  private async readMarket(symbol: string): Promise<RestoredMarket> {
    const keys = marketKeys(this.opts.keyPrefix, symbol);
    const problems: string[] = [];
    const [positions, orders, lastSeq, info] = await Promise.all([
      this.redis.hgetall(keys.positions),
      this.redis.hgetall(keys.orders),
      this.redis.get(keys.lastSeq),
      this.redis.exists(keys.journal).then((n) => (n === 0 ? null : (this.redis.xinfo('STREAM', keys.journal) as Promise<unknown[]>))),
    ]);
    const attempt = <T>(what: () => T): T | null => {
      try {
        return what();
      } catch (err) {
        if (!(err instanceof RecordError)) throw err;
        problems.push(err.message);
        return null;
      }
    };
    let checkpoint: Checkpoint | null = null;
    if (Object.keys(positions).length > 0) {
      checkpoint = attempt(() => ({
        throughSeq: decodeInt(positions, 'throughSeq'),
        atMs: decodeInt(positions, 'atMs'),
        position: decodePosition(positions),
        openOrders: Object.entries(orders).map(([clientId, json]) => decodeOrder(clientId, json)),
      }));
    } else if (Object.keys(orders).length > 0) {
      problems.push(`${keys.orders} has orders but ${keys.positions} is missing`);
    }
    const throughSeq = checkpoint?.throughSeq ?? 0;
    const trimmed = info === null ? null : fieldMap(info.map(String))['max-deleted-entry-id'];
    if (trimmed !== undefined && trimmed !== null && trimmed !== '0-0' && seqOfStreamId(trimmed) > throughSeq) {
      problems.push(`${keys.journal} was trimmed past the checkpoint (entry ${trimmed} > ${throughSeq})`);
    }
    const tail: JournalEntry[] = [];
    let start = `(${streamId(throughSeq)}`;
    for (;;) {
      const page = await this.redis.xrange(keys.journal, start, '+', 'COUNT', RESTORE_PAGE);
      for (const [id, fields] of page) {
        const entry = attempt(() => decodeEntry(id, fields));
        if (entry !== null) tail.push(entry);
      }
      if (page.length < RESTORE_PAGE) break;
      start = `(${(page[page.length - 1] as [string, string[]])[0]}`;
    }
    const first = tail[0];
    if (checkpoint === null && first !== undefined && first.seq > 1 && !(first.type === 'gap' && first.first === 1)) {
      problems.push(`${keys.journal} starts at entry ${first.seq} without a checkpoint: earlier entries are missing`);
    }
    const last = lastSeq === null ? 0 : (attempt(() => decodeInt({ lastSeq }, 'lastSeq')) ?? 0);
    return foldJournal(symbol, checkpoint, tail, last, problems);
  }
}

function isOutOfOrder(reply: unknown): boolean {
  return Array.isArray(reply) && reply[0] === OUT_OF_ORDER;
}
