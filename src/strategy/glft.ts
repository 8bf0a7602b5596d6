// Guéant, Lehalle & Fernandez-Tapia, "Dealing with the inventory risk: a solution to the market
// making problem", Mathematics and Financial Economics 7:477-507 (2013), arXiv:1105.3115,
// section 4 (closed-form approximations of the asymptotic quotes, restated with ξ = 0 in the
// section 5.2 / 6 discussion of market impact); also Guéant, "Optimal market making", Applied
// Mathematical Finance 24(2), 2017, with ξ = γ and unit order size Δ = 1:
//   δᵇ(q) ≈ (1/γ)·ln(1 + γ/k) + ((2q + 1)/2)·√( σ²γ/(2kA) · (1 + γ/k)^(1 + k/γ) )
//   δᵃ(q) ≈ (1/γ)·ln(1 + γ/k) − ((2q − 1)/2)·√( σ²γ/(2kA) · (1 + γ/k)^(1 + k/γ) )
// δ are distances from the reference price s (bid = s − δᵇ, ask = s + δᵃ). Units as in as.ts;
// A in 1/s. There is no horizon: these are the T → ∞ limits, suited to 24/7 markets.
import { liquidityHalfSpread, type ModelQuotes } from './as.js';

export interface GlftParams {
  readonly gamma: number;
  readonly sigma: number;
  /** Arrival rate of market orders at distance 0, 1/s. */
  readonly A: number;
  /** Decay of arrivals with distance, 1/tick. */
  readonly k: number;
}

/** √(σ²γ/(2kA)·(1 + γ/k)^(1 + k/γ)): the inventory-risk unit, in ticks per order of inventory. */
export function glftInventoryCoefficient(p: GlftParams): number {
  const { gamma, sigma, A, k } = p;
  // (1 + γ/k)^(1 + k/γ) computed in log space: for γ ≪ k the exponent is large.
  const growth = Math.exp((1 + k / gamma) * Math.log1p(gamma / k));
  return Math.sqrt(((sigma * sigma * gamma) / (2 * k * A)) * growth);
}

/** The approximate optimal distances from the reference price for inventory q (order sizes). */
export function glftHalfSpreads(q: number, p: GlftParams): { readonly bid: number; readonly ask: number } {
  const liquidity = liquidityHalfSpread(p.gamma, p.k);
  const c = glftInventoryCoefficient(p);
  return { bid: liquidity + ((2 * q + 1) / 2) * c, ask: liquidity - ((2 * q - 1) / 2) * c };
}

/** Quotes around s; the reservation (centre) is s − q·c because δᵃ − δᵇ = −2q·c. */
export function glftQuotes(s: number, q: number, p: GlftParams): ModelQuotes {
  const delta = glftHalfSpreads(q, p);
  const bid = s - delta.bid;
  const ask = s + delta.ask;
  return { reservation: (bid + ask) / 2, bid, ask };
}
