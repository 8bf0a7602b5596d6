// Venue-neutral market types shared by venues, strategy, risk and execution.
// Prices are integer ticks and sizes integer lots of the market's spec; decimal strings exist
// only at a venue's edge. Money is a bigint in money units
// of tick × lot × 1e-6, the core's unit (`MarketSpec.formatMoney` prints it), so fees in ppm
// stay exact. The side vocabulary and the public trade are the core's (docs/market-state.md).
import { MONEY_PER_TICK_LOT as MONEY_UNITS } from '../native.js';
import type { Side } from '../native.js';

export type { PublicTrade, Side } from '../native.js';

/** +1 for a buy (position grows), -1 for a sell. */
export function sideSign(side: Side): 1 | -1 {
  return side === 'buy' ? 1 : -1;
}

/** The static facts of one market, as the venue lists them. */
export interface MarketInfo {
  readonly symbol: string;
  /** Decimal strings, exactly as the venue quotes them. */
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minSizeLots: number;
  /** Fee rates in parts per million of notional; negative = rebate. */
  readonly makerFeePpm: number;
  readonly takerFeePpm: number;
}

export interface PriceLevel {
  readonly price: number;
  readonly size: number;
}

/** What the quoting models read of one market's public book at a decision. */
export interface BookTop {
  readonly bid: PriceLevel;
  readonly ask: PriceLevel;
  /** Mid in ticks (may be a half tick). */
  readonly mid: number;
  /** Size-weighted micro-price in ticks. */
  readonly microPrice: number;
  /** Exchange time of the book state, ns. */
  readonly exchangeTsNs: bigint;
}

/** Money units per 1 (tick × lot), the core's: fees in ppm of notional are exact at this scale. */
export const MONEY_PER_TICK_LOT = BigInt(MONEY_UNITS);

/** Notional of `size` lots at `price` ticks, in money units. */
export function notional(price: number, size: number): bigint {
  return BigInt(price) * BigInt(size) * MONEY_PER_TICK_LOT;
}

/** Fee on `size` lots at `price` ticks at `ppm` parts per million, in money units (exact). */
export function feeFor(price: number, size: number, ppm: number): bigint {
  return BigInt(price) * BigInt(size) * BigInt(ppm);
}

/**
 * One order the strategy wants resting on the venue, after risk: the order manager diffs the
 * desired set against the live orders into one batch of cancels and places.
 */
export interface DesiredQuote {
  readonly side: Side;
  /** Limit price in ticks. */
  readonly price: number;
  /** Size in lots (> 0). */
  readonly size: number;
  /** 0 = closest to the touch. */
  readonly level: number;
  readonly postOnly: boolean;
}
