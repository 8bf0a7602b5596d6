//! A zero-intelligence stochastic limit order book (Smith–Farmer–Gillemot–Krishnamurthy 2003;
//! Cont, Stoikov & Talreja 2010), on any tick and lot grid, emitting core market events.
//!
//! # The model
//!
//! Prices are in ticks, sizes in lots; every size is a whole number of *units*
//! ([`ZiParams::unit_lots`], by default the market's minimum size). Independent Poisson
//! flows, per side:
//!
//! * **Limit orders**, rate [`limit_rate`](ZiParams::limit_rate) per side, placed `i` ticks
//!   from the *opposite* best quote (a bid at `best ask − i`, an ask at `best bid + i`), with
//!   `i ∈ 1..=depth_levels` drawn with probability `∝ i^(−depth_exponent)` (the power-law
//!   placement that Cont–Stoikov–Talreja measured). `i = 1` joins or improves the best, so
//!   orders inside the spread arrive fastest, and the spread mean-reverts. A limit order never
//!   crosses: its price is at least one tick from the opposite best.
//! * **Cancellations**, rate [`cancel_rate`](ZiParams::cancel_rate) per resting order, so a
//!   side's cancel rate is proportional to its depth: `cancel_rate × depth / mean limit size`.
//!   A cancellation picks a level with probability proportional to its size and removes one
//!   order's size (drawn like a limit order's, capped at the level).
//! * **Market orders**, rate [`market_rate`](ZiParams::market_rate) per side, walk the
//!   opposite side best price first, one trade per level.
//!
//! Order sizes: `unit_lots × n`, `n ≥ 1` geometric with mean
//! [`limit_size_mean`](ZiParams::limit_size_mean) (limit orders, cancellations) or
//! [`market_size_mean`](ZiParams::market_size_mean) (market orders).
//!
//! The book stays **two-sided and never crossed**: a market order takes at most the opposite
//! side's depth minus one unit, and a cancellation never takes the last unit of a side. The
//! mid is a driftless random walk driven by the order flow (diffusive: its variance grows
//! linearly with time), and the spread mean-reverts to a few ticks. Prices stay positive: a bid
//! that would be priced below one tick is dropped.
//!
//! # Events
//!
//! [`ZiGenerator::next_events`] appends the events up to a time to an [`EventBatch`]: first a
//! [`EventKind::Snapshot`] of the (warmed-up) book, then one [`EventKind::DepthDiff`] per book
//! change with contiguous update ids (`first_id == last_id`, one more than the previous; rule
//! [`SequenceRule::Strict`](crate::book::SequenceRule::Strict)), and a market order as its
//! [`EventKind::Trade`]s (one per price level, [`FLAG_BUYER_MAKER`] when the aggressor sold,
//! trade ids counting from 1) followed by the diff of the levels it took. Exchange time is in
//! ns; local time is exchange time plus [`feed_latency_ns`](ZiParams::feed_latency_ns).
//!
//! It is a Gillespie simulation: after each event the time to the next is exponential with
//! the total rate, and one event is drawn in proportion to the rates. All draws come from one
//! PCG-64 stream seeded from the seed, so a seed gives the same events whatever the `until`
//! steps the caller advances by, on every platform.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use crate::book::{Level, Side};
use crate::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};
use crate::spec::{DecimalError, MarketSpec};

/// Parameters of the generator. Rates are per second.
#[derive(Clone, Debug, PartialEq)]
pub struct ZiParams {
    /// Best bid of the initial book, in ticks; the initial best ask is one tick above.
    pub initial_bid_ticks: i64,
    /// One size unit, in lots.
    pub unit_lots: i64,
    /// Limit orders per second, per side.
    pub limit_rate: f64,
    /// Limit orders are placed `1..=depth_levels` ticks from the opposite best.
    pub depth_levels: u32,
    /// Placement probability `∝ i^(−depth_exponent)`.
    pub depth_exponent: f64,
    /// Cancellation rate per resting order (of mean limit size), per second.
    pub cancel_rate: f64,
    /// Market orders per second, per side.
    pub market_rate: f64,
    /// Mean limit order size, in units (≥ 1).
    pub limit_size_mean: f64,
    /// Mean market order size, in units (≥ 1).
    pub market_size_mean: f64,
    /// Local receive time minus exchange time, ns.
    pub feed_latency_ns: i64,
    /// Simulated time run (and not emitted) before the first snapshot, so that the book
    /// starts near its stationary shape.
    pub warmup_ns: i64,
}

