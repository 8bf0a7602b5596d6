// `flashmm train` smoke test (the CI training check): a tiny MLP on one recording, twice
// with the same seed — byte-identical models. Well under a minute on the 2-core machine.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));
const dir = mkdtempSync(join(tmpdir(), 'flashmm-train-'));

function train(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, 'train', ...args], { timeout: 90_000 });
}

async function failure(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await train(...args);
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
  throw new Error(`train ${args.join(' ')} succeeded`);
}

describe('flashmm train', () => {
  it('trains a tiny MLP, writes the model and its card, and is deterministic', async () => {
    const [a, b] = [join(dir, 'a', 'mlp.onnx'), join(dir, 'b.onnx')];
    const args = ['--data', 'spot_ethusdt_20240808.gz', '--arch', 'mlp', '--tiny', '--seed', '3'];
    const first = await train(...args, '--out', a);
    await train(...args, '--out', b);
    for (const f of [a, join(dir, 'a', 'mlp.json'), join(dir, 'a', 'mlp.md')]) expect(existsSync(f), f).toBe(true);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(readFileSync(join(dir, 'b.json'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'mlp.json'), 'utf8'));
    const card = JSON.parse(readFileSync(join(dir, 'a', 'mlp.json'), 'utf8')) as { arch: string; seq: number };
    expect(card).toMatchObject({ arch: 'mlp', seq: 1 });
    expect(readFileSync(join(dir, 'a', 'mlp.md'), 'utf8')).toContain('| **model** |');
    expect(first.stdout).toMatch(/^mlp \(window 1 × 64\) written to /);
    expect(first.stdout).toMatch(/samples\/s/);
    expect(first.stdout).toMatch(/walk-forward test, mean over markets \(n = \d+\): 100 ms log-loss [\d.]+ direction [\d.]+/);
    // Not a terminal: one plain progress line per epoch, no bar.
    expect(first.stderr).toMatch(/^epoch 1\/3 batch \d+\/\d+ loss [\d.]+ \d+ samples\/s val loss [\d.]+$/m);
    expect(first.stderr).not.toContain('\r');
  }, 120_000);

  it('exits 2 with a clear message on bad options', async () => {
    const out = join(dir, 'x.onnx');
    const cases: [string[], RegExp][] = [
      [['--data', 'spot_ethusdt_20240808.gz', '--arch', 'cnn', '--out', out], /argument 'cnn' is invalid. Allowed choices are mlp, lstm, transformer, logistic, ensemble, select/],
      [['--data', 'spot_ethusdt_20240808.gz', '--out', out], /give exactly one of --arch and --config/],
      [['--data', 'no_such_recording.gz', '--arch', 'mlp', '--out', out], /recording no_such_recording\.gz not found under/],
      [['--data', 'spot_ethusdt_20240808.gz', '--arch', 'mlp', '--out', out, '--epochs', '0'], /--epochs/],
    ];
    for (const [args, message] of cases) {
      const r = await failure(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe('flashmm train --config and --loro', () => {
  it('trains the logistic baseline from a config file and reports leave-one-recording-out folds', async () => {
    const config = join(dir, 'logistic.json');
    const cfg = {
      arch: { arch: 'logistic', features: 'imbalance', l2: 1.0 },
      seed: 1, step_ns: 100000000, split: { train_frac: 0.7, val_frac: 0.15, embargo_ns: 500000000 },
      batch_size: 256, max_epochs: 1, patience: 1, min_delta: 0.0001, lr: 0.001, weight_decay: 0.0,
      class_weights: 'none', min_samples: 32,
    };
    writeFileSync(config, JSON.stringify(cfg));
    const out = join(dir, 'logistic.onnx');
    const r = await train('--data', 'spot_ethusdt_20240808.gz', 'spot_btcusdt_20240808.gz', '--config', config, '--loro', '--out', out);
    expect(r.stdout).toMatch(/^logistic \(window 1 × 64\) written to /);
    const card = JSON.parse(readFileSync(join(dir, 'logistic.json'), 'utf8')) as {
      leave_one_out: { folds: { market: string }[] };
      feature_set: string[];
      test: { mean: { name: string }[] };
    };
    expect(card.leave_one_out.folds.map((f) => f.market)).toEqual(['spot_ethusdt_20240808', 'spot_btcusdt_20240808']);
    expect(card.feature_set).toHaveLength(7);
    expect(card.test.mean.map((p) => p.name)).toEqual(['model', 'always_flat', 'persistence', 'imbalance_sign', 'logistic_imbalance']);
    expect(readFileSync(join(dir, 'logistic.md'), 'utf8')).toContain('### Leave one recording out');
  }, 120_000);
});
