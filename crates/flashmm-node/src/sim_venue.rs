//! `SimVenue`: the core's live simulated venue for the daemon's embedded `sim` venue.
//! Conversions only: options to a `flashmm_core::sim::SimVenue`, reports and orders to plain
//! objects. Times are bigint ns on the host's clock; prices ticks, sizes lots, money bigint
//! in `tick × lot × 10⁻⁶` units (`MarketSpec.formatMoney`).

use std::path::Path;

use flashmm_core::error::ErrorCode;
use flashmm_core::replay::EventBatch as CoreBatch;
use flashmm_core::replay::binance::BinanceSource;
use flashmm_core::replay::{LIVE_GENERATOR_WINDOW_NS, ZiSource};
use flashmm_core::replay::{REAL_TIME_PPM, RecordingSource, RetimedSource, Skipped, VenueFeed};
use flashmm_core::sim::{self as core, Report, Request, SimConfig};
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::backtest::{latency, queue_model, with_fees};
use crate::convert::{core_err, id, invalid_arg, ns};
use crate::error::{Result, coded, guard};
use crate::generator::{ZiOptions, resolve_spec, seed, zi_params};
use crate::replay::EventBatch;
use crate::sim_convert::{
    SimAccount, SimOrder, SimPlace, SimReport, SimStatsOptions, new_order, order, report, stats_config,
};
use crate::spec::{MarketSpec, MarketSpecInit};

/// Options of `new SimVenue(...)`: a generated market (default) or a recording (`replayPath`).
#[napi(object)]
pub struct SimVenueOptions {
    /// Host time of the start (the generated market's first snapshot; the recording's first
    /// event), ns.
    pub start_ns: BigInt,
    /// Generated market: Binance symbol of a built-in grid (default BTCUSDT) on `market`
    /// (default "usdm"), or any grid in `spec`.
    pub symbol: Option<String>,
    pub market: Option<String>,
    pub spec: Option<MarketSpecInit>,
    /// Decimal initial best bid (default 60000 on the default market; required otherwise).
    pub initial_price: Option<String>,
    pub zi: Option<ZiOptions>,
    /// Exact integer in 0..2^53 (default 1).
    pub seed: Option<f64>,
    /// A Binance recording replayed on the host's clock instead of a generated market.
    pub replay_path: Option<String>,
    /// Replay speed (default 1 = real time; 2 = twice as fast).
    pub speed: Option<f64>,
    /// Order entry / report latency, ms (default 5 / 5).
    pub entry_latency_ms: Option<f64>,
    pub response_latency_ms: Option<f64>,
    /// "risk-averse" | "power" | "log" (default "power", exponent 2).
    pub queue: Option<String>,
    pub queue_exponent: Option<f64>,
    /// Fee overrides, ppm of notional (negative = rebate); default the spec's.
    pub maker_fee_ppm: Option<f64>,
    pub taker_fee_ppm: Option<f64>,
    /// Record what the statistics need (`recordStep`, `statsJson`); default false.
    pub record: Option<bool>,
}

/// What `advance` returns: the market events fed to the exchange (for the host's own book),
/// the reports received, and the recording's lines skipped on the way.
#[napi(object, object_from_js = false)]
pub struct SimAdvance {
    /// Market events in `market` (read here: no second native call for `market.length`).
    pub events: u32,
    pub market: EventBatch,
    pub reports: Vec<SimReport>,
    /// Recording lines that could not be read, skipped since the last `advance`, per reason
    /// (usually empty; a generated market has none).
    pub skipped: Vec<SkippedInput>,
}

/// Lines of one reason skipped: `reason` is a stable kebab-case code (`malformed`,
/// `negative`, `not-a-number`, `off-grid`, `too-large`, ..., `unreadable`).
#[napi(object, object_from_js = false)]
pub struct SkippedInput {
    pub reason: String,
    pub count: f64,
    /// 1-based line number of the first of them, and why it could not be read.
    pub first_line: f64,
    pub message: String,
}

/// The best bid and ask of the exchange's public book.
#[napi(object, object_from_js = false)]
pub struct SimTouch {
    pub bid: crate::convert::Level,
    pub ask: crate::convert::Level,
}

#[napi]
pub struct SimVenue {
    inner: core::SimVenue<VenueFeed>,
    reports: Vec<Report>,
    skipped: Vec<Skipped>,
}

