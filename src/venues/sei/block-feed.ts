// New blocks from a list of CometBFT endpoints, kept flowing through faults: reconnect with
// exponential backoff and jitter (p-retry), failover across endpoints with one circuit breaker
// each (opossum: an endpoint that keeps failing is skipped until its reset timeout, then tried
// once), resubscribe on every new connection, and stall detection: no block within `stallMs`
// ends the connection as stale (the venue pulls quotes) and the loop reconnects, starting with
// the next endpoint. Heights a drop skipped are the venue's to catch up (it sees the gap).
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { CometSocket, type NewBlock } from './comet-socket.js';

export interface Endpoint {
  /** CometBFT RPC over HTTP(S), e.g. http://127.0.0.1:26657. */
  readonly rpc: string;
  /** Its websocket, e.g. ws://127.0.0.1:26657/websocket. */
  readonly ws: string;
}

export interface BlockFeedOptions {
  readonly endpoints: readonly Endpoint[];
  readonly openTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /** No block for this long = stalled. */
  readonly stallMs: number;
  readonly backoff: { readonly minMs: number; readonly maxMs: number };
  /** Consecutive failed connects that open an endpoint's breaker, and how long it stays open. */
  readonly breaker: { readonly failures: number; readonly resetMs: number };
}

export interface BlockFeedListener {
  onBlock(block: NewBlock, endpoint: Endpoint): void;
  onUp(endpoint: Endpoint): void;
  onDown(reason: string): void;
}

/** The websocket URL of an RPC URL (CometBFT serves both on one port). */
export function endpointOf(rpc: string, ws?: string): Endpoint {
  if (ws !== undefined) return { rpc, ws };
  const url = new URL(rpc);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/$/, '')}/websocket`;
  return { rpc, ws: url.toString() };
}

export class BlockFeed {
  private readonly breakers: CircuitBreaker<[], CometSocket>[];
  private readonly abort = new AbortController();
  private socket: CometSocket | null = null;
  private next = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  private active: Endpoint | null = null;
  /** Where the live socket reports its end. */
  private ending: (reason: string) => void = () => {};
  private running: Promise<void> | null = null;
  /** Connections opened so far (the first is not a reconnect). */
  connects = 0;

  constructor(
    private readonly options: BlockFeedOptions,
    private readonly listener: BlockFeedListener,
  ) {
    if (options.endpoints.length === 0) throw new Error('the sei venue needs at least one RPC endpoint');
    this.breakers = options.endpoints.map((endpoint) => {
      const breaker = new CircuitBreaker(() => this.open(endpoint), {
        timeout: false,
        resetTimeout: options.breaker.resetMs,
        // Opens once `failures` connects failed within a minute and most connects failed.
        volumeThreshold: options.breaker.failures,
        errorThresholdPercentage: 50,
        rollingCountTimeout: 60_000,
      });
      return breaker;
    });
  }

  /** The endpoint of the live connection, if any. */
  get endpoint(): Endpoint | null {
    return this.active;
  }

  /** Starts the loop; resolves once the first connection is up. */
  async start(): Promise<void> {
    let first: () => void = () => {};
    const up = new Promise<void>((resolve) => (first = resolve));
    this.running = this.loop(first);
    await Promise.race([up, this.running]);
  }

  private async loop(firstUp: () => void): Promise<void> {
    while (!this.abort.signal.aborted) {
      let ended: (reason: string) => void = () => {};
      const down = new Promise<string>((resolve) => (ended = resolve));
      try {
        this.socket = await pRetry(() => this.connectAny((reason) => ended(reason)), {
          retries: Number.POSITIVE_INFINITY,
          factor: 2,
          minTimeout: this.options.backoff.minMs,
          maxTimeout: this.options.backoff.maxMs,
          randomize: true,
          signal: this.abort.signal,
        });
      } catch {
        return; // aborted by stop()
      }
      this.connects += 1;
      this.armStall();
      if (this.active !== null) this.listener.onUp(this.active);
      firstUp();
      const reason = await down;
      this.disarmStall();
      this.socket = null;
      this.active = null;
      if (this.abort.signal.aborted) return;
      this.listener.onDown(reason);
    }
  }

  /** Tries each endpoint once, starting after the last one used, skipping open breakers. */
  private async connectAny(onEnd: (reason: string) => void): Promise<CometSocket> {
    const n = this.options.endpoints.length;
    const errors: string[] = [];
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      const endpoint = this.options.endpoints[i] as Endpoint;
      const breaker = this.breakers[i] as CircuitBreaker<[], CometSocket>;
      try {
        const socket = await breaker.fire();
        this.next = (i + 1) % n; // after a drop, the next endpoint goes first
        this.active = endpoint;
        this.ending = onEnd;
        return socket;
      } catch (err) {
        errors.push(`${endpoint.ws}: ${(err as Error).message}`);
      }
    }
    throw new Error(`no endpoint answered: ${errors.join('; ')}`);
  }

  private open(endpoint: Endpoint): Promise<CometSocket> {
    return CometSocket.open(
      endpoint.ws,
      this.options,
      (block) => {
        this.armStall();
        this.listener.onBlock(block, endpoint);
      },
      (reason) => this.ending(reason),
    );
  }

  private armStall(): void {
    this.disarmStall();
    this.stallTimer = setTimeout(() => this.socket?.end(`stalled: no block for ${this.options.stallMs} ms`), this.options.stallMs);
  }

  private disarmStall(): void {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  /** Ends the current connection now (it reconnects as after any drop). */
  drop(reason: string): void {
    this.socket?.end(reason);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.disarmStall();
    this.socket?.close();
    this.ending('stopped');
    for (const b of this.breakers) b.shutdown();
    await this.running;
  }
}
