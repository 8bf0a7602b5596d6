//! Training for JS: `trainModel(options, onProgress?)` runs the core's recordings-to-model
//! pipeline on the libuv thread pool and resolves with the ONNX bytes and the model card.
//! Progress crosses back through a non-blocking threadsafe function.

use std::time::{Duration, Instant};

use flashmm_core::train::{self as core, ArchConfig, ArchKind, RunOptions, TrainConfig};
use napi::bindgen_prelude::{AsyncTask, BigInt, Buffer, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, Task};
use napi_derive::napi;

/// Training runs on the libuv pool through napi's `Task`, whose error type is napi's own: a
/// rejection carries napi's status code (`InvalidArg`), not the core's.
fn bad_arg(e: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, e.to_string())
}

/// A failure of the run itself (unreadable data, too few samples): the core's message.
fn failed(e: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, e.to_string())
}

#[napi(object)]
pub struct TrainOptions {
    /// Binance recordings (gzip lines `<ns> <json>`), one dataset each.
    pub data: Vec<String>,
    /// "mlp" | "lstm" | "transformer" | "logistic" | "ensemble" (its reference config), or
    /// "select": train every candidate of the core's list and keep the one chosen on
    /// validation (`flashmm_core::train::select`).
    pub arch: Option<String>,
    /// A full training config as JSON (the core's `TrainConfig`), instead of `arch`'s
    /// reference; `seed`, `epochs`, `patience`, `batchSize` and `lr` still override it.
    pub config: Option<String>,
    /// Also train one model per recording left out and report them in the card.
    pub leave_one_out: Option<bool>,
    /// Seeds initialisation, batch order and dropout (default 42): same seed, same bytes.
    pub seed: Option<f64>,
    /// Most epochs (default 30; 3 with `tiny`).
    pub epochs: Option<u32>,
    /// Small network and few epochs: CI smoke tests.
    pub tiny: Option<bool>,
    /// Epochs without validation improvement before stopping.
    pub patience: Option<u32>,
    pub batch_size: Option<u32>,
    pub lr: Option<f64>,
}

/// Reported after each minibatch (at most every 100 ms) and at each epoch's end.
#[napi(object)]
pub struct TrainProgress {
    /// Ensemble member being trained (0 for a single network) and how many there are.
    pub member: u32,
    pub members: u32,
    /// 1-based epoch of at most `epochs`.
    pub epoch: u32,
    pub epochs: u32,
    /// 1-based minibatch of `batches`.
    pub batch: u32,
    pub batches: u32,
    pub train_loss: f64,
    /// At the end of an epoch only.
    pub val_loss: Option<f64>,
    pub samples_per_sec: f64,
    /// The candidate being trained, during a selection.
    pub candidate: Option<String>,
}

impl From<core::TrainProgress> for TrainProgress {
    fn from(p: core::TrainProgress) -> Self {
        Self {
            member: p.member as u32,
            members: p.members as u32,
            epoch: p.epoch as u32,
            epochs: p.epochs as u32,
            batch: p.batch as u32,
            batches: p.batches as u32,
            train_loss: p.train_loss,
            val_loss: p.val_loss,
            samples_per_sec: p.samples_per_sec,
            candidate: None,
        }
    }
}

/// Windows per split.
#[napi(object)]
pub struct TrainCounts {
    pub train: u32,
    pub val: u32,
    pub test: u32,
    pub dropped_boundary: u32,
    /// Labelled rows per recording.
    pub rows: Vec<u32>,
}

#[napi(object)]
pub struct TrainResult {
    /// The ONNX model (meets the contract; `Model.fromBuffer` loads it).
    pub onnx: Buffer,
    /// The model card numbers as JSON (evaluated through tract on the exported model).
    pub report: String,
    /// The same as Markdown tables.
    pub markdown: String,
    pub arch: String,
    pub seq: u32,
    /// Training samples/s over the whole run.
    pub samples_per_sec: f64,
    pub best_epoch: u32,
    pub counts: TrainCounts,
    /// With `arch: "select"`: the candidates' validation comparison (JSON and Markdown).
    pub selection: Option<String>,
    pub selection_markdown: Option<String>,
    /// With `arch: "select"`: every candidate's name and ONNX model.
    pub candidates: Option<Vec<CandidateModel>>,
}

