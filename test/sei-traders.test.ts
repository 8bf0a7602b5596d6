// `flashmm sei traders` on a real Sei chain (shared/sei/localnet.sh): the plan is a function of
// the seed alone (same seed, same orders; another seed, others), two runs of the command with the
// same seed send the same orders from each account, every transaction lands (no failure by code),
// and a stop leaves none of the traders' orders on the chain.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SeiChain } from '../src/venues/sei/chain.js';
import { TraderPlan, type PlannedAction, type PlannedPlace } from '../src/venues/sei/traders/plan.js';
import { repoRoot } from './helpers/cargo.js';
import { startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';
import { chainOrders } from './helpers/sei-daemon.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const CLI = fileURLToPath(new URL('dist/cli.js', repoRoot));
const SPEC = { symbol: 'SEI/USDC', tickSize: '0.0001', lotSize: '1' };

function planned(seed: number, blocks: number): PlannedAction[][] {
  const plan = new TraderPlan({ spec: SPEC, initialPrice: '1', seed, rate: 0.25, accounts: 2, blockMs: 210, ttlBlocks: 150 });
  return Array.from({ length: blocks }, () => plan.next());
}

describe('the traders\' plan', () => {
  test('is the same for the same seed, different for another, and consistent in itself', () => {
    const a = planned(7, 300);
    expect(planned(7, 300)).toEqual(a);
    expect(planned(8, 300)).not.toEqual(a);
    const flat = a.flat();
    const kinds = new Set(flat.map((x) => x.kind));
    expect([...kinds].sort()).toEqual(['cancel', 'limit', 'marketable']);
    // Refs are numbered in order; every cancel names an order planned earlier, from its account, once.
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

async function runTraders(record: string): Promise<Record<string, unknown>> {
  const env = { ...process.env, FLASHMM_TRADER_MNEMONICS: `${chain.account('b').mnemonic};${chain.account('c').mnemonic}` };
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI, 'sei', 'traders', '--rpc', chain.info.rpc, '--chain-id', chain.info.chainId, '--contract', chain.info.contract,
    '--seed', '7', '--blocks', '40', '--record', record, '--log-format', 'json',
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

describe('flashmm sei traders', () => {
  test('two runs with the same seed send the same orders; every transaction lands; none of theirs is left', async () => {
    const first = await runTraders(join(dir, 'run1.jsonl'));
    const second = await runTraders(join(dir, 'run2.jsonl'));
    for (const run of [first, second]) {
      expect(run).toMatchObject({ reason: 'blocks', failed: {}, cancelsDropped: 0 });
      expect(run.txOk).toBe(run.txSent);
      expect(run.placesSent as number).toBeGreaterThan(20);
    }
    const one = byAccount(join(dir, 'run1.jsonl'));
    expect(byAccount(join(dir, 'run2.jsonl'))).toEqual(one);
    // The plan of the seed is what went out.
    const plan = planned(7, 45).flat().filter((x): x is PlannedPlace => x.kind !== 'cancel');
    const sent = (one as { places: { ref: number }[] }[]).flatMap((a) => a.places).sort((x, y) => x.ref - y.ref);
    expect(sent).toEqual(plan.slice(0, sent.length).map(({ kind, ref, side, price, size }) => ({ kind, ref, side, price, size })));
    for (const name of ['b', 'c'] as const) expect(await chainOrders(rpc, chain.info.contract, chain.account(name).address)).toEqual([]);
  }, 120_000);
});
