import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';

export const repoRoot = new URL('../../', import.meta.url);

function readToml(relativePath: string): Record<string, unknown> {
  return parse(readFileSync(new URL(relativePath, repoRoot), 'utf8'));
}

function table(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not a TOML table`);
  }
  return value as Record<string, unknown>;
}

/**
 * `[package].version` of a workspace crate, following `version.workspace = true` to the root
 * Cargo.toml's `[workspace.package].version`.
 */
export function crateVersion(crateDir: string): string {
  const pkg = table(readToml(`${crateDir}/Cargo.toml`)['package'], `${crateDir} [package]`);
  const version = pkg['version'];
  if (typeof version === 'string') return version;
  if (table(version, `${crateDir} package.version`)['workspace'] === true) {
    const workspace = table(readToml('Cargo.toml')['workspace'], '[workspace]');
    const inherited = table(workspace['package'], '[workspace.package]')['version'];
    if (typeof inherited === 'string') return inherited;
  }
  throw new Error(`cannot determine the version of ${crateDir}`);
}
