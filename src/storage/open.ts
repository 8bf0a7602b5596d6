// The daemon's stores from its configuration: each one only when configured. Without
// `storage.redis` the daemon keeps its state in memory; without `storage.influx` it writes no
// time series. Nothing here connects synchronously or throws on an unreachable server: the
// Redis store reports it through `restore()` and `health()`, the writer through its stats.
import type { Config } from '../config/schema.js';
import { secretValues, type Secrets } from '../config/secret.js';
import { secretScrubber, type Logger } from '../telemetry/logger.js';
import type { StorageMetrics } from './metrics.js';
import { RedisStore, type StorageHealth } from './redis-store.js';
import { TimeSeriesWriter, type StorageError, type TimeSeriesHealth, type TimeSeriesStats } from './timeseries.js';

export interface Storage {
  readonly redis: RedisStore | null;
  readonly timeseries: TimeSeriesWriter | null;
  /** A server's or a client library's message with every configured secret taken out (for the status page). */
  redact(message: string): string;
  close(): Promise<void>;
}

/** What /api/v1/status shows of the stores (DaemonStorage.status; its schema: StorageStatus in src/api/schemas.ts). */
export interface StorageStatus {
  readonly redis: (StorageHealth & { readonly lastError: StorageError | null }) | null;
  readonly timeseries: (TimeSeriesStats & TimeSeriesHealth) | null;
  /** Per market: 'recovering', 'recovered: …' or 'halted (code): reason'. */
  readonly recovery: Readonly<Record<string, string>>;
}

export interface StorageDeps {
  readonly metrics?: StorageMetrics;
  readonly logger?: Logger;
  readonly onRedisHealth?: (health: StorageHealth) => void;
}

export function openStorage(config: Config['storage'], secrets: Secrets, deps: StorageDeps = {}): Storage {
  const common = { ...(deps.metrics && { metrics: deps.metrics }), ...(deps.logger && { logger: deps.logger }) };
  const redis = config.redis === undefined ? null : RedisStore.fromConfig(config.redis, {
    ...common,
    ...(secrets.redisPassword && { password: secrets.redisPassword }),
    ...(deps.onRedisHealth && { onHealth: deps.onRedisHealth }),
  });
  const timeseries = config.influx === undefined ? null : new TimeSeriesWriter({
    ...config.influx,
    ...common,
    ...(secrets.influxToken && { token: secrets.influxToken }),
  });
  return {
    redis,
    timeseries,
    redact: secretScrubber(secretValues(secrets)),
    async close() {
      await Promise.all([redis?.close(), timeseries?.close()]);
    },
  };
}
