// What our Sei transactions carry, byte for byte: the dex messages decode with @sei-js/proto to
// exactly the intended orders (a price of 1.5 travels as the Dec integer 1500000000000000000), the
// transaction is signed by the core signer, its signature verifies against the public key in its
// AuthInfo, and it equals cosmjs's own signature of the same sign doc (RFC 6979).
import { Secp256k1, Secp256k1Signature, sha256 } from '@cosmjs/crypto';
import { fromBase64 } from '@cosmjs/encoding';
import { DirectSecp256k1HdWallet, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing';
import { BinaryReader } from 'cosmjs-types/binary';
import { PubKey } from 'cosmjs-types/cosmos/crypto/secp256k1/keys';
import { AuthInfo, TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { describe, expect, test } from 'vitest';
import { CANCEL_ORDERS_URL, dex, PLACE_ORDERS_URL } from '../src/venues/sei/proto.js';
import { CoreDirectSigner } from '../src/venues/sei/signer.js';
import { SeiTxBuilder } from '../src/venues/sei/tx-builder.js';

// Publicly known test mnemonic (account a of shared/sei/localnet.sh).
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const ADDRESS = 'sei19rl4cm2hmr8afy4kldpxz3fka4jguq0a3vute5';
const CONTRACT = 'sei1hrpna9v7vs3stzyd4z3xf00676kf78zpe2u5ksvljswn2vnjp3yslucc3n';
const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' };
const FEE = {
  gas: { base: 150_000, perPlace: 50_000, perCancel: 20_000 }, gasPrice: '0.02usei', marginPercent: 5, maxFee: 1_000_000n,
  dex: { gasPerOrder: 55_000, gasPerCancel: 53_000, gasPerOrderDataByte: 30, sudoCallGasPrice: '0.1' },
};

async function signedBatch() {
  const signer = CoreDirectSigner.fromMnemonic(Buffer.from(MNEMONIC));
  const builder = await SeiTxBuilder.create({ chainId: 'sei-local', contract: CONTRACT, signer, fee: FEE });
  const cancels = [{ pair: PAIR, orderId: 42n, side: 'sell' as const, price: '1.6000' }];
  const places = [
    { pair: PAIR, side: 'buy' as const, price: '1.5000', quantity: '3' },
    { pair: PAIR, side: 'sell' as const, price: '1.5001', quantity: '12' },
  ];
  const tx = await builder.sign(cancels, places, { accountNumber: 1n, sequence: 7, timeoutHeight: 1_234 });
  return { signer, tx };
}

/** Length-delimited fields `field` of a protobuf message, raw (read by hand, no codec). */
function fieldsOf(bytes: Uint8Array, field: number): Uint8Array[] {
  const reader = new BinaryReader(bytes);
  const out: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) out.push(reader.bytes());
    else reader.skipType(tag & 7);
  }
  return out;
}

/** Each order's price (field 5) and quantity (field 6) as the wire carries them. */
function rawStrings(placeOrders: Uint8Array): string[] {
  const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');
  return fieldsOf(placeOrders, 2).flatMap((order) => [text(fieldsOf(order, 5)[0]), text(fieldsOf(order, 6)[0])]);
}

describe('Sei transaction encoding', () => {
  test('the core signer has the account of its mnemonic and wipes the phrase it was given', () => {
    const phrase = Buffer.from(MNEMONIC);
    const signer = CoreDirectSigner.fromMnemonic(phrase);
    expect(signer.address).toBe(ADDRESS);
    expect(phrase.every((b) => b === 0)).toBe(true);
    expect(() => CoreDirectSigner.fromMnemonic(Buffer.from(MNEMONIC.replace('about', 'abandon')))).toThrow(/checksum mismatch/);
  });

  test('cancels then places, decoding to exactly the intended orders', async () => {
    const { tx } = await signedBatch();
    const raw = TxRaw.decode(tx.bytes);
    const body = TxBody.decode(raw.bodyBytes);
    expect(body.timeoutHeight).toBe(1_234n);
    expect(body.messages.map((m) => m.typeUrl)).toEqual([CANCEL_ORDERS_URL, PLACE_ORDERS_URL]);
    const cancel = dex.MsgCancelOrders.decode(body.messages[0]?.value as Uint8Array);
    expect(cancel).toEqual({
      creator: ADDRESS, contractAddr: CONTRACT,
      cancellations: [{ id: 42n, initiator: 0, creator: ADDRESS, contractAddr: CONTRACT, ...PAIR, positionDirection: 1, price: '1.6' }],
    });
    const placeBytes = body.messages[1]?.value as Uint8Array;
    const placeMsg = dex.MsgPlaceOrders.decode(placeBytes);
    const order = { account: ADDRESS, contractAddr: CONTRACT, ...PAIR, orderType: 0, data: '{"leverage":"1","position_effect":"Open"}', statusDescription: '', nominal: '0', triggerPrice: '0', triggerStatus: false };
    expect(placeMsg).toEqual({
      creator: ADDRESS, contractAddr: CONTRACT, funds: [],
      orders: [
        // proto3 drops zero values: id 0 and status PLACED decode as undefined.
        { ...order, id: undefined, status: undefined, positionDirection: 0, price: '1.5', quantity: '3' },
        { ...order, id: undefined, status: undefined, positionDirection: 1, price: '1.5001', quantity: '12' },
      ],
    });
    // On the wire a Dec is the integer × 10^18.
    expect(rawStrings(placeBytes)).toEqual(['1500000000000000000', '3000000000000000000', '1500100000000000000', '12000000000000000000']);
    const fee = AuthInfo.decode(raw.authInfoBytes).fee;
    expect(fee?.gasLimit).toBe(BigInt(150_000 + 2 * 50_000 + 20_000));
    // max(270 000 × 0.02, (2 × 55 000 + 82 × 30 + 53 000) × 0.1 = 16 546) × 1.05, rounded up.
    expect(fee?.amount).toEqual([{ denom: 'usei', amount: '17374' }]);
  });

  test('the signature verifies against the public key in AuthInfo and equals cosmjs', async () => {
    const { tx } = await signedBatch();
    const raw = TxRaw.decode(tx.bytes);
    const info = AuthInfo.decode(raw.authInfoBytes);
    expect(info.signerInfos[0]?.sequence).toBe(7n);
    const pubkey = PubKey.decode(info.signerInfos[0]?.publicKey?.value as Uint8Array).key;
    const signDoc = makeSignDoc(raw.bodyBytes, raw.authInfoBytes, 'sei-local', 1n);
    const digest = sha256(makeSignBytes(signDoc));
    const signature = raw.signatures[0] as Uint8Array;
    expect(await Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(signature), digest, pubkey)).toBe(true);
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: 'sei' });
    const theirs = await wallet.signDirect(ADDRESS, signDoc);
    expect(Buffer.from(fromBase64(theirs.signature.signature)).equals(Buffer.from(signature))).toBe(true);
  });
});
