//! Training configuration: architecture sizes (reference and tiny), optimiser, stopping.

use serde::{Deserialize, Serialize};

use super::TrainError;
use super::feature_set::FeatureSet;
use super::windows::SplitConfig;

/// MLP over the flattened window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    pub seq: usize,
    /// Hidden layer widths (ReLU after each).
    pub hidden: Vec<usize>,
    /// Dropout after each hidden layer (training only).
    #[serde(default)]
    pub dropout: f32,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self { seq: 1, hidden: vec![32], dropout: 0.2 }
    }
}

/// One-layer LSTM; the last hidden state feeds a linear head.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LstmConfig {
    pub seq: usize,
    pub hidden: usize,
}

impl Default for LstmConfig {
    fn default() -> Self {
        Self { seq: 8, hidden: 32 }
    }
}

/// Multinomial logistic regression per horizon on the last row's features (`flat` is the
/// reference class), fitted exactly by Newton's method on the training split in
/// standardised coordinates with an L2 penalty `l2 · ‖w‖²/2` on the slopes. Convex: no
/// seed, no epochs, no early stopping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticConfig {
    pub features: FeatureSet,
    pub l2: f64,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        Self { features: FeatureSet::Imbalance, l2: 1.0 }
    }
}

/// Transformer encoder: linear input projection to `d_model`, **learned** positional
/// embeddings, `layers` **pre-norm** blocks (`x + Attn(LN(x))`, `x + FF(LN(x))`, ReLU FF), a
/// final LayerNorm, the last position → linear head. Dropout (training only) after the
/// input embedding and on each residual branch. Pre-norm because it trains stably without a
/// learning-rate warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransformerConfig {
    pub seq: usize,
    pub d_model: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub dropout: f32,
    pub ln_eps: f32,
}

impl Default for TransformerConfig {
    /// Sized for the data (≈13 000 training windows) and the serving budget (p99 ≤ 50 µs at
    /// batch 1): the earlier 128-wide, 4-layer reference cost ~2 ms per prediction in tract.
    fn default() -> Self {
        Self { seq: 8, d_model: 32, layers: 1, heads: 4, ff: 64, dropout: 0.1, ln_eps: 1e-5 }
    }
}

/// The architecture to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "lowercase")]
pub enum ArchConfig {
    Mlp(MlpConfig),
    Lstm(LstmConfig),
    Transformer(TransformerConfig),
    Logistic(LogisticConfig),
    /// Members trained separately (member `i` with seed `seed + i`), on the same samples
    /// (windows of the longest member's `seq`; a shorter member sees their last rows),
    /// combined per horizon as [`Combine`] says.
    Ensemble {
        members: Vec<ArchConfig>,
        #[serde(default)]
        combine: Combine,
    },
}

/// How an ensemble's probabilities combine (output: the log of the combination).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The mean of the members' probabilities.
    #[default]
    Mean,
    /// Two members: the first says whether the mid moves (`p_flat`), the second which way
    /// (`p_up : p_down`): `[(1 − f)·d/(d + u), f, (1 − f)·u/(d + u)]`. A model good at
    /// activity and one good at direction, each used for what it is good at.
    MoveDirection,
}

/// Which architecture, for the preset constructors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchKind {
    Mlp,
    Lstm,
    Transformer,
    Logistic,
    Ensemble,
}

impl ArchKind {
    pub const ALL: [ArchKind; 5] =
        [ArchKind::Mlp, ArchKind::Lstm, ArchKind::Transformer, ArchKind::Logistic, ArchKind::Ensemble];

    pub fn name(self) -> &'static str {
        match self {
            ArchKind::Mlp => "mlp",
            ArchKind::Lstm => "lstm",
            ArchKind::Transformer => "transformer",
            ArchKind::Logistic => "logistic",
            ArchKind::Ensemble => "ensemble",
        }
    }
}

