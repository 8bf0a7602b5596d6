//! The simulated exchange: our orders matched against a market replayed from data.
//!
//! [`SimExchange`] holds one market's public book, built from the market events it is fed
//! (snapshots, depth diffs, trades, in exchange-time order), and our orders, which rest in an
//! own-order book beside it with an estimated queue position. The data is never changed by
//! our orders (no market impact): instead every displayed or traded lot is used by our fills
//! at most once.
//!
//! # Time
//!
//! One clock, in ns; local timestamps of a recording must first be put on the exchange's
//! clock (see [`FeedLatency::local_offset`]). A request sent at local time `t` arrives at
//! `t + entry` ([`LatencyModel`]); a report the exchange emits at `e` is received at
//! `e + response`. Requests travel in order, and so do reports: neither overtakes one sent
//! earlier (`arrival = max(t + entry, previous arrival)`, likewise for receipt), as on one
//! connection. The exchange processes a request when it arrives: [`SimExchange::on_event`]
//! first processes the requests arriving strictly before the event, so **market events win
//! ties**: an order arriving at the same nanosecond as a trade joins after it, a cancel
//! arriving with a fill's trade is too late. Reports come out by
//! (receive time, emission order), so equal inputs give equal outputs.
//!
//! # Orders
//!
//! * **Limit** (good till cancelled). If it crosses the displayed opposite side it first takes
//!   liquidity as taker, best price first up to its limit, each level at the level's price;
//!   the rest rests at its limit. **Post-only** limits that would cross are rejected
//!   ([`RejectReason::PostOnlyWouldCross`]).
//! * **Market**: walks the displayed opposite side best price first, as taker; what the book
//!   cannot fill is cancelled ([`CancelReason::Unfilled`]). One fill report per price level.
//! * **Cancel** of an order already filled or cancelled: [`ModifyRejectReason::TooLate`].
//! * **Cancel-all**: cancels every resting order (bids best first, then asks), then reports
//!   [`ReportKind::CancelAllDone`] with [`NO_ORDER`].
//! * **Amend** (new price, new total quantity): a new price, or more remaining lots, loses
//!   priority (the order goes to the back of its new level's queue); fewer remaining lots at
//!   the same price keep it (as Binance, CME and most venues do). An amend never takes
//!   liquidity: a price that would cross is refused ([`ModifyRejectReason::WouldCross`]), as
//!   is a total at or below what is already filled.
//! * New orders are refused while the public book is not valid (no snapshot yet, a gap): the
//!   simulator cannot place them ([`RejectReason::NoMarketData`]).
//!
//! **Self-trade prevention**: a new order that would reach one of our resting orders on the
//! other side (a limit priced through it, a market order whose walk of the displayed book
//! would reach its price, or any market order the book cannot fill) is rejected
//! ([`SelfTradePrevention::RejectNew`], the default), or those resting orders are cancelled
//! first ([`SelfTradePrevention::CancelResting`]). An amend that would cross our own order is
//! refused.
//!
//! # Fills of resting orders
//!
//! Our resting orders are makers and fill at their own price. A **public trade** of `q` lots
//! at price `p` (its aggressor side from the data) is a budget of `q` lots, shared in price-time
//! priority by the resting orders it reached on the passive side:
//!
//! 1. our orders priced *better* than `p` (bids above a sell, asks below a buy): the aggressor
//!    swept their level, so their queue is exhausted; they fill first, best price first;
//! 2. then our orders *at* `p`, in time priority: public lots ahead of the first, the first,
//!    public lots ahead of the second, ... so order `i` fills
//!    `floor(budget left − our earlier fills at p − public lots ahead of i)` (at least 0, at
//!    most its remaining size) and its queue advances by what flowed past its public lots.
//!
//! A trade never fills more than its own size across all our orders, and never fills an order
//! priced worse than the trade. Separately, **displayed liquidity that appears at or through
//! our resting price** (the opposite side's level moves onto or through our order) trades with
//! us, up to its displayed size ([`FillTrigger::BookCross`]).
//!
//! Displayed lots used by our taker fills and book-cross fills are remembered per level
//! ([`SimExchange::consumed_at`]), so that no other fill of ours uses them again; the memory
//! shrinks with the level (`used = min(used, displayed)`) and is gone when the level is.
//!
//! # Queue position
//!
//! Lots ahead of us at our price, estimated by a [`QueueModel`]: risk-averse, or probabilistic
//! with a power or log function (hftbacktest's definitions; see the `queue` module).
//!
//! # Money
//!
//! Integers only: [`Money`](crate::money::Money) units of `tick × lot × 10⁻⁶`, so notional and ppm
//! fees are exact (no rounding at all; see [`crate::money`]). Fees: maker and taker rates per market,
//! negative maker fees are rebates. [`SimExchange::account`] is the exchange's own booking of
//! position, cash and fees ([`crate::ledger::Account`]).
//!
//! # Sei block matching
//!
//! With [`Matching::SeiBlock`] the exchange matches as Sei's order-book module does
//! ([`sei_block`], the one home of that rule): requests are held until their block ends
//! (blocks end at multiples of the block time; a request arriving at `b` belongs to the block
//! ending at `b + block`), then applied in the chain's order against the public book, whose
//! displayed lots are resting limit orders: cancels, new limits, market orders at the levels'
//! prices, crossing limits at the midpoint of the two prices. A book-cross fill of a resting
//! order is at the midpoint too. [`Matching::Continuous`] (the default) is everything above.
//!
//! # Venue
//!
//! [`SimVenue`] wraps the exchange with an event source (a generated market or a recording
//! on the host's clock) for the daemon's embedded venue: `advance_to(t)`, `submit`, reports.

mod exchange;
mod latency;
mod order;
mod queue;
pub mod sei_block;
mod venue;

pub use exchange::{Matching, OrderView, SelfTradePrevention, SimConfig, SimError, SimExchange, SimStats};
pub use latency::{
    ConstantLatency, FeedLatency, InterpolatedLatency, LatencyError, LatencyModel, OrderLatency, OrderLatencyRow,
};
pub use order::{
    CancelReason, ClientId, Fill, FillTrigger, ModifyRejectReason, NO_ORDER, NewOrder, OrderType, RejectReason, Report,
    ReportKind, Request,
};
pub use queue::{QueueModel, QueueModelError, QueuePos};
pub use sei_block::{BlockOutcome, SeiBlockBook, SeiOrder, SeiOrderType, SettlePrice, Settlement};
pub use venue::{SimVenue, VenueError};
