//! Samples from datasets: windows of consecutive grid rows, split by time.
//!
//! * **Window.** A sample is `seq` consecutive rows of one recording whose timestamps step
//!   by exactly `step_ns` (no gap, no reset inside); its last row is the sample: the model
//!   sees the window, the targets are the last row's labels.
//! * **Split.** Per recording, the samples in time order: the first `train_frac` (floor) are
//!   training, the next `val_frac` (floor) validation, the rest test. Never shuffled across
//!   time. A validation (test) sample whose window's *first* row is not strictly later than
//!   the last training (validation) sample's row + `embargo_ns` is dropped: windows that
//!   straddle a boundary would share rows with the previous split. With `embargo_ns` ≥ the
//!   longest label horizon, no training label looks into the validation period either.
//! * **Leave one recording out** ([`SplitConfig::held_out`]): the held-out recording is the
//!   test split, whole; every other recording is split by time into training and validation
//!   in the ratio `train_frac : val_frac`, with the same embargo.
//! * **Normaliser.** Fitted on the distinct rows covered by training windows only.

use serde::{Deserialize, Serialize};

use crate::features::{Dataset, Direction, N_FEATURES, N_HORIZONS, Normalizer};

use super::TrainError;

/// How samples are split by time (per recording).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    /// Share of each recording's samples (oldest first) used for training.
    pub train_frac: f64,
    /// Share used for validation (early stopping); the rest is the held-out test set.
    pub val_frac: f64,
    /// Extra gap (ns) between the last row of one split and the first row of the next.
    pub embargo_ns: i64,
    /// Leave this recording out: it is the test split, whole (see the module docs).
    #[serde(default)]
    pub held_out: Option<usize>,
}

impl Default for SplitConfig {
    fn default() -> Self {
        // Embargo = the longest horizon (500 ms): the last training labels end before
        // validation starts.
        Self { train_frac: 0.70, val_frac: 0.15, embargo_ns: 500_000_000, held_out: None }
    }
}

/// One sample: the window of `seq` rows of `recording` ending at row `end` (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub recording: usize,
    pub end: usize,
}

impl Sample {
    /// Row indices of the sample's window of `seq` rows (oldest first).
    pub fn rows(&self, seq: usize) -> std::ops::RangeInclusive<usize> {
        self.end + 1 - seq..=self.end
    }
}

/// Samples per split, each in time order per recording (recordings in input order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Splits {
    pub train: Vec<Sample>,
    pub val: Vec<Sample>,
    pub test: Vec<Sample>,
    /// Samples dropped because their window straddled a split boundary (or the embargo).
    pub dropped_boundary: usize,
}

/// Row indices `i` such that rows `i+1−seq ..= i` are on the grid without a gap.
pub fn window_ends(ds: &Dataset, seq: usize, step_ns: i64) -> Vec<usize> {
    let mut out = Vec::new();
    let mut run = 0usize; // contiguous rows ending at i
    for i in 0..ds.len() {
        run = if i > 0 && ds.ts[i] - ds.ts[i - 1] == step_ns { run + 1 } else { 1 };
        if run >= seq {
            out.push(i);
        }
    }
    out
}

/// Checks a split config (fractions in (0, 1), summing below 1, embargo ≥ 0).
pub fn check_split(cfg: &SplitConfig) -> Result<(), TrainError> {
    let ok = cfg.train_frac > 0.0
        && cfg.val_frac > 0.0
        && cfg.train_frac + cfg.val_frac < 1.0
        && cfg.embargo_ns >= 0
        && cfg.train_frac.is_finite()
        && cfg.val_frac.is_finite();
    if ok {
        Ok(())
    } else {
        Err(TrainError::Config(format!(
            "split fractions must be positive and leave room for a test split (train {}, val {}, embargo {} ns)",
            cfg.train_frac, cfg.val_frac, cfg.embargo_ns
        )))
    }
}

/// Windows every recording and splits its samples by time (see the module docs).
pub fn split_samples(datasets: &[Dataset], seq: usize, step_ns: i64, cfg: &SplitConfig) -> Result<Splits, TrainError> {
    check_split(cfg)?;
    if seq == 0 || step_ns <= 0 {
        return Err(TrainError::Config(format!("seq ({seq}) and step_ns ({step_ns}) must be positive")));
    }
    if let Some(h) = cfg.held_out
        && h >= datasets.len()
    {
        return Err(TrainError::Config(format!("held-out recording {h} of {}", datasets.len())));
    }
    let mut out = Splits::default();
    for (r, ds) in datasets.iter().enumerate() {
        check_dataset(r, ds)?;
        let ends = window_ends(ds, seq, step_ns);
        let n = ends.len();
        // The epsilon keeps e.g. 0.7 · 600 (= 419.999… in binary) at 420.
        let (n_train, n_val) = match cfg.held_out {
            Some(h) if h == r => (0, 0),
            Some(_) => {
                let t = ((n as f64 * cfg.train_frac / (cfg.train_frac + cfg.val_frac) + 1e-9).floor() as usize).min(n);
                (t, n - t)
            }
            None => {
                let t = ((n as f64 * cfg.train_frac + 1e-9).floor() as usize).min(n);
                (t, ((n as f64 * cfg.val_frac + 1e-9).floor() as usize).min(n - t))
            }
        };
        let parts = [&ends[..n_train], &ends[n_train..n_train + n_val], &ends[n_train + n_val..]];
        // Time of the last row of the previous split: a later window must start after it.
        let mut last_ts: Option<i64> = None;
        for (k, part) in parts.iter().enumerate() {
            let dst = match k {
                0 => &mut out.train,
                1 => &mut out.val,
                _ => &mut out.test,
            };
            for &end in part.iter() {
                let first_ts = ds.ts[end + 1 - seq];
                if last_ts.is_some_and(|t| first_ts <= t.saturating_add(cfg.embargo_ns)) {
                    out.dropped_boundary += 1;
                    continue;
                }
                dst.push(Sample { recording: r, end });
            }
            // An empty split leaves the previous boundary in force.
            if let Some(&end) = part.last() {
                last_ts = Some(ds.ts[end]);
            }
        }
    }
    Ok(out)
}