impl ArchConfig {
    /// The reference sizes (the ensemble: logistic baseline + MLP + LSTM + transformer).
    pub fn reference(kind: ArchKind) -> Self {
        match kind {
            ArchKind::Mlp => ArchConfig::Mlp(MlpConfig::default()),
            ArchKind::Lstm => ArchConfig::Lstm(LstmConfig::default()),
            ArchKind::Transformer => ArchConfig::Transformer(TransformerConfig::default()),
            ArchKind::Logistic => ArchConfig::Logistic(LogisticConfig::default()),
            ArchKind::Ensemble => ArchConfig::Ensemble {
                members: [ArchKind::Logistic, ArchKind::Mlp, ArchKind::Lstm, ArchKind::Transformer]
                    .map(Self::reference)
                    .to_vec(),
                combine: Combine::Mean,
            },
        }
    }

    /// Small sizes for tests and CI (seconds on a laptop core).
    pub fn tiny(kind: ArchKind) -> Self {
        match kind {
            ArchKind::Mlp => ArchConfig::Mlp(MlpConfig { seq: 1, hidden: vec![16, 16], dropout: 0.0 }),
            ArchKind::Lstm => ArchConfig::Lstm(LstmConfig { seq: 8, hidden: 16 }),
            ArchKind::Transformer => ArchConfig::Transformer(TransformerConfig {
                seq: 8,
                d_model: 16,
                layers: 1,
                heads: 2,
                ff: 32,
                dropout: 0.1,
                ln_eps: 1e-5,
            }),
            ArchKind::Logistic => ArchConfig::Logistic(LogisticConfig::default()),
            ArchKind::Ensemble => ArchConfig::Ensemble {
                members: [ArchKind::Mlp, ArchKind::Lstm].map(Self::tiny).to_vec(),
                combine: Combine::Mean,
            },
        }
    }

    pub fn kind(&self) -> ArchKind {
        match self {
            ArchConfig::Mlp(_) => ArchKind::Mlp,
            ArchConfig::Lstm(_) => ArchKind::Lstm,
            ArchConfig::Transformer(_) => ArchKind::Transformer,
            ArchConfig::Logistic(_) => ArchKind::Logistic,
            ArchConfig::Ensemble { .. } => ArchKind::Ensemble,
        }
    }

    /// Window length the model takes (the longest member's for an ensemble).
    pub fn seq(&self) -> usize {
        match self {
            ArchConfig::Mlp(c) => c.seq,
            ArchConfig::Lstm(c) => c.seq,
            ArchConfig::Transformer(c) => c.seq,
            ArchConfig::Logistic(_) => 1,
            ArchConfig::Ensemble { members, .. } => members.iter().map(Self::seq).max().unwrap_or(0),
        }
    }

    /// The features the model reads: a logistic member's own set, `nets` for the networks,
    /// the union over an ensemble's members.
    pub fn feature_mask(&self, nets: FeatureSet) -> [bool; crate::features::N_FEATURES] {
        match self {
            ArchConfig::Logistic(c) => c.features.mask(),
            ArchConfig::Ensemble { members, .. } => {
                members.iter().fold([false; crate::features::N_FEATURES], |acc, m| {
                    let mm = m.feature_mask(nets);
                    std::array::from_fn(|i| acc[i] || mm[i])
                })
            }
            _ => nets.mask(),
        }
    }

