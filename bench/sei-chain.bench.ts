// On the local chain (shared/sei/localnet.sh): a quote update (two levels a side replaced, 4
// cancels + 4 places in one transaction) from submit() to our orders accepted on chain, in ms and
// blocks; prints the gas the chain charged and the transaction's size.
import { connectComet } from '@cosmjs/tendermint-rpc';
import { TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { seiVenueSchema } from '../src/config/schema.js';
import { SeiVenue } from '../src/venues/sei/sei-venue.js';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import type { PlaceRequest } from '../src/venues/venue.js';
import { RecordingListener, startSeiChain, type SeiChainHandle } from '../test/helpers/sei-chain.js';

const SYMBOL = 'SEI/USDC';
const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' };
let chain: SeiChainHandle;
let venue: SeiVenue;
let listener: RecordingListener;
let round = 0;
let live: string[] = [];
const blocks: number[] = [];

beforeAll(async () => {
  chain = await startSeiChain();
  const config = seiVenueSchema.parse({
    kind: 'sei', rpcUrl: chain.info.rpc, wsUrl: chain.info.websocket, chainId: chain.info.chainId, contractAddr: chain.info.contract, pairs: { [SYMBOL]: PAIR },
  });
  const signer = CoreDirectSigner.fromMnemonic(Buffer.from(chain.account('a').mnemonic));
  venue = await SeiVenue.open({ config, markets: [{ symbol: SYMBOL, ...PAIR }], signer });
  listener = new RecordingListener();
  await venue.connect(listener);
  await listener.until(() => listener.connection.at(-1)?.state === 'connected', 'connected');
}, 240_000);

afterAll(async () => {
  const comet = await connectComet(chain.info.rpc);
  const { txs } = await comet.txSearchAll({ query: `tx.fee_payer='${venue.address}'` });
  comet.disconnect();
  const replaces = txs.filter((t) => TxBody.decode(TxRaw.decode(t.tx).bodyBytes).messages.length === 2);
  const gas = replaces.map((t) => Number(t.result.gasUsed)).sort((a, b) => a - b);
  console.log(`4 cancels + 4 places: gas used median ${gas[Math.floor(gas.length / 2)]} (min ${gas[0]}, max ${gas.at(-1)}), ${replaces[0]?.tx.length} bytes`);
  const sorted = [...blocks].sort((a, b) => a - b);
  console.log(`blocks from submit to accepted: median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted.at(-1)} (${sorted.length} updates)`);
  await venue?.close();
  await chain?.stop();
});

async function quoteUpdate(): Promise<void> {
  round += 1;
  const offset = round % 5;
  const ids = [`b${round}x`, `b${round}y`, `a${round}x`, `a${round}y`];
  const places: PlaceRequest[] = ids.map((clientId, i) => ({
    clientId, symbol: SYMBOL, side: i < 2 ? 'buy' : 'sell', price: i < 2 ? 11_000 - i - offset : 12_000 + (i - 2) + offset, size: 10, postOnly: false,
  }));
  const startHeight = venue.height;
  await venue.submit({ cancels: live.map((clientId) => ({ clientId, symbol: SYMBOL })), places });
  await listener.until(() => ids.every((id) => listener.of(id).some((e) => e.type === 'accepted')), 'accepted');
  blocks.push(venue.height - startHeight);
  live = ids;
}

describe('quote decision → orders resting on the local chain', () => {
  bench('submit(4 cancels + 4 places) → all accepted', quoteUpdate, { iterations: 15, time: 0, warmupIterations: 1 });
});
