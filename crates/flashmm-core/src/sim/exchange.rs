//! The simulated exchange for one market: the public book from recorded (or generated) market
//! events, our orders matched against it with queue positions, latencies and fees.
//! The rules are documented in the [`super`] module.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};

use crate::book::{ApplyOutcome, DiffHeader, L2Book, Level, SequenceRule, Side};
use crate::replay::{Event, EventKind, FLAG_BUYER_MAKER};
use crate::spec::MarketSpec;

use super::latency::{LatencyModel, OrderLatency};
use super::order::{
    CancelReason, ClientId, Fill, FillTrigger, ModifyRejectReason, NO_ORDER, NewOrder, OrderType, RejectReason, Report,
    ReportKind, Request,
};
use super::queue::{QueueModel, QueueModelError, QueuePos};
use super::sei_block::{AccountId, SeiBlockBook, SeiOrder, SeiOrderType};
use crate::ledger::Account;
use crate::money::{FillPrice, Liquidity};

/// What happens when our new order would trade with our own resting order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SelfTradePrevention {
    /// The new order is rejected ([`RejectReason::SelfTrade`]); resting orders stay
    /// (Binance's `EXPIRE_TAKER`).
    #[default]
    RejectNew,
    /// Our resting orders it would reach are cancelled ([`CancelReason::SelfTrade`]), best
    /// price first, then the new order proceeds (Binance's `EXPIRE_MAKER`).
    CancelResting,
}

/// How the exchange matches our orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Matching {
    /// Each request when it arrives (a central limit order book).
    #[default]
    Continuous,
    /// Sei's order-book module: requests are held until the end of their block and matched
    /// there by the chain's rules ([`super::sei_block`]); blocks end every `block_ns` on the
    /// exchange clock (at multiples of it).
    SeiBlock { block_ns: i64 },
}

impl Matching {
    /// The local chain's block time (`shared/sei/localnet.sh`: commit timeout 200 ms, blocks
    /// every ~0.21 s as measured).
    pub const SEI_LOCAL_BLOCK_NS: i64 = 210_000_000;

    /// `sei-block` at the local chain's block time.
    pub const fn sei_block() -> Self {
        Matching::SeiBlock { block_ns: Self::SEI_LOCAL_BLOCK_NS }
    }

    /// `continuous` or `sei-block`.
    pub fn name(self) -> &'static str {
        match self {
            Matching::Continuous => "continuous",
            Matching::SeiBlock { .. } => "sei-block",
        }
    }
}

/// Configuration of one simulated market.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// How the recorded depth diffs chain (see [`crate::replay::binance::sequence_rule`]).
    pub rule: SequenceRule,
    /// Fee rates in parts per million of notional; negative = rebate.
    pub maker_fee_ppm: i64,
    pub taker_fee_ppm: i64,
    /// Smallest order size in lots.
    pub min_size_lots: i64,
    pub queue: QueueModel,
    pub self_trade: SelfTradePrevention,
    pub matching: Matching,
}

impl SimConfig {
    /// Fees and minimum size from the market spec; the default queue model (power 2),
    /// reject-new self-trade prevention.
    pub fn new(spec: &MarketSpec, rule: SequenceRule) -> Self {
        Self {
            rule,
            maker_fee_ppm: spec.maker_fee_ppm,
            taker_fee_ppm: spec.taker_fee_ppm,
            min_size_lots: spec.min_size_lots.max(1),
            queue: QueueModel::default(),
            self_trade: SelfTradePrevention::RejectNew,
            matching: Matching::default(),
        }
    }

    pub fn with_matching(mut self, matching: Matching) -> Self {
        self.matching = matching;
        self
    }

    pub fn with_queue(mut self, queue: QueueModel) -> Self {
        self.queue = queue;
        self
    }

    pub fn with_self_trade(mut self, stp: SelfTradePrevention) -> Self {
        self.self_trade = stp;
        self
    }

    pub fn with_fees(mut self, maker_ppm: i64, taker_ppm: i64) -> Self {
        self.maker_fee_ppm = maker_ppm;
        self.taker_fee_ppm = taker_ppm;
        self
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("requests must be sent in time order: sent at {got} after one sent at {last}")]
    SendTimeWentBackwards { last: i64, got: i64 },
    #[error(transparent)]
    Queue(#[from] QueueModelError),
    #[error("fee rate {0} ppm is outside -1000000..=1000000")]
    Fee(i64),
    #[error("minimum size must be >= 1 lot, got {0}")]
    MinSize(i64),
    #[error("block time must be > 0 ns, got {0}")]
    BlockTime(i64),
}

/// Counters of one simulation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SimStats {
    pub market_events: u64,
    pub depth_updates: u64,
    pub trades: u64,
    pub requests: u64,
    /// Requests the exchange dropped (negative entry latency).
    pub dropped: u64,
    /// New orders the matching engine rejected.
    pub rejected: u64,
    pub fills: u64,
    pub maker_fills: u64,
    pub taker_fills: u64,
}

