#!/usr/bin/env node
// Keeps every version of FlashMM in step with the root package.json (the daemon's version):
// the Rust workspace (Cargo.toml, both Cargo.lock files), the @flashmm/core npm package, its
// platform packages (crates/flashmm-node/npm/*) and the optional dependencies naming them, the
// version the generated loader (index.js) expects of a platform package, and package-lock.json.
//
//   node scripts/sync-versions.mjs           write the root version everywhere
//   node scripts/sync-versions.mjs 0.2.0     set the root version to 0.2.0, then write it everywhere
//   node scripts/sync-versions.mjs --check   list every file out of step; exit 1 if any
//   --root <dir>                             the repository (default: this script's parent)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const CORE = 'crates/flashmm-node';
const CRATES = ['flashmm-core', 'flashmm-node'];

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const jsonText = (value) => `${JSON.stringify(value, null, 2)}\n`;

/** Platform package directories under crates/flashmm-node/npm (relative to the root). */
function platformDirs(root) {
  const npm = join(root, CORE, 'npm');
  if (!existsSync(npm)) return [];
  return readdirSync(npm, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(npm, d.name, 'package.json')))
    .map((d) => `${CORE}/npm/${d.name}`)
    .sort();
}

/** `[workspace.package] version = "…"` of a Cargo.toml, rewritten to `version`. */
function cargoToml(text, version) {
  const section = /^\[workspace\.package\][^[]*?^version\s*=\s*"([^"]*)"/ms;
  const m = section.exec(text);
  if (m === null) throw new Error('Cargo.toml: no version in [workspace.package]');
  return { found: [m[1]], text: text.replace(section, (all) => all.replace(/"[^"]*"\s*$/, `"${version}"`)) };
}

/** The `[[package]]` entries of our crates in a Cargo.lock. */
function cargoLock(text, version) {
  const found = [];
  const out = text.replace(/(\[\[package\]\]\nname = "([^"]+)"\nversion = ")([^"]*)(")/g, (all, head, name, old, tail) => {
    if (!CRATES.includes(name)) return all;
    found.push(old);
    return `${head}${version}${tail}`;
  });
  return { found, text: out };
}

/** The version the napi-rs loader checks a platform package against (`!== 'x'`, `expected x but got`). */
function loader(text, version) {
  const found = [];
  const out = text
    .replace(/(bindingPackageVersion !== ')([^']*)(')/g, (_, a, old, b) => (found.push(old), `${a}${version}${b}`))
    .replace(/(mismatch, expected )(\S+)( but got)/g, (_, a, old, b) => (found.push(old), `${a}${version}${b}`));
  return { found, text: out };
}

/** Each file that holds a version: what it says now, and its text with `version` written. */
function targets(root, version) {
  const platforms = platformDirs(root);
  const platformNames = new Set(platforms.map((dir) => readJson(join(root, dir, 'package.json')).name));
  const jsonTarget = (path, edit) => ({
    path,
    apply() {
      const value = readJson(join(root, path));
      const found = edit(value);
      return { found, text: jsonText(value) };
    },
  });
  const textTarget = (path, edit) => ({ path, optional: true, apply: () => edit(readFileSync(join(root, path), 'utf8'), version) });
  const setOptionalDeps = (deps, found) => {
    for (const name of Object.keys(deps ?? {})) {
      if (!platformNames.has(name)) continue;
      found.push(deps[name]);
      deps[name] = version;
    }
  };
  return [
    jsonTarget('package.json', (p) => [p.version, (p.version = version)][0]),
    { ...textTarget('Cargo.toml', cargoToml), optional: false },
    textTarget('Cargo.lock', cargoLock),
    textTarget('crates/flashmm-core/fuzz/Cargo.lock', cargoLock),
    jsonTarget(`${CORE}/package.json`, (p) => {
      const found = [p.version];
      p.version = version;
      setOptionalDeps(p.optionalDependencies, found);
      return found;
    }),
    ...platforms.map((dir) => jsonTarget(`${dir}/package.json`, (p) => [p.version, (p.version = version)][0])),
    textTarget(`${CORE}/index.js`, loader),
    jsonTarget('package-lock.json', (lock) => {
      const found = [lock.version];
      lock.version = version;
      for (const key of ['', CORE, ...platforms]) {
        const entry = lock.packages?.[key];
        if (entry === undefined) continue;
        found.push(entry.version);
        entry.version = version;
        setOptionalDeps(entry.optionalDependencies, found);
      }
      return found;
    }),
  ].filter((t) => !t.optional || existsSync(join(root, t.path)));
}

/** Files whose versions differ from `version`: `[{ path, found }]`. */
export function outOfStep(root, version) {
  return targets(root, version)
    .map((t) => ({ path: t.path, found: [t.apply().found].flat().filter((v) => v !== version) }))
    .filter((t) => t.found.length > 0);
}

/** Writes `version` (default: the root package.json's) everywhere; returns the files changed. */
export function syncVersions(root, version = readJson(join(root, 'package.json')).version) {
  if (!SEMVER.test(version)) throw new Error(`not a semantic version: '${version}'`);
  const changed = [];
  for (const t of targets(root, version)) {
    const before = readFileSync(join(root, t.path), 'utf8');
    const { text } = t.apply();
    if (text !== before) {
      writeFileSync(join(root, t.path), text);
      changed.push(t.path);
    }
  }
  return changed;
}

function main(argv) {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  let check = false;
  let version;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') check = true;
    else if (a === '--root') root = resolve(argv[++i] ?? '');
    else if (!a.startsWith('-') && version === undefined) version = a;
    else throw new Error(`unknown argument '${a}' (usage: sync-versions.mjs [version] [--check] [--root dir])`);
  }
  if (check) {
    if (version !== undefined) throw new Error('--check takes no version: it compares with the root package.json');
    const expected = readJson(join(root, 'package.json')).version;
    const bad = outOfStep(root, expected);
    for (const b of bad) console.error(`${b.path}: ${[...new Set(b.found)].join(', ')} (expected ${expected})`);
    if (bad.length === 0) console.log(`all versions are ${expected}`);
    return bad.length === 0 ? 0 : 1;
  }
  const changed = syncVersions(root, version);
  const now = readJson(join(root, 'package.json')).version;
  console.log(changed.length === 0 ? `all versions are ${now}` : `version ${now} written to ${changed.join(', ')}`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`sync-versions: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  }
}
