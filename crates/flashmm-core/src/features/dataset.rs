//! Training sets from recordings: replay through [`BookReplay`] and [`FeatureEngine`] — the
//! same code that serves — sample feature rows, label them from the mid path.
//!
//! * **Clock.** Exchange time: depth diffs' `E`, trades' `T`, as a running max (a message
//!   stamped earlier than one already seen counts at the clock, exactly as the engine
//!   treats it). Book tickers are not used. A snapshot without a time (Binance spot) counts
//!   at the clock; if nothing timed came before it, it is fed at the next timed event.
//! * **Sampling.** Default: a fixed grid, every 100 ms of exchange time (multiples of the
//!   interval since the epoch). The sample at grid time `g` is taken when the first event
//!   after `g` arrives, after every event stamped `≤ g`, with the engine advanced to `g`.
//!   A grid samples calm and busy periods by time, as the live quote loop does (it asks on
//!   a clock), and the number of samples does not depend on a venue's depth-stream rate
//!   (Binance spot sends diffs every 100 ms, coin-M up to every few ms). Alternatively
//!   [`Sampling::EveryBookUpdate`]: a sample after each applied snapshot or diff.
//! * **Warm-up.** No samples until `warmup_ns` (default 30 s, the longest window) after the
//!   book became valid, so every window is full.
//! * **Dropped samples.** A sample is kept only if all horizons have a label: one whose
//!   longest horizon runs past the last book state, or across a period where the book was
//!   invalid, is dropped (counted in [`DatasetStats`]). A gap or crossed book resets the
//!   engine; sampling resumes a warm-up after the resync.

use std::path::Path;

use crate::book::{ApplyOutcome, SequenceRule};
use crate::replay::binance::{FileReader, ReadError, sequence_rule};
use crate::replay::{BookReplay, Event, EventBatch, EventKind};

use super::engine::FeatureEngine;
use super::labels::{Direction, HORIZONS_NS, MidPath, N_HORIZONS, NoLabel, label_mid_direction};
use super::table::N_FEATURES;

/// When to take a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Every `n` ns of exchange time.
    Interval(i64),
    /// After every applied snapshot or depth diff.
    EveryBookUpdate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetConfig {
    pub sampling: Sampling,
    pub warmup_ns: i64,
    pub horizons_ns: [i64; N_HORIZONS],
}

impl Default for DatasetConfig {
    fn default() -> Self {
        Self { sampling: Sampling::Interval(100_000_000), warmup_ns: 30_000_000_000, horizons_ns: HORIZONS_NS }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DatasetStats {
    pub events: u64,
    pub book_updates: u64,
    pub trades: u64,
    /// Samples taken (before labelling).
    pub sampled: u64,
    pub dropped_past_end: u64,
    pub dropped_invalid: u64,
    /// Times the book turned invalid (each resets the engine).
    pub resets: u64,
    pub ring_growths: u32,
}

/// Rows in time order: features, labels per horizon, sample times.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    /// Sample times, exchange ns.
    pub ts: Vec<i64>,
    pub features: Vec<[f32; N_FEATURES]>,
    /// Per sample: label at each horizon of the config (`Direction as usize` = class).
    pub labels: Vec<[Direction; N_HORIZONS]>,
    /// Per sample: best bid + best ask (ticks) the features saw.
    pub m2: Vec<i64>,
    pub horizons_ns: [i64; N_HORIZONS],
    pub stats: DatasetStats,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Count of each class per horizon: `[horizon][Down, Flat, Up]`.
    pub fn class_counts(&self) -> [[usize; 3]; N_HORIZONS] {
        let mut c = [[0; 3]; N_HORIZONS];
        for l in &self.labels {
            for k in 0..N_HORIZONS {
                c[k][l[k].index()] += 1;
            }
        }
        c
    }
}

/// Streams events in, produces a [`Dataset`].
#[derive(Debug)]
pub struct DatasetBuilder {
    cfg: DatasetConfig,
    replay: BookReplay,
    engine: FeatureEngine,
    path: MidPath,
    /// Exchange clock (running max); 0 before the first timed event.
    clock: i64,
    /// A valid book not yet fed to the engine (it arrived before any timed event).
    pending_book: bool,
    /// Samples allowed from this time (book valid since `warm_from − warmup`).
    warm_from: Option<i64>,
    next_grid: Option<i64>,
    samples: Vec<(i64, i64, [f32; N_FEATURES])>,
    stats: DatasetStats,
}

impl DatasetBuilder {
    pub fn new(rule: SequenceRule, cfg: DatasetConfig) -> Self {
        assert!(!matches!(cfg.sampling, Sampling::Interval(n) if n <= 0), "sampling interval must be positive");
        Self {
            cfg,
            replay: BookReplay::new(rule),
            engine: FeatureEngine::new(),
            path: MidPath::new(),
            clock: 0,
            pending_book: false,
            warm_from: None,
            next_grid: None,
            samples: Vec::new(),
            stats: DatasetStats::default(),
        }
    }

    /// The engine as of the last event (for inspection).
    pub fn engine(&self) -> &FeatureEngine {
        &self.engine
    }

    pub fn replay(&self) -> &BookReplay {
        &self.replay
    }

