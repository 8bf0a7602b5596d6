//! The core backtester for JS: the built-in two-sided `Quoter` over a Binance recording or a
//! generated market. Conversions only: options to `BacktestConfig`/`QuoterConfig`/`ZiSource`,
//! the result as the core's JSON.

use std::path::Path;
use std::time::{Duration, Instant};

use flashmm_core::backtest::{
    Backtest, BacktestConfig, BacktestResult, DEFAULT_GENERATOR_START_NS, EventSource, FeedDelay, QuoteMode, Quoter,
    QuoterConfig, ZiSource, recorded_feed_offset,
};
use flashmm_core::replay::input::{InputOptions, RecordedSource};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
use napi::Either;
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi_derive::napi;

use crate::convert::{invalid_arg, lots, ticks};
use crate::generator::ms_to_ns;
use crate::generator::{ZiOptions, resolve_spec, seed, zi_params};
use crate::spec::{MarketSpec, MarketSpecInit, binance_market_name, parse_binance_market};

/// A generated market for `runBacktest` (instead of `path`).
#[napi(object)]
pub struct GeneratorOptions {
    /// "zi": the zero-intelligence stochastic book (`docs/market_gen.md`).
    pub kind: String,
    /// Exact integer in 0..2^53 (default 1).
    pub seed: Option<f64>,
    /// Length of the generated market, ms of exchange time (> 0).
    pub duration_ms: f64,
    /// Decimal price of the initial best bid (default 60000 on the default market; required
    /// with another one).
    pub initial_price: Option<String>,
    /// Binance symbol of a built-in grid (default BTCUSDT) on `market` (default "usdm").
    pub symbol: Option<String>,
    pub market: Option<String>,
    /// Any grid instead of a built-in one.
    pub spec: Option<MarketSpecInit>,
    /// Exchange time of the first snapshot, ms since the epoch (default 2024-01-01T00:00Z).
    pub start_ms: Option<f64>,
    pub zi: Option<ZiOptions>,
}

/// Options of `runBacktest`. Defaults: 100 ms decisions, join the touch, 1 lot, limit 10 lots,
/// post-only, power-2 queue, 5 ms entry and response latency, the spec's fees, whole file,
/// no records.
#[napi(object)]
pub struct BacktestOptions {
    /// A Binance recording (gzip lines `<ns> <json>`; market from the file name prefix), its
    /// cache (`convertRecording`) or an hftbacktest event file (.npz / .npy), told apart by
    /// their first bytes. Exactly one of `path` and `generator`.
    pub path: Option<String>,
    /// Read a recording through its fresh cache `<path>.fmcache` when there is one (a stale or
    /// corrupt one is rebuilt). Default true.
    pub cache: Option<bool>,
    /// The market of an hftbacktest file (default: from its name, e.g. `usdm_btcusdt_….npz`):
    /// a Binance symbol of a built-in grid on `market` ("spot" | "usdm" | "coinm"), or any `spec`.
    pub symbol: Option<String>,
    pub market: Option<String>,
    pub spec: Option<MarketSpecInit>,
    /// A generated market instead of a recording.
    pub generator: Option<GeneratorOptions>,
    /// The strategy sees the book through the feed: a constant latency in ms (the book as of
    /// `now − ms`), or "auto" (each event at its own receive time, the recording's clock
    /// shifted so that no feed latency is negative). Default: the exchange's book, no delay.
    #[napi(ts_type = "number | 'auto'")]
    pub feed_delay: Option<Either<f64, String>>,
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
    /// "spot" | "usdm" | "coinm" | "zi" (generated) | "npz" (an hftbacktest file with an explicit spec).
    pub market: String,
    /// What was read: "recording" | "cache" | "npz" | "generated".
    pub input: String,
    /// Why the cache beside the recording was rebuilt or bypassed, when it was.
    pub note: Option<String>,
}

fn ppm(value: f64, what: &'static str) -> napi::Result<i64> {
    flashmm_core::book::exact_integer(value, what, "ppm", 0).map_err(invalid_arg)
}

