//! Per-horizon classification metrics of probability predictions: pure functions over
//! probabilities, hard decisions and labels, small enough to check by hand.

use serde::Serialize;

use crate::features::{Direction, HORIZONS_NS, N_HORIZONS};
use crate::model::softmax;

/// Classes per horizon (down, flat, up): the model contract's.
pub use crate::model::N_CLASSES;
/// Equal-width confidence bins of the reliability diagram and the ECE.
pub const N_BINS: usize = 10;
/// Probabilities are clamped to `[PROB_FLOOR, 1]` in the log-loss, so one confident miss
/// costs at most `−ln 1e-7 ≈ 16.1` instead of infinity.
pub const PROB_FLOOR: f64 = 1e-7;

/// The classes by index.
pub(super) const DIRS: [Direction; N_CLASSES] = [Direction::Down, Direction::Flat, Direction::Up];

/// Probabilities `[down, flat, up]` of one sample at each horizon.
pub type Probs = [[f32; N_CLASSES]; N_HORIZONS];

/// One bin of a reliability diagram: samples whose top-class probability is in `[lo, hi)`
/// (the last bin includes 1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: usize,
    /// Mean top-class probability in the bin (`None` when empty).
    pub mean_conf: Option<f64>,
    /// Share of the bin whose top class is the true class (`None` when empty).
    pub accuracy: Option<f64>,
}

/// Metrics of one horizon. Accuracy figures use the *decisions* (the argmax of the
/// probabilities for a model, a baseline's own rule otherwise); log-loss, Brier, ECE and the
/// reliability bins use the *probabilities* (calibration is a property of the probabilities,
/// so it is judged on their top class). Ratios whose denominator is empty are `None`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HorizonMetrics {
    pub horizon_ms: i64,
    pub n: usize,
    /// Samples whose true label is up or down.
    pub n_nonflat: usize,
    /// Share of all samples decided right.
    pub accuracy: f64,
    /// Of the samples whose true label is up/down, the share decided as that direction.
    pub accuracy_nonflat: Option<f64>,
    /// Of the samples decided up/down, the share whose true label is that direction.
    pub directional_precision: Option<f64>,
    /// Of the samples whose true label is up/down, the share where the probabilities favour
    /// that direction over the other (`p_up` vs `p_down`; a tie counts one half): "given
    /// that it moves, which way?", comparable between predictors that rarely decide a move.
    pub direction_accuracy: Option<f64>,
    /// Mean `−ln p_true`, `p` clamped to `[PROB_FLOOR, 1]`.
    pub log_loss: f64,
    /// Mean over samples of `Σ_c (p_c − y_c)²` (0 perfect, 2 worst).
    pub brier: f64,
    /// Expected calibration error: `Σ_bins (count/n) · |accuracy − mean_conf|` of the
    /// top-class probability over [`N_BINS`] equal-width bins of `[0, 1]`.
    pub ece: f64,
    pub reliability: Vec<Bin>,
    /// Samples per true class `[down, flat, up]`.
    pub class_counts_true: [usize; N_CLASSES],
    /// Samples per decided class `[down, flat, up]`.
    pub class_counts_pred: [usize; N_CLASSES],
}

/// Index of the largest probability; ties go to the lower class index (down < flat < up).
pub fn argmax(p: &[f32; N_CLASSES]) -> usize {
    let mut best = 0;
    for c in 1..N_CLASSES {
        if p[c] > p[best] {
            best = c;
        }
    }
    best
}

/// Numerically stable softmax of `[n, horizon, class]` logits (`n · 9` values).
///
/// # Panics
/// If the length is not a multiple of 9.
pub fn probs_from_logits(logits: &[f32]) -> Vec<Probs> {
    assert!(logits.len().is_multiple_of(N_HORIZONS * N_CLASSES), "logits are not [n, 3, 3]");
    logits
        .chunks_exact(N_HORIZONS * N_CLASSES)
        .map(|s| std::array::from_fn(|k| softmax(&s[k * N_CLASSES..(k + 1) * N_CLASSES]).map(|v| v as f32)))
        .collect()
}

/// Argmax decisions of `probs`.
pub fn argmax_decisions(probs: &[Probs]) -> Vec<[Direction; N_HORIZONS]> {
    probs.iter().map(|p| std::array::from_fn(|k| DIRS[argmax(&p[k])])).collect()
}

