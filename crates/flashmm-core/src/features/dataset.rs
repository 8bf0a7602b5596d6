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

use crate::book::SequenceRule;
use crate::replay::binance::{FileReader, ReadError, sequence_rule};
use crate::replay::{BookReplay, Event, EventBatch};

use super::engine::FeatureEngine;
use super::labels::{Direction, HORIZONS_NS, MidPath, N_HORIZONS, NoLabel, label_mid_direction};
use super::stream::{FeatureStream, Fed, StreamSink};
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

/// Streams events in, produces a [`Dataset`]. The per-event work (book, engine, clock,
/// grid, warm-up) is [`FeatureStream`]'s, shared with serving; this adds the labels.
#[derive(Debug)]
pub struct DatasetBuilder {
    cfg: DatasetConfig,
    stream: FeatureStream,
    rows: Rows,
}

/// The builder's [`StreamSink`]: the mid path for labels and the rows taken.
#[derive(Debug)]
struct Rows {
    path: MidPath,
    samples: Vec<(i64, i64, [f32; N_FEATURES])>,
    stats: DatasetStats,
}

impl StreamSink for Rows {
    fn sample(&mut self, t: i64, m2: i64, features: &[f32; N_FEATURES]) {
        self.samples.push((t, m2, *features));
        self.stats.sampled += 1;
    }

    fn book(&mut self, ts: i64, m2: Option<i64>) {
        match m2 {
            Some(m2) => self.path.push_mid(ts, m2),
            None => self.path.push_invalid(ts),
        }
    }

    fn reset(&mut self, ts: i64) {
        self.stats.resets += 1;
        self.path.push_invalid(ts);
    }
}

impl DatasetBuilder {
    pub fn new(rule: SequenceRule, cfg: DatasetConfig) -> Self {
        Self {
            cfg,
            stream: FeatureStream::new(rule, cfg.sampling, cfg.warmup_ns),
            rows: Rows { path: MidPath::new(), samples: Vec::new(), stats: DatasetStats::default() },
        }
    }

    /// The engine as of the last event (for inspection).
    pub fn engine(&self) -> &FeatureEngine {
        self.stream.engine()
    }

    pub fn replay(&self) -> &BookReplay {
        self.stream.replay()
    }

    pub fn push(&mut self, e: &Event<'_>) {
        self.rows.stats.events += 1;
        match self.stream.push(e, &mut self.rows) {
            Fed::Trade => self.rows.stats.trades += 1,
            Fed::Book { .. } | Fed::Held => self.rows.stats.book_updates += 1,
            Fed::Ticker | Fed::Reset | Fed::Ignored => {}
        }
    }

    /// Labels the samples and returns the rows that have every label.
    pub fn finish(self) -> Dataset {
        let Rows { path, samples, mut stats } = self.rows;
        stats.ring_growths = self.stream.engine().ring_growths();
        let mut out = Dataset { horizons_ns: self.cfg.horizons_ns, ..Default::default() };
        'samples: for (t, m2, row) in samples {
            let labels = label_mid_direction(&path, t, m2, &self.cfg.horizons_ns);
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
