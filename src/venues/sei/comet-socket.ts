// One CometBFT websocket connection (JSON-RPC over /websocket): subscribe to new blocks, keep the
// connection alive with ping frames, and report its end exactly once. Reconnection, failover and
// stall detection live in block-feed.ts; this class only speaks the protocol.
import WebSocket from 'ws';

export interface NewBlock {
  readonly height: number;
  /** Block time, ns since the epoch. */
  readonly timeNs: bigint;
  /** The block's transactions, base64 (hash = SHA-256 of the decoded bytes). */
  readonly txs: readonly string[];
}

export interface CometSocketOptions {
  /** Opening handshake and subscribe must finish within this. */
  readonly openTimeoutMs: number;
  readonly pingIntervalMs: number;
  /** No pong within this after a ping ends the connection. */
  readonly pongTimeoutMs: number;
}

const NEW_BLOCK = "tm.event='NewBlock'";

export class CometSocket {
  private readonly ws: WebSocket;
  private pingTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private ended = false;

  private constructor(
    ws: WebSocket,
    private readonly options: CometSocketOptions,
    private readonly onBlock: (block: NewBlock) => void,
    private readonly onEnd: (reason: string) => void,
  ) {
    this.ws = ws;
  }

  /** Opens `url` (ws://host:port/websocket) and subscribes to new blocks. */
  static open(url: string, options: CometSocketOptions, onBlock: (b: NewBlock) => void, onEnd: (reason: string) => void): Promise<CometSocket> {
    const ws = new WebSocket(url, { handshakeTimeout: options.openTimeoutMs, perMessageDeflate: false });
    const socket = new CometSocket(ws, options, onBlock, onEnd);
    return socket.start();
  }

  private start(): Promise<CometSocket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no subscription within ${this.options.openTimeoutMs} ms`)), this.options.openTimeoutMs);
      let subscribed = false;
      const fail = (err: Error) => {
        clearTimeout(timer);
        if (!subscribed) {
          this.ended = true;
          this.stopTimers();
          this.ws.terminate();
          reject(err);
        }
      };
      this.ws.once('open', () => {
        this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: { query: NEW_BLOCK } }));
      });
      this.ws.on('message', (data) => {
        const msg = parse(data.toString());
        if (msg === null) return;
        if (!subscribed && msg.id === 1) {
          if (msg.error !== undefined) return fail(new Error(`subscribe failed: ${JSON.stringify(msg.error)}`));
          subscribed = true;
          clearTimeout(timer);
          this.startPings();
          resolve(this);
          return;
        }
        const block = newBlock(msg);
        if (block !== null && !this.ended) this.onBlock(block);
      });
      this.ws.on('pong', () => {
        if (this.pongTimer !== null) clearTimeout(this.pongTimer);
        this.pongTimer = null;
      });
      this.ws.on('error', (err) => (subscribed ? this.end(`websocket error: ${err.message}`) : fail(err)));
      this.ws.on('close', (code) => (subscribed ? this.end(`websocket closed (${code})`) : fail(new Error(`websocket closed (${code})`))));
    });
  }

  private startPings(): void {
    this.pingTimer = setInterval(() => {
      if (this.pongTimer !== null) return;
      this.pongTimer = setTimeout(() => this.end(`no pong within ${this.options.pongTimeoutMs} ms`), this.options.pongTimeoutMs);
      this.ws.ping();
    }, this.options.pingIntervalMs);
  }

  private stopTimers(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.pongTimer !== null) clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  /** Ends the connection (once); `onEnd` hears why unless we closed it ourselves. */
  end(reason: string, notify = true): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    this.ws.terminate();
    if (notify) this.onEnd(reason);
  }

  close(): void {
    this.end('closed', false);
  }
}

interface RpcMessage {
  readonly id?: unknown;
  readonly error?: unknown;
  readonly result?: { readonly data?: { readonly type?: string; readonly value?: { readonly block?: RawBlock } } };
}

interface RawBlock {
  readonly header?: { readonly height?: string; readonly time?: string };
  readonly data?: { readonly txs?: readonly string[] | null };
}

function parse(text: string): RpcMessage | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as RpcMessage) : null;
  } catch {
    return null;
  }
}

function newBlock(msg: RpcMessage): NewBlock | null {
  const data = msg.result?.data;
  if (data?.type !== 'tendermint/event/NewBlock') return null;
  const header = data.value?.block?.header;
  const height = Number(header?.height);
  if (!Number.isSafeInteger(height) || height <= 0) return null;
  return { height, timeNs: rfc3339Ns(header?.time ?? ''), txs: data.value?.block?.data?.txs ?? [] };
}

/** "2026-12-01T19:50:13.557351562Z" → ns since the epoch (0 when unparsable). */
export function rfc3339Ns(time: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (m === null) return 0n;
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) return 0n;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
