//! The forecast source for one market: events in, the model's latest prediction out.

use std::path::Path;
use std::sync::Arc;

use super::onnx::Model;
use super::prediction::Prediction;
use super::predictor::Predictor;
use super::score::{ForecastLog, ForecastScorer, HorizonScore};
use super::slot::ModelSlot;
use super::{ModelError, Result};
use crate::book::{L2Book, SequenceRule};
use crate::features::{DatasetConfig, FeatureStream, Fed, HORIZONS_NS, N_FEATURES, Sampling, StreamSink};
use crate::replay::{BookReplay, Event, EventBatch};

/// Book, feature engine, grid sampling and predictor for one market, fed raw events.
///
/// Rows enter the window by the dataset's own code ([`FeatureStream`]): the same clock,
/// grid (the model's `step_ns`), warm-up after each (re)sync and engine steps, so the
/// windows served are the windows the model was trained and evaluated on. A rejected book
/// (gap, crossed) empties the window: older rows describe another regime, and the dataset
/// never builds a window across a resync either.
#[derive(Debug)]
pub struct Signal {
    stream: FeatureStream,
    slot: Arc<ModelSlot>,
    window: Window,
}

/// The [`StreamSink`] that fills the predictor's window and feeds the scorer the mid path.
#[derive(Debug)]
struct Window {
    predictor: Predictor,
    samples: u64,
    /// The latest row's time and best bid + best ask: what a forecast now is scored from.
    last_row: Option<(i64, i64)>,
    scorer: ForecastScorer,
    /// The model generation the scorer's horizons are those of.
    scored_generation: u64,
}

impl StreamSink for Window {
    fn sample(&mut self, t: i64, m2: i64, features: &[f32; N_FEATURES]) {
        self.predictor.push(features);
        self.samples += 1;
        self.last_row = Some((t, m2));
        self.scorer.row(t);
    }

    fn book(&mut self, ts: i64, m2: Option<i64>) {
        self.scorer.book(ts, m2);
    }

    fn reset(&mut self, ts: i64) {
        self.predictor.clear();
        self.last_row = None;
        self.scorer.invalid(ts);
    }
}

/// The horizons a model's output rows forecast: its `flashmm.horizons_ns`, else the dataset's
/// when it has as many rows (none scored otherwise).
fn horizons_of(model: &super::onnx::Model) -> Vec<i64> {
    let info = model.info();
    match &info.horizons_ns {
        Some(h) => h.clone(),
        None if info.horizons == HORIZONS_NS.len() => HORIZONS_NS.to_vec(),
        None => Vec::new(),
    }
}

impl Signal {
    /// Serves `slot`'s model with the dataset's default warm-up (30 s).
    pub fn new(slot: Arc<ModelSlot>, rule: SequenceRule) -> Self {
        Self::with_warmup(slot, rule, DatasetConfig::default().warmup_ns)
    }

    /// As [`new`](Self::new) with another warm-up (the dataset's must match for its rows to
    /// be the served rows).
    pub fn with_warmup(slot: Arc<ModelSlot>, rule: SequenceRule, warmup_ns: i64) -> Self {
        Self::with_book(slot, L2Book::new(rule), warmup_ns)
    }

    /// As [`with_warmup`](Self::with_warmup) on a book built by the caller: the market's one
    /// book ([`crate::market::MarketState`]).
    pub fn with_book(slot: Arc<ModelSlot>, book: L2Book, warmup_ns: i64) -> Self {
        let (model, generation) = slot.current_with_generation();
        let step = model.info().step_ns;
        let window = Window {
            predictor: Predictor::from_slot(Arc::clone(&slot)),
            samples: 0,
            last_row: None,
            scorer: ForecastScorer::new(&horizons_of(&model)),
            scored_generation: generation,
        };
        Signal { stream: FeatureStream::with_book(book, Sampling::Interval(step), warmup_ns), window, slot }
    }

