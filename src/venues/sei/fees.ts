// Gas and fee of one order transaction. `simulate` does not work for the dex messages on Sei
// (shared/SEI.md), so gas is a fixed schedule per operation with a margin, and the fee is the
// larger of the two rules the chain enforces: gas × gas price (the node's minimum gas price) and
// the dex module's own minimum, (gasPerOrder × orders + gasPerOrderDataByte × data bytes +
// gasPerCancel × cancels) × sudoCallGasPrice, read from the module's Params at connect.
// cosmjs's `calculateFee` does the exact decimal arithmetic (rounding up).
import { GasPrice, calculateFee } from '@cosmjs/stargate';
import type { StdFee } from '@cosmjs/amino';
import type { SeiVenueConfig } from '../../config/schema.js';
import type { DexParams } from './proto.js';

export interface GasSchedule {
  /** Gas of a transaction carrying no order operation (signature, fee, messages). */
  readonly base: number;
  readonly perPlace: number;
  readonly perCancel: number;
}

/**
 * Measured on seid v5.5.5 (shared/SEI.md, test/sei-venue.test.ts): one place uses 117–140 k
 * gas, one cancel ~93 k, 2 places + 1 cancel ~153 k, 56 cancels ~777 k; this schedule stays above
 * each with a margin. Unused gas is not refunded, but the dex minimum fee dominates anyway.
 */
export const DEFAULT_GAS: GasSchedule = { base: 150_000, perPlace: 50_000, perCancel: 20_000 };

/** The dex module's fee parameters (Params: defaultGasPerOrder, ...). */
export interface DexFeeParams {
  readonly gasPerOrder: number;
  readonly gasPerCancel: number;
  readonly gasPerOrderDataByte: number;
  /** Decimal string, e.g. "0.1". */
  readonly sudoCallGasPrice: string;
}

export interface FeeRule {
  readonly gas: GasSchedule;
  /** e.g. "0.02usei". */
  readonly gasPrice: string;
  readonly dex: DexFeeParams;
  /** Extra fee over the computed minimum, in percent (covers a parameter change in flight). */
  readonly marginPercent: number;
  /** A transaction whose fee would exceed this (in the fee denom) is not sent. */
  readonly maxFee: bigint;
}

export interface TxCost {
  readonly fee: StdFee;
  readonly gas: number;
  readonly amount: bigint;
}

export class FeeCapError extends Error {
  override readonly name = 'FeeCapError';
  readonly code = 'SEI_FEE_CAP';
}

export function gasFor(schedule: GasSchedule, places: number, cancels: number): number {
  return schedule.base + schedule.perPlace * places + schedule.perCancel * cancels;
}

/** The fee the chain requires for `gas` units and these operations, without our margin. */
export function requiredFee(rule: FeeRule, gas: number, places: number, dataBytes: number, cancels: number): bigint {
  const price = GasPrice.fromString(rule.gasPrice);
  const byGas = BigInt(calculateFee(gas, price).amount[0]?.amount ?? '0');
  const dexUnits = rule.dex.gasPerOrder * places + rule.dex.gasPerOrderDataByte * dataBytes + rule.dex.gasPerCancel * cancels;
  const dexPrice = GasPrice.fromString(`${rule.dex.sudoCallGasPrice}${price.denom}`);
  const byDex = dexUnits === 0 ? 0n : BigInt(calculateFee(dexUnits, dexPrice).amount[0]?.amount ?? '0');
  return byGas > byDex ? byGas : byDex;
}

/** Gas and fee for a transaction of `places` orders (with `dataBytes` of order data) and `cancels`. */
export function txCost(rule: FeeRule, places: number, dataBytes: number, cancels: number): TxCost {
  const gas = gasFor(rule.gas, places, cancels);
  const required = requiredFee(rule, gas, places, dataBytes, cancels);
  const margin = BigInt(Math.round(rule.marginPercent * 100));
  const amount = required + (required * margin + 9_999n) / 10_000n;
  if (amount > rule.maxFee) {
    throw new FeeCapError(`fee ${amount} for ${places} places and ${cancels} cancels exceeds the cap of ${rule.maxFee}`);
  }
  const denom = GasPrice.fromString(rule.gasPrice).denom;
  return { gas, amount, fee: { amount: [{ denom, amount: amount.toString() }], gas: String(gas) } };
}

/** The fee rule of a venue configuration and the module's Params (read from the chain at connect). */
export function feeRuleOf(
  config: Pick<SeiVenueConfig, 'gas' | 'gasPrice' | 'feeDenom' | 'feeMarginPercent' | 'maxFee'>,
  p: DexParams,
): FeeRule {
  return {
    gas: config.gas, gasPrice: `${config.gasPrice}${config.feeDenom}`, marginPercent: config.feeMarginPercent, maxFee: BigInt(config.maxFee),
    dex: {
      gasPerOrder: Number(p.defaultGasPerOrder), gasPerCancel: Number(p.defaultGasPerCancel),
      gasPerOrderDataByte: Number(p.defaultGasPerOrderDataByte), sudoCallGasPrice: p.sudoCallGasPrice,
    },
  };
}
