//! Loading an ONNX model with tract: decode, check the contract, type, optimise, plan.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use prost::Message;
use tract_onnx::pb;
use tract_onnx::prelude::*;

use super::contract::{ContractError, ModelInfo, check_output_shape, check_proto};
use super::fused;
use super::native::{self, Program, Runner};
use super::prediction::Prediction;
use super::{ModelError, N_CLASSES, OUTPUT_NAME, Result};
use crate::features::{N_FEATURES, feature_names};

type Plan = TypedSimplePlan<TypedModel>;
/// tract's per-run state of a batch-1 plan: node values, op states (an LSTM's scan keeps its
/// body's state here), scratch space.
type State = TypedSimpleState<TypedModel, Arc<Plan>>;

/// A loaded model that meets the contract, ready to run. Immutable and `Send + Sync`:
/// share it behind an `Arc` (see [`ModelSlot`](super::ModelSlot)).
#[derive(Debug)]
pub struct Model {
    info: ModelInfo,
    /// Concretised to batch 1 and optimised: the quote-tick path. Shared with the
    /// [`Session`]s that run it.
    plan1: Arc<Plan>,
    /// Symbolic batch, optimised; None when the batch is fixed at 1 or tract could not
    /// optimise the graph for a symbolic batch (batches then run item by item on `plan1`).
    plan_batch: Option<Plan>,
    /// The graph lowered for the batch-1 evaluator, when it could be (see [`Evaluator`]).
    native: Option<Arc<Program>>,
    evaluator: Evaluator,
}

/// What runs a [`Session`]'s batch-1 predictions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evaluator {
    /// The graph lowered to fixed-size steps at load (`native/`): no per-node allocation or
    /// bookkeeping. Checked against tract at load on probe windows.
    Native,
    /// tract's batch-1 plan, and why the evaluator does not serve this graph (an operator or
    /// a form of one it does not lower, or a disagreement with tract on the probe).
    Tract(String),
}

/// Largest difference of a native logit from tract's the loader accepts on its probe
/// windows, relative to `max(1, |logit|)`: rounding differs (summation order, FMA), a
/// lowering error does not stay this small.
const PROBE_TOLERANCE: f32 = 1e-4;

fn tract_err(e: impl std::fmt::Display) -> ModelError {
    ModelError::Tract(format!("{e:#}"))
}

fn run_err(e: impl std::fmt::Display) -> ModelError {
    ModelError::Run(format!("{e:#}"))
}

/// Refuses non-finite inputs (`x`: windows of raw features, row-major).
fn check_finite(x: &[f32]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => {
            let feature = i % N_FEATURES;
            Err(ModelError::NonFiniteInput {
                row: i / N_FEATURES,
                feature,
                name: feature_names()[feature],
                value: x[i],
            })
        }
    }
}

/// The prediction of one window's logits; a non-finite logit is an error.
fn prediction(logits: &[f32]) -> Result<Prediction> {
    Prediction::from_logits(logits).map_err(|horizon| ModelError::NonFinite { horizon })
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".into())
}

