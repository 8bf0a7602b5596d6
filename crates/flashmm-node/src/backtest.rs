//! The core backtester for JS: the built-in two-sided `Quoter` over a Binance recording.
//! Conversions only: options to `BacktestConfig`/`QuoterConfig`, the result as the core's JSON.

use std::path::Path;
use std::time::{Duration, Instant};

use flashmm_core::backtest::{Backtest, BacktestConfig, BinanceSource, EventSource, QuoteMode, Quoter, QuoterConfig};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
use flashmm_core::spec::BinanceMarket;
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi_derive::napi;

use crate::convert::{invalid_arg, lots, ticks};
use crate::spec::MarketSpec;

/// Options of `runBacktest`. Defaults: 100 ms decisions, join the touch, 1 lot, limit 10 lots,
/// post-only, power-2 queue, 5 ms entry and response latency, the spec's fees, whole file,
/// no records.
#[napi(object)]
pub struct BacktestOptions {
    /// A Binance recording (gzip lines `<ns> <json>`); market from the file name prefix.
    pub path: String,
    /// Decision interval, ms of exchange time (> 0).
    pub interval_ms: Option<f64>,
    /// "join" (the touch) | "around-mid" (`ticks` from the mid).
    pub mode: Option<String>,
    pub ticks: Option<f64>,
    /// Size of each quote, lots (>= 1).
    pub size_lots: Option<f64>,
    /// Inventory limit, lots (>= 0).
    pub limit_lots: Option<f64>,
    pub post_only: Option<bool>,
    /// "risk-averse" | "power" | "log".
    pub queue: Option<String>,
    /// Exponent of the power queue model (default 2).
    pub queue_exponent: Option<f64>,
    pub entry_latency_ms: Option<f64>,
    pub response_latency_ms: Option<f64>,
    /// Fee overrides, parts per million of notional (negative = rebate).
    pub maker_fee_ppm: Option<f64>,
    pub taker_fee_ppm: Option<f64>,
    /// Stop at the first event after this exchange time, ms since the epoch.
    pub end_exchange_ms: Option<f64>,
    /// Include every step, fill, request and report in the JSON.
    pub records: Option<bool>,
}

/// What `runBacktest` returns.
#[napi(object, object_from_js = false)]
pub struct BacktestOutput {
    /// `BacktestResult::to_json` (or `to_json_with_records`): byte-identical for the same inputs.
    pub json: String,
    /// The recording's market spec (money in the JSON is `tick × lot × 10⁻⁶`; see `MarketSpec.formatMoney`).
    pub spec: MarketSpec,
    /// "spot" | "usdm" | "coinm".
    pub market: String,
}

fn ms_to_ns(value: f64, what: &str) -> napi::Result<i64> {
    // Rounded to the nearest ns: 0.3 ms is 299999.99999999994 ns as a double.
    let ns = (value * 1e6).round();
    if !(0.0..=9.0e18).contains(&ns) {
        return Err(invalid_arg(format!("{what} = {value} ms must be a finite, non-negative number")));
    }
    Ok(ns as i64)
}

fn ppm(value: f64, what: &'static str) -> napi::Result<i64> {
    flashmm_core::book::exact_integer(value, what, "ppm", 0).map_err(invalid_arg)
}

fn quote_mode(mode: Option<&str>, n: Option<f64>) -> napi::Result<QuoteMode> {
    match mode.unwrap_or("join") {
        "join" => Ok(QuoteMode::JoinTouch),
        "around-mid" => {
            let t = ticks(n.unwrap_or(1.0), "ticks")?;
            if t < 0 {
                return Err(invalid_arg(format!("ticks = {t} must be >= 0")));
            }
            Ok(QuoteMode::AroundMid { ticks: t })
        }
        other => Err(invalid_arg(format!("unknown quoter mode '{other}' (expected join or around-mid)"))),
    }
}

fn queue_model(name: Option<&str>, n: Option<f64>) -> napi::Result<QueueModel> {
    let q = match name.unwrap_or("power") {
        "risk-averse" => QueueModel::RiskAverse,
        "power" => QueueModel::Power(n.unwrap_or(2.0)),
        "log" => QueueModel::Log,
        other => return Err(invalid_arg(format!("unknown queue model '{other}' (expected risk-averse, power or log)"))),
    };
    q.validate().map_err(invalid_arg)?;
    Ok(q)
}