#[napi]
impl SimVenue {
    #[napi(constructor)]
    pub fn new(options: SimVenueOptions) -> Result<Self> {
        guard(|| {
            let o = options;
            let start = ns(&o.start_ns, "startNs")?;
            let queue = queue_model(o.queue.as_deref(), o.queue_exponent)?;
            let latency = latency(o.entry_latency_ms, o.response_latency_ms, ["entryLatencyMs", "responseLatencyMs"])?;
            let (feed, spec, rule) = if let Some(path) = &o.replay_path {
                if o.spec.is_some() || o.symbol.is_some() || o.initial_price.is_some() || o.zi.is_some() {
                    return Err(invalid_arg(
                        "replayPath takes its market from the recording: no spec, symbol, initialPrice or zi",
                    ));
                }
                let speed_ppm =
                    o.speed.map_or(Ok(REAL_TIME_PPM), RetimedSource::<RecordingSource>::speed_ppm).map_err(core_err)?;
                let src = BinanceSource::open(Path::new(path), None, None)
                    .map_err(|e| coded(e.code(), format!("replayPath: {e}")))?;
                let (spec, rule) = (src.spec().clone(), src.rule());
                (VenueFeed::replay(src, start, speed_ppm).map_err(core_err)?, spec, rule)
            } else {
                if o.speed.is_some() {
                    return Err(invalid_arg("speed applies to replayPath only"));
                }
                let default_market = o.spec.is_none() && o.symbol.is_none() && o.market.is_none();
                let spec = resolve_spec(o.spec.as_ref(), o.symbol.as_deref(), o.market.as_deref(), "")?;
                let params = zi_params(&spec, o.initial_price.as_deref(), default_market, o.zi.as_ref(), "")?;
                let src = ZiSource::new(params, seed(o.seed, "seed")?, start, None)
                    .map_err(|e| coded(e.code(), format!("startNs/zi: {e}")))?
                    .with_window(LIVE_GENERATOR_WINDOW_NS)
                    .map_err(core_err)?;
                let rule = src.rule();
                (VenueFeed::Generated(src), spec, rule)
            };
            let sim = with_fees(
                SimConfig::new(&spec, rule).with_queue(queue),
                o.maker_fee_ppm,
                o.taker_fee_ppm,
                ["makerFeePpm", "takerFeePpm"],
            )?;
            let mut inner = core::SimVenue::new(feed, spec, sim, latency).map_err(core_err)?;
            if o.record == Some(true) {
                inner = inner.with_recorder();
            }
            Ok(Self { inner, reports: Vec::new(), skipped: Vec::new() })
        })
    }

    /// Moves the venue to host time `untilNs`: returns the market events up to it (feed them
    /// to the host's book) and the reports received by then. An earlier time changes nothing.
    #[napi]
    pub fn advance(&mut self, until_ns: BigInt) -> Result<SimAdvance> {
        guard(|| {
            let t = ns(&until_ns, "untilNs")?;
            let mut market = CoreBatch::default();
            self.reports.clear();
            self.inner.advance_to(t, &mut market, &mut self.reports).map_err(core_err)?;
            self.skipped.clear();
            self.inner.take_skipped(&mut self.skipped);
            let events = market.len() as u32;
            Ok(SimAdvance {
                events,
                market: EventBatch { inner: market },
                reports: self.reports.iter().map(report).collect(),
                skipped: self.skipped.iter().map(skipped).collect(),
            })
        })
    }

    /// Sends a limit order at host time `nowNs` (>= the last `advance`). `postOnly` default true.
    #[napi]
    pub fn place(
        &mut self,
        now_ns: BigInt,
        client_id: f64,
        #[napi(ts_arg_type = "Side")] side: String,
        price_ticks: f64,
        lots: f64,
        post_only: Option<bool>,
    ) -> Result<()> {
        guard(|| {
            let req = new_order(client_id, &side, price_ticks, lots, post_only.unwrap_or(true))?;
            self.inner.submit(ns(&now_ns, "nowNs")?, req).map(|_| ()).map_err(core_err)
        })
    }

    #[napi]
    pub fn cancel(&mut self, now_ns: BigInt, client_id: f64) -> Result<()> {
        guard(|| {
            let req = Request::Cancel { client_id: id(client_id, "clientId")? };
            self.inner.submit(ns(&now_ns, "nowNs")?, req).map(|_| ()).map_err(core_err)
        })
    }

    /// Cancels every resting order of ours (one request; a `cancel-all-done` report follows).
    #[napi]
    pub fn cancel_all(&mut self, now_ns: BigInt) -> Result<()> {
        guard(|| self.inner.cancel_all(ns(&now_ns, "nowNs")?).map(|_| ()).map_err(core_err))
    }

    /// One decision's requests in one call: the cancels, then the places, all sent at `nowNs`
    /// in that order. Every item is checked before anything is sent.
    #[napi]
    pub fn submit_batch(&mut self, now_ns: BigInt, cancels: Vec<f64>, places: Vec<SimPlace>) -> Result<()> {
        guard(|| {
            let t = ns(&now_ns, "nowNs")?;
            let mut reqs = Vec::with_capacity(cancels.len() + places.len());
            for c in cancels {
                reqs.push(Request::Cancel { client_id: id(c, "cancels[]")? });
            }
            for p in &places {
                reqs.push(new_order(p.client_id, &p.side, p.price, p.lots, p.post_only.unwrap_or(true))?);
            }
            for r in reqs {
                self.inner.submit(t, r).map_err(core_err)?;
            }
            Ok(())
        })
    }

