//! Class probabilities and confidences from a model's logits.

use super::N_CLASSES;

/// Most horizons a model may output: predictions are fixed-size (`Copy`, no allocation).
pub const MAX_HORIZONS: usize = 8;

/// ln 3: the entropy of the uniform distribution over down / flat / up.
const LN_3: f64 = 1.098_612_288_668_109_8;

/// Softmax of one horizon's `N_CLASSES` logits, in f64 after subtracting the max: no
/// overflow, the probabilities sum to 1, and their f32 roundings are correctly rounded for
/// the hand-computed expectations in the tests. Shared with the evaluation's metrics.
pub(crate) fn softmax(row: &[f32]) -> [f64; N_CLASSES] {
    let m = row.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(f64::from(x)));
    let e: [f64; N_CLASSES] = std::array::from_fn(|c| (f64::from(row[c]) - m).exp());
    let s: f64 = e.iter().sum();
    e.map(|v| v / s)
}

/// One prediction: per horizon, the probabilities of down / flat / up (softmax of the
/// logits) and a confidence in `[0, 1]`: `1 − H(p)/ln 3` (0 = uniform, 1 = certain).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    horizons: usize,
    probs: [[f32; N_CLASSES]; MAX_HORIZONS],
    confidence: [f32; MAX_HORIZONS],
}

impl Prediction {
    /// From `horizons × 3` logits, row-major (`[h][class]`). Returns `Err(h)` with the first
    /// horizon holding a non-finite logit. Panics if the length is not a multiple of 3 or
    /// exceeds [`MAX_HORIZONS`] rows (the loader guarantees both).
    pub fn from_logits(logits: &[f32]) -> Result<Self, usize> {
        assert!(
            logits.len().is_multiple_of(N_CLASSES) && logits.len() <= N_CLASSES * MAX_HORIZONS,
            "bad logits length"
        );
        let mut p = Prediction {
            horizons: logits.len() / N_CLASSES,
            probs: [[0.0; N_CLASSES]; MAX_HORIZONS],
            confidence: [0.0; MAX_HORIZONS],
        };
        for (h, row) in logits.chunks_exact(N_CLASSES).enumerate() {
            if row.iter().any(|x| !x.is_finite()) {
                return Err(h);
            }
            let mut entropy = 0.0;
            for (c, q) in softmax(row).into_iter().enumerate() {
                p.probs[h][c] = q as f32;
                if q > 0.0 {
                    entropy -= q * q.ln();
                }
            }
            p.confidence[h] = (1.0 - entropy / LN_3).clamp(0.0, 1.0) as f32;
        }
        Ok(p)
    }

    /// Number of horizons (the model's output rows).
    pub fn horizons(&self) -> usize {
        self.horizons
    }

    /// `[down, flat, up]` probabilities per horizon.
    pub fn probs(&self) -> &[[f32; N_CLASSES]] {
        &self.probs[..self.horizons]
    }

    /// Confidence per horizon: `1 − entropy/ln 3`.
    pub fn confidence(&self) -> &[f32] {
        &self.confidence[..self.horizons]
    }

    /// Overall confidence: the first (shortest) horizon's, the one the quote loop acts on.
    pub fn overall_confidence(&self) -> f32 {
        self.confidence[0]
    }

    /// `p_up − p_down` at horizon `h`, in `[-1, 1]`: a signed expected direction.
    pub fn expected_move(&self, h: usize) -> f32 {
        let p = &self.probs()[h];
        p[2] - p[0]
    }
}
