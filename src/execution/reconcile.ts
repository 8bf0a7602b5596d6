// Reconciliation: local order state made equal to the venue's open orders, after a reconnect,
// a restart, a timeout or an error. Rules:
// - on the venue, unknown locally (orphan: e.g. from before a restart) → adopted; with the
//   'cancel' policy a cancel is sent at once, with 'adopt' it joins the live set and the next
//   diff keeps it if a desired quote matches, cancels it otherwise. Fills it had before adoption
//   are NOT booked: they belong to the session that placed it (restore positions from storage).
// - on the venue, closed locally (we thought it done) → marked cancelling and cancelled: the
//   venue is the truth about it being alive, our quoting did not want it.
// - on the venue, live locally → state follows the venue; a cancel that timed out is resent.
// - the venue's cumulative `filled` above ours → the difference is booked at the order's limit
//   price with the market's maker fee (the venue reports no price for it; resting limit orders
//   fill at their limit). Later fill events for those lots are recognised as duplicates.
// - live locally, not on the venue (phantom) → a cancel in flight is taken as done
//   ('cancelled'); an open or in-doubt order is closed as 'expired'; a place still waiting for
//   its ack (not yet timed out) is left pending: it may still land. A later venue event for a
//   phantom still counts (fills) and, if it shows the order alive (accepted, a fill with
//   leaves), revives it as unwanted so the next diff cancels it.
import { feeFor } from '../market/types.js';
import type { CancelRequest, OrderBatch, VenueOrder } from '../venues/venue.js';
import type { ExecutionAnomaly } from './events.js';
import { isTerminal, restingStateFor, type ManagedOrder, type OrderState } from './order-state.js';

export interface ReconcileHost {
  readonly orphanPolicy: 'cancel' | 'adopt';
  records(symbol: string): ManagedOrder[];
  get(clientId: string): ManagedOrder | undefined;
  insert(order: ManagedOrder): void;
  bookFill(order: ManagedOrder, price: number, lots: number, fee: bigint): void;
  /** Lots booked by reconciliation alone (no fill event reported them). */
  onMissedFill?(order: ManagedOrder, lots: number, fee: bigint): void;
  makerFeePpm(symbol: string): number;
  move(order: ManagedOrder, to: OrderState, nowMs: number, reason: string): boolean;
  requestCancel(order: ManagedOrder, nowMs: number, reason: string): boolean;
  report(anomaly: ExecutionAnomaly, nowMs: number): void;
}

export interface ReconcileReport {
  /** Cancels to submit: orphans (policy 'cancel'), revived orders, cancels to resend. */
  readonly batch: OrderBatch;
  readonly adopted: readonly string[];
  readonly revived: readonly string[];
  readonly phantoms: readonly string[];
  readonly missedFillLots: number;
}

function adopt(host: ReconcileHost, venueOrder: VenueOrder, nowMs: number): ManagedOrder {
  const order: ManagedOrder = {
    clientId: venueOrder.clientId,
    symbol: venueOrder.symbol,
    side: venueOrder.side,
    price: venueOrder.price,
    size: venueOrder.size,
    postOnly: true,
    level: -1,
    state: 'open',
    filled: Math.min(venueOrder.filled, venueOrder.size),
    inFlight: null,
    sentAtMs: nowMs,
    doneAtMs: null,
    adopted: true,
    reason: 'adopted from the venue',
    closedLocally: false,
  };
  if (order.filled > 0) order.state = 'partially-filled';
  host.insert(order);
  return order;
}

function bookMissedFills(host: ReconcileHost, order: ManagedOrder, venueFilled: number, nowMs: number): number {
  if (venueFilled < order.filled) {
    host.report({ kind: 'venue-filled-below-local', clientId: order.clientId, venue: venueFilled, local: order.filled }, nowMs);
    return 0;
  }
  const lots = Math.min(venueFilled, order.size) - order.filled;
  if (lots <= 0) return 0;
  const fee = feeFor(order.price, lots, host.makerFeePpm(order.symbol));
  host.bookFill(order, order.price, lots, fee);
  host.onMissedFill?.(order, lots, fee);
  return lots;
}

export function reconcileOrders(host: ReconcileHost, symbol: string, venueOrders: readonly VenueOrder[], nowMs: number): ReconcileReport {
  const cancels: CancelRequest[] = [];
  const adopted: string[] = [];
  const revived: string[] = [];
  const phantoms: string[] = [];
  let missedFillLots = 0;
  const cancel = (order: ManagedOrder, reason: string): void => {
    if (host.requestCancel(order, nowMs, reason)) cancels.push({ clientId: order.clientId, symbol });
  };
  const onVenue = new Set<string>();

  for (const venueOrder of venueOrders) {
    if (venueOrder.symbol !== symbol) continue;
    onVenue.add(venueOrder.clientId);
    const known = host.get(venueOrder.clientId);
    if (known === undefined) {
      const order = adopt(host, venueOrder, nowMs);
      adopted.push(order.clientId);
      if (host.orphanPolicy === 'cancel') cancel(order, 'orphan on the venue');
      continue;
    }
    missedFillLots += bookMissedFills(host, known, venueOrder.filled, nowMs);
    if (isTerminal(known.state)) {
      revived.push(known.clientId);
      cancel(known, `on the venue while locally ${known.state}`);
    } else if (known.state === 'unknown' && known.inFlight === 'cancel') {
      cancel(known, 'cancel unanswered, order still on the venue: resent');
    } else if (known.state !== 'cancelling') {
      // pending (accepted implied), unknown place (it landed) or resting: follow the venue.
      if (known.inFlight === 'place') known.inFlight = null;
      host.move(known, restingStateFor(known), nowMs, 'reconciled: on the venue');
    }
  }

  for (const order of host.records(symbol)) {
    if (isTerminal(order.state) || onVenue.has(order.clientId)) continue;
    if (order.state === 'pending') continue; // may still land; its ack timeout decides
    if (order.state === 'cancelling') {
      if (host.move(order, 'cancelled', nowMs, 'reconciled: gone after cancel')) order.closedLocally = true;
    } else {
      phantoms.push(order.clientId);
      if (host.move(order, 'expired', nowMs, 'reconciled: not on the venue')) order.closedLocally = true;
    }
  }
  return { batch: { cancels, places: [] }, adopted, revived, phantoms, missedFillLots };
}
