//! The backtester: a strategy at a fixed decision interval against the simulated exchange
//! fed by an event source: a recording ([`BinanceSource`]) or a generated market
//! ([`ZiSource`]).
//!
//! # Time and ordering
//!
//! One clock (ns), the exchange's; local time is the same clock (see [`crate::sim`]). Decision
//! times form a grid `t_k = t_first + k × interval` (`k >= 1`, `t_first` = the first event's
//! exchange time; events before it without one are applied at once). Everything happens in this order, all ties included:
//!
//! 1. **Market events** come from the [`EventSource`] in exchange order. The Binance adapter
//!    ([`BinanceSource`]) sorts by (exchange time, **trades before depth updates**, file
//!    order): a diff stamped in the same exchange millisecond as a trade already shows it, and
//!    applying it first would advance a probabilistic queue position twice.
//! 2. A decision at `t` happens **after every market event stamped `<= t`** (market events win
//!    ties, as in the simulator: an event and a decision in the same nanosecond, the event
//!    first). Before deciding, requests arriving `<= t` are processed
//!    ([`SimExchange::advance_to`]) and the reports received `<= t` are handed to the strategy
//!    ([`Context::reports`]; response latency respected).
//! 3. The strategy's requests are sent at `t` in order; they reach the exchange at
//!    `t + entry latency` (requests arriving exactly at `t`, zero latency, are processed before
//!    the step is recorded).
//! 4. A [`StepRecord`] is recorded at `t` with the exchange's account (every fill stamped
//!    `<= t`) and our best live bid/ask at the exchange — if the public book is valid and
//!    two-sided; otherwise the step is skipped ([`BacktestCounts::skipped_steps`]) but the
//!    strategy is still called.
//! 5. An event the source delivers late (stamped before the clock) is applied at
//!    `last step + 1 ns` at the earliest, so no fill is ever stamped at or before a step that
//!    did not include it ([`BacktestCounts::late_events`]).
//! 6. At the end of the source, one final step is recorded at the next grid time (no
//!    decision); requests still in flight then are never processed; every report emitted up
//!    to then is collected (received or not) so the fill records match the account.
//!
//! An optional `end_ns` stops the run at the first event stamped after it.
//!
//! Every fill report becomes a [`FillRecord`] (stamped with its exchange time), so
//! [`BacktestStats::compute`] reconciles the steps with the fills exactly.
//!
//! # API
//!
//! ```no_run
//! use flashmm_core::backtest::{Backtest, BacktestConfig, BaselineQuoter, BaselineConfig};
//! use flashmm_core::replay::binance::BinanceSource;
//! use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
//!
//! let mut src = BinanceSource::open("usdm_btcusdt_20240808.gz".as_ref(), None, None).unwrap();
//! let sim = SimConfig::new(src.spec(), src.rule()).with_queue(QueueModel::Power(2.0));
//! let cfg = BacktestConfig::new(sim, ConstantLatency::new(5_000_000, 5_000_000).unwrap());
//! let result = Backtest::new(cfg, BaselineQuoter::new(BaselineConfig::default()))
//!     .unwrap()
//!     .run_with_progress(&mut src, |p| eprintln!("{} events, {:?}", p.events, p.source))
//!     .unwrap();
//! println!("{}", result.to_json());
//! ```
//!
//! See also `docs/backtest.md`.
//!
//! # Determinism
//!
//! No clock, no randomness, no hash-map iteration in anything written out: the same events
//! and configuration give the same records and byte-identical [`BacktestResult::to_json`].

mod feed;
mod run;
mod strategy;

pub use feed::{FeedDelay, RECORDED_FEED_BASE_NS, recorded_feed_offset};

pub use run::{BaselineRun, BaselineRunResult, FeedSpec, PROGRESS_EVERY, SourceSpec};
pub use strategy::{BaselineConfig, BaselineQuoter, Context, Orders, QuoteMode, Strategy};

use serde::Serialize;

use crate::book::Side;
use crate::ledger::Account;
use crate::replay::{EventBatch, EventSource, SourceProgress};
use crate::sim::{
    ConstantLatency, LatencyModel, OrderLatency, OrderType, OrderView, Report, ReportKind, Request, SimConfig,
    SimError, SimExchange, SimStats,
};
use crate::stats::{BacktestStats, FillRecord, OrderCounts, StatsConfig, StatsError, StepRecord};

