#!/usr/bin/env node
// Packs @flashmm/core the way napi-rs projects publish it: the main package (the generated
// loader index.js, the types index.d.ts, the README) and one platform package per built target
// (crates/flashmm-node/npm/<platform>: its package.json and the .node file, nothing else). The
// addon is not rebuilt: the .node that `npm run build:native` left in crates/flashmm-node is
// copied into a staging copy of its platform package (the repository is not modified).
//
//   node scripts/pack-core.mjs --out <dir>    writes the tarballs, prints { main, platforms } JSON
//
// Publishing is then `npm publish <tarball>` for each platform tarball first, then the main one.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outOfStep } from './sync-versions.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE = join(ROOT, 'crates/flashmm-node');

/** `npm pack` of `dir` into `out`, lifecycle scripts off (nothing may rebuild); the tarball's path. */
function npmPack(dir, out) {
  const json = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], {
    cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(json);
  return { tarball: join(out, info.filename), files: info.files.map((f) => f.path).sort() };
}

export function packCore(out) {
  const main = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8'));
  const stale = outOfStep(ROOT, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  if (stale.length > 0) throw new Error(`versions out of step in ${stale.map((s) => s.path).join(', ')}: run node scripts/sync-versions.mjs`);
  mkdirSync(out, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'flashmm-pack-'));
  try {
    const platforms = [];
    for (const name of Object.keys(main.optionalDependencies ?? {})) {
      const dir = join(CORE, 'npm', name.slice(`${main.name}-`.length));
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const binary = join(CORE, pkg.main);
      if (!existsSync(binary)) throw new Error(`${pkg.main} is not built: run npm run build:native (or build it on a ${name.slice(main.name.length + 1)} machine)`);
      const stage = join(staging, name.replace('/', '__'));
      mkdirSync(stage);
      copyFileSync(join(dir, 'package.json'), join(stage, 'package.json'));
      copyFileSync(binary, join(stage, pkg.main));
      platforms.push({ name, ...npmPack(stage, out) });
    }
    return { main: { name: main.name, ...npmPack(CORE, out) }, platforms };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1] : undefined;
  if (out === undefined) {
    console.error('usage: node scripts/pack-core.mjs --out <dir>');
    process.exitCode = 2;
  } else {
    try {
      console.log(JSON.stringify(packCore(resolve(out)), null, 2));
    } catch (err) {
      console.error(`pack-core: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  }
}
