// The daemon's side of `flashmm sim serve` (`venue: { kind: sim, url: ws://… }`): the Venue
// interface over one websocket (protocol.ts). Market data arrives as the core's EventBatch
// bytes and is handed on as an EventBatch; order events as JSON. Requests (submit, cancel-all,
// open orders, the account) are answered by id; a request unanswered within
// `requestTimeoutMs`, or pending when the connection drops, fails (its orders are in doubt and
// get reconciled). A dropped connection is reopened with backoff and reported to the listener,
// which reconciles on 'connected'.
import WebSocket from 'ws';
import type { MarketInfo } from '../../market/types.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import type { OrderBatch, Venue, VenueAccount, VenueListener, VenueOrder } from '../venue.js';
import {
  accountResult, decodeMarketData, decodeMessage, encodeMessage, openOrdersResult, PROTOCOL_VERSION, serverMessageSchema,
  type ClientRequest, type ServerMessage,
} from './protocol.js';

export interface RemoteSimOptions {
  readonly url: string;
  /** Who this daemon is on the venue: its orders, fills and position are kept under this name. */
  readonly client: string;
  /** The trading account when daemons share one (sharded markets); default: the client's own. */
  readonly account?: string;
  /** The markets this daemon trades (the venue must list each with the same grid and fees). */
  readonly markets: readonly MarketInfo[];
  readonly log: Logger;
  readonly requestTimeoutMs?: number;
  /** The first connection: give up after this long. */
  readonly connectTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type Request = ClientRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class RemoteSimVenue implements Venue {
  readonly name = 'sim-remote';
  private socket: WebSocket | null = null;
  private listener: VenueListener | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private connected = false;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private badFrames = 0;

  constructor(private readonly opts: RemoteSimOptions) {
    this.backoffMs = opts.backoffMinMs ?? 100;
  }

  markets(): readonly MarketInfo[] {
    return this.opts.markets;
  }

  /** Resolves once the venue has welcomed us; retries until `connectTimeoutMs`, then throws. */
  async connect(listener: VenueListener): Promise<void> {
    this.listener = listener;
    const deadline = Date.now() + (this.opts.connectTimeoutMs ?? 10_000);
    for (;;) {
      try {
        await this.open();
        return;
      } catch (err) {
        if (err instanceof RefusedError || Date.now() + this.backoffMs > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.backoffMs));
        this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs ?? 2_000);
      }
    }
  }

  async submit(batch: OrderBatch): Promise<void> {
    await this.request({ op: 'submit', cancels: batch.cancels.map(({ clientId, symbol }) => ({ clientId, symbol })), places: batch.places.map((p) => ({ ...p })) });
  }

  async cancelAll(symbol?: string): Promise<void> {
    await this.request(symbol === undefined ? { op: 'cancel-all' } : { op: 'cancel-all', symbol });
  }

  async openOrders(symbol: string): Promise<readonly VenueOrder[]> {
    return openOrdersResult.parse(await this.request({ op: 'open-orders', symbol }));
  }

  async accountSnapshot(symbol: string, fillsSinceNs: bigint): Promise<VenueAccount> {
    return accountResult.parse(await this.request({ op: 'account', symbol, fillsSinceNs: fillsSinceNs.toString() }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket !== null && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close();
      });
    }
    this.failPending('venue connection closed');
    if (this.connected) this.listener?.onConnection('disconnected', 'closed');
    this.connected = false;
    this.listener = null;
  }

  // ---- internals ----------------------------------------------------------------------

  private request(body: Request): Promise<unknown> {
    const socket = this.socket;
    if (socket === null || !this.connected || socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected to the sim venue'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`sim venue: no answer to ${body.op} in ${this.opts.requestTimeoutMs ?? 5_000} ms`));
      }, this.opts.requestTimeoutMs ?? 5_000);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(encodeMessage({ ...body, id }));
    });
  }

  /** One connection: open, hello, welcome (checked against our markets). */
  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.opts.url, { perMessageDeflate: false });
      let welcomed = false;
      socket.binaryType = 'nodebuffer';
      socket.once('open', () => {
        socket.send(encodeMessage({ op: 'hello', version: PROTOCOL_VERSION, client: this.opts.client, ...(this.opts.account === undefined ? {} : { account: this.opts.account }), markets: this.opts.markets.map((m) => m.symbol) }));
      });
      socket.on('message', (data: Buffer, isBinary) => {
        if (isBinary) return this.onMarketData(data);
        const decoded = decodeMessage(serverMessageSchema, data.toString('utf8'));
        if (!decoded.ok) return this.onBadFrame(`bad message: ${decoded.error}`);
        const m = decoded.message;
        if (!welcomed) {
          if (m.op === 'refused') return reject(new RefusedError(`the sim venue refused us: ${m.reason}`));
          if (m.op !== 'welcome') return;
          const problem = this.checkWelcome(m);
          if (problem !== null) {
            socket.close();
            return reject(new RefusedError(problem));
          }
          welcomed = true;
          this.socket = socket;
          this.connected = true;
          this.backoffMs = this.opts.backoffMinMs ?? 100;
          this.listener?.onConnection('connected');
          return resolve();
        }
        this.onMessage(m);
      });
      socket.on('error', (err) => {
        if (!welcomed) reject(new Error(`sim venue ${this.opts.url}: ${err.message}`));
      });
      socket.on('close', (code, reason) => {
        if (!welcomed) return reject(new Error(`sim venue ${this.opts.url} closed the connection (${code} ${reason.toString()})`));
        this.onClose(socket, `closed (${code})`);
      });
    });
  }

  private checkWelcome(m: Extract<ServerMessage, { op: 'welcome' }>): string | null {
    for (const ours of this.opts.markets) {
      const theirs = m.markets.find((x) => x.symbol === ours.symbol);
      if (theirs === undefined) return `the sim venue does not list ${ours.symbol}`;
      for (const key of ['tickSize', 'lotSize', 'minSizeLots', 'makerFeePpm', 'takerFeePpm'] as const) {
        if (String(theirs[key]) !== String(ours[key])) return `${ours.symbol}: ${key} is ${theirs[key]} on the sim venue, ${ours[key]} in our config`;
      }
      if (m.sequenceRules[ours.symbol] !== 'strict') return `${ours.symbol}: the sim venue's sequence rule is ${m.sequenceRules[ours.symbol]}, expected strict (a generated market)`;
    }
    return null;
  }

  private onMessage(m: ServerMessage): void {
    if (m.op === 'events') {
      for (const event of m.events) this.listener?.onOrderEvent(event);
    } else if (m.op === 'reply') {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (!m.ok) p.reject(new Error(`sim venue: ${m.error ?? 'request failed'}`));
      else p.resolve(m.result);
    } else if (m.op === 'refused') {
      this.opts.log.error({ reason: m.reason }, 'the sim venue refused a request');
    }
  }

  private onMarketData(frame: Buffer): void {
    let decoded;
    try {
      decoded = decodeMarketData(frame);
    } catch (err) {
      return this.onBadFrame(`bad market data frame: ${errorMessage(err)}`);
    }
    this.listener?.onMarketData(decoded.symbol, decoded.batch);
  }

  private onBadFrame(what: string): void {
    this.badFrames += 1;
    if (this.badFrames === 1) this.opts.log.error({ what }, 'sim venue sent a frame that cannot be read; skipped (logged once)');
  }

  private onClose(socket: WebSocket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.failPending(`venue connection ${reason}`);
    if (this.closed) return;
    this.connected = false;
    this.listener?.onConnection('disconnected', reason);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listener?.onConnection('connecting');
      this.open().catch((err: unknown) => {
        this.opts.log.warn({ err: errorMessage(err), retryMs: this.backoffMs }, 'sim venue reconnect failed');
        this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs ?? 2_000);
        if (!this.closed) this.scheduleReconnect();
      });
    }, this.backoffMs);
  }

  private failPending(reason: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }
}

/** The venue answered and said no (a wrong market, a wrong version): retrying cannot help. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}
