//! `MarketState` (one per market: book, own orders, σ and A/k estimators, model signal) and the
//! estimators alone, for JS. Options convert with `TryFrom` onto the core's defaults (a missing
//! key is the core's default); results are plain objects. Conversions only.

use flashmm_core::book::{OwnOrder as CoreOwnOrder, SequenceRule};
use flashmm_core::market::{
    self as core, ApplyResult as CoreApply, DecisionInputs as CoreInputs, DepthQuery as CoreDepthQuery,
    IntensityEstimate as CoreEstimate, IntensityOptions as CoreIntensity, MarketOptions, Top as CoreTop,
    VolatilityOptions as CoreVolatility,
};
use flashmm_core::model::ModelSlot;
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::book::{BookCounts, InvalidReason, book_counts, invalid_reason};
use crate::convert::{Level, core_err, id, invalid_arg, lots, ns, ticks};
use crate::error::{Error, Result, guard};
use crate::replay::{EventBatch, PublicTrade};
use crate::side::parse_side;

/// Options of the σ estimator (seconds; σ in ticks/√s). Every key optional: the core's default.
#[napi(object)]
pub struct VolatilityOptions {
    pub half_life_seconds: Option<f64>,
    pub min_sample_seconds: Option<f64>,
    pub max_gap_seconds: Option<f64>,
    pub prior_sigma: Option<f64>,
    /// Seconds of returns before `ready` (default one half-life).
    pub warmup_seconds: Option<f64>,
}

impl TryFrom<&VolatilityOptions> for CoreVolatility {
    type Error = Error;

    fn try_from(o: &VolatilityOptions) -> Result<Self> {
        let d = CoreVolatility::default();
        let v = CoreVolatility {
            half_life_s: o.half_life_seconds.unwrap_or(d.half_life_s),
            min_sample_s: o.min_sample_seconds.unwrap_or(d.min_sample_s),
            max_gap_s: o.max_gap_seconds.unwrap_or(d.max_gap_s),
            prior_sigma: o.prior_sigma.unwrap_or(d.prior_sigma),
            warmup_s: o.warmup_seconds.or(d.warmup_s),
        };
        v.validate().map_err(|e| core_err(e.within("volatility")))?;
        Ok(v)
    }
}

/// λ(δ) = A·e^(−kδ): A in 1/s, k in 1/tick.
#[napi(object)]
pub struct Intensity {
    #[napi(js_name = "A")]
    pub a: f64,
    pub k: f64,
}

/// Options of the A/k estimator (seconds, ticks). Every key optional: the core's default.
#[napi(object)]
pub struct IntensityOptions {
    pub window_seconds: Option<f64>,
    pub refit_seconds: Option<f64>,
    pub min_trades: Option<u32>,
    pub min_buckets: Option<u32>,
    pub bucket_ticks: Option<f64>,
    pub max_distance_ticks: Option<f64>,
    pub prior: Option<Intensity>,
    pub min_k: Option<f64>,
    pub max_k: Option<f64>,
    pub max_trades: Option<u32>,
}

impl TryFrom<&IntensityOptions> for CoreIntensity {
    type Error = Error;

    fn try_from(o: &IntensityOptions) -> Result<Self> {
        let d = CoreIntensity::default();
        let v = CoreIntensity {
            window_s: o.window_seconds.unwrap_or(d.window_s),
            refit_s: o.refit_seconds.unwrap_or(d.refit_s),
            min_trades: o.min_trades.map_or(d.min_trades, |n| n as usize),
            min_buckets: o.min_buckets.map_or(d.min_buckets, |n| n as usize),
            bucket_ticks: o.bucket_ticks.unwrap_or(d.bucket_ticks),
            max_distance_ticks: o.max_distance_ticks.unwrap_or(d.max_distance_ticks),
            prior: o.prior.as_ref().map_or(d.prior, |p| core::Intensity { a: p.a, k: p.k }),
            min_k: o.min_k.unwrap_or(d.min_k),
            max_k: o.max_k.unwrap_or(d.max_k),
            max_trades: o.max_trades.map_or(d.max_trades, |n| n as usize),
        };
        v.validate().map_err(|e| core_err(e.within("intensity")))?;
        Ok(v)
    }
}

