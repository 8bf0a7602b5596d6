//! ONNX inference: load a model that meets the FlashMM contract, keep a rolling window of
//! feature vectors, predict mid-direction probabilities, swap models while serving.
//!
//! # The contract
//!
//! * Input `features`, float32, `[batch, seq, 64]`: batch dynamic (a `dim_param` or no
//!   value) or 1, `seq` fixed and positive, 64 = [`N_FEATURES`] **raw** features (any
//!   normalisation is baked into the graph). Exactly one graph input (initialisers listed
//!   as inputs by old exporters do not count).
//! * Output `logits`, float32, `[batch, horizons, 3]`, classes down = 0, flat = 1, up = 2
//!   ([`Direction`](crate::features::Direction)). Other outputs are ignored.
//! * Optional `metadata_props` (see [`ModelInfo`]): `flashmm.arch`, `flashmm.seq`,
//!   `flashmm.step_ns` (default 100 ms), `flashmm.horizons_ns`, `flashmm.classes`,
//!   `flashmm.features`, `flashmm.normalizer`. When present they must agree with the graph
//!   and with the core (feature names in order), else the load fails naming what differs.
//!
//! Every check runs on the decoded protobuf and on tract's typed graph *before* any
//! optimisation, so a model that loads is one the predictor can run.
//!
//! # Serving
//!
//! [`Model`] holds two tract plans: one concretised to batch 1 (the latency-critical
//! quote-tick path) and, when the batch dimension is dynamic and tract can optimise it
//! symbolically, one for batch prediction (else batches run item by item at batch 1).
//! [`Predictor`] owns a ring of the last `seq` feature vectors and a preallocated input
//! tensor; [`Signal`] feeds it from raw events through the dataset's own per-event code
//! ([`FeatureStream`](crate::features::FeatureStream)) so serving sees exactly the rows
//! training saw. [`ModelSlot`] hot-swaps models: a reload is loaded and checked completely
//! before it replaces the serving model.
//!
//! **Per-call cost**: a [`Session`] (one per [`Predictor`], one per binding `Model`) keeps
//! its run state and input across predictions. Batch-1 predictions run on the evaluator
//! (`native/`) when it can lower the graph: every value's buffer is allocated at load, so a
//! prediction allocates nothing (`tests/model_latency.rs`) and pays no per-node bookkeeping;
//! the loader checks it against tract on probe windows and `tests/model_native.rs` on the
//! recordings. Any other graph runs on tract's batch-1 plan ([`Evaluator::Tract`] says why),
//! concretised to batch 1 before tract optimises it, with three operators tract expands
//! into many small nodes run as one fused node each (`LSTM`, `LayerNormalization`,
//! `Softmax`; see `fused.rs`); batches always run on tract. Inputs must be finite: a
//! non-finite feature is refused with its row and name before the model runs.
//!
//! [`N_FEATURES`]: crate::features::N_FEATURES

mod contract;
mod fused;
mod kernels;
mod native;
mod onnx;
mod prediction;
mod predictor;
pub mod score;
mod signal;
mod slot;

use std::path::PathBuf;

pub use contract::{ContractError, ModelInfo};
pub use onnx::{Evaluator, Model, Session};
pub(crate) use prediction::softmax;
pub use prediction::{MAX_HORIZONS, Prediction, argmax};
pub use predictor::Predictor;
pub use score::{
    ForecastLog, ForecastScorer, HorizonForecast, HorizonScore, MadeForecast, SCORE_WINDOW, ScoredForecast,
};
pub use signal::Signal;
pub use slot::ModelSlot;

/// Name of the model input the contract requires.
pub const INPUT_NAME: &str = "features";
/// Name of the model output the contract requires.
pub const OUTPUT_NAME: &str = "logits";
/// Classes per horizon: down, flat, up.
pub const N_CLASSES: usize = 3;
/// Grid step when the model does not say (`flashmm.step_ns`): the dataset's default.
pub const DEFAULT_STEP_NS: i64 = 100_000_000;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("reading model file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an ONNX protobuf (random, truncated, empty).
    #[error("not a valid ONNX model: {0}")]
    Corrupt(String),
    /// A valid ONNX model that does not meet the FlashMM contract.
    #[error("model does not meet the FlashMM ONNX contract: {0}")]
    Contract(#[from] ContractError),
    /// tract could not parse, type or optimise the graph (unsupported operator, bad graph).
    #[error("tract cannot load the model: {0}")]
    Tract(String),
    /// tract failed while running the plan.
    #[error("inference failed: {0}")]
    Run(String),
    /// An input feature is NaN or infinite (the feature engine never emits one; a caller's
    /// window did). Models are never run on such input.
    #[error("feature {feature} ({name}) of window row {row} is not finite: {value}")]
    NonFiniteInput { row: usize, feature: usize, name: &'static str, value: f32 },
    /// The model produced a NaN or infinite logit.
    #[error("model produced a non-finite logit at horizon {horizon}")]
    NonFinite { horizon: usize },
    /// [`Predictor::predict`] before `seq` vectors were pushed.
    #[error("window not full: {have} of {seq} feature vectors")]
    NotReady { have: usize, seq: usize },
    /// A reload onto a model sampled on another grid than the window being served.
    #[error("the new model's grid step is {new} ns, the signal samples every {current} ns")]
    StepMismatch { new: i64, current: i64 },
    /// A window passed to a batch prediction has the wrong length.
    #[error("window {index} has {len} feature vectors, the model needs {seq}")]
    WindowLength { index: usize, len: usize, seq: usize },
}

/// Result of the model module.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
