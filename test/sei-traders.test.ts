// `flashmm sei traders` on a real Sei chain (shared/sei/localnet.sh): the plan is a function of
// the seed alone (same seed, same orders; another seed, others), two runs of the command with the
// same seed send the same orders from each account, every transaction lands (no failure by code),
// and a stop leaves none of the traders' orders on the chain. The same with a recording's flow
// (--recording), whose book lands on the pair's mid as the chain has it at the start.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seiVenueSchema } from '../src/config/schema.js';
import { SeiChain } from '../src/venues/sei/chain.js';
import { SeiVenue } from '../src/venues/sei/sei-venue.js';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import { TraderPlan, type PlannedAction, type PlannedPlace } from '../src/venues/sei/traders/plan.js';
import { repoRoot } from './helpers/cargo.js';
import { RecordingListener, startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';
import { chainOrders } from './helpers/sei-daemon.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const CLI = fileURLToPath(new URL('dist/cli.js', repoRoot));
const SPEC = { symbol: 'SEI/USDC', tickSize: '0.0001', lotSize: '1' };

const RECORDING = join(process.env['FLASHMM_DATA_DIR'] ?? '/work/shared/data', 'binance', 'usdm_btcusdt_20240808.gz');
const FLOW = { path: RECORDING, sizeScale: 10, depth: 10 };

function planned(seed: number, blocks: number, flow?: { price: string; rate: number }): PlannedAction[][] {
  const plan = new TraderPlan({
    spec: SPEC, initialPrice: flow?.price ?? '1', seed, rate: flow?.rate ?? 0.25, accounts: 2, blockMs: 210, ttlBlocks: 150,
    ...(flow === undefined ? {} : { recording: FLOW }),
  });
  return Array.from({ length: blocks }, () => plan.next());
}

/** Refs numbered in order; every cancel names an order planned earlier, from its account, once. */
function checkConsistent(flat: readonly PlannedAction[]): void {
  const placed = new Map<number, number>();
  const cancelled = new Set<number>();
  for (const x of flat) {
    if (x.kind === 'cancel') {
      expect(placed.get(x.ref)).toBe(x.account);
      expect(cancelled.has(x.ref)).toBe(false);
      cancelled.add(x.ref);
    } else {
      expect(x.ref).toBe(placed.size);
      expect(x.account).toBe(x.ref % 2);
      expect(x.size).toBeGreaterThan(0);
      placed.set(x.ref, x.account);
    }
  }
}

describe('the traders\' plan', () => {
  test('is the same for the same seed, different for another, and consistent in itself', () => {
    const a = planned(7, 300);
    expect(planned(7, 300)).toEqual(a);
    expect(planned(8, 300)).not.toEqual(a);
    const flat = a.flat();
    const kinds = new Set(flat.map((x) => x.kind));
    expect([...kinds].sort()).toEqual(['cancel', 'limit', 'marketable']);
    checkConsistent(flat);
    // A limit order never crosses the generator's book: bids below asks at every block's placement.
    expect(flat.filter((x) => x.kind === 'limit').every((x) => x.kind === 'limit' && x.price > 9_000 && x.price < 11_000)).toBe(true);
  });
});

let chain: SeiChainHandle;
let rpc: SeiChain;
let dir: string;

beforeAll(async () => {
  chain = await startSeiChain();
  rpc = await SeiChain.connect(chain.info.rpc);
  dir = scratchDir('sei-traders');
}, 240_000);

afterAll(async () => {
  rpc?.disconnect();
  await chain?.stop();
  if (dir !== undefined) removeDir(dir);
});

async function runTraders(record: string, extra: string[] = []): Promise<Record<string, unknown>> {
  const env = { ...process.env, FLASHMM_TRADER_MNEMONICS: `${chain.account('b').mnemonic};${chain.account('c').mnemonic}` };
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI, 'sei', 'traders', '--rpc', chain.info.rpc, '--chain-id', chain.info.chainId, '--contract', chain.info.contract,
    '--seed', '7', '--blocks', '40', '--record', record, '--log-format', 'json', ...extra,
  ], { env, cwd: fileURLToPath(repoRoot) });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

/** Each account's places, in the order sent, and its cancels (their batching may differ by a block). */
function byAccount(path: string): unknown {
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PlannedAction);
  return [0, 1].map((account) => ({
    places: lines.filter((l): l is PlannedPlace => l.account === account && l.kind !== 'cancel').map(({ kind, ref, side, price, size }) => ({ kind, ref, side, price, size })),
    cancels: lines.filter((l) => l.account === account && l.kind === 'cancel').map((l) => l.ref).sort((x, y) => x - y),
  }));
}

describe('the traders\' plan on a recording', () => {
  test('is the same for the same seed, different for another; the recording\'s first book lands on the given mid', () => {
    const a = planned(7, 200, { price: '2', rate: 1 });
    expect(planned(7, 200, { price: '2', rate: 1 })).toEqual(a);
    expect(planned(8, 200, { price: '2', rate: 1 })).not.toEqual(a); // the sizes' random rounding
    const flat = a.flat();
    expect([...new Set(flat.map((x) => x.kind))].sort()).toEqual(['cancel', 'limit', 'marketable']);
    checkConsistent(flat);
    // The first block with orders: the recording's top 10 levels a side as limit orders (and its
    // trades of that block as marketable ones), their mid (rounded down) on 2.0000 (20 000
    // ticks), bids below asks.
    const first = a.find((b) => b.length > 0) ?? [];
    const limits = first.filter((x): x is PlannedPlace => x.kind === 'limit');
    expect(first.every((x) => x.kind !== 'cancel')).toBe(true);
    const bids = limits.filter((x) => x.side === 'buy').map((x) => x.price);
    const asks = limits.filter((x) => x.side === 'sell').map((x) => x.price);
    expect(bids.length).toBeGreaterThan(5);
    expect(bids.length).toBeLessThanOrEqual(10);
    expect(asks.length).toBeLessThanOrEqual(10);
    expect(Math.floor((Math.max(...bids) + Math.min(...asks)) / 2)).toBe(20_000);
    expect(Math.max(...bids)).toBeLessThan(Math.min(...asks));
    // Tick for tick: 200 blocks of 210 ms of a minute of BTC stay within a few hundred ticks.
    expect(flat.every((x) => x.kind === 'cancel' || Math.abs(x.price - 20_000) < 500)).toBe(true);
  });
});