/// One of our live orders as the exchange sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderView {
    pub client_id: ClientId,
    pub side: Side,
    pub price: i64,
    /// Total quantity (filled lots included).
    pub qty: i64,
    pub filled: i64,
    pub leaves: i64,
    pub post_only: bool,
    /// Estimated public lots ahead of it at its price.
    pub queue_ahead: f64,
}

#[derive(Clone, Copy, Debug)]
struct Resting {
    side: Side,
    price: i64,
    qty: i64,
    filled: i64,
    leaves: i64,
    post_only: bool,
    pos: QueuePos,
}

#[derive(Clone, Copy, Debug)]
struct Inbound {
    arrival: i64,
    req: Request,
}

/// A report waiting for its local receive time; ordered by (`local_ts`, emission sequence).
#[derive(Clone, Copy, Debug)]
struct Outbound {
    seq: u64,
    report: Report,
}

impl Outbound {
    fn key(&self) -> (i64, u64) {
        (self.report.local_ts, self.seq)
    }
}

impl PartialEq for Outbound {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Outbound {}

impl PartialOrd for Outbound {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Outbound {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// Accounts of the Sei block matching: us, and the public book's displayed lots.
const OURS: AccountId = 0;
const PUBLIC: AccountId = 1;

const fn si(side: Side) -> usize {
    side as usize
}

/// Whether an order on `side` at `price` would trade with opposite liquidity at `opp`.
fn crosses(side: Side, price: i64, opp: i64) -> bool {
    match side {
        Side::Buy => opp <= price,
        Side::Sell => opp >= price,
    }
}

/// The simulated exchange for one market. See the [`super`] module for the rules.
pub struct SimExchange<L: LatencyModel = OrderLatency> {
    cfg: SimConfig,
    latency: L,
    book: L2Book,
    /// Exchange clock: the latest market event or request arrival processed.
    now: i64,
    inbound: VecDeque<Inbound>,
    last_send: i64,
    last_arrival: i64,
    last_receive: i64,
    outbound: BinaryHeap<Reverse<Outbound>>,
    out_seq: u64,
    orders: HashMap<ClientId, Resting>,
    /// Our live orders per side and price, each level in time priority.
    levels: [BTreeMap<i64, Vec<ClientId>>; 2],
    /// Every client id ever accepted.
    accepted: HashSet<ClientId>,
    /// Displayed lots our taker and book-cross fills have used, per side and price.
    consumed: [BTreeMap<i64, i64>; 2],
    fill_seq: u64,
    account: Account,
    stats: SimStats,
    scratch_levels: Vec<(Side, i64, i64)>,
    scratch_ids: Vec<ClientId>,
    scratch_takes: Vec<(i64, i64)>,
    /// Sei block matching: requests arrived in the current block, and the block's end.
    held: Vec<Request>,
    block_end: Option<i64>,
}

impl<L: LatencyModel> SimExchange<L> {
    pub fn new(cfg: SimConfig, latency: L) -> Result<Self, SimError> {
        cfg.queue.validate()?;
        for fee in [cfg.maker_fee_ppm, cfg.taker_fee_ppm] {
            if !(-1_000_000..=1_000_000).contains(&fee) {
                return Err(SimError::Fee(fee));
            }
        }
        if cfg.min_size_lots < 1 {
            return Err(SimError::MinSize(cfg.min_size_lots));
        }
        if let Matching::SeiBlock { block_ns } = cfg.matching
            && block_ns <= 0
        {
            return Err(SimError::BlockTime(block_ns));
        }
        Ok(Self {
            book: L2Book::new(cfg.rule),
            cfg,
            latency,
            now: i64::MIN,
            inbound: VecDeque::new(),
            last_send: i64::MIN,
            last_arrival: i64::MIN,
            last_receive: i64::MIN,
            outbound: BinaryHeap::new(),
            out_seq: 0,
            orders: HashMap::new(),
            levels: [BTreeMap::new(), BTreeMap::new()],
            accepted: HashSet::new(),
            consumed: [BTreeMap::new(), BTreeMap::new()],
            fill_seq: 0,
            account: Account::default(),
            stats: SimStats::default(),
            scratch_levels: Vec::new(),
            scratch_ids: Vec::new(),
            scratch_takes: Vec::new(),
            held: Vec::new(),
            block_end: None,
        })
    }

    // ---- the local side: requests out, reports in ----

