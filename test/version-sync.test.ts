// scripts/sync-versions.mjs: one version for the daemon, the Rust workspace, @flashmm/core and
// its platform packages. Run on a copy of the repository's version-bearing files: a new version
// lands in every one of them and nothing else changes; --check names a file out of step.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, scratchDir } from './helpers/servers.js';

const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts/sync-versions.mjs');
const FILES = [
  'package.json',
  'package-lock.json',
  'Cargo.toml',
  'Cargo.lock',
  'crates/flashmm-core/fuzz/Cargo.lock',
  'crates/flashmm-node/package.json',
  'crates/flashmm-node/index.js',
  'crates/flashmm-node/npm/linux-x64-gnu/package.json',
];

const run = (...args: string[]) => spawnSync('node', [SCRIPT, ...args], { encoding: 'utf8' });
const json = (root: string, path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Record<string, any>;

describe('scripts/sync-versions.mjs', () => {
  const copy = scratchDir('versions');
  afterAll(() => removeDir(copy));
  for (const f of FILES) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    cpSync(join(ROOT, f), join(copy, f));
  }
  const current = json(ROOT, 'package.json').version as string;

  it('finds the repository in step', () => {
    const r = run('--check');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`all versions are ${current}\n`);
    expect(r.status).toBe(0);
  });

  it('writes a new version into every file that holds one, and changes nothing else', () => {
    execFileSync('node', [SCRIPT, '9.8.7', '--root', copy], { encoding: 'utf8' });
    for (const f of FILES) {
      const before = readFileSync(join(ROOT, f), 'utf8').split('\n');
      const after = readFileSync(join(copy, f), 'utf8').split('\n');
      expect(after.length, f).toBe(before.length);
      const changed = after.filter((line, i) => line !== before[i]);
      expect(changed.length, `${f} holds the version`).toBeGreaterThan(0);
      after.forEach((line, i) => expect(line.replaceAll('9.8.7', current), `${f}:${i + 1}`).toBe(before[i]));
    }
    expect(json(copy, 'crates/flashmm-node/package.json')).toMatchObject({
      version: '9.8.7', optionalDependencies: { '@flashmm/core-linux-x64-gnu': '9.8.7' },
    });
    expect(json(copy, 'crates/flashmm-node/npm/linux-x64-gnu/package.json').version).toBe('9.8.7');
    expect(readFileSync(join(copy, 'Cargo.toml'), 'utf8')).toMatch(/\[workspace\.package\]\nversion = "9\.8\.7"/);
    expect(readFileSync(join(copy, 'crates/flashmm-node/index.js'), 'utf8')).not.toContain(`'${current}'`);
    expect(run('--check', '--root', copy).status).toBe(0);
  });

  it('--check names each file out of step and fails', () => {
    const platform = join(copy, 'crates/flashmm-node/npm/linux-x64-gnu/package.json');
    const pkg = json(copy, 'crates/flashmm-node/npm/linux-x64-gnu/package.json');
    writeFileSync(platform, `${JSON.stringify({ ...pkg, version: '9.8.6' }, null, 2)}\n`);
    const r = run('--check', '--root', copy);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('crates/flashmm-node/npm/linux-x64-gnu/package.json: 9.8.6 (expected 9.8.7)\n');
    // Writing brings it back in step.
    expect(run('--root', copy).stdout).toBe('version 9.8.7 written to crates/flashmm-node/npm/linux-x64-gnu/package.json\n');
    expect(run('--check', '--root', copy).status).toBe(0);
  });

  it('refuses a version that is not semver', () => {
    const r = run('1.2', '--root', copy);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("sync-versions: not a semantic version: '1.2'\n");
  });
});
