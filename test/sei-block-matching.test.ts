// The core's replica of Sei's end-of-block matching (SeiBlockBook, the rule behind the sim venue's
// `sei-block` mode) against the REAL chain (shared/sei/localnet.sh, seid v5.5.5): one scripted
// sequence of orders from two funded accounts is sent to the chain as signed transactions (the
// venue's own SeiTxBuilder), block by block; the same orders, grouped by the blocks they landed
// in and in their order there, go to the core; every block's settlements (order, account, side,
// quantity, type and the exact 18-decimal price) must equal the chain's GetMatchResult.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seiVenueSchema } from '../src/config/schema.js';
import { MarketSpec, SeiBlockBook, type SeiSettlement } from '../src/native.js';
import { SeiChain } from '../src/venues/sei/chain.js';
import { feeRuleOf } from '../src/venues/sei/fees.js';
import type { SettlementEntry } from '../src/venues/sei/proto.js';
import { placedIds } from '../src/venues/sei/sei-venue.js';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import { SeiTxBuilder, txHash, type CancelSpec, type PlaceSpec } from '../src/venues/sei/tx-builder.js';
import { startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';

const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' };
const spec = new MarketSpec({ symbol: 'SEI/USDC', tickSize: '0.0001', lotSize: '1' });

interface Trader {
  readonly name: 'a' | 'b';
  /** The core's number for the account. */
  readonly account: number;
  readonly builder: SeiTxBuilder;
  readonly accountNumber: bigint;
  sequence: number;
}

/** One transaction of the script: what it carried, where it landed, the ids the chain gave. */
interface Sent {
  readonly trader: Trader;
  readonly places: readonly PlaceSpec[];
  readonly cancels: readonly CancelSpec[];
  readonly hash: string;
  height: number;
  ids: bigint[];
}

let chain: SeiChainHandle;
let rpc: SeiChain;
const traders = new Map<'a' | 'b', Trader>();
const sent: Sent[] = [];

const limit = (side: 'buy' | 'sell', price: string, quantity: string): PlaceSpec => ({ pair: PAIR, side, price, quantity });
const market = (side: 'buy' | 'sell', worst: string, quantity: string): PlaceSpec => ({ pair: PAIR, side, price: worst, quantity, orderType: 'market' });

async function trader(name: 'a' | 'b', account: number): Promise<Trader> {
  const info = chain.info;
  const config = seiVenueSchema.parse({
    kind: 'sei', rpcUrl: info.rpc, chainId: info.chainId, contractAddr: info.contract, pairs: { P: PAIR },
  });
  const signer = CoreDirectSigner.fromMnemonic(Buffer.from(chain.account(name).mnemonic));
  const builder = await SeiTxBuilder.create({ chainId: info.chainId, contract: info.contract, signer, fee: feeRuleOf(config, await rpc.params()) });
  const { accountNumber, sequence } = await rpc.account(builder.address);
  return { name, account, builder, accountNumber, sequence };
}

/** Broadcasts one transaction per entry, back to back (so they share a block as a rule), and waits for all. */
async function block(...txs: { by: 'a' | 'b'; places?: PlaceSpec[]; cancels?: CancelSpec[] }[]): Promise<Sent[]> {
  const timeoutHeight = (await rpc.latestHeight()) + 100;
  const signed = await Promise.all(txs.map(async (t) => {
    const tr = traders.get(t.by);
    if (tr === undefined) throw new Error(`no trader ${t.by}`);
    const s = await tr.builder.sign(t.cancels ?? [], t.places ?? [], { accountNumber: tr.accountNumber, sequence: tr.sequence, timeoutHeight });
    tr.sequence += 1;
    return { tr, t, s };
  }));
  const out: Sent[] = [];
  for (const { tr, t, s } of signed) {
    const r = await rpc.broadcastSync(s.bytes);
    expect(r.code, r.log).toBe(0);
    out.push({ trader: tr, places: t.places ?? [], cancels: t.cancels ?? [], hash: s.hash, height: 0, ids: [] });
  }
  for (const x of out) {
    for (;;) {
      const o = await rpc.tx(x.hash);
      if (o !== null) {
        expect(o.code, o.log).toBe(0);
        x.height = o.height;
        x.ids = placedIds(o);
        break;
      }
      await new Promise((r) => setTimeout(r, 40));
    }
  }
  sent.push(...out);
  return out;
}

/** The cancel of the `i`-th order of a sent transaction. */
function cancelOf(tx: Sent | undefined, i: number): CancelSpec {
  const p = tx?.places[i];
  const id = tx?.ids[i];
  if (p === undefined || id === undefined) throw new Error(`no order ${i}`);
  return { pair: PAIR, orderId: id, side: p.side, price: p.price };
}

/** A chain Dec ("1.10065" or with 18 decimals) as the integer × 10^18. */
function atto(dec: string): bigint {
  const [int = '0', frac = ''] = dec.split('.');
  return BigInt(int + frac.padEnd(18, '0').slice(0, 18));
}

interface Row { orderId: number; account: number; side: string; lots: number; orderType: string; priceAtto: bigint }

function chainRow(s: SettlementEntry): Row {
  const t = [...traders.values()].find((x) => x.builder.address === s.account);
  return {
    orderId: Number(s.orderId), account: t?.account ?? -1, side: s.positionDirection === 'Long' ? 'buy' : 'sell',
    lots: spec.sizeToLots(s.quantity), orderType: s.orderType, priceAtto: atto(s.executionCostOrProceed),
  };
}

const key = (r: Row): string => `${r.account}/${r.orderId}/${r.side}/${r.orderType}/${r.priceAtto}/${r.lots}`;
const sorted = (rows: Row[]): Row[] => [...rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));

