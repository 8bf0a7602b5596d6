//! A live simulated venue: an event source (a generated market or a recording) driving the
//! simulated exchange, advanced by the host to its own clock. The embedded default venue of
//! the daemon (`flashmm run`): the host keeps its own book from the market events this hands
//! back, and trades through [`SimVenue::submit`] as it would on a real venue.
//!
//! # Time
//!
//! One clock, the host's, in ns. [`SimVenue::advance_to`]`(t)` feeds the exchange every
//! market event stamped `<= t` (market events win ties, as in the simulator), processes the
//! requests arriving by `t`, and hands back the reports *received* by `t` (response latency
//! respected). Requests are sent at the host's time, at or after the last `advance_to`
//! (sending into the past is refused: the exchange has already moved on). A recording is put
//! on the host's clock by [`RetimedSource`] (start time and speed).
//!
//! # Recording (opt-in)
//!
//! A venue built [`SimVenue::with_recorder`] keeps what [`crate::stats`] needs, so a host that
//! drives it (the daemon's engine in a backtest) never recomputes a statistic: every fill as
//! it happens at the exchange ([`Fill::record`](super::Fill::record), stamped with its exchange time,
//! whether its report has been received yet or not), one [`StepRecord`] per
//! [`SimVenue::record_step`] (the exchange book's touch, the exchange's account of us and our
//! best live quotes, at the venue clock) and the requests sent ([`OrderCounts`]).
//! [`SimVenue::stats`] computes [`BacktestStats`] from them. Record a step after the last
//! decision so every fill is covered (fills after the last step are left out of the stats).
//! With zero entry latency, send a decision's requests before recording its step.

use crate::book::L2Book;
use crate::replay::EventBatch;
use crate::replay::EventSource;
use crate::spec::MarketSpec;
use crate::stats::{BacktestStats, FillRecord, OrderCounts, StatsConfig, StatsError, StepRecord};

use super::exchange::{OrderView, SimConfig, SimError, SimExchange};
use super::latency::OrderLatency;
use super::order::{Report, ReportKind, Request};
use crate::ledger::Account;

/// Errors of the simulated venue.
#[derive(Debug, thiserror::Error)]
pub enum VenueError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error("market data source: {0}")]
    Source(Box<dyn std::error::Error + Send + Sync>),
    #[error("request sent at {got} ns, before the venue clock ({clock} ns): advance first, then send at or after it")]
    SendBeforeClock { clock: i64, got: i64 },
}

/// The simulated venue: a source of market events and the simulated exchange it drives.
/// See the module documentation.
pub struct SimVenue<E: EventSource> {
    source: E,
    sim: SimExchange<OrderLatency>,
    spec: MarketSpec,
    /// Events read from the source and not yet due.
    pending: EventBatch,
    cursor: usize,
    exhausted: bool,
    clock: i64,
    events: u64,
    recorder: Option<Box<Recorder>>,
}

/// What a recording venue keeps (see the module documentation).
#[derive(Default)]
struct Recorder {
    steps: Vec<StepRecord>,
    fills: Vec<FillRecord>,
    orders: OrderCounts,
    skipped_steps: u64,
    /// Reports produced by the exchange and not yet received (receive order).
    held: Vec<Report>,
    scratch: Vec<Report>,
}

impl Recorder {
    /// Takes every report the exchange has produced (received or not), records the fills in
    /// exchange-time order, and keeps the reports in receive order until they are due.
    fn collect<L: super::latency::LatencyModel>(&mut self, sim: &mut SimExchange<L>) {
        self.scratch.clear();
        sim.drain_reports(i64::MAX, &mut self.scratch);
        if self.scratch.is_empty() {
            return;
        }
        let first_fill = self.fills.len();
        for r in &self.scratch {
            if let ReportKind::Fill(f) = r.kind {
                self.fills.push(f.record(r.exchange_ts, r.client_id));
            }
        }
        self.fills[first_fill..].sort_by_key(|f| f.ts);
        self.held.append(&mut self.scratch);
        self.held.sort_by_key(|r| r.local_ts); // stable: equal times keep the exchange's order
    }

