// The daemon's stores from its configuration: each one only when configured. Without
// `storage.redis` the daemon keeps its state in memory; without `storage.influx` it writes no
// time series. Nothing here connects synchronously or throws on an unreachable server: the
// Redis store reports it through `restore()` and `health()`, the writer through its stats.
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/secret.js';
import type { Logger } from '../telemetry/logger.js';
import type { StorageMetrics } from './metrics.js';
import { RedisStore, type StorageHealth } from './redis-store.js';
import { TimeSeriesWriter } from './timeseries.js';

export interface Storage {
  readonly redis: RedisStore | null;
  readonly timeseries: TimeSeriesWriter | null;
  close(): Promise<void>;
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
    async close() {
      await Promise.all([redis?.close(), timeseries?.close()]);
    },
  };
}
