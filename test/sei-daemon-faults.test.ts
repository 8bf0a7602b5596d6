// Faults at the daemon on a real Sei chain, each on the real processes: the websocket dropped by a
// TCP proxy while the fail-over endpoint refuses connections (quotes pulled while blind, then the
// next endpoint, reconnect, catch-up, quotes back), the chain stalled with SIGSTOP on seid (the
// stall detected within its threshold and the market halted while blind; after SIGCONT resynced,
// the old quotes replaced), the sequence bumped behind the daemon's back with the seid CLI
// (re-signed, nothing placed twice), transactions refused while the fee account is empty
// (rejected, counted, no crash, recovered), and the daemon killed with SIGKILL and restarted (its
// orders on the chain reconciled: none lost, none duplicated). After the orderly shutdown the
// chain shows zero open orders of ours.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SeiChain } from '../src/venues/sei/chain.js';
import { startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';
import { chainOrders, DaemonProcess, daemonConfig, PAIR, SYMBOL, Trader, until, type DaemonStatus } from './helpers/sei-daemon.js';
import { removeDir, scratchDir } from './helpers/servers.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const STALL_MS = 1_500;
const CLI_FEE = 4_000n;

let chain: SeiChainHandle;
let rpc: SeiChain;
let taker: Trader;
let wsProxy: TcpProxy;
let fallbackProxy: TcpProxy;
let dir: string;
let config: string;
let daemon: DaemonProcess;
const started: DaemonProcess[] = [];

const maker = () => chain.account('a');
const ours = () => chainOrders(rpc, chain.info.contract, maker().address);
const venueOf = async (d: DaemonProcess) => (await d.status()).venue as NonNullable<DaemonStatus['venue']>;
/**
 * A bank send with the seid CLI from an account the daemon may be signing for too: the CLI signs
 * with the committed sequence, so while a transaction of the daemon's waits in the mempool it is
 * refused (code 32) and simply sent again.
 */
async function send(from: 'a' | 'c', to: string, usei: bigint): Promise<void> {
  const args = ['tx', 'bank', 'send', from, to, `${usei}usei`, '--from', from, '--chain-id', chain.info.chainId,
    '--node', `tcp://127.0.0.1:${chain.info.rpcPort}`, '--fees', `${CLI_FEE}usei`, '-y', '--broadcast-mode', 'block'];
  for (let attempt = 0; ; attempt++) {
    const r = (await chain.seid(args)) as { code: number; raw_log?: string };
    if (r.code === 0) return;
    if (r.code !== 32 || attempt >= 10) throw new Error(`bank send failed (code ${r.code}): ${r.raw_log ?? ''}`);
  }
}

function startDaemon(): DaemonProcess {
  const d = DaemonProcess.start(['--config', config], { FLASHMM_MNEMONIC: maker().mnemonic });
  started.push(d);
  return d;
}

/** The others' book moves (a new best bid of the taker's): the daemon requotes in one transaction. */
async function moveBook(bid: string): Promise<void> {
  await taker.place([{ side: 'buy', price: bid, quantity: '10' }]);
}

beforeAll(async () => {
  chain = await startSeiChain();
  rpc = await SeiChain.connect(chain.info.rpc);
  taker = await Trader.connect(chain, 'b');
  await taker.place([{ side: 'buy', price: '1', quantity: '10' }, { side: 'sell', price: '1.01', quantity: '10' }]);
  wsProxy = await startTcpProxy(chain.info.rpcPort);
  fallbackProxy = await startTcpProxy(chain.info.rpcPort);
  dir = scratchDir('sei-faults');
  // Endpoint 1: RPC direct, its websocket through a proxy; endpoint 2: all through another proxy.
  const venue = `venue:
  kind: sei
  rpcUrl: ${chain.info.rpc}
  wsUrl: ws://127.0.0.1:${wsProxy.port}/websocket
  fallbackRpcUrls: [http://127.0.0.1:${fallbackProxy.port}]
  chainId: ${chain.info.chainId}
  contractAddr: ${chain.info.contract}
  pairs: { "${SYMBOL}": { priceDenom: ${PAIR.priceDenom}, assetDenom: ${PAIR.assetDenom} } }
  stallMs: ${STALL_MS}
  connection: { openTimeoutMs: 1000, pingIntervalMs: 500, pongTimeoutMs: 2000, backoffMinMs: 50, backoffMaxMs: 300, breakerFailures: 2, breakerResetMs: 1000 }
`;
  config = daemonConfig(dir, { venue, disconnectMs: 20_000 });
  daemon = startDaemon();
  await until(ours, (o) => o.length === 2, 'quoted on chain');
}, 240_000);

afterAll(async () => {
  for (const d of started) d.kill('SIGKILL');
  chain?.resume();
  taker?.disconnect();
  rpc?.disconnect();
  await wsProxy?.close();
  await fallbackProxy?.close();
  await chain?.stop();
  if (dir !== undefined) removeDir(dir);
});

describe('the daemon on Sei under faults', () => {
  test('websocket dropped, fail-over endpoint refusing: quotes pulled while blind; then the next endpoint, caught up, quotes back', async () => {
    const before = await venueOf(daemon);
    expect(before.endpoint).toBe(chain.info.rpc);
    wsProxy.refuse(true);
    fallbackProxy.refuse(true);
    wsProxy.cut();
    const down = await daemon.after((l) => l.msg === 'venue connection' && l.state === 'disconnected', 'disconnected');
    expect(down.reason).toMatch(/websocket (closed|error)/);
    // Blind: the books are invalid, so the quotes come off the chain (cancels go out over RPC).
    await until(ours, (o) => o.length === 0, 'quotes pulled while disconnected');
    const awayFrom = await rpc.latestHeight();
    await until(() => rpc.latestHeight(), (h) => h >= awayFrom + 3, 'blocks while away');
    // The fail-over endpoint comes back first: the daemon moves there, catches up, requotes.
    fallbackProxy.refuse(false);
    await daemon.after((l) => l.msg === 'venue connection' && l.state === 'connected', 'reconnected');
    await until(ours, (o) => o.length === 2, 'quoted again');
    const after = await venueOf(daemon);
    expect(after.endpoint).toBe(`http://127.0.0.1:${fallbackProxy.port}`);
    expect(after.counters.reconnects).toBe(before.counters.reconnects + 1);
    expect(after.counters.caughtUp).toBeGreaterThanOrEqual(3);
    expect(after.counters.processingErrors).toBe(0);
    expect(after.height).toBeGreaterThan(awayFrom + 3);
    wsProxy.refuse(false);
  }, 60_000);

  test('chain stalled: detected within the stall threshold, halted while blind; after SIGCONT resynced and quoting again, nothing placed twice', async () => {
    await until(ours, (o) => o.length === 2, 'quoted');
    const lastBlockAt = Date.now();
    chain.pause();
    let down;
    try {
      down = await daemon.after((l) => l.msg === 'venue connection' && l.state === 'disconnected', 'stall detected', 10_000);
      expect(down.reason).toBe(`stalled: no block for ${STALL_MS} ms`);
      expect(Date.now() - lastBlockAt).toBeLessThan(STALL_MS + 1_500);
      // Blind: no book, the market halted, no quote wanted. The only node is frozen, so nothing
      // can reach the chain; the standing orders stay the daemon's live orders until it answers.
      const status = await until(() => daemon.status(), (s) => s.markets[0]?.risk === 'halted', 'halted while stalled');
      expect(status.markets[0]).toMatchObject({ bid: null, ask: null });
      expect(status.markets[0]?.openOrders.map((o) => o.clientId).sort()).toHaveLength(2);
    } finally {
      chain.resume();
    }
    await daemon.after((l) => l.msg === 'venue connection' && l.state === 'connected', 'resumed', 30_000);
    // The others' book is where it was, so the same two quotes are wanted: whether the cancels
    // reached the node before it froze (then they are replaced) or not (then they stand), the
    // chain ends with exactly one order a side, each known to the daemon.
    await until(() => daemon.status(), (s) => s.markets[0]?.risk === 'active' && s.markets[0]?.bid !== null, 'quoting again');
    const after = await until(ours, (o) => o.length === 2 && o.every((x) => x.quantity === '5'), 'one quote a side');
    expect(after.map((o) => o.price).sort()).toEqual(['1.0047', '1.0053']);
    // The daemon learns of replaced orders' cancels a block after the chain shows their successors.
    const known = await until(() => daemon.status(), (s) => s.markets[0]?.openOrders.length === 2, 'the daemon knows the same two');
    expect(known.markets[0]?.openOrders.map((o) => o.price).sort()).toEqual([10_047, 10_053]);
    expect(await ours()).toHaveLength(2);
  }, 60_000);

  test('a sequence bumped behind its back: re-signed from the chain\'s number, nothing placed twice', async () => {
    const before = await venueOf(daemon);
    await send('a', chain.account('c').address, 1n);
    await moveBook('1.002'); // others' bid 1.0020: mid 10 060, quotes 10 057 / 10 063
    const quotes = await until(ours, (o) => o.length === 2 && o.some((x) => x.price === '1.0057'), 'requoted');
    expect(quotes.map(({ side, price, quantity }) => ({ side, price, quantity })).sort((x, y) => x.side.localeCompare(y.side))).toEqual([
      { side: 'buy', price: '1.0057', quantity: '5' }, { side: 'sell', price: '1.0063', quantity: '5' },
    ]);
    const after = await venueOf(daemon);
    expect(after.counters.sequenceResyncs).toBe(before.counters.sequenceResyncs + 1);
    expect(after.counters.txRejectedAtCheck).toBe(before.counters.txRejectedAtCheck);
    const status = await daemon.status();
    expect(status.markets[0]?.openOrders.map((o) => o.price).sort()).toEqual([10_057, 10_063]);
  }, 60_000);

  test('transactions refused while the fee account is empty: rejected, counted, no crash; recovered once funded', async () => {
    const before = await venueOf(daemon);
    const standing = await ours();
    const usei = await taker.usei(maker().address);
    const keep = 5_000n; // below the fee of one quote update (~23 000 usei)
    await send('a', chain.account('c').address, usei - CLI_FEE - keep);
    await moveBook('1.003'); // others' bid 1.0030: mid 10 065, the daemon wants 10 062 / 10 068 now
    const refused = await until(() => venueOf(daemon), (v) => v.counters.txRejectedAtCheck > before.counters.txRejectedAtCheck, 'a refused transaction');
    expect(refused.counters.processingErrors).toBe(0);
    // Nothing changed on the chain, and the daemon knows it: the standing quotes are still its live orders.
    expect((await ours()).map((o) => o.id)).toEqual(standing.map((o) => o.id));
    const status = await daemon.status();
    expect(status.markets[0]?.openOrders.map((o) => o.price).sort()).toEqual([10_057, 10_063]);
    const rejected = daemon.lines.filter((l) => l.msg.startsWith('sei: order transaction refused by the node'));
    expect(rejected).toHaveLength(1); // logged once; repeats are counted
    expect(rejected[0]).toMatchObject({ code: 5 });
    // Funded again: the next quote update goes through (re-signed if the sequence moved meanwhile).
    await send('c', maker().address, 1_000_000_000n);
    await until(ours, (o) => o.length === 2 && o.some((x) => x.price === '1.0062') && o.some((x) => x.price === '1.0068'), 'requoted once funded');
    expect(daemon.child.exitCode).toBeNull();
  }, 60_000);

  test('SIGKILLed and restarted: its orders on the chain are reconciled, none lost, none duplicated; SIGTERM leaves none', async () => {
    const left = await until(ours, (o) => o.length === 2, 'quoted');
    daemon.kill('SIGKILL');
    await daemon.exited;
    expect((await ours()).map((o) => o.id)).toEqual(left.map((o) => o.id)); // still on the chain, nobody watching
    daemon = startDaemon();
    const reconciled = await daemon.next((l) => l.msg === 'reconciled with the venue', 'reconciled');
    expect(reconciled.adopted).toHaveLength(2);
    // The orphans are cancelled and replaced by the new process's quotes: two orders, each known to it.
    const now = await until(ours, (o) => o.length === 2 && o.every((x) => !left.some((l) => l.id === x.id)), 'requoted by the new process');
    const status = await daemon.status();
    expect(status.markets[0]?.openOrders.map((o) => o.price).sort()).toEqual(now.map((o) => Math.round(Number(o.price) * 10_000)).sort());
    expect(status.markets[0]?.openOrders.every((o) => !o.clientId.startsWith('sei-'))).toBe(true);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(await ours()).toEqual([]);
  }, 60_000);
});
