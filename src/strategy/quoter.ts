// One quote decision: reference price (+ forecast skew) → model quotes around it → inventory
// bound and forecast widening → ladder of whole-tick orders → refresh tolerance against what is
// live. Pure given its input: the core's estimates come in (MarketState.decisionInputs), nothing is remembered.
import type { BookTop, DesiredQuote } from '../market/types.js';
import { asInfiniteHorizonQuotes, asQuotes, type ModelQuotes } from './as.js';
import type { QuotingConfig } from './config.js';
import type { Intensity } from '../native.js';
import { fixedQuotes } from './fixed.js';
import { glftQuotes } from './glft.js';
import { buildLadder } from './ladder.js';
import { applyRefreshTolerance, type LiveQuote } from './refresh.js';
import { forecastSkewTicks, spreadMultiplier, type Forecast } from './skew.js';

export interface QuoteInput {
  readonly book: BookTop;
  /** Signed position, lots. */
  readonly inventory: number;
  readonly nowNs: bigint;
  /** σ of the mid, ticks/√s. */
  readonly volatility: number;
  readonly intensity: Intensity;
  readonly forecast?: Forecast;
  /** Our resting orders; when given, the refresh tolerance keeps those close enough. */
  readonly liveQuotes?: readonly LiveQuote[];
}

export interface QuoteDecision {
  readonly quotes: DesiredQuote[];
  /** Reference price after the forecast skew, ticks. */
  readonly reference: number;
  readonly reservation: number;
  /** Distances of the unrounded best bid/ask from the reference, ticks (Infinity: side off). */
  readonly halfSpreads: { readonly bid: number; readonly ask: number };
  readonly skewTicks: number;
  readonly spreadMultiplier: number;
  /** Why the decision has no quotes (or fewer than asked), for logs and the API. */
  readonly reason?: string;
}

export interface Quoter {
  readonly kind: QuotingConfig['kind'];
  quote(input: QuoteInput): QuoteDecision;
}

const NS_PER_S = 1_000_000_000n;

/** Seconds left in the session containing nowNs (sessions aligned to the epoch). */
export function secondsToSessionEnd(nowNs: bigint, sessionSeconds: number): number {
  const sessionNs = BigInt(Math.round(sessionSeconds * 1e9));
  const intoSession = ((nowNs % sessionNs) + sessionNs) % sessionNs;
  return Number(sessionNs - intoSession) / Number(NS_PER_S);
}

function noQuotes(reference: number, reason: string): QuoteDecision {
  return {
    quotes: [], reference, reservation: reference, halfSpreads: { bid: Number.NaN, ask: Number.NaN },
    skewTicks: 0, spreadMultiplier: 1, reason,
  };
}

function bookProblem(book: BookTop): string | undefined {
  const { bid, ask, mid } = book;
  if (!(bid.size > 0 && ask.size > 0)) return 'book is one-sided';
  if (!(Number.isFinite(bid.price) && Number.isFinite(ask.price) && Number.isFinite(mid))) return 'book has no prices';
  if (bid.price >= ask.price) return 'book is crossed or locked';
  return undefined;
}

function estimateProblem(config: QuotingConfig, input: QuoteInput): string | undefined {
  if (config.kind === 'fixed') return undefined;
  if (!(Number.isFinite(input.volatility) && input.volatility >= 0)) return 'no volatility estimate';
  const { A, k } = input.intensity;
  if (!(A > 0 && k > 0 && Number.isFinite(A) && Number.isFinite(k))) return 'no intensity estimate';
  return undefined;
}

function modelQuotes(config: QuotingConfig, s: number, q: number, input: QuoteInput): ModelQuotes {
  const sigma = input.volatility;
  const { A, k } = input.intensity;
  switch (config.kind) {
    case 'fixed': {
      const half = { unit: config.fixed.halfSpreadUnit, value: config.fixed.halfSpread } as const;
      return fixedQuotes(s, q, half, config.fixed.skewTicksPerOrder);
    }
    case 'as': {
      const { gamma, horizon, sessionSeconds } = config.as;
      return horizon === 'infinite'
        ? asInfiniteHorizonQuotes({ s, q, gamma, sigma, k, qMax: config.maxInventoryOrders })
        : asQuotes({ s, q, gamma, sigma, k, tau: secondsToSessionEnd(input.nowNs, sessionSeconds) });
    }
    case 'glft':
      return glftQuotes(s, q, { gamma: config.glft.gamma, sigma, A, k });
  }
}

export function createQuoter(config: QuotingConfig): Quoter {
  const quote = (input: QuoteInput): QuoteDecision => {
    const { book, forecast } = input;
    const base = config.reference === 'micro' && Number.isFinite(book.microPrice) ? book.microPrice : book.mid;
    const problem = bookProblem(book) ?? estimateProblem(config, input);
    if (problem !== undefined) return noQuotes(base, problem);

    const skewTicks = forecastSkewTicks(forecast, config.skew);
    const reference = base + skewTicks;
    const q = (input.inventory - config.inventoryTargetLots) / config.orderSizeLots;
    const model = modelQuotes(config, reference, q, input);
    if (Number.isNaN(model.bid) || Number.isNaN(model.ask)) return noQuotes(reference, 'model produced no price');

    // Widen both sides about the reservation price so the inventory skew is preserved.
    const multiplier = spreadMultiplier(forecast, input.volatility, config.skew);
    const r = model.reservation;
    let bid = r - multiplier * (r - model.bid);
    let ask = r + multiplier * (model.ask - r);
    const qMax = config.maxInventoryOrders;
    if (q >= qMax) bid = Number.NEGATIVE_INFINITY;
    if (q <= -qMax) ask = Number.POSITIVE_INFINITY;

    let quotes = buildLadder(bid, ask, book, config.ladder);
    if (input.liveQuotes !== undefined) quotes = applyRefreshTolerance(input.liveQuotes, quotes, config.refresh);
    const decision = {
      quotes, reference, reservation: r, halfSpreads: { bid: reference - bid, ask: ask - reference },
      skewTicks, spreadMultiplier: multiplier,
    };
    return quotes.length > 0 ? decision : { ...decision, reason: 'no level survived the ladder (band, sizes, inventory)' };
  };
  return { kind: config.kind, quote };
}