/// One part of one recording's split: the times of its first and last samples (the samples'
/// last rows, exchange ns) and how many samples it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PartSpan {
    pub first_ts: i64,
    pub last_ts: i64,
    pub samples: usize,
}

/// A recording's parts as [`split_samples`] made them (`None`: the part is empty there).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecordingParts {
    pub train: Option<PartSpan>,
    pub val: Option<PartSpan>,
    pub test: Option<PartSpan>,
}

/// The span of every part of every recording of `splits` (made from `datasets`): what a
/// backtest of one part replays.
pub fn part_spans(datasets: &[Dataset], splits: &Splits) -> Vec<RecordingParts> {
    let span = |r: usize, part: &[Sample]| {
        let ts = &datasets[r].ts;
        let mut mine = part.iter().filter(|s| s.recording == r);
        let first = mine.next()?;
        let (last, n) = mine.fold((first, 1), |(_, n), s| (s, n + 1));
        Some(PartSpan { first_ts: ts[first.end], last_ts: ts[last.end], samples: n })
    };
    (0..datasets.len())
        .map(|r| RecordingParts {
            train: span(r, &splits.train),
            val: span(r, &splits.val),
            test: span(r, &splits.test),
        })
        .collect()
}

fn check_dataset(r: usize, ds: &Dataset) -> Result<(), TrainError> {
    if ds.features.len() != ds.ts.len() || ds.labels.len() != ds.ts.len() {
        return Err(TrainError::Input(format!(
            "dataset {r}: {} times, {} feature rows, {} label rows",
            ds.ts.len(),
            ds.features.len(),
            ds.labels.len()
        )));
    }
    if let Some(i) = (1..ds.len()).find(|&i| ds.ts[i] <= ds.ts[i - 1]) {
        return Err(TrainError::Input(format!("dataset {r}: times not increasing at row {i}")));
    }
    Ok(())
}

/// Fits the normaliser on the distinct rows covered by the training windows.
pub fn fit_normalizer(datasets: &[Dataset], train: &[Sample], seq: usize) -> Result<Normalizer, TrainError> {
    let mut rows = Vec::new();
    let mut covered: Vec<Vec<bool>> = datasets.iter().map(|d| vec![false; d.len()]).collect();
    for s in train {
        let feats = &datasets[s.recording].features[s.rows(seq)];
        for (seen, row) in covered[s.recording][s.rows(seq)].iter_mut().zip(feats) {
            if !*seen {
                *seen = true;
                rows.push(*row);
            }
        }
    }
    Ok(Normalizer::fit(&rows)?)
}

/// Materialised windows: raw (or normalised) features `[n, seq, 64]` row-major, labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowSet {
    pub seq: usize,
    /// `n · seq · 64` values: sample-major, then time (oldest first), then feature.
    pub x: Vec<f32>,
    pub labels: Vec<[Direction; N_HORIZONS]>,
    /// Time of each sample's last row.
    pub ts: Vec<i64>,
    /// Index of each sample's recording in the input.
    pub recording: Vec<usize>,
}

impl WindowSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The raw window of sample `i`, `seq · 64` values.
    pub fn window(&self, i: usize) -> &[f32] {
        let w = self.seq * N_FEATURES;
        &self.x[i * w..(i + 1) * w]
    }
}

/// Copies the windows of `samples` out of `rows` (per recording: raw or normalised rows).
pub fn gather(
    datasets: &[Dataset],
    rows: &[impl AsRef<[[f32; N_FEATURES]]>],
    samples: &[Sample],
    seq: usize,
) -> WindowSet {
    let mut out = WindowSet { seq, ..Default::default() };
    out.x.reserve(samples.len() * seq * N_FEATURES);
    for s in samples {
        out.x.extend_from_slice(rows[s.recording].as_ref()[s.rows(seq)].as_flattened());
        let ds = &datasets[s.recording];
        out.labels.push(ds.labels[s.end]);
        out.ts.push(ds.ts[s.end]);
        out.recording.push(s.recording);
    }
    out
}

/// Normalised copies of every recording's rows.
pub fn normalized_rows(datasets: &[Dataset], norm: &Normalizer) -> Vec<Vec<[f32; N_FEATURES]>> {
    datasets
        .iter()
        .map(|d| {
            d.features
                .iter()
                .map(|x| {
                    let mut o = [0.0; N_FEATURES];
                    norm.apply(x, &mut o);
                    o
                })
                .collect()
        })
        .collect()
}
