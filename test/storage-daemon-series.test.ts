// The daemon's time series end to end: `flashmm run` on the embedded sim venue with the shipped
// model and `storage.influx` pointed at a real VictoriaMetrics (/api/v2/write), its debug log on.
// Every decision the daemon logs ('decision': the touch in ticks, the half spreads it quoted, its
// position and exact net P&L, its fill rate, the model's forecast, the decision's latency) is read
// back from VictoriaMetrics at the same millisecond with exactly the series' tags: the spreads in
// bps from the touch and the half spreads, the P&L of the exact decimal. The model's forecasts are
// the core's (MarketState.drainForecasts): each forecast the core scores, at its row's time, at
// every horizon of models/default.onnx, its shortest horizon the forecast a logged decision
// acted on; each outcome is scored by the core's label rule, the written rolling accuracy is
// the one the API's forecast scores report, and each outcome's right/wrong (the written
// probabilities' argmax against it) adds up to the API's tally. Nothing else is there.
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
const HORIZONS_MS = [100, 200, 500]; // models/default.onnx
const SCORE_WINDOW = 500; // docs/storage.md: the core's rolling accuracy of the last 500 scored forecasts
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

/** The forecast scores of `GET /api/v1/markets/:symbol` (ForecastScoreView). */
interface Score {
  readonly horizonMs: number;
  readonly forecasts: number;
  readonly correct: number;
  readonly wrong: number;
  readonly accuracy: number | null;
}

/** One horizon's `ml_predictions` series (all its points) by field. */
function horizonSeries(all: readonly ExportedSeries[], horizonMs: number): (field: string) => Points {
  return (field) => {
    const name = `ml_predictions_${field}`;
    const matching = all.filter((s) => s.metric['__name__'] === name && s.metric['horizon'] === `${horizonMs}ms`);
    expect(matching.map((s) => s.metric), `${name} ${horizonMs}ms`).toEqual([{ __name__: name, market: SYMBOL, horizon: `${horizonMs}ms` }]);
    const s = matching[0]!;
    return sorted(s.timestamps.map((t, i) => [t, s.values[i]!] as [number, number]));
  };
}

const close = (a: number, b: number) => Math.abs(a - b) <= Math.abs(b) * 1e-11;

