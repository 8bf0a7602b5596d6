// Market leases in Redis (docs/storage.md, "Sharding"): one key per market holding
// `<fencing token> <owner>` with an expiry. Acquiring is SET NX PX after an INCR of the market's
// token counter, in one script (a token is used only by a lease that exists); renewing and
// releasing are scripts that act only while the key still holds the caller's token and owner, so
// a daemon whose lease expired and was taken can neither extend nor delete the new holder's.
// Members (live daemons) are a sorted set scored by expiry on Redis's clock: the fair share.
import { Redis } from 'ioredis';
import type { Secret } from '../config/secret.js';
import { failFastOptions } from './connection.js';
import { marketKeys } from './keys.js';

const ACQUIRE = `
local held = redis.call('GET', KEYS[1])
if held then return {held, redis.call('PTTL', KEYS[1]), 0} end
local token = redis.call('INCR', KEYS[2])
local value = token .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {value, tonumber(ARGV[2]), 1}`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Registers the caller until now + ttl and returns the members alive now. */
const MEMBERS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[2] ~= '0' then redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]) else redis.call('ZREM', KEYS[1], ARGV[1]) end
return redis.call('ZCARD', KEYS[1])`;

/** Who holds a market's lease now (as the last acquire attempt saw it). */
export interface LeaseHolder {
  readonly owner: string;
  readonly token: number;
  /** Left of the lease when read, ms. */
  readonly ttlMs: number;
  /** Taken by this very call (not held already). */
  readonly fresh: boolean;
}

export interface LeaseStoreOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly password?: Secret;
  /** A lease command unanswered this long fails (the caller stops quoting: it cannot renew). */
  readonly commandTimeoutMs: number;
  readonly maxReconnectDelayMs: number;
}

type LeaseRedis = Redis & {
  leaseAcquire(lease: string, counter: string, owner: string, ttlMs: number): Promise<[string, number, number]>;
  leaseRenew(lease: string, value: string, ttlMs: number): Promise<number>;
  leaseRelease(lease: string, value: string): Promise<number>;
  leaseMembers(set: string, owner: string, ttlMs: number): Promise<number>;
};

export class LeaseStore {
  private readonly redis: LeaseRedis;

  constructor(private readonly opts: LeaseStoreOptions) {
    // Its own connection, failing fast: a lease command must never wait behind the journal's
    // writes or in an offline queue (a renew that cannot be sent now has failed).
    this.redis = new Redis(opts.url, failFastOptions(opts, {
      leaseAcquire: { numberOfKeys: 2, lua: ACQUIRE },
      leaseRenew: { numberOfKeys: 1, lua: RENEW },
      leaseRelease: { numberOfKeys: 1, lua: RELEASE },
      leaseMembers: { numberOfKeys: 1, lua: MEMBERS },
    })) as LeaseRedis;
    this.redis.on('error', () => undefined); // a failed command says it; the connection retries by itself
    this.redis.connect().catch(() => undefined);
  }

  /** Takes `symbol`'s lease if free; returns the holder after the attempt (ours with a new token, or another's). */
  async acquire(symbol: string, owner: string, ttlMs: number): Promise<LeaseHolder> {
    const keys = marketKeys(this.opts.keyPrefix, symbol);
    const [value, ttl, fresh] = await this.redis.leaseAcquire(keys.lease, keys.leaseToken, owner, ttlMs);
    return { ...parseValue(value), ttlMs: Number(ttl), fresh: fresh === 1 };
  }

  /** Extends our lease; false when it is no longer ours (expired, or taken since). */
  async renew(symbol: string, holder: Pick<LeaseHolder, 'owner' | 'token'>, ttlMs: number): Promise<boolean> {
    return (await this.redis.leaseRenew(marketKeys(this.opts.keyPrefix, symbol).lease, `${holder.token} ${holder.owner}`, ttlMs)) === 1;
  }

  /** Gives our lease up at once (a clean stop, a hand-off); false when it was not ours any more. */
  async release(symbol: string, holder: Pick<LeaseHolder, 'owner' | 'token'>): Promise<boolean> {
    return (await this.redis.leaseRelease(marketKeys(this.opts.keyPrefix, symbol).lease, `${holder.token} ${holder.owner}`)) === 1;
  }

  /** Keeps `owner` among the live daemons for `ttlMs` (0: leaves) and returns how many are alive. */
  async members(owner: string, ttlMs: number): Promise<number> {
    return this.redis.leaseMembers(`${this.opts.keyPrefix}lease-members`, owner, ttlMs);
  }

  close(): void {
    this.redis.disconnect();
  }
}

function parseValue(value: string): { owner: string; token: number } {
  const space = value.indexOf(' ');
  const token = Number(value.slice(0, space));
  if (space < 0 || !Number.isSafeInteger(token)) throw new Error(`a lease key holds '${value}', not '<token> <owner>'`);
  return { token, owner: value.slice(space + 1) };
}