/// Default decision interval: 100 ms.
pub const DEFAULT_INTERVAL_NS: i64 = 100_000_000;

/// Configuration of one backtest.
#[derive(Clone, Debug)]
pub struct BacktestConfig {
    pub sim: SimConfig,
    pub latency: OrderLatency,
    /// Decision interval, ns (> 0).
    pub interval_ns: i64,
    /// Stop at the first event stamped after this time.
    pub end_ns: Option<i64>,
    /// Feed latency for the strategy's view of the book: `None`, the strategy sees the
    /// simulator's book at exchange time; `Some(delay)`, it sees a second book fed with the
    /// depth events shown by `now` ([`FeedDelay`]: at their recorded receive time plus an
    /// offset, or at their exchange time plus a constant), in the order they are shown.
    /// Steps and statistics always use the exchange's book.
    pub feed: Option<FeedDelay>,
    /// Keep every request and report in the result (steps and fills are always kept).
    pub record_orders: bool,
    /// Statistics settings (`step_interval_ns` and `orders` are filled in by the backtester).
    pub stats: StatsConfig,
}

impl BacktestConfig {
    /// 100 ms decisions, the given simulator and latency, everything recorded.
    pub fn new(sim: SimConfig, latency: impl Into<OrderLatency>) -> Self {
        Self {
            sim,
            latency: latency.into(),
            interval_ns: DEFAULT_INTERVAL_NS,
            end_ns: None,
            feed: None,
            record_orders: true,
            stats: StatsConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("decision interval must be > 0 ns, got {0}")]
    Interval(i64),
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error("event source: {0}")]
    Source(Box<dyn std::error::Error + Send + Sync>),
    #[error("no decision step with a valid two-sided book was recorded")]
    NoSteps,
    #[error(transparent)]
    Stats(#[from] StatsError),
    #[error(transparent)]
    Options(#[from] crate::options::OptionError),
    /// The recording could not be opened.
    #[error(transparent)]
    Open(#[from] crate::replay::binance::ReadError),
}

/// Progress of a run, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub events: u64,
    pub steps: u64,
    pub source: SourceProgress,
}

/// Counts of one backtest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct BacktestCounts {
    /// Market events fed to the exchange.
    pub events: u64,
    /// Decisions (strategy calls).
    pub decisions: u64,
    /// Steps recorded.
    pub steps: u64,
    /// Decisions without a valid two-sided book (no step recorded).
    pub skipped_steps: u64,
    /// Events stamped before the clock (applied at the clock).
    pub late_events: u64,
    pub orders: OrderCounts,
    pub requests: u64,
    pub reports: u64,
    pub fills: u64,
    pub rejected: u64,
}

/// One request as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RequestRecord {
    #[serde(serialize_with = "ser_i64_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub send_ts: i64,
    /// Arrival at the exchange (`None`: dropped).
    #[serde(serialize_with = "ser_opt_i64_str")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub arrival_ts: Option<i64>,
    /// `new`, `cancel`, `amend`, `cancel-all`.
    pub kind: &'static str,
    pub client_id: u64,
    pub side: Option<&'static str>,
    /// Limit price (new limit, amend), ticks.
    pub price: Option<i64>,
    pub lots: Option<i64>,
    pub post_only: Option<bool>,
}

impl RequestRecord {
    pub fn new(send_ts: i64, arrival_ts: Option<i64>, req: &Request) -> Self {
        let mut r = RequestRecord {
            send_ts,
            arrival_ts,
            kind: "",
            client_id: req.client_id(),
            side: None,
            price: None,
            lots: None,
            post_only: None,
        };
        match *req {
            Request::New(o) => {
                r.kind = "new";
                r.side = Some(o.side.name());
                r.lots = Some(o.lots);
                if let OrderType::Limit { price, post_only } = o.kind {
                    r.price = Some(price);
                    r.post_only = Some(post_only);
                }
            }
            Request::Cancel { .. } => r.kind = "cancel",
            Request::CancelAll => r.kind = "cancel-all",
            Request::Amend { price, lots, .. } => {
                r.kind = "amend";
                r.price = Some(price);
                r.lots = Some(lots);
            }
        }
        r
    }
}

