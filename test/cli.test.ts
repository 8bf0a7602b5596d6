import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { crateVersion, repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));

function flashmm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, ...args], { cwd: fileURLToPath(repoRoot), timeout: 20_000 });
}

describe('flashmm CLI (dist/cli.js)', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  });

  it('`version` prints the daemon and core versions', async () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', repoRoot), 'utf8')) as { version: string };
    const { stdout, stderr } = await flashmm('version');
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toEqual([
      `flashmm ${pkg.version}`,
      `flashmm-core ${crateVersion('crates/flashmm-core')} (native, N-API)`,
    ]);
  });

  it('`run` says honestly that the engine is not built yet and exits 0', async () => {
    const { stdout } = await flashmm('run');
    expect(stdout).toContain('The trading engine is not built yet');
    expect(stdout).toContain('nothing is traded');
  });

  it('an unknown command fails with a non-zero exit code', async () => {
    await expect(flashmm('no-such-command')).rejects.toMatchObject({ code: 1 });
  });
});
