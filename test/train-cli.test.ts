// `flashmm train` smoke test (the CI training check): a tiny MLP on one recording, twice
// with the same seed — byte-identical models. Well under a minute on the 2-core machine.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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
    expect(readFileSync(join(dir, 'a', 'mlp.md'), 'utf8')).toContain('| model |');
    expect(first.stdout).toMatch(/^mlp \(window 1 × 64\) written to /);
    expect(first.stdout).toMatch(/samples\/s/);
    // Not a terminal: one plain progress line per epoch, no bar.
    expect(first.stderr).toMatch(/^epoch 1\/3 batch \d+\/\d+ loss [\d.]+ \d+ samples\/s val loss [\d.]+$/m);
    expect(first.stderr).not.toContain('\r');
  }, 120_000);

  it('exits 2 with a clear message on bad options', async () => {
    const out = join(dir, 'x.onnx');
    const cases: [string[], RegExp][] = [
      [['--data', 'spot_ethusdt_20240808.gz', '--arch', 'cnn', '--out', out], /argument 'cnn' is invalid. Allowed choices are mlp, lstm, transformer, ensemble/],
      [['--data', 'spot_ethusdt_20240808.gz', '--out', out], /required option '--arch <arch>' not specified/],
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