    pub fn push(&mut self, e: &Event<'_>) {
        self.stats.events += 1;
        if e.kind == EventKind::BookTicker {
            self.replay.apply(e);
            return;
        }
        let ts = self.clock.max(e.exchange_ts);
        if ts > 0 {
            if let Sampling::Interval(_) = self.cfg.sampling {
                self.sample_grid_before(ts);
            }
            self.clock = ts;
            if self.pending_book {
                self.pending_book = false;
                self.book_valid_at(ts, true);
            }
        }
        let was_valid = self.replay.book.is_valid();
        let outcome = self.replay.apply(e);
        match e.kind {
            EventKind::Trade => {
                self.stats.trades += 1;
                if let (Some(l), Some(aggressor)) = (e.bids.first(), e.aggressor()) {
                    self.engine.on_trade(l.price, l.size, aggressor, ts);
                }
            }
            EventKind::Snapshot | EventKind::DepthDiff => match outcome {
                Some(ApplyOutcome::Applied) => {
                    self.stats.book_updates += 1;
                    let full = e.kind == EventKind::Snapshot || !was_valid;
                    if full && ts == 0 {
                        self.pending_book = true;
                        return;
                    }
                    if full {
                        self.book_valid_at(ts, true);
                    } else {
                        self.engine.on_diff(&self.replay.book, e.bids, e.asks, ts);
                        self.book_valid_at(ts, false);
                    }
                    if self.cfg.sampling == Sampling::EveryBookUpdate {
                        self.sample(ts);
                    }
                }
                Some(ApplyOutcome::Rejected(_)) => {
                    self.stats.resets += 1;
                    self.engine.reset();
                    self.path.push_invalid(ts);
                    self.warm_from = None;
                    self.pending_book = false;
                }
                _ => {}
            },
            EventKind::BookTicker => unreachable!(),
        }
    }

    /// Records a valid book at `ts`; `full`: feed it whole (snapshot / resync).
    fn book_valid_at(&mut self, ts: i64, full: bool) {
        let book = &self.replay.book;
        if full {
            self.engine.on_book(book, ts);
            if self.warm_from.is_none() {
                self.warm_from = Some(ts.saturating_add(self.cfg.warmup_ns));
            }
        }
        match (book.best_bid(), book.best_ask()) {
            (Some(b), Some(a)) => self.path.push_mid(ts, b.price + a.price),
            _ => self.path.push_invalid(ts),
        }
    }

    fn can_sample(&self, t: i64) -> bool {
        !self.pending_book
            && self.replay.book.is_valid()
            && self.warm_from.is_some_and(|w| t >= w)
            && self.replay.book.best_bid().is_some()
            && self.replay.book.best_ask().is_some()
    }

    fn sample(&mut self, t: i64) {
        if !self.can_sample(t) {
            return;
        }
        let (Some(b), Some(a)) = (self.replay.book.best_bid(), self.replay.book.best_ask()) else { return };
        self.engine.advance_to(t);
        self.samples.push((t, b.price + a.price, *self.engine.features()));
        self.stats.sampled += 1;
    }

    /// Samples every grid time before `ts` (the time of the event about to be applied).
    fn sample_grid_before(&mut self, ts: i64) {
        let Sampling::Interval(step) = self.cfg.sampling else { return };
        let mut g = match self.next_grid {
            Some(g) => g,
            None => ts.div_euclid(step) * step + if ts.rem_euclid(step) == 0 { 0 } else { step },
        };
        while g < ts {
            if self.can_sample(g) {
                self.sample(g);
                g += step;
            } else {
                // Skip ahead: to the warm-up's end, or past this event.
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

    /// Labels the samples and returns the rows that have every label.
    pub fn finish(self) -> Dataset {
        let mut stats = self.stats;
        stats.ring_growths = self.engine.ring_growths();
        let mut out = Dataset { horizons_ns: self.cfg.horizons_ns, ..Default::default() };
        'samples: for (t, m2, row) in self.samples {
            let labels = label_mid_direction(&self.path, t, m2, &self.cfg.horizons_ns);
            let mut got = [Direction::Flat; N_HORIZONS];
            for k in 0..N_HORIZONS {
                match labels[k] {
                    Ok(d) => got[k] = d,
                    Err(NoLabel::PastEnd) => {
                        stats.dropped_past_end += 1;
                        continue 'samples;
                    }
                    Err(NoLabel::Invalid | NoLabel::NoMid) => {
                        stats.dropped_invalid += 1;
                        continue 'samples;
                    }
                }
            }
            out.ts.push(t);
            out.m2.push(m2);
            out.features.push(row);
            out.labels.push(got);
        }
        out.stats = stats;
        out
    }
}

/// Builds a dataset from a Binance recording (market and spec from the file name and its
/// first message, as [`FileReader::open`]).
pub fn dataset_from_binance_file(path: &Path, cfg: DatasetConfig) -> Result<Dataset, ReadError> {
    let mut reader = FileReader::open(path, None, None)?;
    let mut builder = DatasetBuilder::new(sequence_rule(reader.market()), cfg);
    let mut batch = EventBatch::default();
    while reader.next_batch(&mut batch, 1 << 14)? > 0 {
        for e in batch.iter() {
            builder.push(&e);
        }
    }
    Ok(builder.finish())
}
