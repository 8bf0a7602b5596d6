// The websocket state stream: frames of book top and depth, our quotes, P&L and risk state per
// market, at most `hz` frames a second per client. State is conflated (a client always gets the
// latest frame, never a backlog) and a frame is built and serialised once per tick for every
// client due. Backpressure, two bounds: the client acknowledges each frame it has drawn by
// sending `{"ack": seq}`, and one more than `maxUnackedFrames` behind is dropped (a bound on
// lag: the kernel's socket buffers alone would hide megabytes, minutes of frames); and a client
// whose unsent bytes pass `maxBufferedBytes` is dropped at once (a bound on memory).
import type { WebSocket } from 'ws';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { StreamFrame } from './control.js';

export interface StreamOptions {
  readonly maxHz: number;
  readonly maxBufferedBytes: number;
  readonly maxClients: number;
  readonly depth: number;
  readonly maxUnackedFrames: number;
}

/** Close codes: 1008 policy (too many clients), 4008 too slow (application range). */
export const CLOSE_TOO_MANY = 1008;
export const CLOSE_TOO_SLOW = 4008;

interface Client {
  readonly ws: WebSocket;
  readonly minGapMs: number;
  lastSentMs: number;
  /** Seqs sent and not yet acknowledged, oldest first (at most maxUnackedFrames). */
  readonly unacked: number[];
}

export class StateStream {
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  private readonly tickMs: number;

  constructor(
    private readonly source: (depth: number) => StreamFrame,
    private readonly options: StreamOptions,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {
    // Ticks at a quarter of the fastest gap: a client due now waits at most a quarter gap more.
    this.tickMs = Math.max(5, 1000 / options.maxHz / 4);
  }

  get size(): number {
    return this.clients.size;
  }

  /** Rate a client may ask for: (0, maxHz], default maxHz. */
  clampHz(requested: number | undefined): number {
    return requested === undefined || !(requested > 0) ? this.options.maxHz : Math.min(requested, this.options.maxHz);
  }

  /** Starts sending to `ws` at `hz`; refuses (closes) it when the stream is full. */
  attach(ws: WebSocket, hz: number): void {
    if (this.clients.size >= this.options.maxClients) {
      ws.close(CLOSE_TOO_MANY, 'too many stream clients');
      this.metrics?.apiStreamDropped.inc({ reason: 'too-many' });
      return;
    }
    const client: Client = { ws, minGapMs: 1000 / this.clampHz(hz), lastSentMs: Number.NEGATIVE_INFINITY, unacked: [] };
    this.clients.add(client);
    this.metrics?.apiStreamClients.set(this.clients.size);
    ws.on('message', (data) => this.onAck(client, data.toString()));
    ws.once('close', () => this.detach(client));
    ws.on('error', () => this.detach(client));
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    this.tick();
  }

  close(): void {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    this.stopTimer();
  }

  /** `{"ack": seq}`: every frame up to seq has been drawn. Anything else is ignored. */
  private onAck(client: Client, text: string): void {
    let seq: unknown;
    try {
      seq = (JSON.parse(text) as { ack?: unknown }).ack;
    } catch {
      return;
    }
    if (typeof seq !== 'number') return;
    while (client.unacked.length > 0 && (client.unacked[0] ?? Infinity) <= seq) client.unacked.shift();
  }

  private detach(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.metrics?.apiStreamClients.set(this.clients.size);
    if (this.clients.size === 0) this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const now = performance.now();
    let frame: StreamFrame | null = null;
    let text = '';
    for (const client of this.clients) {
      if (now - client.lastSentMs < client.minGapMs || client.ws.readyState !== client.ws.OPEN) continue;
      if (client.ws.bufferedAmount > this.options.maxBufferedBytes || client.unacked.length >= this.options.maxUnackedFrames) {
        this.drop(client);
        continue;
      }
      try {
        if (frame === null) {
          frame = this.source(this.options.depth);
          text = JSON.stringify(frame);
        }
      } catch (err) {
        // A frame that cannot be built now (a book mid-resync) is skipped, not fatal.
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'stream frame failed');
        this.metrics?.errors.inc({ kind: 'api-stream' });
        return;
      }
      client.lastSentMs = now;
      client.unacked.push(frame.seq);
      client.ws.send(text);
    }
  }

  private drop(client: Client): void {
    const { maxBufferedBytes, maxUnackedFrames } = this.options;
    this.log.warn({ bufferedBytes: client.ws.bufferedAmount, unacked: client.unacked.length, maxBufferedBytes, maxUnackedFrames }, 'stream client too slow: dropped');
    this.metrics?.apiStreamDropped.inc({ reason: 'slow' });
    // terminate, not close: a close frame would queue behind the backlog the client is not reading.
    client.ws.terminate();
    this.detach(client);
  }
}
