// The daemon's time series end to end: `flashmm run` on the embedded sim venue with the shipped
// model and `storage.influx` pointed at a real VictoriaMetrics (/api/v2/write), its debug log on.
// Every decision the daemon logs ('decision': the touch in ticks, the half spreads it quoted, its
// position and exact net P&L, its fill rate, the model's forecast, the decision's latency) is read
// back from VictoriaMetrics at the same millisecond with exactly the series' tags: the spreads in
// bps from the touch and the half spreads, the P&L of the exact decimal, the forecast's
// probabilities, and each forecast's outcome and rolling accuracy as the mid in force at t + h
// (the mid of the last decision at or before it) says. Nothing else is there.
//
// VictoriaMetrics keeps 12 significant decimal digits of a float (it stores decimal mantissas):
// floats are compared to that precision, integers exactly.
// Needs the built code (`npm run build:ts`, run by `npm test`'s pretest).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusSchema } from '../src/api/schemas.js';
import { DaemonProcess, type LogLine } from './helpers/sei-daemon.js';
import { removeDir, scratchDir } from './helpers/servers.js';
import { startVictoriaMetrics, type ExportedSeries, type TestVictoriaMetrics } from './helpers/victoria-metrics.js';

const SYMBOL = 'SEI/USDC';
const BUCKET = 'flashmm-e2e';
const ACCURACY_WINDOW = 100; // docs/storage.md: the rolling accuracy of the last 100 forecasts
const FORECASTS = 60;

let vm: TestVictoriaMetrics;
let dir: string;
let configPath: string;

beforeAll(async () => {
  vm = await startVictoriaMetrics();
  dir = scratchDir('daemon-series');
  configPath = join(dir, 'daemon.json');
  writeFileSync(configPath, JSON.stringify({
    venue: { generator: { seed: 3, initialPrice: '0.4000', ziParams: { marketRate: 20, limitRate: 60 } }, latency: { entryMs: 1, responseMs: 1 } },
    markets: [{ symbol: SYMBOL, tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 }],
    strategy: { orderSizeLots: 10, ladder: { levels: 2, levelStepTicks: 1, sizesLots: [10, 10] } },
    risk: { maxPositionLots: 100_000, maxNotional: '1000000', maxDailyLoss: '1000000', maxDrawdown: '1000000' },
    engine: { intervalMs: 100 },
    model: { enabled: true, warmupSeconds: 1 },
    storage: { influx: { url: vm.url, org: 'flashmm', bucket: BUCKET, batchSize: 200, flushIntervalMs: 100 } },
  }));
});

afterAll(async () => {
  await vm?.dispose();
  if (dir !== undefined) removeDir(dir);
});

interface Decision {
  readonly atMs: number;
  readonly bid: number | null;
  readonly ask: number | null;
  readonly mid2: number | null;
  readonly halfSpreads: { readonly bid: number | null; readonly ask: number | null } | null;
  readonly lots: number;
  readonly pnlNet: string | null;
  readonly fillRate: number | null;
  readonly forecast: { readonly pDown: number; readonly pUp: number; readonly confidence: number } | null;
  readonly seconds: number;
}

type Points = [number, number][];

