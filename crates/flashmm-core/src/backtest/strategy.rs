//! The strategy interface of the backtester and the built-in touch-joining baseline.

use serde::Serialize;

use crate::book::{L2Book, Side};
use crate::ledger::Account;
use crate::sim::{ClientId, NewOrder, OrderView, Report, Request};

/// What a strategy sees at a decision time. Read-only.
pub struct Context<'a> {
    /// Decision time, ns (one clock for exchange and local time, see [`crate::sim`]).
    pub now: i64,
    /// Index of this decision (0, 1, ...).
    pub step: u64,
    /// The public book: by default the simulator's at `now` (every market event stamped
    /// `<= now` applied, no feed latency); with [`super::BacktestConfig::feed`], the
    /// book as the feed has delivered it by `now` (see [`super::FeedDelay`]).
    pub book: &'a L2Book,
    /// Our live orders at the exchange at `now`, with estimated queue positions (bids best
    /// first, then asks). This is the exchange's state, as hftbacktest exposes it; requests
    /// still in flight are not in it.
    pub open_orders: &'a [OrderView],
    /// Requests sent but not yet arrived at the exchange.
    pub in_flight: usize,
    /// Our account as the fill reports received so far tell it (respects response latency).
    pub account: &'a Account,
    /// The exchange's own booking of our account at `now` (an oracle: not known live).
    pub exchange_account: &'a Account,
    /// Reports received since the previous decision (local receive time `<= now`), in
    /// receive order.
    pub reports: &'a [Report],
}

/// Requests a strategy sends at a decision time. The backtester allocates client ids.
#[derive(Debug, Default)]
pub struct Orders {
    pub(crate) requests: Vec<Request>,
    pub(crate) next_id: ClientId,
}

impl Orders {
    fn alloc(&mut self) -> ClientId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A limit order; returns its client id.
    pub fn limit(&mut self, side: Side, price: i64, lots: i64, post_only: bool) -> ClientId {
        let id = self.alloc();
        let o =
            if post_only { NewOrder::post_only(id, side, price, lots) } else { NewOrder::limit(id, side, price, lots) };
        self.requests.push(Request::New(o));
        id
    }

    /// A market order; returns its client id.
    pub fn market(&mut self, side: Side, lots: i64) -> ClientId {
        let id = self.alloc();
        self.requests.push(Request::New(NewOrder::market(id, side, lots)));
        id
    }

    pub fn cancel(&mut self, client_id: ClientId) {
        self.requests.push(Request::Cancel { client_id });
    }

    /// New price and new total quantity (see [`Request::Amend`]).
    pub fn amend(&mut self, client_id: ClientId, price: i64, lots: i64) {
        self.requests.push(Request::Amend { client_id, price, lots });
    }

    pub fn cancel_all(&mut self) {
        self.requests.push(Request::CancelAll);
    }

    /// Requests queued so far in this decision.
    pub fn queued(&self) -> &[Request] {
        &self.requests
    }
}

/// A strategy driven at a fixed decision interval.
pub trait Strategy {
    /// Called at every decision time; requests pushed to `out` are sent at `ctx.now`, in
    /// order, and act after the entry latency.
    fn on_decision(&mut self, ctx: &Context<'_>, out: &mut Orders);

    /// A short name for the result's configuration echo.
    fn name(&self) -> String {
        "custom".into()
    }
}

impl<S: Strategy + ?Sized> Strategy for Box<S> {
    fn on_decision(&mut self, ctx: &Context<'_>, out: &mut Orders) {
        (**self).on_decision(ctx, out)
    }

    fn name(&self) -> String {
        (**self).name()
    }
}

/// Where the quoter puts its prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteMode {
    /// Bid at `floor(mid − n)`, ask at `ceil(mid + n)` ticks (`n >= 0`), never through the
    /// opposite touch.
    AroundMid { ticks: i64 },
    /// Join the best bid and the best ask.
    JoinTouch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BaselineConfig {
    pub mode: QuoteMode,
    /// Size of each quote, lots.
    pub lots: i64,
    /// Inventory limit, lots: a side is quoted only if one more fill of it keeps
    /// `|position| <= limit_lots` (position as the received fill reports tell it).
    pub limit_lots: i64,
    pub post_only: bool,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        Self { mode: QuoteMode::JoinTouch, lots: 1, limit_lots: 10, post_only: true }
    }
}

