// The committed API reference of @flashmm/core (crates/flashmm-node/docs/api, TypeDoc +
// typedoc-plugin-markdown from index.d.ts) must be what the generator makes of today's types:
// regenerated into a scratch directory with the committed config, byte for byte. TypeDoc runs
// with treatWarningsAsErrors, so an undocumented broken link or a bad comment fails here too.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, scratchDir } from './helpers/servers.js';

const CORE = resolve(import.meta.dirname, '../crates/flashmm-node');
const COMMITTED = join(CORE, 'docs/api');

describe('the API reference of @flashmm/core', () => {
  const out = scratchDir('api-reference');
  afterAll(() => removeDir(out));

  it('is up to date with index.d.ts (regenerate: npm run docs:api -w @flashmm/core)', () => {
    execFileSync('node', [join(CORE, '../../node_modules/typedoc/bin/typedoc'), '--options', 'typedoc.json', '--out', out], {
      cwd: CORE, encoding: 'utf8', stdio: 'pipe',
    });
    const files = readdirSync(out, { recursive: true, encoding: 'utf8' }).sort();
    expect(files).toEqual(readdirSync(COMMITTED, { recursive: true, encoding: 'utf8' }).sort());
    for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(COMMITTED, f), 'utf8'));
    // Every export of the loader is documented.
    const reference = readFileSync(join(COMMITTED, 'index.md'), 'utf8');
    for (const name of ['OrderBook', 'BinanceReader', 'FeatureEngine', 'Model', 'Signal', 'runBacktest', 'trainModel', 'SimVenue']) {
      expect(reference).toContain(`### ${name}`);
    }
  }, 60_000);
});