/// One report, flattened for JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReportRecord {
    pub client_id: u64,
    #[serde(serialize_with = "ser_i64_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub exchange_ts: i64,
    #[serde(serialize_with = "ser_i64_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub local_ts: i64,
    /// `accepted`, `rejected`, `fill`, `cancelled`, `cancel-rejected`, `amended`,
    /// `amend-rejected`, `cancel-all-done`.
    pub kind: &'static str,
    /// Reason of a rejection or cancellation, trigger of a fill.
    pub detail: Option<String>,
    pub side: Option<&'static str>,
    pub price: Option<i64>,
    pub lots: Option<i64>,
    pub leaves: Option<i64>,
    #[serde(serialize_with = "ser_opt_i128_str")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub fee: Option<i128>,
}

impl ReportRecord {
    pub fn new(r: &Report) -> Self {
        let mut o = ReportRecord {
            client_id: r.client_id,
            exchange_ts: r.exchange_ts,
            local_ts: r.local_ts,
            kind: "",
            detail: None,
            side: None,
            price: None,
            lots: None,
            leaves: None,
            fee: None,
        };
        match r.kind {
            ReportKind::Accepted { side, price, lots } => {
                o.kind = "accepted";
                o.side = Some(side.name());
                o.price = Some(price);
                o.lots = Some(lots);
            }
            ReportKind::Rejected { reason } => {
                o.kind = "rejected";
                o.detail = Some(reason.name().into());
            }
            ReportKind::Fill(f) => {
                o.kind = "fill";
                o.detail = Some(match f.trigger {
                    crate::sim::FillTrigger::Trade { trade_id } => format!("trade {trade_id}"),
                    other => other.name().into(),
                });
                o.side = Some(f.side.name());
                o.price = Some(f.price);
                o.lots = Some(f.lots);
                o.leaves = Some(f.leaves);
                o.fee = Some(f.fee);
            }
            ReportKind::Cancelled { reason, leaves } => {
                o.kind = "cancelled";
                o.detail = Some(reason.name().into());
                o.leaves = Some(leaves);
            }
            ReportKind::CancelRejected { reason } => {
                o.kind = "cancel-rejected";
                o.detail = Some(reason.name().into());
            }
            ReportKind::Amended { price, lots, leaves, priority_kept } => {
                o.kind = "amended";
                o.detail = Some(if priority_kept { "priority-kept" } else { "priority-lost" }.into());
                o.price = Some(price);
                o.lots = Some(lots);
                o.leaves = Some(leaves);
            }
            ReportKind::AmendRejected { reason } => {
                o.kind = "amend-rejected";
                o.detail = Some(reason.name().into());
            }
            ReportKind::CancelAllDone { cancelled } => {
                o.kind = "cancel-all-done";
                o.lots = Some(i64::from(cancelled));
            }
        }
        o
    }
}

fn ser_i64_str<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn ser_opt_i64_str<S: serde::Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn ser_opt_i128_str<S: serde::Serializer>(v: &Option<i128>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// The configuration as written into the JSON result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConfigEcho {
    pub strategy: String,
    pub interval_ns: String,
    pub end_ns: Option<String>,
    /// [`FeedDelay::Recorded`]'s offset.
    pub feed_offset_ns: Option<String>,
    /// [`FeedDelay::Constant`]'s delay (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub feed_delay_ns: Option<String>,
    pub sequence_rule: String,
    pub queue_model: String,
    pub self_trade: String,
    pub maker_fee_ppm: i64,
    pub taker_fee_ppm: i64,
    pub min_size_lots: i64,
    /// `constant entry=<ns> response=<ns>` or `interpolated rows=<n>`.
    pub latency: String,
}