impl QuoteMode {
    /// The distance of [`QuoteMode::AroundMid`] when none is given, ticks.
    pub const DEFAULT_AROUND_MID_TICKS: i64 = 1;
}

impl BaselineConfig {
    pub fn validate(&self) -> Result<(), crate::options::OptionError> {
        use crate::options::OptionError;
        if let QuoteMode::AroundMid { ticks } = self.mode
            && ticks < 0
        {
            return Err(OptionError::new("ticks", format!("ticks = {ticks} must be >= 0")));
        }
        if self.lots < 1 {
            return Err(OptionError::new("sizeLots", format!("size = {} lots must be >= 1", self.lots)));
        }
        if self.limit_lots < 0 {
            return Err(OptionError::new(
                "limitLots",
                format!("inventory limit = {} lots must be >= 0", self.limit_lots),
            ));
        }
        Ok(())
    }
}

/// The touch-joining baseline: one order per side at the touch (or a fixed distance around the
/// mid), fixed size, no model. What `flashmm backtest` runs; the production strategies (AS,
/// GLFT, the model's skew) are the daemon's and backtest through `flashmm compare`.
///
/// At each decision, with a valid two-sided book and no request in flight, for each side:
/// * the side may grow the position (`position + lots <= limit` for the bid, `position −
///   lots >= −limit` for the ask; `position` from the reports received) and has no order:
///   a new (post-only) order at the desired price;
/// * it has an order at another price, or several orders: the first is moved with an amend
///   (price and total size; a price change loses priority — cancel/replace in one request),
///   the others are cancelled;
/// * it may not grow the position: its orders are cancelled.
///
/// With an invalid book it cancels everything it has. With one order per side and a position
/// lagging by at most the fills in flight, `|position|` stays within `limit + lots`.
#[derive(Clone, Debug)]
pub struct BaselineQuoter {
    pub cfg: BaselineConfig,
}

impl BaselineQuoter {
    pub fn new(cfg: BaselineConfig) -> Self {
        Self { cfg }
    }

    /// Desired (bid, ask) prices for a book with touch `bid`/`ask`.
    pub fn prices(&self, bid: i64, ask: i64) -> (i64, i64) {
        match self.cfg.mode {
            QuoteMode::JoinTouch => (bid, ask),
            QuoteMode::AroundMid { ticks } => {
                let mid2 = bid + ask;
                let b = (mid2 - 2 * ticks).div_euclid(2);
                let a = -(-(mid2 + 2 * ticks)).div_euclid(2);
                (b.min(ask - 1), a.max(bid + 1))
            }
        }
    }
}

impl Strategy for BaselineQuoter {
    fn name(&self) -> String {
        "baseline".into()
    }

    fn on_decision(&mut self, ctx: &Context<'_>, out: &mut Orders) {
        if ctx.in_flight > 0 {
            return;
        }
        let book = ctx.book;
        let touch = if book.is_valid() { book.best_bid().zip(book.best_ask()) } else { None };
        let Some((bb, ba)) = touch.filter(|(b, a)| b.price < a.price) else {
            if !ctx.open_orders.is_empty() {
                out.cancel_all();
            }
            return;
        };
        let (pb, pa) = self.prices(bb.price, ba.price);
        let pos = ctx.account.position();
        let lots = self.cfg.lots;
        for (side, price, room) in
            [(Side::Buy, pb, pos + lots <= self.cfg.limit_lots), (Side::Sell, pa, pos - lots >= -self.cfg.limit_lots)]
        {
            let mut mine = ctx.open_orders.iter().filter(|o| o.side == side);
            match (mine.next(), room) {
                (None, true) => {
                    out.limit(side, price, lots, self.cfg.post_only);
                }
                (Some(o), true) => {
                    if o.price != price {
                        out.amend(o.client_id, price, o.filled + lots);
                    }
                }
                (Some(o), false) => out.cancel(o.client_id),
                (None, false) => {}
            }
            for o in mine {
                out.cancel(o.client_id);
            }
        }
    }
}
