// Quote math against hand-computed examples. Units: ticks, seconds, σ in ticks/√s, k in 1/tick.
import { describe, expect, it } from 'vitest';
import {
  asInfiniteHorizonQuotes,
  asQuotes,
  liquidityHalfSpread,
  optimalSpread,
  reservationPrice,
} from '../src/strategy/as.js';
import { fixedQuotes, halfSpreadTicks } from '../src/strategy/fixed.js';
import { glftHalfSpreads, glftInventoryCoefficient, glftQuotes } from '../src/strategy/glft.js';

// ln(1 + 0.1/1.5) = ln(16/15) = 0.0645385211375712
const LN_16_15 = 0.0645385211375712;

describe('Avellaneda–Stoikov, finite horizon', () => {
  // s = 100, q = 2, γ = 0.1, σ = 2, τ = 0.5, k = 1.5
  const p = { s: 100, q: 2, gamma: 0.1, sigma: 2, k: 1.5, tau: 0.5 };

  it('reservation price r = s − qγσ²τ', () => {
    // r = 100 − 2·0.1·4·0.5 = 100 − 0.4 = 99.6
    expect(reservationPrice(p.s, p.q, p.gamma, p.sigma, p.tau)).toBeCloseTo(99.6, 12);
  });

  it('spread γσ²τ + (2/γ)ln(1 + γ/k)', () => {
    // 0.1·4·0.5 + 20·0.0645385211 = 0.2 + 1.2907704228 = 1.4907704228
    expect(optimalSpread(p.gamma, p.sigma, p.tau, p.k)).toBeCloseTo(0.2 + 20 * LN_16_15, 12);
    expect(optimalSpread(p.gamma, p.sigma, p.tau, p.k)).toBeCloseTo(1.4907704228, 9);
  });

  it('quotes r ∓ spread/2', () => {
    // bid = 99.6 − 0.7453852114 = 98.8546147886, ask = 99.6 + 0.7453852114 = 100.3453852114
    const quotes = asQuotes(p);
    expect(quotes.reservation).toBeCloseTo(99.6, 12);
    expect(quotes.bid).toBeCloseTo(98.8546147886, 9);
    expect(quotes.ask).toBeCloseTo(100.3453852114, 9);
  });

  it('flat inventory and τ → 0 leave only the liquidity term around s', () => {
    // (1/γ)ln(1 + γ/k) = 10·0.0645385211 = 0.6453852114 each side
    const quotes = asQuotes({ ...p, q: 0, tau: 0 });
    expect(quotes.bid).toBeCloseTo(100 - 0.6453852114, 9);
    expect(quotes.ask).toBeCloseTo(100 + 0.6453852114, 9);
  });

  it('liquidity term tends to 1/k as γ → 0', () => {
    expect(liquidityHalfSpread(1e-9, 2)).toBeCloseTo(0.5, 6);
  });
});

describe('Avellaneda–Stoikov, infinite horizon (section 2.4, ω = ½γ²σ²(qMax+1)²)', () => {
  // s = 100, q = 2, γ = 0.1, σ = 2, k = 1.5, qMax = 4 → (qMax+1)² − q² = 25 − 4 = 21
  const p = { s: 100, q: 2, gamma: 0.1, sigma: 2, k: 1.5, qMax: 4 };

  it('matches the stationary reservation prices plus the liquidity term', () => {
    // rᵃ = 100 + 10·ln(1 + (1 − 4)/21) = 100 + 10·ln(6/7)  = 100 − 1.5415067983
    // rᵇ = 100 + 10·ln(1 + (−1 − 4)/21) = 100 + 10·ln(16/21) = 100 − 2.7193371548
    // ask = rᵃ + 0.6453852114 = 99.1038784131; bid = rᵇ − 0.6453852114 = 96.6352776338
    const quotes = asInfiniteHorizonQuotes(p);
    expect(quotes.ask).toBeCloseTo(99.1038784131, 9);
    expect(quotes.bid).toBeCloseTo(96.6352776338, 9);
    expect(quotes.reservation).toBeCloseTo((99.1038784131 + 96.6352776338) / 2, 9);
  });

  it('does not depend on σ once ω is tied to it', () => {
    const a = asInfiniteHorizonQuotes(p);
    const b = asInfiniteHorizonQuotes({ ...p, sigma: 7 });
    expect(b.bid).toBeCloseTo(a.bid, 12);
    expect(b.ask).toBeCloseTo(a.ask, 12);
  });

  it('at q = 0 is nearly (not exactly) symmetric; drops the bid at q = qMax (log argument 0)', () => {
    // q = 0: ask = 100 + 10·ln(26/25) + 0.6453852114 = 101.0375923429
    //        bid = 100 + 10·ln(24/25) − 0.6453852114 =  98.9463948434 (ln(1−x) ≠ −ln(1+x))
    const flat = asInfiniteHorizonQuotes({ ...p, q: 0 });
    expect(flat.ask).toBeCloseTo(101.0375923429, 9);
    expect(flat.bid).toBeCloseTo(98.9463948434, 9);
    // q = 4: (−1 − 8)/(25 − 16) = −1 → ln(0): no bid; ask = 100 + 10·ln(2/9) + 0.645…
    const full = asInfiniteHorizonQuotes({ ...p, q: 4 });
    expect(full.bid).toBe(Number.NEGATIVE_INFINITY);
    expect(full.ask).toBeCloseTo(100 + 10 * Math.log(2 / 9) + 10 * LN_16_15, 9);
    // The paper's pair is not mirror-symmetric in q: at q = −qMax the ask's argument is
    // 1 + 9/9 = 2, so ask = 100 + 10·ln 2 + 0.6453852114 = 107.5768570170. The quoter's
    // inventory bound (no ask at q ≤ −qMax) makes the two sides symmetric again.
    const short = asInfiniteHorizonQuotes({ ...p, q: -4 });
    expect(short.ask).toBeCloseTo(107.576857017, 8);
  });
});

