// `flashmm run`: the market-making daemon. With no arguments it trades the embedded simulated
// venue (a generated market) with the development config, logs to the terminal, serves the
// control plane (src/api/: probes, /metrics, the API, the stream, the page), notifies an
// operator's webhook of kill switch, breaker trips, limit breaches and disconnects, and stops
// cleanly on SIGINT/SIGTERM (every order cancelled).
// What stops it, the orderly shutdown and the exit codes are the lifecycle's (engine/lifecycle.ts).
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DaemonControl } from '../api/daemon-control.js';
import { type ControlServer, startControlServer } from '../api/serve.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { loadSecrets, type Secrets, SecretsError, secretValues } from '../config/secret.js';
import { type Config, configSchema, ENVIRONMENTS, type Environment } from '../config/schema.js';
import { openStorage } from '../storage/open.js';
import { LeaseStore } from '../storage/leases.js';
import type { StorageHealth } from '../storage/redis-store.js';
import { Daemon } from '../engine/daemon.js';
import { EXIT, Lifecycle, nodeProcess } from '../engine/lifecycle.js';
import { resolveModelPath, watchModelFile } from '../engine/model-file.js';
import { Supervisor } from '../engine/supervisor.js';
import { errorMessage } from '../errors.js';
import { systemClock } from '../execution/clock.js';
import { coreVersion } from '../native.js';
import { componentLogger, createLogger, type Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { Notifier } from '../telemetry/notifier.js';
import { runOnManualClock } from '../engine/manual-clock.js';
import { openVenue } from '../venues/create.js';
import { daemonVersion } from '../version.js';
import { positiveNumber, replaySpeed } from './options.js';
import { applySeiOptions, isSeiMarket, type SeiRunOptions } from './run-sei.js';
import { runBanner } from './run-banner.js';

export interface RunOptions extends SeiRunOptions {
  readonly config?: string;
  readonly env?: string;
  readonly market?: string;
  readonly replay?: string;
  /** Replay speed; `max`: the daemon on a manual clock, as fast as the host can run it. */
  readonly speed?: number | 'max';
  /** Stop by itself after this many seconds (a bounded run). */
  readonly duration?: number;
  /** Redis for the journal, hot state and restart recovery (storage.redis.url). */
  readonly redis?: string;
  /** Shard the markets over the daemons sharing the Redis: quote only those whose lease we hold (storage.redis.shard). */
  readonly shard?: boolean;
}

/** The loaded config with the command line's choices applied. */
export function runConfig(options: RunOptions): Config {
  return loadRunConfig(options).config;
}

/** The config with the command line's choices applied, and the layers it was loaded from. */
function loadRunConfig(options: RunOptions): { config: Config; sources: readonly string[] } {
  if (options.env !== undefined && !(ENVIRONMENTS as readonly string[]).includes(options.env)) {
    throw new ConfigError([{ source: '--env', path: 'env', reason: `expected one of ${ENVIRONMENTS.join(', ')}, got '${options.env}'` }]);
  }
  const { config, sources } = loadConfig({
    ...(options.config === undefined ? {} : { configPath: options.config }),
    ...(options.env === undefined ? {} : { env: options.env as Environment }),
  });
  let out: Config = config;
  if (options.market !== undefined && !isSeiMarket(options.market)) {
    const symbols = config.markets.map((m) => m.symbol);
    if (options.replay === undefined && !symbols.includes(options.market)) {
      throw new ConfigError([{ source: '--market', path: 'markets', reason: `no market '${options.market}' (configured: ${symbols.join(', ')})` }]);
    }
    out = { ...out, markets: config.markets.map((m) => ({ ...m, enabled: m.symbol === options.market })) };
  }
  if (options.redis !== undefined) out = withRedis(out, options.redis);
  if (options.shard === true) out = withShard(out);
  if (out.shard.enabled && out.storage.redis === undefined) {
    throw new ConfigError([{ source: options.shard === true ? '--shard' : 'config', path: 'storage.redis', reason: 'sharding keeps its leases in Redis: --redis <url> or storage.redis' }]);
  }
  if (options.replay !== undefined) {
    if (out.venue.kind !== 'sim') throw new ConfigError([{ source: '--replay', path: 'venue.kind', reason: '--replay drives the sim venue' }]);
    const speed = options.speed === undefined || options.speed === 'max' ? 1 : options.speed;
    out = { ...out, venue: { ...out.venue, replay: { path: options.replay, speed } } };
  }
  return { config: applySeiOptions(out, options), sources };
}

/** `--redis <url>`: storage.redis with that URL, every other key as configured or defaulted. */
function withRedis(config: Config, url: string): Config {
  const parsed = configSchema.safeParse({ ...config, storage: { ...config.storage, redis: { ...config.storage.redis, url } } });
  if (!parsed.success) {
    throw new ConfigError([{ source: '--redis', path: 'storage.redis.url', reason: parsed.error.issues[0]?.message ?? 'invalid' }]);
  }
  return parsed.data;
}

/** `--shard`: shard.enabled. */
function withShard(config: Config): Config {
  return { ...config, shard: { ...config.shard, enabled: true } };
}

/** The market leases when sharded (shard.enabled), in storage.redis, on their own connection. */
function shardLeases(config: Config, secrets: Secrets): { store: LeaseStore; owner: string } | null {
  const redis = config.storage.redis;
  if (!config.shard.enabled || redis === undefined) return null;
  const store = new LeaseStore({
    url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: redis.commandTimeoutMs, maxReconnectDelayMs: redis.maxReconnectDelayMs,
    ...(secrets.redisPassword && { password: secrets.redisPassword }),
  });
  return { store, owner: config.shard.owner ?? `${hostname()}-${process.pid}` };
}

/**
 * Runs the daemon until a stop (a signal, --duration, a daemon-wide fault) and returns the exit
 * code (engine/lifecycle.ts). Signals have been held since the CLI's first line: one received
 * during start-up stops it in order once the daemon exists, or before it is built.
 */
export async function runDaemon(options: RunOptions, log?: Logger): Promise<number> {
  const { config, sources } = loadRunConfig(options);
  const secrets = loadSecrets();
  const logger = log ?? createLogger({ level: config.telemetry.logLevel, format: config.telemetry.logFormat, secrets: secretValues(secrets) });
  const metrics = createMetrics({ build: { version: daemonVersion(), coreVersion: coreVersion() } });
  const supervisor = new Supervisor({ log: logger, metrics, clock: systemClock });
  const life = new Lifecycle({ port: nodeProcess(), supervisor, log: logger, shutdownTimeoutMs: config.engine.shutdownTimeoutMs });
  try {
    if (options.duration !== undefined) {
      const cancel = nodeProcess().schedule(options.duration * 1000, () => life.requestStop(`duration ${options.duration}s elapsed`));
      void life.stopRequested.then(cancel);
    }
    const modelPath = findModel(config, logger);
    if (options.speed === 'max') return await runManual(config, logger, metrics, modelPath, options, life, supervisor);
    if (life.requested !== null) return await life.finish(); // stopped before anything was built
    const observe = options.observe === true;
    const key = options.key === undefined ? {} : { key: { name: options.key } };
    const { venue, sequenceRule } = await openVenue(config, systemClock, { logger, observe, ...key });
    const notifier = operatorNotifier(secrets, metrics, logger);
    let onRedisHealth = (_health: StorageHealth): void => undefined; // the daemon's, once it exists
    const storage = openStorage(config.storage, secrets, { metrics, logger: componentLogger(logger, 'storage'), onRedisHealth: (health) => onRedisHealth(health) });
    const shard = shardLeases(config, secrets);
    const daemon = new Daemon({
      config, venue, sequenceRule, log: logger, metrics, supervisor, storage, readOnly: observe, ...(shard === null ? {} : { shard }),
      ...(modelPath === null ? {} : { modelPath }), ...(notifier === null ? {} : { notifier }),
      onFatal: (fault) => life.requestStop(`fault: ${fault.kind}`, EXIT.fault),
    });
    onRedisHealth = (health) => daemon.onStorageHealth(health);
    if (modelPath !== null) logger.info({ path: modelPath }, 'model loaded: its forecast skews and widens the quotes');
    life.attach(daemon);
    const watcher = modelPath !== null && config.model.reloadOnChange
      ? watchModelFile(modelPath, (p) => supervisor.run({ kind: 'model-reload' }, () => daemon.reloadModel(p)))
      : null;
    // The control plane answers while the daemon starts: /health at once, /ready once connected and reconciled.
    const started = life.requested === null ? daemon.start() : Promise.resolve();
    let api: ControlServer | null = null;
    try {
      if (config.api.enabled) {
        api = await startControlServer({ control: new DaemonControl({ daemon, config, started }), api: config.api, metrics, log: logger });
        logger.info({ url: api.url }, 'api listening (/health, /ready, /metrics, /api/v1, the page at /)');
      }
      process.stderr.write(runBanner({ config, sources, modelPath, apiUrl: api?.url ?? null, version: daemonVersion(), coreVersion: coreVersion() }));
      // A venue that never connects must not hold a stop back: the shutdown runs alongside.
      await Promise.race([started, life.stopRequested]);
    } catch (err) {
      await api?.close();
      watcher?.close();
      await daemon.stop('start-up failed');
      await storage.close(); // nothing may keep the process alive after a failed start (the Redis connection)
      await notifier?.close();
      throw err;
    }
    const code = await life.finish();
    await storage.close();
    watcher?.close();
    await api?.close();
    await notifier?.close();
    return code;
  } finally {
    life.dispose();
  }
}

/**
 * `--replay <file> --speed max`: the same daemon on a manual clock over the recording, as fast as
 * the host can run it (the path `flashmm compare` takes too); stops when the replay ends, or
 * earlier on a stop request.
 */
async function runManual(
  config: Config, log: Logger, metrics: Metrics, modelPath: string | null, options: RunOptions, life: Lifecycle, supervisor: Supervisor,
): Promise<number> {
  if (options.replay === undefined) {
    throw new ConfigError([{ source: '--speed', path: 'venue.replay', reason: '--speed max needs --replay <recording>' }]);
  }
  await runOnManualClock({
    config, log, metrics, supervisor, ...(modelPath === null ? {} : { modelPath }),
    ...(options.duration === undefined ? {} : { durationMs: Math.round(options.duration * 1000) }),
    stopRequested: () => life.requested !== null,
    onDaemon: (daemon) => {
      if (modelPath !== null) log.info({ path: modelPath }, 'model loaded: its forecast skews and widens the quotes');
      life.attach(daemon);
    },
    onFatal: (fault) => life.requestStop(`fault: ${fault.kind}`, EXIT.fault),
  });
  if (life.requested === null) life.requestStop('replay finished');
  return life.finish();
}

/** The notifier when FLASHMM_NOTIFY_WEBHOOK_URL is set: the daemon's own path to an operator. */
function operatorNotifier(secrets: Secrets, metrics: Metrics, log: Logger): Notifier | null {
  if (secrets.notifyWebhookUrl === undefined) return null;
  log.info({}, 'operator notifications on (FLASHMM_NOTIFY_WEBHOOK_URL)');
  return new Notifier({ webhookUrl: secrets.notifyWebhookUrl, source: hostname(), metrics, log: componentLogger(log, 'notifier') });
}

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The configured model's path, or null (disabled, or the file absent: quote without a forecast).
 * The file is loaded (and checked against the ONNX contract) with the markets' states.
 */
function findModel(config: Config, log: Logger): string | null {
  if (!config.model.enabled) return null;
  const path = resolveModelPath(config.model.path, PACKAGE_ROOT);
  if (path === null) {
    log.warn({ path: config.model.path }, 'model file not found: quoting without a forecast');
    return null;
  }
  return path;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the market-making daemon (default: the embedded simulated venue with a generated market)')
    .option('--config <file>', 'config file (replaces config/<env>.yml and config/local.yml)')
    .option('--env <name>', `config environment: ${ENVIRONMENTS.join(', ')} (default FLASHMM_ENV or development)`)
    .option('--market <symbol>', 'trade only this configured market; on sei SYMBOL=<priceDenom>/<assetDenom> (tick and lot from the chain)')
    .option('--replay <recording>', 'drive the simulated venue with a recording instead of the generator')
    .option('--speed <x>', "replay speed: 1 = real time, 10 = ten times faster, 'max' = as fast as possible on a manual clock", replaySpeed)
    .option('--duration <seconds>', 'stop by itself after this many seconds', positiveNumber)
    .option('--venue <kind>', 'sim (the default) or sei: Sei\'s on-chain order book (docs/sei.md)')
    .option('--preset <name>', 'sei: a known chain (local, atlantic-2, pacific-1; the last two are refused: EVM-only)')
    .option('--rpc <url>', 'sei: CometBFT RPC endpoint; repeat for fail-over endpoints, in order', (url: string, prev: string[] | undefined) => [...(prev ?? []), url])
    .option('--chain-id <id>', 'sei: the chain id the node must serve')
    .option('--contract <address>', 'sei: the dex contract the pairs are registered under')
    .option('--observe', 'sei: follow the books read-only, with no key and no orders')
    .option('--key <name>', 'sei: sign with this keystore (flashmm keys); its password from FLASHMM_KEYSTORE_PASSWORD or a prompt')
    .option('--redis <url>', 'keep state in Redis (journal, hot state, restart recovery): storage.redis.url')
    .option('--shard', 'shard the markets over the daemons sharing the Redis: quote only markets whose lease this daemon holds')
    .action(async (options: RunOptions) => {
      try {
        process.exitCode = await runDaemon(options);
      } catch (err) {
        if (err instanceof ConfigError || err instanceof SecretsError) {
          console.error(`flashmm run: invalid configuration\n${err.message}`);
          process.exitCode = EXIT.config;
          return;
        }
        // Start-up failed (a recording that cannot be read, a port in use): say why, no stack.
        console.error(`flashmm run: ${errorMessage(err)}`);
        process.exitCode = 1;
      }
    });
}
