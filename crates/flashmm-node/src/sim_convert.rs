//! Conversions of the `SimVenue` binding: reports, orders and requests between plain JS
//! objects and the core's types, and the statistics options.

use flashmm_core::money::Liquidity;
use flashmm_core::sim::{NewOrder, OrderView, Report, ReportKind, Request};
use flashmm_core::stats::StatsConfig;
use napi_derive::napi;

use crate::convert::{id, lots, ticks};
use crate::error::Result;
use crate::generator::ms_to_ns;
use crate::side::{Side, parse_side};

/// `'maker' | 'taker'`.
#[napi(string_enum = "lowercase")]
pub enum LiquidityKind {
    Maker,
    Taker,
}

/// One execution report, kind-tagged: `ts` when we receive it (host clock, ns), `exchangeTs` when
/// the exchange produced it (0: the request never reached it). `clientId` is 0 for `cancel-all-done`.
#[napi(discriminant = "kind", discriminant_case = "kebab-case", object_from_js = false)]
pub enum SimReport {
    /// A new order was accepted: its side, limit (ticks; 0 for a market order) and size (lots).
    Accepted {
        client_id: f64,
        side: Side,
        price: f64,
        lots: f64,
        ts: i128,
        exchange_ts: i128,
    },
    Rejected {
        client_id: f64,
        reason: &'static str,
        ts: i128,
        exchange_ts: i128,
    },
    /// `lots` filled at `price`; `leaves` still open; `fee` money units (negative = rebate);
    /// `trigger` what filled it: "taker" | "trade" | "book-cross".
    Fill {
        client_id: f64,
        side: Side,
        price: f64,
        lots: f64,
        leaves: f64,
        fee: i128,
        liquidity: LiquidityKind,
        trigger: &'static str,
        ts: i128,
        exchange_ts: i128,
    },
    /// The order left the book; `leaves` lots were not filled.
    Cancelled {
        client_id: f64,
        reason: &'static str,
        leaves: f64,
        ts: i128,
        exchange_ts: i128,
    },
    CancelRejected {
        client_id: f64,
        reason: &'static str,
        ts: i128,
        exchange_ts: i128,
    },
    /// New limit and total size; a price change or a larger size lost the queue position.
    Amended {
        client_id: f64,
        price: f64,
        lots: f64,
        leaves: f64,
        priority_kept: bool,
        ts: i128,
        exchange_ts: i128,
    },
    AmendRejected {
        client_id: f64,
        reason: &'static str,
        ts: i128,
        exchange_ts: i128,
    },
    /// A cancel-all was processed: how many orders it cancelled (each also reported).
    CancelAllDone {
        client_id: f64,
        cancelled: u32,
        ts: i128,
        exchange_ts: i128,
    },
}

/// One of our live orders at the exchange.
#[napi(object, object_from_js = false)]
pub struct SimOrder {
    pub client_id: f64,
    pub side: Side,
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
    #[napi(ts_type = "Side")]
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

pub fn report(r: &Report) -> SimReport {
    let (client_id, ts, exchange_ts) = (r.client_id as f64, i128::from(r.local_ts), i128::from(r.exchange_ts));
    match r.kind {
        ReportKind::Accepted { side, price, lots } => SimReport::Accepted {
            client_id,
            side: side.into(),
            price: price as f64,
            lots: lots as f64,
            ts,
            exchange_ts,
        },
        ReportKind::Rejected { reason } => SimReport::Rejected { client_id, reason: reason.name(), ts, exchange_ts },
        ReportKind::Fill(f) => SimReport::Fill {
            client_id,
            side: f.side.into(),
            price: f.price as f64,
            lots: f.lots as f64,
            leaves: f.leaves as f64,
            fee: f.fee,
            liquidity: if f.liquidity == Liquidity::Maker { LiquidityKind::Maker } else { LiquidityKind::Taker },
            trigger: f.trigger.name(),
            ts,
            exchange_ts,
        },
        ReportKind::Cancelled { reason, leaves } => {
            SimReport::Cancelled { client_id, reason: reason.name(), leaves: leaves as f64, ts, exchange_ts }
        }
        ReportKind::CancelRejected { reason } => {
            SimReport::CancelRejected { client_id, reason: reason.name(), ts, exchange_ts }
        }
        ReportKind::Amended { price, lots, leaves, priority_kept } => SimReport::Amended {
            client_id,
            price: price as f64,
            lots: lots as f64,
            leaves: leaves as f64,
            priority_kept,
            ts,
            exchange_ts,
        },
        ReportKind::AmendRejected { reason } => {
            SimReport::AmendRejected { client_id, reason: reason.name(), ts, exchange_ts }
        }
        ReportKind::CancelAllDone { cancelled } => SimReport::CancelAllDone { client_id, cancelled, ts, exchange_ts },
    }
}

pub fn order(v: &OrderView) -> SimOrder {
    SimOrder {
        client_id: v.client_id as f64,
        side: v.side.into(),
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
    let s = parse_side(side_name, "side")?;
    let (p, l) = (ticks(price, "price")?, lots(size, "lots")?);
    let o = if post_only { NewOrder::post_only(cid, s, p, l) } else { NewOrder::limit(cid, s, p, l) };
    Ok(Request::New(o))
}
