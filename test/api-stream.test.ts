// The websocket state stream on a real daemon: frames at most maxHz per client (a faster ask is
// clamped), a client that stops acknowledging or reading is dropped (4008), the client cap, the
// token as a subprotocol, and the Origin rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { StreamFrame } from '../src/api/control.js';
import { type ControlServer, startControlServer } from '../src/api/serve.js';
import { type ControlPlane, roleTokens, startControlPlane, tokenConfig, until } from './helpers/control-plane.js';

const STREAM = { maxHz: 20, maxUnackedFrames: 5, maxClients: 3, maxBufferedBytes: 65_536, depth: 10 };
const tokens = roleTokens();
let cp: ControlPlane;
let closed: ControlServer;

beforeAll(async () => {
  cp = await startControlPlane({ tokens: tokenConfig(tokens), stream: STREAM });
  closed = await startControlServer({ control: cp.control, metrics: cp.metrics, log: cp.log, api: { ...cp.config.api, anonymousRead: false } });
  await cp.nextLine((l) => l.msg === 'first quote sent');
}, 30_000);

afterAll(async () => {
  await closed?.close();
  await cp?.stop();
});

interface Received {
  readonly frame: StreamFrame;
  readonly atMs: number;
}

interface Client {
  readonly ws: WebSocket;
  readonly frames: Received[];
  /** Resolves with the n-th frame. */
  nth(n: number): Promise<Received>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The HTTP status when the upgrade was refused. */
  readonly refused: Promise<number>;
}

function open(base: string, options: { hz?: number; ack?: boolean; protocols?: string[]; origin?: string } = {}): Client {
  const url = `${base.replace('http', 'ws')}/api/v1/stream${options.hz === undefined ? '' : `?hz=${options.hz}`}`;
  const ws = new WebSocket(url, options.protocols ?? ['flashmm.v1'], options.origin === undefined ? {} : { headers: { origin: options.origin } });
  const frames: Received[] = [];
  const waiters: { n: number; resolve: (r: Received) => void }[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as StreamFrame;
    frames.push({ frame, atMs: performance.now() });
    if (options.ack ?? true) ws.send(JSON.stringify({ ack: frame.seq }));
    for (const w of waiters.splice(0)) (frames.length >= w.n ? w.resolve(frames[w.n - 1] as Received) : waiters.push(w));
  });
  const closedP = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const refused = new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  ws.on('error', () => undefined);
  return {
    ws, frames, closed: closedP, refused,
    nth: (n) => new Promise((resolve) => (frames.length >= n ? resolve(frames[n - 1] as Received) : waiters.push({ n, resolve }))),
  };
}

const gauge = async (name: 'apiStreamClients') => (await cp.metrics[name].get()).values[0]?.value ?? 0;
const dropped = async (reason: string) => (await cp.metrics.apiStreamDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe('state stream', () => {
  it('frames carry the live state: book, our quotes, P&L, risk', async () => {
    const c = open(cp.server.url);
    const { frame } = await c.nth(1);
    const [m] = frame.markets;
    expect(m?.symbol).toBe('SEI/USDC');
    expect(m?.book.valid).toBe(true);
    expect(m?.book.bids).toHaveLength(STREAM.depth);
    expect(m?.quotes.length).toBeGreaterThan(0);
    expect(m?.pnl.net).toMatch(/^-?\d+(\.\d+)?$/);
    expect(m?.risk).toBe('active');
    expect(frame.killed).toBe(false);
    const second = await c.nth(2);
    expect(second.frame.seq).toBeGreaterThan(frame.seq);
    c.ws.close();
  });

  it('at most maxHz frames a second per client, a faster request clamped, a slower one honoured', async () => {
    const fast = open(cp.server.url, { hz: 1_000 });
    const slow = open(cp.server.url, { hz: 5 });
    const [first, eleventh] = [await fast.nth(1), await fast.nth(11)];
    // Ten gaps of at least 50 ms (20 Hz); a few ms of slack for the socket, none for the server.
    expect(eleventh.atMs - first.atMs).toBeGreaterThanOrEqual(10 * 50 - 5);
    const [s1, s4] = [await slow.nth(1), await slow.nth(4)];
    expect(s4.atMs - s1.atMs).toBeGreaterThanOrEqual(3 * 200 - 5);
    fast.ws.close();
    slow.ws.close();
  });

  it('a client that stops acknowledging is dropped after maxUnackedFrames, with 4008', async () => {
    const before = await dropped('slow');
    const c = open(cp.server.url, { ack: false });
    const { code } = await c.closed;
    expect(code).toBe(1006); // terminated, no close frame: the backlog is not read first
    expect(c.frames).toHaveLength(STREAM.maxUnackedFrames);
    expect(await dropped('slow')).toBe(before + 1);
    expect(cp.lines.some((l) => l.msg === 'stream client too slow: dropped' && l['unacked'] === STREAM.maxUnackedFrames)).toBe(true);
  });

  it('a client that stops reading its socket is dropped too, and the server lets it go', async () => {
    const c = open(cp.server.url);
    await c.nth(2);
    const before = await dropped('slow');
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await until('dropped', async () => (await dropped('slow')) === before + 1);
    await until('detached', async () => (await gauge('apiStreamClients')) === 0);
  });

  it('more than maxClients: the extra one is refused with 1008', async () => {
    await until('no clients', async () => (await gauge('apiStreamClients')) === 0);
    const clients = [open(cp.server.url), open(cp.server.url), open(cp.server.url)];
    await Promise.all(clients.map((c) => c.nth(1)));
    const extra = open(cp.server.url);
    expect((await extra.closed).code).toBe(1008);
    expect(await gauge('apiStreamClients')).toBe(3);
    for (const c of clients) c.ws.close();
    await until('closed', async () => (await gauge('apiStreamClients')) === 0);
  });

  it('without anonymous reading: no token 401, a bad token 401, a read token as subprotocol streams', async () => {
    expect(await open(closed.url).refused).toBe(401);
    expect(await open(closed.url, { protocols: ['flashmm.v1', 'bearer.fmm_wrong'] }).refused).toBe(401);
    const ok = open(closed.url, { protocols: ['flashmm.v1', `bearer.${tokens.read}`] });
    await ok.nth(1);
    expect(ok.ws.protocol).toBe('flashmm.v1');
    ok.ws.close();
  });

  it('a browser on another origin is refused (websockets have no CORS); the page\'s own origin is not', async () => {
    expect(await open(cp.server.url, { origin: 'https://evil.example' }).refused).toBe(403);
    const same = open(cp.server.url, { origin: cp.server.url });
    await same.nth(1);
    same.ws.close();
  });
});
