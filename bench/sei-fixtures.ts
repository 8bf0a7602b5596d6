// The typical quote update of the Sei benchmarks: two levels a side replaced, i.e. four cancels
// and four places in one transaction, on the local chain's uusdc/usei pair.
import type { CoreDirectSigner } from '../src/venues/sei/signer.js';
import type { TxBuilderOptions } from '../src/venues/sei/tx-builder.js';

const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' };
const CONTRACT = 'sei1hrpna9v7vs3stzyd4z3xf00676kf78zpe2u5ksvljswn2vnjp3yslucc3n';

export const quoteUpdate = {
  cancels: [
    { pair: PAIR, orderId: 1_001n, side: 'buy' as const, price: '1.1000' },
    { pair: PAIR, orderId: 1_002n, side: 'buy' as const, price: '1.0999' },
    { pair: PAIR, orderId: 1_003n, side: 'sell' as const, price: '1.1010' },
    { pair: PAIR, orderId: 1_004n, side: 'sell' as const, price: '1.1011' },
  ],
  places: [
    { pair: PAIR, side: 'buy' as const, price: '1.1001', quantity: '100' },
    { pair: PAIR, side: 'buy' as const, price: '1.1000', quantity: '100' },
    { pair: PAIR, side: 'sell' as const, price: '1.1009', quantity: '100' },
    { pair: PAIR, side: 'sell' as const, price: '1.1010', quantity: '100' },
  ],
  signer: { accountNumber: 1n, sequence: 42, timeoutHeight: 10_000 },
  builderOptions(signer: CoreDirectSigner): TxBuilderOptions {
    return {
      chainId: 'sei-local', contract: CONTRACT, signer,
      fee: {
        gas: { base: 150_000, perPlace: 50_000, perCancel: 20_000 }, gasPrice: '0.02usei', marginPercent: 5, maxFee: 1_000_000n,
        dex: { gasPerOrder: 55_000, gasPerCancel: 53_000, gasPerOrderDataByte: 30, sudoCallGasPrice: '0.1' },
      },
    };
  },
};
