//! Events → book → engine → sampled rows: the per-event code shared by the dataset builder
//! (training) and the live [`Signal`](crate::model::Signal) (serving), so both take their rows
//! by one rule and there is no train/serve skew in *when* a row is taken, not only in how
//! it is computed. The rules (clock, grid, warm-up, reset) are documented in [`dataset`].
//!
//! [`dataset`]: super::dataset

use crate::book::{ApplyOutcome, L2Book, SequenceRule};
use crate::replay::{BookReplay, Event, EventKind};

use super::dataset::Sampling;
use super::engine::FeatureEngine;
use super::table::N_FEATURES;

/// The grid's first time: the first multiple of `step` (since the epoch) at or after `ts`.
pub(crate) fn first_grid_at(ts: i64, step: i64) -> i64 {
    ts.div_euclid(step) * step + if ts.rem_euclid(step) == 0 { 0 } else { step }
}

/// What the stream reports besides the events themselves.
pub trait StreamSink {
    /// A row at time `t`: `m2` = best bid + best ask (ticks) the features saw.
    fn sample(&mut self, t: i64, m2: i64, features: &[f32; N_FEATURES]);
    /// The book at `ts` after an update: `Some(bid + ask)` when two-sided, else `None`.
    fn book(&mut self, _ts: i64, _m2: Option<i64>) {}
    /// The book was rejected at `ts` (gap, crossed): the engine was reset.
    fn reset(&mut self, _ts: i64) {}
}

/// How one event was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fed {
    /// A book ticker: applied to the book's ticker state; the clock ignores it.
    Ticker,
    Trade,
    /// A snapshot or diff applied; `full`: fed to the engine as a whole book (snapshot or
    /// the first update after a resync).
    Book {
        full: bool,
    },
    /// A whole book that arrived before any timed event: fed at the next timed event.
    Held,
    /// The book rejected the event (gap, crossed): engine reset, warm-up restarts.
    Reset,
    /// Buffered, stale or otherwise not applied.
    Ignored,
}

/// Book replay, feature engine, exchange clock and grid sampling, fed one event at a time.
#[derive(Clone, Debug)]
pub struct FeatureStream {
    sampling: Sampling,
    warmup_ns: i64,
    replay: BookReplay,
    engine: FeatureEngine,
    /// Exchange clock (running max); 0 before the first timed event.
    clock: i64,
    /// A valid book not yet fed to the engine (it arrived before any timed event).
    pending_book: bool,
    /// Samples allowed from this time (book valid since `warm_from − warmup`).
    warm_from: Option<i64>,
    next_grid: Option<i64>,
}

impl FeatureStream {
    /// Panics on a non-positive sampling interval (a programming error, not input).
    pub fn new(rule: SequenceRule, sampling: Sampling, warmup_ns: i64) -> Self {
        Self::with_book(L2Book::new(rule), sampling, warmup_ns)
    }

    /// As [`new`](Self::new), on a book built by the caller (its own resync-buffer bound).
    pub fn with_book(book: L2Book, sampling: Sampling, warmup_ns: i64) -> Self {
        assert!(!matches!(sampling, Sampling::Interval(n) if n <= 0), "sampling interval must be positive");
        Self {
            sampling,
            warmup_ns,
            replay: BookReplay::with_book(book),
            engine: FeatureEngine::new(),
            clock: 0,
            pending_book: false,
            warm_from: None,
            next_grid: None,
        }
    }

    pub fn engine(&self) -> &FeatureEngine {
        &self.engine
    }

    pub fn replay(&self) -> &BookReplay {
        &self.replay
    }

    /// The book, for its own-order side only: the features read the public levels.
    pub(crate) fn book_mut(&mut self) -> &mut L2Book {
        &mut self.replay.book
    }

    /// Exchange clock, ns (0 before the first timed event).
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// The book is valid, two-sided, fed to the engine and past its warm-up at `t`: a
    /// row taken at `t` would be a dataset row.
    pub fn can_sample(&self, t: i64) -> bool {
        self.sample_m2(t).is_some()
    }

