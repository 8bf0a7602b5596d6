// @flashmm/core as a user gets it: `scripts/pack-core.mjs` packs the main package and the
// platform package (without rebuilding the addon), an empty project installs the two tarballs
// offline (an empty npm cache, an unreachable registry: the tarballs are the only source), the
// README's example is type-checked with tsc under strict settings (the package's own
// index.d.ts included) and run, and what it prints must be what the README says it prints.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDir } from '../src/config/data-dir.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const ROOT = resolve(import.meta.dirname, '..');
const CORE = join(ROOT, 'crates/flashmm-node');
const BINARY = 'flashmm-core.linux-x64-gnu.node';

interface Packed {
  main: { name: string; tarball: string; files: string[] };
  platforms: { name: string; tarball: string; files: string[] }[];
}

/** The README's first ```ts block and the ```text block after it (the output it shows). */
function readmeExample(): { code: string; output: string } {
  const readme = readFileSync(join(CORE, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme);
  const output = code === null ? null : /```text\n([\s\S]*?)```/.exec(readme.slice(code.index + code[0].length));
  if (code?.[1] === undefined || output?.[1] === undefined) throw new Error('README.md: no ```ts example followed by its ```text output');
  return { code: code[1], output: output[1] };
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('@flashmm/core packed, installed from the tarballs and used as the README shows', () => {
  let dir: string;
  let project: string;
  let packed: Packed;
  const built = join(CORE, BINARY);
  let builtBefore: { mtimeMs: number; sha: string };

  beforeAll(() => {
    dir = scratchDir('package-install');
    builtBefore = { mtimeMs: statSync(built).mtimeMs, sha: sha256(built) };
    packed = JSON.parse(
      execFileSync('node', [join(ROOT, 'scripts/pack-core.mjs'), '--out', join(dir, 'tarballs')], { encoding: 'utf8' }),
    ) as Packed;
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'scratch', private: true, type: 'module' })}\n`);
    const tarballs = [packed.main.tarball, ...packed.platforms.map((p) => p.tarball)];
    execFileSync(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--cache', join(dir, 'empty-cache'), '--registry', 'http://127.0.0.1:9/', ...tarballs],
      { cwd: project, stdio: 'pipe' },
    );
  }, 120_000);

  afterAll(() => removeDir(dir));

  it('packs the loader, the types and the README, and a platform package of the .node and its package.json only', () => {
    expect(packed.main.name).toBe('@flashmm/core');
    expect(packed.main.files).toEqual(['README.md', 'core-json.d.ts', 'index.d.ts', 'index.js', 'package.json']);
    expect(packed.platforms.map((p) => [p.name, p.files])).toEqual([['@flashmm/core-linux-x64-gnu', [BINARY, 'package.json']]]);
  });

  it('does not rebuild the addon: the installed .node is the built one, untouched', () => {
    expect(statSync(built).mtimeMs).toBe(builtBefore.mtimeMs);
    expect(sha256(built)).toBe(builtBefore.sha);
    const installed = join(project, 'node_modules/@flashmm/core-linux-x64-gnu');
    expect(readdirSync(installed).sort()).toEqual([BINARY, 'package.json']);
    expect(sha256(join(installed, BINARY))).toBe(builtBefore.sha);
  });

  it('installs the platform package by os, cpu and libc at the main package version, and no .node beside the loader', () => {
    const main = JSON.parse(readFileSync(join(project, 'node_modules/@flashmm/core/package.json'), 'utf8')) as { version: string; optionalDependencies: Record<string, string> };
    const platform = JSON.parse(readFileSync(join(project, 'node_modules/@flashmm/core-linux-x64-gnu/package.json'), 'utf8')) as Record<string, unknown>;
    expect(main.optionalDependencies).toEqual({ '@flashmm/core-linux-x64-gnu': main.version });
    expect(platform).toMatchObject({ version: main.version, os: ['linux'], cpu: ['x64'], libc: ['glibc'], main: BINARY });
    expect(existsSync(join(project, 'node_modules/@flashmm/core', BINARY))).toBe(false);
  });

  it('type-checks the README example with tsc (strict) and runs it: the output is the README’s', () => {
    const example = readmeExample();
    writeFileSync(join(project, 'example.ts'), example.code);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true, skipLibCheck: false, outDir: 'out',
          // The scratch project installs nothing but the tarballs: Node's types come from the repository.
          types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['example.ts'],
      }),
    );
    execFileSync('node', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    const stdout = execFileSync('node', [join(project, 'out/example.js')], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, FLASHMM_DATA_DIR: dataDir(), FLASHMM_MODEL: join(ROOT, 'models/default.onnx') },
    });
    expect(stdout).toBe(example.output);
  }, 120_000); // a cold strict tsc over @types/node plus the example run: 10 s idle, > 30 s on a loaded machine
});
