// The Sei venue's hot path without the network (DESIGN budget: venue message in → signed
// transaction bytes out, p99 ≤ 2 ms): a block's book (the LongBookAll/ShortBookAll strings) into
// the core's snapshot batch, and a quote update (two levels a side replaced: 4 cancels + 4
// places) from our orders in ticks and lots to signed TxRaw bytes, with the core signer and, for
// comparison in the same run, with cosmjs's own. Prints the transaction's size.
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { SigningStargateClient } from '@cosmjs/stargate';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { bench, describe } from 'vitest';
import { SeiMarket } from '../src/venues/sei/markets.js';
import { orderSpecs, type TrackedOrder } from '../src/venues/sei/orders.js';
import { seiRegistry } from '../src/venues/sei/proto.js';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import { SeiTxBuilder } from '../src/venues/sei/tx-builder.js';
import { quoteUpdate } from './sei-fixtures.js';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const market = new SeiMarket(
  { symbol: 'SEI/USDC', priceDenom: 'uusdc', assetDenom: 'usei' },
  { priceDenom: 'uusdc', assetDenom: 'usei', priceTick: '0.0001', quantityTick: '1' },
);
const core = CoreDirectSigner.fromMnemonic(Buffer.from(MNEMONIC));
const builder = await SeiTxBuilder.create(quoteUpdate.builderOptions(core));
const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: 'sei' });
const cosmjs = await SigningStargateClient.offline(wallet, { registry: seiRegistry() });

const order = (clientId: string, side: 'buy' | 'sell', price: number, orderId: bigint | null): TrackedOrder => ({
  clientId, market, side, price, size: 100, filled: 0, state: orderId === null ? 'queued' : 'open', orderId, placedHeight: 1, cancelling: false,
});
const cancels = [order('b0', 'buy', 11_000, 1_001n), order('b1', 'buy', 10_999, 1_002n), order('a0', 'sell', 11_010, 1_003n), order('a1', 'sell', 11_011, 1_004n)];
const places = [order('b2', 'buy', 11_001, null), order('b3', 'buy', 11_000, null), order('a2', 'sell', 11_009, null), order('a3', 'sell', 11_010, null)];

// 20 levels a side, as the chain's queries return them.
const level = (i: number, side: 1 | -1) => ({ price: (1.1005 + side * (0.0005 + i * 0.0001)).toFixed(4), quantity: String(100 + i * 7) });
const bids = Array.from({ length: 20 }, (_, i) => level(i, -1));
const asks = Array.from({ length: 20 }, (_, i) => level(i, 1));
let height = 1_000;

const sample = await builder.sign(orderSpecs(cancels, places).cancels, orderSpecs(cancels, places).places, quoteUpdate.signer);
console.log(`quote update (4 cancels + 4 places): ${sample.bytes.length} bytes signed, gas limit ${sample.cost.gas}, fee ${sample.cost.amount} usei`);

describe('block in: the book of one block → the core snapshot batch (20 levels a side)', () => {
  bench('EventBatchBuilder.pushSnapshot + finish', () => {
    height += 1;
    market.builder.pushSnapshot(height, 1n, 2n, bids.map((b) => b.price), bids.map((b) => b.quantity), asks.map((a) => a.price), asks.map((a) => a.quantity));
    market.builder.finish();
  });
});

describe('quote update in → signed transaction bytes out (4 cancels + 4 places)', () => {
  bench('venue path with the core signer', async () => {
    const specs = orderSpecs(cancels, places);
    await builder.sign(specs.cancels, specs.places, quoteUpdate.signer);
  });

  bench('the same built and signed by cosmjs alone (pure-JS signer)', async () => {
    const specs = orderSpecs(cancels, places);
    const cost = builder.cost(4, 4);
    const raw = await cosmjs.sign(core.address, builder.messages(specs.cancels, specs.places), cost.fee, '', {
      accountNumber: 1n, sequence: 42, chainId: 'sei-local',
    }, 10_000n);
    TxRaw.encode(raw).finish();
  });
});
