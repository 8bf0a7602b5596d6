// Avellaneda & Stoikov, "High-frequency trading in a limit order book", Quantitative Finance
// 8(3):217-224, 2008. Units: prices in ticks, time in seconds, σ in ticks/√s, γ in 1/tick,
// k in 1/tick; q is the inventory deviation in order sizes (the paper's orders are of unit size,
// so q counts orders, not lots).

/** Both optimal quotes of a model, as float prices in ticks (rounding belongs to the ladder). */
export interface ModelQuotes {
  /** Indifference price the quotes are centred on. */
  readonly reservation: number;
  /** -Infinity when the model posts no bid (inventory at its bound). */
  readonly bid: number;
  /** +Infinity when the model posts no ask. */
  readonly ask: number;
}

/** The order-arrival term (1/γ)·ln(1 + γ/k), shared by AS and GLFT; tends to 1/k as γ → 0. */
export function liquidityHalfSpread(gamma: number, k: number): number {
  return Math.log1p(gamma / k) / gamma;
}

/** AS eq. (29): r = s − q·γ·σ²·τ. */
export function reservationPrice(s: number, q: number, gamma: number, sigma: number, tau: number): number {
  return s - q * gamma * sigma * sigma * tau;
}

/** AS eq. (30): δᵃ + δᵇ = γ·σ²·τ + (2/γ)·ln(1 + γ/k). */
export function optimalSpread(gamma: number, sigma: number, tau: number, k: number): number {
  return gamma * sigma * sigma * tau + 2 * liquidityHalfSpread(gamma, k);
}

export interface AsInput {
  /** Reference price s, ticks. */
  readonly s: number;
  readonly q: number;
  readonly gamma: number;
  readonly sigma: number;
  readonly k: number;
}

/** Finite horizon: quotes r ∓ spread/2 with τ = T − t seconds to the end of the session. */
export function asQuotes(input: AsInput & { readonly tau: number }): ModelQuotes {
  const { s, q, gamma, sigma, k, tau } = input;
  const reservation = reservationPrice(s, q, gamma, sigma, tau);
  const half = optimalSpread(gamma, sigma, tau, k) / 2;
  return { reservation, bid: reservation - half, ask: reservation + half };
}

/**
 * Infinite horizon, AS section 2.4: with a discount ω the stationary reservation prices are
 *   rᵃ = s + (1/γ)·ln(1 + (1 − 2q)·γ²σ² / (2ω − γ²q²σ²))
 *   rᵇ = s + (1/γ)·ln(1 + (−1 − 2q)·γ²σ² / (2ω − γ²q²σ²)),
 * admissible for ω > ½γ²σ²q². We take ω = ½γ²σ²(qMax + 1)² (the paper's suggestion, bounding
 * the inventory by qMax); then γ²σ² cancels and the fraction is (±1 − 2q)/((qMax + 1)² − q²).
 * At q = qMax the bid's log argument reaches 0 (no bid), but at q = −qMax the ask's is 2: the
 * pair is not mirror-symmetric, so the quoter applies the bound |q| < qMax to both sides itself.
 * Even at q = 0 the pair is slightly asymmetric (ln(1 + x) ≠ −ln(1 − x)); that is the paper's.
 * As in the finite case (AS eqs. 12-13) the quotes add the order-arrival term:
 * bid = rᵇ − (1/γ)ln(1 + γ/k), ask = rᵃ + (1/γ)ln(1 + γ/k).
 */
export function asInfiniteHorizonQuotes(input: AsInput & { readonly qMax: number }): ModelQuotes {
  const { s, q, gamma, k, qMax } = input;
  const denominator = (qMax + 1) ** 2 - q * q;
  const liquidity = liquidityHalfSpread(gamma, k);
  const side = (numerator: number): number => {
    const argument = 1 + numerator / denominator;
    return denominator > 0 && argument > 0 ? Math.log(argument) / gamma : Number.NaN;
  };
  const askOffset = side(1 - 2 * q);
  const bidOffset = side(-1 - 2 * q);
  const ask = Number.isNaN(askOffset) ? Number.POSITIVE_INFINITY : s + askOffset + liquidity;
  const bid = Number.isNaN(bidOffset) ? Number.NEGATIVE_INFINITY : s + bidOffset - liquidity;
  // The paper defines the reservation price as the average of rᵃ and rᵇ.
  const reservation = Number.isFinite(ask) && Number.isFinite(bid) ? (ask + bid) / 2 : s;
  return { reservation, bid, ask };
}
