// What the controls read of our live orders (the order manager's records satisfy it).
import type { OrderState } from '../../execution/order-state.js';
import type { DesiredQuote, Side } from '../../market/types.js';

export interface ControlOrder {
  readonly clientId: string;
  readonly side: Side;
  readonly price: number;
  /** Original size, lots. */
  readonly size: number;
  readonly filled: number;
  readonly level: number;
  readonly postOnly: boolean;
  readonly state: OrderState;
  /** When its place was sent (ms): its age while it rests. */
  readonly sentAtMs: number;
}

/** Resting and ours to cancel: acknowledged, not already being cancelled or in doubt. */
export function isResting(order: ControlOrder): boolean {
  return order.state === 'open' || order.state === 'partially-filled';
}

/** The desired quote a live order stands for as it is (the diff keeps it: same price, original size). */
export function asQuote(order: ControlOrder, level: number): DesiredQuote {
  return { side: order.side, price: order.price, size: order.size, level, postOnly: order.postOnly };
}