    /// The exchange's public book now as one snapshot event (every level, its last update id;
    /// the venue clock as exchange time), received at `localNs`: what a subscriber joining late
    /// starts from. Null while the book is not valid.
    #[napi]
    pub fn snapshot(&self, local_ns: BigInt) -> Result<Option<EventBatch>> {
        guard(|| {
            let mut batch = CoreBatch::default();
            let ok = batch.push_book_snapshot(self.inner.book(), ns(&local_ns, "localNs")?, self.inner.clock());
            Ok(ok.then_some(EventBatch { inner: batch }))
        })
    }

    /// Our live orders at the exchange now (bids best first, then asks).
    #[napi(catch_unwind)]
    pub fn open_orders(&self) -> Vec<SimOrder> {
        self.inner.open_orders().iter().map(order).collect()
    }

    /// Position in lots, as the exchange books it.
    #[napi(getter, catch_unwind)]
    pub fn position(&self) -> f64 {
        self.inner.account().position() as f64
    }

    #[napi(getter, catch_unwind)]
    pub fn account(&self) -> SimAccount {
        let a = self.inner.account();
        SimAccount {
            position: a.position() as f64,
            cash: a.cash,
            fees: a.fees(),
            fills: a.fills as f64,
            bought_lots: a.bought_lots as f64,
            sold_lots: a.sold_lots as f64,
            maker_lots: a.maker_lots as f64,
            taker_lots: a.taker_lots as f64,
            volume: a.volume,
        }
    }

    #[napi(getter, catch_unwind)]
    pub fn spec(&self) -> MarketSpec {
        MarketSpec { inner: self.inner.spec().clone() }
    }

    /// The exchange's best bid and ask, or null while its book is not valid and two-sided.
    #[napi(catch_unwind)]
    pub fn touch(&self) -> Option<SimTouch> {
        let book = self.inner.book();
        if !book.is_valid() {
            return None;
        }
        let (b, a) = book.best_bid().zip(book.best_ask())?;
        Some(SimTouch { bid: b.into(), ask: a.into() })
    }

    /// The venue clock: the latest `advance` time, ns (null before the first).
    #[napi(getter, catch_unwind)]
    pub fn clock(&self) -> Option<i128> {
        let c = self.inner.clock();
        (c != i64::MIN).then_some(i128::from(c))
    }

    /// A replay that has fed its last event.
    #[napi(getter, catch_unwind)]
    pub fn finished(&self) -> bool {
        self.inner.is_exhausted()
    }

    /// Requests sent and not yet arrived at the exchange.
    #[napi(getter, catch_unwind)]
    pub fn in_flight(&self) -> u32 {
        self.inner.in_flight() as u32
    }

    /// Records one statistics step at the venue clock (the exchange's touch, its account of
    /// us, our best live quotes); false when skipped (no valid two-sided book yet). Needs
    /// `record: true`. Record one after the last decision so every fill is counted.
    #[napi]
    pub fn record_step(&mut self) -> Result<bool> {
        guard(|| {
            if !self.inner.is_recording() {
                return Err(invalid_arg("recordStep needs a venue created with record: true"));
            }
            Ok(self.inner.record_step())
        })
    }

    /// The core's statistics of the recorded steps and fills (`BacktestStats` JSON: money and
    /// ns as decimal strings, docs/statistics.md), with the venue's order counts.
    #[napi]
    pub fn stats_json(&self, options: Option<SimStatsOptions>) -> Result<String> {
        guard(|| {
            if !self.inner.is_recording() {
                return Err(invalid_arg("statsJson needs a venue created with record: true"));
            }
            let cfg = stats_config(options)?;
            self.inner.stats(&cfg).map(|s| s.to_json()).map_err(core_err)
        })
    }

    /// The steps recorded so far (`StepRecord[]` as JSON: ns as decimal strings), empty
    /// without `record: true`. What the spread-improvement figure reads (src/report/spread.ts).
    #[napi]
    pub fn steps_json(&self) -> String {
        serde_json::to_string(self.inner.recorded_steps()).expect("steps serialise")
    }

    /// The host time (ns) at which the replay delivers an event stamped `exchangeNs` in the
    /// recording (the replay's start and speed); null for a generated market, and before the
    /// first `advance` (the recording's first time is not known yet).
    #[napi]
    pub fn host_time_of(&self, exchange_ns: BigInt) -> Result<Option<BigInt>> {
        guard(|| Ok(self.inner.source().host_ts(ns(&exchange_ns, "exchangeNs")?).map(BigInt::from)))
    }

    /// Steps skipped by `recordStep` (no valid two-sided book).
    #[napi(getter, catch_unwind)]
    pub fn skipped_steps(&self) -> f64 {
        self.inner.skipped_steps() as f64
    }
}

fn skipped(s: &Skipped) -> SkippedInput {
    SkippedInput {
        reason: s.reason.to_owned(),
        count: s.count as f64,
        first_line: s.first_line as f64,
        message: s.message.clone(),
    }
}
