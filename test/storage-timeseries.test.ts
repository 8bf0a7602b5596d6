// The time-series writer against a real VictoriaMetrics (InfluxDB 2 line protocol on
// /api/v2/write): points read back with their exact values, tags and timestamps; with the
// server down the retry buffer stays bounded, overflow is counted as dropped, and what was kept
// is written once the server returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxConfig } from '../src/config/schema.js';
import { TimeSeriesWriter } from '../src/storage/timeseries.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { startVictoriaMetrics, type ExportedSeries, type TestVictoriaMetrics } from './helpers/victoria-metrics.js';

let vm: TestVictoriaMetrics;

beforeAll(async () => {
  vm = await startVictoriaMetrics();
});

afterAll(async () => {
  await vm?.dispose();
});

function config(overrides: Partial<InfluxConfig> = {}): InfluxConfig {
  return {
    url: vm.url, org: 'flashmm', bucket: 'flashmm', batchSize: 100, flushIntervalMs: 50, maxBufferLines: 10_000,
    minRetryDelayMs: 50, maxRetryDelayMs: 200, requestTimeoutMs: 2_000, ...overrides,
  };
}

/** Series by name and labels, without the labels VictoriaMetrics adds (db). */
function byName(series: readonly ExportedSeries[]): Record<string, { labels: Record<string, string>; points: [number, number][] }[]> {
  const out: Record<string, { labels: Record<string, string>; points: [number, number][] }[]> = {};
  for (const s of series) {
    const { __name__: name, db, ...labels } = s.metric;
    void db;
    const points = s.timestamps.map((t, i) => [t, s.values[i]!] as [number, number]);
    (out[name!] ??= []).push({ labels, points });
  }
  for (const list of Object.values(out)) list.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
  return out;
}

// Recent, whole milliseconds: inside the retention period, and VictoriaMetrics keeps ms.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