/// The model a market forecasts with.
#[napi(object)]
pub struct MarketModelOptions {
    /// An ONNX file that meets the FlashMM contract.
    pub path: String,
    /// Rows start this long after the book becomes valid (default the dataset's 30 s).
    pub warmup_ms: Option<f64>,
}

/// Options of `new MarketState(...)`. Every key optional: the core's default.
#[napi(object)]
#[derive(Default)]
pub struct MarketStateOptions {
    /// "binance-spot" | "binance-futures" | "strict" | "none" (default "strict").
    pub sequence_rule: Option<String>,
    pub max_buffered_diffs: Option<u32>,
    /// `apply(...).moved` once the mid is this many bps from the last decision's (default 10).
    pub large_move_bps: Option<f64>,
    /// The venue's public book includes our orders: `top` is the book net of them.
    pub net_of_own: Option<bool>,
    pub volatility: Option<VolatilityOptions>,
    pub intensity: Option<IntensityOptions>,
    pub model: Option<MarketModelOptions>,
}

/// A sequence rule by name (`INVALID_ARGUMENT` naming the choices otherwise).
pub fn sequence_rule(name: &str) -> Result<SequenceRule> {
    SequenceRule::parse(name).ok_or_else(|| {
        invalid_arg(format!("unknown sequence rule '{name}' (expected binance-spot, binance-futures, strict or none)"))
    })
}

impl TryFrom<&MarketStateOptions> for MarketOptions {
    type Error = Error;

    fn try_from(o: &MarketStateOptions) -> Result<Self> {
        let d = MarketOptions::default();
        let v = MarketOptions {
            rule: o.sequence_rule.as_deref().map_or(Ok(d.rule), sequence_rule)?,
            max_buffered_diffs: o.max_buffered_diffs.map_or(d.max_buffered_diffs, |n| n as usize),
            large_move_bps: o.large_move_bps.unwrap_or(d.large_move_bps),
            net_of_own: o.net_of_own.unwrap_or(d.net_of_own),
            volatility: o.volatility.as_ref().map_or(Ok(d.volatility), CoreVolatility::try_from)?,
            intensity: o.intensity.as_ref().map_or(Ok(d.intensity), CoreIntensity::try_from)?,
            signal_warmup_ns: match o.model.as_ref().and_then(|m| m.warmup_ms) {
                Some(ms) => crate::generator::ms_to_ns(ms, "model.warmupMs")?,
                None => d.signal_warmup_ns,
            },
        };
        v.validate().map_err(core_err)?;
        Ok(v)
    }
}

/// The touch a decision reads; `mid` may be a half tick.
#[napi(object, object_from_js = false)]
pub struct Top {
    pub bid: Level,
    pub ask: Level,
    pub mid: f64,
    pub micro_price: f64,
    /// `bid + ask` ticks: the ledger's exact mark (`Ledger.pnl(mid2)`).
    pub mid2: f64,
    /// Exchange time of the book state, ns.
    pub exchange_ts_ns: i128,
}

impl From<CoreTop> for Top {
    fn from(t: CoreTop) -> Self {
        Self {
            bid: t.bid.into(),
            ask: t.ask.into(),
            mid: t.mid,
            micro_price: t.micro_price,
            mid2: t.mid2() as f64,
            exchange_ts_ns: i128::from(t.exchange_ts),
        }
    }
}

/// What one venue batch did.
#[napi(object, object_from_js = false)]
pub struct ApplyResult {
    pub events: u32,
    /// The book is valid after the batch.
    pub valid: bool,
    /// Absent while the book is invalid, awaiting a snapshot or one-sided: never quote then.
    pub top: Option<Top>,
    pub trades: u32,
    /// Exchange clock (running max), ns; 0n before any timed event.
    pub last_exchange_ts: i128,
    /// The mid is `largeMoveBps` or more from the last decision's mid: requote now.
    pub moved: bool,
}

impl From<CoreApply> for ApplyResult {
    fn from(r: CoreApply) -> Self {
        Self {
            events: r.events as u32,
            valid: r.valid,
            top: r.top.map(Into::into),
            trades: r.trades as u32,
            last_exchange_ts: i128::from(r.last_exchange_ts),
            moved: r.moved,
        }
    }
}