impl ConfigEcho {
    fn new(cfg: &BacktestConfig, strategy: String) -> Self {
        let latency = match &cfg.latency {
            OrderLatency::Constant(c) => {
                let mut c: ConstantLatency = *c;
                format!("constant entry={} response={}", c.entry(0), c.response(0))
            }
            OrderLatency::Interpolated(m) => format!("interpolated rows={}", m.rows().len()),
        };
        ConfigEcho {
            strategy,
            interval_ns: cfg.interval_ns.to_string(),
            end_ns: cfg.end_ns.map(|t| t.to_string()),
            feed_offset_ns: match cfg.feed {
                Some(FeedDelay::Recorded { offset_ns }) => Some(offset_ns.to_string()),
                _ => None,
            },
            feed_delay_ns: match cfg.feed {
                Some(FeedDelay::Constant { delay_ns }) => Some(delay_ns.to_string()),
                _ => None,
            },
            sequence_rule: cfg.sim.rule.name().to_owned(),
            queue_model: cfg.sim.queue.name(),
            self_trade: match cfg.sim.self_trade {
                crate::sim::SelfTradePrevention::RejectNew => "reject-new",
                crate::sim::SelfTradePrevention::CancelResting => "cancel-resting",
            }
            .to_owned(),
            maker_fee_ppm: cfg.sim.maker_fee_ppm,
            taker_fee_ppm: cfg.sim.taker_fee_ppm,
            min_size_lots: cfg.sim.min_size_lots,
            latency,
        }
    }
}

/// The JSON result's type, for the TypeScript declarations (`crate::json`'s test).
#[cfg(test)]
pub(crate) type ResultJsonType = ResultJson<'static>;

/// Everything one backtest produced.
#[derive(Clone, Debug)]
pub struct BacktestResult {
    pub config: ConfigEcho,
    pub counts: BacktestCounts,
    pub sim: SimStats,
    /// The exchange's account at the end (equals the last step's).
    pub account: Account,
    pub stats: BacktestStats,
    pub steps: Vec<StepRecord>,
    pub fills: Vec<FillRecord>,
    /// Every request sent (empty unless [`BacktestConfig::record_orders`]).
    pub requests: Vec<RequestRecord>,
    /// Every report, in receive order (empty unless [`BacktestConfig::record_orders`]).
    pub reports: Vec<ReportRecord>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "SimCountsJson"))]
pub(crate) struct SimStatsJson {
    market_events: u64,
    depth_updates: u64,
    trades: u64,
    requests: u64,
    dropped: u64,
    rejected: u64,
    fills: u64,
    maker_fills: u64,
    taker_fills: u64,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub(crate) struct AccountJson {
    position: i64,
    cash: String,
    fees: String,
    fills: u64,
    bought_lots: i64,
    sold_lots: i64,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "BacktestResultJson"))]
pub(crate) struct ResultJson<'a> {
    config: &'a ConfigEcho,
    counts: &'a BacktestCounts,
    sim: SimStatsJson,
    account: AccountJson,
    stats: &'a BacktestStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    steps: Option<&'a [StepRecord]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    fills: Option<&'a [FillRecord]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    requests: Option<&'a [RequestRecord]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    reports: Option<&'a [ReportRecord]>,
}

impl BacktestResult {
    /// Compact JSON: configuration echo, counts, simulator counters, final account and
    /// statistics. Money and ns are strings of exact integers (see `docs/statistics.md`).
    pub fn to_json(&self) -> String {
        self.json(false)
    }

    /// [`Self::to_json`] plus every step, fill, request and report.
    pub fn to_json_with_records(&self) -> String {
        self.json(true)
    }

    fn json(&self, records: bool) -> String {
        let s = self.sim;
        let a = &self.account;
        let out = ResultJson {
            config: &self.config,
            counts: &self.counts,
            sim: SimStatsJson {
                market_events: s.market_events,
                depth_updates: s.depth_updates,
                trades: s.trades,
                requests: s.requests,
                dropped: s.dropped,
                rejected: s.rejected,
                fills: s.fills,
                maker_fills: s.maker_fills,
                taker_fills: s.taker_fills,
            },
            account: AccountJson {
                position: a.position(),
                cash: a.cash.to_string(),
                fees: a.fees().to_string(),
                fills: a.fills,
                bought_lots: a.bought_lots,
                sold_lots: a.sold_lots,
            },
            stats: &self.stats,
            steps: records.then_some(&self.steps[..]),
            fills: records.then_some(&self.fills[..]),
            requests: records.then_some(&self.requests[..]),
            reports: records.then_some(&self.reports[..]),
        };
        serde_json::to_string(&out).expect("backtest result serialises")
    }
}

