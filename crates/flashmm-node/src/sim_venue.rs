//! `SimVenue`: the core's live simulated venue for the daemon's embedded `sim` venue.
//! Conversions only: options to a `flashmm_core::sim::SimVenue`, reports and orders to plain
//! objects. Times are bigint ns on the host's clock; prices ticks, sizes lots, money bigint
//! in `tick × lot × 10⁻⁶` units (`MarketSpec.formatMoney`).

use std::path::Path;

use flashmm_core::backtest::{BinanceSource, ZiSource};
use flashmm_core::book::Side as CoreSide;
use flashmm_core::replay::EventBatch as CoreBatch;
use flashmm_core::sim::{
    self as core, ConstantLatency, Liquidity, NewOrder, OrderView, Report, ReportKind, Request, RetimedSource,
    SimConfig, VenueFeed,
};
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::backtest::{ppm, queue_model};
use crate::convert::{id, invalid_arg, lots, ticks};
use crate::generator::{ZiOptions, ms_to_ns, resolve_spec, seed, zi_params};
use crate::replay::EventBatch;
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
}

/// One execution report, received at `ts` (host time).
#[napi(object, object_from_js = false)]
pub struct SimReport {
    #[napi(
        ts_type = "'accepted' | 'rejected' | 'fill' | 'cancelled' | 'cancel-rejected' | 'amended' | 'amend-rejected' | 'cancel-all-done'"
    )]
    pub kind: String,
    /// 0 for `cancel-all-done`.
    pub client_id: f64,
    #[napi(ts_type = "'buy' | 'sell'")]
    pub side: Option<String>,
    /// Ticks: the order's limit (accepted, amended) or the execution price (fill).
    pub price: Option<f64>,
    /// Lots: the order's size (accepted), the new total (amended), the lots filled (fill).
    pub lots: Option<f64>,
    /// Lots still open after a fill, an amend, or left unfilled by a cancel.
    pub leaves: Option<f64>,
    /// Fill fee in money units (negative = rebate).
    pub fee: Option<i128>,
    #[napi(ts_type = "'maker' | 'taker'")]
    pub liquidity: Option<String>,
    /// What filled: "taker" | "trade" | "book_cross".
    pub trigger: Option<String>,
    /// Why (rejected, cancelled, cancel-rejected, amend-rejected; amended: priority_kept/lost).
    pub reason: Option<String>,
    /// `cancel-all-done`: how many orders it cancelled.
    pub canceled: Option<u32>,
    /// When we receive it, ns (host clock).
    pub ts: i128,
    /// When the exchange produced it, ns (0: the request never reached it).
    pub exchange_ts: i128,
}

/// One of our live orders at the exchange.
#[napi(object, object_from_js = false)]
pub struct SimOrder {
    pub client_id: f64,
    #[napi(ts_type = "'buy' | 'sell'")]
    pub side: String,
    pub price: f64,
    /// Total lots (filled included).
    pub qty: f64,
    pub filled: f64,
    pub leaves: f64,
    pub post_only: bool,
    /// Estimated public lots ahead of it at its price.
    pub queue_ahead: f64,
}

/// A new order of `submitBatch`.
#[napi(object)]
pub struct SimPlace {
    pub client_id: f64,
    #[napi(ts_type = "'buy' | 'sell'")]
    pub side: String,
    pub price: f64,
    pub lots: f64,
    /// Default true.
    pub post_only: Option<bool>,
}

/// The exchange's booking of our account (every fill, reported or not).
#[napi(object, object_from_js = false)]
pub struct SimAccount {
    pub position: f64,
    pub cash: i128,
    pub fees: i128,
    pub fills: f64,
    pub bought_lots: f64,
    pub sold_lots: f64,
    pub maker_lots: f64,
    pub taker_lots: f64,
    pub volume: i128,
}

/// What `advance` returns: the market events fed to the exchange (for the host's own book)
/// and the reports received.
#[napi(object, object_from_js = false)]
pub struct SimAdvance {
    pub market: EventBatch,
    pub reports: Vec<SimReport>,
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
}

fn ns(value: &BigInt, what: &str) -> napi::Result<i64> {
    match value.get_i64() {
        (v, true) => Ok(v),
        _ => Err(invalid_arg(format!("{what} is out of the i64 ns range"))),
    }
}

fn side(name: &str, what: &str) -> napi::Result<CoreSide> {
    match name {
        "buy" => Ok(CoreSide::Bid),
        "sell" => Ok(CoreSide::Ask),
        other => Err(invalid_arg(format!("{what} = '{other}' must be 'buy' or 'sell'"))),
    }
}

