//! Conversions of the `SimVenue` binding: reports, orders and requests between plain JS
//! objects and the core's types, and the statistics options.

use flashmm_core::book::Side as CoreSide;
use flashmm_core::money::Liquidity;
use flashmm_core::sim::{NewOrder, OrderView, Report, ReportKind, Request};
use flashmm_core::stats::StatsConfig;
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::convert::{id, invalid_arg, lots, ticks};
use crate::error::Result;
use crate::generator::ms_to_ns;

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

/// Options of `statsJson`: how the recorded steps are judged (docs/statistics.md).
#[napi(object)]
pub struct SimStatsOptions {
    /// The decision interval, ms: the period of the per-step returns (default 100).
    pub step_interval_ms: Option<f64>,
    /// The period of the resampled returns, ms (default 60 000).
    pub resample_ms: Option<f64>,
    /// Adverse-selection horizons, ms (default [1000, 10000]).
    pub horizons_ms: Option<Vec<f64>>,
}

pub fn stats_config(o: Option<SimStatsOptions>) -> Result<StatsConfig> {
    let mut cfg = StatsConfig::default();
    let Some(o) = o else { return Ok(cfg) };
    if let Some(ms) = o.step_interval_ms {
        cfg.step_interval_ns = ms_to_ns(ms, "stepIntervalMs")?;
    }
    if let Some(ms) = o.resample_ms {
        cfg.resample_ns = ms_to_ns(ms, "resampleMs")?;
    }
    if let Some(h) = o.horizons_ms {
        cfg.horizons_ns = h.into_iter().map(|ms| ms_to_ns(ms, "horizonsMs[]")).collect::<Result<_>>()?;
    }
    Ok(cfg)
}

pub fn ns(value: &BigInt, what: &str) -> Result<i64> {
    match value.get_i64() {
        (v, true) => Ok(v),
        _ => Err(invalid_arg(format!("{what} is out of the i64 ns range"))),
    }
}

fn side(name: &str, what: &str) -> Result<CoreSide> {
    match name {
        "buy" => Ok(CoreSide::Buy),
        "sell" => Ok(CoreSide::Sell),
        other => Err(invalid_arg(format!("{what} = '{other}' must be 'buy' or 'sell'"))),
    }
}

fn side_name(s: CoreSide) -> String {
    if s == CoreSide::Buy { "buy" } else { "sell" }.into()
}

pub fn report(r: &Report) -> SimReport {
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

pub fn order(v: &OrderView) -> SimOrder {
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

pub fn new_order(client_id: f64, side_name: &str, price: f64, size: f64, post_only: bool) -> Result<Request> {
    let cid = id(client_id, "clientId")?;
    let s = side(side_name, "side")?;
    let (p, l) = (ticks(price, "price")?, lots(size, "lots")?);
    let o = if post_only { NewOrder::post_only(cid, s, p, l) } else { NewOrder::limit(cid, s, p, l) };
    Ok(Request::New(o))
}

