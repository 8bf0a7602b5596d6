//! The market of Avellaneda & Stoikov (2008), "High-frequency trading in a limit order book",
//! Quantitative Finance 8(3), section 3.3, and the study that compares their inventory strategy
//! with a symmetric one.
//!
//! # The model, as simulated here
//!
//! Time runs in `N = T / dt` steps. At the start of step `n` (time `t = n·dt`) the dealer, with
//! mid `s` and inventory `q`, quotes a bid `pᵇ` and an ask `pᵃ`. During the step the mid moves
//! `s ← s ± σ·√dt` (up or down with probability ½), the bid is hit with probability
//! `λ(δᵇ)·dt` and the ask lifted with probability `λ(δᵃ)·dt`, independently, one unit each at
//! most, where `λ(δ) = A·exp(−k·δ)` (clipped to `[0, 1]`: a quote through the mid fills at
//! most once per step). The distances `δ` are measured from the mid *after* the move by
//! default ([`AsTiming::MoveThenFill`]: the quotes stand while the price moves, so a quote
//! the mid moved towards is more likely to fill; this reproduces the paper's tables, see
//! `docs/as2008.md`), or from the mid before it ([`AsTiming::FillThenMove`]). A fill
//! trades at the quote's price, whichever the timing.
//!
//! Cash starts at 0, inventory at 0, and the terminal profit is `cash + q·s(T)`.
//!
//! # Strategies
//!
//! * **Inventory** (the paper's): reservation price `r = s − q·γ·σ²·(T − t)`, total spread
//!   `δᵃ + δᵇ = γ·σ²·(T − t) + (2/γ)·ln(1 + γ/k)`, quotes `r ± spread/2`.
//! * **Symmetric**: quotes `s ± spread/2` with a constant spread; the study uses the average
//!   over the steps of the inventory strategy's spread ([`AsParams::average_inventory_spread`]).
//!
//! # Random numbers
//!
//! Each path has its own two PCG-64 streams (`rand_pcg::Pcg64`, seeded with
//! `seed_from_u64` of a SplitMix64 hash of the study seed, the path number and the stream):
//! one for the mid (a fair coin per step), shared by both strategies so that they see the
//! same price path (common random numbers, as in the paper's comparison), and one per strategy
//! for its fills (two Bernoulli draws per step, bid first). PCG is a specified algorithm, so a
//! seed gives the same numbers on every platform.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

/// Which mid a step's fill probabilities are measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AsTiming {
    /// The mid after the step's move (quotes posted at `s(t)` stand while the mid moves).
    MoveThenFill,
    /// The mid the quotes were computed from, then the mid moves.
    FillThenMove,
}

/// Parameters of the simulated market.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AsParams {
    /// Initial mid `s(0)`.
    pub s0: f64,
    /// Horizon `T`.
    pub horizon: f64,
    /// Volatility of the mid (price units per √time).
    pub sigma: f64,
    /// Step `dt`.
    pub dt: f64,
    /// Decay of the fill intensity with the distance to the mid.
    pub k: f64,
    /// Fill intensity at the mid.
    pub a: f64,
    pub timing: AsTiming,
}

impl AsParams {
    /// The paper's values: `s = 100, T = 1, σ = 2, dt = 0.005, k = 1.5, A = 140`.
    /// Fills measured from the mid after each move ([`AsTiming::MoveThenFill`]).
    pub const PAPER: Self =
        Self { s0: 100.0, horizon: 1.0, sigma: 2.0, dt: 0.005, k: 1.5, a: 140.0, timing: AsTiming::MoveThenFill };

    pub fn with_timing(mut self, timing: AsTiming) -> Self {
        self.timing = timing;
        self
    }

    /// Number of steps `T / dt`.
    pub fn steps(&self) -> usize {
        (self.horizon / self.dt).round() as usize
    }

    /// The inventory strategy's total spread `γσ²(T − t) + (2/γ)ln(1 + γ/k)` at time `t`.
    pub fn inventory_spread(&self, gamma: f64, t: f64) -> f64 {
        gamma * self.sigma * self.sigma * (self.horizon - t) + (2.0 / gamma) * (1.0 + gamma / self.k).ln()
    }

    /// The inventory strategy's spread averaged over the quoting steps `t = n·dt`,
    /// `n = 0 .. N−1` (it does not depend on the path).
    pub fn average_inventory_spread(&self, gamma: f64) -> f64 {
        let n = self.steps();
        (0..n).map(|i| self.inventory_spread(gamma, i as f64 * self.dt)).sum::<f64>() / n as f64
    }

    /// Probability that a quote at distance `delta` from the mid is filled within one step.
    pub fn fill_probability(&self, delta: f64) -> f64 {
        (self.a * (-self.k * delta).exp() * self.dt).clamp(0.0, 1.0)
    }
}

/// How the dealer quotes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AsStrategy {
    /// Avellaneda–Stoikov: quotes around the reservation price.
    Inventory { gamma: f64 },
    /// Quotes `s ± spread/2`, whatever the inventory.
    Symmetric { spread: f64 },
}

