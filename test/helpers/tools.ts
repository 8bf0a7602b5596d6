// Command-line validators the deployment tests run (hadolint, kubernetes-validate, hclfmt,
// hcl2tojson, promtool, amtool, docker-compose). .ci/run installs the PyPI and Go ones into
// FLASHMM_TOOLS_DIR (default ~/.cache/flashmm-tools: venv/bin and bin) and Debian's with apt.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const toolsDir = process.env['FLASHMM_TOOLS_DIR'] ?? join(homedir(), '.cache', 'flashmm-tools');

/** The command's path: FLASHMM_TOOLS_DIR's venv/bin or bin, else the name (found on PATH). */
export function toolPath(command: string): string {
  for (const dir of [join(toolsDir, 'venv', 'bin'), join(toolsDir, 'bin')]) {
    if (existsSync(join(dir, command))) return join(dir, command);
  }
  return command;
}

export function hasCommand(command: string, versionFlag = '--version'): boolean {
  return spawnSync(toolPath(command), [versionFlag], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether `command` can run; in CI a missing tool is an error (.ci/run installs it), elsewhere a
 * warning naming the install and a skip.
 */
export function requireTool(command: string, install: string, versionFlag = '--version'): boolean {
  if (hasCommand(command, versionFlag)) return true;
  if (process.env['CI']) throw new Error(`${command} is required in CI (${install}; .ci/run installs it)`);
  console.warn(`skipping: ${command} not found (${install})`);
  return false;
}

export function runTool(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(toolPath(command), [...args], { encoding: 'utf8', ...options });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