/// Metrics per horizon of `probs` with their argmax as decisions.
///
/// # Panics
/// If `probs` and `labels` differ in length.
pub fn evaluate_probs(probs: &[Probs], labels: &[[Direction; N_HORIZONS]]) -> Vec<HorizonMetrics> {
    evaluate_decisions(probs, &argmax_decisions(probs), labels)
}

/// Metrics per horizon of `probs` with separate hard `decisions` (see [`HorizonMetrics`]).
///
/// # Panics
/// If the three slices differ in length.
pub fn evaluate_decisions(
    probs: &[Probs],
    decisions: &[[Direction; N_HORIZONS]],
    labels: &[[Direction; N_HORIZONS]],
) -> Vec<HorizonMetrics> {
    assert_eq!(probs.len(), labels.len(), "one probability row per label");
    assert_eq!(decisions.len(), labels.len(), "one decision per label");
    (0..N_HORIZONS)
        .map(|k| {
            let it = probs.iter().zip(decisions).zip(labels).map(|((p, d), y)| (&p[k], d[k].index(), y[k].index()));
            horizon(HORIZONS_NS[k] / 1_000_000, it)
        })
        .collect()
}

fn ratio(num: f64, den: usize) -> Option<f64> {
    (den > 0).then(|| num / den as f64)
}

/// Metrics of one horizon from `(probabilities, decided class, true class)` triples.
fn horizon<'a>(horizon_ms: i64, samples: impl Iterator<Item = (&'a [f32; N_CLASSES], usize, usize)>) -> HorizonMetrics {
    const FLAT: usize = Direction::Flat as usize;
    let (mut n, mut n_nonflat, mut right, mut right_nonflat, mut n_dir, mut right_dir) = (0, 0, 0, 0, 0, 0);
    let (mut dir_score, mut log_loss, mut brier) = (0f64, 0f64, 0f64);
    let mut counts_true = [0usize; N_CLASSES];
    let mut counts_pred = [0usize; N_CLASSES];
    // Per bin: count, Σ confidence, top class right.
    let mut bins = [(0usize, 0f64, 0usize); N_BINS];
    for (p, d, y) in samples {
        n += 1;
        counts_true[y] += 1;
        counts_pred[d] += 1;
        right += usize::from(d == y);
        if y != FLAT {
            n_nonflat += 1;
            right_nonflat += usize::from(d == y);
            let (toward, away) = (f64::from(p[y]), f64::from(p[2 - y]));
            dir_score += if toward > away {
                1.0
            } else if toward == away {
                0.5
            } else {
                0.0
            };
        }
        if d != FLAT {
            n_dir += 1;
            right_dir += usize::from(d == y);
        }
        log_loss -= f64::from(p[y]).clamp(PROB_FLOOR, 1.0).ln();
        brier += (0..N_CLASSES).map(|c| (f64::from(p[c]) - f64::from(u8::from(c == y))).powi(2)).sum::<f64>();
        let top = argmax(p);
        let conf = f64::from(p[top]);
        // Bin by the f64 value of the f32 probability; 1.0 goes into the last bin.
        let b = ((conf * N_BINS as f64).floor().max(0.0) as usize).min(N_BINS - 1);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += usize::from(top == y);
    }
    let mut ece = 0.0;
    let reliability = bins
        .iter()
        .enumerate()
        .map(|(i, &(count, conf_sum, hits))| {
            let (mean_conf, accuracy) = (ratio(conf_sum, count), ratio(hits as f64, count));
            if let (Some(c), Some(a)) = (mean_conf, accuracy) {
                ece += count as f64 / n as f64 * (a - c).abs();
            }
            Bin { lo: i as f64 / N_BINS as f64, hi: (i + 1) as f64 / N_BINS as f64, count, mean_conf, accuracy }
        })
        .collect();
    let mean = |x: f64| if n == 0 { f64::NAN } else { x / n as f64 };
    HorizonMetrics {
        horizon_ms,
        n,
        n_nonflat,
        accuracy: mean(right as f64),
        accuracy_nonflat: ratio(right_nonflat as f64, n_nonflat),
        directional_precision: ratio(right_dir as f64, n_dir),
        direction_accuracy: ratio(dir_score, n_nonflat),
        log_loss: mean(log_loss),
        brier: mean(brier),
        ece: if n == 0 { f64::NAN } else { ece },
        reliability,
        class_counts_true: counts_true,
        class_counts_pred: counts_pred,
    }
}