    /// Loads `path` into a fresh slot and serves it.
    pub fn load(path: impl AsRef<Path>, rule: SequenceRule) -> Result<Self> {
        Ok(Self::new(Arc::new(ModelSlot::load(path)?), rule))
    }

    pub fn push(&mut self, e: &Event<'_>) -> Fed {
        self.stream.push(e, &mut self.window)
    }

    pub fn push_batch(&mut self, batch: &EventBatch) {
        for e in batch.iter() {
            self.push(&e);
        }
    }

    /// The window is full and the book valid and two-sided at the clock.
    pub fn is_ready(&self) -> bool {
        self.window.predictor.is_ready() && self.stream.can_sample(self.stream.clock())
    }

    /// The prediction on the latest window; `None` while not [ready](Self::is_ready). The
    /// first prediction on each row is scored once its horizons pass ([`Signal::scores`]).
    pub fn predict(&mut self) -> Result<Option<Prediction>> {
        if !self.is_ready() {
            return Ok(None);
        }
        match self.window.predictor.predict() {
            Ok(p) => {
                self.score(&p);
                Ok(Some(p))
            }
            // A reload to a longer window: not ready until it has refilled.
            Err(ModelError::NotReady { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn score(&mut self, p: &Prediction) {
        let w = &mut self.window;
        if self.slot.generation() != w.scored_generation {
            // A reload onto other horizons starts a new tally; the same horizons carry on.
            let (model, generation) = self.slot.current_with_generation();
            let horizons = horizons_of(&model);
            if !w.scorer.horizons_ns().eq(horizons.iter().copied()) {
                let old = std::mem::replace(&mut w.scorer, ForecastScorer::new(&horizons));
                w.scorer.carry_log(old);
            }
            w.scored_generation = generation;
        }
        if let Some((t, m2)) = w.last_row {
            w.scorer.forecast(t, m2, p);
        }
    }

    /// Per horizon of the serving model: forecasts made, scored right and wrong against the
    /// dataset's labels, and the rolling accuracy ([`super::score`]).
    pub fn scores(&self) -> &[HorizonScore] {
        self.window.scorer.scores()
    }

    /// The forecasts made and scored since the last drain ([`ForecastScorer::drain`]).
    pub fn drain_forecasts(&mut self) -> ForecastLog {
        self.window.scorer.drain()
    }

    /// Exchange time and best bid + best ask of the latest row: what a forecast now is
    /// scored from.
    pub fn last_row(&self) -> Option<(i64, i64)> {
        self.window.last_row
    }

    /// The latest row (the features of the newest window entry).
    pub fn latest_row(&self) -> Option<&[f32; N_FEATURES]> {
        self.window.predictor.window().last()
    }

    /// Loads and checks `path`, then serves it (the window carries over, see
    /// [`Predictor`]). On any error the current model keeps serving. A model on another
    /// grid step is refused: the window's rows are spaced by the current step.
    pub fn reload(&self, path: impl AsRef<Path>) -> Result<Arc<Model>> {
        let model = Model::load(path)?;
        let (new, current) = (model.info().step_ns, self.slot.current().info().step_ns);
        if new != current {
            return Err(ModelError::StepMismatch { new, current });
        }
        let model = Arc::new(model);
        self.slot.replace(Arc::clone(&model));
        Ok(model)
    }

    /// The serving model.
    pub fn model(&self) -> Arc<Model> {
        self.slot.current()
    }

    /// Successful reloads so far.
    pub fn generation(&self) -> u64 {
        self.slot.generation()
    }

    /// Rows pushed into the window since creation.
    pub fn samples(&self) -> u64 {
        self.window.samples
    }

    /// The window, oldest row first.
    pub fn window(&self) -> impl Iterator<Item = &[f32; N_FEATURES]> {
        self.window.predictor.window()
    }

    pub fn stream(&self) -> &FeatureStream {
        &self.stream
    }

    /// The book the features read, and its replay counters.
    pub fn replay(&self) -> &BookReplay {
        self.stream.replay()
    }

    pub(crate) fn book_mut(&mut self) -> &mut L2Book {
        self.stream.book_mut()
    }
}
