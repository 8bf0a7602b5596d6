// `flashmm report`: the performance report of a backtest. Its numbers are the result JSON's,
// exactly (money through the core's formatter, counts as they are); the two figures it derives
// (spread against the market, forecasts against outcomes) are checked against hand-computed
// answers on scripted steps; the PNG card decodes (pngjs) to the right size and colours and is
// identical for the same inputs.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultWithRecords } from '../src/backtest/report.js';
import type { StepRecord } from '../src/native.js';
import { recording } from '../src/config/data-dir.js';
import { MarketSpec, runBacktest } from '../src/native.js';
import { BacktestJsonSource } from '../src/report/backtest-source.js';
import { CARD_HEIGHT, CARD_WIDTH, cardSvg, renderCard } from '../src/report/card.js';
import { reportFigures, SUMMARY_FIELDS, summaryLine } from '../src/report/figures.js';
import { predictionScores, scoreForecasts } from '../src/report/predictions.js';
import { spreadImprovement } from '../src/report/spread.js';
import { repoRoot } from './helpers/cargo.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const run = promisify(execFile);
const cli = join(repoRoot.pathname, 'dist/cli.js');
const MODEL = join(repoRoot.pathname, 'models/default.onnx');

const step = (ms: number, bid: number, ask: number, quoteBid: number | null, quoteAsk: number | null): StepRecord => ({
  ts: String(BigInt(ms) * 1_000_000n), bid, ask, position: 0, cash: '0', fees: '0', quote_bid: quoteBid, quote_ask: quoteAsk,
});

// Mids in half-ticks: 202, 204, 204, 204. Step 2 quotes one side only; step 3's market is locked.
const STEPS = [step(0, 100, 102, 100, 102), step(100, 100, 104, 101, 103), step(200, 101, 103, null, 103), step(300, 102, 102, 101, 103)];

describe('spread against the market (scripted steps)', () => {
  it('averages market − ours over the two-sided steps, in bp of the mid and relative to the market spread', () => {
    const bp = (ticks: number, mid2: number) => (ticks * 2e4) / mid2;
    expect(spreadImprovement(STEPS)).toEqual({
      steps: 3, totalSteps: 4, quotedShare: 0.75,
      marketSpreadBps: (bp(2, 202) + bp(4, 204) + bp(0, 204)) / 3,
      ourSpreadBps: (bp(2, 202) + bp(2, 204) + bp(2, 204)) / 3,
      improvementBps: (0 + bp(2, 204) - bp(2, 204)) / 3,
      improvementRatio: (0 + 0.5) / 2, // the locked step has no ratio
      tighterSteps: 1,
    });
    expect(spreadImprovement([])).toMatchObject({ steps: 0, quotedShare: null, improvementBps: null, improvementRatio: null });
  });
});

describe('forecasts against outcomes (scripted steps)', () => {
  it('scores the most probable class and the direction against the mid in force at t + h; past the end is not scored', () => {
    const forecasts = [
      [[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]], // up (right at 100 ms: 202 → 204), down (wrong at 200 ms: 202 → 204)
      null, // no forecast yet
      [[0.2, 0.6, 0.2], [0.1, 0.1, 0.8]], // flat (right at 100 ms: 204 → 204); 200 ms ends past the last step
      [[0.3, 0.3, 0.4], [0.3, 0.3, 0.4]], // every horizon ends past the last step
    ];
    expect(scoreForecasts(STEPS, forecasts, [100_000_000, 200_000_000])).toEqual([
      { horizonMs: 100, scored: 2, correct: 2, accuracy: 1, moves: 1, directionRight: 1, directionGivenMove: 1 },
      { horizonMs: 200, scored: 1, correct: 0, accuracy: 0, moves: 1, directionRight: 0, directionGivenMove: 0 },
    ]);
    expect(() => scoreForecasts(STEPS, [null], [100_000_000])).toThrow('1 forecasts for 4 steps');
  });
});

