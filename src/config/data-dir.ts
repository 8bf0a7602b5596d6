// Where recorded market data lives: FLASHMM_DATA_DIR, else ../shared/data beside the repo.
// Data is read in place, never copied into the repository.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['FLASHMM_DATA_DIR'] ?? join(repoRoot, '..', 'shared', 'data'));
}

/** A recording under the data dir (`binance/<name>`), or a clear error naming the setting. */
export function recording(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = dataDir(env);
  for (const candidate of [join(dir, 'binance', name), join(dir, name)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`recording ${name} not found under ${dir}: set FLASHMM_DATA_DIR to the directory holding binance/`);
}