/// Output dims of a typed fact: `Some(n)` where concrete, plus a printable shape.
fn fact_dims(fact: &TypedFact) -> (Vec<Option<usize>>, String) {
    let dims: Vec<Option<usize>> = fact.shape.iter().map(|d| d.as_i64().map(|v| v as usize)).collect();
    let shape = format!("[{}]", fact.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
    (dims, shape)
}

impl Model {
    /// Reads and loads an ONNX file (see [`Model::from_bytes`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(&bytes)
    }

    /// Decodes ONNX bytes, checks the contract (before any optimisation), and builds the
    /// plans. Any failure is an `Err`, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            return Err(ModelError::Corrupt("empty input".into()));
        }
        let proto = pb::ModelProto::decode(bytes).map_err(|e| ModelError::Corrupt(e.to_string()))?;
        let checked = check_proto(&proto)?;
        // tract is written to return errors, but a hostile or corrupt graph can still reach
        // an `unwrap`/index panic deep in its parser or shape inference; a model file must
        // never take the daemon down, so a panic here is turned into an error. Nothing
        // escapes the closure but its result, so no broken state is observed afterwards.
        match catch_unwind(AssertUnwindSafe(|| Self::build(&proto, checked.info, checked.declared_horizons))) {
            Ok(r) => r,
            Err(p) => Err(ModelError::Tract(format!("tract panicked: {}", panic_message(p)))),
        }
    }

    fn build(proto: &pb::ModelProto, mut info: ModelInfo, declared_horizons: Option<usize>) -> Result<Self> {
        let mut onnx = tract_onnx::onnx();
        fused::register(&mut onnx.op_register);
        let model = onnx
            .model_for_proto_model(proto)
            .map_err(tract_err)?
            // Only `logits` is computed; other outputs the exporter left are ignored.
            .with_output_names([OUTPUT_NAME])
            .map_err(tract_err)?;
        let seq = info.seq;

        let fact1: InferenceFact = f32::fact([1, seq, N_FEATURES]).into();
        let typed1 = model.clone().with_input_fact(0, fact1).map_err(tract_err)?.into_typed().map_err(tract_err)?;
        let out = typed1.output_fact(0).map_err(tract_err)?;
        if out.datum_type != f32::datum_type() {
            return Err(ContractError::OutputDtype { found: format!("{:?}", out.datum_type) }.into());
        }
        let (dims, shape) = fact_dims(out);
        check_output_shape(&mut info, &dims, &shape)?;
        if let Some(h) = declared_horizons
            && h != info.horizons
        {
            return Err(
                ContractError::OutputShape { shape: format!("{shape} (the graph declares {h} horizons)") }.into()
            );
        }
        let plan1 = Arc::new(typed1.into_optimized().map_err(tract_err)?.into_runnable().map_err(tract_err)?);

        let plan_batch = if info.dynamic_batch { Self::batch_plan(model, seq, info.horizons) } else { None };
        let mut model = Model { info, plan1, plan_batch, native: None, evaluator: Evaluator::Tract(String::new()) };
        // A model that loads is one a predictor can run: its run state builds.
        model.tract_session()?;
        match native::lower(proto, seq).and_then(|p| model.probe(Arc::new(p))) {
            Ok(p) => (model.native, model.evaluator) = (Some(p), Evaluator::Native),
            Err(why) => model.evaluator = Evaluator::Tract(why),
        }
        Ok(model)
    }

    /// `prog` if it computes tract's logits (within [`PROBE_TOLERANCE`]) on probe windows:
    /// zeros, and raw-feature-like values (the benches' formula, at two scales).
    fn probe(&self, prog: Arc<Program>) -> std::result::Result<Arc<Program>, String> {
        let mut runner = Runner::new(Arc::clone(&prog));
        let mut tract = self.tract_session().map_err(|e| e.to_string())?;
        let want = self.horizons() * N_CLASSES;
        for scale in [0.0f64, 3.0, 300.0] {
            let fill = |x: &mut [f32]| {
                x.iter_mut().enumerate().for_each(|(i, v)| *v = ((i as f64 * 12.9898).sin() * scale) as f32);
            };
            fill(runner.input_mut());
            let ours = runner.run()?;
            let theirs = tract.tract_logits(fill).map_err(|e| e.to_string())?;
            if ours.len() != want || theirs.len() != want {
                return Err(format!("the evaluator gives {} logits, tract {}", ours.len(), theirs.len()));
            }
            for (a, b) in ours.iter().zip(&theirs) {
                // Written so that a NaN on either side is a disagreement.
                let close = (a - b).abs() <= PROBE_TOLERANCE * b.abs().max(1.0);
                if !close {
                    return Err(format!("the evaluator gives {a}, tract {b} on a probe window"));
                }
            }
        }
        Ok(prog)
    }

    /// A plan with a symbolic batch, if tract can type and optimise one whose output is
    /// `[batch, horizons, 3]`. Failure is not an error: batches fall back to batch 1.
    fn batch_plan(model: InferenceModel, seq: usize, horizons: usize) -> Option<Plan> {
        let b = model.symbols.sym("batch");
        let fact: InferenceFact = f32::fact([b.to_dim(), seq.to_dim(), N_FEATURES.to_dim()]).into();
        let typed = model.with_input_fact(0, fact).ok()?.into_typed().ok()?;
        let out = typed.output_fact(0).ok()?;
        let ok = out.shape.len() == 3
            && out.shape[0] == b.to_dim()
            && out.shape[1].as_i64() == Some(horizons as i64)
            && out.shape[2].as_i64() == Some(N_CLASSES as i64);
        if !ok {
            return None;
        }
        typed.into_optimized().ok()?.into_runnable().ok()
    }

    /// What the model declares.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Feature vectors per window.
    pub fn seq(&self) -> usize {
        self.info.seq
    }

    /// Horizons per prediction.
    pub fn horizons(&self) -> usize {
        self.info.horizons
    }

    /// The batch-1 plan's nodes, one `name: op` per line (which kernels serve).
    pub fn describe_plan(&self) -> String {
        self.plan1.model().nodes.iter().map(|n| format!("{}: {}\n", n.name, n.op.name())).collect()
    }

    /// What runs batch-1 predictions ([`Session`]s).
    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    /// The evaluator's steps, one per line, when it serves this model.
    pub fn describe_native(&self) -> Option<String> {
        self.native.as_ref().map(|p| p.describe())
    }

    /// Whether batches run in one call (a symbolic-batch plan exists).
    pub fn has_batch_plan(&self) -> bool {
        self.plan_batch.is_some()
    }

    /// A run state for batch-1 predictions (see [`Session`]): the evaluator's when it
    /// serves this model, else tract's.
    pub fn session(&self) -> Result<Session> {
        match &self.native {
            Some(p) => Ok(Session { seq: self.info.seq, engine: Engine::Native(Runner::new(Arc::clone(p))) }),
            None => self.tract_session(),
        }
    }

    /// A run state on tract's batch-1 plan even when the evaluator serves the model: for
    /// cross-checks and benchmarks of the two.
    pub fn tract_session(&self) -> Result<Session> {
        Ok(Session { seq: self.info.seq, engine: Engine::Tract(TractRun::new(self)?) })
    }

    /// Predicts on one window (`seq` vectors, oldest first) with a fresh run state. The
    /// serving path keeps one ([`Session`], [`Predictor`](super::Predictor)).
    pub fn predict_window(&self, window: &[[f32; N_FEATURES]]) -> Result<Prediction> {
        self.session()?.predict_window(window)
    }

    fn check_window(&self, index: usize, w: &[[f32; N_FEATURES]]) -> Result<()> {
        if w.len() != self.info.seq {
            return Err(ModelError::WindowLength { index, len: w.len(), seq: self.info.seq });
        }
        Ok(())
    }

    /// Raw logits of `n` windows given flat (`[n, seq, 64]` row-major, `n ≥ 1`): `n · horizons
    /// · 3` values. For evaluation and cross-checks against other runtimes; serving uses
    /// [`Predictor::predict`](super::Predictor::predict).
    pub fn logits(&self, flat: &[f32]) -> Result<Vec<f32>> {
        let w = self.info.seq * N_FEATURES;
        if flat.is_empty() || !flat.len().is_multiple_of(w) {
            return Err(ModelError::WindowLength {
                index: flat.len() / w,
                len: flat.len() % w / N_FEATURES,
                seq: self.info.seq,
            });
        }
        check_finite(flat)?;
        let n = flat.len() / w;
        let run = |plan: &Plan, rows: usize, x: &[f32]| -> Result<Vec<f32>> {
            let t = Tensor::from_shape(&[rows, self.info.seq, N_FEATURES], x).map_err(tract_err)?;
            let out = plan.run(tvec![t.into_tvalue()]).map_err(run_err)?;
            Ok(out[0].as_slice::<f32>().map_err(run_err)?.to_vec())
        };
        let out = match &self.plan_batch {
            Some(plan) => run(plan, n, flat)?,
            None => {
                let mut out = Vec::with_capacity(n * self.info.horizons * N_CLASSES);
                for x in flat.chunks_exact(w) {
                    out.extend(run(self.plan1.as_ref(), 1, x)?);
                }
                out
            }
        };
        if out.len() != n * self.info.horizons * N_CLASSES {
            return Err(ModelError::Run(format!("{} logits for {n} windows", out.len())));
        }
        Ok(out)
    }

    /// Predicts on many windows (each `seq` vectors, oldest first): one run of the
    /// symbolic-batch plan if there is one, else one batch-1 run per window (see
    /// [`logits`](Self::logits)).
    pub fn predict_batch(&self, windows: &[&[[f32; N_FEATURES]]]) -> Result<Vec<Prediction>> {
        for (i, w) in windows.iter().enumerate() {
            self.check_window(i, w)?;
        }
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let flat: Vec<f32> = windows.iter().flat_map(|w| w.as_flattened()).copied().collect();
        self.logits(&flat)?.chunks_exact(self.info.horizons * N_CLASSES).map(prediction).collect()
    }
}