    /// Sends a request at local time `send_ts` (non-decreasing across calls). Returns its
    /// arrival time at the matching engine, or `None` if the exchange dropped it (its
    /// rejection is queued for `send_ts + |entry latency|`).
    ///
    /// Requests travel in order: a request never arrives before one sent earlier
    /// (`arrival = max(send_ts + entry, previous arrival)`).
    pub fn submit(&mut self, send_ts: i64, req: Request) -> Result<Option<i64>, SimError> {
        if send_ts < self.last_send {
            return Err(SimError::SendTimeWentBackwards { last: self.last_send, got: send_ts });
        }
        self.last_send = send_ts;
        self.stats.requests += 1;
        let lat = self.latency.entry(send_ts);
        if lat < 0 {
            self.stats.dropped += 1;
            let reason = ModifyRejectReason::ExchangeUnavailable;
            let kind = match req {
                Request::New(_) => ReportKind::Rejected { reason: RejectReason::ExchangeUnavailable },
                Request::Cancel { .. } | Request::CancelAll => ReportKind::CancelRejected { reason },
                Request::Amend { .. } => ReportKind::AmendRejected { reason },
            };
            let local_ts = send_ts.saturating_add(lat.saturating_neg());
            self.push_out(Report { client_id: req.client_id(), exchange_ts: 0, local_ts, kind });
            return Ok(None);
        }
        let arrival = send_ts.saturating_add(lat).max(self.last_arrival);
        self.last_arrival = arrival;
        self.inbound.push_back(Inbound { arrival, req });
        Ok(Some(arrival))
    }

    /// Local receive time of the next report, if any is queued.
    pub fn next_report_ts(&self) -> Option<i64> {
        self.outbound.peek().map(|r| r.0.report.local_ts)
    }

    /// The next report received at or before local time `until`.
    pub fn pop_report(&mut self, until: i64) -> Option<Report> {
        if self.next_report_ts()? <= until { self.outbound.pop().map(|r| r.0.report) } else { None }
    }

    /// Appends every report received at or before local time `until`; returns how many.
    pub fn drain_reports(&mut self, until: i64, out: &mut Vec<Report>) -> usize {
        let before = out.len();
        while let Some(r) = self.pop_report(until) {
            out.push(r);
        }
        out.len() - before
    }

    // ---- the exchange side: market events and request arrivals, in exchange time ----

    /// Arrival time of the next request in flight.
    pub fn next_arrival(&self) -> Option<i64> {
        self.inbound.front().map(|i| i.arrival)
    }

    /// Processes the requests arriving at or before exchange time `t` and moves the clock to
    /// `t`. Feed every market event stamped `<= t` first: market events win ties.
    pub fn advance_to(&mut self, t: i64) {
        while let Some(inb) = self.inbound.front().copied() {
            if inb.arrival > t {
                break;
            }
            self.inbound.pop_front();
            self.process(inb);
        }
        self.end_block_by(t, true);
        self.now = self.now.max(t);
    }

    /// Applies one market event at its exchange time (events without one, `exchange_ts == 0`,
    /// happen at the current clock). Requests arriving strictly before it are processed first;
    /// a request arriving at the same time is processed after it.
    pub fn on_event(&mut self, e: &Event<'_>) {
        let t = if e.exchange_ts > 0 { e.exchange_ts } else { self.now };
        while let Some(inb) = self.inbound.front().copied() {
            if inb.arrival >= t {
                break;
            }
            self.inbound.pop_front();
            self.process(inb);
        }
        self.end_block_by(t, false);
        self.now = self.now.max(t);
        self.stats.market_events += 1;
        match e.kind {
            EventKind::Snapshot | EventKind::DepthDiff => self.on_depth(e),
            EventKind::Trade => self.on_trade(e),
            EventKind::BookTicker => {}
        }
    }

    // ---- views ----