/// Entry and response latency from ms (default 5 / 5); `names` name the two options in errors.
pub(crate) fn latency(entry_ms: Option<f64>, response_ms: Option<f64>, names: [&str; 2]) -> napi::Result<ConstantLatency> {
    let entry = ms_to_ns(entry_ms.unwrap_or(5.0), names[0])?;
    let response = ms_to_ns(response_ms.unwrap_or(5.0), names[1])?;
    ConstantLatency::new(entry, response).map_err(invalid_arg)
}

/// The maker / taker fee overrides (ppm of notional) applied to `sim`; `names` as for `latency`.
pub(crate) fn with_fees(
    mut sim: SimConfig,
    maker_ppm: Option<f64>,
    taker_ppm: Option<f64>,
    names: [&'static str; 2],
) -> napi::Result<SimConfig> {
    if let Some(f) = maker_ppm {
        sim.maker_fee_ppm = ppm(f, names[0])?;
    }
    if let Some(f) = taker_ppm {
        sim.taker_fee_ppm = ppm(f, names[1])?;
    }
    Ok(sim)
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

pub(crate) fn queue_model(name: Option<&str>, n: Option<f64>) -> napi::Result<QueueModel> {
    let q = match name.unwrap_or("power") {
        "risk-averse" => QueueModel::RiskAverse,
        "power" => QueueModel::Power(n.unwrap_or(2.0)),
        "log" => QueueModel::Log,
        other => return Err(invalid_arg(format!("unknown queue model '{other}' (expected risk-averse, power or log)"))),
    };
    q.validate().map_err(invalid_arg)?;
    Ok(q)
}

/// Runs the built-in quoter over a recording or a generated market and returns the result
/// JSON. `onProgress(done, total)` (compressed bytes of a recording; ns of exchange time of a
/// generated market) is called at most every 100 ms of wall time and once at the end; if it
/// throws, it is not called again and the exception is rethrown when the run ends.
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
    let latency = latency(o.entry_latency_ms, o.response_latency_ms, ["entry latency", "response latency"])?;
    let end_ns = o.end_exchange_ms.map(|ms| ms_to_ns(ms, "end exchange time")).transpose()?;

    let mut note = None;
    let mut source = match (o.path.as_deref(), o.generator.as_ref()) {
        (Some(path), None) => {
            let opened = open_file(path, &input_options(&o)?)?;
            note = opened.note;
            Source::File(opened.source)
        }
        (None, Some(g)) => Source::generated(g)?,
        _ => return Err(invalid_arg("give exactly one of path (a recording) and generator")),
    };
    let (spec, rule) = match &source {
        Source::File(src) => (src.spec().clone(), src.rule()),
        Source::Generated(src, spec) => (spec.clone(), src.rule()),
    };
    let (market, input) = match &source {
        Source::File(src) => (src.market().map_or("npz", binance_market_name), input_kind(src)),
        Source::Generated(..) => ("zi", "generated"),
    };
    let sim = with_fees(SimConfig::new(&spec, rule).with_queue(queue), o.maker_fee_ppm, o.taker_fee_ppm, ["maker fee", "taker fee"])?;
    let mut cfg = BacktestConfig::new(sim, latency);
    cfg.interval_ns = interval;
    cfg.end_ns = end_ns;
    cfg.feed = match &o.feed_delay {
        None => None,
        Some(Either::A(ms)) => Some(FeedDelay::Constant { delay_ns: ms_to_ns(*ms, "feedDelay")? }),
        Some(Either::B(s)) if s == "auto" => Some(FeedDelay::Recorded { offset_ns: source.feed_offset()? }),
        Some(Either::B(s)) => return Err(invalid_arg(format!("feedDelay = '{s}' must be a number of ms or 'auto'"))),
    };
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
    let backtest = Backtest::new(cfg, quoter).map_err(invalid_arg)?;
    let mut on_batch = |p: &flashmm_core::backtest::Progress| {
        report(p.source.bytes_read, p.source.total_bytes.unwrap_or(0), false);
    };
    let (result, p) = match &mut source {
        Source::File(src) => (run(backtest, src, &mut on_batch)?, src.progress()),
        Source::Generated(src, _) => (run(backtest, src, &mut on_batch)?, src.progress()),
    };
    report(p.bytes_read, p.total_bytes.unwrap_or(0), true);
    if let Some(e) = callback_error {
        return Err(e);
    }
    let json = if records { result.to_json_with_records() } else { result.to_json() };
    Ok(BacktestOutput { json, spec: MarketSpec { inner: spec }, market: market.into(), input: input.into(), note })
}

fn run<E: EventSource>(
    backtest: Backtest<Quoter>,
    src: &mut E,
    on_batch: &mut impl FnMut(&flashmm_core::backtest::Progress),
) -> napi::Result<BacktestResult> {
    backtest.run_with_progress(src, on_batch).map_err(invalid_arg)
}

/// Where the events of a run come from.
// One per run: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Source {
    File(RecordedSource),
    Generated(ZiSource, flashmm_core::spec::MarketSpec),
}