/// One model's batch-1 run state, kept across predictions: the evaluator's buffers (every
/// value of the graph, allocated once), or tract's `SimpleState` (node values, op states,
/// scratch space) and the `[1, seq, 64]` input tensor. Not shared: each serving thread (each
/// [`Predictor`](super::Predictor)) owns one.
pub struct Session {
    seq: usize,
    engine: Engine,
}

// One per session, made once and kept: the size of the larger variant costs nothing per call,
// where a box would add an indirection to every predict.
#[allow(clippy::large_enum_variant)]
enum Engine {
    Native(Runner),
    Tract(TractRun),
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match self.engine {
            Engine::Native(_) => "native",
            Engine::Tract(_) => "tract",
        };
        f.debug_struct("Session").field("seq", &self.seq).field("engine", &engine).finish_non_exhaustive()
    }
}

/// tract's run state of the batch-1 plan and its input.
struct TractRun {
    state: State,
    /// Overwritten in place each run; handed to tract as a shared constant and taken back
    /// from the state's input map afterwards, so this is its only owner between runs.
    input: Arc<Tensor>,
}

// SAFETY: `SimpleState` is `!Send` because it *may* hold `Rc`-backed values (`TValue::Var`)
// and boxed op states without a `Send` bound. A `TractRun` owns its state exclusively, never
// hands out a value that outlives a run (outputs are read and converted before `run`
// returns, then `reset_turn` drops every node value and the input map is emptied), so no
// `Rc` it contains has a clone outside it: moving the whole run state to another thread
// moves every handle at once, which is sound. tract's thread-local scratch is per thread and
// re-synchronised by generation on first use on a new thread. Not `Sync`: running needs
// `&mut self`.
unsafe impl Send for TractRun {}

