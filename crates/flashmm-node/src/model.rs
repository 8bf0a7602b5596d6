//! Models, the live signal and the feature stream for JS. Conversions only: loading,
//! contract checks, sampling and inference are the core's (`flashmm_core::model`).

use std::sync::Arc;

use flashmm_core::book::SequenceRule;
use flashmm_core::features::{DatasetConfig, FeatureStream, N_FEATURES, StreamSink, feature_names};
use flashmm_core::model::{self as core, ModelSlot};
use napi::bindgen_prelude::{Buffer, Float32Array, Float32ArraySlice};
use napi_derive::napi;

use crate::convert::{core_err, invalid_arg};
use crate::error::{Result, guard};
use crate::replay::EventBatch;

/// One prediction: per horizon (shortest first) `[down, flat, up]` probabilities, the
/// confidence `1 − H(p)/ln 3`, and `p_up − p_down`.
#[napi(object)]
pub struct Prediction {
    pub probs: Vec<Vec<f64>>,
    pub confidence: Vec<f64>,
    /// The shortest horizon's confidence (the one the quote loop acts on).
    pub overall_confidence: f64,
    pub expected_move: Vec<f64>,
}

impl From<core::Prediction> for Prediction {
    fn from(p: core::Prediction) -> Self {
        Self {
            probs: p.probs().iter().map(|r| r.iter().map(|&x| x as f64).collect()).collect(),
            confidence: p.confidence().iter().map(|&c| c as f64).collect(),
            overall_confidence: p.overall_confidence() as f64,
            expected_move: (0..p.horizons()).map(|h| p.expected_move(h) as f64).collect(),
        }
    }
}

fn rule(name: &str) -> Result<SequenceRule> {
    SequenceRule::parse(name).ok_or_else(|| {
        invalid_arg(format!("unknown sequence rule '{name}' (expected binance-spot, binance-futures, strict or none)"))
    })
}

/// `warmupMs` in ns (default the dataset's warm-up).
fn warmup_ns(warmup_ms: Option<f64>) -> Result<i64> {
    match warmup_ms {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok((ms * 1e6).round() as i64),
        Some(ms) => Err(invalid_arg(format!("warmupMs must be a non-negative number, got {ms}"))),
        None => Ok(DatasetConfig::default().warmup_ns),
    }
}

/// `n` windows of `seq × 64` floats as row slices (a length mismatch is an error).
fn split_windows(data: &[f32], n: u32, seq: usize) -> Result<Vec<&[[f32; N_FEATURES]]>> {
    let want = n as usize * seq * N_FEATURES;
    if data.len() != want {
        return Err(invalid_arg(format!(
            "expected {n} windows of {seq} × {N_FEATURES} = {want} floats, got {}",
            data.len()
        )));
    }
    let (rows, _) = data.as_chunks::<N_FEATURES>();
    Ok(rows.chunks_exact(seq.max(1)).collect())
}

/// A loaded ONNX model that meets the FlashMM contract, with its batch-1 run state.
#[napi]
pub struct Model {
    inner: Arc<core::Model>,
    session: core::Session,
}

impl Model {
    fn new(model: core::Model) -> Result<Self> {
        let session = model.session().map_err(core_err)?;
        Ok(Self { inner: Arc::new(model), session })
    }
}

#[napi]
impl Model {
    /// Reads and checks an ONNX file; throws naming what is wrong.
    #[napi(factory)]
    pub fn load(path: String) -> Result<Self> {
        guard(|| Self::new(core::Model::load(&path).map_err(core_err)?))
    }

    #[napi(factory)]
    pub fn from_buffer(bytes: Buffer) -> Result<Self> {
        guard(|| Self::new(core::Model::from_bytes(&bytes).map_err(core_err)?))
    }

    /// Feature vectors per window.
    #[napi(getter, catch_unwind)]
    pub fn seq(&self) -> u32 {
        self.inner.seq() as u32
    }

    /// Horizon of each output row, ns (empty when the model does not declare them).
    #[napi(getter, catch_unwind)]
    pub fn horizons(&self) -> Vec<f64> {
        self.inner.info().horizons_ns.as_deref().unwrap_or_default().iter().map(|&h| h as f64).collect()
    }

    /// `flashmm.arch`, or null when the exporter did not say.
    #[napi(getter, catch_unwind)]
    pub fn arch(&self) -> Option<String> {
        self.inner.info().arch.clone()
    }

    /// Exchange-time spacing of the window's rows, ns.
    #[napi(getter, catch_unwind)]
    pub fn step_ns(&self) -> f64 {
        self.inner.info().step_ns as f64
    }