#[napi(object)]
pub struct CandidateModel {
    pub name: String,
    pub onnx: Buffer,
}

/// `(progress) => unknown`, called on the JS thread; no error-first argument.
type ProgressFn = ThreadsafeFunction<TrainProgress, Unknown<'static>, TrainProgress, Status, false>;

pub struct TrainTask {
    options: TrainOptions,
    progress: Option<ProgressFn>,
}

/// How often minibatch progress crosses to JS (epoch ends always do).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A finished run, and the candidate comparison when it was a selection.
pub struct TrainOutput {
    run: core::TrainRun,
    selection: Option<core::select::SelectionReport>,
}

impl Task for TrainTask {
    type Output = TrainOutput;
    type JsValue = TrainResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        // Options are checked here, not in `trainModel`, so every failure is a rejection.
        if self.options.data.is_empty() {
            return Err(bad_arg("no recordings given (data is empty)"));
        }
        let options = RunOptions { leave_one_out: self.options.leave_one_out.unwrap_or(false) };
        let mut last: Option<Instant> = None;
        let progress = self.progress.as_ref();
        let mut report = |candidate: Option<&str>, p: core::TrainProgress| {
            let Some(f) = progress else { return };
            let due = p.val_loss.is_some() || last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
            if due {
                last = Some(Instant::now());
                let mut js: TrainProgress = p.into();
                js.candidate = candidate.map(str::to_string);
                // Non-blocking: a busy JS thread never slows training; a full queue drops a tick.
                f.call(js, ThreadsafeFunctionCallMode::NonBlocking);
            }
        };
        if self.options.arch.as_deref() == Some("select") {
            let seed = seed(&self.options)?.unwrap_or(TrainConfig::new(ArchConfig::reference(ArchKind::Mlp)).seed);
            let datasets = core::datasets_from_files(&self.options.data).map_err(failed)?;
            let markets: Vec<String> = self.options.data.iter().map(|p| core::market_name(p.as_ref())).collect();
            let (selection, trained, mut card) =
                core::select::select(&datasets, &markets, &core::select::candidates(seed), |c, p| report(Some(c), p))
                    .map_err(failed)?;
            if options.leave_one_out {
                card.leave_one_out =
                    Some(core::leave_one_out(&datasets, &markets, &card.config, |p| report(None, p)).map_err(failed)?);
            }
            let report_json = serde_json::to_string_pretty(&card).map_err(failed)?;
            let markdown = core::evaluate::markdown_table(&card);
            let rows = datasets.iter().map(|d| d.len()).collect();
            let run = core::TrainRun { trained, report: card, report_json, markdown, rows };
            return Ok(TrainOutput { run, selection: Some(selection) });
        }
        let cfg = config(&self.options)?;
        let run = core::train_on_recordings(&self.options.data, &cfg, options, |p| report(None, p)).map_err(failed)?;
        Ok(TrainOutput { run, selection: None })
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> napi::Result<Self::JsValue> {
        let run = out.run;
        let t = &run.trained;
        let c = t.counts;
        Ok(TrainResult {
            onnx: t.onnx.clone().into(),
            report: run.report_json,
            markdown: run.markdown,
            arch: t.arch.name().into(),
            seq: t.seq as u32,
            samples_per_sec: t.samples_per_sec,
            best_epoch: t.best_epoch as u32,
            counts: TrainCounts {
                train: c.train as u32,
                val: c.val as u32,
                test: c.test as u32,
                dropped_boundary: c.dropped_boundary as u32,
                rows: run.rows.iter().map(|&n| n as u32).collect(),
            },
            selection: out.selection.as_ref().map(serde_json::to_string_pretty).transpose().map_err(failed)?,
            selection_markdown: out.selection.as_ref().map(core::select::markdown),
            candidates: out.selection.map(|s| {
                s.candidates
                    .iter()
                    .zip(s.models)
                    .map(|(c, m)| CandidateModel { name: c.name.into(), onnx: m.into() })
                    .collect()
            }),
        })
    }
}

