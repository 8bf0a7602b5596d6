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

  it('`run` with an invalid config exits 78 naming the bad key, before trading', async () => {
    const env = { ...process.env, FLASHMM_RISK__MAX_POSITION_LOTS: '-5' };
    const failed = run(process.execPath, [cli, 'run'], { cwd: fileURLToPath(repoRoot), timeout: 20_000, env });
    await expect(failed).rejects.toMatchObject({ code: 78 });
    const err = await failed.catch((e: { stderr: string }) => e.stderr);
    expect(err).toContain('risk.maxPositionLots');
    expect(err).toContain('FLASHMM_RISK__MAX_POSITION_LOTS');
  });

  it('an unknown command fails with a non-zero exit code', async () => {
    await expect(flashmm('no-such-command')).rejects.toMatchObject({ code: 1 });
  });
});