fn side_name(s: CoreSide) -> String {
    if s == CoreSide::Bid { "buy" } else { "sell" }.into()
}

fn report(r: &Report) -> SimReport {
    let mut o = SimReport {
        kind: String::new(),
        client_id: r.client_id as f64,
        side: None,
        price: None,
        lots: None,
        leaves: None,
        fee: None,
        liquidity: None,
        trigger: None,
        reason: None,
        canceled: None,
        ts: i128::from(r.local_ts),
        exchange_ts: i128::from(r.exchange_ts),
    };
    let (kind, reason) = match r.kind {
        ReportKind::Accepted { side, price, lots } => {
            (o.side, o.price, o.lots) = (Some(side_name(side)), Some(price as f64), Some(lots as f64));
            ("accepted", None)
        }
        ReportKind::Rejected { reason } => ("rejected", Some(reason.name())),
        ReportKind::Fill(f) => {
            (o.side, o.price, o.lots, o.leaves) =
                (Some(side_name(f.side)), Some(f.price as f64), Some(f.lots as f64), Some(f.leaves as f64));
            o.fee = Some(f.fee);
            o.liquidity = Some(if f.liquidity == Liquidity::Maker { "maker" } else { "taker" }.into());
            o.trigger = Some(f.trigger.name().into());
            ("fill", None)
        }
        ReportKind::Canceled { reason, leaves } => {
            o.leaves = Some(leaves as f64);
            ("cancelled", Some(reason.name()))
        }
        ReportKind::CancelRejected { reason } => ("cancel-rejected", Some(reason.name())),
        ReportKind::Amended { price, lots, leaves, priority_kept } => {
            (o.price, o.lots, o.leaves) = (Some(price as f64), Some(lots as f64), Some(leaves as f64));
            ("amended", Some(if priority_kept { "priority_kept" } else { "priority_lost" }))
        }
        ReportKind::AmendRejected { reason } => ("amend-rejected", Some(reason.name())),
        ReportKind::CancelAllDone { canceled } => {
            o.canceled = Some(canceled);
            ("cancel-all-done", None)
        }
    };
    o.kind = kind.into();
    o.reason = reason.map(Into::into);
    o
}

fn order(v: &OrderView) -> SimOrder {
    SimOrder {
        client_id: v.client_id as f64,
        side: side_name(v.side),
        price: v.price as f64,
        qty: v.qty as f64,
        filled: v.filled as f64,
        leaves: v.leaves as f64,
        post_only: v.post_only,
        queue_ahead: v.queue_ahead,
    }
}

fn new_order(client_id: f64, side_name: &str, price: f64, size: f64, post_only: bool) -> napi::Result<Request> {
    let cid = id(client_id, "clientId")?;
    let s = side(side_name, "side")?;
    let (p, l) = (ticks(price, "price")?, lots(size, "lots")?);
    let o = if post_only { NewOrder::post_only(cid, s, p, l) } else { NewOrder::limit(cid, s, p, l) };
    Ok(Request::New(o))
}

#[napi]
impl SimVenue {
    #[napi(constructor, catch_unwind)]
    pub fn new(options: SimVenueOptions) -> napi::Result<Self> {
        let o = options;
        let start = ns(&o.start_ns, "startNs")?;
        let queue = queue_model(o.queue.as_deref(), o.queue_exponent)?;
        let entry = ms_to_ns(o.entry_latency_ms.unwrap_or(5.0), "entryLatencyMs")?;
        let response = ms_to_ns(o.response_latency_ms.unwrap_or(5.0), "responseLatencyMs")?;
        let latency = ConstantLatency::new(entry, response).map_err(invalid_arg)?;
        let (feed, spec, rule) = if let Some(path) = &o.replay_path {
            if o.spec.is_some() || o.symbol.is_some() || o.initial_price.is_some() || o.zi.is_some() {
                return Err(invalid_arg("replayPath takes its market from the recording: no spec, symbol, initialPrice or zi"));
            }
            let speed = o.speed.unwrap_or(1.0);
            let ppm_speed = (speed * 1e6).round();
            if !(1.0..=1e12).contains(&ppm_speed) {
                return Err(invalid_arg(format!("speed = {speed} must be a positive number (at most 10^6)")));
            }
            let src = BinanceSource::open(Path::new(path), None, None)
                .map_err(|e| invalid_arg(format!("replayPath: {e}")))?;
            let (spec, rule) = (src.spec().clone(), src.rule());
            let retimed = RetimedSource::new(src, start, ppm_speed as i64).map_err(invalid_arg)?;
            (VenueFeed::Replay(retimed), spec, rule)
        } else {
            if o.speed.is_some() {
                return Err(invalid_arg("speed applies to replayPath only"));
            }
            let default_market = o.spec.is_none() && o.symbol.is_none() && o.market.is_none();
            let spec = resolve_spec(o.spec.as_ref(), o.symbol.as_deref(), o.market.as_deref(), "")?;
            let params = zi_params(&spec, o.initial_price.as_deref(), default_market, o.zi.as_ref(), "")?;
            let src = ZiSource::new(params, seed(o.seed, "seed")?, start, None)
                .map_err(|e| invalid_arg(format!("startNs/zi: {e}")))?
                .with_window(100_000_000)
                .map_err(invalid_arg)?;
            let rule = src.rule();
            (VenueFeed::Generated(src), spec, rule)
        };
        let mut sim = SimConfig::new(&spec, rule).with_queue(queue);
        if let Some(f) = o.maker_fee_ppm {
            sim.maker_fee_ppm = ppm(f, "makerFeePpm")?;
        }
        if let Some(f) = o.taker_fee_ppm {
            sim.taker_fee_ppm = ppm(f, "takerFeePpm")?;
        }
        let inner = core::SimVenue::new(feed, spec, sim, latency).map_err(invalid_arg)?;
        Ok(Self { inner, reports: Vec::new() })
    }