/**
 * Each account's places, in the order sent, are its planned places from the first on (the stop
 * may cut the last block or two: orders still queued behind a transaction in flight are never
 * sent), and each cancel names one of its planned orders: so two runs agree on all they share.
 */
function expectPlanPrefix(path: string, planned: readonly PlannedAction[]): number {
  const sent = byAccount(path) as { places: unknown[]; cancels: number[] }[];
  let total = 0;
  for (const [account, { places, cancels }] of sent.entries()) {
    const mine = planned.filter((x): x is PlannedPlace => x.kind !== 'cancel' && x.account === account);
    expect(places).toEqual(mine.slice(0, places.length).map(({ kind, ref, side, price, size }) => ({ kind, ref, side, price, size })));
    const refs = new Set(mine.map((x) => x.ref));
    expect(cancels.every((ref) => refs.has(ref))).toBe(true);
    expect(places.length).toBeGreaterThan(10);
    total += places.length;
  }
  return total;
}

describe('flashmm sei traders', () => {
  test('two runs with the same seed send the same orders; every transaction lands; none of theirs is left', async () => {
    const first = await runTraders(join(dir, 'run1.jsonl'));
    const second = await runTraders(join(dir, 'run2.jsonl'));
    for (const run of [first, second]) {
      expect(run).toMatchObject({ reason: 'blocks', failed: {}, cancelsDropped: 0 });
      expect(run.txOk).toBe(run.txSent);
      expect(run.placesSent as number).toBeGreaterThan(20);
    }
    // Both runs send the plan of the seed.
    const plan = planned(7, 45).flat();
    for (const run of ['run1', 'run2']) expectPlanPrefix(join(dir, `${run}.jsonl`), plan);
    for (const name of ['b', 'c'] as const) expect(await chainOrders(rpc, chain.info.contract, chain.account(name).address)).toEqual([]);
  }, 120_000);
});

describe('flashmm sei traders --recording', () => {
  test('the recording\'s flow around the chain\'s mid: same seed and chain state, same orders; every transaction lands; none left', async () => {
    // Account a rests a bid at 1.9 and an ask at 2.1: the pair's mid is 2.0 for both runs (the
    // flow trades ~hundreds of ticks away from either).
    const signer = CoreDirectSigner.fromMnemonic(Buffer.from(chain.account('a').mnemonic));
    const config = seiVenueSchema.parse({ kind: 'sei', rpcUrl: chain.info.rpc, chainId: chain.info.chainId, contractAddr: chain.info.contract, pairs: { 'SEI/USDC': { priceDenom: 'uusdc', assetDenom: 'usei' } } });
    const venue = await SeiVenue.open({ config, markets: [{ symbol: 'SEI/USDC', priceDenom: 'uusdc', assetDenom: 'usei' }], signer });
    const listener = new RecordingListener();
    await venue.connect(listener);
    await venue.submit({ cancels: [], places: [
      { clientId: 'a-bid', symbol: 'SEI/USDC', side: 'buy', price: 19_000, size: 5, postOnly: false },
      { clientId: 'a-ask', symbol: 'SEI/USDC', side: 'sell', price: 21_000, size: 5, postOnly: false },
    ] });
    await listener.until(() => listener.events.filter((e) => e.type === 'accepted').length === 2, 'a\'s orders accepted');
    const a = await chainOrders(rpc, chain.info.contract, chain.account('a').address);
    const flow = ['--recording', RECORDING, '--rate', '1'];
    try {
      const first = await runTraders(join(dir, 'rec1.jsonl'), flow);
      const second = await runTraders(join(dir, 'rec2.jsonl'), flow);
      for (const run of [first, second]) {
        expect(run).toMatchObject({ reason: 'blocks', failed: {}, cancelsDropped: 0 });
        expect(run.txOk).toBe(run.txSent);
        expect(run.placesSent as number).toBeGreaterThan(20);
      }
      // Both runs send the plan of the seed around 2.0000, the chain's mid, marketable orders among them.
      const plan = planned(7, 45, { price: '2.0000', rate: 1 }).flat();
      for (const run of ['rec1', 'rec2']) expectPlanPrefix(join(dir, `${run}.jsonl`), plan);
      const sent = readFileSync(join(dir, 'rec1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PlannedAction);
      expect(sent.some((x) => x.kind === 'marketable')).toBe(true);
      for (const name of ['b', 'c'] as const) expect(await chainOrders(rpc, chain.info.contract, chain.account(name).address)).toEqual([]);
      // a's orders untouched by either run: the second started from the same chain state.
      expect(await chainOrders(rpc, chain.info.contract, chain.account('a').address)).toEqual(a);
    } finally {
      await venue.cancelAll();
      await venue.close();
    }
  }, 180_000);
});