    /// Moves the held reports received by `t` to `out`.
    fn release(&mut self, t: i64, out: &mut Vec<Report>) {
        let due = self.held.partition_point(|r| r.local_ts <= t);
        out.extend(self.held.drain(..due));
    }
}

impl<E: EventSource> SimVenue<E> {
    /// A venue on `spec` (fees and minimum size come from `sim`).
    pub fn new(
        source: E,
        spec: MarketSpec,
        sim: SimConfig,
        latency: impl Into<OrderLatency>,
    ) -> Result<Self, VenueError> {
        Ok(Self {
            source,
            sim: SimExchange::new(sim, latency.into())?,
            spec,
            pending: EventBatch::default(),
            cursor: 0,
            exhausted: false,
            clock: i64::MIN,
            events: 0,
            recorder: None,
        })
    }

    /// Turns the recorder on (see the module documentation). Call it before anything is sent:
    /// the statistics need an account that starts flat.
    pub fn with_recorder(mut self) -> Self {
        self.recorder.get_or_insert_with(Box::default);
        self
    }

    /// Whether the recorder is on.
    pub fn is_recording(&self) -> bool {
        self.recorder.is_some()
    }

    /// Records one step at the venue clock: requests arriving by then are processed first
    /// (zero entry latency acts at once), then the exchange book's touch, the exchange's
    /// account and our best live quotes are recorded. Returns false (nothing recorded) when
    /// the recorder is off, before the first advance, or while the book is not valid and
    /// two-sided with positive prices.
    pub fn record_step(&mut self) -> bool {
        let Some(rec) = self.recorder.as_deref_mut() else { return false };
        if self.clock == i64::MIN {
            rec.skipped_steps += 1;
            return false;
        }
        self.sim.advance_to(self.clock);
        rec.collect(&mut self.sim);
        let book = self.sim.book();
        let touch = if book.is_valid() { book.best_bid().zip(book.best_ask()) } else { None };
        match touch {
            Some((b, a)) if b.price > 0 && b.price <= a.price => {
                let orders = self.sim.open_orders();
                let qb = orders.iter().filter(|o| o.side == crate::book::Side::Buy).map(|o| o.price).max();
                let qa = orders.iter().filter(|o| o.side == crate::book::Side::Sell).map(|o| o.price).min();
                rec.steps.push(StepRecord::from_account(self.clock, b.price, a.price, self.sim.account(), qb, qa));
                true
            }
            _ => {
                rec.skipped_steps += 1;
                false
            }
        }
    }

    /// The statistics of what was recorded ([`BacktestStats::compute`]), with the venue's
    /// order counts unless `cfg` brings its own. Fills after the last step are left out.
    /// Without the recorder, or with no step recorded: [`StatsError::NoSteps`].
    pub fn stats(&self, cfg: &StatsConfig) -> Result<BacktestStats, StatsError> {
        let rec = self.recorder.as_deref().ok_or(StatsError::NoSteps)?;
        let last = rec.steps.last().ok_or(StatsError::NoSteps)?.ts;
        let fills = &rec.fills[..rec.fills.partition_point(|f| f.ts <= last)];
        let mut cfg = cfg.clone();
        cfg.orders = cfg.orders.or(Some(rec.orders));
        BacktestStats::compute(&rec.steps, fills, &cfg)
    }

    /// The recorded steps (empty without the recorder).
    pub fn recorded_steps(&self) -> &[StepRecord] {
        self.recorder.as_deref().map_or(&[], |r| &r.steps)
    }

    /// The recorded fills, in exchange-time order (empty without the recorder).
    pub fn recorded_fills(&self) -> &[FillRecord] {
        self.recorder.as_deref().map_or(&[], |r| &r.fills)
    }

