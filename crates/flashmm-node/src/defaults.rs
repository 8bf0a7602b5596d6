//! The core's defaults for the host's configuration schema: the host applies these and holds
//! no number of its own for a setting the core owns (one default per setting).

use flashmm_core::backtest::DEFAULT_INTERVAL_NS;
use flashmm_core::market::MarketOptions;
use flashmm_core::sim::{ConstantLatency, Matching, QueueModel};
use flashmm_core::stats::StatsConfig;
use napi_derive::napi;

use crate::error::Result;
use crate::market::MarketStateOptions;

#[napi(object, object_from_js = false)]
pub struct VolatilityDefaults {
    pub half_life_seconds: f64,
    pub min_sample_seconds: f64,
    pub max_gap_seconds: f64,
    pub prior_sigma: f64,
}

#[napi(object, object_from_js = false)]
pub struct IntensityDefaults {
    pub window_seconds: f64,
    pub refit_seconds: f64,
    pub min_trades: u32,
    pub min_buckets: u32,
    pub bucket_ticks: f64,
    pub max_distance_ticks: f64,
    pub prior_a: f64,
    pub prior_k: f64,
    pub min_k: f64,
    pub max_k: f64,
}

/// Every default of a setting the core owns, in the host's units (ms, seconds).
#[napi(object, object_from_js = false)]
pub struct CoreDefaults {
    pub entry_latency_ms: f64,
    pub response_latency_ms: f64,
    #[napi(ts_type = "'risk-averse' | 'power' | 'log'")]
    pub queue: &'static str,
    /// The exponent of a power queue model.
    pub queue_exponent: f64,
    #[napi(ts_type = "'continuous' | 'sei-block'")]
    pub matching: &'static str,
    /// The block time of `sei-block` matching (the local chain's).
    pub sei_block_time_ms: f64,
    pub large_move_bps: f64,
    pub volatility: VolatilityDefaults,
    pub intensity: IntensityDefaults,
    pub backtest_interval_ms: f64,
    pub stats_resample_ms: f64,
}

const NS_PER_MS: f64 = 1e6;

#[napi]
pub fn core_defaults() -> CoreDefaults {
    let latency = ConstantLatency::default();
    let (queue, queue_exponent) = match QueueModel::default() {
        QueueModel::RiskAverse => ("risk-averse", QueueModel::DEFAULT_POWER_EXPONENT),
        QueueModel::Power(n) => ("power", n),
        QueueModel::Log => ("log", QueueModel::DEFAULT_POWER_EXPONENT),
    };
    let m = MarketOptions::default();
    let (v, i) = (m.volatility, m.intensity);
    CoreDefaults {
        entry_latency_ms: latency.entry_ns() as f64 / NS_PER_MS,
        response_latency_ms: latency.response_ns() as f64 / NS_PER_MS,
        queue,
        queue_exponent,
        matching: Matching::default().name(),
        sei_block_time_ms: Matching::SEI_LOCAL_BLOCK_NS as f64 / NS_PER_MS,
        large_move_bps: m.large_move_bps,
        volatility: VolatilityDefaults {
            half_life_seconds: v.half_life_s,
            min_sample_seconds: v.min_sample_s,
            max_gap_seconds: v.max_gap_s,
            prior_sigma: v.prior_sigma,
        },
        intensity: IntensityDefaults {
            window_seconds: i.window_s,
            refit_seconds: i.refit_s,
            min_trades: i.min_trades as u32,
            min_buckets: i.min_buckets as u32,
            bucket_ticks: i.bucket_ticks,
            max_distance_ticks: i.max_distance_ticks,
            prior_a: i.prior.a,
            prior_k: i.prior.k,
            min_k: i.min_k,
            max_k: i.max_k,
        },
        backtest_interval_ms: DEFAULT_INTERVAL_NS as f64 / NS_PER_MS,
        stats_resample_ms: StatsConfig::default().resample_ns as f64 / NS_PER_MS,
    }
}

/// Checks market options as `new MarketState` would (without a model): throws `INVALID_OPTION`
/// naming the option. What the config loader runs, so a bad value stops the daemon at start.
#[napi]
pub fn validate_market_options(options: MarketStateOptions) -> Result<()> {
    MarketOptions::try_from(&options).map(drop)
}