impl ZiParams {
    /// The documented defaults (see `docs/market_gen.md` for measured statistics) around an
    /// initial price given as a decimal string on the market's tick grid.
    pub fn for_market(spec: &MarketSpec, initial_price: &str) -> Result<Self, DecimalError> {
        Ok(Self::with_initial_bid(spec.price_to_ticks(initial_price)?, spec.min_size_lots.max(1)))
    }

    /// Defaults around a best bid of `initial_bid_ticks`, sizes in units of `unit_lots`.
    pub fn with_initial_bid(initial_bid_ticks: i64, unit_lots: i64) -> Self {
        Self {
            initial_bid_ticks,
            unit_lots,
            limit_rate: 12.0,
            depth_levels: 20,
            depth_exponent: 0.52,
            cancel_rate: 0.4,
            market_rate: 1.0,
            limit_size_mean: 2.0,
            market_size_mean: 4.0,
            feed_latency_ns: 1_000_000,
            warmup_ns: 300_000_000_000,
        }
    }

    pub fn validate(&self) -> Result<(), ZiError> {
        let positive = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 { Ok(()) } else { Err(ZiError::Parameter { name, value: v }) }
        };
        positive("limit_rate", self.limit_rate)?;
        positive("cancel_rate", self.cancel_rate)?;
        positive("market_rate", self.market_rate)?;
        if !(self.depth_exponent.is_finite() && self.depth_exponent >= 0.0) {
            return Err(ZiError::Parameter { name: "depth_exponent", value: self.depth_exponent });
        }
        for (name, v) in [("limit_size_mean", self.limit_size_mean), ("market_size_mean", self.market_size_mean)] {
            if !(v.is_finite() && v >= 1.0) {
                return Err(ZiError::Parameter { name, value: v });
            }
        }
        if self.depth_levels == 0 {
            return Err(ZiError::Parameter { name: "depth_levels", value: 0.0 });
        }
        if self.unit_lots < 1 {
            return Err(ZiError::Parameter { name: "unit_lots", value: self.unit_lots as f64 });
        }
        if self.initial_bid_ticks <= i64::from(self.depth_levels) {
            return Err(ZiError::Parameter { name: "initial_bid_ticks", value: self.initial_bid_ticks as f64 });
        }
        if self.feed_latency_ns < 0 || self.warmup_ns < 0 {
            return Err(ZiError::Parameter { name: "feed_latency_ns/warmup_ns", value: -1.0 });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ZiError {
    #[error("generator parameter {name} = {value} is out of range")]
    Parameter { name: &'static str, value: f64 },
}

/// Counters of what the generator did (warm-up excluded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZiStats {
    pub limit_orders: u64,
    /// Limit orders dropped because their price would have been below one tick.
    pub limit_dropped: u64,
    pub cancels: u64,
    /// Cancellations not done because they would have emptied a side.
    pub cancels_skipped: u64,
    /// Market orders that traded (buy and sell).
    pub market_orders: u64,
    /// Market orders not done because the opposite side had a single unit.
    pub market_skipped: u64,
    /// Market orders cut to leave one unit on the opposite side.
    pub market_capped: u64,
    pub trades: u64,
    pub depth_diffs: u64,
    pub snapshots: u64,
}

/// The generator. See the module documentation.
#[derive(Clone, Debug)]
pub struct ZiGenerator {
    p: ZiParams,
    rng: Pcg64,
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    bid_depth: i64,
    ask_depth: i64,
    /// Cumulative placement probabilities for `i = 1..=depth_levels`.
    placement_cdf: Vec<f64>,
    /// Exchange time of the last event, ns.
    clock: i64,
    /// Exchange time of the next event, ns.
    next_ts: i64,
    update_id: u64,
    trade_id: u64,
    snapshot_pending: bool,
    emitting: bool,
    stats: ZiStats,
    scratch: Vec<Level>,
}

/// Largest cancellation/market draw, in units, so sizes stay far from overflow.
const MAX_UNITS: f64 = 1.0e6;

impl ZiGenerator {
    /// A generator whose first event (a snapshot) is at exchange time `start_ns`. The book is
    /// built and warmed up for [`ZiParams::warmup_ns`] before it.
    pub fn new(params: ZiParams, seed: u64, start_ns: i64) -> Result<Self, ZiError> {
        params.validate()?;
        let k = params.depth_levels as usize;
        let weights: Vec<f64> = (1..=k).map(|i| (i as f64).powf(-params.depth_exponent)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let mut placement_cdf: Vec<f64> = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        placement_cdf[k - 1] = 1.0;
        let mut g = Self {
            rng: Pcg64::seed_from_u64(seed),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            bid_depth: 0,
            ask_depth: 0,
            placement_cdf,
            clock: start_ns.saturating_sub(params.warmup_ns),
            next_ts: 0,
            update_id: 0,
            trade_id: 0,
            snapshot_pending: false,
            emitting: false,
            stats: ZiStats::default(),
            scratch: Vec::new(),
            p: params,
        };
        // Initial book: `limit_size_mean` units on each of the first levels of each side.
        let unit = g.p.unit_lots;
        let per_level = (g.p.limit_size_mean.round() as i64).max(1) * unit;
        for i in 0..i64::from(g.p.depth_levels) {
            let bid = g.p.initial_bid_ticks - i;
            g.bids.insert(bid, per_level);
            g.asks.insert(g.p.initial_bid_ticks + 1 + i, per_level);
        }
        g.bid_depth = per_level * i64::from(g.p.depth_levels);
        g.ask_depth = g.bid_depth;
        g.next_ts = g.clock + g.draw_wait();
        let mut sink = EventBatch::default();
        g.run_until(start_ns, &mut sink);
        g.clock = start_ns;
        g.stats = ZiStats::default();
        g.trade_id = 0;
        g.emitting = true;
        g.snapshot_pending = true;
        Ok(g)
    }

    pub fn params(&self) -> &ZiParams {
        &self.p
    }

    pub fn stats(&self) -> ZiStats {
        self.stats
    }

    /// Exchange time of the last event emitted (or of the start), ns.
    pub fn now(&self) -> i64 {
        self.clock
    }

    /// Exchange time of the next event, ns.
    pub fn next_event_ts(&self) -> i64 {
        if self.snapshot_pending { self.clock } else { self.next_ts }
    }

    /// Last update id in the book (the snapshot's, then each diff's).
    pub fn last_update_id(&self) -> u64 {
        self.update_id
    }

    pub fn best_bid(&self) -> Level {
        let (&p, &s) = self.bids.last_key_value().expect("the generator keeps both sides");
        Level::new(p, s)
    }

    pub fn best_ask(&self) -> Level {
        let (&p, &s) = self.asks.first_key_value().expect("the generator keeps both sides");
        Level::new(p, s)
    }

    /// Total resting lots on a side.
    pub fn depth(&self, side: Side) -> i64 {
        match side {
            Side::Buy => self.bid_depth,
            Side::Sell => self.ask_depth,
        }
    }

    /// Levels of a side, best first.
    pub fn levels(&self, side: Side) -> Vec<Level> {
        match side {
            Side::Buy => self.bids.iter().rev().map(|(&p, &s)| Level::new(p, s)).collect(),
            Side::Sell => self.asks.iter().map(|(&p, &s)| Level::new(p, s)).collect(),
        }
    }

    /// Appends every event with exchange time `<= until_ns` (the first call starts with the
    /// snapshot). Returns how many were appended.
    pub fn next_events(&mut self, until_ns: i64, out: &mut EventBatch) -> usize {
        let before = out.len();
        if self.snapshot_pending && self.clock <= until_ns {
            self.snapshot_pending = false;
            self.push_snapshot(out);
        }
        if !self.snapshot_pending {
            self.run_until(until_ns, out);
        }
        out.len() - before
    }

    /// Appends a snapshot of the current book (for a consumer that joins late or resyncs),
    /// stamped with the time of the last event and the last update id.
    pub fn push_snapshot(&mut self, out: &mut EventBatch) {
        let start = out.levels.len() as u32;
        out.levels.extend(self.bids.iter().rev().map(|(&p, &s)| Level::new(p, s)));
        let nb = out.levels.len() as u32 - start;
        out.levels.extend(self.asks.iter().map(|(&p, &s)| Level::new(p, s)));
        let (id, ts) = (self.update_id, self.clock);
        out.push(EventKind::Snapshot, ts + self.p.feed_latency_ns, ts, id, id, None, 0, start, nb);
        self.stats.snapshots += 1;
    }

    fn run_until(&mut self, until_ns: i64, out: &mut EventBatch) {
        while self.next_ts <= until_ns {
            self.clock = self.next_ts;
            self.step(out);
            self.next_ts = self.clock + self.draw_wait();
        }
    }

    fn orders_on(&self, depth: i64) -> f64 {
        depth as f64 / (self.p.unit_lots as f64 * self.p.limit_size_mean)
    }

    fn rates(&self) -> [f64; 6] {
        [
            self.p.limit_rate,
            self.p.limit_rate,
            self.p.cancel_rate * self.orders_on(self.bid_depth),
            self.p.cancel_rate * self.orders_on(self.ask_depth),
            self.p.market_rate,
            self.p.market_rate,
        ]
    }

    fn uniform(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// Exponential waiting time at the current total rate, in ns.
    fn draw_wait(&mut self) -> i64 {
        let total: f64 = self.rates().iter().sum();
        let e = -(1.0 - self.uniform()).ln();
        (e / total * 1e9).round() as i64
    }

    /// `unit_lots × n`, `n ≥ 1` geometric with mean `mean`.
    fn draw_size(&mut self, mean: f64) -> i64 {
        let n = if mean <= 1.0 {
            1.0
        } else {
            let u = 1.0 - self.uniform(); // (0, 1]
            1.0 + (u.ln() / (1.0 - 1.0 / mean).ln()).floor()
        };
        n.min(MAX_UNITS) as i64 * self.p.unit_lots
    }

    fn step(&mut self, out: &mut EventBatch) {
        let rates = self.rates();
        let mut u = self.uniform() * rates.iter().sum::<f64>();
        let mut which = rates.len() - 1;
        for (i, r) in rates.iter().enumerate() {
            if u < *r {
                which = i;
                break;
            }
            u -= r;
        }
        match which {
            0 => self.limit(Side::Buy, out),
            1 => self.limit(Side::Sell, out),
            2 => self.cancel(Side::Buy, out),
            3 => self.cancel(Side::Sell, out),
            4 => self.market(Side::Buy, out),
            _ => self.market(Side::Sell, out),
        }
    }

    fn side_mut(&mut self, side: Side) -> (&mut BTreeMap<i64, i64>, &mut i64) {
        match side {
            Side::Buy => (&mut self.bids, &mut self.bid_depth),
            Side::Sell => (&mut self.asks, &mut self.ask_depth),
        }
    }

    fn limit(&mut self, side: Side, out: &mut EventBatch) {
        let u = self.uniform();
        let i = self.placement_cdf.partition_point(|&c| c <= u) as i64 + 1;
        let price = match side {
            Side::Buy => self.best_ask().price - i,
            Side::Sell => self.best_bid().price + i,
        };
        if price < 1 {
            self.stats.limit_dropped += 1;
            return;
        }
        let size = self.draw_size(self.p.limit_size_mean);
        let (book, depth) = self.side_mut(side);
        let level = book.entry(price).or_insert(0);
        *level += size;
        let new = *level;
        *depth += size;
        self.stats.limit_orders += 1;
        self.emit_one(side, Level::new(price, new), out);
    }

    fn cancel(&mut self, side: Side, out: &mut EventBatch) {
        let depth = self.depth(side);
        let target = ((self.uniform() * depth as f64) as i64).min(depth - 1);
        let mut size = self.draw_size(self.p.limit_size_mean);
        let unit = self.p.unit_lots;
        let (book, depth) = self.side_mut(side);
        let single = book.len() == 1;
        let mut acc = 0;
        let mut chosen = None;
        for (&p, &s) in book.iter() {
            acc += s;
            if target < acc {
                chosen = Some((p, s));
                break;
            }
        }
        let Some((price, level)) = chosen else { return };
        size = size.min(level);
        if single {
            size = size.min(level - unit);
        }
        if size <= 0 {
            self.stats.cancels_skipped += 1;
            return;
        }
        let new = level - size;
        if new == 0 {
            book.remove(&price);
        } else {
            book.insert(price, new);
        }
        *depth -= size;
        self.stats.cancels += 1;
        self.emit_one(side, Level::new(price, new), out);
    }

    /// A market order from `aggressor` (a buy walks the asks).
    fn market(&mut self, aggressor: Side, out: &mut EventBatch) {
        let passive = aggressor.opposite();
        let unit = self.p.unit_lots;
        let wanted = self.draw_size(self.p.market_size_mean);
        let available = self.depth(passive) - unit;
        if available <= 0 {
            self.stats.market_skipped += 1;
            return;
        }
        if wanted > available {
            self.stats.market_capped += 1;
        }
        let mut left = wanted.min(available);
        let ts = self.clock;
        let local = ts + self.p.feed_latency_ns;
        let flags = if aggressor == Side::Sell { FLAG_BUYER_MAKER } else { 0 };
        let mut changed = std::mem::take(&mut self.scratch);
        changed.clear();
        {
            let (book, depth) = match passive {
                Side::Buy => (&mut self.bids, &mut self.bid_depth),
                Side::Sell => (&mut self.asks, &mut self.ask_depth),
            };
            while left > 0 {
                let (&price, &size) = match passive {
                    Side::Buy => book.last_key_value(),
                    Side::Sell => book.first_key_value(),
                }
                .expect("a unit is always left on the side");
                let take = left.min(size);
                left -= take;
                *depth -= take;
                if take == size {
                    book.remove(&price);
                } else {
                    book.insert(price, size - take);
                }
                changed.push(Level::new(price, size - take));
                if self.emitting {
                    self.trade_id += 1;
                    let start = out.levels.len() as u32;
                    out.levels.push(Level::new(price, take));
                    out.push(EventKind::Trade, local, ts, self.trade_id, self.trade_id, None, flags, start, 1);
                }
                self.stats.trades += 1;
            }
        }
        self.stats.market_orders += 1;
        self.update_id += 1;
        self.stats.depth_diffs += 1;
        if self.emitting {
            let start = out.levels.len() as u32;
            out.levels.extend_from_slice(&changed);
            let nb = if passive == Side::Buy { changed.len() as u32 } else { 0 };
            out.push(EventKind::DepthDiff, local, ts, self.update_id, self.update_id, None, 0, start, nb);
        }
        self.scratch = changed;
    }

    fn emit_one(&mut self, side: Side, level: Level, out: &mut EventBatch) {
        self.update_id += 1;
        self.stats.depth_diffs += 1;
        if !self.emitting {
            return;
        }
        let start = out.levels.len() as u32;
        out.levels.push(level);
        let nb = u32::from(side == Side::Buy);
        let ts = self.clock;
        out.push(
            EventKind::DepthDiff,
            ts + self.p.feed_latency_ns,
            ts,
            self.update_id,
            self.update_id,
            None,
            0,
            start,
            nb,
        );
    }
}