    /// The public book as the data shows it (our orders are not in it).
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// Position and cash as the exchange books them (at exchange time).
    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn stats(&self) -> SimStats {
        self.stats
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    pub fn latency(&self) -> &L {
        &self.latency
    }

    /// Requests in flight, and (Sei block matching) those held for the end of their block.
    pub fn pending_requests(&self) -> usize {
        self.inbound.len() + self.held.len()
    }

    pub fn pending_reports(&self) -> usize {
        self.outbound.len()
    }

    pub fn order(&self, id: ClientId) -> Option<OrderView> {
        self.orders.get(&id).map(|o| view(id, o))
    }

    /// Live orders: bids best price first, then asks best first, each level in time priority.
    pub fn open_orders(&self) -> Vec<OrderView> {
        let bids = self.levels[0].values().rev().flatten();
        let asks = self.levels[1].values().flatten();
        bids.chain(asks).map(|id| view(*id, &self.orders[id])).collect()
    }

    /// Displayed lots at (`side`, `price`) that our fills have already used.
    pub fn consumed_at(&self, side: Side, price: i64) -> i64 {
        self.consumed[si(side)].get(&price).copied().unwrap_or(0)
    }

    // ---- requests ----

    fn process(&mut self, inb: Inbound) {
        if let Matching::SeiBlock { block_ns } = self.cfg.matching {
            // A block ends before the first request of the next one is held (markets win ties,
            // so the end at `b` runs before a request arriving at `b`, which is the next block's).
            self.end_block_by(inb.arrival, true);
            self.now = self.now.max(inb.arrival);
            self.block_end.get_or_insert((inb.arrival.div_euclid(block_ns) + 1).saturating_mul(block_ns));
            self.held.push(inb.req);
            return;
        }
        self.now = self.now.max(inb.arrival);
        self.apply(inb.req);
    }

    fn apply(&mut self, req: Request) {
        match req {
            Request::New(o) => self.on_new(o),
            Request::Cancel { client_id } => self.on_cancel(client_id),
            Request::CancelAll => self.on_cancel_all(),
            Request::Amend { client_id, price, lots } => self.on_amend(client_id, price, lots),
        }
    }

    fn reject(&mut self, id: ClientId, reason: RejectReason) {
        self.stats.rejected += 1;
        self.emit(id, ReportKind::Rejected { reason });
    }

    fn on_new(&mut self, o: NewOrder) {
        let Some((limit, post_only, crosses_public)) = self.admit(o) else { return };
        let id = o.client_id;
        let leaves = if crosses_public { self.take(id, o.side, limit, o.lots) } else { o.lots };
        if leaves > 0 {
            match limit {
                Some(price) => self.rest(id, o.side, price, o.lots, o.lots - leaves, leaves, post_only),
                None => self.emit(id, ReportKind::Cancelled { reason: CancelReason::Unfilled, leaves }),
            }
        }
    }

    /// Checks a new order (size, price, id, market data, post-only, self-trade prevention) and
    /// reports it accepted or rejected; for an accepted one: its limit, post-only flag, and
    /// whether it crosses the displayed opposite side.
    fn admit(&mut self, o: NewOrder) -> Option<(Option<i64>, bool, bool)> {
        let id = o.client_id;
        if o.lots <= 0 || o.lots < self.cfg.min_size_lots {
            return self.refuse(id, RejectReason::InvalidSize);
        }
        let (limit, post_only) = match o.kind {
            OrderType::Limit { price, post_only } => {
                if price <= 0 {
                    return self.refuse(id, RejectReason::InvalidPrice);
                }
                (Some(price), post_only)
            }
            OrderType::Market => (None, false),
        };
        if id == NO_ORDER || self.orders.contains_key(&id) || self.accepted.contains(&id) {
            return self.refuse(id, RejectReason::DuplicateClientId);
        }
        if !self.book.is_valid() {
            return self.refuse(id, RejectReason::NoMarketData);
        }
        let opp = o.side.opposite();
        let crosses_public = match limit {
            Some(p) => self.first_available(opp).is_some_and(|l| crosses(o.side, p, l.price)),
            None => true,
        };
        if post_only && crosses_public {
            return self.refuse(id, RejectReason::PostOnlyWouldCross);
        }
        // The furthest opposite price the order can reach (None: any).
        let reach = match limit {
            Some(p) => Some(p),
            None => self.market_reach(o.side, o.lots),
        };
        if self.own_crossing(o.side, reach) {
            match self.cfg.self_trade {
                SelfTradePrevention::RejectNew => return self.refuse(id, RejectReason::SelfTrade),
                SelfTradePrevention::CancelResting => self.cancel_crossing(o.side, reach),
            }
        }
        self.accepted.insert(id);
        self.emit(id, ReportKind::Accepted { side: o.side, price: limit.unwrap_or(0), lots: o.lots });
        Some((limit, post_only, crosses_public))
    }

    fn refuse<T>(&mut self, id: ClientId, reason: RejectReason) -> Option<T> {
        self.reject(id, reason);
        None
    }

    fn on_cancel(&mut self, id: ClientId) {
        if let Some(o) = self.remove_resting(id) {
            self.emit(id, ReportKind::Cancelled { reason: CancelReason::Requested, leaves: o.leaves });
        } else {
            let reason = self.closed_or_unknown(id);
            self.emit(id, ReportKind::CancelRejected { reason });
        }
    }

    fn closed_or_unknown(&self, id: ClientId) -> ModifyRejectReason {
        if self.accepted.contains(&id) { ModifyRejectReason::TooLate } else { ModifyRejectReason::UnknownOrder }
    }

    fn on_cancel_all(&mut self) {
        let mut ids = std::mem::take(&mut self.scratch_ids);
        ids.clear();
        ids.extend(self.levels[0].values().rev().flatten());
        ids.extend(self.levels[1].values().flatten());
        for &id in &ids {
            if let Some(o) = self.remove_resting(id) {
                self.emit(id, ReportKind::Cancelled { reason: CancelReason::CancelAll, leaves: o.leaves });
            }
        }
        let cancelled = ids.len() as u32;
        self.scratch_ids = ids;
        self.emit(NO_ORDER, ReportKind::CancelAllDone { cancelled });
    }

    fn on_amend(&mut self, id: ClientId, price: i64, lots: i64) {
        let Some(o) = self.orders.get(&id).copied() else {
            let reason = self.closed_or_unknown(id);
            return self.emit(id, ReportKind::AmendRejected { reason });
        };
        let refuse = |s: &mut Self, reason| s.emit(id, ReportKind::AmendRejected { reason });
        if price <= 0 {
            return refuse(self, ModifyRejectReason::InvalidPrice);
        }
        if lots <= 0 || lots < self.cfg.min_size_lots {
            return refuse(self, ModifyRejectReason::InvalidSize);
        }
        let leaves = lots - o.filled;
        if leaves <= 0 {
            return refuse(self, ModifyRejectReason::QtyNotAboveFilled);
        }
        if price != o.price {
            let opp = o.side.opposite();
            if self.first_available(opp).is_some_and(|l| crosses(o.side, price, l.price)) {
                return refuse(self, ModifyRejectReason::WouldCross);
            }
            if self.own_crossing(o.side, Some(price)) {
                return refuse(self, ModifyRejectReason::SelfTrade);
            }
        }
        let priority_kept = price == o.price && leaves <= o.leaves;
        if priority_kept {
            let r = self.orders.get_mut(&id).expect("live order");
            r.qty = lots;
            r.leaves = leaves;
        } else {
            self.remove_resting(id);
            self.rest(id, o.side, price, lots, o.filled, leaves, o.post_only);
        }
        self.emit(id, ReportKind::Amended { price, lots, leaves, priority_kept });
    }

    // ---- Sei block matching ----

    /// Ends the held block if it ended by `t` (`inclusive`: at `t` too).
    fn end_block_by(&mut self, t: i64, inclusive: bool) {
        let Some(b) = self.block_end else { return };
        if b < t || (inclusive && b == t) {
            self.block_end = None;
            self.now = self.now.max(b);
            self.run_block();
        }
    }

    /// The held requests at their block's end, in the chain's order ([`super::sei_block`]):
    /// cancels (cancel-alls, amends) as sent; then the new orders, limit buys, limit sells,
    /// market buys, market sells, each checked as on arrival (our new limits rest at once, so
    /// self-trade prevention sees them), then matched by [`SeiBlockBook`] against the public
    /// book as of the block's end: its displayed lots not yet used are resting limit orders.
    fn run_block(&mut self) {
        let held = std::mem::take(&mut self.held);
        for req in held.iter().filter(|r| !matches!(r, Request::New(_))) {
            self.apply(*req);
        }
        let news = |market: bool, side: Side| {
            held.iter().filter_map(move |r| match r {
                Request::New(o) if o.side == side && matches!(o.kind, OrderType::Market) == market => Some(*o),
                _ => None,
            })
        };
        let mut ours = Vec::new();
        let sorted = news(false, Side::Buy).chain(news(false, Side::Sell)).chain(news(true, Side::Buy));
        for o in sorted.chain(news(true, Side::Sell)).collect::<Vec<_>>() {
            let Some((limit, post_only, _)) = self.admit(o) else { continue };
            if let Some(p) = limit {
                self.rest(o.client_id, o.side, p, o.lots, 0, o.lots, post_only);
            }
            let order_type = if limit.is_some() { SeiOrderType::Limit } else { SeiOrderType::Market };
            let (id, side, lots) = (o.client_id, o.side, o.lots);
            ours.push(SeiOrder { id, account: OURS, side, lots, order_type, price: limit });
        }
        if ours.is_empty() {
            return;
        }
        let mut book = SeiBlockBook::new();
        let public = self.seed_public(&mut book, &ours);
        let mut market_left: HashMap<ClientId, i64> = HashMap::new();
        for o in &ours {
            book.place(*o).expect("admitted orders are valid");
            if o.order_type == SeiOrderType::Market {
                market_left.insert(o.id, o.lots);
            }
        }
        let out = book.end_block();
        for st in &out.settlements {
            if st.account != OURS {
                let &(side, price) = public.get(&st.order_id).expect("a public level");
                *self.consumed[si(side)].entry(price).or_insert(0) += st.lots;
            } else if let Some(left) = market_left.get_mut(&st.order_id) {
                // At the level's price: the chain stamps the side's clearing price on every
                // market fill of the block, the same notional in total (docs/sim-venue.md).
                *left -= st.lots;
                let leaves = *left;
                self.record_fill(st.order_id, st.side, st.exec, st.lots, leaves, Liquidity::Taker, FillTrigger::Taker);
            } else {
                self.fill_order(st.order_id, st.lots, Some(st.exec), Liquidity::Taker, FillTrigger::Taker);
            }
        }
        for (id, leaves) in out.unfilled {
            self.emit(id, ReportKind::Cancelled { reason: CancelReason::Unfilled, leaves });
        }
    }

    /// Rests the public levels our orders can reach in `book` (each level one order of the
    /// public account, its lots not yet used by our fills); returns their ids' levels.
    fn seed_public(&self, book: &mut SeiBlockBook, ours: &[SeiOrder]) -> HashMap<u64, (Side, i64)> {
        let mut levels = HashMap::new();
        for side in [Side::Buy, Side::Sell] {
            let opp = side.opposite();
            let takers = ours.iter().filter(|o| o.side == opp);
            let (mut market_lots, mut limit) = (0i64, None::<i64>);
            for o in takers {
                match o.order_type {
                    SeiOrderType::Market => market_lots = market_lots.saturating_add(o.lots),
                    SeiOrderType::Limit => {
                        let p = o.price.expect("a limit");
                        limit = Some(limit.map_or(p, |l: i64| if opp == Side::Buy { l.max(p) } else { l.min(p) }));
                    }
                }
            }
            let used = &self.consumed[si(side)];
            let mut covered = 0i64;
            for l in self.book.top_levels(side, usize::MAX) {
                let reached = limit.is_some_and(|p| crosses(opp, p, l.price));
                if !reached && covered >= market_lots {
                    break;
                }
                let avail = l.size - used.get(&l.price).copied().unwrap_or(0);
                if avail <= 0 {
                    continue;
                }
                covered = covered.saturating_add(avail);
                let id = u64::MAX - levels.len() as u64;
                let o = SeiOrder {
                    id,
                    account: PUBLIC,
                    side,
                    lots: avail,
                    order_type: SeiOrderType::Limit,
                    price: Some(l.price),
                };
                book.place(o).expect("a public level is a valid order");
                levels.insert(id, (side, l.price));
            }
        }
        book.end_block(); // the public book is never crossed: nothing matches
        levels
    }

    // ---- our resting orders ----

    #[allow(clippy::too_many_arguments)]
    fn rest(&mut self, id: ClientId, side: Side, price: i64, qty: i64, filled: i64, leaves: i64, post_only: bool) {
        let public = self.book.size_at(side, price) - self.consumed_at(side, price);
        let pos = self.cfg.queue.join(public);
        self.orders.insert(id, Resting { side, price, qty, filled, leaves, post_only, pos });
        self.levels[si(side)].entry(price).or_default().push(id);
    }

    fn remove_resting(&mut self, id: ClientId) -> Option<Resting> {
        let o = self.orders.remove(&id)?;
        let level = &mut self.levels[si(o.side)];
        if let Some(ids) = level.get_mut(&o.price) {
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                level.remove(&o.price);
            }
        }
        Some(o)
    }

