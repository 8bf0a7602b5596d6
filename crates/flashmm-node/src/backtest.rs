//! The core backtester for JS: the built-in touch-joining quoter over a Binance recording (or
//! its cache, or an hftbacktest event file) or a generated market. Conversions only: options to
//! the core's `BaselineRun` (which chooses and opens the source, configures the simulator and
//! paces progress), the result as the core's JSON.

use flashmm_core::backtest::{BaselineConfig, BaselineRun, DEFAULT_INTERVAL_NS, FeedSpec, QuoteMode, SourceSpec};
use flashmm_core::replay::input::{InputKind, InputOptions};
use flashmm_core::replay::{DEFAULT_GENERATOR_START_NS, ZiSource};
use flashmm_core::sim::{ConstantLatency, Matching, QueueModel, SimConfig};
use napi::Either;
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi_derive::napi;

use crate::convert::{core_err, invalid_arg, lots, ticks};
use crate::error::{Result, guard};
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
    /// "continuous" (default) | "sei-block": Sei's end-of-block matching (docs/sim-venue.md).
    #[napi(ts_type = "'continuous' | 'sei-block'")]
    pub matching: Option<String>,
    /// Block time of `sei-block`, ms (default the local chain's, `coreDefaults().seiBlockTimeMs`).
    pub block_time_ms: Option<f64>,
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
    #[napi(ts_type = "'recording' | 'cache' | 'npz' | 'generated'")]
    pub input: String,
    /// Why the cache beside the recording was rebuilt or bypassed, when it was.
    pub note: Option<String>,
}

fn ppm(value: f64, what: &'static str) -> Result<i64> {
    flashmm_core::book::exact_integer(value, what, "ppm", 0).map_err(core_err)
}

/// Entry and response latency from ms (missing: the core's default); `names` name the two
/// options in errors.
pub(crate) fn latency(entry_ms: Option<f64>, response_ms: Option<f64>, names: [&str; 2]) -> Result<ConstantLatency> {
    let d = ConstantLatency::default();
    let entry = entry_ms.map_or(Ok(d.entry_ns()), |ms| ms_to_ns(ms, names[0]))?;
    let response = response_ms.map_or(Ok(d.response_ns()), |ms| ms_to_ns(ms, names[1]))?;
    ConstantLatency::new(entry, response).map_err(core_err)
}

/// The maker / taker fee overrides (ppm of notional) applied to `sim`; `names` as for `latency`.
pub(crate) fn with_fees(
    mut sim: SimConfig,
    maker_ppm: Option<f64>,
    taker_ppm: Option<f64>,
    names: [&'static str; 2],
) -> Result<SimConfig> {
    if let Some(f) = maker_ppm {
        sim.maker_fee_ppm = ppm(f, names[0])?;
    }
    if let Some(f) = taker_ppm {
        sim.taker_fee_ppm = ppm(f, names[1])?;
    }
    Ok(sim)
}

/// The quoter's mode by name (missing: the core's default).
fn quote_mode(mode: Option<&str>, n: Option<f64>) -> Result<QuoteMode> {
    match mode {
        None => Ok(BaselineConfig::default().mode),
        Some("join") => Ok(QuoteMode::JoinTouch),
        Some("around-mid") => {
            let t = n.map_or(Ok(QuoteMode::DEFAULT_AROUND_MID_TICKS), |n| ticks(n, "ticks"))?;
            let mode = QuoteMode::AroundMid { ticks: t };
            BaselineConfig { mode, ..BaselineConfig::default() }.validate().map_err(core_err)?;
            Ok(mode)
        }
        Some(other) => Err(invalid_arg(format!("unknown quoter mode '{other}' (expected join or around-mid)"))),
    }
}

/// The queue model by name (missing: the core's default; a power model without an exponent:
/// the core's default exponent).
pub(crate) fn queue_model(name: Option<&str>, n: Option<f64>) -> Result<QueueModel> {
    let q = match name {
        None => QueueModel::default(),
        Some("risk-averse") => QueueModel::RiskAverse,
        Some("power") => QueueModel::Power(n.unwrap_or(QueueModel::DEFAULT_POWER_EXPONENT)),
        Some("log") => QueueModel::Log,
        Some(other) => {
            return Err(invalid_arg(format!("unknown queue model '{other}' (expected risk-averse, power or log)")));
        }
    };
    q.validate().map_err(core_err)?;
    Ok(q)
}

/// The options that choose the simulated exchange's matching (`matching`, `blockTimeMs`).
pub(crate) struct MatchingInput<'a> {
    pub kind: Option<&'a str>,
    pub block_time_ms: Option<f64>,
}

/// Missing: the core's defaults (continuous; the local chain's block time for `sei-block`).
impl TryFrom<MatchingInput<'_>> for Matching {
    type Error = crate::error::Error;

    fn try_from(o: MatchingInput<'_>) -> Result<Self> {
        match o.kind {
            None | Some("continuous") if o.block_time_ms.is_some() => {
                Err(invalid_arg("blockTimeMs applies to matching 'sei-block' only"))
            }
            None => Ok(Matching::default()),
            Some("continuous") => Ok(Matching::Continuous),
            Some("sei-block") => {
                let block_ns = match o.block_time_ms {
                    None => Matching::SEI_LOCAL_BLOCK_NS,
                    Some(ms) => ms_to_ns(ms, "blockTimeMs")?,
                };
                if block_ns <= 0 {
                    return Err(invalid_arg(format!(
                        "blockTimeMs must be > 0, got {}",
                        o.block_time_ms.unwrap_or(0.0)
                    )));
                }
                Ok(Matching::SeiBlock { block_ns })
            }
            Some(other) => Err(invalid_arg(format!("unknown matching '{other}' (expected continuous or sei-block)"))),
        }
    }
}

