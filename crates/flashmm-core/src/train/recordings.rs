//! Recordings in, a shippable model out: datasets, training, and the model card measured on
//! the exported ONNX through tract (the path that serves), not on the candle network.

use std::path::{Path, PathBuf};

use super::evaluate::{EvalError, LeaveOneOut, ModelCardReport, evaluate_model, markdown_table, means_over_markets};
use super::windows::{RecordingParts, part_spans, split_samples};
use super::{ArchConfig, ArchKind, TrainConfig, TrainError, TrainProgress, TrainedModel, train_model};
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

/// A recording's market name: its file name without the `.gz`.
pub fn market_name(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.strip_suffix(".gz").map(str::to_string).unwrap_or(name)
}

/// What a run computes besides the walk-forward model and its card.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Also train one model per recording left out (same config) and report them.
    pub leave_one_out: bool,
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

/// The walk-forward parts of the recording at `path` exactly as training splits it (the
/// default split and sample grid, windows of `seq` rows): what a backtest of its test part
/// replays (`flashmm compare --test-part`).
pub fn walk_forward_parts(path: &Path, seq: usize) -> Result<RecordingParts, RunError> {
    let datasets = datasets_from_files(&[path])?;
    let cfg = TrainConfig::new(ArchConfig::reference(ArchKind::Mlp));
    let splits = split_samples(&datasets, seq, cfg.step_ns, &cfg.split)?;
    Ok(part_spans(&datasets, &splits)[0])
}

/// Trains `cfg` on the recordings at `paths`, then evaluates the exported ONNX with tract.
pub fn train_on_recordings(
    paths: &[impl AsRef<Path>],
    cfg: &TrainConfig,
    options: RunOptions,
    progress: impl FnMut(TrainProgress),
) -> Result<TrainRun, RunError> {
    let datasets = datasets_from_files(paths)?;
    let markets: Vec<String> = paths.iter().map(|p| market_name(p.as_ref())).collect();
    train_on_datasets(&datasets, &markets, cfg, options, progress)
}

/// [`train_on_recordings`] on datasets already built (one per market, named).
pub fn train_on_datasets(
    datasets: &[Dataset],
    markets: &[String],
    cfg: &TrainConfig,
    options: RunOptions,
    mut progress: impl FnMut(TrainProgress),
) -> Result<TrainRun, RunError> {
    let (trained, mut report) = train_and_evaluate(datasets, markets, cfg, &mut progress)?;
    if options.leave_one_out {
        report.leave_one_out = Some(leave_one_out(datasets, markets, cfg, &mut progress)?);
    }
    // Serialising plain numbers and strings cannot fail; non-finite floats become null.
    let report_json = serde_json::to_string_pretty(&report).expect("the report serialises");
    let markdown = markdown_table(&report);
    Ok(TrainRun { rows: datasets.iter().map(Dataset::len).collect(), trained, report, report_json, markdown })
}

/// One model and its card, scored through tract on the exported ONNX (the serving path).
pub fn train_and_evaluate(
    datasets: &[Dataset],
    markets: &[String],
    cfg: &TrainConfig,
    progress: impl FnMut(TrainProgress),
) -> Result<(TrainedModel, ModelCardReport), RunError> {
    let trained = train_model(datasets, cfg, progress)?;
    let model = Model::from_bytes(&trained.onnx)?;
    let report = evaluate_model(|raw: &[f32]| model.logits(raw), datasets, markets, cfg, &trained)?;
    Ok((trained, report))
}

/// One fold per recording: `cfg` trained on the others ([`SplitConfig::held_out`]), scored on
/// the held-out recording.
///
/// [`SplitConfig::held_out`]: super::SplitConfig::held_out
pub fn leave_one_out(
    datasets: &[Dataset],
    markets: &[String],
    cfg: &TrainConfig,
    mut progress: impl FnMut(TrainProgress),
) -> Result<LeaveOneOut, RunError> {
    let (mut folds, mut best_epochs) = (Vec::new(), Vec::new());
    for r in 0..datasets.len() {
        let fold = TrainConfig { split: super::SplitConfig { held_out: Some(r), ..cfg.split }, ..cfg.clone() };
        let (trained, report) = train_and_evaluate(datasets, markets, &fold, &mut progress)?;
        best_epochs.push(trained.best_epoch);
        folds.extend(report.test.markets.into_iter().filter(|m| m.recording == r));
    }
    Ok(LeaveOneOut { mean: means_over_markets(&folds), folds, best_epochs })
}
