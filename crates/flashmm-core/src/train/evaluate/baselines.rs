//! Naive baselines as probability predictors, so log-loss and calibration are defined for
//! them too. Each has a hard rule (its decisions, for the accuracy figures) and probabilities
//! counted on the **training split** only (add-one smoothed: `(count + 1)/(total + 3)`, so a
//! class never seen in training costs a finite log-loss).
//!
//! * **Always flat**: decides flat; probabilities = the training split's class frequencies
//!   per horizon (the honest prior: what a model that ignores its input should say).
//! * **Persistence**: decides the direction of the last non-zero change of the mid before
//!   the sample (inclusive of the sample's own row), read from the grid's `m2` path of the
//!   recording; a gap or reset in the grid starts afresh. Probabilities: on the training
//!   samples that have a last move, the frequencies of "continues / flat / reverses" at each
//!   horizon, pooled over up and down (a move up and a move down are treated alike); the
//!   probability of the last move's direction is the continuation frequency. Without a last
//!   move: the prior and its argmax.
//! * **Imbalance sign**: decides the sign of the level-1 order-book imbalance
//!   ([`IMBALANCE_FEATURE`]) on the window's last row: positive → up, negative → down, zero
//!   → flat. Probabilities: the training split's class frequencies within each sign bucket.
//! * **Logistic on imbalances**: multinomial logistic regression per horizon on the seven
//!   imbalance features ([`IMBALANCE_FEATURES`]) of the window's last row, fitted exactly on
//!   the training split ([`logistic`](crate::train::logistic)); decides the argmax. The same
//!   model is the `logistic` architecture, exportable through the ONNX contract.
//!
//! The `m2` path is on the 100 ms grid, so a change that reverts within one step is not a
//! move here (the `last_mid_move` feature sees every book update; the baseline deliberately
//! uses only what the grid shows, like the labels do).

use serde::Serialize;

use crate::features::{Dataset, Direction, N_HORIZONS, feature_index};
use crate::train::feature_set::IMBALANCE_FEATURES;
use crate::train::logistic::{self, LogisticError, LogisticFit};
use crate::train::windows::Sample;

use super::metrics::{DIRS, N_CLASSES, Probs, argmax};

/// Feature whose sign the imbalance baseline follows.
pub const IMBALANCE_FEATURE: &str = "imbalance_l1";

/// The baselines of the model card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    AlwaysFlat,
    Persistence,
    ImbalanceSign,
    Logistic,
}

/// L2 penalty of the logistic baseline (standardised coordinates; ≈13 000 training rows).
pub const LOGISTIC_L2: f64 = 1.0;

impl Baseline {
    pub const ALL: [Baseline; 4] =
        [Baseline::AlwaysFlat, Baseline::Persistence, Baseline::ImbalanceSign, Baseline::Logistic];

    pub fn name(self) -> &'static str {
        match self {
            Baseline::AlwaysFlat => "always_flat",
            Baseline::Persistence => "persistence",
            Baseline::ImbalanceSign => "imbalance_sign",
            Baseline::Logistic => "logistic_imbalance",
        }
    }

    /// One line for the model card.
    pub fn rule(self) -> &'static str {
        match self {
            Baseline::AlwaysFlat => "decides flat; probabilities = training class frequencies",
            Baseline::Persistence => {
                "decides the last grid mid move's direction; probabilities = training continue/flat/reverse frequencies"
            }
            Baseline::ImbalanceSign => {
                "decides the sign of imbalance_l1 (0 → flat); probabilities = training frequencies per sign"
            }
            Baseline::Logistic => {
                "multinomial logistic regression on the 7 imbalance features (l1, l3, l5, l10, 5/10/25 bps), fitted on the training split; decides the argmax"
            }
        }
    }
}

/// What the baselines see of one sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Context {
    /// Direction of the last non-zero grid change of the mid up to the sample (`None`: no
    /// change since the recording or the last gap began).
    pub last_move: Option<Direction>,
    /// Sign of the level-1 imbalance on the sample's row, as a direction.
    pub imbalance: Direction,
    /// The sample row's imbalance features ([`IMBALANCE_FEATURES`], in order).
    pub imbalances: [f32; IMBALANCE_FEATURES.len()],
}

/// Per row of `ds`: the direction of the last non-zero change of `m2` between consecutive
/// grid rows (exactly `step_ns` apart) up to and including that row.
pub fn last_moves(ds: &Dataset, step_ns: i64) -> Vec<Option<Direction>> {
    let mut out = Vec::with_capacity(ds.len());
    let mut last = None;
    for i in 0..ds.len() {
        if i == 0 || ds.ts[i] - ds.ts[i - 1] != step_ns {
            // Across a gap (reset, invalid book) the difference is not a move.
            last = None;
        } else if ds.m2[i] != ds.m2[i - 1] {
            last = Some(Direction::of_change(ds.m2[i] - ds.m2[i - 1]));
        }
        out.push(last);
    }
    out
}

fn sign(x: f32) -> Direction {
    if x > 0.0 {
        Direction::Up
    } else if x < 0.0 {
        Direction::Down
    } else {
        Direction::Flat // zero (and NaN, which the engine never emits)
    }
}

