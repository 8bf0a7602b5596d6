// A TCP proxy on a free loopback port in front of a server, for fault injection: `cut()` drops
// every open connection (a network cut: both sides see a reset), `refuse(true)` makes it refuse
// new ones, `freeze(true)` accepts connections and never answers (a frozen server: the kernel
// completes the handshake, nothing reads), and `close()` stops it.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './servers.js';

export interface TcpProxy {
  readonly port: number;
  /** Open client connections now. */
  connections(): number;
  cut(): void;
  refuse(on: boolean): void;
  /** Stops forwarding what clients send, on open connections and new ones (held open, never answered). */
  freeze(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const port = await freePort();
  const open = new Set<Socket>();
  const forwarding = new Map<Socket, Socket>();
  let refusing = false;
  let frozen = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    if (frozen) {
      open.add(client);
      client.on('error', () => client.destroy()).on('close', () => open.delete(client));
      return;
    }
    const upstream = connect({ port: targetPort, host: targetHost });
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    forwarding.set(client, upstream);
    client.on('close', () => forwarding.delete(client));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const cut = () => {
    for (const s of open) s.resetAndDestroy();
    open.clear();
  };
  return {
    port,
    connections: () => open.size / 2,
    cut,
    refuse(on) {
      refusing = on;
    },
    freeze(on) {
      frozen = on;
      for (const [client, upstream] of forwarding) {
        if (on) client.unpipe(upstream);
        else client.pipe(upstream);
      }
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