/** `[timestamp, value]` pairs, by time then value (two decisions may share a millisecond). */
function sorted(points: Points): Points {
  return [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** The one series named `name`: its labels exactly, and its points up to `upToMs`. */
function only(all: readonly ExportedSeries[], name: string, labels: Record<string, string>, upToMs: number): Points {
  const matching = all.filter((s) => s.metric['__name__'] === name);
  expect(matching.map((s) => s.metric), name).toEqual([{ __name__: name, ...labels }]);
  const s = matching[0]!;
  return sorted(s.timestamps.map((t, i) => [t, s.values[i]!] as [number, number]).filter(([t]) => t <= upToMs));
}

/** Polls VictoriaMetrics until the daemon's latency series reaches `targetMs`; the latest timestamp then. */
async function writtenPast(targetMs: number, boundMs: number): Promise<number> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    await vm.forceFlush();
    const [latency] = await vm.exportSeries('{__name__="latency_seconds"}');
    const last = latency?.timestamps.at(-1) ?? 0;
    if (last >= targetMs) return last;
    if (Date.now() > deadline) throw new Error(`latency_seconds reached ${last}, not ${targetMs}, within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Equal timestamps and, per point, the value to VictoriaMetrics' 12 significant digits (integers: exactly). */
function expectPoints(name: string, actual: Points, expected: Points, integer = false): void {
  const want = sorted(expected);
  expect(actual.map((p) => p[0]), `${name}: timestamps`).toEqual(want.map((p) => p[0]));
  actual.forEach(([t, v], i) => {
    const e = want[i]![1];
    if (integer) expect(v, `${name} at ${t}`).toBe(e);
    else expect(Math.abs(v - e), `${name} at ${t}: ${v} vs ${e}`).toBeLessThanOrEqual(Math.abs(e) * 1e-11);
  });
}

function argmax(p: readonly number[]): number {
  return p.reduce((best, x, i) => (x > p[best]! ? i : best), 0);
}

/** Each forecast's outcome and the rolling accuracy then, by the documented rule, from the logged decisions. */
function outcomes(decisions: readonly Decision[], horizonMs: number, scoredBeforeMs: number): { outcome: Points; accuracy: Points } {
  const withTop = decisions.filter((d) => d.mid2 !== null);
  const scores: boolean[] = [];
  const outcome: Points = [];
  const accuracy: Points = [];
  withTop.forEach((d, i) => {
    if (d.forecast === null) return;
    const end = d.atMs + horizonMs;
    // Scored at the first decision at or after t + h, against the last mid at or before it.
    const scoredAt = withTop.findIndex((x, j) => j > i && x.atMs >= end);
    if (scoredAt === -1 || withTop[scoredAt]!.atMs >= scoredBeforeMs) return;
    const then = withTop.slice(0, scoredAt + 1).filter((x) => x.atMs <= end).at(-1)!;
    const move = Math.sign(then.mid2! - d.mid2!);
    const { pDown, pUp } = d.forecast;
    scores.push(argmax([pDown, Math.max(0, 1 - pUp - pDown), pUp]) === move + 1);
    const recent = scores.slice(-ACCURACY_WINDOW);
    outcome.push([d.atMs, move]);
    accuracy.push([d.atMs, recent.filter(Boolean).length / recent.length]);
  });
  return { outcome, accuracy };
}

describe('the daemon writes its time series to a real VictoriaMetrics', () => {
  it('every logged decision is in trading_metrics, ml_predictions and latency at its timestamp, with exact tags and values', async () => {
    const d = DaemonProcess.start(['--config', configPath], { FLASHMM_TELEMETRY__LOG_LEVEL: 'debug' });
    const decisions = () => d.lines.filter((l) => l.msg === 'decision' && l.symbol === SYMBOL) as unknown as Decision[];
    let horizonMs: number;
    let cutoffMs: number; // decisions up to it are compared (the daemon goes on deciding meanwhile)
    let seenMs: number; // what VictoriaMetrics had written then: every outcome scored before it is in
    try {
      const url = String((await d.next((l) => l.msg.startsWith('api listening'), 'api listening', 60_000)).url);
      await d.next((l) => l.msg.startsWith('model forecast active'), 'the first forecast', 60_000);
      const enough = (l: LogLine) => l.msg === 'decision'
        && decisions().filter((x) => x.forecast !== null).length >= FORECASTS && decisions().some((x) => x.fillRate !== null && x.fillRate > 0);
      await d.next(enough, `${FORECASTS} forecasts and a fill`, 60_000);
      const market = await (await fetch(`${url}/api/v1/markets/${encodeURIComponent(SYMBOL)}`)).json() as { scores: { horizonMs: number }[] };
      horizonMs = Math.min(...market.scores.map((s) => s.horizonMs));
      const status = StatusSchema.strict().parse(await (await fetch(`${url}/api/v1/status`)).json());
      expect(status.storage?.redis).toBeNull();
      expect(status.storage?.timeseries).toMatchObject({ connected: true, dropped: 0, lastError: null });
      expect(status.storage?.timeseries?.written).toBeGreaterThan(0);
      cutoffMs = decisions().at(-1)!.atMs;
      // Points go out in order: once the series is well past the cutoff, all up to it is written, outcomes too.
      seenMs = await writtenPast(cutoffMs + horizonMs + 1_000, 60_000);
    } finally {
      d.kill('SIGTERM');
    }
    expect(await d.exited).toBe(0);
    await vm.forceFlush();

    const all = decisions();
    const upTo = all.filter((x) => x.atMs <= cutoffMs!);
    const quoted = upTo.filter((x) => x.bid !== null && x.ask !== null);
    const series = await vm.exportSeries('{__name__=~".+"}');
    const tm = (field: string) => only(series, `trading_metrics_${field}`, { market: SYMBOL }, cutoffMs!);

    expectPoints('latency', only(series, 'latency_seconds', { op: 'decision' }, cutoffMs!), upTo.map((x) => [x.atMs, x.seconds]));
    const marketBps = (x: Decision) => ((x.ask! - x.bid!) / (x.mid2! / 2)) * 1e4;
    const ours = quoted.filter((x) => x.halfSpreads?.bid != null && x.halfSpreads.ask != null);
    const ourBps = (x: Decision) => ((x.halfSpreads!.bid! + x.halfSpreads!.ask!) / (x.mid2! / 2)) * 1e4;
    expectPoints('market spread', tm('market_spread_bps'), quoted.map((x) => [x.atMs, marketBps(x)]));
    expectPoints('our spread', tm('our_spread_bps'), ours.map((x) => [x.atMs, ourBps(x)]));
    expectPoints('spread improvement', tm('spread_improvement_bps'), ours.map((x) => [x.atMs, marketBps(x) - ourBps(x)]));
    expectPoints('pnl', tm('pnl'), quoted.map((x) => [x.atMs, Number(x.pnlNet)]));
    expectPoints('inventory', tm('inventory_lots'), quoted.map((x) => [x.atMs, x.lots]), true);
    expectPoints('fill rate', tm('fill_rate'), quoted.filter((x) => x.fillRate !== null).map((x) => [x.atMs, x.fillRate!]));
    expect(quoted.some((x) => x.lots !== 0)).toBe(true); // it traded: P&L and inventory moved
    expect(ours.length).toBeGreaterThan(quoted.length / 2);

    const horizon = { market: SYMBOL, horizon: `${horizonMs!}ms` };
    const forecasts = quoted.filter((x) => x.forecast !== null);
    const ml = (field: string) => only(series, `ml_predictions_${field}`, horizon, cutoffMs!);
    expectPoints('p_down', ml('p_down'), forecasts.map((x) => [x.atMs, x.forecast!.pDown]));
    expectPoints('p_up', ml('p_up'), forecasts.map((x) => [x.atMs, x.forecast!.pUp]));
    expectPoints('p_flat', ml('p_flat'), forecasts.map((x) => [x.atMs, Math.max(0, 1 - x.forecast!.pUp - x.forecast!.pDown)]));
    expectPoints('confidence', ml('confidence'), forecasts.map((x) => [x.atMs, x.forecast!.confidence]));
    const scored = outcomes(all, horizonMs!, seenMs!);
    const early = (points: Points) => points.filter(([t]) => t <= cutoffMs!);
    expect(early(scored.outcome).length).toBeGreaterThan(FORECASTS / 2);
    expectPoints('outcome', ml('outcome'), early(scored.outcome), true);
    expectPoints('rolling accuracy', ml('rolling_accuracy'), early(scored.accuracy));
    expect(new Set(scored.outcome.map((p) => p[1])).size).toBeGreaterThan(1); // the mid moved both ways or stood

    // Exactly these series, nothing else.
    expect(series.map((s) => s.metric['__name__']).sort()).toEqual([
      'latency_seconds', 'ml_predictions_confidence', 'ml_predictions_outcome', 'ml_predictions_p_down', 'ml_predictions_p_flat',
      'ml_predictions_p_up', 'ml_predictions_rolling_accuracy', 'trading_metrics_fill_rate', 'trading_metrics_inventory_lots',
      'trading_metrics_market_spread_bps', 'trading_metrics_our_spread_bps', 'trading_metrics_pnl', 'trading_metrics_spread_improvement_bps',
    ]);
  }, 240_000);
});
