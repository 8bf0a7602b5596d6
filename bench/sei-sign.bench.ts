// Signing a Sei transaction: the core's secp256k1 signer (k256, through N-API) against cosmjs's
// pure-JS signer, in the same run, on the same sign doc (a 2-cancel + 2-place quote update).
// Both produce the same signature (test/sei-encoding.test.ts); this measures what it costs.
import { makeCosmoshubPath } from '@cosmjs/amino';
import { Bip39, EnglishMnemonic, Secp256k1, Slip10, Slip10Curve, sha256 } from '@cosmjs/crypto';
import { DirectSecp256k1HdWallet, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { bench, describe } from 'vitest';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import { SeiTxBuilder } from '../src/venues/sei/tx-builder.js';
import { quoteUpdate } from './sei-fixtures.js';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const core = CoreDirectSigner.fromMnemonic(Buffer.from(MNEMONIC));
const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: 'sei' });
const [account] = await wallet.getAccounts();
const address = account?.address ?? '';
const builder = await SeiTxBuilder.create(quoteUpdate.builderOptions(core));
const raw = TxRaw.decode((await builder.sign(quoteUpdate.cancels, quoteUpdate.places, quoteUpdate.signer)).bytes);
const signDoc = makeSignDoc(raw.bodyBytes, raw.authInfoBytes, 'sei-local', 1n);
const signBytes = makeSignBytes(signDoc);
// cosmjs keeps its private key inside the wallet; derive the same key for the raw comparison.
const seed = await Bip39.mnemonicToSeed(new EnglishMnemonic(MNEMONIC));
const { privkey } = Slip10.derivePath(Slip10Curve.Secp256k1, seed, makeCosmoshubPath(0));

describe(`sign one quote update (${signBytes.length} sign bytes)`, () => {
  bench('core signer: signDirect (N-API, k256)', async () => {
    await core.signDirect(address, signDoc);
  });

  bench('cosmjs DirectSecp256k1HdWallet.signDirect (pure JS)', async () => {
    await wallet.signDirect(address, signDoc);
  });
});

describe('secp256k1 alone: sha256 + ECDSA over the sign bytes', () => {
  bench('core: Secp256k1Signer.sign', () => {
    core.signBytes(signBytes);
  });

  bench('cosmjs: Secp256k1.createSignature(sha256(bytes))', async () => {
    await Secp256k1.createSignature(sha256(signBytes), privkey);
  });
});