impl AsStrategy {
    /// Bid and ask at time `t` for mid `s` and inventory `q`.
    pub fn quotes(&self, p: &AsParams, s: f64, q: i64, t: f64) -> (f64, f64) {
        match *self {
            AsStrategy::Inventory { gamma } => {
                let r = s - q as f64 * gamma * p.sigma * p.sigma * (p.horizon - t);
                let half = p.inventory_spread(gamma, t) / 2.0;
                (r - half, r + half)
            }
            AsStrategy::Symmetric { spread } => (s - spread / 2.0, s + spread / 2.0),
        }
    }
}

/// What one path ended with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathOutcome {
    /// `cash + q·s(T)`.
    pub profit: f64,
    pub final_q: i64,
    pub bid_fills: u32,
    pub ask_fills: u32,
    /// Mean quoted spread over the steps.
    pub mean_spread: f64,
}

/// Runs one path. `price_rng` draws the mid's coin flips, `fill_rng` the fills.
pub fn simulate_path(p: &AsParams, strategy: AsStrategy, price_rng: &mut Pcg64, fill_rng: &mut Pcg64) -> PathOutcome {
    let n = p.steps();
    let step = p.sigma * p.dt.sqrt();
    let (mut s, mut q, mut cash) = (p.s0, 0i64, 0.0f64);
    let (mut bid_fills, mut ask_fills, mut spread_sum) = (0u32, 0u32, 0.0f64);
    for i in 0..n {
        let t = i as f64 * p.dt;
        let (bid, ask) = strategy.quotes(p, s, q, t);
        spread_sum += ask - bid;
        let moved = s + if price_rng.random_bool(0.5) { step } else { -step };
        let reference = match p.timing {
            AsTiming::MoveThenFill => moved,
            AsTiming::FillThenMove => s,
        };
        s = moved;
        if fill_rng.random_bool(p.fill_probability(reference - bid)) {
            q += 1;
            cash -= bid;
            bid_fills += 1;
        }
        if fill_rng.random_bool(p.fill_probability(ask - reference)) {
            q -= 1;
            cash += ask;
            ask_fills += 1;
        }
    }
    PathOutcome { profit: cash + q as f64 * s, final_q: q, bid_fills, ask_fills, mean_spread: spread_sum / n as f64 }
}

/// Sample mean and sample standard deviation (divisor `n − 1`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub std: f64,
    pub n: usize,
}

impl Summary {
    pub fn of(xs: impl IntoIterator<Item = f64>) -> Self {
        // Welford: one pass, numerically stable.
        let (mut n, mut mean, mut m2) = (0usize, 0.0f64, 0.0f64);
        for x in xs {
            n += 1;
            let d = x - mean;
            mean += d / n as f64;
            m2 += d * (x - mean);
        }
        let std = if n > 1 { (m2 / (n - 1) as f64).sqrt() } else { 0.0 };
        Self { mean, std, n }
    }

    /// Standard error of the mean, `std / √n`.
    pub fn se_mean(&self) -> f64 {
        self.std / (self.n as f64).sqrt()
    }

    /// Large-sample standard error of the standard deviation, `std / √(2(n − 1))` (exact for
    /// normal data; heavier tails make it larger).
    pub fn se_std(&self) -> f64 {
        self.std / (2.0 * (self.n.max(2) - 1) as f64).sqrt()
    }
}

/// One strategy's results over the paths of a study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StrategyStats {
    /// Mean quoted spread over steps and paths.
    pub spread: f64,
    pub profit: Summary,
    pub final_q: Summary,
    /// Mean number of fills (both sides) per path.
    pub fills: f64,
}

/// One row pair of the paper's tables: both strategies at one risk aversion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StudyRow {
    pub gamma: f64,
    pub inventory: StrategyStats,
    pub symmetric: StrategyStats,
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of stream `stream` of path `path` of a study seeded with `seed`.
pub fn path_rng(seed: u64, path: u64, stream: u64) -> Pcg64 {
    Pcg64::seed_from_u64(splitmix64(splitmix64(splitmix64(seed) ^ path) ^ stream))
}

fn stats(outcomes: &[PathOutcome]) -> StrategyStats {
    let n = outcomes.len().max(1) as f64;
    StrategyStats {
        spread: outcomes.iter().map(|o| o.mean_spread).sum::<f64>() / n,
        profit: Summary::of(outcomes.iter().map(|o| o.profit)),
        final_q: Summary::of(outcomes.iter().map(|o| o.final_q as f64)),
        fills: outcomes.iter().map(|o| f64::from(o.bid_fills + o.ask_fills)).sum::<f64>() / n,
    }
}

/// The study of section 3.3 at one `gamma`: `paths` paths of the inventory strategy and of the
/// symmetric strategy quoting the inventory strategy's average spread, on the same mid paths.
/// Streams: 0 = mid, 1 = inventory fills, 2 = symmetric fills.
pub fn study(p: &AsParams, gamma: f64, paths: usize, seed: u64) -> StudyRow {
    let symmetric = AsStrategy::Symmetric { spread: p.average_inventory_spread(gamma) };
    StudyRow {
        gamma,
        inventory: run_strategy(p, AsStrategy::Inventory { gamma }, paths, seed, 1),
        symmetric: run_strategy(p, symmetric, paths, seed, 2),
    }
}