describe('the daemon writes its time series to a real VictoriaMetrics', () => {
  it('every logged decision is in trading_metrics, ml_predictions and latency at its timestamp, with exact tags and values', async () => {
    const d = DaemonProcess.start(['--config', configPath], { FLASHMM_TELEMETRY__LOG_LEVEL: 'debug' });
    const decisions = () => d.lines.filter((l) => l.msg === 'decision' && l.symbol === SYMBOL) as unknown as Decision[];
    let scores: Score[];
    let cutoffMs: number; // decisions up to it are compared (the daemon goes on deciding meanwhile)
    try {
      const url = String((await d.next((l) => l.msg.startsWith('api listening'), 'api listening', 60_000)).url);
      await d.next((l) => l.msg.startsWith('model forecast active'), 'the first forecast', 60_000);
      const enough = (l: LogLine) => l.msg === 'decision'
        && decisions().filter((x) => x.forecast !== null).length >= FORECASTS && decisions().some((x) => x.fillRate !== null && x.fillRate > 0);
      await d.next(enough, `${FORECASTS} forecasts and a fill`, 60_000);
      // The core's tallies now: every outcome scored by then is written later, in order.
      scores = ((await (await fetch(`${url}/api/v1/markets/${encodeURIComponent(SYMBOL)}`)).json()) as { scores: Score[] }).scores;
      const status = StatusSchema.strict().parse(await (await fetch(`${url}/api/v1/status`)).json());
      expect(status.storage?.redis).toBeNull();
      expect(status.storage?.timeseries).toMatchObject({ connected: true, dropped: 0, lastError: null });
      expect(status.storage?.timeseries?.written).toBeGreaterThan(0);
      cutoffMs = decisions().at(-1)!.atMs;
      // Points go out in order: once the series is well past the cutoff, all up to it is written, outcomes too.
      await writtenPast(cutoffMs + Math.max(...HORIZONS_MS) + 1_000, 60_000);
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

    expect(scores!.map((s) => s.horizonMs)).toEqual(HORIZONS_MS);
    // Any logged decision, also one after the cutoff: a row's time is the exchange's, which lags
    // the daemon's clock, so a row sampled by the cutoff may first be acted on just after it.
    const forecasts = all.filter((x) => x.forecast !== null);
    const shortest = horizonSeries(series, HORIZONS_MS[0]!);
    const rows = shortest('p_down').map((p) => p[0]);
    for (const [k, h] of HORIZONS_MS.entries()) {
      const ml = horizonSeries(series, h);
      const score = scores![k]!;
      const [down, flat, up, confidence] = ['p_down', 'p_flat', 'p_up', 'confidence'].map(ml) as [Points, Points, Points, Points];
      // Every horizon of every forecast the core scores, at the forecast's row: at least those made by the API's tally.
      for (const field of [down, flat, up, confidence]) expect(field.map((p) => p[0]), `${h} ms: rows`).toEqual(rows);
      expect(rows.length, `${h} ms: forecasts`).toBeGreaterThanOrEqual(score.forecasts);
      down.forEach(([t, d], i) => expect(Math.abs(d + flat[i]![1] + up[i]![1] - 1), `${h} ms at ${t}: probabilities`).toBeLessThan(1e-6));
      const outcome = ml('outcome');
      const accuracy = ml('rolling_accuracy');
      expect(accuracy.map((p) => p[0]), `${h} ms: outcome rows`).toEqual(outcome.map((p) => p[0]));
      // The outcomes the API had scored: the first correct + wrong, right when the written probabilities' argmax was the outcome.
      const n = score.correct + score.wrong;
      expect(n, `${h} ms: scored`).toBeGreaterThan(FORECASTS / 3);
      expect(outcome.length).toBeGreaterThanOrEqual(n);
      const right = outcome.slice(0, n).map(([t, o]) => {
        const i = rows.indexOf(t);
        expect(i, `${h} ms: outcome at ${t} is a forecast's`).toBeGreaterThanOrEqual(0);
        return argmax([down[i]![1], flat[i]![1], up[i]![1]]) === o + 1;
      });
      expect(right.filter(Boolean).length, `${h} ms: right`).toBe(score.correct);
      right.forEach((_, i) => {
        const recent = right.slice(Math.max(0, i + 1 - SCORE_WINDOW), i + 1);
        expect(close(accuracy[i]![1], recent.filter(Boolean).length / recent.length), `${h} ms: rolling accuracy ${i}`).toBe(true);
      });
      expect(close(accuracy[n - 1]![1], score.accuracy!), `${h} ms: the API's accuracy`).toBe(true);
      expect(new Set(outcome.map((p) => p[1])).size, `${h} ms: outcomes`).toBeGreaterThan(1); // the mid moved both ways or stood
    }
    // The shortest horizon of each forecast is the one a decision acted on (its logged forecast: the same f32 probabilities).
    const early = rows.filter((t) => t <= cutoffMs!);
    expect(early.length).toBeGreaterThan(FORECASTS / 3);
    const [down, up, confidence] = ['p_down', 'p_up', 'confidence'].map(shortest) as [Points, Points, Points];
    for (const t of early) {
      const i = rows.indexOf(t);
      const acted = forecasts.some((x) => close(x.forecast!.pDown, down[i]![1]) && close(x.forecast!.pUp, up[i]![1]) && close(x.forecast!.confidence, confidence[i]![1]));
      expect(acted, `forecast at ${t}: a decision's`).toBe(true);
    }

    // Exactly these series, nothing else: ml_predictions once per horizon.
    const ml = ['confidence', 'outcome', 'p_down', 'p_flat', 'p_up', 'rolling_accuracy'].flatMap((f) => HORIZONS_MS.map((h) => `ml_predictions_${f}{${h}ms}`));
    const names = series.map((s) => `${s.metric['__name__']}${s.metric['horizon'] === undefined ? '' : `{${s.metric['horizon']}}`}`);
    expect(names.sort()).toEqual([
      'latency_seconds', ...ml, 'trading_metrics_fill_rate', 'trading_metrics_inventory_lots',
      'trading_metrics_market_spread_bps', 'trading_metrics_our_spread_bps', 'trading_metrics_pnl', 'trading_metrics_spread_improvement_bps',
    ].sort());
  }, 240_000);
});