const coreRow = (s: SeiSettlement): Row => ({ orderId: s.orderId, account: s.account, side: s.side, lots: s.lots, orderType: s.orderType, priceAtto: s.priceAtto });

beforeAll(async () => {
  chain = await startSeiChain();
  rpc = await SeiChain.connect(chain.info.rpc);
  traders.set('a', await trader('a', 1));
  traders.set('b', await trader('b', 2));
}, 240_000);

afterAll(async () => {
  rpc?.disconnect();
  await chain?.stop();
});

describe('Sei block matching: the core against the chain', () => {
  test('a scripted sequence of two accounts settles identically, block by block', async () => {
    // A rests three asks (two at one price, FIFO) and a bid.
    const [restA] = await block({ by: 'a', places: [limit('sell', '1.1005', '3'), limit('sell', '1.1005', '2'), limit('sell', '1.1010', '4'), limit('buy', '1.0990', '5')] });
    // B: a crossing limit bid and a marketable order in one transaction. The market order goes
    // first (2 of the first ask at its price), then the bid crosses what is left at the midpoint
    // 1.10065 (half a tick), partly filling the second ask; 1 lot of the bid rests.
    await block({ by: 'b', places: [limit('buy', '1.1008', '4'), market('buy', '1.1010', '2')] });
    // A cancels its bid and offers through B's resting bid: 1 lot at 1.10075, 1 rests.
    await block({ by: 'a', cancels: [cancelOf(restA, 3)], places: [limit('sell', '1.1007', '2')] });
    // Same block: A bids, B sells at market: the new bid fills it (limits join before markets
    // match); what the book cannot fill is cancelled.
    await block({ by: 'a', places: [limit('buy', '1.0995', '2')] }, { by: 'b', places: [market('sell', '1.0990', '3')] });
    // Both buy at market in one block: every taker settles at the block's clearing price,
    // (1.1007 + 3 × 1.1010) / 4 = 1.100925, between ticks.
    await block({ by: 'a', places: [market('buy', '1.1010', '2')] }, { by: 'b', places: [market('buy', '1.1010', '2')] });

    // The same orders to the core, grouped by the blocks they landed in, in block order.
    const heights = [...new Set(sent.map((s) => s.height))].sort((x, y) => x - y);
    const book = new SeiBlockBook(spec);
    let midpoints = 0;
    let clearing = 0;
    let total = 0;
    for (const h of heights) {
      const order = (await rpc.block(h)).txs.map((t) => txHash(t));
      const inBlock = sent.filter((s) => s.height === h).sort((x, y) => order.indexOf(x.hash) - order.indexOf(y.hash));
      for (const s of inBlock) {
        for (const c of s.cancels) book.cancel(Number(c.orderId));
        s.places.forEach((p, i) => book.place({
          id: Number(s.ids[i]), account: s.trader.account, side: p.side, lots: spec.sizeToLots(p.quantity),
          orderType: p.orderType ?? 'limit', price: spec.priceToTicks(p.price),
        }));
      }
      const core = book.endBlock().settlements.map(coreRow);
      const result = await rpc.matchResult(chain.info.contract, h);
      const onChain = (result?.settlements ?? []).map(chainRow);
      // The same settlements; GetMatchResult lists them in an order of its own (not the matching's).
      expect(sorted(core), `block ${h}`).toEqual(sorted(onChain));
      total += core.length;
      midpoints += core.filter((r) => r.priceAtto % 100_000_000_000_000n !== 0n && r.orderType === 'Limit').length;
      clearing += core.filter((r) => r.priceAtto === 1_100_925_000_000_000_000n).length;
    }
    // The script did reach what it is for (it cannot pass on empty results).
    expect(midpoints).toBeGreaterThanOrEqual(4);
    console.info(`sei-block-matching: ${total} settlements in ${heights.length} blocks (${heights.join(', ')}) equal the chain's; ${midpoints} at half-tick midpoints, ${clearing} at the clearing price 1.100925`);
    // The two market buys shared a block unless the chain cut between them (then each clears at its own average).
    const sameBlock = sent.at(-1)?.height === sent.at(-2)?.height;
    if (sameBlock) expect(clearing).toBe(3);
  }, 120_000);
});
