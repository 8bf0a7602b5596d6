//! The forecast source for one market: events in, the model's latest prediction out.

use std::path::Path;
use std::sync::Arc;

use super::onnx::Model;
use super::prediction::Prediction;
use super::predictor::Predictor;
use super::slot::ModelSlot;
use super::{ModelError, Result};
use crate::book::{L2Book, SequenceRule};
use crate::features::{DatasetConfig, FeatureStream, Fed, N_FEATURES, Sampling, StreamSink};
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

/// The [`StreamSink`] that fills the predictor's window.
#[derive(Debug)]
struct Window {
    predictor: Predictor,
    samples: u64,
}

impl StreamSink for Window {
    fn sample(&mut self, _t: i64, _m2: i64, features: &[f32; N_FEATURES]) {
        self.predictor.push(features);
        self.samples += 1;
    }

    fn reset(&mut self, _ts: i64) {
        self.predictor.clear();
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
        let step = slot.current().info().step_ns;
        Signal {
            stream: FeatureStream::with_book(book, Sampling::Interval(step), warmup_ns),
            window: Window { predictor: Predictor::from_slot(Arc::clone(&slot)), samples: 0 },
            slot,
        }
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

    /// The prediction on the latest window; `None` while not [ready](Self::is_ready).
    pub fn predict(&mut self) -> Result<Option<Prediction>> {
        if !self.is_ready() {
            return Ok(None);
        }
        match self.window.predictor.predict() {
            Ok(p) => Ok(Some(p)),
            // A reload to a longer window: not ready until it has refilled.
            Err(ModelError::NotReady { .. }) => Ok(None),
            Err(e) => Err(e),
        }
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
