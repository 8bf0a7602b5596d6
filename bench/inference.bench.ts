// Inference latency at batch 1 through N-API (`Model.predict`: typed array in, probabilities
// out) against onnxruntime-node on the same ONNX file and the same input, in the same run.
// Models: FLASHMM_BENCH_MODELS (comma-separated paths), else every models/*.onnx, else tiny ones trained here (FLASHMM_BENCH_ARCHS, default all
// four architectures) on one recording. Percentiles are of per-call times measured around
// each call (tinybench reports means; the budget is a p99), printed to stderr at teardown.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { bench, describe } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { Model, trainModel } from '../src/native.js';

const modelsDir = new URL('../models/', import.meta.url).pathname;

async function modelFiles(): Promise<string[]> {
  const listed = process.env['FLASHMM_BENCH_MODELS'];
  if (listed) return listed.split(',').filter((f) => f.length > 0);
  const shipped = existsSync(modelsDir) ? readdirSync(modelsDir).filter((f) => f.endsWith('.onnx')) : [];
  if (shipped.length > 0) return shipped.map((f) => join(modelsDir, f));
  const dir = mkdtempSync(join(tmpdir(), 'flashmm-bench-'));
  const archs = (process.env['FLASHMM_BENCH_ARCHS'] ?? 'mlp,lstm,transformer,ensemble').split(',');
  const out: string[] = [];
  for (const arch of archs) {
    const t = await trainModel({ data: [recording('spot_btcusdt_20240808.gz')], arch, tiny: true });
    const f = join(dir, `tiny-${arch}.onnx`);
    writeFileSync(f, t.onnx);
    process.stderr.write(`trained tiny ${arch}: ${Math.round(t.samplesPerSec)} training samples/s\n`);
    out.push(f);
  }
  return out;
}

/** Raw-feature-like input: deterministic, in the range the normaliser sees. */
function input(seq: number): Float32Array {
  const x = new Float32Array(seq * 64);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 3;
  return x;
}

/** Per-call times (ns) of the measured phase; percentiles printed at the end of the run. */
function timer(label: string): { record: (ns: number) => void; setup: () => void; teardown: (_t: unknown, mode: 'warmup' | 'run') => void } {
  let ns: number[] = [];
  return {
    record: (v) => ns.push(v),
    setup: () => {
      ns = [];
    },
    teardown: (_t, mode) => {
      if (mode !== 'run' || ns.length === 0) return;
      ns.sort((a, b) => a - b);
      const q = (p: number): string => ((ns[Math.min(ns.length - 1, Math.floor(p * ns.length))] ?? 0) / 1000).toFixed(1);
      process.stderr.write(`${label}: p50 ${q(0.5)} µs, p99 ${q(0.99)} µs (${ns.length} calls)\n`);
    },
  };
}

const now = process.hrtime.bigint;

for (const file of await modelFiles()) {
  const model = Model.load(file);
  const x = input(model.seq);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, executionMode: 'sequential' });
  const feeds = { features: new ort.Tensor('float32', x, [1, model.seq, 64]) };
  // Once: both runtimes compute the same logits.
  const ours = model.logits(x, 1);
  const theirs = (await session.run(feeds))['logits']?.data as Float32Array;
  const diff = Math.max(...Array.from(ours, (v, i) => Math.abs(v - (theirs[i] ?? Number.NaN))));
  if (!(diff <= 1e-4)) throw new Error(`${file}: logits differ from onnxruntime by ${diff}`);
  // And the batch-1 path the timings measure (the evaluator when it serves the model):
  // its probabilities against the softmax of onnxruntime's logits.
  const served = new Float32Array(model.horizons.length * 3);
  model.predictInto(x, served);
  let pdiff = 0;
  for (let h = 0; h * 3 < served.length; h++) {
    const l = Array.from(theirs.subarray(h * 3, h * 3 + 3));
    const m = Math.max(...l);
    const e = l.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    e.forEach((v, c) => (pdiff = Math.max(pdiff, Math.abs(v / s - (served[h * 3 + c] ?? Number.NaN)))));
  }
  if (!(pdiff <= 1e-5)) throw new Error(`${file}: batch-1 probabilities differ from onnxruntime's by ${pdiff}`);
  process.stderr.write(
    `${basename(file)}: max |logit difference| vs onnxruntime ${diff.toExponential(2)}, batch-1 max |p difference| ${pdiff.toExponential(2)}\n`,
  );

  const a = timer(`${basename(file)} flashmm Model.predict`);
  const c = timer(`${basename(file)} flashmm Model.predictInto`);
  const b = timer(`${basename(file)} onnxruntime-node session.run`);
  const probs = new Float32Array(model.horizons.length * 3);
  describe(`inference at batch 1: ${basename(file)} (seq ${model.seq})`, () => {
    bench(
      'flashmm Model.predict (N-API)',
      () => {
        const t0 = now();
        model.predict(x);
        a.record(Number(now() - t0));
      },
      { time: 2_000, setup: a.setup, teardown: a.teardown },
    );
    bench(
      'flashmm Model.predictInto (N-API, into a Float32Array)',
      () => {
        const t0 = now();
        model.predictInto(x, probs);
        c.record(Number(now() - t0));
      },
      { time: 2_000, setup: c.setup, teardown: c.teardown },
    );
    bench(
      'onnxruntime-node session.run',
      async () => {
        const t0 = now();
        await session.run(feeds);
        b.record(Number(now() - t0));
      },
      { time: 2_000, setup: b.setup, teardown: b.teardown },
    );
  });
}