    /// Best bid + best ask (ticks) when a row may be taken at `t` (see [`can_sample`](Self::can_sample)).
    fn sample_m2(&self, t: i64) -> Option<i64> {
        let warm = !self.pending_book && self.replay.book.is_valid() && self.warm_from.is_some_and(|w| t >= w);
        if warm { self.touch_m2() } else { None }
    }

    /// Best bid + best ask (ticks) when the book is two-sided.
    fn touch_m2(&self) -> Option<i64> {
        let book = &self.replay.book;
        Some(book.best_bid()?.price + book.best_ask()?.price)
    }

    /// Feeds one event: first the grid rows before it (to `sink`), then the event.
    pub fn push(&mut self, e: &Event<'_>, sink: &mut impl StreamSink) -> Fed {
        if e.kind == EventKind::BookTicker {
            self.replay.apply(e);
            return Fed::Ticker;
        }
        let ts = self.clock.max(e.exchange_ts);
        if ts > 0 {
            if let Sampling::Interval(step) = self.sampling {
                self.sample_grid_before(ts, step, sink);
            }
            self.clock = ts;
            if self.pending_book {
                self.pending_book = false;
                self.book_valid_at(ts, true, sink);
            }
        }
        let was_valid = self.replay.book.is_valid();
        let outcome = self.replay.apply(e);
        match e.kind {
            EventKind::Trade => {
                if let (Some(l), Some(aggressor)) = (e.bids.first(), e.aggressor()) {
                    self.engine.on_trade(l.price, l.size, aggressor, ts);
                }
                Fed::Trade
            }
            EventKind::Snapshot | EventKind::DepthDiff => match outcome {
                Some(ApplyOutcome::Applied) => {
                    let full = e.kind == EventKind::Snapshot || !was_valid;
                    if full && ts == 0 {
                        self.pending_book = true;
                        return Fed::Held;
                    }
                    if !full {
                        self.engine.on_diff(&self.replay.book, e.bids, e.asks, ts);
                    }
                    self.book_valid_at(ts, full, sink);
                    if self.sampling == Sampling::EveryBookUpdate {
                        self.sample(ts, sink);
                    }
                    Fed::Book { full }
                }
                Some(ApplyOutcome::Rejected(_)) => {
                    self.engine.reset();
                    self.warm_from = None;
                    self.pending_book = false;
                    sink.reset(ts);
                    Fed::Reset
                }
                _ => Fed::Ignored,
            },
            EventKind::BookTicker => unreachable!("handled above"),
        }
    }

    /// Records a valid book at `ts`; `full`: feed it whole (snapshot / resync).
    fn book_valid_at(&mut self, ts: i64, full: bool, sink: &mut impl StreamSink) {
        if full {
            self.engine.on_book(&self.replay.book, ts);
            if self.warm_from.is_none() {
                self.warm_from = Some(ts.saturating_add(self.warmup_ns));
            }
        }
        sink.book(ts, self.touch_m2());
    }

    /// Takes a row at `t` if one [may be taken](Self::can_sample); returns whether it did.
    fn sample(&mut self, t: i64, sink: &mut impl StreamSink) -> bool {
        let Some(m2) = self.sample_m2(t) else { return false };
        self.engine.advance_to(t);
        sink.sample(t, m2, self.engine.features());
        true
    }

    /// Samples every grid time before `ts` (the time of the event about to be applied).
    fn sample_grid_before(&mut self, ts: i64, step: i64, sink: &mut impl StreamSink) {
        let mut g = self.next_grid.unwrap_or_else(|| first_grid_at(ts, step));
        while g < ts {
            if self.sample(g, sink) {
                g += step;
            } else {
                // Skip ahead: to the warm-up's end, or past this event. The engine is not
                // advanced through skipped grid times (its EWMA rounding depends on the
                // steps taken, and serving must take the same ones).
                let resume = match self.warm_from {
                    Some(w) if w > g && self.replay.book.is_valid() => w.min(ts),
                    _ => ts,
                };
                let n = (resume - g + step - 1) / step;
                g += n.max(1) * step;
            }
        }
        self.next_grid = Some(g);
    }
}