describe('TimeSeriesWriter → VictoriaMetrics', () => {
  it('writes trading metrics, forecasts, outcomes and latency with exact values, tags and timestamps', async () => {
    const writer = new TimeSeriesWriter({ ...config(), defaultTags: { daemon: 'test-a' } });
    writer.trading({ market: 'SEI/USDC', atMs: T0, marketSpreadBps: 5.125, ourSpreadBps: 2.5, spreadImprovementBps: 2.625, pnl: -12.345678, inventoryLots: -40, fillRate: 0.3125 });
    writer.trading({ market: 'SEI/USDC', atMs: T0 + 200, marketSpreadBps: 5, ourSpreadBps: 3, spreadImprovementBps: 2, pnl: 1.5, inventoryLots: 10, fillRate: 0.25 });
    writer.trading({ market: 'ETH/USDC', atMs: T0 + 1, marketSpreadBps: 1, ourSpreadBps: 0.5, spreadImprovementBps: 0.5, pnl: 0, inventoryLots: 0, fillRate: 0 });
    writer.prediction({ market: 'SEI/USDC', horizon: '100ms', atMs: T0, down: 0.1, flat: 0.7, up: 0.2, confidence: 0.7 });
    writer.prediction({ market: 'SEI/USDC', horizon: '500ms', atMs: T0, down: 0.25, flat: 0.25, up: 0.5, confidence: 0.5 });
    writer.outcome({ market: 'SEI/USDC', horizon: '100ms', atMs: T0, outcome: 'up', rollingAccuracy: 0.5625 });
    writer.latency({ op: 'decision', atMs: T0 + 3, seconds: 0.000_123 });
    writer.trading({ market: 'SEI/USDC', atMs: T0 + 400, marketSpreadBps: Number.NaN, ourSpreadBps: 1, spreadImprovementBps: 1, pnl: 0, inventoryLots: 0, fillRate: 0 });
    await writer.idle();
    expect(writer.stats()).toEqual({ accepted: 8, written: 8, dropped: 0, buffered: 0, skipped: 1 });
    await writer.close();
    await vm.forceFlush();

    const series = byName(await vm.exportSeries('{__name__=~"trading_metrics_.*|ml_predictions_.*|latency_.*"}'));
    const sei = { daemon: 'test-a', market: 'SEI/USDC' };
    const eth = { daemon: 'test-a', market: 'ETH/USDC' };
    expect(series['trading_metrics_market_spread_bps']).toEqual([
      { labels: eth, points: [[T0 + 1, 1]] },
      { labels: sei, points: [[T0, 5.125], [T0 + 200, 5]] },
    ]);
    expect(series['trading_metrics_our_spread_bps']?.[1]).toEqual({ labels: sei, points: [[T0, 2.5], [T0 + 200, 3], [T0 + 400, 1]] });
    expect(series['trading_metrics_spread_improvement_bps']?.[1]?.points).toEqual([[T0, 2.625], [T0 + 200, 2], [T0 + 400, 1]]);
    expect(series['trading_metrics_pnl']?.[1]?.points).toEqual([[T0, -12.345678], [T0 + 200, 1.5], [T0 + 400, 0]]);
    expect(series['trading_metrics_inventory_lots']?.[1]?.points).toEqual([[T0, -40], [T0 + 200, 10], [T0 + 400, 0]]);
    expect(series['trading_metrics_fill_rate']?.[1]?.points).toEqual([[T0, 0.3125], [T0 + 200, 0.25], [T0 + 400, 0]]);
    const h100 = { ...sei, horizon: '100ms' };
    const h500 = { ...sei, horizon: '500ms' };
    expect(series['ml_predictions_p_down']).toEqual([{ labels: h100, points: [[T0, 0.1]] }, { labels: h500, points: [[T0, 0.25]] }]);
    expect(series['ml_predictions_p_flat']).toEqual([{ labels: h100, points: [[T0, 0.7]] }, { labels: h500, points: [[T0, 0.25]] }]);
    expect(series['ml_predictions_p_up']).toEqual([{ labels: h100, points: [[T0, 0.2]] }, { labels: h500, points: [[T0, 0.5]] }]);
    expect(series['ml_predictions_confidence']).toEqual([{ labels: h100, points: [[T0, 0.7]] }, { labels: h500, points: [[T0, 0.5]] }]);
    expect(series['ml_predictions_outcome']).toEqual([{ labels: h100, points: [[T0, 1]] }]);
    expect(series['ml_predictions_rolling_accuracy']).toEqual([{ labels: h100, points: [[T0, 0.5625]] }]);
    expect(series['latency_seconds']).toEqual([{ labels: { daemon: 'test-a', op: 'decision' }, points: [[T0 + 3, 0.000123]] }]);
  });

  it('server down: bounded buffer, drops counted, the rest written when it returns', async () => {
    const metrics = createMetrics({ build: { version: 'test' }, defaultMetrics: false });
    const writer = new TimeSeriesWriter({ ...config({ batchSize: 10, maxBufferLines: 50 }), defaultTags: { daemon: 'test-b' }, metrics });
    await vm.stop();
    const points = 200;
    for (let i = 0; i < points; i += 1) {
      writer.latency({ op: 'outage', atMs: T0 + 10_000 + i, seconds: i });
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve)); // let batches go out (and fail)
    }
    // Every batch has failed once: what is left sits in the retry buffer, the rest was dropped.
    const during = await writer.when((s) => s.buffered <= 50 && s.dropped > 0);
    expect(during.buffered).toBeLessThanOrEqual(50);
    expect(during.accepted).toBe(points);
    expect(during.dropped).toBe(points - during.buffered - during.written);
    expect(await metrics.registry.getSingleMetricAsString('flashmm_storage_connected')).toContain('flashmm_storage_connected{sink="tsdb"} 0');
    expect(await metrics.registry.getSingleMetricAsString('flashmm_storage_dropped_writes_total')).toContain(
      `flashmm_storage_dropped_writes_total{sink="tsdb",reason="buffer_full"} ${during.dropped}`,
    );

    await vm.start();
    await writer.idle();
    const after = writer.stats();
    expect(after).toMatchObject({ accepted: points, buffered: 0 });
    expect(after.written + after.dropped).toBe(points);
    expect(after.written).toBeGreaterThan(0);
    expect(await metrics.registry.getSingleMetricAsString('flashmm_storage_connected')).toContain('flashmm_storage_connected{sink="tsdb"} 1');
    await writer.close();
    await vm.forceFlush();

    const [series] = await vm.exportSeries('{__name__="latency_seconds",op="outage"}');
    expect(series?.values.length).toBe(after.written);
    // Every point kept has its own value at its own timestamp (the value is its index).
    series?.timestamps.forEach((t, i) => expect(series.values[i]).toBe(t - (T0 + 10_000)));
  }, 60_000);
});
