// Architecture rules the type checker cannot see: only src/native.ts imports the native addon
// (@flashmm/core), so the binding can be swapped or wrapped in one file.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cargo.js';

const root = fileURLToPath(repoRoot);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('host architecture', () => {
  it('only src/native.ts imports @flashmm/core', () => {
    const importers = ['src', 'test', 'bench']
      .flatMap((d) => tsFiles(join(root, d)))
      .filter((f) => /from\s+['"]@flashmm\/core['"]|import\(\s*['"]@flashmm\/core['"]\s*\)/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(importers).toEqual(['src/native.ts']);
  });
});
