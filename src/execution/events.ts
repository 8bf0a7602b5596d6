// What the order manager reports besides its return values: anomalies (counted, logged by the
// lead's wiring, fed to the risk manager's error-rate breaker) and every state change.
import type { OrderState } from './order-state.js';

export type ExecutionAnomaly =
  | { readonly kind: 'illegal-transition'; readonly clientId: string; readonly from: OrderState; readonly to: OrderState; readonly reason: string }
  | { readonly kind: 'event-for-unknown-order'; readonly clientId: string; readonly event: string }
  | { readonly kind: 'fill-for-unknown-order'; readonly clientId: string; readonly lots: number }
  | { readonly kind: 'duplicate-event'; readonly clientId: string; readonly event: string }
  | { readonly kind: 'ack-timeout'; readonly clientId: string; readonly request: 'place' | 'cancel' }
  | { readonly kind: 'submit-failed'; readonly clientIds: readonly string[]; readonly error: string }
  | { readonly kind: 'rejected'; readonly clientId: string; readonly reason: string }
  | { readonly kind: 'venue-filled-below-local'; readonly clientId: string; readonly venue: number; readonly local: number };

export type AnomalyKind = ExecutionAnomaly['kind'];

export interface OrderStateChange {
  readonly clientId: string;
  readonly symbol: string;
  readonly from: OrderState;
  readonly to: OrderState;
  readonly reason: string;
  readonly atMs: number;
}

export interface ExecutionEvents {
  /** `symbol` is the market of the order concerned, null when no order is known by that id. */
  onAnomaly?(anomaly: ExecutionAnomaly, symbol: string | null, atMs: number): void;
  onStateChange?(change: OrderStateChange): void;
  /**
   * Reconciliation booked lots the venue shows filled that no fill event reported (at the
   * order's limit price, maker fee); `order.filled` already includes them. The journal records
   * them from here (docs/storage.md).
   */
  onMissedFill?(fill: MissedFillBooked): void;
}

export interface MissedFillBooked {
  readonly clientId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly lots: number;
  readonly fee: bigint;
  /** The order's cumulative filled lots after them. */
  readonly filledAfter: number;
}

/** Duplicates are expected on real venues (resends, replays): counted, not errors. */
export function isError(anomaly: ExecutionAnomaly): boolean {
  return anomaly.kind !== 'duplicate-event';
}