    /// Moves the venue to host time `untilNs`: returns the market events up to it (feed them
    /// to the host's book) and the reports received by then. An earlier time changes nothing.
    #[napi(catch_unwind)]
    pub fn advance(&mut self, until_ns: BigInt) -> napi::Result<SimAdvance> {
        let t = ns(&until_ns, "untilNs")?;
        let mut market = CoreBatch::default();
        self.reports.clear();
        self.inner.advance_to(t, &mut market, &mut self.reports).map_err(invalid_arg)?;
        Ok(SimAdvance { market: EventBatch { inner: market }, reports: self.reports.iter().map(report).collect() })
    }

    /// Sends a limit order at host time `nowNs` (>= the last `advance`). `postOnly` default true.
    #[napi(catch_unwind)]
    pub fn place(
        &mut self,
        now_ns: BigInt,
        client_id: f64,
        #[napi(ts_arg_type = "'buy' | 'sell'")] side: String,
        price_ticks: f64,
        lots: f64,
        post_only: Option<bool>,
    ) -> napi::Result<()> {
        let req = new_order(client_id, &side, price_ticks, lots, post_only.unwrap_or(true))?;
        self.inner.submit(ns(&now_ns, "nowNs")?, req).map(|_| ()).map_err(invalid_arg)
    }

    #[napi(catch_unwind)]
    pub fn cancel(&mut self, now_ns: BigInt, client_id: f64) -> napi::Result<()> {
        let req = Request::Cancel { client_id: id(client_id, "clientId")? };
        self.inner.submit(ns(&now_ns, "nowNs")?, req).map(|_| ()).map_err(invalid_arg)
    }

    /// Cancels every resting order of ours (one request; a `cancel-all-done` report follows).
    #[napi(catch_unwind)]
    pub fn cancel_all(&mut self, now_ns: BigInt) -> napi::Result<()> {
        self.inner.cancel_all(ns(&now_ns, "nowNs")?).map(|_| ()).map_err(invalid_arg)
    }

    /// One decision's requests in one call: the cancels, then the places, all sent at `nowNs`
    /// in that order. Every item is checked before anything is sent.
    #[napi(catch_unwind)]
    pub fn submit_batch(&mut self, now_ns: BigInt, cancels: Vec<f64>, places: Vec<SimPlace>) -> napi::Result<()> {
        let t = ns(&now_ns, "nowNs")?;
        let mut reqs = Vec::with_capacity(cancels.len() + places.len());
        for c in cancels {
            reqs.push(Request::Cancel { client_id: id(c, "cancels[]")? });
        }
        for p in &places {
            reqs.push(new_order(p.client_id, &p.side, p.price, p.lots, p.post_only.unwrap_or(true))?);
        }
        for r in reqs {
            self.inner.submit(t, r).map_err(invalid_arg)?;
        }
        Ok(())
    }

    /// Our live orders at the exchange now (bids best first, then asks).
    #[napi(catch_unwind)]
    pub fn open_orders(&self) -> Vec<SimOrder> {
        self.inner.open_orders().iter().map(order).collect()
    }

    /// Position in lots, as the exchange books it.
    #[napi(getter, catch_unwind)]
    pub fn position(&self) -> f64 {
        self.inner.account().position as f64
    }

    #[napi(getter, catch_unwind)]
    pub fn account(&self) -> SimAccount {
        let a = self.inner.account();
        SimAccount {
            position: a.position as f64,
            cash: a.cash,
            fees: a.fees,
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
}