fn arch(name: &str) -> napi::Result<ArchKind> {
    ArchKind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
        bad_arg(format!("unknown arch '{name}' (expected mlp, lstm, transformer, logistic, ensemble or select)"))
    })
}

fn seed(o: &TrainOptions) -> napi::Result<Option<u64>> {
    match o.seed {
        Some(s) if !(s.is_finite() && s >= 0.0 && s.fract() == 0.0 && s <= 9_007_199_254_740_991.0) => {
            Err(bad_arg(format!("seed must be a non-negative integer, got {s}")))
        }
        s => Ok(s.map(|s| s as u64)),
    }
}

fn config(o: &TrainOptions) -> napi::Result<TrainConfig> {
    let mut cfg = match &o.config {
        Some(json) => serde_json::from_str(json).map_err(|e| bad_arg(format!("config: {e}")))?,
        None => {
            let kind = arch(o.arch.as_deref().ok_or_else(|| bad_arg("give an arch or a config"))?)?;
            if o.tiny.unwrap_or(false) {
                TrainConfig::tiny(kind)
            } else {
                TrainConfig::new(ArchConfig::reference(kind))
            }
        }
    };
    if let Some(s) = seed(o)? {
        cfg.seed = s;
    }
    if let Some(e) = o.epochs {
        cfg.max_epochs = e as usize;
    }
    if let Some(p) = o.patience {
        cfg.patience = p as usize;
    }
    if let Some(b) = o.batch_size {
        cfg.batch_size = b as usize;
    }
    if let Some(lr) = o.lr {
        cfg.lr = lr;
    }
    cfg.check().map_err(failed)?;
    Ok(cfg)
}

/// Trains on recordings on the libuv thread pool; rejects with the core's message on bad
/// options, unreadable data or too few samples.
// napi types an AsyncTask as Promise<unknown>; say what it resolves with.
#[napi(catch_unwind, ts_return_type = "Promise<TrainResult>")]
pub fn train_model(
    options: TrainOptions,
    // Spelled out, not `ProgressFn`: napi writes the Rust type name into index.d.ts.
    on_progress: Option<ThreadsafeFunction<TrainProgress, Unknown<'static>, TrainProgress, Status, false>>,
) -> AsyncTask<TrainTask> {
    AsyncTask::new(TrainTask { options, progress: on_progress })
}

/// One part of a recording's walk-forward split: the times of its first and last samples
/// (exchange ns, the recording's own clock) and how many samples it holds.
#[napi(object, object_from_js = false)]
pub struct SplitPart {
    pub first_ns: BigInt,
    pub last_ns: BigInt,
    pub samples: u32,
}

/// A recording's walk-forward parts (a part with no sample is absent).
#[napi(object, object_from_js = false)]
pub struct WalkForwardSplit {
    pub train: Option<SplitPart>,
    pub validation: Option<SplitPart>,
    pub test: Option<SplitPart>,
}

/// The walk-forward parts of one recording exactly as `trainModel` splits it (the default
/// split: 70 % train, 15 % validation, the rest test, 500 ms embargo; the 100 ms sample grid;
/// windows of `seq` rows, default 1): `flashmm compare --test-part` backtests the test part.
/// Reads the whole recording (about a second for six minutes of Binance data).
#[napi(catch_unwind)]
pub fn walk_forward_split(recording: String, seq: Option<u32>) -> napi::Result<WalkForwardSplit> {
    let seq = seq.unwrap_or(1);
    if seq == 0 {
        return Err(bad_arg("seq must be at least 1"));
    }
    let parts = core::walk_forward_parts(std::path::Path::new(&recording), seq as usize).map_err(failed)?;
    let part = |p: Option<core::PartSpan>| {
        p.map(|p| SplitPart { first_ns: p.first_ts.into(), last_ns: p.last_ts.into(), samples: p.samples as u32 })
    };
    Ok(WalkForwardSplit { train: part(parts.train), validation: part(parts.val), test: part(parts.test) })
}
