// Maximum order age (Hummingbot's max_order_age, 1800 s by default there and here): once any
// resting order is older than this, every resting order is cancelled and placed afresh, even
// those the refresh tolerance would keep (queue position traded for a fresh price and a
// venue-side age that never grows stale). Hanging orders are left alone.
import type { QuotingConfig } from '../config.js';
import { isResting, type ControlOrder } from './orders.js';

/** The orders to cancel and replace now (all resting non-hanging ones, or none). */
export function agedOrders(config: QuotingConfig, live: readonly ControlOrder[], nowMs: number, hanging: (id: string) => boolean): string[] {
  const maxAgeMs = config.refresh.maxOrderAgeSeconds * 1000;
  const resting = live.filter((o) => isResting(o) && !hanging(o.clientId));
  return resting.some((o) => nowMs - o.sentAtMs > maxAgeMs) ? resting.map((o) => o.clientId) : [];
}