    /// Our best resting price on `side`.
    fn own_best(&self, side: Side) -> Option<i64> {
        match side {
            Side::Buy => self.levels[0].keys().next_back().copied(),
            Side::Sell => self.levels[1].keys().next().copied(),
        }
    }

    /// Whether an order on `side` reaching opposite prices up to `reach` (None: any) would
    /// meet one of our resting opposite orders.
    fn own_crossing(&self, side: Side, reach: Option<i64>) -> bool {
        match self.own_best(side.opposite()) {
            None => false,
            Some(p) => reach.is_none_or(|r| crosses(side, r, p)),
        }
    }

    fn cancel_crossing(&mut self, side: Side, reach: Option<i64>) {
        let mut ids = std::mem::take(&mut self.scratch_ids);
        ids.clear();
        let opp = &self.levels[si(side.opposite())];
        match (side, reach) {
            (Side::Buy, Some(r)) => ids.extend(opp.range(..=r).flat_map(|(_, v)| v)),
            (Side::Sell, Some(r)) => ids.extend(opp.range(r..).rev().flat_map(|(_, v)| v)),
            (Side::Buy, None) => ids.extend(opp.values().flatten()),
            (Side::Sell, None) => ids.extend(opp.values().rev().flatten()),
        }
        for &id in &ids {
            if let Some(o) = self.remove_resting(id) {
                self.emit(id, ReportKind::Cancelled { reason: CancelReason::SelfTrade, leaves: o.leaves });
            }
        }
        self.scratch_ids = ids;
    }