describe('flashmm report on a real backtest', () => {
  const file = recording('spot_btcusdt_20240808.gz');
  let dir: string;
  let json: string;
  let result: ResultWithRecords;
  let spec: MarketSpec;

  beforeAll(() => {
    dir = scratchDir('report');
    const out = runBacktest({ path: file, records: true });
    json = join(dir, 'bt.json');
    writeFileSync(json, out.json);
    result = JSON.parse(out.json) as ResultWithRecords;
    spec = out.spec;
  });
  afterAll(() => removeDir(dir));

  it('writes the HTML page and the card; every number is the result JSON’s, exactly', async () => {
    const { stdout } = await run(process.execPath, [cli, 'report', '--backtest', json, '--recording', file, '--model', MODEL, '--out', join(dir, 'r')], { timeout: 60_000 });
    const s = result.stats;
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    const cell = (id: string) => new RegExp(`<td id="${id}">([^<]*)</td>`).exec(html)?.[1];
    expect(cell('pnl-net')).toBe(spec.formatMoney(s.pnl.net));
    expect(cell('pnl-realised')).toBe(spec.formatMoney(s.pnl.realised));
    expect(cell('pnl-unrealised')).toBe(spec.formatMoney(s.pnl.unrealised));
    expect(cell('pnl-fees')).toBe(spec.formatMoney(s.pnl.fees));
    expect(cell('fills')).toBe(String(s.trading.fills));
    expect(cell('fills-split')).toBe(`${s.trading.maker_fills} / ${s.trading.taker_fills}`);
    expect(cell('inventory-max')).toBe(`${s.inventory.max_abs} lots`);
    expect(cell('inventory-last')).toBe(`${s.inventory.last} lots`);
    const spread = spreadImprovement(result.steps);
    expect(cell('spread-two-sided-steps')).toBe(`${spread.steps} of ${result.steps.length} (${((100 * spread.steps) / result.steps.length).toFixed(1)}%)`);
    const scores = predictionScores(file, MODEL, result.steps);
    for (const h of scores.horizons) expect(cell(`accuracy-${h.horizonMs}ms`)).toBe(`${(100 * h.accuracy!).toFixed(1)}% (${h.correct} of ${h.scored})`);
    expect(html).toContain('<img id="card"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained
    const figures = reportFigures({ kind: 'backtest', label: 'x', spec, result, predictions: scores });
    expect(stdout).toBe(`${summaryLine(figures, ['pnl', 'fills', 'spreadImprovement', 'predictionAccuracy'])}\nwrote ${join(dir, 'r')}.html and ${join(dir, 'r')}.png\n`);
    expect(stdout).toContain(`net P&L ${spec.formatMoney(s.pnl.net)} · fills ${s.trading.fills} ·`);
  });

  it('scores the live signal from its warm-up on: a forecast at nearly every step, only horizons past the end unscored', () => {
    const scores = predictionScores(file, MODEL, result.steps);
    expect(scores.steps).toBe(result.steps.length);
    expect(scores.forecasts).toBeGreaterThan(0.8 * result.steps.length);
    expect(scores.horizons.map((h) => h.horizonMs)).toEqual([100, 200, 500]);
    for (const h of scores.horizons) {
      expect(h.scored).toBeLessThanOrEqual(scores.forecasts);
      expect(h.scored).toBeGreaterThan(scores.forecasts - 6); // only horizons past the end are dropped
      expect(h.correct).toBeLessThanOrEqual(h.scored);
      expect(h.directionRight).toBeLessThanOrEqual(h.moves);
    }
  });

  it('renders a 1200 × 675 PNG card that decodes, shows a negative P&L in red, and is the same for the same inputs', async () => {
    const source = new BacktestJsonSource({ resultPath: json, spec, label: 'backtest of spot_btcusdt_20240808.gz' });
    const figures = reportFigures(await source.load());
    expect(BigInt(result.stats.pnl.net) < 0n).toBe(true);
    const png = renderCard(figures, SUMMARY_FIELDS);
    expect(renderCard(figures, SUMMARY_FIELDS).equals(png)).toBe(true);
    const image = PNG.sync.read(png);
    expect([image.width, image.height]).toEqual([CARD_WIDTH, CARD_HEIGHT]);
    const rgb = (x: number, y: number) => [...image.data.subarray(4 * (y * image.width + x), 4 * (y * image.width + x) + 3)];
    expect(rgb(4, 4)).toEqual([0x0f, 0x17, 0x2a]); // background
    let red = 0; // the P&L value, first tile: text in #ef4444
    for (let y = 190; y < 260; y++) for (let x = 60; x < 420; x++) if (rgb(x, y).join() === '239,68,68') red += 1;
    expect(red).toBeGreaterThan(500);
    writeFileSync(join(dir, 'card.png'), png);
  });

  it('shows only the configured fields on the card: no inventory or position ever', () => {
    const figures = reportFigures({ kind: 'backtest', label: 'x', spec, result, predictions: null });
    const svg = cardSvg(figures, ['fills']);
    expect(svg).toContain('>fills<');
    expect(svg).not.toMatch(/P&amp;L|inventory|position/i);
    expect(cardSvg(figures, SUMMARY_FIELDS)).not.toMatch(/inventory|position/i);
  });

  it('refuses a JSON without records, and a period inside the backtest', async () => {
    const bare = join(dir, 'bare.json');
    writeFileSync(bare, runBacktest({ path: file, endExchangeMs: 1723161300000 }).json);
    const r = await run(process.execPath, [cli, 'report', '--backtest', bare, '--recording', file, '--out', join(dir, 'x')]).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2, stderr: `flashmm report: ${bare}: the result has no records (steps, fills): run the backtest with --json --records\n` });
    const source = new BacktestJsonSource({ resultPath: json, spec });
    const first = BigInt(result.stats.span.first_ts);
    await expect(source.load({ period: { fromNs: first + 1n, toNs: first + 10n ** 12n } })).rejects.toThrow("a backtest's statistics cover its whole run");
  });
});