/// `paths` paths of one strategy: mid from stream 0 of each path, fills from `fill_stream`.
pub fn run_strategy(p: &AsParams, strategy: AsStrategy, paths: usize, seed: u64, fill_stream: u64) -> StrategyStats {
    let outcomes: Vec<PathOutcome> = (0..paths as u64)
        .map(|path| simulate_path(p, strategy, &mut path_rng(seed, path, 0), &mut path_rng(seed, path, fill_stream)))
        .collect();
    stats(&outcomes)
}

/// The expected profit of the symmetric strategy with total spread `spread`, exactly, in this
/// discrete model. The mid is a martingale and the inventory is known before each move, so
/// inventory carried over a step earns nothing on average; what remains is each step's fills,
/// marked at the step's closing mid. With `h = spread/2` and `m = σ√dt`:
/// fill then move: `E = N·2·h·P(h)`; move then fill: `E = N·2·½[(h−m)P(h−m) + (h+m)P(h+m)]`
/// (the ask is lifted at distance `h ∓ m` from a mid that moved `±m`, and sold at `h ∓ m`
/// above it).
pub fn symmetric_expected_profit(p: &AsParams, spread: f64) -> f64 {
    let h = spread / 2.0;
    let per_side = match p.timing {
        AsTiming::FillThenMove => h * p.fill_probability(h),
        AsTiming::MoveThenFill => {
            let m = p.sigma * p.dt.sqrt();
            0.5 * ((h - m) * p.fill_probability(h - m) + (h + m) * p.fill_probability(h + m))
        }
    };
    p.steps() as f64 * 2.0 * per_side
}

/// One strategy's line in the paper's tables.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaperLine {
    pub spread: f64,
    pub profit: f64,
    pub std_profit: f64,
    pub final_q: f64,
    pub std_final_q: f64,
}

/// One of the paper's tables (1000 simulations each).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaperTable {
    pub table: u32,
    pub gamma: f64,
    pub inventory: PaperLine,
    pub symmetric: PaperLine,
}

const fn line(spread: f64, profit: f64, std_profit: f64, final_q: f64, std_final_q: f64) -> PaperLine {
    PaperLine { spread, profit, std_profit, final_q, std_final_q }
}

/// Avellaneda & Stoikov (2008), Tables 1–3. The paper's third table is at γ = 0.5.
pub const PAPER_TABLES: [PaperTable; 3] = [
    PaperTable {
        table: 1,
        gamma: 0.1,
        inventory: line(1.49, 62.94, 5.89, 0.10, 2.80),
        symmetric: line(1.49, 67.21, 13.43, -0.018, 8.66),
    },
    PaperTable {
        table: 2,
        gamma: 0.01,
        inventory: line(1.33, 66.78, 8.76, -0.02, 4.70),
        symmetric: line(1.33, 67.36, 13.40, -0.31, 8.65),
    },
    PaperTable {
        table: 3,
        gamma: 0.5,
        inventory: line(1.15, 33.92, 4.72, -0.02, 1.88),
        symmetric: line(1.15, 66.20, 14.53, 0.25, 9.06),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_match_the_formula() {
        let p = AsParams::PAPER;
        assert_eq!(p.steps(), 200);
        // γ = 0.1: 0.4·(1 − t) + 20·ln(1 + 0.1/1.5); average over t = 0 .. 0.995.
        let base = 20.0 * (1.0f64 + 0.1 / 1.5).ln();
        assert!((p.inventory_spread(0.1, 0.0) - (0.4 + base)).abs() < 1e-12);
        let avg = base + 0.4 * (1.0 - 0.995 / 2.0);
        assert!((p.average_inventory_spread(0.1) - avg).abs() < 1e-12);
    }

    #[test]
    fn quotes_skew_against_inventory() {
        let p = AsParams::PAPER;
        let s = AsStrategy::Inventory { gamma: 0.1 };
        let (b0, a0) = s.quotes(&p, 100.0, 0, 0.0);
        let (b1, a1) = s.quotes(&p, 100.0, 3, 0.0);
        assert!((a0 + b0) / 2.0 == 100.0);
        assert!(b1 < b0 && a1 < a0, "long inventory lowers both quotes");
        assert!(((a1 - b1) - (a0 - b0)).abs() < 1e-12, "the spread does not depend on q");
    }

    #[test]
    fn summary_is_the_sample_moments() {
        let s = Summary::of([1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_path_is_deterministic_for_its_seed() {
        let p = AsParams::PAPER;
        let run =
            || simulate_path(&p, AsStrategy::Inventory { gamma: 0.1 }, &mut path_rng(7, 3, 0), &mut path_rng(7, 3, 1));
        assert_eq!(run(), run());
    }
}
