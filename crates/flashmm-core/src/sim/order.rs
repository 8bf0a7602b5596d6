//! What we send to the simulated exchange and what it answers.

use crate::book::Side;

use crate::money::{Liquidity, Money};
use crate::stats::FillRecord;

/// Client order id. Unique per simulator; [`NO_ORDER`] marks reports about no single order.
pub type ClientId = u64;

/// The `client_id` of reports that concern no single order ([`ReportKind::CancelAllDone`]).
pub const NO_ORDER: ClientId = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderType {
    /// Good-till-cancelled limit order. `post_only`: rejected if it would take liquidity.
    Limit { price: i64, post_only: bool },
    /// Takes displayed liquidity best price first; what cannot be filled is cancelled.
    Market,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NewOrder {
    pub client_id: ClientId,
    /// `Buy` or `Sell`.
    pub side: Side,
    pub lots: i64,
    pub kind: OrderType,
}

impl NewOrder {
    pub fn limit(client_id: ClientId, side: Side, price: i64, lots: i64) -> Self {
        Self { client_id, side, lots, kind: OrderType::Limit { price, post_only: false } }
    }

    pub fn post_only(client_id: ClientId, side: Side, price: i64, lots: i64) -> Self {
        Self { client_id, side, lots, kind: OrderType::Limit { price, post_only: true } }
    }

    pub fn market(client_id: ClientId, side: Side, lots: i64) -> Self {
        Self { client_id, side, lots, kind: OrderType::Market }
    }
}

/// A request from us to the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    New(NewOrder),
    Cancel {
        client_id: ClientId,
    },
    /// Cancels every resting order of ours.
    CancelAll,
    /// New limit price and new *total* quantity (filled lots included) of a resting order.
    /// A price change or a larger remaining size loses queue priority; a smaller remaining
    /// size at the same price keeps it. Amends never take liquidity.
    Amend {
        client_id: ClientId,
        price: i64,
        lots: i64,
    },
}

impl Request {
    /// The order the request is about ([`NO_ORDER`] for cancel-all).
    pub fn client_id(&self) -> ClientId {
        match *self {
            Request::New(o) => o.client_id,
            Request::Cancel { client_id } | Request::Amend { client_id, .. } => client_id,
            Request::CancelAll => NO_ORDER,
        }
    }
}

/// Why a new order was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// Size not positive or below the market's minimum.
    InvalidSize,
    /// Limit price not positive.
    InvalidPrice,
    /// The client id is in use (live, or used by an earlier accepted order), or is the
    /// reserved [`NO_ORDER`]. Ids of rejected orders stay free.
    DuplicateClientId,
    /// A post-only order would have taken liquidity.
    PostOnlyWouldCross,
    /// The order would have traded with our own resting order (self-trade prevention).
    SelfTrade,
    /// The simulator's public book is not valid (no snapshot yet, or a sequence gap).
    NoMarketData,
    /// The exchange dropped the request (negative entry latency).
    ExchangeUnavailable,
}

impl RejectReason {
    /// kebab-case name, as in the backtest JSON and the binding's reports (one case style).
    pub fn name(self) -> &'static str {
        match self {
            RejectReason::InvalidSize => "invalid-size",
            RejectReason::InvalidPrice => "invalid-price",
            RejectReason::DuplicateClientId => "duplicate-client-id",
            RejectReason::PostOnlyWouldCross => "post-only-would-cross",
            RejectReason::SelfTrade => "self-trade",
            RejectReason::NoMarketData => "no-market-data",
            RejectReason::ExchangeUnavailable => "exchange-unavailable",
        }
    }
}

/// Why an order left the book without being filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Our cancel request.
    Requested,
    /// Our cancel-all request.
    CancelAll,
    /// Cancelled by self-trade prevention ([`super::SelfTradePrevention::CancelResting`]).
    SelfTrade,
    /// The unfilled remainder of a market order.
    Unfilled,
}