/// An A/k estimate and where it comes from.
#[napi(object, object_from_js = false)]
pub struct IntensityEstimate {
    #[napi(js_name = "A")]
    pub a: f64,
    pub k: f64,
    #[napi(ts_type = "'prior' | 'fit' | 'last-fit'")]
    pub source: &'static str,
    /// Trades in the window at the fit.
    pub trades: u32,
}

impl From<CoreEstimate> for IntensityEstimate {
    fn from(e: CoreEstimate) -> Self {
        Self { a: e.intensity.a, k: e.intensity.k, source: e.source.name(), trades: e.trades as u32 }
    }
}

/// The model's shortest horizon.
#[napi(object, object_from_js = false)]
pub struct Forecast {
    pub p_up: f64,
    pub p_down: f64,
    pub confidence: f64,
}

/// How many lots of other participants' liquidity order optimisation looks through per side.
#[napi(object)]
pub struct DepthQuery {
    pub bid_lots: f64,
    pub ask_lots: f64,
}

impl TryFrom<&DepthQuery> for CoreDepthQuery {
    type Error = Error;

    fn try_from(q: &DepthQuery) -> Result<Self> {
        Ok(Self { bid_lots: lots(q.bid_lots, "bidLots")?, ask_lots: lots(q.ask_lots, "askLots")? })
    }
}

/// The price (ticks) on each side where the asked depth of others' liquidity is reached;
/// absent on a side that holds less.
#[napi(object, object_from_js = false)]
pub struct DepthPrices {
    pub bid: Option<f64>,
    pub ask: Option<f64>,
}

/// Everything a quote decision reads of the market.
#[napi(object, object_from_js = false)]
pub struct DecisionInputs {
    pub top: Option<Top>,
    /// σ of the mid, ticks/√s.
    pub sigma: f64,
    pub sigma_ready: bool,
    pub intensity: IntensityEstimate,
    /// Absent without a model, or while its window fills.
    pub forecast: Option<Forecast>,
    /// With a depth query set (`setDepthQuery`) and a quotable book.
    pub depth: Option<DepthPrices>,
}

impl From<CoreInputs> for DecisionInputs {
    fn from(d: CoreInputs) -> Self {
        Self {
            top: d.top.map(Into::into),
            sigma: d.sigma,
            sigma_ready: d.sigma_ready,
            intensity: d.intensity.into(),
            forecast: d.forecast.map(|f| Forecast { p_up: f.p_up, p_down: f.p_down, confidence: f.confidence }),
            depth: d.depth.map(|p| DepthPrices { bid: p.bid.map(|x| x as f64), ask: p.ask.map(|x| x as f64) }),
        }
    }
}

/// The latest decision's prediction, every horizon.
#[napi(object, object_from_js = false)]
pub struct PredictionView {
    /// `[down, flat, up]` per horizon, shortest first.
    pub probs: Vec<Vec<f64>>,
    /// Per horizon: `1 − H(p)/ln 3`.
    pub confidence: Vec<f64>,
}

/// One horizon's live tally: forecasts scored by the dataset's label rule (core `model::score`).
#[napi(object, object_from_js = false)]
pub struct ForecastScore {
    pub horizon_ms: f64,
    pub forecasts: f64,
    pub correct: f64,
    pub wrong: f64,
    pub unscored: f64,
    /// Share right of the last `recent` scored forecasts; null before any.
    pub accuracy: Option<f64>,
    pub recent: u32,
}

/// One named feature of the latest row the model read.
#[napi(object, object_from_js = false)]
pub struct FeatureValue {
    pub name: &'static str,
    pub value: f64,
}

/// One market's state (docs/market-state.md): `apply` per venue batch, `decisionInputs` per decision.
#[napi]
pub struct MarketState {
    inner: core::MarketState,
}

