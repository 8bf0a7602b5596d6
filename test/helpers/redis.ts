// A real redis-server for a test file (DESIGN: real components in tests): a free loopback port,
// no persistence, its own scratch directory, stopped by `stop()`.
import { canConnect, freePort, removeDir, scratchDir, startServer, type RunningServer } from './servers.js';

export interface RunningRedis {
  readonly url: string;
  readonly port: number;
  readonly server: RunningServer;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  const dir = scratchDir('redis');
  const server = await startServer({
    name: 'redis-server',
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    ready: () => canConnect(port),
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    server,
    async stop() {
      await server.stop();
      removeDir(dir);
    },
  };
}
