// Models through N-API: a tiny MLP trained by trainModel, loaded, predicting; the live
// Signal and the FeatureEngine over a recording.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { BinanceReader, FeatureEngine, Model, Signal, trainModel, type Prediction, type TrainProgress, type TrainResult } from '../src/native.js';

const file = recording('spot_btcusdt_20240808.gz');
const dir = mkdtempSync(join(tmpdir(), 'flashmm-model-'));
const modelPath = join(dir, 'mlp.onnx');
let trained: TrainResult;
const progress: TrainProgress[] = [];

beforeAll(async () => {
  trained = await trainModel({ data: [file], arch: 'mlp', tiny: true, seed: 7 }, (p) => progress.push(p));
  writeFileSync(modelPath, trained.onnx);
}, 120_000);

/** Deterministic pseudo-random features in roughly the raw features' range. */
function windows(n: number, seq: number, salt = 1): Float32Array {
  const out = new Float32Array(n * seq * 64);
  let x = salt * 2654435761;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out[i] = (x / 2 ** 31 - 0.5) * 4;
  }
  return out;
}

function expectWellFormed(p: Prediction, horizons: number): void {
  expect(p.probs).toHaveLength(horizons);
  expect(p.confidence).toHaveLength(horizons);
  expect(p.expectedMove).toHaveLength(horizons);
  p.probs.forEach((row, h) => {
    expect(row).toHaveLength(3);
    expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    row.forEach((q) => expect(q).toBeGreaterThanOrEqual(0));
    expect(p.expectedMove[h]).toBeCloseTo((row[2] ?? 0) - (row[0] ?? 0), 6);
    expect(p.confidence[h]).toBeGreaterThanOrEqual(0);
    expect(p.confidence[h]).toBeLessThanOrEqual(1);
  });
  expect(p.overallConfidence).toBe(p.confidence[0]);
}

describe('trainModel', () => {
  it('resolves with a model, its card and progress reports', () => {
    expect(trained.arch).toBe('mlp');
    expect(trained.onnx.length).toBeGreaterThan(1000);
    expect(trained.counts.train).toBeGreaterThan(trained.counts.test);
    expect(trained.samplesPerSec).toBeGreaterThan(0);
    const card = JSON.parse(trained.report) as { arch: string; test: { model: unknown[]; markets: { market: string }[] } };
    expect(card.arch).toBe('mlp');
    expect(card.test.model).toHaveLength(3);
    expect(card.test.markets.map((m) => m.market)).toEqual(['spot_btcusdt_20240808']);
    expect(trained.markdown).toContain('| **model** |');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.filter((p) => p.valLoss != null).length).toBe(progress.at(-1)?.epoch);
  });

  it('rejects bad options with a clear message', async () => {
    await expect(trainModel({ data: [file], arch: 'cnn' })).rejects.toThrow(/unknown arch 'cnn'/);
    await expect(trainModel({ data: [file], config: '{"arch": {}}' })).rejects.toThrow(/^config: /);
    await expect(trainModel({ data: [], arch: 'mlp' })).rejects.toThrow(/no recordings/);
    await expect(trainModel({ data: ['/nonexistent.gz'], arch: 'mlp', tiny: true })).rejects.toThrow(/nonexistent\.gz/);
  });
});