#[napi]
impl MarketState {
    /// Throws `INVALID_OPTION` naming the option, `IO` / `MODEL_LOAD` / `CONTRACT_MISMATCH` for a model.
    #[napi(constructor)]
    pub fn new(options: Option<MarketStateOptions>) -> Result<Self> {
        guard(|| {
            let o = options.unwrap_or_default();
            let opts = MarketOptions::try_from(&o)?;
            let inner = match &o.model {
                None => core::MarketState::new(opts).map_err(core_err)?,
                Some(m) => {
                    let slot = std::sync::Arc::new(ModelSlot::load(&m.path).map_err(core_err)?);
                    core::MarketState::with_model(opts, slot).map_err(core_err)?
                }
            };
            Ok(Self { inner })
        })
    }

    /// Applies a venue batch (book, own-order view, estimators, model features) in order.
    #[napi]
    pub fn apply(&mut self, batch: &EventBatch) -> Result<ApplyResult> {
        guard(|| Ok(self.inner.apply(&batch.inner).into()))
    }

    /// What a decision at `nowNs` reads; the mid is remembered for `apply(...).moved`.
    #[napi]
    pub fn decision_inputs(&mut self, now_ns: BigInt) -> Result<DecisionInputs> {
        guard(|| {
            let t = ns(&now_ns, "nowNs")?;
            Ok(self.inner.decision_inputs(t).map_err(core_err)?.into())
        })
    }

    /// Every following `decisionInputs` also answers `query` (`depth`); null stops it.
    #[napi]
    pub fn set_depth_query(&mut self, query: Option<DepthQuery>) -> Result<()> {
        let q = query.as_ref().map(CoreDepthQuery::try_from).transpose()?;
        self.inner.set_depth_query(q);
        Ok(())
    }

    /// The touch, or null while the book cannot be quoted on (status pages; not the hot path).
    #[napi]
    pub fn top(&self) -> Option<Top> {
        self.inner.top().map(Into::into)
    }

    /// "awaiting-snapshot" | "valid" | "invalid".
    #[napi(getter)]
    pub fn status(&self) -> &'static str {
        crate::book::status_name(self.inner.book().status())
    }

    #[napi(getter)]
    pub fn invalid_reason(&self) -> Option<InvalidReason> {
        invalid_reason(self.inner.book().status())
    }

    #[napi]
    pub fn counts(&self) -> BookCounts {
        book_counts(self.inner.replay())
    }

    /// Marks the book invalid (stale feed, disconnect): no top until the next snapshot.
    #[napi]
    pub fn invalidate(&mut self, reason: String) {
        self.inner.invalidate(reason);
    }

    /// One of our resting orders, for the view net of our liquidity (`netOfOwn`).
    #[napi]
    pub fn add_own_order(
        &mut self,
        order_id: f64,
        #[napi(ts_arg_type = "Side")] side: String,
        price: f64,
        size: f64,
    ) -> Result<()> {
        let order = CoreOwnOrder {
            id: id(order_id, "orderId")?,
            side: parse_side(&side, "side")?,
            price: ticks(price, "price")?,
            size: lots(size, "size")?,
        };
        self.inner.add_own_order(order).map_err(core_err)
    }

    /// A fill of `size` lots of an own order; returns the lots left (0 removes it).
    #[napi]
    pub fn fill_own_order(&mut self, order_id: f64, size: f64) -> Result<f64> {
        let left = self.inner.fill_own_order(id(order_id, "orderId")?, lots(size, "size")?).map_err(core_err)?;
        Ok(left as f64)
    }

    #[napi]
    pub fn remove_own_order(&mut self, order_id: f64) -> Result<()> {
        self.inner.remove_own_order(id(order_id, "orderId")?).map(drop).map_err(core_err)
    }

    /// Loads and checks `path`, then forecasts with it; a bad file throws and the old model
    /// keeps serving. Throws `INVALID_ARGUMENT` on a market without a model.
    #[napi]
    pub fn reload_model(&self, path: String) -> Result<()> {
        guard(|| {
            let signal = self.inner.signal().ok_or_else(|| invalid_arg("this market has no model to reload"))?;
            signal.reload(&path).map(drop).map_err(core_err)
        })
    }

    /// Up to `n` levels of `side` from the touch outward, as `top` sees the book (net of our
    /// orders with `netOfOwn`); none while the book is invalid. Status pages, not the hot path.
    #[napi]
    pub fn top_levels(&self, #[napi(ts_arg_type = "Side")] side: String, n: u32) -> Result<Vec<Level>> {
        let side = parse_side(&side, "side")?;
        Ok(self.inner.top_levels(side, n as usize).into_iter().map(Into::into).collect())
    }

    /// The latest decision's prediction at every horizon (null without one).
    #[napi]
    pub fn last_prediction(&self) -> Option<PredictionView> {
        self.inner.last_prediction().map(|p| PredictionView {
            probs: p.probs().iter().map(|row| row.iter().map(|&x| f64::from(x)).collect()).collect(),
            confidence: p.confidence().iter().map(|&c| f64::from(c)).collect(),
        })
    }

    /// Per horizon of the model: its forecasts scored against what the mid did (none without a model).
    #[napi]
    pub fn forecast_scores(&self) -> Vec<ForecastScore> {
        let Some(signal) = self.inner.signal() else { return Vec::new() };
        signal
            .scores()
            .iter()
            .map(|s| ForecastScore {
                horizon_ms: s.horizon_ns as f64 / 1e6,
                forecasts: s.forecasts as f64,
                correct: s.correct as f64,
                wrong: s.wrong as f64,
                unscored: s.unscored as f64,
                accuracy: s.accuracy(),
                recent: s.recent() as u32,
            })
            .collect()
    }

    /// The forecasts made and scored since the last call, oldest first (empty without a
    /// model); the core keeps at most 4096 of each undrained, dropping the oldest.
    #[napi]
    pub fn drain_forecasts(&mut self) -> crate::forecast_log::ForecastLog {
        self.inner.signal_mut().map(|s| s.drain_forecasts()).unwrap_or_default().into()
    }

    /// A few named features of the latest row the model read (null without a model or a row).
    #[napi]
    pub fn feature_summary(&self) -> Option<Vec<FeatureValue>> {
        let summary = self.inner.feature_summary()?;
        Some(summary.iter().map(|&(name, v)| FeatureValue { name, value: f64::from(v) }).collect())
    }

    /// Successful model reloads so far (null without a model).
    #[napi(getter)]
    pub fn model_generation(&self) -> Option<f64> {
        self.inner.signal().map(|s| s.generation() as f64)
    }
}