    /// Steps not recorded for want of a valid two-sided book (or of a clock).
    pub fn skipped_steps(&self) -> u64 {
        self.recorder.as_deref().map_or(0, |r| r.skipped_steps)
    }

    /// Moves the venue to time `t` (ns; an earlier `t` than the clock changes nothing):
    /// feeds the exchange every market event stamped `<= t`, appending each to `market_out`
    /// (for the host's own book), processes the requests arriving by `t`, and appends the
    /// reports received by `t` to `reports_out`. Returns the number of market events.
    pub fn advance_to(
        &mut self,
        t: i64,
        market_out: &mut EventBatch,
        reports_out: &mut Vec<Report>,
    ) -> Result<usize, VenueError> {
        let mut n = 0;
        loop {
            if self.cursor == self.pending.len() {
                if self.exhausted {
                    break;
                }
                self.cursor = 0;
                let got = self.source.next_batch(&mut self.pending).map_err(|e| VenueError::Source(Box::new(e)))?;
                if got == 0 {
                    self.exhausted = true;
                    break;
                }
            }
            let e = self.pending.get(self.cursor);
            if e.exchange_ts > t {
                break;
            }
            self.sim.on_event(&e);
            market_out.push_event(&e);
            self.cursor += 1;
            n += 1;
        }
        self.events += n as u64;
        self.clock = self.clock.max(t);
        self.sim.advance_to(self.clock);
        match self.recorder.as_deref_mut() {
            Some(rec) => {
                rec.collect(&mut self.sim);
                rec.release(self.clock, reports_out);
            }
            None => {
                self.sim.drain_reports(self.clock, reports_out);
            }
        }
        Ok(n)
    }

    /// Sends a request at `send_ts` (at or after the clock, non-decreasing); it reaches the
    /// exchange after the entry latency. Returns its arrival time (`None`: dropped, its
    /// rejection is reported).
    pub fn submit(&mut self, send_ts: i64, req: Request) -> Result<Option<i64>, VenueError> {
        if send_ts < self.clock {
            return Err(VenueError::SendBeforeClock { clock: self.clock, got: send_ts });
        }
        let arrival = self.sim.submit(send_ts, req)?;
        if let Some(rec) = self.recorder.as_deref_mut() {
            match req {
                Request::New(_) => rec.orders.placed += 1,
                Request::Amend { .. } => rec.orders.amended += 1,
                Request::Cancel { .. } | Request::CancelAll => rec.orders.cancelled += 1,
            }
        }
        Ok(arrival)
    }

    /// Cancels every resting order of ours (one request).
    pub fn cancel_all(&mut self, send_ts: i64) -> Result<Option<i64>, VenueError> {
        self.submit(send_ts, Request::CancelAll)
    }

    /// Our live orders at the exchange now (bids best first, then asks), queue positions
    /// included. Requests in flight are not in it.
    pub fn open_orders(&self) -> Vec<OrderView> {
        self.sim.open_orders()
    }

    /// The exchange's public book (our orders are not in it).
    pub fn book(&self) -> &L2Book {
        self.sim.book()
    }

    /// Position, cash and fees as the exchange books them (every fill so far, reported or not).
    pub fn account(&self) -> &Account {
        self.sim.account()
    }

    pub fn spec(&self) -> &MarketSpec {
        &self.spec
    }

    /// The venue clock: the latest `advance_to` time (`i64::MIN` before the first).
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// Market events fed to the exchange so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The source has ended and every event has been fed (a replay that is over).
    pub fn is_exhausted(&self) -> bool {
        self.exhausted && self.cursor == self.pending.len()
    }

    /// Requests sent and not yet arrived.
    pub fn in_flight(&self) -> usize {
        self.sim.pending_requests()
    }

    /// The simulated exchange (statistics, configuration, single orders).
    pub fn exchange(&self) -> &SimExchange<OrderLatency> {
        &self.sim
    }

    pub fn source(&self) -> &E {
        &self.source
    }
}
