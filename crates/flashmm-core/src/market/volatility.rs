//! σ of the mid from irregularly sampled mids, fed exchange time only (a replay and a live run
//! give the same estimate).

use crate::options::{OptionError, non_negative, positive};

const NS_PER_S: f64 = 1e9;

/// Options of [`EwmaVolatility`]; times in seconds, σ in ticks/√s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolatilityOptions {
    /// Weight of a sample halves after this long: the estimator's window.
    pub half_life_s: f64,
    /// Returns are taken over at least this long: sub-second mid bounce would inflate σ.
    pub min_sample_s: f64,
    /// A longer gap (disconnect, stale book) restarts the return chain instead of using it.
    pub max_gap_s: f64,
    /// σ assumed before data: the EWMA starts from it and blends towards the data.
    pub prior_sigma: f64,
    /// Seconds of returns observed before [`EwmaVolatility::ready`] (`None`: one half-life).
    pub warmup_s: Option<f64>,
}

impl Default for VolatilityOptions {
    fn default() -> Self {
        Self { half_life_s: 60.0, min_sample_s: 1.0, max_gap_s: 30.0, prior_sigma: 1.0, warmup_s: None }
    }
}

impl VolatilityOptions {
    pub fn validate(&self) -> Result<(), OptionError> {
        positive("halfLifeSeconds", self.half_life_s)?;
        non_negative("minSampleSeconds", self.min_sample_s)?;
        positive("maxGapSeconds", self.max_gap_s)?;
        positive("priorSigma", self.prior_sigma)?;
        self.warmup_s.map_or(Ok(()), |w| non_negative("warmupSeconds", w))
    }
}

/// σ in ticks/√s from mid returns under irregular sampling: each return Δs over Δt seconds gives
/// an unbiased sample (Δs/√Δt)² of σ² for a Brownian mid, and samples are averaged with weight
/// α = 1 − 2^(−Δt/halfLife), so the weighting is by time, not by update count. The effective
/// window (mean age of the weights) is halfLife/ln 2 ≈ 1.44 half-lives.
#[derive(Clone, Debug)]
pub struct EwmaVolatility {
    options: VolatilityOptions,
    variance: f64,
    last: Option<(f64, i64)>,
    observed_s: f64,
}

impl EwmaVolatility {
    pub fn new(options: VolatilityOptions) -> Result<Self, OptionError> {
        options.validate()?;
        Ok(Self { options, variance: options.prior_sigma * options.prior_sigma, last: None, observed_s: 0.0 })
    }

    /// The mid (ticks) at exchange time `ts_ns`.
    pub fn update(&mut self, mid: f64, ts_ns: i64) {
        if !mid.is_finite() {
            return;
        }
        let Some((last_mid, last_ns)) = self.last else {
            self.last = Some((mid, ts_ns));
            return;
        };
        let dt = (ts_ns - last_ns) as f64 / NS_PER_S;
        // Too soon: keep the older reference so the next return spans at least min_sample_s.
        if dt < self.options.min_sample_s || dt <= 0.0 {
            return;
        }
        if dt <= self.options.max_gap_s {
            let r = mid - last_mid;
            let alpha = 1.0 - 2f64.powf(-dt / self.options.half_life_s);
            self.variance += alpha * ((r * r) / dt - self.variance);
            self.observed_s += dt;
        }
        self.last = Some((mid, ts_ns));
    }

    /// Current σ, ticks/√s (the prior until data arrive).
    pub fn sigma(&self) -> f64 {
        self.variance.sqrt()
    }

    /// Warm-up seconds of returns have been seen; before that σ leans on the prior.
    pub fn ready(&self) -> bool {
        self.observed_s >= self.options.warmup_s.unwrap_or(self.options.half_life_s)
    }
}
