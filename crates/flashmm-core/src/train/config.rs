//! Training configuration: architecture sizes (reference and tiny), optimiser, stopping.

use serde::{Deserialize, Serialize};

use super::TrainError;
use super::windows::SplitConfig;

/// MLP over the flattened window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    pub seq: usize,
    /// Hidden layer widths (ReLU after each).
    pub hidden: Vec<usize>,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self { seq: 1, hidden: vec![64, 64] }
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
        Self { seq: 16, hidden: 64 }
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
    fn default() -> Self {
        Self { seq: 16, d_model: 128, layers: 4, heads: 8, ff: 256, dropout: 0.1, ln_eps: 1e-5 }
    }
}

/// The architecture to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "lowercase")]
pub enum ArchConfig {
    Mlp(MlpConfig),
    Lstm(LstmConfig),
    Transformer(TransformerConfig),
    /// Members trained separately (member `i` with seed `seed + i`), on the same samples
    /// (windows of the longest member's `seq`; a shorter member sees their last rows).
    /// Output: log of the mean of the members' softmax probabilities, per horizon.
    Ensemble {
        members: Vec<ArchConfig>,
    },
}

/// Which architecture, for the preset constructors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchKind {
    Mlp,
    Lstm,
    Transformer,
    Ensemble,
}

impl ArchKind {
    pub const ALL: [ArchKind; 4] = [ArchKind::Mlp, ArchKind::Lstm, ArchKind::Transformer, ArchKind::Ensemble];

    pub fn name(self) -> &'static str {
        match self {
            ArchKind::Mlp => "mlp",
            ArchKind::Lstm => "lstm",
            ArchKind::Transformer => "transformer",
            ArchKind::Ensemble => "ensemble",
        }
    }
}

impl ArchConfig {
    /// The reference sizes (the ensemble: MLP + LSTM + transformer).
    pub fn reference(kind: ArchKind) -> Self {
        match kind {
            ArchKind::Mlp => ArchConfig::Mlp(MlpConfig::default()),
            ArchKind::Lstm => ArchConfig::Lstm(LstmConfig::default()),
            ArchKind::Transformer => ArchConfig::Transformer(TransformerConfig::default()),
            ArchKind::Ensemble => ArchConfig::Ensemble {
                members: [ArchKind::Mlp, ArchKind::Lstm, ArchKind::Transformer].map(Self::reference).to_vec(),
            },
        }
    }

    /// Small sizes for tests and CI (seconds on a laptop core).
    pub fn tiny(kind: ArchKind) -> Self {
        match kind {
            ArchKind::Mlp => ArchConfig::Mlp(MlpConfig { seq: 1, hidden: vec![16, 16] }),
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
            ArchKind::Ensemble => {
                ArchConfig::Ensemble { members: [ArchKind::Mlp, ArchKind::Lstm].map(Self::tiny).to_vec() }
            }
        }
    }

    pub fn kind(&self) -> ArchKind {
        match self {
            ArchConfig::Mlp(_) => ArchKind::Mlp,
            ArchConfig::Lstm(_) => ArchKind::Lstm,
            ArchConfig::Transformer(_) => ArchKind::Transformer,
            ArchConfig::Ensemble { .. } => ArchKind::Ensemble,
        }
    }

    /// Window length the model takes (the longest member's for an ensemble).
    pub fn seq(&self) -> usize {
        match self {
            ArchConfig::Mlp(c) => c.seq,
            ArchConfig::Lstm(c) => c.seq,
            ArchConfig::Transformer(c) => c.seq,
            ArchConfig::Ensemble { members } => members.iter().map(Self::seq).max().unwrap_or(0),
        }
    }

    /// Checks sizes; an ensemble needs ≥ 1 member and no nested ensemble.
    pub fn check(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        match self {
            ArchConfig::Mlp(c) if c.seq == 0 || c.hidden.contains(&0) => {
                bad(format!("mlp sizes must be positive: {c:?}"))
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
            ArchConfig::Ensemble { members } if members.is_empty() => bad("an ensemble needs members".into()),
            ArchConfig::Ensemble { members } => {
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
            seed: 42,
            step_ns: 100_000_000,
            split: SplitConfig::default(),
            batch_size: 256,
            max_epochs: 30,
            patience: 5,
            min_delta: 1e-4,
            lr: 1e-3,
            weight_decay: 1e-2,
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
