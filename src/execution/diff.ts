// Desired quotes vs live orders → what to keep, cancel and place. Pure functions, shared by the
// order manager (to build the batch) and the risk filter (to know which desired quotes are
// already resting, so their size is not counted twice in the worst case).
import type { DesiredQuote } from '../market/types.js';
import { leaves, type ManagedOrder } from './order-state.js';

export type LiveOrderView = Readonly<Pick<ManagedOrder, 'clientId' | 'side' | 'price' | 'size' | 'filled' | 'level' | 'state'>>;

export interface QuoteDiff {
  /** Live orders that already serve a desired quote, with the level they now serve. */
  readonly keep: readonly { readonly clientId: string; readonly level: number }[];
  readonly cancel: readonly string[];
  readonly place: readonly DesiredQuote[];
  /** Wanted, but their level still has an unanswered place (or an unknown order): next round. */
  readonly blocked: readonly DesiredQuote[];
}

/** Orders a desired quote may be matched to: not being cancelled, not in doubt. */
function matchable(order: LiveOrderView): boolean {
  return order.state === 'pending' || order.state === 'open' || order.state === 'partially-filled';
}

/**
 * Same side and price, and either the same original size (a partial fill keeps its queue
 * place) or remaining size equal to the wanted size.
 */
export function quoteMatchesOrder(quote: DesiredQuote, order: LiveOrderView): boolean {
  return (
    matchable(order) &&
    order.side === quote.side &&
    order.price === quote.price &&
    (order.size === quote.size || leaves(order) === quote.size)
  );
}

/** Desired quotes in level order (closest to the touch first), stable within a level. */
export function byLevel(desired: readonly DesiredQuote[]): DesiredQuote[] {
  return desired
    .map((quote, index) => ({ quote, index }))
    .sort((a, b) => a.quote.level - b.quote.level || a.index - b.index)
    .map(({ quote }) => quote);
}

/**
 * Pairs desired quotes with live orders, each order serving at most one quote; a live order
 * on the same level is preferred. Returns, per quote (in `desired` order), the clientId or null.
 */
export function matchQuotes(desired: readonly DesiredQuote[], live: readonly LiveOrderView[]): (string | null)[] {
  const used = new Set<string>();
  const pick = (quote: DesiredQuote, sameLevel: boolean): string | null => {
    const found = live.find(
      (order) => !used.has(order.clientId) && (!sameLevel || order.level === quote.level) && quoteMatchesOrder(quote, order),
    );
    if (found === undefined) return null;
    used.add(found.clientId);
    return found.clientId;
  };
  const result: (string | null)[] = desired.map((quote) => pick(quote, true));
  return result.map((id, i) => id ?? pick(desired[i] as DesiredQuote, false));
}

export function diffQuotes(desired: readonly DesiredQuote[], live: readonly LiveOrderView[]): QuoteDiff {
  const ordered = byLevel(desired);
  const matches = matchQuotes(ordered, live);
  const keep: { clientId: string; level: number }[] = [];
  const wanted: DesiredQuote[] = [];
  matches.forEach((clientId, i) => {
    const quote = ordered[i] as DesiredQuote;
    if (clientId === null) wanted.push(quote);
    else keep.push({ clientId, level: quote.level });
  });
  const kept = new Set(keep.map((k) => k.clientId));
  const unwanted = live.filter((order) => !kept.has(order.clientId));
  // A pending place is cancelled only once acknowledged (a cancel racing its own place is
  // refused by most venues); resting unwanted orders are cancelled now.
  const cancel = unwanted.filter((o) => o.state === 'open' || o.state === 'partially-filled').map((o) => o.clientId);
  // Never a second place on a level whose earlier order is still unanswered or in doubt.
  const busy = new Set(
    unwanted.filter((o) => o.state === 'pending' || o.state === 'unknown').map((o) => `${o.side}:${o.level}`),
  );
  const place: DesiredQuote[] = [];
  const blocked: DesiredQuote[] = [];
  for (const quote of wanted) (busy.has(`${quote.side}:${quote.level}`) ? blocked : place).push(quote);
  return { keep, cancel, place, blocked };
}
