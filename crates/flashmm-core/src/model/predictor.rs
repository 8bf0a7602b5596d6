//! The serving predictor: a rolling window of the last `seq` feature vectors and the
//! model's batch-1 run state.

use std::sync::Arc;

use super::onnx::{Model, Session};
use super::prediction::Prediction;
use super::slot::ModelSlot;
use super::{ModelError, Result};
use crate::features::N_FEATURES;

/// Predicts on the latest window of feature vectors.
///
/// `push` and the window copy allocate nothing; the run state ([`Session`]: tract's state
/// and the input tensor) is built once per model, so a prediction allocates only the
/// graph's intermediate tensors. Bound to a [`ModelSlot`]
/// ([`Predictor::from_slot`]), it follows reloads: at each `predict` one atomic load tells
/// whether the slot swapped models. **Window across a reload**: the vectors are kept when
/// the new model has the same `seq`; otherwise the window is resized keeping the newest
/// `min(old, new)` vectors, and it is not ready until it holds `seq` of them again.
#[derive(Debug)]
pub struct Predictor {
    model: Arc<Model>,
    slot: Option<Arc<ModelSlot>>,
    /// The slot generation `model` came from.
    generation: u64,
    /// Ring of `seq` vectors; `head` is the next write position, `len` the vectors held.
    ring: Vec<[f32; N_FEATURES]>,
    head: usize,
    len: usize,
    /// `model`'s run state, built at the first prediction (and after each swap).
    session: Option<Session>,
}

impl Predictor {
    /// A predictor for a fixed model.
    pub fn new(model: Arc<Model>) -> Self {
        let seq = model.seq();
        Predictor {
            model,
            slot: None,
            generation: 0,
            ring: vec![[0.0; N_FEATURES]; seq],
            head: 0,
            len: 0,
            session: None,
        }
    }

    /// A predictor serving whatever model `slot` holds, following its reloads.
    pub fn from_slot(slot: Arc<ModelSlot>) -> Self {
        let (model, generation) = slot.current_with_generation();
        let mut p = Self::new(model);
        p.generation = generation;
        p.slot = Some(slot);
        p
    }

    /// The model predictions currently come from.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Window length the model needs.
    pub fn seq(&self) -> usize {
        self.ring.len()
    }

    /// Vectors in the window (at most `seq`).
    pub fn len(&self) -> usize {
        self.len
    }

    /// No vector pushed since creation or [`clear`](Self::clear).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The window is full: [`predict`](Self::predict) will run.
    pub fn is_ready(&self) -> bool {
        self.len == self.ring.len()
    }

    /// Empties the window (after a book resync: older vectors describe another regime).
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Appends the newest feature vector, dropping the oldest when full.
    #[inline]
    pub fn push(&mut self, features: &[f32; N_FEATURES]) {
        self.ring[self.head] = *features;
        self.head = if self.head + 1 == self.ring.len() { 0 } else { self.head + 1 };
        self.len = (self.len + 1).min(self.ring.len());
    }

    /// The window, oldest vector first.
    pub fn window(&self) -> impl Iterator<Item = &[f32; N_FEATURES]> {
        let n = self.ring.len();
        let start = (self.head + n - self.len) % n;
        (0..self.len).map(move |i| &self.ring[(start + i) % n])
    }

    /// Picks up a model swapped into the slot since the last call.
    fn sync(&mut self) {
        let Some(slot) = &self.slot else { return };
        if slot.generation() == self.generation {
            return;
        }
        let (model, generation) = slot.current_with_generation();
        self.generation = generation;
        self.session = None;
        let new_seq = model.seq();
        self.model = model;
        if new_seq != self.ring.len() {
            let keep: Vec<[f32; N_FEATURES]> = self.window().copied().collect();
            let keep = &keep[keep.len().saturating_sub(new_seq)..];
            self.ring = vec![[0.0; N_FEATURES]; new_seq];
            self.head = 0;
            self.len = 0;
            for v in keep {
                self.push(v);
            }
        }
    }

    /// Predicts on the current window at batch 1 (following a reload first, if any).
    pub fn predict(&mut self) -> Result<Prediction> {
        self.sync();
        if !self.is_ready() {
            return Err(ModelError::NotReady { have: self.len, seq: self.ring.len() });
        }
        // Built once per model (the loader checked that it can be).
        let session = match &mut self.session {
            Some(s) => s,
            empty => empty.insert(self.model.session()?),
        };
        let (ring, head) = (&self.ring, self.head);
        session.run_with(|dst| {
            // Full ring: the oldest vector is at `head`; two contiguous copies, oldest first.
            let split = (ring.len() - head) * N_FEATURES;
            dst[..split].copy_from_slice(ring[head..].as_flattened());
            dst[split..].copy_from_slice(ring[..head].as_flattened());
        })
    }

    /// Predicts on many windows (each `seq` vectors, oldest first) with the current model.
    pub fn predict_batch(&mut self, windows: &[&[[f32; N_FEATURES]]]) -> Result<Vec<Prediction>> {
        self.sync();
        self.model.predict_batch(windows)
    }
}

// A predictor may be moved to the thread that serves quotes (no `Rc` inside).
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<Predictor>();
};