    /// The 64 input features in order.
    #[napi(getter, catch_unwind)]
    pub fn feature_names(&self) -> Vec<&'static str> {
        feature_names().to_vec()
    }

    /// One window, `seq × 64` raw features, oldest row first.
    #[napi]
    pub fn predict(&mut self, window: Float32ArraySlice) -> Result<Prediction> {
        guard(|| {
            let w = split_windows(&window, 1, self.inner.seq())?;
            Ok(self.session.predict_window(w[0]).map_err(core_err)?.into())
        })
    }

    /// One window as `predict`, the `[down, flat, up]` probabilities of each horizon written
    /// to `out` (`horizons × 3` floats, shortest horizon first): no JS object is created,
    /// for callers that predict on every tick.
    #[napi]
    pub fn predict_into(&mut self, window: Float32ArraySlice, mut out: Float32ArraySlice) -> Result<()> {
        guard(|| {
            let w = split_windows(&window, 1, self.inner.seq())?;
            let p = self.session.predict_window(w[0]).map_err(core_err)?;
            let want = p.horizons() * 3;
            // SAFETY: the call is synchronous on the JS thread, so nothing else touches `out`'s
            // memory while it is written; its length is checked first.
            let dst = unsafe { out.as_mut() };
            if dst.len() != want {
                return Err(invalid_arg(format!("out must hold {want} floats (horizons × 3), got {}", dst.len())));
            }
            dst.copy_from_slice(p.probs().as_flattened());
            Ok(())
        })
    }

    /// `n` windows back to back (`n × seq × 64`), one call through the model.
    #[napi]
    pub fn predict_batch(&self, windows: Float32ArraySlice, n: u32) -> Result<Vec<Prediction>> {
        guard(|| {
            let w = split_windows(&windows, n, self.inner.seq())?;
            Ok(self.inner.predict_batch(&w).map_err(core_err)?.into_iter().map(Prediction::from).collect())
        })
    }

    /// Raw logits of `n` windows, `[n, horizons, 3]` flat (cross-checks with other runtimes).
    #[napi]
    pub fn logits(&self, windows: Float32ArraySlice, n: u32) -> Result<Float32Array> {
        guard(|| {
            split_windows(&windows, n, self.inner.seq())?;
            Ok(Float32Array::new(self.inner.logits(&windows).map_err(core_err)?))
        })
    }
}

/// The forecast source of one market: feed it the market's events, ask for the latest
/// prediction. Rows are taken exactly as the training datasets take them.
#[napi]
pub struct Signal {
    inner: core::Signal,
}

#[napi]
impl Signal {
    /// `sequenceRule`: "binance-spot" | "binance-futures" | "strict" | "none";
    /// `warmupMs`: rows start this long after the book becomes valid (default the dataset's 30 s).
    #[napi(constructor)]
    pub fn new(model_path: String, sequence_rule: String, warmup_ms: Option<f64>) -> Result<Self> {
        guard(|| {
            let rule = rule(&sequence_rule)?;
            let slot = Arc::new(ModelSlot::load(&model_path).map_err(core_err)?);
            Ok(Self { inner: core::Signal::with_warmup(slot, rule, warmup_ns(warmup_ms)?) })
        })
    }

    /// Feeds every event of the batch, in order.
    #[napi(catch_unwind)]
    pub fn apply_batch(&mut self, batch: &EventBatch) {
        self.inner.push_batch(&batch.inner);
    }

    /// The prediction on the latest window, or null until the window is full and the book valid.
    #[napi]
    pub fn predict(&mut self) -> Result<Option<Prediction>> {
        guard(|| Ok(self.inner.predict().map_err(core_err)?.map(Prediction::from)))
    }

    /// Loads and checks `path`, then serves it; throws the reason and keeps the old model otherwise.
    #[napi]
    pub fn reload(&self, path: String) -> Result<()> {
        guard(|| self.inner.reload(&path).map(drop).map_err(core_err))
    }

    #[napi(getter, catch_unwind)]
    pub fn ready(&self) -> bool {
        self.inner.is_ready()
    }

    /// Successful reloads so far.
    #[napi(getter, catch_unwind)]
    pub fn generation(&self) -> f64 {
        self.inner.generation() as f64
    }

    /// Rows pushed into the window so far.
    #[napi(getter, catch_unwind)]
    pub fn samples(&self) -> f64 {
        self.inner.samples() as f64
    }

    /// Window length of the serving model.
    #[napi(getter, catch_unwind)]
    pub fn seq(&self) -> u32 {
        self.inner.model().seq() as u32
    }
}

/// Counts the rows a [`FeatureStream`] takes.
struct Count(u32);

impl StreamSink for Count {
    fn sample(&mut self, _t: i64, _m2: i64, _features: &[f32; N_FEATURES]) {
        self.0 += 1;
    }
}

/// The streaming feature engine behind the models, on the dataset's 100 ms grid.
#[napi]
pub struct FeatureEngine {
    inner: FeatureStream,
}

#[napi]
impl FeatureEngine {
    /// `sequenceRule` as for `Signal`; `warmupMs` as for `Signal`.
    #[napi(constructor)]
    pub fn new(sequence_rule: String, warmup_ms: Option<f64>) -> Result<Self> {
        guard(|| {
            let cfg = DatasetConfig::default();
            let warmup_ns = warmup_ns(warmup_ms)?;
            Ok(Self { inner: FeatureStream::new(rule(&sequence_rule)?, cfg.sampling, warmup_ns) })
        })
    }

    /// Feeds the batch; returns the grid rows taken (each one a dataset row).
    #[napi(catch_unwind)]
    pub fn apply_batch(&mut self, batch: &EventBatch) -> u32 {
        let mut n = Count(0);
        for e in batch.inner.iter() {
            self.inner.push(&e, &mut n);
        }
        n.0
    }

    /// The 64 features as of the last event (not advanced to a grid time).
    #[napi(getter, catch_unwind)]
    pub fn features(&self) -> Float32Array {
        Float32Array::new(self.inner.engine().features().to_vec())
    }

    /// Exchange clock, ns (0 before the first timed event).
    #[napi(getter, catch_unwind)]
    pub fn clock(&self) -> f64 {
        self.inner.clock() as f64
    }

    /// The 64 feature names, in the order of `features`.
    #[napi(catch_unwind)]
    pub fn names() -> Vec<&'static str> {
        feature_names().to_vec()
    }
}
