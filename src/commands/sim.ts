// `flashmm sim serve`: the simulated venue as a process of its own (docs/sim-venue.md), for
// daemons that connect with `venue: { kind: sim, url: ws://host:port }`. It serves the markets
// and the sim venue settings of its config (the same files and FLASHMM_* variables as
// `flashmm run`) until SIGINT or SIGTERM. The first stdout line is `listening ws://host:port`.
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Environment } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { createLogger } from '../telemetry/logger.js';
import { SimServer } from '../venues/sim-remote/server.js';
import { nonNegativeInt } from './options.js';

export interface SimServeOptions {
  readonly config?: string;
  readonly env?: string;
  readonly host: string;
  readonly port: number;
}

export async function serveSim(options: SimServeOptions): Promise<number> {
  const { config } = loadConfig({
    ...(options.config === undefined ? {} : { configPath: options.config }),
    ...(options.env === undefined ? {} : { env: options.env as Environment }),
  });
  // Logs go to stderr: stdout says where the venue listens.
  const log = createLogger({ level: config.telemetry.logLevel, format: config.telemetry.logFormat, destination: process.stderr, isTTY: process.stderr.isTTY === true });
  const server = await SimServer.start({ config, host: options.host, port: options.port, log });
  const markets = config.markets.filter((m) => m.enabled).map((m) => m.symbol);
  console.log(`listening ws://${options.host}:${server.port}`);
  log.info({ port: server.port, markets }, 'sim venue serving');
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ signal }, 'sim venue stopping');
  await server.close();
  return 0;
}

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('the simulated venue as a process of its own');
  sim
    .command('serve')
    .description('serve the simulated venue (the core exchange and market generator per market) over a websocket')
    .option('--config <file>', 'config file: its markets and venue settings (generator, latency, queue)')
    .option('--env <name>', 'config environment')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', nonNegativeInt, 7070)
    .action(async (options: SimServeOptions) => {
      try {
        process.exitCode = await serveSim(options);
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(`flashmm sim serve: invalid configuration\n${err.message}`);
          process.exitCode = 78;
          return;
        }
        console.error(`flashmm sim serve: ${errorMessage(err)}`);
        process.exitCode = 1;
      }
    });
}
