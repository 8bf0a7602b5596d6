//! The order-arrival intensity λ(δ) = A·e^(−kδ) the quoting models need, from public trades'
//! distances to the mid, fed exchange time only.

use std::collections::{BTreeMap, VecDeque};

use crate::options::{OptionError, non_negative, positive};

const NS_PER_S: f64 = 1e9;

/// Options of [`IntensityEstimator`]; times in seconds, distances in ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntensityOptions {
    pub window_s: f64,
    /// Refit at most this often; between refits the last result is returned.
    pub refit_s: f64,
    /// Fewer trades in the window than this: no fit.
    pub min_trades: usize,
    /// Fewer distinct distance buckets than this: no fit (a line needs ≥ 2).
    pub min_buckets: usize,
    pub bucket_ticks: f64,
    /// Trades further than this from the mid are ignored (sweeps, bad prints).
    pub max_distance_ticks: f64,
    /// A (1/s) and k (1/tick) before a fit succeeds.
    pub prior: Intensity,
    pub min_k: f64,
    pub max_k: f64,
    /// Memory bound: the oldest trades are dropped beyond it.
    pub max_trades: usize,
}

impl Default for IntensityOptions {
    fn default() -> Self {
        Self {
            window_s: 300.0,
            refit_s: 10.0,
            min_trades: 30,
            min_buckets: 3,
            bucket_ticks: 1.0,
            max_distance_ticks: 50.0,
            prior: Intensity { a: 1.0, k: 0.5 },
            min_k: 0.01,
            max_k: 100.0,
            max_trades: 100_000,
        }
    }
}

impl IntensityOptions {
    pub fn validate(&self) -> Result<(), OptionError> {
        positive("windowSeconds", self.window_s)?;
        non_negative("refitSeconds", self.refit_s)?;
        if self.min_trades == 0 {
            return Err(OptionError::new("minTrades", "must be >= 1"));
        }
        if self.min_buckets < 2 {
            return Err(OptionError::new("minBuckets", "must be >= 2 (a line needs two points)"));
        }
        positive("bucketTicks", self.bucket_ticks)?;
        positive("maxDistanceTicks", self.max_distance_ticks)?;
        positive("priorA", self.prior.a)?;
        positive("priorK", self.prior.k)?;
        positive("minK", self.min_k)?;
        positive("maxK", self.max_k)?;
        if !(self.min_k <= self.prior.k && self.prior.k <= self.max_k) {
            // A rule across three keys: named by the section (`intensity: ...`) once nested.
            return Err(OptionError::new("", "need minK ≤ priorK ≤ maxK"));
        }
        if self.max_trades == 0 {
            return Err(OptionError::new("maxTrades", "must be >= 1"));
        }
        Ok(())
    }
}

/// λ(δ) = A·e^(−kδ).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Intensity {
    /// Arrival rate of trades reaching distance 0 from the mid, 1/s.
    pub a: f64,
    /// Decay per tick of distance, 1/tick (> 0).
    pub k: f64,
}

/// Where an estimate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntensitySource {
    /// No fit has succeeded yet.
    Prior,
    /// Fitted on the current window.
    Fit,
    /// The window no longer fits: the last good fit.
    LastFit,
}