impl TractRun {
    fn new(model: &Model) -> Result<Self> {
        let state = State::new(Arc::clone(&model.plan1)).map_err(tract_err)?;
        let input = Arc::new(Tensor::zero::<f32>(&[1, model.info.seq, N_FEATURES]).map_err(tract_err)?);
        Ok(TractRun { state, input })
    }

    /// Runs the plan on an input written by `fill`; `out` sees the logits.
    fn run<T>(
        &mut self,
        fill: impl FnOnce(&mut [f32]) -> Result<()>,
        out: impl FnOnce(&[f32]) -> Result<T>,
    ) -> Result<T> {
        let input = Arc::get_mut(&mut self.input).expect("a session's input has no other owner between runs");
        fill(input.as_slice_mut::<f32>().map_err(run_err)?)?;
        let outcome = self.exec(out);
        // Whatever happened, leave no value behind: the next run starts clean and the input
        // is uniquely owned again.
        let reset = self.state.reset_turn().map_err(run_err);
        self.state.session_state.inputs.clear();
        let p = outcome?;
        reset?;
        Ok(p)
    }

    fn exec<T>(&mut self, out: impl FnOnce(&[f32]) -> Result<T>) -> Result<T> {
        self.state.set_input(0, TValue::Const(Arc::clone(&self.input))).map_err(run_err)?;
        self.state.exec().map_err(run_err)?;
        out(self.state.output(0).map_err(run_err)?.as_slice::<f32>().map_err(run_err)?)
    }
}

impl Session {
    /// Feature vectors per window.
    pub fn seq(&self) -> usize {
        self.seq
    }

    /// Runs the model on an input written by `fill` (`seq · 64` values, oldest row first).
    pub(crate) fn run_with(&mut self, fill: impl FnOnce(&mut [f32])) -> Result<Prediction> {
        let checked_fill = |x: &mut [f32]| {
            fill(x);
            check_finite(x)
        };
        match &mut self.engine {
            Engine::Native(r) => {
                checked_fill(r.input_mut())?;
                prediction(r.run().map_err(ModelError::Run)?)
            }
            Engine::Tract(t) => t.run(checked_fill, prediction),
        }
    }

    /// tract's logits on an input written by `fill` (the loader's probe of the evaluator).
    fn tract_logits(&mut self, fill: impl FnOnce(&mut [f32])) -> Result<Vec<f32>> {
        match &mut self.engine {
            Engine::Tract(t) => t.run(
                |x| {
                    fill(x);
                    Ok(())
                },
                |l| Ok(l.to_vec()),
            ),
            Engine::Native(_) => Err(ModelError::Run("not a tract session".into())),
        }
    }

    /// Predicts on one window (`seq` vectors, oldest first).
    pub fn predict_window(&mut self, window: &[[f32; N_FEATURES]]) -> Result<Prediction> {
        if window.len() != self.seq {
            return Err(ModelError::WindowLength { index: 0, len: window.len(), seq: self.seq });
        }
        self.run_with(|dst| dst.copy_from_slice(window.as_flattened()))
    }
}

// The slot shares models across threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Model>();
};
