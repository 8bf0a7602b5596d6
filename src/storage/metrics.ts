// The storage writers' metrics: the flashmm_storage_* series of the daemon's registry
// (src/telemetry/metrics.ts), labelled by sink ('redis' or 'tsdb').
import type { Metrics } from '../telemetry/metrics.js';

export type StorageMetrics = Pick<Metrics, 'storageConnected' | 'storageBuffered' | 'storageWrites' | 'storageDropped' | 'storageWrite' | 'initStorage'>;