    // ---- liquidity ----

    /// The best level on `side` with displayed lots our fills have not used (its size is the
    /// unused part).
    fn first_available(&self, side: Side) -> Option<Level> {
        let used = &self.consumed[si(side)];
        self.book.top_levels(side, usize::MAX).find_map(|l| {
            let avail = l.size - used.get(&l.price).copied().unwrap_or(0);
            (avail > 0).then_some(Level::new(l.price, avail))
        })
    }

    /// The worst opposite price a market order of `lots` reaches; `None` if the displayed
    /// liquidity cannot fill it (it would reach anything).
    fn market_reach(&self, side: Side, lots: i64) -> Option<i64> {
        let opp = side.opposite();
        let used = &self.consumed[si(opp)];
        let mut left = lots;
        for l in self.book.top_levels(opp, usize::MAX) {
            let avail = l.size - used.get(&l.price).copied().unwrap_or(0);
            if avail > 0 {
                left -= avail.min(left);
                if left == 0 {
                    return Some(l.price);
                }
            }
        }
        None
    }

    /// Takes displayed liquidity for a new order, best price first, up to `limit`; returns
    /// the lots left.
    fn take(&mut self, id: ClientId, side: Side, limit: Option<i64>, lots: i64) -> i64 {
        let opp = side.opposite();
        let mut takes = std::mem::take(&mut self.scratch_takes);
        takes.clear();
        let mut left = lots;
        {
            let used = &self.consumed[si(opp)];
            for l in self.book.top_levels(opp, usize::MAX) {
                if limit.is_some_and(|p| !crosses(side, p, l.price)) {
                    break;
                }
                let avail = l.size - used.get(&l.price).copied().unwrap_or(0);
                if avail <= 0 {
                    continue;
                }
                let x = avail.min(left);
                takes.push((l.price, x));
                left -= x;
                if left == 0 {
                    break;
                }
            }
        }
        let mut leaves = lots;
        for &(price, x) in &takes {
            *self.consumed[si(opp)].entry(price).or_insert(0) += x;
            leaves -= x;
            self.record_fill(id, side, FillPrice::ticks(price), x, leaves, Liquidity::Taker, FillTrigger::Taker);
        }
        self.scratch_takes = takes;
        leaves
    }

