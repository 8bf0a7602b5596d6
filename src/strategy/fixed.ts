// The baseline quoter: a constant half-spread around the reference price, shifted against the
// inventory linearly. It needs no estimates, so it is what to compare the models against.
import type { ModelQuotes } from './as.js';

export interface HalfSpread {
  readonly unit: 'ticks' | 'bps';
  readonly value: number;
}

/** The half-spread in ticks at reference price s (bps are of the price, itself in ticks). */
export function halfSpreadTicks(half: HalfSpread, s: number): number {
  return half.unit === 'ticks' ? half.value : (s * half.value) / 10_000;
}

/** Reservation r = s − q·skewTicksPerOrder; quotes r ∓ half. q in order sizes. */
export function fixedQuotes(s: number, q: number, half: HalfSpread, skewTicksPerOrder: number): ModelQuotes {
  const reservation = s - q * skewTicksPerOrder;
  const h = halfSpreadTicks(half, s);
  return { reservation, bid: reservation - h, ask: reservation + h };
}
