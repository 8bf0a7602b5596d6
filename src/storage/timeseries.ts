// The time-series writer: trading metrics, model forecasts and their outcomes, latency samples,
// as InfluxDB 2 line protocol through @influxdata/influxdb-client, which batches, retries with
// exponential backoff and bounds its retry buffer. Works with InfluxDB 2 and VictoriaMetrics
// (its /api/v2/write; each field becomes the series `<measurement>_<field>` with the tags as
// labels). Timestamps are written in milliseconds, the precision VictoriaMetrics keeps.
//
// Nothing waits for it: a sample is formatted and handed to the client's buffer. While the server
// is unreachable lines wait in the retry buffer (at most maxBufferLines); past that the oldest
// are dropped and counted. Lines are retried until written or dropped, never given up on a count.
import { HttpError, InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { InfluxConfig } from '../config/schema.js';
import type { Secret } from '../config/secret.js';
import type { Logger } from '../telemetry/logger.js';
import type { StorageMetrics } from './metrics.js';

export interface TradingSample {
  readonly market: string;
  readonly atMs: number;
  readonly marketSpreadBps: number;
  readonly ourSpreadBps: number;
  /** Market spread minus ours (positive = we tighten it). */
  readonly spreadImprovementBps: number;
  /** Net P&L, quote currency (for display; the ledger keeps the exact money). */
  readonly pnl: number;
  readonly inventoryLots: number;
  /** Fraction of placed orders that filled, recent window. */
  readonly fillRate: number;
}

export type Direction = 'down' | 'flat' | 'up';
const DIRECTION_VALUE: Readonly<Record<Direction, number>> = { down: -1, flat: 0, up: 1 };

export interface PredictionSample {
  readonly market: string;
  /** e.g. "100ms": one series per horizon. */
  readonly horizon: string;
  readonly atMs: number;
  readonly down: number;
  readonly flat: number;
  readonly up: number;
  /** The model's confidence in its call (e.g. the largest probability). */
  readonly confidence: number;
}

/** A forecast scored once its horizon passed; written at the forecast's time, beside it. */
export interface OutcomeSample {
  readonly market: string;
  readonly horizon: string;
  /** The forecast's time. */
  readonly atMs: number;
  readonly outcome: Direction;
  /** Fraction of recent forecasts of this horizon that were right. */
  readonly rollingAccuracy: number;
}

export interface LatencySample {
  /** What was timed, from a fixed vocabulary (e.g. a decision stage, a venue request). */
  readonly op: string;
  readonly atMs: number;
  readonly seconds: number;
}

export const MEASUREMENTS = { trading: 'trading_metrics', predictions: 'ml_predictions', latency: 'latency' } as const;

export interface TimeSeriesOptions extends InfluxConfig {
  readonly token?: Secret;
  /** Tags on every point (e.g. the daemon's name). */
  readonly defaultTags?: Readonly<Record<string, string>>;
  readonly metrics?: StorageMetrics;
  readonly logger?: Logger;
}

export interface TimeSeriesStats {
  /** Lines handed to the client. */
  readonly accepted: number;
  /** Lines the server acknowledged. */
  readonly written: number;
  /** Lines given up: the retry buffer overflowed, or the server refused them (4xx). */
  readonly dropped: number;
  /** Lines waiting: in the next batch, in flight, or in the retry buffer. */
  readonly buffered: number;
  /** Samples skipped because a value was not a finite number. */
  readonly skipped: number;
}

/** A failure as the status page shows it: when, and the server's or the client's message. */
export interface StorageError {
  readonly atMs: number;
  readonly message: string;
}

export interface TimeSeriesHealth {
  /** The last write went through (true until one fails). */
  readonly connected: boolean;
  /** The last failed write or refused batch; null when none has failed since start. */
  readonly lastError: StorageError | null;
}

export class TimeSeriesWriter {
  private readonly api: WriteApi;
  private accepted = 0;
  private written = 0;
  private dropped = 0;
  private skipped = 0;
  private connected = true;
  private lastError: StorageError | null = null;
  private waiters: { pred: (stats: TimeSeriesStats) => boolean; resolve: (stats: TimeSeriesStats) => void }[] = [];

  constructor(private readonly opts: TimeSeriesOptions) {
    const token = opts.token?.reveal();
    const influx = new InfluxDB({ url: opts.url, ...(token !== undefined && { token }), timeout: opts.requestTimeoutMs });
    // The client logs every failed attempt; we count and report state changes instead.
    setLogger({ error: () => undefined, warn: () => undefined });
    this.api = influx.getWriteApi(opts.org, opts.bucket, 'ms', {
      batchSize: opts.batchSize,
      flushInterval: opts.flushIntervalMs,
      maxBufferLines: opts.maxBufferLines,
      maxRetries: Number.MAX_SAFE_INTEGER,
      maxRetryTime: Number.MAX_SAFE_INTEGER,
      minRetryDelay: opts.minRetryDelayMs,
      maxRetryDelay: opts.maxRetryDelayMs,
      exponentialBase: 2,
      randomRetry: true,
      retryJitter: Math.min(200, opts.minRetryDelayMs),
      ...(opts.defaultTags !== undefined && { defaultTags: { ...opts.defaultTags } }),
      writeSuccess: (lines) => this.onWritten(lines.length),
      writeFailed: (error, lines) => {
        // Retried by the client unless the server refused the lines themselves.
        this.lastError = { atMs: Date.now(), message: error.message };
        if (error instanceof HttpError && error.statusCode < 429) this.onDropped(lines.length, 'rejected', error.message);
        else this.setConnected(false, error.message);
      },
      writeRetrySkipped: (entry) => this.onDropped(entry.lines.length, 'buffer_full', 'retry buffer full'),
    });
    opts.metrics?.initStorage('tsdb', opts.maxBufferLines);
  }

  trading(s: TradingSample): void {
    this.write(
      new Point(MEASUREMENTS.trading).tag('market', s.market).timestamp(s.atMs),
      { market_spread_bps: s.marketSpreadBps, our_spread_bps: s.ourSpreadBps, spread_improvement_bps: s.spreadImprovementBps, pnl: s.pnl, fill_rate: s.fillRate },
      { inventory_lots: s.inventoryLots },
    );
  }

  prediction(s: PredictionSample): void {
    this.write(
      new Point(MEASUREMENTS.predictions).tag('market', s.market).tag('horizon', s.horizon).timestamp(s.atMs),
      { p_down: s.down, p_flat: s.flat, p_up: s.up, confidence: s.confidence },
      {},
    );
  }

  outcome(s: OutcomeSample): void {
    this.write(
      new Point(MEASUREMENTS.predictions).tag('market', s.market).tag('horizon', s.horizon).timestamp(s.atMs),
      { rolling_accuracy: s.rollingAccuracy },
      { outcome: DIRECTION_VALUE[s.outcome] },
    );
  }

  latency(s: LatencySample): void {
    this.write(new Point(MEASUREMENTS.latency).tag('op', s.op).timestamp(s.atMs), { seconds: s.seconds }, {});
  }

  stats(): TimeSeriesStats {
    const { accepted, written, dropped, skipped } = this;
    return { accepted, written, dropped, skipped, buffered: accepted - written - dropped };
  }

  health(): TimeSeriesHealth {
    return { connected: this.connected, lastError: this.lastError };
  }

  /** Sends the current batch now (it does not wait for the retry buffer). */
  flush(): void {
    this.api.flush().catch(() => undefined); // a failure is retried by the client and counted
  }

  /** Resolves once every accepted line is written or dropped. */
  idle(): Promise<void> {
    this.flush();
    return this.when((s) => s.buffered === 0).then(() => undefined);
  }

  /** Resolves with the stats once `pred` holds for them (checked at every write, drop and sample). */
  when(pred: (stats: TimeSeriesStats) => boolean): Promise<TimeSeriesStats> {
    const now = this.stats();
    if (pred(now)) return Promise.resolve(now);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Sends what is buffered, waiting at most `graceMs`; what is left is lost (logged). */
  async close(graceMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    const left = this.stats().buffered;
    await this.api.close().catch(() => undefined);
    if (left > 0) this.opts.logger?.warn({ lines: left }, 'time-series writer closed with lines unwritten');
  }

  private write(point: Point, floats: Record<string, number>, ints: Record<string, number>): void {
    let fields = 0;
    for (const [name, value] of Object.entries(floats)) {
      if (!Number.isFinite(value)) continue;
      point.floatField(name, value);
      fields += 1;
    }
    for (const [name, value] of Object.entries(ints)) {
      if (!Number.isSafeInteger(value)) continue;
      point.intField(name, value);
      fields += 1;
    }
    if (fields < Object.keys(floats).length + Object.keys(ints).length) this.skipped += 1;
    if (fields === 0) return;
    this.api.writePoint(point);
    this.accepted += 1;
    this.updateBuffered();
  }

  private onWritten(lines: number): void {
    this.written += lines;
    this.opts.metrics?.storageWrites.inc({ sink: 'tsdb' }, lines);
    this.setConnected(true, null);
    this.updateBuffered();
  }

  private onDropped(lines: number, reason: 'buffer_full' | 'rejected', detail: string): void {
    this.dropped += lines;
    this.opts.metrics?.storageDropped.inc({ sink: 'tsdb', reason }, lines);
    this.opts.logger?.warn({ lines, reason, detail }, 'time-series lines dropped');
    this.updateBuffered();
  }

  private setConnected(connected: boolean, reason: string | null): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.opts.metrics?.storageConnected.set({ sink: 'tsdb' }, connected ? 1 : 0);
    if (connected) this.opts.logger?.info('time-series database reachable again');
    else this.opts.logger?.warn({ reason }, 'time-series database unreachable: lines are buffered for retry');
  }

  private updateBuffered(): void {
    const stats = this.stats();
    this.opts.metrics?.storageBuffered.set({ sink: 'tsdb' }, stats.buffered);
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) (w.pred(stats) ? w.resolve(stats) : this.waiters.push(w));
  }
}