    /// Fills `lots` of a resting order at its price as maker.
    fn fill_resting(&mut self, id: ClientId, lots: i64, trigger: FillTrigger) {
        self.fill_order(id, lots, None, Liquidity::Maker, trigger);
    }

    /// Fills `lots` of a live order at `price` (`None`: its own limit).
    fn fill_order(&mut self, id: ClientId, lots: i64, price: Option<FillPrice>, liq: Liquidity, trigger: FillTrigger) {
        let Some(o) = self.orders.get_mut(&id) else { return };
        o.leaves -= lots;
        o.filled += lots;
        let (side, limit, leaves) = (o.side, o.price, o.leaves);
        if leaves == 0 {
            self.remove_resting(id);
        }
        self.record_fill(id, side, price.unwrap_or(FillPrice::ticks(limit)), lots, leaves, liq, trigger);
    }

    #[allow(clippy::too_many_arguments)]
    fn record_fill(
        &mut self,
        id: ClientId,
        side: Side,
        price: FillPrice,
        lots: i64,
        leaves: i64,
        liquidity: Liquidity,
        trigger: FillTrigger,
    ) {
        let ppm = match liquidity {
            Liquidity::Maker => self.cfg.maker_fee_ppm,
            Liquidity::Taker => self.cfg.taker_fee_ppm,
        };
        let fee = price.fee(lots, ppm);
        // Matching only produces fills with lots > 0 at a positive price.
        self.account.apply(side, price, lots, fee, liquidity).expect("the simulator fills whole positive lots");
        self.fill_seq += 1;
        self.stats.fills += 1;
        match liquidity {
            Liquidity::Maker => self.stats.maker_fills += 1,
            Liquidity::Taker => self.stats.taker_fills += 1,
        }
        let fill = Fill { fill_id: self.fill_seq, side, price, lots, leaves, fee, liquidity, trigger };
        self.emit(id, ReportKind::Fill(fill));
    }

    // ---- market events ----

    fn on_depth(&mut self, e: &Event<'_>) {
        self.stats.depth_updates += 1;
        let mut prev = std::mem::take(&mut self.scratch_levels);
        prev.clear();
        for side in [Side::Buy, Side::Sell] {
            for &price in self.levels[si(side)].keys() {
                prev.push((side, price, self.book.size_at(side, price)));
            }
        }
        let snapshot = e.kind == EventKind::Snapshot;
        let outcome = if snapshot {
            self.book.apply_snapshot(e.last_id, e.bids, e.asks)
        } else {
            self.book.apply_diff(DiffHeader::new(e.first_id, e.last_id, e.prev_id), e.bids, e.asks)
        };
        let listed_ok = snapshot || outcome == ApplyOutcome::Applied;
        let queue = self.cfg.queue;
        for &(side, price, before) in &prev {
            let after = self.book.size_at(side, price);
            let listed = listed_ok && {
                let ls = if side == Side::Buy { e.bids } else { e.asks };
                snapshot || ls.iter().any(|l| l.price == price)
            };
            if !listed && after == before {
                continue;
            }
            if let Some(ids) = self.levels[si(side)].get(&price) {
                for id in ids {
                    if let Some(o) = self.orders.get_mut(id) {
                        queue.on_depth(&mut o.pos, before, after);
                    }
                }
            }
        }
        self.scratch_levels = prev;
        for side in [Side::Buy, Side::Sell] {
            let book = &self.book;
            self.consumed[si(side)].retain(|&price, c| {
                *c = (*c).min(book.size_at(side, price));
                *c > 0
            });
        }
        if self.book.is_valid() {
            self.cross_fills();
        }
    }