/// Contexts of `samples` (rows of `datasets`).
///
/// # Panics
/// If a sample's row is out of range or a dataset lacks `m2` for its rows.
pub fn contexts(datasets: &[Dataset], samples: &[Sample], step_ns: i64) -> Vec<Context> {
    let imb = feature_index(IMBALANCE_FEATURE).expect("imbalance_l1 is in the feature table");
    let imbs = IMBALANCE_FEATURES.map(|f| feature_index(f).expect("imbalance features are in the table"));
    // Only the recordings the samples use; O(rows) each.
    let mut moves: Vec<Option<Vec<Option<Direction>>>> = vec![None; datasets.len()];
    samples
        .iter()
        .map(|s| {
            let ds = &datasets[s.recording];
            let m = moves[s.recording].get_or_insert_with(|| last_moves(ds, step_ns));
            let row = &ds.features[s.end];
            Context { last_move: m[s.end], imbalance: sign(row[imb]), imbalances: imbs.map(|i| row[i]) }
        })
        .collect()
}

/// The baselines' probability tables, counted on the training split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineFit {
    /// Training samples counted.
    pub n_train: usize,
    /// `[horizon][down, flat, up]`: class frequencies of the training split.
    pub prior: [[f64; N_CLASSES]; N_HORIZONS],
    /// Training samples that have a last move.
    pub n_with_last_move: usize,
    /// `[horizon][reverse, flat, continue]` relative to the last move.
    pub persistence: [[f64; N_CLASSES]; N_HORIZONS],
    pub imbalance_feature: &'static str,
    /// Training samples per imbalance sign `[negative, zero, positive]`.
    pub imbalance_counts: [usize; N_CLASSES],
    /// `[horizon][sign: negative, zero, positive][down, flat, up]`.
    pub imbalance: [[[f64; N_CLASSES]; N_CLASSES]; N_HORIZONS],
    pub logistic_features: [&'static str; IMBALANCE_FEATURES.len()],
    /// The logistic baseline, in the raw features' coordinates.
    pub logistic: LogisticFit,
}

/// Add-one smoothed frequencies.
fn freqs(c: [usize; N_CLASSES]) -> [f64; N_CLASSES] {
    let total: usize = c.iter().sum();
    c.map(|x| (x + 1) as f64 / (total + N_CLASSES) as f64)
}

impl BaselineFit {
    /// Counts the tables and fits the logistic baseline on the training samples' contexts
    /// and labels.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn fit(ctx: &[Context], labels: &[[Direction; N_HORIZONS]]) -> Result<Self, LogisticError> {
        assert_eq!(ctx.len(), labels.len(), "one context per label");
        let mut prior = [[0usize; N_CLASSES]; N_HORIZONS];
        let mut pers = [[0usize; N_CLASSES]; N_HORIZONS];
        let mut imb = [[[0usize; N_CLASSES]; N_CLASSES]; N_HORIZONS];
        let mut imbalance_counts = [0usize; N_CLASSES];
        let mut n_with_last_move = 0;
        for (c, y) in ctx.iter().zip(labels) {
            imbalance_counts[c.imbalance.index()] += 1;
            n_with_last_move += usize::from(c.last_move.is_some());
            for k in 0..N_HORIZONS {
                let yk = y[k].index();
                prior[k][yk] += 1;
                imb[k][c.imbalance.index()][yk] += 1;
                // Relative to the move: after an up move the classes are already
                // reverse/flat/continue; after a down move they mirror.
                match c.last_move {
                    Some(Direction::Up) => pers[k][yk] += 1,
                    Some(Direction::Down) => pers[k][2 - yk] += 1,
                    _ => {}
                }
            }
        }
        let rows: Vec<Vec<f64>> = ctx.iter().map(|c| c.imbalances.iter().map(|&v| f64::from(v)).collect()).collect();
        Ok(Self {
            n_train: labels.len(),
            prior: prior.map(freqs),
            n_with_last_move,
            persistence: pers.map(freqs),
            imbalance_feature: IMBALANCE_FEATURE,
            imbalance_counts,
            imbalance: imb.map(|h| h.map(freqs)),
            logistic_features: IMBALANCE_FEATURES,
            logistic: logistic::fit(&rows, labels, LOGISTIC_L2)?,
        })
    }

    /// Probabilities and decisions of `baseline` for one sample.
    pub fn predict(&self, baseline: Baseline, c: &Context) -> (Probs, [Direction; N_HORIZONS]) {
        let f32s = |p: [f64; N_CLASSES]| p.map(|x| x as f32);
        let prior = || {
            let p: Probs = std::array::from_fn(|k| f32s(self.prior[k]));
            (p, p.map(|row| DIRS[argmax(&row)]))
        };
        match baseline {
            Baseline::AlwaysFlat => (prior().0, [Direction::Flat; N_HORIZONS]),
            Baseline::Persistence => match c.last_move {
                Some(Direction::Up) => {
                    (std::array::from_fn(|k| f32s(self.persistence[k])), [Direction::Up; N_HORIZONS])
                }
                Some(Direction::Down) => (
                    std::array::from_fn(|k| {
                        let [rev, flat, cont] = self.persistence[k];
                        f32s([cont, flat, rev])
                    }),
                    [Direction::Down; N_HORIZONS],
                ),
                _ => prior(),
            },
            Baseline::ImbalanceSign => {
                (std::array::from_fn(|k| f32s(self.imbalance[k][c.imbalance.index()])), [c.imbalance; N_HORIZONS])
            }
            Baseline::Logistic => {
                let x: Vec<f64> = c.imbalances.iter().map(|&v| f64::from(v)).collect();
                let p: Probs = self.logistic.probs(&x).map(f32s);
                (p, p.map(|row| DIRS[argmax(&row)]))
            }
        }
    }

    /// Probabilities and decisions of `baseline` for every context.
    pub fn predict_all(&self, baseline: Baseline, ctx: &[Context]) -> (Vec<Probs>, Vec<[Direction; N_HORIZONS]>) {
        ctx.iter().map(|c| self.predict(baseline, c)).unzip()
    }
}