/// The backtest driver: feeds events, calls the strategy on the decision grid, records.
pub struct Backtest<S: Strategy> {
    cfg: BacktestConfig,
    sim: SimExchange<OrderLatency>,
    strategy: S,
    /// Account from the fill reports received.
    known: Account,
    orders: Orders,
    next_decision: Option<i64>,
    last_step_ts: i64,
    counts: BacktestCounts,
    steps: Vec<StepRecord>,
    fills: Vec<FillRecord>,
    requests: Vec<RequestRecord>,
    reports: Vec<ReportRecord>,
    inbox: Vec<Report>,
    open: Vec<OrderView>,
    stopped: bool,
    view: Option<feed::DelayedBook>,
}

impl<S: Strategy> Backtest<S> {
    pub fn new(cfg: BacktestConfig, strategy: S) -> Result<Self, BacktestError> {
        if cfg.interval_ns <= 0 {
            return Err(BacktestError::Interval(cfg.interval_ns));
        }
        let sim = SimExchange::new(cfg.sim.clone(), cfg.latency.clone())?;
        let view = cfg.feed.map(|delay| feed::DelayedBook::new(delay, cfg.sim.rule));
        Ok(Self {
            cfg,
            sim,
            strategy,
            known: Account::default(),
            orders: Orders { requests: Vec::new(), next_id: 1 },
            next_decision: None,
            last_step_ts: i64::MIN,
            counts: BacktestCounts::default(),
            steps: Vec::new(),
            fills: Vec::new(),
            requests: Vec::new(),
            reports: Vec::new(),
            inbox: Vec::new(),
            open: Vec::new(),
            stopped: false,
            view,
        })
    }

    /// The simulated exchange (read-only).
    pub fn exchange(&self) -> &SimExchange<OrderLatency> {
        &self.sim
    }

    pub fn strategy(&self) -> &S {
        &self.strategy
    }

    pub fn counts(&self) -> BacktestCounts {
        self.counts
    }

    /// Runs over a whole source and computes the statistics.
    pub fn run<E: EventSource>(self, source: &mut E) -> Result<BacktestResult, BacktestError> {
        self.run_with_progress(source, |_| {})
    }

    /// [`Self::run`], calling `progress` after every batch (draw a progress bar there).
    pub fn run_with_progress<E: EventSource>(
        mut self,
        source: &mut E,
        mut progress: impl FnMut(&Progress),
    ) -> Result<BacktestResult, BacktestError> {
        let mut batch = EventBatch::default();
        loop {
            let n = source.next_batch(&mut batch).map_err(|e| BacktestError::Source(Box::new(e)))?;
            if n == 0 {
                break;
            }
            self.feed(&batch);
            progress(&Progress { events: self.counts.events, steps: self.counts.steps, source: source.progress() });
            if self.stopped {
                break;
            }
        }
        self.finish()
    }

    /// Feeds one batch of events (in exchange order). Use [`Self::finish`] at the end.
    pub fn feed(&mut self, batch: &EventBatch) {
        for i in 0..batch.len() {
            if self.stopped {
                return;
            }
            let e = batch.get(i);
            let ts = e.exchange_ts;
            if self.cfg.end_ns.is_some_and(|end| ts > end) {
                self.stopped = true;
                return;
            }
            match self.next_decision {
                // The grid starts at the first event with an exchange time.
                None if ts > 0 => self.next_decision = Some(ts.saturating_add(self.cfg.interval_ns)),
                None => {}
                Some(_) => {
                    while let Some(t) = self.next_decision.filter(|&t| t < ts) {
                        self.decide(t);
                        self.next_decision = Some(t + self.cfg.interval_ns);
                    }
                }
            }
            if ts <= self.last_step_ts || ts < self.sim.now() {
                self.counts.late_events += 1;
                if ts <= self.last_step_ts {
                    self.sim.advance_to(self.last_step_ts + 1);
                }
            }
            self.sim.on_event(&e);
            if let Some(v) = &mut self.view {
                v.push(&e);
            }
            self.counts.events += 1;
        }
    }