fn open_file(path: &str, options: &InputOptions) -> napi::Result<flashmm_core::replay::input::Opened> {
    RecordedSource::open(Path::new(path), options).map_err(invalid_arg)
}

fn input_options(o: &BacktestOptions) -> napi::Result<InputOptions> {
    let explicit = o.spec.is_some() || o.symbol.is_some() || o.market.is_some();
    let npz_spec = explicit.then(|| resolve_spec(o.spec.as_ref(), o.symbol.as_deref(), o.market.as_deref(), "")).transpose()?;
    let npz_market = match (&o.spec, o.market.as_deref()) {
        (None, Some(m)) => Some(parse_binance_market(m)?),
        (None, None) if explicit => Some(flashmm_core::spec::BinanceMarket::UsdM),
        _ => None,
    };
    Ok(InputOptions { use_cache: o.cache.unwrap_or(true), npz_spec, npz_market })
}

fn input_kind(src: &RecordedSource) -> &'static str {
    match src {
        RecordedSource::Recording(..) => "recording",
        RecordedSource::Cache(..) => "cache",
        RecordedSource::Npz(_) => "npz",
    }
}

impl Source {
    fn generated(g: &GeneratorOptions) -> napi::Result<Self> {
        if g.kind != "zi" {
            return Err(invalid_arg(format!("generator.kind = '{}' is unknown (expected 'zi')", g.kind)));
        }
        let default_market = g.spec.is_none() && g.symbol.is_none() && g.market.is_none();
        let spec = resolve_spec(g.spec.as_ref(), g.symbol.as_deref(), g.market.as_deref(), "generator.")?;
        let params = zi_params(&spec, g.initial_price.as_deref(), default_market, g.zi.as_ref(), "generator.")?;
        let seed = seed(g.seed, "generator.seed")?;
        let duration = ms_to_ns(g.duration_ms, "generator.durationMs")?;
        if duration <= 0 {
            return Err(invalid_arg("generator.durationMs must be > 0"));
        }
        let start = match g.start_ms {
            Some(ms) => ms_to_ns(ms, "generator.startMs")?,
            None => DEFAULT_GENERATOR_START_NS,
        };
        let src = ZiSource::new(params, seed, start, Some(duration)).map_err(|e| invalid_arg(format!("generator: {e}")))?;
        Ok(Source::Generated(src, spec))
    }

    /// The offset of `feedDelay: 'auto'`: one pass over a fresh copy of the source.
    fn feed_offset(&self) -> napi::Result<i64> {
        match self {
            Source::Generated(src, _) => Ok(recorded_feed_offset(src.clone()).unwrap_or_else(|e| match e {})),
            Source::File(src) => recorded_feed_offset(src.reopen().map_err(invalid_arg)?).map_err(invalid_arg),
        }
    }
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