impl CancelReason {
    /// kebab-case name, as in the backtest JSON and the binding's reports (one case style).
    pub fn name(self) -> &'static str {
        match self {
            CancelReason::Requested => "requested",
            CancelReason::CancelAll => "cancel-all",
            CancelReason::SelfTrade => "self-trade",
            CancelReason::Unfilled => "unfilled",
        }
    }
}

/// Why a cancel or an amend was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModifyRejectReason {
    /// The order was filled or cancelled before the request arrived.
    TooLate,
    /// No order with that client id was ever accepted.
    UnknownOrder,
    /// Amend: price not positive.
    InvalidPrice,
    /// Amend: size below the minimum.
    InvalidSize,
    /// Amend: the new total quantity does not exceed what is already filled.
    QtyNotAboveFilled,
    /// Amend: the new price would take liquidity.
    WouldCross,
    /// Amend: the new price would trade with our own resting order.
    SelfTrade,
    /// The exchange dropped the request (negative entry latency).
    ExchangeUnavailable,
}

impl ModifyRejectReason {
    /// kebab-case name, as in the backtest JSON and the binding's reports (one case style).
    pub fn name(self) -> &'static str {
        match self {
            ModifyRejectReason::TooLate => "too-late",
            ModifyRejectReason::UnknownOrder => "unknown-order",
            ModifyRejectReason::InvalidPrice => "invalid-price",
            ModifyRejectReason::InvalidSize => "invalid-size",
            ModifyRejectReason::QtyNotAboveFilled => "qty-not-above-filled",
            ModifyRejectReason::WouldCross => "would-cross",
            ModifyRejectReason::SelfTrade => "self-trade",
            ModifyRejectReason::ExchangeUnavailable => "exchange-unavailable",
        }
    }
}

/// What caused a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FillTrigger {
    /// Our order took displayed liquidity on arrival.
    Taker,
    /// A public trade (its venue id) reached our resting order.
    Trade { trade_id: u64 },
    /// Displayed liquidity appeared at or through our resting order's price.
    BookCross,
}

impl FillTrigger {
    /// `taker`, `trade` or `book-cross`.
    pub fn name(self) -> &'static str {
        match self {
            FillTrigger::Taker => "taker",
            FillTrigger::Trade { .. } => "trade",
            FillTrigger::BookCross => "book-cross",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fill {
    /// Exchange-wide fill sequence number, from 1.
    pub fill_id: u64,
    pub side: Side,
    /// Execution price in ticks (our limit for maker fills, the level's for taker fills).
    pub price: i64,
    pub lots: i64,
    /// Lots of the order still open after this fill.
    pub leaves: i64,
    /// Exact fee in [`Money`] units; negative = rebate.
    pub fee: Money,
    pub liquidity: Liquidity,
    pub trigger: FillTrigger,
}

impl Fill {
    /// The statistics' record of this fill of order `order`, executed at `ts` (exchange time).
    pub fn record(&self, ts: i64, order: ClientId) -> FillRecord {
        FillRecord {
            ts,
            order,
            side: self.side,
            price: self.price,
            lots: self.lots,
            fee: self.fee,
            liquidity: self.liquidity,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// A new order was accepted (it rests, or fills at once). `price` is 0 for market orders.
    Accepted {
        side: Side,
        price: i64,
        lots: i64,
    },
    Rejected {
        reason: RejectReason,
    },
    Fill(Fill),
    /// The order left the book; `leaves` lots were not filled.
    Cancelled {
        reason: CancelReason,
        leaves: i64,
    },
    CancelRejected {
        reason: ModifyRejectReason,
    },
    Amended {
        price: i64,
        lots: i64,
        leaves: i64,
        priority_kept: bool,
    },
    AmendRejected {
        reason: ModifyRejectReason,
    },
    /// A cancel-all was processed; `cancelled` orders were cancelled (each also reported).
    CancelAllDone {
        cancelled: u32,
    },
}

/// One execution report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Report {
    pub client_id: ClientId,
    /// When the exchange produced it (0: the request never reached the matching engine).
    pub exchange_ts: i64,
    /// When we receive it.
    pub local_ts: i64,
    pub kind: ReportKind,
}
