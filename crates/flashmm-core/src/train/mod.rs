//! Training: datasets → windows → a candle network → ONNX bytes that meet the model
//! contract (input `features` f32 `[batch, seq, 64]` raw, output `logits` f32
//! `[batch, 3, 3]`, classes `down = 0, flat = 1, up = 2` as [`Direction`]).
//!
//! * [`windows`]: samples, time-ordered 70/15/15 split per recording, normaliser fitted on
//!   the training split only.
//! * Architectures ([`ArchConfig`]): MLP, LSTM, transformer encoder, ensemble; reference and
//!   tiny sizes.
//! * Loop: mean cross-entropy over the 3 horizons (optionally class-balanced, see
//!   [`ClassWeights`]), AdamW, minibatches shuffled within the training split, early
//!   stopping on validation loss (best epoch's weights kept).
//! * **Determinism.** Initialisation, batch order and dropout masks come from PCG streams
//!   seeded by [`TrainConfig::seed`]; candle runs on the CPU, whose kernels reduce in a fixed
//!   order. The same data, config and seed give byte-identical ONNX.
//! * Export: see [`onnx`]; the normalisation is the graph's first nodes.
//!
//! [`Direction`]: crate::features::Direction

mod config;
pub mod evaluate;
pub mod feature_set;
mod fit;
pub mod logistic;
mod nets;
pub mod onnx;
pub mod recordings;
pub mod select;
mod transformer;
pub mod windows;

use candle_core::{Device, Tensor};

use crate::features::{Dataset, HORIZONS_NS, N_FEATURES, NormalizeError, Normalizer};

pub use config::{
    ArchConfig, ArchKind, ClassWeights, Combine, LogisticConfig, LstmConfig, MlpConfig, TrainConfig, TransformerConfig,
};
pub use feature_set::FeatureSet;
pub use fit::FitReport;
pub use recordings::{
    RunError, RunOptions, TrainRun, datasets_from_files, leave_one_out, market_name, train_and_evaluate,
    train_on_datasets, train_on_recordings, walk_forward_parts,
};
pub use windows::{PartSpan, RecordingParts, Sample, SplitConfig, Splits, WindowSet};

use nets::{LogisticNet, Lstm, Member, Mlp, Net, Nets, ParamInit};

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("no datasets given")]
    NoData,
    #[error(
        "too few samples: the {split} split has {got}, at least {need} needed (longer recordings, a shorter seq or a smaller min_samples)"
    )]
    TooFewSamples { split: &'static str, got: usize, need: usize },
    #[error("invalid training config: {0}")]
    Config(String),
    #[error("bad input: {0}")]
    Input(String),
    #[error("dataset {index} is labelled at horizons {got:?} ns, the model contract needs {want:?}")]
    Horizons { index: usize, got: [i64; 3], want: [i64; 3] },
    #[error("normaliser: {0}")]
    Normalize(#[from] NormalizeError),
    #[error("training diverged: loss {loss} in epoch {epoch}")]
    Diverged { epoch: usize, loss: f64 },
    #[error("tensor computation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Progress of a run, reported after every minibatch and once more at each epoch's end
/// (with `val_loss`). An ensemble reports each member in turn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainProgress {
    /// Member being trained (0 unless an ensemble) and how many there are.
    pub member: usize,
    pub members: usize,
    /// 1-based epoch of at most `epochs`.
    pub epoch: usize,
    pub epochs: usize,
    /// 1-based minibatch of `batches` in this epoch.
    pub batch: usize,
    pub batches: usize,
    /// Mean training loss so far this epoch.
    pub train_loss: f64,
    /// Validation loss, at the end of an epoch.
    pub val_loss: Option<f64>,
    /// Training throughput of this member so far.
    pub samples_per_sec: f64,
}

/// Samples per split after windowing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitCounts {
    pub train: usize,
    pub val: usize,
    pub test: usize,
    /// Dropped because their window straddled a split boundary.
    pub dropped_boundary: usize,
}

/// A trained model: its ONNX bytes, how training went, and the held-out test windows.
pub struct TrainedModel {
    /// The ONNX model (contract and metadata in [`onnx`]).
    pub onnx: Vec<u8>,
    pub arch: ArchKind,
    /// Window length of the model's input.
    pub seq: usize,
    pub normalizer: Normalizer,
    pub counts: SplitCounts,
    /// One report per member (one for a single network).
    pub members: Vec<FitReport>,
    /// Best epoch of the (first) member.
    pub best_epoch: usize,
    /// Best validation loss of each member.
    pub best_val_loss: Vec<f64>,
    /// Training samples/s over all members' training time.
    pub samples_per_sec: f64,
    /// The test split's windows, RAW features (what the ONNX model takes).
    pub test: WindowSet,
    nets: Nets,
}

impl std::fmt::Debug for TrainedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainedModel")
            .field("onnx_bytes", &self.onnx.len())
            .field("arch", &self.arch)
            .field("seq", &self.seq)
            .field("counts", &self.counts)
            .field("members", &self.members)
            .field("samples_per_sec", &self.samples_per_sec)
            .finish_non_exhaustive()
    }
}

