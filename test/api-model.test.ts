// The control plane of a daemon that forecasts (the shipped model, a copy in a scratch
// directory): the market view's prediction, its scores against what the mid did and the feature
// summary; the same scores on /metrics; model reload reporting its generation, and a file that
// does not load refused while the old model keeps serving.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cargo.js';
import { call, type ControlPlane, type LogLine, roleTokens, SIM_MODEL_CONFIG, startControlPlane, tokenConfig, until } from './helpers/control-plane.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const SYMBOL = 'SEI/USDC';
const M = encodeURIComponent(SYMBOL);
const tokens = roleTokens();
const dir = scratchDir('api-model');
const modelFile = join(dir, 'model.onnx');
let cp: ControlPlane;
let base: string;

beforeAll(async () => {
  copyFileSync(fileURLToPath(new URL('models/default.onnx', repoRoot)), modelFile);
  cp = await startControlPlane({ tokens: tokenConfig(tokens) }, SIM_MODEL_CONFIG.replace('path: models/default.onnx', `path: ${modelFile}`));
  base = cp.server.url;
  await cp.nextLine((l) => l.msg.startsWith('model forecast active'), 20_000);
}, 40_000);

afterAll(async () => {
  await cp?.stop();
  removeDir(dir);
});

const audits = (action: string): LogLine[] => cp.lines.filter((l) => l.component === 'audit' && (l['audit'] as { action: string }).action === action);
const market = async () => (await call(base, `/api/v1/markets/${M}`)).body;

describe('a daemon with a model', () => {
  it('the market view: the prediction at every horizon, the feature summary, A and k', async () => {
    await until('a prediction', async () => (await market()).prediction !== null, 10_000);
    const view = await market();
    const { probs, confidence } = view.prediction as { probs: number[][]; confidence: number };
    expect(probs).toHaveLength(3);
    for (const p of probs) {
      expect(p).toHaveLength(3);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(confidence).toBeGreaterThanOrEqual(0);
    expect(confidence).toBeLessThanOrEqual(1);
    expect(Object.keys(view.features).sort()).toEqual([
      'ewma_vol_10s', 'imbalance_l1', 'imbalance_l5', 'ofi_1s', 'ret_1s', 'rv_5s', 'spread_bps', 'tfi_1s',
    ]);
    // The book's spread in bps, as the feature engine saw it on the latest row.
    expect(view.features.spread_bps).toBeGreaterThan(0);
    expect(view.A).toBeGreaterThan(0);
    expect(view.k).toBeGreaterThan(0);
    expect(view.unavailable).toEqual([]);
  });

  it('forecasts are scored per horizon once it has passed; /metrics counts the same outcomes', async () => {
    await until('every horizon scored', async () => (await market()).scores.every((s: { correct: number; wrong: number }) => s.correct + s.wrong >= 5), 20_000);
    const { scores } = await market();
    expect(scores.map((s: { horizonMs: number }) => s.horizonMs)).toEqual([100, 200, 500]);
    for (const s of scores) {
      expect(s.forecasts).toBeGreaterThanOrEqual(s.correct + s.wrong + s.unscored);
      expect(s.accuracy).toBeCloseTo(s.correct / (s.correct + s.wrong), 9); // fewer than 500 scored: the window is all of them
    }
    // The daemon exports them about once a second: what /metrics shows never exceeds the view's, and catches up.
    const series = (text: string, name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    await until('metrics caught up', async () => {
      const text = (await call(base, '/metrics')).text;
      const now = (await market()).scores as { horizonMs: number; correct: number; wrong: number }[];
      return scores.every((s: { horizonMs: number; correct: number }, i: number) => {
        const correct = series(text, 'flashmm_prediction_outcomes_total', `market="${SYMBOL}",horizon="${s.horizonMs}ms",outcome="correct"`);
        const wrong = series(text, 'flashmm_prediction_outcomes_total', `market="${SYMBOL}",horizon="${s.horizonMs}ms",outcome="wrong"`);
        const accuracy = series(text, 'flashmm_prediction_accuracy_ratio', `market="${SYMBOL}",horizon="${s.horizonMs}ms"`);
        const live = now[i];
        return live !== undefined && correct >= s.correct && correct <= live.correct && wrong <= live.wrong && accuracy >= 0 && accuracy <= 1;
      });
    }, 10_000);
  });

  it('model reload: the generation goes up, audited; a file that does not load is refused and the old model keeps serving', async () => {
    const before = (await call(base, '/api/v1/status')).body.model;
    expect(before).toEqual({ enabled: true, path: modelFile, generation: 0 });
    const res = await call(base, '/api/v1/admin/model/reload', { method: 'POST', body: { reason: 'new weights' }, token: tokens.admin });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ action: 'model-reload', target: 'all', before, after: { ...before, generation: 1 } });
    expect((await call(base, '/api/v1/status')).body.model.generation).toBe(1);
    expect(audits('model-reload').at(-1)?.['audit']).toMatchObject({ outcome: 'applied', before: { generation: 0 }, after: { generation: 1 }, detail: 'new weights' });

    writeFileSync(modelFile, 'not an onnx model');
    const bad = await call(base, '/api/v1/admin/model/reload', { method: 'POST', token: tokens.admin });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('failed');
    expect(bad.body.error.message).toMatch(/^SEI\/USDC: /);
    expect(audits('model-reload').at(-1)?.['audit']).toMatchObject({ outcome: 'failed' });
    expect((await call(base, '/api/v1/status')).body.model.generation).toBe(1);
    // Still forecasting: a decision after the refusal has one.
    const loop = cp.daemon.loops.get(SYMBOL);
    const n = loop?.decisions ?? 0;
    await until('a decision after the refusal', () => (loop?.decisions ?? 0) > n + 1);
    expect(loop?.latest()?.inputs.forecast).toBeDefined();
  });

  it('/ready: books valid, venue connected, reconciled', async () => {
    expect((await call(base, '/ready')).body).toEqual({ ready: true, checks: { booksValid: true, venueConnected: true, reconciled: true } });
  });
});
