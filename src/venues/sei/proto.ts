// Sei's order-book codecs (protobuf package seiprotocol.seichain.dex) from @sei-js/proto@4.0.8,
// the last release that has them. Its ESM build does not load (ERR_MODULE_NOT_FOUND), so the
// CommonJS build is required (shared/SEI.md). The message types go into a cosmjs Registry beside
// the SDK's defaults, so cosmjs encodes and signs our transactions.
import { createRequire } from 'node:module';
import { Registry } from '@cosmjs/proto-signing';
import { defaultRegistryTypes } from '@cosmjs/stargate';
import type { seiprotocol } from '@sei-js/proto';

type Dex = typeof seiprotocol.seichain.dex;
/** The message type a codec of the dex package decodes to. */
type Decoded<K extends keyof Dex> = Dex[K] extends { decode(input: Uint8Array): infer T } ? T : never;

const require = createRequire(import.meta.url);
export const dex: Dex = (require('@sei-js/proto') as { seiprotocol: typeof seiprotocol }).seiprotocol.seichain.dex;

export type Order = Decoded<'Order'>;
export type Cancellation = Decoded<'Cancellation'>;
export type MsgPlaceOrders = Decoded<'MsgPlaceOrders'>;
export type MsgCancelOrders = Decoded<'MsgCancelOrders'>;
export type SettlementEntry = Decoded<'SettlementEntry'>;
export type MatchResult = Decoded<'MatchResult'>;
export type DexParams = Decoded<'Params'>;
export type DexQuery = InstanceType<Dex['QueryClientImpl']>;

export const PLACE_ORDERS_URL = '/seiprotocol.seichain.dex.MsgPlaceOrders';
export const CANCEL_ORDERS_URL = '/seiprotocol.seichain.dex.MsgCancelOrders';

/** PositionDirection on the wire: a bid is LONG, an ask SHORT. */
export const LONG = 0;
export const SHORT = 1;
/** OrderType LIMIT and MARKET; CancellationInitiator USER. */
export const LIMIT = 0;
export const MARKET = 1;
export const USER = 0;

export function seiRegistry(): Registry {
  return new Registry([
    ...defaultRegistryTypes,
    [PLACE_ORDERS_URL, dex.MsgPlaceOrders],
    [CANCEL_ORDERS_URL, dex.MsgCancelOrders],
  ]);
}