impl IntensitySource {
    pub fn name(self) -> &'static str {
        match self {
            IntensitySource::Prior => "prior",
            IntensitySource::Fit => "fit",
            IntensitySource::LastFit => "last-fit",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntensityEstimate {
    pub intensity: Intensity,
    pub source: IntensitySource,
    /// Trades in the window at the fit.
    pub trades: usize,
}

/// A and k from trade distances to the mid at trade time. A quote at distance δ is filled by any
/// trade reaching δ or further, so λ(δ) is the rate of trades with distance ≥ δ: for each bucket
/// (width `bucket_ticks`) x = the smallest distance seen in it and λ = (trades at distance ≥
/// x)/window, an exact empirical survival rate at x. ln λ = ln A − k·x is fitted by least squares
/// weighted by the counts (Var ln n ≈ 1/n for a Poisson count), over buckets with ≥ 1 trade. The
/// window is shortened to the time since the first trade while the estimator is young.
#[derive(Clone, Debug)]
pub struct IntensityEstimator {
    options: IntensityOptions,
    /// (exchange time, distance to the mid), oldest first.
    trades: VecDeque<(i64, f64)>,
    first_ns: Option<i64>,
    last_fit_ns: Option<i64>,
    last_good: Option<Intensity>,
    current: IntensityEstimate,
}

impl IntensityEstimator {
    pub fn new(options: IntensityOptions) -> Result<Self, OptionError> {
        options.validate()?;
        let current = IntensityEstimate { intensity: options.prior, source: IntensitySource::Prior, trades: 0 };
        Ok(Self { options, trades: VecDeque::new(), first_ns: None, last_fit_ns: None, last_good: None, current })
    }

    /// A trade at `price` ticks at exchange time `ts_ns`; `mid` is the mid just before it.
    pub fn on_trade(&mut self, price: f64, mid: f64, ts_ns: i64) {
        let distance = (price - mid).abs();
        if !distance.is_finite() || distance > self.options.max_distance_ticks {
            return;
        }
        self.first_ns.get_or_insert(ts_ns);
        self.trades.push_back((ts_ns, distance));
        if self.trades.len() > self.options.max_trades {
            self.trades.pop_front();
        }
    }

    /// The estimate at `now_ns`, refitted if `refit_s` have passed since the last fit.
    pub fn estimate(&mut self, now_ns: i64) -> IntensityEstimate {
        let due = self.last_fit_ns.is_none_or(|t| (now_ns - t) as f64 / NS_PER_S >= self.options.refit_s);
        if due {
            self.last_fit_ns = Some(now_ns);
            self.current = self.refit(now_ns);
        }
        self.current
    }

    fn refit(&mut self, now_ns: i64) -> IntensityEstimate {
        let window_ns = (self.options.window_s * NS_PER_S).round() as i64;
        let cutoff = now_ns.saturating_sub(window_ns);
        while self.trades.front().is_some_and(|&(t, _)| t < cutoff) {
            self.trades.pop_front();
        }
        let trades = self.trades.len();
        let fitted = if trades >= self.options.min_trades { self.fit(now_ns) } else { None };
        if let Some(intensity) = fitted {
            self.last_good = Some(intensity);
            return IntensityEstimate { intensity, source: IntensitySource::Fit, trades };
        }
        match self.last_good {
            Some(intensity) => IntensityEstimate { intensity, source: IntensitySource::LastFit, trades },
            None => IntensityEstimate { intensity: self.options.prior, source: IntensitySource::Prior, trades },
        }
    }

    fn fit(&self, now_ns: i64) -> Option<Intensity> {
        let o = &self.options;
        let since_first = self.first_ns.map_or(0.0, |f| (now_ns - f) as f64 / NS_PER_S);
        let seconds = o.window_s.min(since_first);
        if seconds.is_nan() || seconds <= 0.0 {
            return None;
        }
        // Per bucket: trades and the smallest distance seen.
        let mut buckets: BTreeMap<i64, (u64, f64)> = BTreeMap::new();
        for &(_, d) in &self.trades {
            let b = (d / o.bucket_ticks + 1e-9).floor() as i64;
            let cell = buckets.entry(b).or_insert((0, d));
            cell.0 += 1;
            cell.1 = cell.1.min(d);
        }
        if buckets.len() < o.min_buckets.max(2) {
            return None;
        }
        // Survival counts from the deepest bucket inwards.
        let mut at_or_beyond = 0u64;
        let (mut sw, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(n, x) in buckets.values().rev() {
            at_or_beyond += n;
            let y = (at_or_beyond as f64 / seconds).ln();
            let w = at_or_beyond as f64;
            sw += w;
            sx += w * x;
            sy += w * y;
            sxx += w * x * x;
            sxy += w * x * y;
        }
        let var_x = sxx - (sx * sx) / sw;
        if var_x.is_nan() || var_x <= 1e-12 {
            return None;
        }
        let slope = (sxy - (sx * sy) / sw) / var_x;
        let intercept = (sy - slope * sx) / sw;
        let k = -slope;
        // A non-decreasing λ(δ) has no exponential reading: keep the last good fit instead.
        if k.is_nan() || k <= 0.0 || !intercept.is_finite() {
            return None;
        }
        Some(Intensity { a: intercept.exp(), k: k.clamp(o.min_k, o.max_k) })
    }
}
