// The daemon on a real Sei chain, for end-to-end tests: `flashmm run --venue sei` as a child
// process (JSON log lines, awaited by predicate, never by a fixed sleep), a scripted second
// account that trades against it through cosmjs's own signer, and the chain's own view of our
// orders and settlements, read directly from the chain (never from the daemon).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { SigningStargateClient } from '@cosmjs/stargate';
import { connectComet } from '@cosmjs/tendermint-rpc';
import { MarketSpec } from '../../src/native.js';
import type { SeiChain } from '../../src/venues/sei/chain.js';
import type { SeiVenue } from '../../src/venues/sei/sei-venue.js';
import { PLACE_ORDERS_URL, CANCEL_ORDERS_URL, seiRegistry } from '../../src/venues/sei/proto.js';
import { repoRoot } from './cargo.js';
import type { SeiChainHandle } from './sei-chain.js';

export const SYMBOL = 'SEI/USDC';
export const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' } as const;
/** The local chain's uusdc/usei grid. */
export const SPEC = new MarketSpec({ symbol: SYMBOL, tickSize: '0.0001', lotSize: '1' });
const ORDER_DATA = '{"leverage":"1","position_effect":"Open"}';
const CLI = fileURLToPath(new URL('dist/cli.js', repoRoot));

export interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

/**
 * A deterministic quoter for the tests: the others' mid ± 3 ticks, shifted 1 tick per lot of
 * inventory against it (5 ticks per order of 5 lots), one level of 5 lots a side, no model.
 */
export function daemonConfig(dir: string, options: { venue?: string; disconnectMs?: number } = {}): string {
  const path = join(dir, 'daemon.yml');
  writeFileSync(
    path,
    `markets:
  - { symbol: "${SYMBOL}", tickSize: "0.0001", lotSize: "1", minSizeLots: 1, makerFeePpm: 0, takerFeePpm: 0 }
strategy:
  kind: fixed
  fixed: { halfSpread: 3, skewTicksPerOrder: 5 }
  orderSizeLots: 5
  ladder: { levels: 1, sizesLots: [5] }
risk:
  maxPositionLots: 1000
  maxNotional: "100000"
  maxDailyLoss: "100000"
  maxDrawdown: "100000"
  maxOrdersPerSecond: 50
  staleBookMs: 1500
  disconnectMs: ${options.disconnectMs ?? 5000}
engine: { intervalMs: 200, shutdownTimeoutMs: 8000 }
model: { enabled: false }
${options.venue ?? ''}`,
  );
  return path;
}

