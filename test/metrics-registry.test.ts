// The registry: names, labels, private registries, and a page that promtool lints clean, with
// every metric the alert rules and the dashboards read. (The live page of a running daemon is
// checked in metrics-e2e.test.ts.)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createMetrics, DECISION_BUCKETS } from '../src/telemetry/metrics.js';
import { requireTool } from './helpers/tools.js';

// promtool (Debian package `prometheus`) lints the page.
const withPromtool = test.skipIf(!requireTool('promtool', 'apt-get install -y prometheus'));

const deployDir = fileURLToPath(new URL('../deploy/', import.meta.url));

function promtoolRun(args: string[], input?: string) {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// prom-client's own Node metrics, which it names (gauges ending in _total) against the
// conventions promtool lints for; ours must lint clean.
const PROM_CLIENT_LINT = /^flashmm_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

/** A registry with every metric of ours given at least one sample. */
async function populatedPage(defaultMetrics: boolean): Promise<string> {
  const m = createMetrics({ build: { version: '0.1.0', coreVersion: '0.1.0' }, defaultMetrics });
  const market = 'SEI/USDC';
  m.initMarket(market);
  m.pnlTotal.set({ market }, 0.75);
  m.pnlDaily.set({ market }, 0.5);
  m.makerFees.set({ market }, -0.02);
  m.pnlRealised.set({ market }, 1.25);
  m.pnlUnrealised.set({ market }, -0.5);
  m.fees.set({ market }, -0.01);
  m.positionLots.set({ market }, 12);
  m.positionUtilisation.set({ market }, 0.12);
  m.ordersSent.inc({ market, side: 'buy' });
  m.ordersCancelled.inc({ market });
  m.ordersRejected.inc({ market, reason: 'post_only_cross' });
  m.fills.inc({ market, side: 'sell', liquidity: 'maker' });
  m.filledVolume.inc({ market, side: 'sell' }, 10);
  m.lastFill.set({ market }, Date.now() / 1000);
  m.fillRate.set({ market }, 0.3);
  m.quoteSpread.set({ market }, 5);
  m.spreadImprovement.set({ market }, 2.5);
  m.riskTransition(market, 'active', 'reducing', 'position_limit');
  m.setKillSwitch(true);
  m.errors.inc({ kind: 'venue' });
  m.badInput.inc({ source: 'binance', reason: 'bad_json' });
  m.predictions.inc({ market, horizon: '200ms' });
  m.predictionOutcomes.inc({ market, horizon: '200ms', outcome: 'correct' });
  m.predictionAccuracy.set({ market, horizon: '200ms' }, 0.55);
  m.tickToDecision.observe({ stage: 'total' }, 0.00012);
  m.venueRequest.observe({ venue: 'sim', op: 'place' }, 0.006);
  m.orderResting.observe({ venue: 'sei' }, 0.42);
  m.orderRestingBlocks.observe({ venue: 'sei' }, 2);
  m.venueBroadcast.observe({ venue: 'sei', from: 'data' }, 0.0008);
  m.bookStaleness.set({ market }, 0.2);
  m.bookValid.set({ market }, 1);
  m.venueConnected.set({ venue: 'sim' }, 1);
  m.initStorage('redis', 10_000);
  m.storageConnected.set({ sink: 'redis' }, 0);
  m.storageBuffered.set({ sink: 'redis' }, 12);
  m.storageDropped.inc({ sink: 'redis', reason: 'buffer_full' }, 3);
  m.storageWrites.inc({ sink: 'redis' }, 40);
  m.storageWrite.observe({ sink: 'redis' }, 0.0004);
  m.notifications.inc({ kind: 'kill_switch', outcome: 'sent' });
  return m.render();
}

describe('metrics', () => {
  test('names, values and the risk transition', async () => {
    const page = await populatedPage(true);
    expect(page).toContain('flashmm_build_info{version="0.1.0",core_version="0.1.0"');
    expect(page).toContain('flashmm_risk_state{market="SEI/USDC"} 1');
    expect(page).toContain('flashmm_risk_transitions_total{market="SEI/USDC",from="active",to="reducing",reason="position_limit"} 1');
    expect(page).toContain('flashmm_kill_switch_engaged 1');
    expect(page).toContain('flashmm_storage_buffered_writes{sink="redis"} 12');
    expect(page).toContain('flashmm_storage_buffer_capacity_writes{sink="redis"} 10000');
    expect(page).toContain('flashmm_storage_dropped_writes_total{sink="redis",reason="buffer_full"} 3');
    expect(page).toContain('flashmm_storage_dropped_writes_total{sink="redis",reason="rejected"} 0');
    expect(page).toContain('flashmm_book_valid{market="SEI/USDC"} 1');
    expect(page).toContain('flashmm_venue_request_seconds_bucket{le="0.35",venue="sim",op="place"} 1');
    expect(page).toContain('flashmm_order_resting_seconds_bucket{le="0.4",venue="sei"} 0');
    expect(page).toContain('flashmm_order_resting_seconds_bucket{le="0.45",venue="sei"} 1');
    expect(page).toContain('flashmm_order_resting_blocks_bucket{le="2",venue="sei"} 1');
    expect(page).toContain('flashmm_venue_broadcast_seconds_bucket{le="0.00075",venue="sei",from="data"} 0');
    expect(page).toContain('flashmm_venue_broadcast_seconds_bucket{le="0.001",venue="sei",from="data"} 1');
    expect(page).toMatch(/^flashmm_uptime_seconds \d/m);
    expect(page).toContain('flashmm_process_resident_memory_bytes');
    expect(page).toContain(`flashmm_tick_to_decision_seconds_bucket{le="${DECISION_BUCKETS[0]}",stage="total"} 0`);
    const names = [...page.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] ?? '');
    expect(names.every((n) => n.startsWith('flashmm_'))).toBe(true);
  });

  test('registries are private: two daemons in one process do not collide', async () => {
    const a = createMetrics({ build: { version: 'a' }, defaultMetrics: false });
    const b = createMetrics({ build: { version: 'b' }, defaultMetrics: false });
    a.errors.inc({ kind: 'x' });
    expect(await b.render()).not.toContain('kind="x"');
  });

  withPromtool('promtool check metrics: ours lint clean', async () => {
    const r = promtoolRun(['check', 'metrics'], await populatedPage(false));
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  withPromtool('promtool check metrics: the full page, Node metrics included, parses', async () => {
    const r = promtoolRun(['check', 'metrics'], await populatedPage(true));
    const problems = r.output.split('\n').filter((l) => l !== '' && !PROM_CLIENT_LINT.test(l));
    expect(problems).toEqual([]);
  });

  test('every flashmm metric the alert rules and dashboards read is registered', async () => {
    const page = await populatedPage(true);
    const registered = new Set([...page.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name ?? '']));
    const files = ['prometheus/rules.yml', ...readdirSync(`${deployDir}grafana/dashboards`).map((f) => `grafana/dashboards/${f}`)];
    const used = new Set(files.flatMap((f) => readFileSync(`${deployDir}${f}`, 'utf8').match(/\bflashmm_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(30);
    expect([...used].filter((name) => !registered.has(name))).toEqual([]);
  });
  test('docs/metrics.md lists exactly the registered metrics, each with its labels', async () => {
    const m = createMetrics({ build: { version: 'x' }, defaultMetrics: false });
    const docs = readFileSync(fileURLToPath(new URL('../docs/metrics.md', import.meta.url)), 'utf8');
    const rows = new Map([...docs.matchAll(/^\| `(flashmm_[a-z0-9_]+)` \| (\w+) \| ([^|]*) \|/gm)].map(([, name, type, labels]) => [name, { type, labels }]));
    const registered = await m.registry.getMetricsAsJSON();
    expect([...rows.keys()].sort()).toEqual(registered.map((x) => x.name).sort());
    // prom-client keeps each metric's label names on the metric object.
    const labelNames = new Map(m.registry.getMetricsAsArray().map((x) => [x.name, (x as unknown as { labelNames: string[] }).labelNames]));
    for (const { name, type } of registered) {
      const row = rows.get(name);
      expect(row?.type, name).toBe(String(type));
      const documented = (row?.labels ?? '').split('(')[0]?.split(',').map((l) => l.trim()).filter((l) => l !== '—' && l !== '') ?? [];
      expect(documented, name).toEqual(labelNames.get(name));
    }
  });
});