    /// Displayed liquidity at or through our resting orders' prices trades with them (we rest
    /// first, so we are the makers, at our price), best of ours first, each level in time
    /// priority, each displayed lot once.
    fn cross_fills(&mut self) {
        for side in [Side::Buy, Side::Sell] {
            let opp = side.opposite();
            while let (Some(ours), Some(l)) = (self.own_best(side), self.first_available(opp)) {
                if !crosses(side, ours, l.price) {
                    break;
                }
                let mut ids = std::mem::take(&mut self.scratch_ids);
                ids.clear();
                ids.extend(self.levels[si(side)].get(&ours).into_iter().flatten());
                let mut avail = l.size;
                for &id in &ids {
                    if avail == 0 {
                        break;
                    }
                    let leaves = self.orders.get(&id).map_or(0, |o| o.leaves);
                    let x = leaves.min(avail);
                    if x <= 0 {
                        continue;
                    }
                    avail -= x;
                    *self.consumed[si(opp)].entry(l.price).or_insert(0) += x;
                    // On Sei the displayed order crossing ours is a limit order too: the midpoint.
                    let at = match self.cfg.matching {
                        Matching::Continuous => None,
                        Matching::SeiBlock { .. } => Some(FillPrice::midpoint(ours, l.price)),
                    };
                    self.fill_order(id, x, at, Liquidity::Maker, FillTrigger::BookCross);
                }
                self.scratch_ids = ids;
            }
        }
    }

    /// A public trade: its lots are a budget shared, in price-time priority, by our resting
    /// orders it reached (see the module documentation).
    fn on_trade(&mut self, e: &Event<'_>) {
        self.stats.trades += 1;
        let Some(&Level { price: p, size: q }) = e.bids.first() else { return };
        if q <= 0 {
            return;
        }
        let passive = if e.flags & FLAG_BUYER_MAKER != 0 { Side::Buy } else { Side::Sell };
        let trigger = FillTrigger::Trade { trade_id: e.first_id };
        let mut budget = q;
        let mut ids = std::mem::take(&mut self.scratch_ids);

        // 1. Our orders priced better than the trade: the aggressor went through them, so
        //    their level was emptied; they fill first, best price first, then time.
        ids.clear();
        let ours = &self.levels[si(passive)];
        match passive {
            Side::Buy => ids.extend(ours.range(p.saturating_add(1)..).rev().flat_map(|(_, v)| v)),
            Side::Sell => ids.extend(ours.range(..p).flat_map(|(_, v)| v)),
        }
        for &id in &ids {
            let Some(o) = self.orders.get_mut(&id) else { continue };
            o.pos.ahead = 0.0;
            let x = o.leaves.min(budget);
            if x > 0 {
                budget -= x;
                self.fill_resting(id, x, trigger);
            }
        }

        // 2. Our orders at the trade price, in time priority. The queue there is: public lots
        //    ahead of our first order, our first order, more public lots, our second order...
        //    The remaining budget flows through it in that order, so order i receives
        //    floor(remaining − used by our earlier orders − public ahead of it), and the
        //    public lots ahead of it advance by what flowed past them.
        ids.clear();
        ids.extend(self.levels[si(passive)].get(&p).into_iter().flatten());
        let queue = self.cfg.queue;
        let mut used: i64 = 0;
        for &id in &ids {
            let Some(o) = self.orders.get_mut(&id) else { continue };
            let reach = (budget - used).max(0) as f64;
            let ahead = o.pos.ahead;
            let x = if reach > ahead { ((reach - ahead).floor() as i64).min(o.leaves) } else { 0 };
            queue.on_trade(&mut o.pos, ahead.min(reach), q);
            if x > 0 {
                used += x;
                self.fill_resting(id, x, trigger);
            }
        }
        self.scratch_ids = ids;
    }

    // ---- reports ----

    fn emit(&mut self, client_id: ClientId, kind: ReportKind) {
        let exchange_ts = self.now;
        let lat = self.latency.response(exchange_ts).max(0);
        let local_ts = exchange_ts.saturating_add(lat).max(self.last_receive);
        self.last_receive = local_ts;
        self.push_out(Report { client_id, exchange_ts, local_ts, kind });
    }

    fn push_out(&mut self, report: Report) {
        self.out_seq += 1;
        self.outbound.push(Reverse(Outbound { seq: self.out_seq, report }));
    }
}

fn view(id: ClientId, o: &Resting) -> OrderView {
    OrderView {
        client_id: id,
        side: o.side,
        price: o.price,
        qty: o.qty,
        filled: o.filled,
        leaves: o.leaves,
        post_only: o.post_only,
        queue_ahead: o.pos.ahead,
    }
}