export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  private apiUrl: string | null = null;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: `(not JSON) ${text}` };
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
    });
    createInterface({ input: child.stderr }).on('line', (text) => this.stderr.push(text));
  }

  /** `flashmm run <args>` with JSON logs and the API on a free port. */
  static start(args: readonly string[], env: Record<string, string> = {}): DaemonProcess {
    const child = spawn(process.execPath, [CLI, 'run', ...args], {
      cwd: fileURLToPath(repoRoot),
      env: { ...process.env, FLASHMM_API__PORT: '0', FLASHMM_TELEMETRY__LOG_FORMAT: 'json', FLASHMM_TELEMETRY__LOG_LEVEL: 'info', ...env },
    });
    return new DaemonProcess(child);
  }

  /** The first log line (seen or to come) that matches. */
  next(pred: (l: LogLine) => boolean, what: string, ms = 20_000): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line '${what}' within ${ms} ms; last: ${this.tail()}`)), ms);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  /** The next matching line after the ones seen so far. */
  after(pred: (l: LogLine) => boolean, what: string, ms = 20_000): Promise<LogLine> {
    const from = this.lines.length;
    return this.next((l) => this.lines.indexOf(l) >= from && pred(l), what, ms);
  }

  async status(): Promise<DaemonStatus> {
    this.apiUrl ??= String((await this.next((l) => l.msg.startsWith('api listening'), 'api listening')).url);
    const get = async <T>(path: string): Promise<T> => (await (await fetch(`${this.apiUrl}${path}`)).json()) as T;
    const [status, orders] = await Promise.all([
      get<{ killed: boolean; markets: { symbol: string }[]; venueState: DaemonStatus['venue'] }>('/api/v1/status'),
      get<{ orders: (DaemonStatus['markets'][number]['openOrders'][number] & { symbol: string })[] }>('/api/v1/orders'),
    ]);
    const markets = await Promise.all(status.markets.map(async ({ symbol }) => {
      const view = await get<MarketView>(`/api/v1/markets/${encodeURIComponent(symbol)}?depth=1`);
      return {
        symbol, risk: view.risk, position: view.position.lots, bid: view.book.bid?.price ?? null, ask: view.book.ask?.price ?? null,
        openOrders: orders.orders.filter((o) => o.symbol === symbol),
      };
    }));
    return { killed: status.killed, markets, venue: status.venueState };
  }

  /** The daemon's /metrics page, once (series read from one page agree with each other). */
  async metricsPage(): Promise<string> {
    await this.status(); // the API is up
    return (await fetch(`${this.apiUrl}/metrics`)).text();
  }

  /** The sum of a Prometheus series over its label sets (0 before its first sample). */
  async metric(name: string): Promise<number> {
    const text = await this.metricsPage();
    let sum = 0;
    for (const line of text.split('\n')) {
      const [series, value] = line.split(' ');
      if (series !== undefined && value !== undefined && (series === name || series.startsWith(`${name}{`))) sum += Number(value);
    }
    return sum;
  }

  tail(n = 8): string {
    return [...this.lines.slice(-n).map((l) => l.msg), ...this.stderr.slice(-3)].join(' | ');
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}

/** The fields of GET /api/v1/markets/:symbol these tests read. */
interface MarketView {
  readonly risk: string;
  readonly position: { readonly lots: number };
  readonly book: { readonly bid: { readonly price: number } | null; readonly ask: { readonly price: number } | null };
}

/** The daemon as these tests see it, put together from the control plane's routes. */
export interface DaemonStatus {
  readonly killed: boolean;
  readonly markets: readonly {
    readonly symbol: string;
    readonly risk: string;
    readonly position: number;
    readonly bid: number | null;
    readonly ask: number | null;
    readonly openOrders: readonly { readonly clientId: string; readonly side: string; readonly price: number; readonly size: number; readonly filled: number }[];
  }[];
  readonly venue: ReturnType<SeiVenue['status']> | null;
}

/** A second account placing and cancelling orders through cosmjs's own signer (one transaction each). */
export class Trader {
  private constructor(
    readonly address: string,
    private readonly client: SigningStargateClient,
    private readonly contract: string,
  ) {}

  static async connect(chain: SeiChainHandle, name: 'a' | 'b' | 'c'): Promise<Trader> {
    const account = chain.account(name);
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: 'sei' });
    const comet = await connectComet(chain.info.rpc);
    const client = await SigningStargateClient.createWithSigner(comet, wallet, { registry: seiRegistry(), broadcastPollIntervalMs: 50 });
    return new Trader(account.address, client, chain.info.contract);
  }

  /** Limit orders in one transaction (prices and quantities as the chain's decimals); resolves with its height. */
  async place(orders: readonly { side: 'buy' | 'sell'; price: string; quantity: string }[]): Promise<number> {
    const msg = {
      typeUrl: PLACE_ORDERS_URL,
      value: {
        creator: this.address, contractAddr: this.contract, funds: [],
        orders: orders.map((o) => ({
          account: this.address, contractAddr: this.contract, price: o.price, quantity: o.quantity, ...PAIR, orderType: 0,
          positionDirection: o.side === 'buy' ? 0 : 1, data: ORDER_DATA, statusDescription: '', nominal: '0', triggerPrice: '0', triggerStatus: false,
        })),
      },
    };
    const r = await this.client.signAndBroadcast(this.address, [msg], { amount: [{ denom: 'usei', amount: String(20_000 * orders.length + 10_000) }], gas: String(200_000 + 150_000 * orders.length) });
    if (r.code !== 0) throw new Error(`trader order failed (code ${r.code}): ${r.rawLog ?? ''}`);
    return r.height;
  }

  /** Cancels the given orders of this account in one transaction. */
  async cancel(orders: readonly { id: bigint; side: 'buy' | 'sell'; price: string }[]): Promise<void> {
    if (orders.length === 0) return;
    const msg = {
      typeUrl: CANCEL_ORDERS_URL,
      value: {
        creator: this.address, contractAddr: this.contract,
        cancellations: orders.map((o) => ({ id: o.id, initiator: 0, creator: this.address, contractAddr: this.contract, ...PAIR, positionDirection: o.side === 'buy' ? 0 : 1, price: o.price })),
      },
    };
    const r = await this.client.signAndBroadcast(this.address, [msg], { amount: [{ denom: 'usei', amount: String(20_000 + 6_000 * orders.length) }], gas: String(200_000 + 100_000 * orders.length) });
    if (r.code !== 0) throw new Error(`trader cancel failed (code ${r.code}): ${r.rawLog ?? ''}`);
  }

  /** An account's usei balance, as the chain has it. */
  async usei(address: string): Promise<bigint> {
    return BigInt((await this.client.getBalance(address, 'usei')).amount);
  }

  disconnect(): void {
    this.client.disconnect();
  }
}

export interface ChainOrder {
  readonly id: bigint;
  readonly side: 'buy' | 'sell';
  readonly price: string;
  readonly quantity: string;
}

/** An account's open orders on the pair, as the chain has them. */
export async function chainOrders(rpc: SeiChain, contract: string, address: string): Promise<ChainOrder[]> {
  const orders = await rpc.orders(contract, address);
  return orders
    .filter((o) => o.priceDenom === PAIR.priceDenom && o.assetDenom === PAIR.assetDenom)
    .map((o) => ({ id: o.id ?? 0n, side: (o.positionDirection ?? 0) === 0 ? ('buy' as const) : ('sell' as const), price: o.price, quantity: o.quantity }));
}

export interface Settlement {
  readonly height: number;
  readonly orderId: bigint;
  readonly side: 'buy' | 'sell';
  readonly price: string;
  readonly quantity: string;
}

/** Every settlement of `address` on the pair in blocks `from`..`to`, from each block's match result. */
export async function settlementsOf(rpc: SeiChain, contract: string, address: string, from: number, to: number): Promise<Settlement[]> {
  const out: Settlement[] = [];
  for (let h = from; h <= to; h++) {
    const match = await rpc.matchResult(contract, h);
    for (const s of match?.settlements ?? []) {
      if (s.account !== address || s.priceDenom !== PAIR.priceDenom || s.assetDenom !== PAIR.assetDenom) continue;
      out.push({ height: h, orderId: s.orderId, side: s.positionDirection === 'Long' ? 'buy' : 'sell', price: s.executionCostOrProceed, quantity: s.quantity });
    }
  }
  return out;
}

/** Resolves once `check` holds, polling the chain every block or so; rejects after `ms`. */
export async function until<T>(probe: () => Promise<T>, check: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