describe('Model', () => {
  it('loads with the declared contract', () => {
    const m = Model.load(modelPath);
    expect(m.seq).toBe(1);
    expect(m.arch).toBe('mlp');
    expect(m.horizons).toEqual([100e6, 200e6, 500e6]);
    expect(m.featureNames).toHaveLength(64);
    expect(m.featureNames).toEqual(FeatureEngine.names());
    expect(Model.fromBuffer(trained.onnx).seq).toBe(1);
  });

  it('predicts probabilities that sum to 1; a batch equals one-by-one', () => {
    const m = Model.load(modelPath);
    const n = 7;
    const data = windows(n, m.seq);
    const batch = m.predictBatch(data, n);
    expect(batch).toHaveLength(n);
    const w = m.seq * 64;
    for (let i = 0; i < n; i++) {
      const one = m.predict(data.subarray(i * w, (i + 1) * w));
      expectWellFormed(one, 3);
      const b = batch[i];
      if (!b) throw new Error('missing batch item');
      // The two plans use different matmul kernels: equal up to f32 rounding.
      one.probs.forEach((row, h) => row.forEach((q, c) => expect(b.probs[h]?.[c]).toBeCloseTo(q, 5)));
    }
    expect(() => m.predict(new Float32Array(63))).toThrow(/expected 1 windows of 1 × 64 = 64 floats, got 63/);
  });

  it('predictInto writes the same probabilities into a caller buffer; non-finite input is refused', () => {
    const m = Model.load(modelPath);
    const x = windows(1, m.seq, 5);
    const out = new Float32Array(9);
    m.predictInto(x, out);
    const p = m.predict(x);
    expect(Array.from(out)).toEqual(p.probs.flat().map((q) => Math.fround(q)));
    expect(() => m.predictInto(x, new Float32Array(8))).toThrow(/out must hold 9 floats \(horizons × 3\), got 8/);
    x[3] = Number.NaN;
    expect(() => m.predict(x)).toThrow(/feature 3 \(micro_minus_mid_bps\) of window row 0 is not finite: NaN/);
  });

  it('refuses a corrupt file and a file that breaks the contract, saying why', () => {
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, trained.onnx.subarray(0, 100));
    expect(() => Model.load(corrupt)).toThrow(/not a valid ONNX model/);
    expect(() => Model.load(join(dir, 'missing.onnx'))).toThrow(/reading model file .*missing\.onnx/);
    // Same-length rename keeps the protobuf valid: the input is no longer called `features`.
    const renamed = Buffer.from(trained.onnx.toString('latin1').replaceAll('features', 'featurez'), 'latin1');
    expect(() => Model.fromBuffer(renamed)).toThrow(/FlashMM ONNX contract.*input named `features`/);
  });
});

/** Every event of the recording, batch by batch, to `feed`. */
function replay(feed: (b: NonNullable<ReturnType<BinanceReader['nextBatch']>>) => void): string {
  const reader = new BinanceReader(file);
  for (let b = reader.nextBatch(); b !== null; b = reader.nextBatch()) feed(b);
  return reader.sequenceRule;
}

describe('Signal and FeatureEngine', () => {
  it('a signal over a recording becomes ready, predicts and hot-reloads', () => {
    const rule = new BinanceReader(file).sequenceRule;
    const signal = new Signal(modelPath, rule);
    const engine = new FeatureEngine(rule);
    let rows = 0;
    expect(signal.predict()).toBeNull();
    replay((b) => {
      signal.applyBatch(b);
      rows += engine.applyBatch(b);
    });
    expect(signal.ready).toBe(true);
    expect(signal.samples).toBe(rows); // the same grid rows (seq 1, same warm-up)
    expect(rows).toBeGreaterThan(trained.counts.rows[0] ?? 0); // the dataset drops the unlabelled tail
    const p = signal.predict();
    if (p === null) throw new Error('ready but no prediction');
    expectWellFormed(p, 3);
    expect(engine.features).toHaveLength(64);

    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'not a model');
    expect(() => signal.reload(bad)).toThrow(/not a valid ONNX model/);
    expect(signal.generation).toBe(0);
    expect(signal.predict()).toEqual(p);
    signal.reload(modelPath);
    expect(signal.generation).toBe(1);
    expect(signal.predict()).toEqual(p); // the same model file: the same prediction
  });

  it('rejects an unknown sequence rule', () => {
    expect(() => new Signal(modelPath, 'lenient')).toThrow(/unknown sequence rule 'lenient'/);
    expect(() => new FeatureEngine('lenient')).toThrow(/unknown sequence rule/);
  });
});