    fn receive(&mut self, upto: i64) {
        while let Some(r) = self.sim.pop_report(upto) {
            self.on_report(&r);
            self.inbox.push(r);
        }
    }

    fn on_report(&mut self, r: &Report) {
        self.counts.reports += 1;
        if let ReportKind::Fill(f) = r.kind {
            self.known
                .apply(f.side, f.price, f.lots, f.fee, f.liquidity)
                .expect("the simulator fills whole positive lots");
            self.fills.push(f.record(r.exchange_ts, r.client_id));
            self.counts.fills += 1;
        }
        if matches!(r.kind, ReportKind::Rejected { .. }) {
            self.counts.rejected += 1;
        }
        if self.cfg.record_orders {
            self.reports.push(ReportRecord::new(r));
        }
    }

    fn decide(&mut self, t: i64) {
        self.sim.advance_to(t);
        self.inbox.clear();
        self.receive(t);
        self.open.clear();
        self.open.extend(self.sim.open_orders());
        self.orders.requests.clear();
        if let Some(v) = &mut self.view {
            v.advance(t);
        }
        {
            let ctx = Context {
                now: t,
                step: self.counts.decisions,
                book: self.view.as_ref().map_or(self.sim.book(), |v| &v.book),
                open_orders: &self.open,
                in_flight: self.sim.pending_requests(),
                account: &self.known,
                exchange_account: self.sim.account(),
                reports: &self.inbox,
            };
            self.strategy.on_decision(&ctx, &mut self.orders);
        }
        self.counts.decisions += 1;
        let reqs = std::mem::take(&mut self.orders.requests);
        for req in &reqs {
            self.send(t, req);
        }
        self.orders.requests = reqs;
        // Zero entry latency: requests arriving at t act now, before the step.
        self.sim.advance_to(t);
        self.record_step(t);
    }

    fn send(&mut self, t: i64, req: &Request) {
        let arrival = self.sim.submit(t, *req).expect("decision times never go back");
        self.counts.requests += 1;
        match req {
            Request::New(_) => self.counts.orders.placed += 1,
            Request::Amend { .. } => self.counts.orders.amended += 1,
            Request::Cancel { .. } | Request::CancelAll => self.counts.orders.cancelled += 1,
        }
        if self.cfg.record_orders {
            self.requests.push(RequestRecord::new(t, arrival, req));
        }
    }

    fn record_step(&mut self, t: i64) {
        self.last_step_ts = t;
        let book = self.sim.book();
        let touch = if book.is_valid() { book.best_bid().zip(book.best_ask()) } else { None };
        match touch {
            Some((b, a)) if b.price > 0 && b.price <= a.price => {
                let orders = self.sim.open_orders();
                let qb = orders.iter().filter(|o| o.side == Side::Buy).map(|o| o.price).max();
                let qa = orders.iter().filter(|o| o.side == Side::Sell).map(|o| o.price).min();
                self.steps.push(StepRecord::from_account(t, b.price, a.price, self.sim.account(), qb, qa));
                self.counts.steps += 1;
            }
            _ => self.counts.skipped_steps += 1,
        }
    }

    /// Records the final step (at the next grid time, no decision), collects every report
    /// emitted and computes the statistics.
    pub fn finish(mut self) -> Result<BacktestResult, BacktestError> {
        if let Some(t) = self.next_decision {
            let t = t.max(self.sim.now());
            self.sim.advance_to(t);
            self.record_step(t);
            // Every report emitted so far, received or not: fills must match the account.
            self.receive(i64::MAX);
        }
        if self.steps.is_empty() {
            return Err(BacktestError::NoSteps);
        }
        let mut stats_cfg = self.cfg.stats.clone();
        stats_cfg.step_interval_ns = self.cfg.interval_ns;
        stats_cfg.orders = Some(self.counts.orders);
        let stats = BacktestStats::compute(&self.steps, &self.fills, &stats_cfg)?;
        Ok(BacktestResult {
            config: ConfigEcho::new(&self.cfg, self.strategy.name()),
            counts: self.counts,
            sim: self.sim.stats(),
            account: *self.sim.account(),
            stats,
            steps: self.steps,
            fills: self.fills,
            requests: self.requests,
            reports: self.reports,
        })
    }
}
