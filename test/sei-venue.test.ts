// The Sei venue against a real Sei chain (shared/sei/localnet.sh, seid v5.5.5): one transaction
// per batch, books per block, fills at the chain's settlement prices (midpoints included) when a
// second account crosses ours, a sequence bumped behind the venue's back, a transaction that
// fails in its block, and the fee rule at its exact boundary.
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { SigningStargateClient } from '@cosmjs/stargate';
import { connectComet } from '@cosmjs/tendermint-rpc';
import { TxRaw, TxBody } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seiVenueSchema, type SeiVenueConfig } from '../src/config/schema.js';
import { MarketSpec } from '../src/native.js';
import { SeiChain } from '../src/venues/sei/chain.js';
import { requiredFee } from '../src/venues/sei/fees.js';
import { CANCEL_ORDERS_URL, dex, PLACE_ORDERS_URL, seiRegistry } from '../src/venues/sei/proto.js';
import { SeiVenue } from '../src/venues/sei/sei-venue.js';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import { SeiTxBuilder } from '../src/venues/sei/tx-builder.js';
import type { OrderEvent } from '../src/venues/venue.js';
import { RecordingListener, startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';

const SYMBOL = 'SEI/USDC';
const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' };
const spec = new MarketSpec({ symbol: SYMBOL, tickSize: '0.0001', lotSize: '1' });

let chain: SeiChainHandle;
let rpc: SeiChain;
let venue: SeiVenue;
let listener: RecordingListener;
let taker: { client: SigningStargateClient; address: string };

function config(overrides: Record<string, unknown> = {}): SeiVenueConfig {
  return seiVenueSchema.parse({
    kind: 'sei', rpcUrl: chain.info.rpc, wsUrl: chain.info.websocket, chainId: chain.info.chainId,
    contractAddr: chain.info.contract, pairs: { [SYMBOL]: PAIR }, ...overrides,
  });
}

async function openVenue(account: 'a' | 'c', overrides: Record<string, unknown> = {}): Promise<{ venue: SeiVenue; listener: RecordingListener }> {
  const signer = CoreDirectSigner.fromMnemonic(Buffer.from(chain.account(account).mnemonic));
  const v = await SeiVenue.open({ config: config(overrides), markets: [{ symbol: SYMBOL, ...PAIR }], signer });
  const l = new RecordingListener();
  await v.connect(l);
  await l.until(() => l.connection.at(-1)?.state === 'connected', 'connected');
  return { venue: v, listener: l };
}

/** Scripted taker (account b), through cosmjs's own signer: orders that land in one block. */
async function takerOrder(side: 'buy' | 'sell', price: string, quantity: string): Promise<number> {
  const order = {
    account: taker.address, contractAddr: chain.info.contract, price, quantity, ...PAIR, orderType: 0,
    positionDirection: side === 'buy' ? 0 : 1, data: '{"leverage":"1","position_effect":"Open"}',
    statusDescription: '', nominal: '0', triggerPrice: '0', triggerStatus: false,
  };
  const msg = { typeUrl: PLACE_ORDERS_URL, value: { creator: taker.address, contractAddr: chain.info.contract, orders: [order], funds: [] } };
  const r = await taker.client.signAndBroadcast(taker.address, [msg], { amount: [{ denom: 'usei', amount: '20000' }], gas: '400000' });
  expect(r.code).toBe(0);
  return r.height;
}

const accepted = (l: RecordingListener, id: string) => l.of(id).some((e) => e.type === 'accepted');
const place = (clientId: string, side: 'buy' | 'sell', price: number, size: number) => ({ clientId, symbol: SYMBOL, side, price, size, postOnly: false });

async function ourOrders(address: string): Promise<{ side: string; price: string; quantity: string }[]> {
  const orders = await rpc.orders(chain.info.contract, address);
  return orders.map((o) => ({ side: (o.positionDirection ?? 0) === 0 ? 'buy' : 'sell', price: o.price, quantity: o.quantity })).sort((x, y) => (x.price < y.price ? -1 : 1));
}

beforeAll(async () => {
  chain = await startSeiChain();
  rpc = await SeiChain.connect(chain.info.rpc);
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(chain.account('b').mnemonic, { prefix: 'sei' });
  const comet = await connectComet(chain.info.rpc);
  taker = { client: await SigningStargateClient.createWithSigner(comet, wallet, { registry: seiRegistry(), broadcastPollIntervalMs: 50 }), address: chain.account('b').address };
  ({ venue, listener } = await openVenue('a'));
}, 240_000);

afterAll(async () => {
  await venue?.close();
  rpc?.disconnect();
  await chain?.stop();
});

describe('SeiVenue on a real chain', () => {
  test('refuses a chain id the node does not serve, with the reason', async () => {
    await expect(SeiVenue.open({ config: config({ chainId: 'pacific-1' }), markets: [{ symbol: SYMBOL, ...PAIR }] })).rejects.toThrow(
      /serves chain 'sei-local', not 'pacific-1'/,
    );
    await expect(SeiVenue.open({ config: config(), markets: [{ symbol: 'X', priceDenom: 'uatom', assetDenom: 'uusdc' }] })).rejects.toThrow(
      /pair uatom\/uusdc is not registered/,
    );
  });

  test('places and cancels of one batch travel in one transaction, one transaction per block', async () => {
    await venue.submit({ cancels: [], places: [place('b1', 'buy', 11_000, 3), place('b2', 'buy', 10_999, 4), place('a1', 'sell', 13_000, 3), place('a2', 'sell', 13_001, 4)] });
    await listener.until(() => ['b1', 'b2', 'a1', 'a2'].every((id) => accepted(listener, id)), 'four accepted');
    expect(await ourOrders(venue.address as string)).toEqual([
      { side: 'buy', price: '1.0999', quantity: '4' }, { side: 'buy', price: '1.1', quantity: '3' },
      { side: 'sell', price: '1.3', quantity: '3' }, { side: 'sell', price: '1.3001', quantity: '4' },
    ]);
    const sentBefore = venue.counters.txSent;
    // A replace of the touch on both sides: two cancels and two places, one transaction.
    await venue.submit({
      cancels: [{ clientId: 'b1', symbol: SYMBOL }, { clientId: 'a1', symbol: SYMBOL }],
      places: [place('b3', 'buy', 11_001, 3), place('a3', 'sell', 12_999, 3)],
    });
    // And a second batch right behind it: it must wait for the next block.
    await venue.submit({ cancels: [], places: [place('b4', 'buy', 10_998, 1)] });
    await listener.until(() => ['b3', 'a3', 'b4'].every((id) => accepted(listener, id)) && listener.of('a1').length > 1, 'replace done');
    expect(venue.counters.txSent - sentBefore).toBe(2);
    expect(listener.of('b1').at(-1)).toMatchObject({ type: 'cancelled', reason: 'requested' });
    expect(listener.of('a1').at(-1)).toMatchObject({ type: 'cancelled', reason: 'requested' });
    expect(await ourOrders(venue.address as string)).toEqual([
      { side: 'buy', price: '1.0998', quantity: '1' }, { side: 'buy', price: '1.0999', quantity: '4' }, { side: 'buy', price: '1.1001', quantity: '3' },
      { side: 'sell', price: '1.2999', quantity: '3' }, { side: 'sell', price: '1.3001', quantity: '4' },
    ]);
    // The replace transaction as the chain has it: cancels then places, in one body.
    const txs = await rpcTxsOf(venue.address as string);
    const replace = txs.find((t) => t.msgs.length === 2);
    expect(replace?.msgs.map((m) => m.typeUrl)).toEqual([CANCEL_ORDERS_URL, PLACE_ORDERS_URL]);
    const cancel = dex.MsgCancelOrders.decode(replace?.msgs[0]?.value as Uint8Array);
    expect(cancel.cancellations.map((c) => c.price).sort()).toEqual(['1.1', '1.3']);
    const placed = dex.MsgPlaceOrders.decode(replace?.msgs[1]?.value as Uint8Array);
    expect(placed.orders.map((o) => [o.positionDirection ?? 0, o.price, o.quantity])).toEqual([[0, '1.1001', '3'], [1, '1.2999', '3']]);
    const heights = txs.map((t) => t.height);
    expect(new Set(heights).size).toBe(heights.length); // never two of ours in one block
    console.log(`gas used: ${txs.map((t) => `${t.msgs.length} msgs ${t.gasUsed}`).join(', ')}`);
  });

  test('the book arrives every block as a snapshot equal to the chain at that height', async () => {
    await takerOrder('sell', '1.35', '7');
    const start = listener.batches.length;
    await listener.until(() => listener.batches.length >= start + 3, 'three snapshots');
    const { batch } = listener.batches.at(-1) as { batch: import('../src/native.js').EventBatch };
    const snapshots = [...batch.kinds].map((k, i) => [k, i] as const).filter(([k]) => k === 0);
    expect(snapshots.length).toBe(1);
    const i = snapshots[0]?.[1] as number;
    const height = batch.lastId[i] as number;
    expect(batch.firstId[i]).toBe(height);
    const book = await rpc.book(chain.info.contract, PAIR, height);
    const start0 = batch.levelStart[i] as number;
    const nb = batch.bidCount[i] as number;
    const na = batch.askCount[i] as number;
    const levels = (from: number, n: number) => [...batch.prices.subarray(from, from + n)].map((p, k) => [p, batch.sizes[from + k]]);
    const expected = (side: { prices: string[]; sizes: string[] }) => side.prices.map((p, k) => [spec.priceToTicks(p), spec.sizeToLots(side.sizes[k] as string)]);
    expect(levels(start0, nb)).toEqual(expected(book.bids));
    expect(levels(start0 + nb, na)).toEqual(expected(book.asks));
    expect(levels(start0 + nb, na)).toContainEqual([13_500, 7]);
  });

  test('a taker crossing our orders fills them at the midpoint settlement price', async () => {
    const before = listener.events.length;
    // Our best bid: 1.1001 × 3 (b3). Sell 2 at 1.0999 → both settle at the midpoint 1.1000.
    const h1 = await takerOrder('sell', '1.0999', '2');
    await listener.until(() => listener.of('b3').some((e) => e.type === 'fill'), 'fill of b3');
    // Then 1 at 1.1000 against b3's last lot (1.1001): midpoint 1.10005, half a tick.
    const h2 = await takerOrder('sell', '1.1', '1');
    await listener.until(() => listener.of('b3').filter((e) => e.type === 'fill').length === 2, 'second fill of b3');
    const fills = listener.events.slice(before).filter((e): e is Extract<OrderEvent, { type: 'fill' }> => e.type === 'fill' && e.fill.clientId === 'b3');
    expect(fills.map((f) => [f.fill.side, f.fill.price, f.fill.size, f.fill.leaves, f.fill.liquidity])).toEqual([
      ['buy', 11_000, 2, 1, 'maker'],
      ['buy', 11_000.5, 1, 0, 'maker'],
    ]);
    // Exactly the chain's settlements of our account at those heights.
    for (const [h, price] of [[h1, '1.1'], [h2, '1.10005']] as const) {
      const mr = await rpc.matchResult(chain.info.contract, h);
      const ours = mr?.settlements.filter((s) => s.account === venue.address) ?? [];
      expect(ours.map((s) => s.executionCostOrProceed)).toEqual(ours.map(() => price));
    }
    expect((await ourOrders(venue.address as string)).some((o) => o.price === '1.1001')).toBe(false);
    // A cancel of the filled order is answered, not sent.
    await venue.submit({ cancels: [{ clientId: 'b3', symbol: SYMBOL }], places: [] });
    expect(listener.of('b3').at(-1)).toMatchObject({ type: 'cancel-rejected', reason: 'unknown order' });
  });

  test('a sequence bumped behind our back is resynced without placing twice', async () => {
    const a = chain.account('a');
    const out = (await chain.seid([
      'tx', 'bank', 'send', 'a', chain.account('c').address, '1usei', '--from', 'a', '--chain-id', chain.info.chainId,
      '--node', `tcp://127.0.0.1:${chain.info.rpcPort}`, '--fees', '4000usei', '-y', '--broadcast-mode', 'block',
    ])) as { code: number };
    expect(out.code).toBe(0);
    const resyncs = venue.counters.sequenceResyncs;
    await venue.submit({ cancels: [], places: [place('s1', 'sell', 14_000, 2)] });
    await listener.until(() => accepted(listener, 's1'), 's1 accepted');
    expect(venue.counters.sequenceResyncs).toBe(resyncs + 1);
    const at14 = (await ourOrders(a.address)).filter((o) => o.price === '1.4');
    expect(at14).toEqual([{ side: 'sell', price: '1.4', quantity: '2' }]);
  });

  test('cancelAll leaves none of our orders on the chain, including ones this process did not place', async () => {
    // An order of ours placed behind the venue's back (cosmjs with our key): the venue adopts it.
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(chain.account('a').mnemonic, { prefix: 'sei' });
    const comet = await connectComet(chain.info.rpc);
    const other = await SigningStargateClient.createWithSigner(comet, wallet, { registry: seiRegistry(), broadcastPollIntervalMs: 50 });
    const address = venue.address as string;
    const order = {
      account: address, contractAddr: chain.info.contract, price: '1.45', quantity: '1', ...PAIR, orderType: 0, positionDirection: 1,
      data: '{"leverage":"1","position_effect":"Open"}', statusDescription: '', nominal: '0', triggerPrice: '0', triggerStatus: false,
    };
    const r = await other.signAndBroadcast(address, [{ typeUrl: PLACE_ORDERS_URL, value: { creator: address, contractAddr: chain.info.contract, orders: [order], funds: [] } }], { amount: [{ denom: 'usei', amount: '20000' }], gas: '400000' });
    expect(r.code).toBe(0);
    other.disconnect();
    expect((await ourOrders(address)).length).toBeGreaterThan(1);
    const open = (await venue.openOrders(SYMBOL)).map((o) => o.clientId);
    expect(open.filter((id) => id.startsWith('sei-'))).toHaveLength(1);
    await venue.cancelAll(SYMBOL);
    expect(await ourOrders(address)).toEqual([]);
    for (const id of open.filter((x) => !x.startsWith('sei-'))) expect(listener.of(id).at(-1)).toMatchObject({ type: 'cancelled', reason: 'requested' });
  });

  test('a transaction out of gas in its block (or at CheckTx): rejected, counted, the venue goes on', async () => {
    const low = await openVenue('c', { gas: { base: 105_000, perPlace: 5_000, perCancel: 5_000 } });
    try {
      await low.venue.submit({ cancels: [], places: [place('g1', 'buy', 10_000, 1)] });
      await low.listener.until(() => low.listener.of('g1').length > 0, 'g1 outcome');
      expect(low.listener.of('g1')).toEqual([expect.objectContaining({ type: 'rejected', reason: expect.stringMatching(/failed in block \d+ \(code 11\).*out of gas/) })]);
      expect(low.venue.counters.txFailedInBlock).toBe(1);
      expect(await ourOrders(chain.account('c').address)).toEqual([]);
      // The sequence was re-read from the chain: the next transaction passes CheckTx again (and
      // fails in its block again, for the same lack of gas).
      await low.venue.submit({ cancels: [], places: [place('g2', 'buy', 10_000, 1)] });
      await low.listener.until(() => low.listener.of('g2').length > 0, 'g2 outcome');
      expect(low.listener.of('g2')).toEqual([expect.objectContaining({ type: 'rejected', reason: expect.stringMatching(/failed in block \d+ \(code 11\)/) })]);
      expect(low.venue.counters).toMatchObject({ txRejectedAtCheck: 0, txFailedInBlock: 2, processingErrors: 0 });
    } finally {
      await low.venue.close();
    }
    // Far too little gas: the node refuses it at CheckTx; rejected and counted the same way.
    const none = await openVenue('c', { gas: { base: 60_000, perPlace: 1_000, perCancel: 1_000 } });
    try {
      await none.venue.submit({ cancels: [], places: [place('g3', 'buy', 10_000, 1)] });
      await none.listener.until(() => none.listener.of('g3').length > 0, 'g3 outcome');
      expect(none.listener.of('g3')).toEqual([expect.objectContaining({ type: 'rejected', reason: expect.stringMatching(/^refused by the node \(code 11\): out of gas/) })]);
      expect(none.venue.counters.txRejectedAtCheck).toBe(1);
    } finally {
      await none.venue.close();
    }
  });

  test('the fee rule holds at its exact boundary; an off-tick price is refused', async () => {
    const signer = CoreDirectSigner.fromMnemonic(Buffer.from(chain.account('c').mnemonic));
    const p = await rpc.params();
    const rule = {
      gas: { base: 150_000, perPlace: 50_000, perCancel: 20_000 }, gasPrice: '0.02usei', marginPercent: 0, maxFee: 10n ** 9n,
      dex: { gasPerOrder: Number(p.defaultGasPerOrder), gasPerCancel: Number(p.defaultGasPerCancel), gasPerOrderDataByte: Number(p.defaultGasPerOrderDataByte), sudoCallGasPrice: p.sudoCallGasPrice },
    };
    const builder = await SeiTxBuilder.create({ chainId: chain.info.chainId, contract: chain.info.contract, signer, fee: rule });
    const places = [{ pair: PAIR, side: 'sell' as const, price: '1.9', quantity: '1' }, { pair: PAIR, side: 'sell' as const, price: '1.91', quantity: '1' }];
    const cost = builder.cost(0, 2);
    // 2 orders × 55 000 + 82 bytes × 30 = 112 460 × 0.1 = 11 246 usei, above 250 000 gas × 0.02 = 5 000.
    expect(requiredFee(rule, cost.gas, 2, 82, 0)).toBe(11_246n);
    expect(cost.amount).toBe(11_246n);
    const account = await rpc.account(signer.address);
    const height = await rpc.latestHeight();
    const short = { ...cost, amount: cost.amount - 1n, fee: { ...cost.fee, amount: [{ denom: 'usei', amount: String(cost.amount - 1n) }] } };
    const refused = await rpc.broadcastSync((await builder.sign([], places, { ...account, timeoutHeight: height + 20 }, short)).bytes);
    expect(refused.code).toBe(13);
    const ok = await rpc.broadcastSync((await builder.sign([], places, { ...account, timeoutHeight: height + 20 }, cost)).bytes);
    expect(ok.code).toBe(0);
    // An off-tick price (which the venue never sends: it prices in ticks of the registered grid)
    // is refused by the module; on seid v5.5.5 CheckTx runs the messages, so it never reaches a block.
    while ((await rpc.account(signer.address)).sequence === account.sequence) await new Promise((r) => setTimeout(r, 50));
    const next = await rpc.account(signer.address);
    const offTick = [{ pair: PAIR, side: 'sell' as const, price: '1.90005', quantity: '1' }];
    const refusedTick = await rpc.broadcastSync((await builder.sign([], offTick, { ...next, timeoutHeight: height + 40 })).bytes);
    expect(refusedTick).toMatchObject({ code: 1, log: expect.stringContaining('ErrPriceNotMultipleOfTickSize') });
  });
});

/** Our transactions as the chain indexed them: height, gas used and messages. */
async function rpcTxsOf(address: string): Promise<{ height: number; gasUsed: bigint; msgs: { typeUrl: string; value: Uint8Array }[] }[]> {
  const comet = await connectComet(chain.info.rpc);
  const found = await comet.txSearchAll({ query: `tx.fee_payer='${address}'` });
  comet.disconnect();
  return found.txs.map((t) => {
    const body = TxBody.decode(TxRaw.decode(t.tx).bodyBytes);
    return { height: t.height, gasUsed: t.result.gasUsed, msgs: body.messages.map((m) => ({ typeUrl: m.typeUrl, value: m.value })) };
  });
}
