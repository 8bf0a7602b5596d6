// A real Sei chain for tests (shared/sei/localnet.sh: seid v5.5.5 with the order-book module),
// started once per test file on free loopback ports through servers.ts, stopped after. Faults are
// injected on the real process: `pause()`/`resume()` send SIGSTOP/SIGCONT to seid, and
// tcp-proxy.ts cuts or refuses connections in front of its RPC port.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { EventBatch } from '../../src/native.js';
import type { ConnectionState, OrderEvent, VenueListener } from '../../src/venues/venue.js';
import { freePort, removeDir, scratchDir, startServer, type RunningServer } from './servers.js';

// `../shared/sei` beside the clone; FLASHMM_SEI_LOCALNET for a clone elsewhere (a git worktree).
const LOCALNET = process.env['FLASHMM_SEI_LOCALNET'] ?? resolve(import.meta.dirname, '../../../shared/sei/localnet.sh');

export interface LocalnetAccount {
  readonly name: 'a' | 'b' | 'c';
  readonly address: string;
  /** Publicly known TEST mnemonics of the local chain: never fund them elsewhere. */
  readonly mnemonic: string;
}

export interface LocalnetInfo {
  readonly chainId: string;
  readonly rpc: string;
  readonly websocket: string;
  readonly rpcPort: number;
  readonly seidPid: number;
  readonly seid: string;
  readonly libDir: string;
  readonly home: string;
  readonly contract: string;
  readonly minGasPrices: string;
  readonly pairs: readonly { price_denom: string; asset_denom: string; price_tick_size: string; quantity_tick_size: string }[];
  readonly accounts: readonly LocalnetAccount[];
}

export interface SeiChainHandle {
  readonly info: LocalnetInfo;
  account(name: LocalnetAccount['name']): LocalnetAccount;
  /** Runs the seid CLI against this chain (keyring `test`), returning its JSON output. */
  seid(args: readonly string[]): Promise<unknown>;
  /** SIGSTOP / SIGCONT on seid: the chain stalls and resumes. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const run = promisify(execFile);

export async function startSeiChain(): Promise<SeiChainHandle> {
  const runDir = scratchDir('sei');
  const [rpcPort, p2p, app, grpc] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const infoPath = (): string | null => {
    for (const d of readdirSync(runDir)) {
      const p = join(runDir, d, 'localnet.json');
      if (existsSync(p)) return p;
    }
    return null;
  };
  const readInfo = (): unknown => {
    const p = infoPath();
    if (p === null) return null;
    try {
      return JSON.parse(readFileSync(p, 'utf8'));
    } catch {
      return null; // still being written
    }
  };
  let server: RunningServer;
  try {
    server = await startServer({
      name: 'sei localnet',
      command: 'bash',
      args: [LOCALNET],
      env: { ...process.env, RPC_PORT: String(rpcPort), P2P_PORT: String(p2p), APP_PORT: String(app), GRPC_PORT: String(grpc), RUN_DIR: runDir },
      // The script writes the info file once the contract and pairs are registered.
      ready: async () => readInfo() !== null,
      readyTimeoutMs: 180_000,
    });
  } catch (err) {
    removeDir(runDir);
    throw err;
  }
  const info = { ...(readInfo() as Omit<LocalnetInfo, 'rpcPort'>), rpcPort };
  const handle: SeiChainHandle = {
    info,
    account(name) {
      const a = info.accounts.find((x) => x.name === name);
      if (a === undefined) throw new Error(`no account ${name}`);
      return a;
    },
    async seid(args) {
      const { stdout } = await run(info.seid, [...args, '--home', info.home, '--keyring-backend', 'test', '--output', 'json'], {
        env: { ...process.env, LD_LIBRARY_PATH: info.libDir },
      });
      return JSON.parse(stdout) as unknown;
    },
    pause: () => process.kill(info.seidPid, 'SIGSTOP'),
    resume: () => process.kill(info.seidPid, 'SIGCONT'),
    async stop() {
      try {
        process.kill(info.seidPid, 'SIGCONT');
      } catch {
        // already gone
      }
      await server.stop(15_000);
      removeDir(runDir);
    },
  };
  return handle;
}

// ---- a venue listener that records everything and lets a test await what it needs

export class RecordingListener implements VenueListener {
  readonly events: OrderEvent[] = [];
  readonly batches: { symbol: string; batch: EventBatch; atMs: number }[] = [];
  readonly connection: { state: ConnectionState; reason: string | undefined; atMs: number }[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  onMarketData(symbol: string, batch: EventBatch): void {
    this.batches.push({ symbol, batch, atMs: Date.now() });
    this.wake();
  }

  onOrderEvent(event: OrderEvent): void {
    this.events.push(event);
    this.wake();
  }

  onConnection(state: ConnectionState, reason?: string): void {
    this.connection.push({ state, reason, atMs: Date.now() });
    this.wake();
  }

  /** Resolves once `check()` holds (re-checked on every event); rejects after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  of(clientId: string): OrderEvent[] {
    return this.events.filter((e) => (e.type === 'fill' ? e.fill.clientId : e.clientId) === clientId);
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}
