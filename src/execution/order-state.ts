// The per-order state machine. Every change goes through `transition`, which checks the table
// below; an illegal move is refused and reported as a typed value (counted and logged by the
// order manager), never thrown, so one odd venue event cannot kill the quote loop.
import type { PlaceRequest } from '../venues/venue.js';

export type OrderState =
  | 'new' // created locally, not yet sent
  | 'pending' // place sent, no answer yet
  | 'open' // accepted, resting, nothing filled
  | 'partially-filled'
  | 'cancelling' // cancel sent, no answer yet (still live for risk)
  | 'unknown' // a request timed out or a cancel was refused: only reconciliation can tell
  | 'filled'
  | 'cancelled'
  | 'rejected'
  | 'expired'; // closed by the venue as expired, or by reconciliation as not on the venue

const TERMINAL: ReadonlySet<OrderState> = new Set(['filled', 'cancelled', 'rejected', 'expired']);

const ALLOWED: Readonly<Record<OrderState, readonly OrderState[]>> = {
  new: ['pending', 'rejected'],
  pending: ['open', 'partially-filled', 'filled', 'cancelled', 'rejected', 'expired', 'cancelling', 'unknown'],
  open: ['partially-filled', 'filled', 'cancelling', 'cancelled', 'expired', 'unknown'],
  'partially-filled': ['filled', 'cancelling', 'cancelled', 'expired', 'unknown'],
  cancelling: ['filled', 'cancelled', 'expired', 'unknown'],
  unknown: ['open', 'partially-filled', 'filled', 'cancelling', 'cancelled', 'rejected', 'expired'],
  filled: [],
  // A fill the venue made before our cancel landed still completes a cancelled order. Closed
  // here by reconciliation but alive on the venue (found there, or a late accept or fill):
  // revived ('open'/'partially-filled', then cancelled by the diff) or cancelled at once.
  cancelled: ['filled', 'cancelling', 'open', 'partially-filled'],
  expired: ['open', 'partially-filled', 'filled', 'cancelled', 'cancelling'],
  rejected: ['cancelling'],
};

/** The request that placed it (size = original size, lots) and our bookkeeping of it since. */
export interface ManagedOrder extends PlaceRequest {
  /** Quote level it serves (0 = touch); -1 for orders adopted from the venue. */
  level: number;
  state: OrderState;
  /** Lots filled so far, as booked into the position (never decreases). */
  filled: number;
  /** The request awaiting an answer. */
  inFlight: 'place' | 'cancel' | null;
  /** When the in-flight request was sent (ms), for ack timeouts. */
  sentAtMs: number;
  /** When the order reached a terminal state (ms), for pruning. */
  doneAtMs: number | null;
  /** Found on the venue without a local record (restart, lost state). */
  adopted: boolean;
  /** Why it is in its current state (venue reason or ours). */
  reason: string;
  /** Closed by us (reconciliation), not by a venue event: a later sign of life revives it. */
  closedLocally: boolean;
}

export type TransitionResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly clientId: string; readonly from: OrderState; readonly to: OrderState; readonly reason: string };

export function isTerminal(state: OrderState): boolean {
  return TERMINAL.has(state);
}

/** Live = may rest on the venue or become resting: counts for risk and open-order limits. */
export function isLive(order: ManagedOrder): boolean {
  return !TERMINAL.has(order.state);
}

export function leaves(order: { readonly size: number; readonly filled: number }): number {
  return Math.max(0, order.size - order.filled);
}

export function canTransition(from: OrderState, to: OrderState): boolean {
  return ALLOWED[from].includes(to);
}

/** Moves `order` to `to` if the table allows it; records the reason and the close time. */
export function transition(order: ManagedOrder, to: OrderState, nowMs: number, reason: string): TransitionResult {
  const from = order.state;
  if (!canTransition(from, to)) return { ok: false, clientId: order.clientId, from, to, reason };
  order.state = to;
  order.reason = reason;
  order.closedLocally = false;
  if (TERMINAL.has(to)) {
    order.doneAtMs = nowMs;
    order.inFlight = null;
  } else {
    order.doneAtMs = null;
  }
  return { ok: true };
}

/** The state an order in flight or resting should show for `filled` lots. */
export function restingStateFor(order: ManagedOrder): 'open' | 'partially-filled' | 'filled' {
  if (order.filled >= order.size) return 'filled';
  return order.filled > 0 ? 'partially-filled' : 'open';
}
