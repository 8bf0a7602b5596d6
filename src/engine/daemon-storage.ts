// What the daemon does with its stores (docs/storage.md), behind the few calls daemon.ts makes:
// venue events through the journal (persistence.ts), restart recovery before quoting with
// retries while Redis is unreachable (recovery.ts), hot state and time series after each
// decision (series.ts), Redis's health as a breaker condition.
import { errorMessage } from '../errors.js';
import type { MissedFillBooked, OrderStateChange } from '../execution/events.js';
import { Model } from '../native.js';
import type { Storage, StorageStatus } from '../storage/open.js';
import type { StorageHealth } from '../storage/redis-store.js';
import type { StorageError } from '../storage/timeseries.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { MarketInfo } from '../market/types.js';
import type { OrderEvent } from '../venues/venue.js';
import type { DecisionRecord, MarketLoop } from './market-loop.js';
import { EnginePersistence } from './persistence.js';
import { recoverMarket, type DaemonParts, type RecoveryResult } from './recovery.js';
import { SeriesFeed } from './series.js';

/** A market whose recovery could not read Redis tries again this often. */
export const RECOVERY_RETRY_MS = 5_000;

export interface DaemonStorageDeps extends DaemonParts {
  readonly storage: Storage;
  readonly metrics: Metrics;
  readonly markets: readonly MarketInfo[];
  readonly modelPath?: string;
  /** Books one venue event (Daemon.onOrderEvent). */
  readonly apply: (event: OrderEvent) => void;
  /** The market's fill rate (the daemon's TradeObserver), for the time series. */
  readonly fillRate: (symbol: string) => number | null;
  /** Sharded (`--shard`): whether this daemon holds `symbol`'s lease; a market it does not hold is never restored. */
  readonly holds?: (symbol: string) => boolean;
}

export class DaemonStorage {
  readonly persistence: EnginePersistence | null;
  private readonly series: SeriesFeed | null;
  private readonly outcomes = new Map<string, RecoveryResult | null>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private closed = false;
  private redisError: StorageError | null = null;

  constructor(private readonly deps: DaemonStorageDeps) {
    const horizonMs = forecastHorizonMs(deps.modelPath);
    const { redis, timeseries } = deps.storage;
    this.persistence = redis === null ? null : new EnginePersistence({ ...deps, store: redis, horizonMs });
    this.series = timeseries === null ? null : new SeriesFeed({ writer: timeseries, positions: deps.positions, fillRate: deps.fillRate });
    if (this.persistence !== null) {
      const nowMs = deps.clock.nowMs();
      for (const m of deps.markets) {
        this.outcomes.set(m.symbol, null);
        deps.risk.recoveryHalted(m.symbol, 'restoring state from Redis, then reconciling with the venue', nowMs);
      }
    }
  }

  /** Takes the venue's event when the journal is on (booked later, in order); false: book it now. */
  onEvent(event: OrderEvent): boolean {
    if (this.persistence === null) return false;
    this.persistence.onEvent(event);
    return true;
  }

  onStateChange(change: OrderStateChange): void {
    this.persistence?.onStateChange(change);
  }

  onMissedFill(fill: MissedFillBooked): void {
    this.persistence?.onMissedFill(fill);
  }

  onHealth(health: StorageHealth): void {
    // Redis's reason while writes do not go through; a replay after it is no error of its own.
    if (!health.connected && health.reason !== null && !health.reason.startsWith('redis: replaying')) {
      this.redisError = { atMs: this.deps.clock.nowMs(), message: health.reason };
    }
    this.persistence?.onHealth(health);
  }

