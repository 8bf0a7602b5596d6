//! Recordings in, a shippable model out: datasets, training, and the model card measured on
//! the exported ONNX through tract (the path that serves), not on the candle network.

use std::path::{Path, PathBuf};

use super::evaluate::{EvalError, ModelCardReport, evaluate_model, markdown_table};
use super::{TrainConfig, TrainError, TrainProgress, TrainedModel, train_model};
use crate::features::{Dataset, DatasetConfig, dataset_from_binance_file};
use crate::model::{Model, ModelError};
use crate::replay::binance::ReadError;

/// Why a run from recordings failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: ReadError,
    },
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The exported model does not load: a bug in the exporter, never the user's input.
    #[error("the exported model does not load: {0}")]
    Load(#[from] ModelError),
    #[error("evaluating the model: {0}")]
    Eval(#[from] EvalError),
}

/// A trained model and its model card.
#[derive(Debug)]
pub struct TrainRun {
    pub trained: TrainedModel,
    pub report: ModelCardReport,
    /// `report` as pretty JSON (the model card's numbers).
    pub report_json: String,
    /// `report` as Markdown tables.
    pub markdown: String,
    /// Rows per recording (labelled samples before windowing).
    pub rows: Vec<usize>,
}

/// Builds one dataset per recording (default [`DatasetConfig`], the one the served grid
/// reproduces).
pub fn datasets_from_files(paths: &[impl AsRef<Path>]) -> Result<Vec<Dataset>, RunError> {
    paths
        .iter()
        .map(|p| {
            let p = p.as_ref();
            dataset_from_binance_file(p, DatasetConfig::default())
                .map_err(|source| RunError::Read { path: p.to_path_buf(), source })
        })
        .collect()
}

/// Trains `cfg` on the recordings at `paths`, then evaluates the exported ONNX with tract.
pub fn train_on_recordings(
    paths: &[impl AsRef<Path>],
    cfg: &TrainConfig,
    progress: impl FnMut(TrainProgress),
) -> Result<TrainRun, RunError> {
    let datasets = datasets_from_files(paths)?;
    let trained = train_model(&datasets, cfg, progress)?;
    let model = Model::from_bytes(&trained.onnx)?;
    let report = evaluate_model(|raw: &[f32]| model.logits(raw), &datasets, cfg, &trained)?;
    // Serialising plain numbers and strings cannot fail; non-finite floats become null.
    let report_json = serde_json::to_string_pretty(&report).expect("the report serialises");
    let markdown = markdown_table(&report);
    Ok(TrainRun { rows: datasets.iter().map(Dataset::len).collect(), trained, report, report_json, markdown })
}