describe('Guéant–Lehalle–Fernandez-Tapia closed form', () => {
  // γ = 0.1, σ = 2, A = 2, k = 1.5
  // σ²γ/(2kA) = 4·0.1/(2·1.5·2) = 0.0666667; (1 + γ/k)^(1 + k/γ) = (16/15)^16 = 2.8084039656
  // c = √(0.0666667·2.8084039656) = √0.1872269310 = 0.4326972741
  // (1/γ)ln(1 + γ/k) = 0.6453852114
  const p = { gamma: 0.1, sigma: 2, A: 2, k: 1.5 };

  it('inventory coefficient', () => {
    expect(glftInventoryCoefficient(p)).toBeCloseTo(0.4326972741, 9);
  });

  it('q = 1: δᵇ = 0.645385 + 1.5·c, δᵃ = 0.645385 − 0.5·c', () => {
    // δᵇ = 0.6453852114 + 0.6490459112 = 1.2944311226; δᵃ = 0.6453852114 − 0.2163486371 = 0.4290365743
    const d = glftHalfSpreads(1, p);
    expect(d.bid).toBeCloseTo(1.2944311226, 9);
    expect(d.ask).toBeCloseTo(0.4290365743, 9);
  });

  it('q = 0 is symmetric: 0.645385 + 0.5·c each side', () => {
    const d = glftHalfSpreads(0, p);
    expect(d.bid).toBeCloseTo(0.8617338484, 9);
    expect(d.ask).toBeCloseTo(0.8617338484, 9);
  });

  it('quotes around s with reservation s − q·c', () => {
    // s = 250, q = −2: reservation = 250 + 2·0.4326972741 = 250.8653945483
    const quotes = glftQuotes(250, -2, p);
    expect(quotes.reservation).toBeCloseTo(250.8653945483, 9);
    expect(quotes.ask - quotes.bid).toBeCloseTo(2 * 0.6453852114 + 0.4326972741, 9);
  });
});

describe('fixed spread baseline', () => {
  it('ticks: r = s − q·skew, quotes r ∓ half', () => {
    // s = 100, q = 2, half = 1.5 ticks, skew 0.25/order → r = 99.5, bid 98, ask 101
    expect(fixedQuotes(100, 2, { unit: 'ticks', value: 1.5 }, 0.25)).toEqual({ reservation: 99.5, bid: 98, ask: 101 });
  });

  it('bps are of the price in ticks', () => {
    // s = 1000 ticks, 2 bps → 1000·2/10000 = 0.2 ticks; q = 3, skew 0.5 → r = 998.5
    expect(halfSpreadTicks({ unit: 'bps', value: 2 }, 1000)).toBeCloseTo(0.2, 12);
    const quotes = fixedQuotes(1000, 3, { unit: 'bps', value: 2 }, 0.5);
    expect(quotes.bid).toBeCloseTo(998.3, 12);
    expect(quotes.ask).toBeCloseTo(998.7, 12);
  });
});
