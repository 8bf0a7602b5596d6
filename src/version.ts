import { readFileSync } from 'node:fs';

/** Version of the flashmm daemon, read from the root package.json (src/ and dist/ sit beside it). */
export function daemonVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (typeof raw === 'object' && raw !== null && 'version' in raw && typeof raw.version === 'string') {
    return raw.version;
  }
  throw new Error('package.json of flashmm has no version string');
}
