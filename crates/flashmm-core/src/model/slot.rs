//! Hot reload: the serving model behind an `Arc`, swapped only after a new file has
//! loaded and passed every check.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::Result;
use super::onnx::Model;

/// The current model, shared by readers and replaced by [`reload`](Self::reload).
///
/// Readers clone the `Arc` (a read lock held for one refcount increment); a
/// [`Predictor`](super::Predictor) bound to the slot only takes that lock when the
/// generation counter (one atomic load per prediction) says the model changed. A
/// prediction in flight keeps its model alive through its own `Arc`, so a swap never
/// interrupts one. (`arc-swap` would make the read lock-free; the lock is uncontended
/// except during the swap itself, so std suffices.)
#[derive(Debug)]
pub struct ModelSlot {
    current: RwLock<Arc<Model>>,
    /// Bumped under the write lock at each swap; readers compare it to what they hold.
    generation: AtomicU64,
}

impl ModelSlot {
    /// A slot serving `model` (generation 0).
    pub fn new(model: Model) -> Self {
        ModelSlot { current: RwLock::new(Arc::new(model)), generation: AtomicU64::new(0) }
    }

    /// A slot serving the model in `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Self::new(Model::load(path)?))
    }

    /// The serving model.
    pub fn current(&self) -> Arc<Model> {
        self.current_with_generation().0
    }

    /// The serving model and its generation, read together.
    pub fn current_with_generation(&self) -> (Arc<Model>, u64) {
        // A poisoned lock cannot hold a half-written value (the only write is one `Arc`
        // assignment), so its content is still valid.
        let g = self.current.read().unwrap_or_else(|e| e.into_inner());
        (Arc::clone(&g), self.generation.load(Ordering::Acquire))
    }

    /// Swaps counter: 0 at creation, +1 per successful reload or replace.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Loads and checks `path` completely, then swaps it in and returns it. On any error
    /// the old model keeps serving and the error is returned.
    pub fn reload(&self, path: impl AsRef<Path>) -> Result<Arc<Model>> {
        // Load outside the lock: it takes milliseconds, the swap nanoseconds.
        let model = Arc::new(Model::load(path)?);
        self.replace(Arc::clone(&model));
        Ok(model)
    }

    /// Serves `model` from now on; returns the model it replaces.
    pub fn replace(&self, model: Arc<Model>) -> Arc<Model> {
        let mut g = self.current.write().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::replace(&mut *g, model);
        self.generation.fetch_add(1, Ordering::AcqRel);
        old
    }
}
