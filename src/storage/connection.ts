// One way to connect to Redis for everything the daemon keeps there: commands fail fast while
// Redis is away (no offline queue, no retries, never resent behind our back), so each caller
// decides what a failure means (the write queue replays in order; a lease renew has failed).
import type { RedisOptions } from 'ioredis';
import type { Secret } from '../config/secret.js';

export interface ConnectionSettings {
  readonly password?: Secret;
  readonly commandTimeoutMs: number;
  readonly maxReconnectDelayMs: number;
}

/** ioredis options for a fail-fast connection, with `scripts` defined on it. */
// The return type is inferred: ioredis's constructor takes a narrower type than RedisOptions.
export function failFastOptions(settings: ConnectionSettings, scripts: NonNullable<RedisOptions['scripts']>) {
  return {
    ...(settings.password !== undefined && { password: settings.password.reveal() }),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: settings.commandTimeoutMs,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), settings.maxReconnectDelayMs),
    scripts,
  };
}
