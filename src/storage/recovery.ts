// After a restart: may a market quote again on its restored state? Pure: it compares what the
// journal says (restore.ts) with what the venue says now, and either resumes with the few
// corrections that are exact, or halts with a reason an operator can act on. It never guesses a
// position: whatever the venue shows that the journal cannot explain exactly halts the market.
//
// Exact corrections:
// - a venue order the journal does not know (placed just before the crash), with nothing
//   filled, or with exactly the lots the journal booked for its client id → an orphan, for the
//   order manager's orphan policy (adopt or cancel);
// - a venue order whose cumulative filled exceeds the journal's, when it is post-only (it can
//   only have filled at its limit price, as a maker) → the missing lots, to journal and book;
// - a restored order no longer on the venue with nothing left to fill → closed.
// Everything else (an order gone with lots unfilled: filled or cancelled while we were down?)
// needs the venue's position to decide; without it the market halts.
import { sideSign, type Side } from '../market/types.js';
import type { VenueOrder } from '../venues/venue.js';
import type { StoredOrder } from './records.js';
import type { RestoredMarket } from './restore.js';

export interface RecoveryInput {
  readonly restored: RestoredMarket;
  /** `venue.openOrders(symbol)` now. */
  readonly venueOrders: readonly VenueOrder[];
  /** The ledger's position after restoring the checkpoint and booking `fillsToReplay`, lots. */
  readonly ledgerLots: number;
  /** The venue's own view of our position in this market, lots, when it has one (e.g. an account balance). */
  readonly venuePositionLots?: number;
}

export interface MissedFill {
  readonly clientId: string;
  readonly side: Side;
  /** The order's limit price, ticks: a post-only order fills nowhere else. */
  readonly price: number;
  readonly lots: number;
  /** The order's cumulative filled lots once booked (the fill id the journal uses for it). */
  readonly filledAfter: number;
}

export type HaltCode =
  | 'corrupt-state' // a record in Redis could not be decoded
  | 'journal-gap' // journal entries after the checkpoint were dropped
  | 'fills-unjournaled' // the venue shows fills the journal lacks and their price is not certain
  | 'journal-ahead-of-venue' // the journal has fills the venue does not show
  | 'order-gone-unexplained' // an order with unfilled lots left the venue and nothing says how
  | 'position-mismatch'; // the venue's position differs from the journal's

export type RecoveryDecision =
  | {
      readonly action: 'resume';
      /** On the venue, unknown to the restored state, fills (if any) already journaled: adopt or cancel. */
      readonly orphans: readonly VenueOrder[];
      /** Restored live orders not on the venue, explained (nothing left to fill, or the venue's position agrees): close them. */
      readonly gone: readonly StoredOrder[];
      /** Journal, then book, before quoting. */
      readonly missedFills: readonly MissedFill[];
      /** The position once `missedFills` are booked, lots. */
      readonly positionLots: number;
    }
  | { readonly action: 'halt'; readonly code: HaltCode; readonly reason: string };

const halt = (code: HaltCode, reason: string): RecoveryDecision => ({ action: 'halt', code, reason });

export function decideRecovery(input: RecoveryInput): RecoveryDecision {
  const { restored, venueOrders } = input;
  const symbol = restored.symbol;
  if (restored.problems.length > 0) return halt('corrupt-state', `${symbol}: unreadable state in Redis: ${restored.problems.join('; ')}`);
  if (restored.gaps.length > 0) {
    const count = restored.gaps.reduce((n, g) => n + g.count, 0);
    const { first } = restored.gaps[0] as { first: number };
    const { last } = restored.gaps[restored.gaps.length - 1] as { last: number };
    return halt('journal-gap', `${symbol}: ${count} journal entries (seq ${first}..${last}) were dropped while Redis was unreachable; fills may be missing`);
  }

  const known = new Map<string, StoredOrder>();
  for (const o of [...restored.closedOrders, ...restored.openOrders]) known.set(o.clientId, o);
  const orphans: VenueOrder[] = [];
  const missedFills: MissedFill[] = [];
  const onVenue = new Set<string>();

  for (const v of venueOrders) {
    if (v.symbol !== symbol) continue;
    onVenue.add(v.clientId);
    const order = known.get(v.clientId);
    const journaled = order?.filled ?? restored.fillsOfUnknownOrders.get(v.clientId) ?? 0;
    if (v.filled < journaled) {
      return halt('journal-ahead-of-venue', `${symbol}: order ${v.clientId}: the journal booked ${journaled} lots, the venue shows ${v.filled} filled`);
    }
    if (order === undefined) {
      if (v.filled > journaled) {
        return halt('fills-unjournaled', `${symbol}: order ${v.clientId} on the venue has ${v.filled - journaled} filled lots the journal lacks, at a price it cannot know`);
      }
      orphans.push(v);
      continue;
    }
    if (v.filled > journaled) {
      if (!order.postOnly) {
        return halt('fills-unjournaled', `${symbol}: order ${v.clientId} has ${v.filled - journaled} filled lots the journal lacks; it is not post-only, so their price is not certain`);
      }
      missedFills.push({ clientId: v.clientId, side: order.side, price: order.price, lots: v.filled - journaled, filledAfter: v.filled });
    }
  }

  const gone = restored.openOrders.filter((o) => !onVenue.has(o.clientId));
  const positionLots = missedFills.reduce((lots, f) => lots + sideSign(f.side) * f.lots, input.ledgerLots);
  if (input.venuePositionLots !== undefined) {
    if (input.venuePositionLots !== positionLots) {
      return halt('position-mismatch', `${symbol}: the venue's position is ${input.venuePositionLots} lots, the journal's ${positionLots}`);
    }
  } else {
    const unexplained = gone.find((o) => o.filled < o.size);
    if (unexplained !== undefined) {
      const left = unexplained.size - unexplained.filled;
      return halt(
        'order-gone-unexplained',
        `${symbol}: order ${unexplained.clientId} (${unexplained.state}, ${left} of ${unexplained.size} lots unfilled) is no longer on the venue, ` +
          'and the venue reports no position to tell whether it filled or was cancelled',
      );
    }
  }
  return { action: 'resume', orphans, gone, missedFills, positionLots };
}