/// Runs the built-in quoter over a recording and returns the result JSON. `onProgress(bytesRead,
/// totalBytes)` (compressed bytes) is called at most every 100 ms of wall time and once at the
/// end; if it throws, it is not called again and the exception is rethrown when the run ends.
#[napi(catch_unwind)]
pub fn run_backtest(
    options: BacktestOptions,
    on_progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'_>>>,
) -> napi::Result<BacktestOutput> {
    let o = options;
    let mode = quote_mode(o.mode.as_deref(), o.ticks)?;
    let size = lots(o.size_lots.unwrap_or(1.0), "size")?;
    if size < 1 {
        return Err(invalid_arg(format!("size = {size} lots must be >= 1")));
    }
    let limit = lots(o.limit_lots.unwrap_or(10.0), "inventory limit")?;
    if limit < 0 {
        return Err(invalid_arg(format!("inventory limit = {limit} lots must be >= 0")));
    }
    let queue = queue_model(o.queue.as_deref(), o.queue_exponent)?;
    let interval = ms_to_ns(o.interval_ms.unwrap_or(100.0), "interval")?;
    if interval <= 0 {
        return Err(invalid_arg("interval must be > 0 ms"));
    }
    let entry = ms_to_ns(o.entry_latency_ms.unwrap_or(5.0), "entry latency")?;
    let response = ms_to_ns(o.response_latency_ms.unwrap_or(5.0), "response latency")?;
    let latency = ConstantLatency::new(entry, response).map_err(invalid_arg)?;
    let end_ns = o.end_exchange_ms.map(|ms| ms_to_ns(ms, "end exchange time")).transpose()?;

    let mut src = BinanceSource::open(Path::new(&o.path), None, None).map_err(invalid_arg)?;
    let spec = src.spec().clone();
    let market = match src.market() {
        BinanceMarket::Spot => "spot",
        BinanceMarket::UsdM => "usdm",
        BinanceMarket::CoinM => "coinm",
    };
    let mut sim = SimConfig::new(&spec, src.rule()).with_queue(queue);
    if let Some(f) = o.maker_fee_ppm {
        sim.maker_fee_ppm = ppm(f, "maker fee")?;
    }
    if let Some(f) = o.taker_fee_ppm {
        sim.taker_fee_ppm = ppm(f, "taker fee")?;
    }
    let mut cfg = BacktestConfig::new(sim, latency);
    cfg.interval_ns = interval;
    cfg.end_ns = end_ns;
    let records = o.records.unwrap_or(false);
    cfg.record_orders = records;
    let quoter = Quoter::new(QuoterConfig { mode, lots: size, limit_lots: limit, post_only: o.post_only.unwrap_or(true) });

    let mut callback_error: Option<napi::Error> = None;
    let mut last = Instant::now();
    let mut report = |read: u64, total: u64, force: bool| {
        let Some(cb) = on_progress.as_ref() else { return };
        if callback_error.is_some() || (!force && last.elapsed() < Duration::from_millis(100)) {
            return;
        }
        last = Instant::now();
        if let Err(e) = cb.call((read as f64, total as f64).into()) {
            callback_error = Some(e);
        }
    };
    let result = Backtest::new(cfg, quoter)
        .map_err(invalid_arg)?
        .run_with_progress(&mut src, |p| {
            report(p.source.bytes_read, p.source.total_bytes.unwrap_or(0), false);
        })
        .map_err(invalid_arg)?;
    let p = src.progress();
    report(p.bytes_read, p.total_bytes.unwrap_or(0), true);
    if let Some(e) = callback_error {
        return Err(e);
    }
    let json = if records { result.to_json_with_records() } else { result.to_json() };
    Ok(BacktestOutput { json, spec: MarketSpec { inner: spec }, market: market.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_and_units_convert() {
        assert_eq!(quote_mode(None, None).unwrap(), QuoteMode::JoinTouch);
        assert_eq!(quote_mode(Some("around-mid"), Some(3.0)).unwrap(), QuoteMode::AroundMid { ticks: 3 });
        assert!(quote_mode(Some("mid"), None).unwrap_err().reason.contains("unknown quoter mode 'mid'"));
        assert!(quote_mode(Some("around-mid"), Some(-1.0)).is_err());
        assert_eq!(queue_model(None, None).unwrap(), QueueModel::Power(2.0));
        assert_eq!(queue_model(Some("log"), None).unwrap(), QueueModel::Log);
        assert!(queue_model(Some("power"), Some(0.0)).is_err());
        assert!(queue_model(Some("fifo"), None).unwrap_err().reason.contains("unknown queue model 'fifo'"));
        assert_eq!(ms_to_ns(0.3, "x").unwrap(), 300_000);
        assert_eq!(ms_to_ns(1_723_161_300_000.0, "x").unwrap(), 1_723_161_300_000_000_000);
        assert!(ms_to_ns(-1.0, "x").is_err());
        assert!(ms_to_ns(f64::NAN, "x").is_err());
    }
}
