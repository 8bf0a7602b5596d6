// `flashmm run`: the market-making daemon. With no arguments it trades the embedded simulated
// venue (a generated market) with the development config, logs to the terminal, serves
// /metrics, /health and /status, and stops cleanly on SIGINT/SIGTERM (every order cancelled).
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { startApi, type ApiServer } from '../api/server.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { type Config, ENVIRONMENTS, type Environment } from '../config/schema.js';
import { Daemon } from '../engine/daemon.js';
import { resolveModelPath, watchModelFile } from '../engine/model-file.js';
import { errorMessage } from '../errors.js';
import { systemClock } from '../execution/clock.js';
import { coreVersion } from '../native.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { runOnManualClock } from '../engine/manual-clock.js';
import { createVenue } from '../venues/create.js';
import { daemonVersion } from '../version.js';
import { positiveNumber, replaySpeed } from './options.js';

export interface RunOptions {
  readonly config?: string;
  readonly env?: string;
  readonly market?: string;
  readonly replay?: string;
  /** Replay speed; `max`: the daemon on a manual clock, as fast as the host can run it. */
  readonly speed?: number | 'max';
  /** Stop by itself after this many seconds (a bounded run). */
  readonly duration?: number;
}

/** The loaded config with the command line's choices applied. */
export function runConfig(options: RunOptions): Config {
  if (options.env !== undefined && !(ENVIRONMENTS as readonly string[]).includes(options.env)) {
    throw new ConfigError([{ source: '--env', path: 'env', reason: `expected one of ${ENVIRONMENTS.join(', ')}, got '${options.env}'` }]);
  }
  const { config } = loadConfig({
    ...(options.config === undefined ? {} : { configPath: options.config }),
    ...(options.env === undefined ? {} : { env: options.env as Environment }),
  });
  let out: Config = config;
  if (options.market !== undefined) {
    const symbols = config.markets.map((m) => m.symbol);
    if (options.replay === undefined && !symbols.includes(options.market)) {
      throw new ConfigError([{ source: '--market', path: 'markets', reason: `no market '${options.market}' (configured: ${symbols.join(', ')})` }]);
    }
    out = { ...out, markets: config.markets.map((m) => ({ ...m, enabled: m.symbol === options.market })) };
  }
  if (options.replay !== undefined) {
    if (out.venue.kind !== 'sim') throw new ConfigError([{ source: '--replay', path: 'venue.kind', reason: '--replay drives the sim venue' }]);
    const speed = options.speed === undefined || options.speed === 'max' ? 1 : options.speed;
    out = { ...out, venue: { ...out.venue, replay: { path: options.replay, speed } } };
  }
  return out;
}

export async function runDaemon(options: RunOptions, log?: Logger): Promise<number> {
  const config = runConfig(options);
  const logger = log ?? createLogger({ level: config.telemetry.logLevel, format: config.telemetry.logFormat });
  const metrics = createMetrics({ build: { version: daemonVersion(), coreVersion: coreVersion() } });
  const modelPath = loadModel(config, logger);
  if (options.speed === 'max') return runManual(config, logger, metrics, modelPath, options);
  const { venue, sequenceRule } = createVenue(config, systemClock);
  const daemon = new Daemon({ config, venue, sequenceRule, log: logger, metrics, ...(modelPath === null ? {} : { modelPath }) });
  const watcher = modelPath !== null && config.model.reloadOnChange ? watchModelFile(modelPath, (p) => daemon.reloadModel(p)) : null;
  let api: ApiServer | null = null;
  if (config.api.enabled) {
    api = await startApi(config.api.host, config.api.port, metrics, daemon);
    logger.info({ url: `http://${config.api.host}:${api.port}` }, 'api listening (/metrics, /health, /status)');
  }
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    if (options.duration !== undefined) setTimeout(() => resolve(`duration ${options.duration}s elapsed`), options.duration * 1000).unref();
  });
  await daemon.start();
  // The emergency stop: SIGUSR2 engages the kill switch (cancel everything, stop quoting, latched
  // until a restart); the daemon keeps running so its state can be inspected.
  const onKill = () => {
    void daemon.kill.engage('SIGUSR2').then((outcome) => logger.warn({ outcome }, 'kill switch settled'));
  };
  process.on('SIGUSR2', onKill);
  const reason = await stopped;
  process.off('SIGUSR2', onKill);
  // The bound: a shutdown that hangs (a venue that never answers) still exits.
  const hardStop = setTimeout(() => {
    logger.fatal({ reason }, 'shutdown timed out');
    process.exit(2);
  }, config.engine.shutdownTimeoutMs + 2_000);
  hardStop.unref();
  const report = await daemon.stop(reason);
  watcher?.close();
  await api?.close();
  clearTimeout(hardStop);
  return report.openOrders === 0 ? 0 : 1;
}

/**
 * `--replay <file> --speed max`: the same daemon on a manual clock over the recording, as fast as
 * the host can run it (the path `flashmm compare` takes too); stops when the replay ends.
 */
async function runManual(config: Config, log: Logger, metrics: Metrics, modelPath: string | null, options: RunOptions): Promise<number> {
  if (options.replay === undefined) {
    throw new ConfigError([{ source: '--speed', path: 'venue.replay', reason: '--speed max needs --replay <recording>' }]);
  }
  const run = await runOnManualClock({
    config, log, metrics, ...(modelPath === null ? {} : { modelPath }),
    ...(options.duration === undefined ? {} : { durationMs: Math.round(options.duration * 1000) }),
  });
  const report = await run.daemon.stop('replay finished');
  return report.openOrders === 0 ? 0 : 1;
}

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The configured model's path, or null (disabled, or the file absent: quote without a forecast). */
function loadModel(config: Config, log: Logger): string | null {
  if (!config.model.enabled) return null;
  const path = resolveModelPath(config.model.path, PACKAGE_ROOT);
  if (path === null) {
    log.warn({ path: config.model.path }, 'model file not found: quoting without a forecast');
    return null;
  }
  log.info({ path }, 'model loaded: its forecast skews and widens the quotes');
  return path;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the market-making daemon (default: the embedded simulated venue with a generated market)')
    .option('--config <file>', 'config file (replaces config/<env>.yml and config/local.yml)')
    .option('--env <name>', `config environment: ${ENVIRONMENTS.join(', ')} (default FLASHMM_ENV or development)`)
    .option('--market <symbol>', 'trade only this configured market')
    .option('--replay <recording>', 'drive the simulated venue with a recording instead of the generator')
    .option('--speed <x>', "replay speed: 1 = real time, 10 = ten times faster, 'max' = as fast as possible on a manual clock", replaySpeed)
    .option('--duration <seconds>', 'stop by itself after this many seconds', positiveNumber)
    .action(async (options: RunOptions) => {
      try {
        process.exitCode = await runDaemon(options);
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(`flashmm run: invalid configuration\n${err.message}`);
          process.exitCode = 78; // EX_CONFIG
          return;
        }
        // Start-up failed (a recording that cannot be read, a port in use): say why, no stack.
        console.error(`flashmm run: ${errorMessage(err)}`);
        process.exitCode = 1;
      }
    });
}
