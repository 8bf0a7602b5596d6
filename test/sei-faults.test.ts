// Faults at the Sei venue, on the real chain and real sockets: an endpoint refusing connections
// (failover to the next), the websocket cut by a TCP proxy (reconnect, resubscribe, the missed
// blocks caught up, stale signalled while down), and the chain stalled with SIGSTOP on seid (stall
// detected within the threshold; after SIGCONT the venue resyncs and resumes); and an RPC endpoint
// that accepts connections and never answers while its websocket still delivers blocks: every
// query times out, and the venue fails over to the next endpoint.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seiVenueSchema } from '../src/config/schema.js';
import { SeiChain } from '../src/venues/sei/chain.js';
import { SeiVenue } from '../src/venues/sei/sei-venue.js';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import { RecordingListener, startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';
import { freePort } from './helpers/servers.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const SYMBOL = 'SEI/USDC';
const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' };
const STALL_MS = 1_500;

let chain: SeiChainHandle;
let proxy: TcpProxy;
let venue: SeiVenue;
let listener: RecordingListener;
let deadPort: number;

const last = () => listener.connection.at(-1);
const snapshotHeights = () => listener.batches.flatMap(({ batch }) => [...batch.kinds].flatMap((k, i) => (k === 0 ? [batch.lastId[i] as number] : [])));

beforeAll(async () => {
  chain = await startSeiChain();
  proxy = await startTcpProxy(chain.info.rpcPort);
  deadPort = await freePort(); // nothing listens there: connections are refused
  const viaProxy = `http://127.0.0.1:${proxy.port}`;
  const config = seiVenueSchema.parse({
    kind: 'sei', rpcUrl: `http://127.0.0.1:${deadPort}`, wsUrl: `ws://127.0.0.1:${deadPort}/websocket`, fallbackRpcUrls: [viaProxy],
    chainId: chain.info.chainId, contractAddr: chain.info.contract, pairs: { [SYMBOL]: PAIR }, stallMs: STALL_MS,
    connection: { openTimeoutMs: 1_000, pingIntervalMs: 500, pongTimeoutMs: 5_000, backoffMinMs: 50, backoffMaxMs: 400, breakerFailures: 2, breakerResetMs: 1_000 },
  });
  const signer = CoreDirectSigner.fromMnemonic(Buffer.from(chain.account('a').mnemonic));
  venue = await SeiVenue.open({ config, markets: [{ symbol: SYMBOL, ...PAIR }], signer });
  listener = new RecordingListener();
  await venue.connect(listener);
  await listener.until(() => last()?.state === 'connected', 'connected');
}, 240_000);

afterAll(async () => {
  await venue?.close();
  await proxy?.close();
  await chain?.stop();
});

describe('SeiVenue under faults', () => {
  test('an endpoint refusing connections fails over to the next', async () => {
    expect(listener.connection.map((c) => c.state)).toEqual(['connecting', 'connected']);
    const before = snapshotHeights().length;
    await listener.until(() => snapshotHeights().length >= before + 2, 'blocks through the fallback endpoint');
    expect(proxy.connections()).toBeGreaterThan(0);
  });

  test('a cut websocket reconnects, resubscribes, catches up the missed blocks and says so', async () => {
    await venue.submit({ cancels: [], places: [{ clientId: 'q1', symbol: SYMBOL, side: 'buy', price: 10_000, size: 2, postOnly: false }] });
    await listener.until(() => listener.of('q1').some((e) => e.type === 'accepted'), 'q1 accepted');
    const heightBefore = venue.height;
    const reconnects = venue.counters.reconnects;
    proxy.refuse(true);
    proxy.cut();
    await listener.until(() => last()?.state === 'disconnected', 'disconnected');
    expect(last()?.reason).toMatch(/websocket (closed|error)/);
    // Blocks go on while we are away; then the network comes back.
    const direct = await SeiChain.connect(chain.info.rpc);
    const chainHeight = () => direct.latestHeight();
    const awayUntil = (await chainHeight()) + 3;
    while ((await chainHeight()) < awayUntil) await new Promise((r) => setTimeout(r, 100));
    direct.disconnect();
    proxy.refuse(false);
    await listener.until(() => last()?.state === 'connected', 'reconnected');
    expect(venue.counters.reconnects).toBe(reconnects + 1);
    expect(venue.counters.caughtUp).toBeGreaterThanOrEqual(3);
    // Every height was processed once, in order, with no gap; the book was resent after the cut.
    expect(venue.height).toBeGreaterThanOrEqual(awayUntil);
    expect(snapshotHeights().at(-1)).toBeGreaterThan(heightBefore);
    expect(await venue.openOrders(SYMBOL)).toEqual([{ clientId: 'q1', symbol: SYMBOL, side: 'buy', price: 10_000, size: 2, filled: 0 }]);
  });

  test('a stalled chain is detected within the threshold, and the venue resumes after it', async () => {
    const connected = last();
    expect(connected?.state).toBe('connected');
    const lastBlockAt = listener.batches.at(-1)?.atMs as number;
    chain.pause();
    try {
      await listener.until(() => last()?.state === 'disconnected', 'stall detected', 10_000);
    } finally {
      chain.resume();
    }
    const down = last();
    expect(down?.reason).toBe(`stalled: no block for ${STALL_MS} ms`);
    // Within the threshold of the last block (plus one block time and the event loop's slack).
    expect((down?.atMs as number) - lastBlockAt).toBeLessThan(STALL_MS + 700);
    const stalledAt = venue.height;
    await listener.until(() => last()?.state === 'connected', 'resumed', 30_000);
    await listener.until(() => venue.height > stalledAt, 'blocks again');
    // And orders still work.
    await venue.submit({ cancels: [{ clientId: 'q1', symbol: SYMBOL }], places: [] });
    await listener.until(() => listener.of('q1').some((e) => e.type === 'cancelled'), 'q1 cancelled');
    expect(await venue.openOrders(SYMBOL)).toEqual([]);
  });
});

describe('an RPC endpoint that never answers (frozen) while blocks still arrive', () => {
  const TIMEOUT_MS = 400;

  test('every query and the broadcast fail after the request timeout instead of hanging', async () => {
    const frozen = await startTcpProxy(chain.info.rpcPort);
    const rpc = await SeiChain.connect(`http://127.0.0.1:${frozen.port}`, { timeoutMs: TIMEOUT_MS });
    try {
      const h = await rpc.latestHeight();
      frozen.freeze(true);
      const calls: [string, () => Promise<unknown>][] = [
        ['status', () => rpc.latestHeight()],
        ['LongBookAll/ShortBookAll', () => rpc.book(chain.info.contract, PAIR, h)],
        ['GetMatchResult', () => rpc.matchResult(chain.info.contract, h)],
        ['GetOrders', () => rpc.orders(chain.info.contract, chain.account('a').address)],
        ['account', () => rpc.account(chain.account('a').address)],
        ['block', () => rpc.block(h)],
        ['block_results', () => rpc.txResult(h, 0)],
        ['broadcast_tx_sync', () => rpc.broadcastSync(new Uint8Array([1, 2, 3]))],
      ];
      for (const [name, call] of calls) {
        await expect(call(), name).rejects.toThrow(/abort|timeout/i);
      }
    } finally {
      rpc.disconnect();
      await frozen.close();
    }
  }, 30_000);

  test('the venue moves to the next endpoint once heights stay unreadable, and goes on there', async () => {
    const frozen = await startTcpProxy(chain.info.rpcPort);
    const config = seiVenueSchema.parse({
      kind: 'sei', rpcUrl: `http://127.0.0.1:${frozen.port}`, wsUrl: chain.info.websocket, fallbackRpcUrls: [chain.info.rpc],
      chainId: chain.info.chainId, contractAddr: chain.info.contract, pairs: { [SYMBOL]: PAIR }, stallMs: 10_000,
      connection: { openTimeoutMs: 1_000, requestTimeoutMs: TIMEOUT_MS, backoffMinMs: 50, backoffMaxMs: 400 },
    });
    const v = await SeiVenue.open({ config, markets: [{ symbol: SYMBOL, ...PAIR }] });
    const l = new RecordingListener();
    try {
      await v.connect(l);
      await l.until(() => l.connection.at(-1)?.state === 'connected', 'connected');
      expect(v.status().endpoint).toBe(config.rpcUrl);
      frozen.freeze(true);
      await l.until(() => l.connection.at(-1)?.state === 'disconnected', 'dropped after unreadable heights', 15_000);
      expect(l.connection.at(-1)?.reason).toMatch(/^rpc: 3 heights in a row unreadable/);
      await l.until(() => l.connection.at(-1)?.state === 'connected', 'connected to the next endpoint', 15_000);
      expect(v.status().endpoint).toBe(chain.info.rpc);
      const h = v.height;
      await l.until(() => v.height > h + 1, 'heights processed there');
    } finally {
      await v.close();
      await frozen.close();
    }
  }, 60_000);
});
