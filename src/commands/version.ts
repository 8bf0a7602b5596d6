import type { Command } from 'commander';
import { coreVersion } from '../native.js';
import { daemonVersion } from '../version.js';

export function versionLines(): string[] {
  return [`flashmm ${daemonVersion()}`, `flashmm-core ${coreVersion()} (native, N-API)`];
}

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('print the daemon version and the version of the native Rust core')
    .action(() => {
      for (const line of versionLines()) console.log(line);
    });
}