/// Runs the built-in quoter over a recording or a generated market and returns the result
/// JSON. `onProgress(done, total)` (compressed bytes of a recording; ns of exchange time of a
/// generated market) is called at most every 100 ms of wall time and once at the end; if it
/// throws, it is not called again and the exception is rethrown when the run ends.
#[napi]
pub fn run_backtest(
    options: BacktestOptions,
    on_progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'_>>>,
) -> Result<BacktestOutput> {
    guard(|| {
        let o = options;
        let mode = quote_mode(o.mode.as_deref(), o.ticks)?;
        let d = BaselineConfig::default();
        let quoter = BaselineConfig {
            mode,
            lots: o.size_lots.map_or(Ok(d.lots), |n| lots(n, "size"))?,
            limit_lots: o.limit_lots.map_or(Ok(d.limit_lots), |n| lots(n, "inventory limit"))?,
            post_only: o.post_only.unwrap_or(d.post_only),
        };
        quoter.validate().map_err(core_err)?;
        let queue = queue_model(o.queue.as_deref(), o.queue_exponent)?;
        let matching =
            Matching::try_from(MatchingInput { kind: o.matching.as_deref(), block_time_ms: o.block_time_ms })?;
        let interval = o.interval_ms.map_or(Ok(DEFAULT_INTERVAL_NS), |ms| ms_to_ns(ms, "interval"))?;
        let latency = latency(o.entry_latency_ms, o.response_latency_ms, ["entry latency", "response latency"])?;
        let end_ns = o.end_exchange_ms.map(|ms| ms_to_ns(ms, "end exchange time")).transpose()?;

        let source = match (o.path.as_deref(), o.generator.as_ref()) {
            (Some(path), None) => SourceSpec::File { path: path.into(), input: input_options(&o)? },
            (None, Some(g)) => generated(g)?,
            _ => return Err(invalid_arg("give exactly one of path (a recording) and generator")),
        };
        let feed = match &o.feed_delay {
            None => None,
            Some(Either::A(ms)) => Some(FeedSpec::Constant(ms_to_ns(*ms, "feedDelay")?)),
            Some(Either::B(s)) if s == "auto" => Some(FeedSpec::Recorded),
            Some(Either::B(s)) => {
                return Err(invalid_arg(format!("feedDelay = '{s}' must be a number of ms or 'auto'")));
            }
        };
        let spec = BaselineRun {
            quoter,
            queue,
            matching,
            latency,
            maker_fee_ppm: o.maker_fee_ppm.map(|f| ppm(f, "maker fee")).transpose()?,
            taker_fee_ppm: o.taker_fee_ppm.map(|f| ppm(f, "taker fee")).transpose()?,
            interval_ns: interval,
            end_ns,
            feed,
            record_orders: o.records.unwrap_or(false),
            ..BaselineRun::new(source)
        };
        // A throwing callback is not called again; its exception is rethrown once the run ends.
        let mut callback_error: Option<napi::Error> = None;
        let run = spec
            .run(|done, total| {
                if let (Some(cb), None) = (on_progress.as_ref(), callback_error.as_ref())
                    && let Err(e) = cb.call((done as f64, total as f64).into())
                {
                    callback_error = Some(e);
                }
            })
            .map_err(core_err)?;
        if let Some(e) = callback_error {
            return Err(crate::error::coded("CALLBACK", e.reason));
        }
        let r = &run.result;
        let json = if spec.record_orders { r.to_json_with_records() } else { r.to_json() };
        let input = match run.input {
            None => "generated",
            Some(InputKind::Recording) => "recording",
            Some(InputKind::Cache) => "cache",
            Some(InputKind::Npz) => "npz",
        };
        let market = match (run.market, run.input) {
            (Some(m), _) => binance_market_name(m),
            (None, None) => "zi",
            (None, Some(_)) => "npz",
        };
        Ok(BacktestOutput {
            json,
            spec: MarketSpec { inner: run.spec },
            market: market.into(),
            input: input.into(),
            note: run.note,
        })
    })
}

/// How `path` is read (conversions; the core's `replay::input` decides what applies). A market
/// given without a spec or symbol is the default symbol's on it, as for a generated market.
fn input_options(o: &BacktestOptions) -> Result<InputOptions> {
    let explicit = o.spec.is_some() || o.symbol.is_some() || o.market.is_some();
    let npz_spec =
        explicit.then(|| resolve_spec(o.spec.as_ref(), o.symbol.as_deref(), o.market.as_deref(), "")).transpose()?;
    let npz_market = match (&o.spec, o.market.as_deref()) {
        (None, Some(m)) => Some(parse_binance_market(m)?),
        (None, None) if explicit => Some(flashmm_core::spec::BinanceMarket::UsdM),
        _ => None,
    };
    let d = InputOptions::default();
    Ok(InputOptions { use_cache: o.cache.unwrap_or(d.use_cache), npz_spec, npz_market })
}

/// A generated market of `runBacktest` (conversions; the core builds and checks it).
fn generated(g: &GeneratorOptions) -> Result<SourceSpec> {
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
    let start = g.start_ms.map_or(Ok(DEFAULT_GENERATOR_START_NS), |ms| ms_to_ns(ms, "generator.startMs"))?;
    let source = ZiSource::new(params, seed, start, Some(duration))
        .map_err(|e| crate::error::coded(flashmm_core::error::ErrorCode::code(&e), format!("generator: {e}")))?;
    Ok(SourceSpec::Generated { source: Box::new(source), spec })
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