impl TrainedModel {
    /// Logits of the trained network in candle (the reference for the ONNX export): `raw`
    /// holds `n` windows of RAW features, `[n, seq, 64]` row-major; returns `n · 9` values,
    /// `[n, horizon, class]`.
    pub fn predict(&self, raw: &[f32]) -> Result<Vec<f32>, TrainError> {
        let w = self.seq * N_FEATURES;
        if raw.is_empty() || !raw.len().is_multiple_of(w) {
            return Err(TrainError::Input(format!(
                "{} values are not whole windows of {} × {N_FEATURES}",
                raw.len(),
                self.seq
            )));
        }
        let mut x = raw.to_vec();
        for row in x.chunks_exact_mut(N_FEATURES) {
            let row: &mut [f32; N_FEATURES] = row.try_into().expect("chunks of 64");
            self.normalizer.apply_in_place(row);
        }
        let t = Tensor::from_vec(x, (raw.len() / w, self.seq, N_FEATURES), &Device::Cpu)?;
        Ok(self.nets.forward(&t)?.flatten_all()?.to_vec1::<f32>()?)
    }
}

fn build(arch: &ArchConfig, seed: u64) -> candle_core::Result<(Net, Vec<candle_core::Var>)> {
    let mut p = ParamInit::new(seed);
    let net = match arch {
        ArchConfig::Mlp(c) => Net::Mlp(Mlp::new(c, &mut p)?),
        ArchConfig::Lstm(c) => Net::Lstm(Lstm::new(c, &mut p)?),
        ArchConfig::Transformer(c) => Net::Transformer(transformer::Transformer::new(c, &mut p)?),
        ArchConfig::Logistic(_) => Net::Logistic(LogisticNet::new(&mut p)?),
        ArchConfig::Ensemble { .. } => unreachable!("members are built one by one"),
    };
    Ok((net, p.vars))
}

/// Trains `cfg.arch` on `datasets` (one per recording, each time-ordered on the grid) and
/// exports it. `progress` is called after every minibatch and at every epoch's end.
pub fn train_model(
    datasets: &[Dataset],
    cfg: &TrainConfig,
    mut progress: impl FnMut(TrainProgress),
) -> Result<TrainedModel, TrainError> {
    cfg.check()?;
    if datasets.is_empty() {
        return Err(TrainError::NoData);
    }
    if let Some((index, d)) = datasets.iter().enumerate().find(|(_, d)| d.horizons_ns != HORIZONS_NS) {
        return Err(TrainError::Horizons { index, got: d.horizons_ns, want: HORIZONS_NS });
    }
    let seq = cfg.arch.seq();
    let splits = windows::split_samples(datasets, seq, cfg.step_ns, &cfg.split)?;
    let counts = SplitCounts {
        train: splits.train.len(),
        val: splits.val.len(),
        test: splits.test.len(),
        dropped_boundary: splits.dropped_boundary,
    };
    for (split, got) in [("training", counts.train), ("validation", counts.val), ("test", counts.test)] {
        if got < cfg.min_samples {
            return Err(TrainError::TooFewSamples { split, got, need: cfg.min_samples });
        }
    }
    let normalizer = windows::fit_normalizer(datasets, &splits.train, seq)?;
    let norm_rows = windows::normalized_rows(datasets, &normalizer);
    let train = windows::gather(datasets, &norm_rows, &splits.train, seq);
    let val = windows::gather(datasets, &norm_rows, &splits.val, seq);
    drop(norm_rows);
    let raw_rows: Vec<&[[f32; N_FEATURES]]> = datasets.iter().map(|d| d.features.as_slice()).collect();
    let test = windows::gather(datasets, &raw_rows, &splits.test, seq);

    let member_cfgs: Vec<&ArchConfig> = match &cfg.arch {
        ArchConfig::Ensemble { members, .. } => members.iter().collect(),
        one => vec![one],
    };
    let n = member_cfgs.len();
    let (mut members, mut reports) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (i, arch) in member_cfgs.into_iter().enumerate() {
        let seed = cfg.seed.wrapping_add(i as u64);
        let (net, vars) = build(arch, seed)?;
        let features = match arch {
            ArchConfig::Logistic(c) => c.features,
            _ => cfg.features,
        };
        let member = Member { net, mask: features.mask() };
        let report = match (&member.net, arch) {
            (Net::Logistic(l), ArchConfig::Logistic(c)) => {
                let r = fit::fit_logistic(&member, l, c, &train, &val, cfg)?;
                progress(TrainProgress {
                    member: i,
                    members: n,
                    epoch: 1,
                    epochs: 1,
                    batch: 1,
                    batches: 1,
                    train_loss: r.train_loss[0],
                    val_loss: Some(r.val_loss[0]),
                    samples_per_sec: r.samples_per_sec,
                });
                r
            }
            _ => fit::fit(&member, vars, &train, &val, cfg, seed, (i, n), &mut progress)?,
        };
        reports.push(report);
        members.push(member);
    }
    let combine = match &cfg.arch {
        ArchConfig::Ensemble { combine, .. } => Some(*combine),
        _ => None,
    };
    let nets = Nets { seq, combine, members };
    let onnx = onnx::export(&nets, &normalizer, cfg)?;
    // Overall throughput: total samples over total time (time = samples / rate per member).
    let secs: f64 = reports.iter().map(|r| (counts.train * r.epochs_run) as f64 / r.samples_per_sec.max(1e-9)).sum();
    let samples: f64 = reports.iter().map(|r| (counts.train * r.epochs_run) as f64).sum();
    Ok(TrainedModel {
        onnx,
        arch: cfg.arch.kind(),
        seq,
        normalizer,
        counts,
        best_epoch: reports[0].best_epoch,
        best_val_loss: reports.iter().map(|r| r.val_loss[r.best_epoch - 1]).collect(),
        samples_per_sec: samples / secs.max(1e-9),
        members: reports,
        test,
        nets,
    })
}