  /**
   * Restores and reconciles `symbol`: whether it resumed; without Redis, null (the caller
   * reconciles as before). Sharded: `fence` is the token of the lease just taken; the market's
   * writes carry it from now on (a retry keeps it).
   */
  async recover(symbol: string, fence?: number): Promise<boolean | null> {
    const p = this.persistence;
    if (p === null) return null;
    if (this.deps.holds?.(symbol) === false) return false;
    const m = p.market(symbol);
    if (m !== undefined && fence !== undefined) m.fence = fence;
    const result = await recoverMarket(p, this.deps, symbol);
    if (this.deps.holds?.(symbol) === false) {
      this.release(symbol, 'the lease was lost during recovery');
      return false;
    }
    this.outcomes.set(symbol, result);
    if (result.ok) return true;
    this.deps.log.error({ symbol, code: result.code, reason: result.reason, retry: result.retry }, 'market stays halted: restart recovery did not succeed');
    this.deps.metrics.errors.inc({ kind: 'recovery' });
    if (result.retry && !this.closed) {
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        void this.recover(symbol).catch((err: unknown) => this.deps.log.error({ symbol, err: errorMessage(err) }, 'recovery retry failed'));
      }, RECOVERY_RETRY_MS);
      this.retries.add(timer);
    }
    return false;
  }

  /** Sharded: `symbol`'s lease is gone: halted (no quotes) until it is taken again and restored. */
  release(symbol: string, detail: string): void {
    if (this.persistence === null) return;
    this.outcomes.set(symbol, null);
    this.deps.risk.recoveryHalted(symbol, detail, this.deps.clock.nowMs());
  }

  /**
   * Whether every market this daemon holds has been restored and reconciled (without Redis:
   * true). A retry that succeeds makes it true, with no reconnection needed: /ready reads it.
   */
  restored(): boolean {
    if (this.persistence === null) return true;
    for (const [symbol, r] of this.outcomes) if (this.deps.holds?.(symbol) !== false && r?.ok !== true) return false;
    return true;
  }

  /** Whether `symbol` is still being restored (its reconciliations wait for recovery). */
  recovering(symbol: string): boolean {
    return this.persistence !== null && (this.outcomes.get(symbol) === null || this.persistence.market(symbol)?.holding === true);
  }

  afterDecision(loop: MarketLoop, record: DecisionRecord): void {
    this.persistence?.afterDecision(loop, record);
    this.series?.afterDecision(loop, record);
  }

  /** For /api/v1/status: Redis's and the time-series writer's health, each market's recovery; messages without secrets. */
  status(): StorageStatus {
    const { redis, timeseries, redact } = this.deps.storage;
    const recovery: Record<string, string> = {};
    for (const [symbol, r] of this.outcomes) recovery[symbol] = r === null ? 'recovering' : r.ok ? `recovered: ${r.detail}` : `halted (${r.code}): ${redact(r.reason)}`;
    const scrubbed = (e: StorageError | null) => (e === null ? null : { atMs: e.atMs, message: redact(e.message) });
    const h = redis?.health();
    const ts = timeseries === null ? null : { ...timeseries.stats(), ...timeseries.health() };
    return {
      redis: h === undefined ? null : { ...h, reason: h.reason === null ? null : redact(h.reason), lastError: scrubbed(this.redisError) },
      timeseries: ts === null ? null : { ...ts, lastError: scrubbed(ts.lastError) },
      recovery,
    };
  }

  /** Every market's checkpoint now (sharded: those it holds), and no more retries (shutdown). */
  close(): void {
    this.closed = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    const p = this.persistence;
    if (p === null) return;
    for (const symbol of p.symbols()) {
      const m = p.market(symbol);
      if (m?.store != null && !m.holding && this.deps.holds?.(symbol) !== false) p.checkpointNow(m);
    }
  }
}

/** The horizon of the model's forecast (MarketState reports the shortest), ms; null without one. */
function forecastHorizonMs(modelPath: string | undefined): number | null {
  if (modelPath === undefined) return null;
  try {
    const horizons = Model.load(modelPath).horizons;
    return horizons.length === 0 ? null : Math.min(...horizons) / 1e6;
  } catch {
    return null;
  }
}
