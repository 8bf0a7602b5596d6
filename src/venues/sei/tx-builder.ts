// One quote update as one signed transaction: a MsgCancelOrders with every cancel, then a
// MsgPlaceOrders with every place (cancels first, so a replaced order leaves before its
// successor arrives), the fee from fees.ts, and an explicit timeout height, so a transaction that
// is not in a block by then can never land later (the venue can declare it dead without risking
// a second placement). cosmjs encodes and signs it offline with our account number and sequence;
// the signature itself comes from the core signer.
import { createHash } from 'node:crypto';
import type { EncodeObject } from '@cosmjs/proto-signing';
import { SigningStargateClient } from '@cosmjs/stargate';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import type { CoreDirectSigner } from './signer.js';
import { txCost, type FeeRule, type TxCost } from './fees.js';
import { CANCEL_ORDERS_URL, LIMIT, LONG, MARKET, PLACE_ORDERS_URL, SHORT, USER, seiRegistry, type Cancellation, type Order } from './proto.js';
import type { Pair } from './chain.js';

/** What the contract of the local chain expects in an order's `data` (shared/SEI.md). */
export const DEFAULT_ORDER_DATA = '{"leverage":"1","position_effect":"Open"}';

export interface PlaceSpec {
  readonly pair: Pair;
  readonly side: 'buy' | 'sell';
  /** Decimal strings on the pair's grid; a market order's price is its worst price. */
  readonly price: string;
  readonly quantity: string;
  /** Default 'limit' (the daemon quotes with limit orders only). */
  readonly orderType?: 'limit' | 'market';
}

export interface CancelSpec {
  readonly pair: Pair;
  readonly orderId: bigint;
  readonly side: 'buy' | 'sell';
  readonly price: string;
}

export interface SignedTx {
  readonly bytes: Uint8Array;
  /** Upper-case hex SHA-256 of `bytes`, as CometBFT names transactions. */
  readonly hash: string;
  readonly cost: TxCost;
}

export interface TxBuilderOptions {
  readonly chainId: string;
  readonly contract: string;
  readonly signer: CoreDirectSigner;
  readonly fee: FeeRule;
  readonly orderData?: string;
}

export class SeiTxBuilder {
  private constructor(
    private readonly options: TxBuilderOptions,
    private readonly client: SigningStargateClient,
  ) {}

  static async create(options: TxBuilderOptions): Promise<SeiTxBuilder> {
    const client = await SigningStargateClient.offline(options.signer, { registry: seiRegistry() });
    return new SeiTxBuilder(options, client);
  }

  get address(): string {
    return this.options.signer.address;
  }

  /** The messages of one batch: cancels first, then places; none for an empty side. */
  messages(cancels: readonly CancelSpec[], places: readonly PlaceSpec[]): EncodeObject[] {
    const { contract } = this.options;
    const creator = this.address;
    const data = this.options.orderData ?? DEFAULT_ORDER_DATA;
    const msgs: EncodeObject[] = [];
    if (cancels.length > 0) {
      const cancellations: Cancellation[] = cancels.map((c) => ({
        id: c.orderId, initiator: USER, creator, contractAddr: contract, ...c.pair,
        positionDirection: c.side === 'buy' ? LONG : SHORT, price: c.price,
      }));
      msgs.push({ typeUrl: CANCEL_ORDERS_URL, value: { creator, contractAddr: contract, cancellations } });
    }
    if (places.length > 0) {
      const orders: Order[] = places.map((p) => ({
        account: creator, contractAddr: contract, price: p.price, quantity: p.quantity, ...p.pair,
        orderType: p.orderType === 'market' ? MARKET : LIMIT, positionDirection: p.side === 'buy' ? LONG : SHORT, data,
        statusDescription: '', nominal: '0', triggerPrice: '0', triggerStatus: false,
      }));
      msgs.push({ typeUrl: PLACE_ORDERS_URL, value: { creator, contractAddr: contract, orders, funds: [] } });
    }
    return msgs;
  }

  /** Gas and fee of a batch (throws FeeCapError above the cap). */
  cost(cancels: number, places: number): TxCost {
    const dataBytes = Buffer.byteLength(this.options.orderData ?? DEFAULT_ORDER_DATA) * places;
    return txCost(this.options.fee, places, dataBytes, cancels);
  }

  async sign(
    cancels: readonly CancelSpec[],
    places: readonly PlaceSpec[],
    signer: { accountNumber: bigint; sequence: number; timeoutHeight: number },
    cost: TxCost = this.cost(cancels.length, places.length),
  ): Promise<SignedTx> {
    const raw = await this.client.sign(
      this.address, this.messages(cancels, places), cost.fee, '',
      { accountNumber: signer.accountNumber, sequence: signer.sequence, chainId: this.options.chainId },
      BigInt(signer.timeoutHeight),
    );
    const bytes = TxRaw.encode(raw).finish();
    return { bytes, hash: txHash(bytes), cost };
  }
}

export function txHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').toUpperCase();
}
