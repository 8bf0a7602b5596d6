// `flashmm health`: exit 0 when the local daemon answers GET /health, 1 otherwise. The image's
// HEALTHCHECK runs it (the slim image has no curl); it reads the same configuration as the
// daemon (files, FLASHMM_* variables), so it probes the port the daemon listens on.
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Environment } from '../config/schema.js';

export interface HealthOptions {
  readonly config?: string;
  readonly env?: string;
  readonly url?: string;
  readonly timeout: number;
}

/** The daemon's API base URL: a wildcard bind address is probed on loopback. */
export function healthUrl(options: Pick<HealthOptions, 'config' | 'env' | 'url'>): string {
  if (options.url !== undefined) return options.url.replace(/\/+$/, '');
  const { api } = loadConfig({
    ...(options.config === undefined ? {} : { configPath: options.config }),
    ...(options.env === undefined ? {} : { env: options.env as Environment }),
  }).config;
  const host = api.host === '0.0.0.0' || api.host === '::' ? '127.0.0.1' : api.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${api.port}`;
}

export async function checkHealth(base: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    return typeof code === 'string' ? code : err instanceof Error ? err.message : 'unreachable';
  }
}

export function registerHealth(program: Command): void {
  program
    .command('health')
    .description("exit 0 if the local daemon answers GET /health (the container's health check)")
    .option('--config <file>', 'config file the daemon was started with')
    .option('--env <name>', 'config environment the daemon was started with')
    .option('--url <url>', 'API base URL instead of the configured api.host and api.port')
    .option('--timeout <ms>', 'give up after this long', (v) => Number.parseInt(v, 10), 2_000)
    .action(async (options: HealthOptions) => {
      try {
        const base = healthUrl(options);
        const problem = await checkHealth(base, options.timeout);
        if (problem !== null) console.error(`flashmm health: ${base}/health: ${problem}`);
        process.exitCode = problem === null ? 0 : 1;
      } catch (err) {
        console.error(`flashmm health: ${err instanceof ConfigError ? `invalid configuration\n${err.message}` : String(err)}`);
        process.exitCode = 1;
      }
    });
}