/// σ of the mid (the estimator `MarketState` keeps), alone.
#[napi]
pub struct EwmaVolatility {
    inner: core::EwmaVolatility,
}

#[napi]
impl EwmaVolatility {
    #[napi(constructor)]
    pub fn new(options: VolatilityOptions) -> Result<Self> {
        let o = CoreVolatility::try_from(&options)?;
        Ok(Self { inner: core::EwmaVolatility::new(o).map_err(core_err)? })
    }

    /// The mid (ticks) at exchange time `tsNs`.
    #[napi]
    pub fn update(&mut self, mid: f64, ts_ns: BigInt) -> Result<()> {
        self.inner.update(mid, ns(&ts_ns, "tsNs")?);
        Ok(())
    }

    /// ticks/√s; the prior until data arrive.
    #[napi(getter)]
    pub fn sigma(&self) -> f64 {
        self.inner.sigma()
    }

    #[napi(getter)]
    pub fn ready(&self) -> bool {
        self.inner.ready()
    }
}

/// A/k from trades (the estimator `MarketState` keeps), alone.
#[napi]
pub struct IntensityEstimator {
    inner: core::IntensityEstimator,
}

#[napi]
impl IntensityEstimator {
    #[napi(constructor)]
    pub fn new(options: IntensityOptions) -> Result<Self> {
        let o = CoreIntensity::try_from(&options)?;
        Ok(Self { inner: core::IntensityEstimator::new(o).map_err(core_err)? })
    }

    /// A trade; `mid` is the mid (ticks) just before it.
    #[napi]
    pub fn on_trade(&mut self, trade: PublicTrade, mid: f64) -> Result<()> {
        self.inner.on_trade(trade.price, mid, ns(&trade.exchange_ts_ns, "exchangeTsNs")?);
        Ok(())
    }

    /// The estimate at `nowNs`, refitted at most every `refitSeconds`.
    #[napi]
    pub fn estimate(&mut self, now_ns: BigInt) -> Result<IntensityEstimate> {
        Ok(self.inner.estimate(ns(&now_ns, "nowNs")?).into())
    }
}