    /// Checks sizes; an ensemble needs ≥ 1 member and no nested ensemble.
    pub fn check(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        match self {
            ArchConfig::Mlp(c) if c.seq == 0 || c.hidden.contains(&0) || !(0.0..1.0).contains(&c.dropout) => {
                bad(format!("mlp sizes must be positive and dropout in [0, 1): {c:?}"))
            }
            ArchConfig::Logistic(c) if !(c.l2.is_finite() && c.l2 > 0.0) => {
                bad(format!("logistic l2 must be positive (it keeps the Newton system definite): {c:?}"))
            }
            ArchConfig::Lstm(c) if c.seq == 0 || c.hidden == 0 => bad(format!("lstm sizes must be positive: {c:?}")),
            ArchConfig::Transformer(c)
                if c.seq == 0 || c.d_model == 0 || c.layers == 0 || c.heads == 0 || c.ff == 0 =>
            {
                bad(format!("transformer sizes must be positive: {c:?}"))
            }
            ArchConfig::Transformer(c) if c.d_model % c.heads != 0 => {
                bad(format!("transformer d_model {} is not a multiple of heads {}", c.d_model, c.heads))
            }
            ArchConfig::Transformer(c) if !(0.0..1.0).contains(&c.dropout) || c.ln_eps.is_nan() || c.ln_eps <= 0.0 => {
                bad(format!("transformer dropout must be in [0, 1) and ln_eps positive: {c:?}"))
            }
            ArchConfig::Ensemble { members, .. } if members.is_empty() => bad("an ensemble needs members".into()),
            ArchConfig::Ensemble { members, combine: Combine::MoveDirection } if members.len() != 2 => {
                bad(format!("a move-direction ensemble has 2 members (move, direction), not {}", members.len()))
            }
            ArchConfig::Ensemble { members, .. } => {
                if members.iter().any(|m| matches!(m, ArchConfig::Ensemble { .. })) {
                    return bad("ensembles cannot be nested".into());
                }
                members.iter().try_for_each(Self::check)
            }
            _ => Ok(()),
        }
    }
}

/// Class weights in the cross-entropy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeights {
    /// Plain mean cross-entropy over samples and horizons.
    None,
    /// Per horizon, class `c` weighs `n / (3 · n_c)` (counts on the training split), and
    /// the loss is the weighted mean over (sample, horizon) pairs (PyTorch's convention).
    Balanced,
}

/// Everything that determines a training run (with the data and the seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub arch: ArchConfig,
    /// The features the networks read (a logistic member names its own).
    #[serde(default)]
    pub features: FeatureSet,
    /// Seeds initialisation, minibatch order and dropout.
    pub seed: u64,
    /// Grid step of the datasets (ns); windows need consecutive rows exactly this apart.
    pub step_ns: i64,
    pub split: SplitConfig,
    pub batch_size: usize,
    pub max_epochs: usize,
    /// Stop after this many epochs without a validation-loss improvement.
    pub patience: usize,
    /// An improvement must lower the validation loss by more than this.
    pub min_delta: f64,
    /// AdamW.
    pub lr: f64,
    pub weight_decay: f64,
    pub class_weights: ClassWeights,
    /// Fewest samples accepted in each of train, validation and test.
    pub min_samples: usize,
}

impl TrainConfig {
    /// Reference settings for `arch`.
    pub fn new(arch: ArchConfig) -> Self {
        Self {
            arch,
            // Chosen on validation (`flashmm train --arch select`, models/README.md): pooled
            // over markets, lot-size levels tell a network the market, not the book.
            features: FeatureSet::ScaleFree,
            seed: 42,
            step_ns: 100_000_000,
            split: SplitConfig::default(),
            batch_size: 256,
            max_epochs: 30,
            patience: 5,
            min_delta: 1e-4,
            lr: 1e-3,
            weight_decay: 0.1,
            class_weights: ClassWeights::None,
            min_samples: 32,
        }
    }

    /// Tiny architecture, few epochs: for tests and CI.
    pub fn tiny(kind: ArchKind) -> Self {
        Self { batch_size: 128, max_epochs: 3, patience: 2, ..Self::new(ArchConfig::tiny(kind)) }
    }

    pub fn check(&self) -> Result<(), TrainError> {
        self.arch.check()?;
        super::windows::check_split(&self.split)?;
        if self.batch_size == 0 || self.max_epochs == 0 || self.step_ns <= 0 || self.min_samples == 0 {
            return Err(TrainError::Config(format!(
                "batch_size ({}), max_epochs ({}), step_ns ({}) and min_samples ({}) must be positive",
                self.batch_size, self.max_epochs, self.step_ns, self.min_samples
            )));
        }
        if !(self.lr > 0.0 && self.lr.is_finite() && self.weight_decay >= 0.0 && self.min_delta >= 0.0) {
            return Err(TrainError::Config(format!(
                "lr ({}) must be positive, weight_decay ({}) and min_delta ({}) non-negative",
                self.lr, self.weight_decay, self.min_delta
            )));
        }
        Ok(())
    }
}
