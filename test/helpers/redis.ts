// A real redis-server for tests (DESIGN: real components in tests): a free loopback port, its own
// data directory with the append-only file on (so a restart keeps what was written, as in
// production), stopped after. `restart` stops it and starts it again on the same port and data.
import { canConnect, freePort, removeDir, scratchDir, startServer, type RunningServer } from './servers.js';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** The running server (replaced by `start`). */
  server(): RunningServer;
  /** False between `stop` and `start`. */
  isRunning(): boolean;
  /** SIGTERM (Redis writes its append-only file and exits), awaited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  dispose(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = scratchDir('redis');
  const spawnIt = () =>
    startServer({
      name: 'redis-server',
      command: 'redis-server',
      args: [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
        '--appendfsync', 'everysec', '--protected-mode', 'no', '--loglevel', 'warning',
      ],
      ready: () => canConnect(port),
    });
  let running = await spawnIt();
  let up = true;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    server: () => running,
    isRunning: () => up,
    async stop() {
      up = false;
      await running.stop();
    },
    async start() {
      running = await spawnIt();
      up = true;
    },
    async dispose() {
      await running.stop();
      removeDir(dir);
    },
  };
}
