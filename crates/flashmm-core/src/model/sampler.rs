//! Feeding the predictor on the dataset's exchange-time grid, so the windows served are
//! made of exactly the rows the model was trained on.

use super::predictor::Predictor;
use crate::features::{FeatureEngine, N_FEATURES};

/// Most grid steps [`GridSampler::on_event_engine`] walks the engine through one by one
/// (10⁵ × 100 ms ≈ 2.8 h); a longer jump (a bad timestamp) only visits the window's tail.
pub const MAX_ADVANCE_STEPS: u64 = 100_000;

/// Grid times crossed by one event: `first, first + step, …` (`count` of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridPoints {
    pub first: i64,
    pub count: u64,
    pub step: i64,
}

impl GridPoints {
    /// The last grid time crossed (None if none).
    pub fn last(&self) -> Option<i64> {
        (self.count > 0).then(|| self.first + (self.count as i64 - 1) * self.step)
    }

    /// The crossed times, in order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + use<> {
        let (first, step) = (self.first, self.step);
        (0..self.count).map(move |k| first + k as i64 * step)
    }

    /// The last `n` crossed times (only they can still be in a window of `n`).
    fn tail(&self, n: usize) -> GridPoints {
        let skip = self.count.saturating_sub(n as u64);
        GridPoints { first: self.first + skip as i64 * self.step, count: self.count - skip, step: self.step }
    }
}

/// The [`DatasetBuilder`](crate::features::DatasetBuilder)'s grid rule, streaming: grid
/// times are multiples of `step_ns` since the epoch; the sample at grid time `g` is taken
/// when the first event stamped after `g` arrives, before that event is applied, with the
/// engine advanced to `g`.
///
/// Call it with each event the engine is fed (depth diffs and trades; not book tickers,
/// which the dataset's clock ignores) **before** applying the event. The clock is a running
/// max, as the engine's: an event stamped earlier than one seen counts at the clock.
/// Timestamps `≤ 0` are untimed and ignored (the dataset does the same). The first timed
/// event starts the grid at the first multiple of `step_ns` at or after it.
///
/// Unlike the dataset, the sampler has no warm-up and does not know about book validity:
/// on a resync, [`Predictor::clear`] the window (the dataset also restarts after one).
#[derive(Clone, Copy, Debug)]
pub struct GridSampler {
    step_ns: i64,
    clock: i64,
    next: Option<i64>,
}

impl GridSampler {
    /// A grid of `step_ns` (the model's [`ModelInfo::step_ns`](super::ModelInfo::step_ns)).
    /// Panics if `step_ns ≤ 0`, as the dataset builder does.
    pub fn new(step_ns: i64) -> Self {
        assert!(step_ns > 0, "grid step must be positive");
        GridSampler { step_ns, clock: 0, next: None }
    }

    pub fn step_ns(&self) -> i64 {
        self.step_ns
    }

    /// The next grid time not yet sampled (None before the first timed event).
    pub fn next_grid(&self) -> Option<i64> {
        self.next
    }

    /// Advances the clock to an event stamped `ts_ns`; returns the grid times it crosses
    /// (all `g < clock` not sampled yet). O(1) however long the gap.
    pub fn cross(&mut self, ts_ns: i64) -> GridPoints {
        let step = self.step_ns;
        let ts = self.clock.max(ts_ns);
        let none = GridPoints { first: 0, count: 0, step };
        if ts <= 0 {
            return none;
        }
        self.clock = ts;
        let g = *self.next.get_or_insert_with(|| ts.div_euclid(step) * step + if ts.rem_euclid(step) == 0 { 0 } else { step });
        if g >= ts {
            return none;
        }
        let count = ((ts - g + step - 1) / step) as u64;
        self.next = Some(g + count as i64 * step);
        GridPoints { first: g, count, step }
    }

    /// Exact serving of the dataset's rows: for each grid time crossed by an event stamped
    /// `ts_ns`, advances `engine` to it and pushes its features. Call before feeding the
    /// event to the engine. Returns the grid times crossed; only the last `seq` are pushed
    /// (older ones would leave the window at once).
    ///
    /// The engine is advanced through every crossed grid time, as the dataset does: the
    /// EWMA decays are applied per step, and skipping steps would change their rounding.
    /// Beyond [`MAX_ADVANCE_STEPS`] (a clock jump of hours) only the last `seq` are visited.
    pub fn on_event_engine(&mut self, ts_ns: i64, engine: &mut FeatureEngine, predictor: &mut Predictor) -> GridPoints {
        let pts = self.cross(ts_ns);
        let tail = pts.tail(predictor.seq());
        let visit = if pts.count > MAX_ADVANCE_STEPS { tail } else { pts };
        for g in visit.iter() {
            engine.advance_to(g);
            if g >= tail.first {
                predictor.push(engine.features());
            }
        }
        pts
    }

    /// Pushes `features_before_event` once per grid time crossed (at most `seq` times).
    /// This equals the dataset's rows only for features that do not move with the clock:
    /// the dataset advances the engine to each grid time, which decays windowed and
    /// time-since features. Prefer [`on_event_engine`](Self::on_event_engine) when the
    /// engine is at hand.
    pub fn on_event(&mut self, ts_ns: i64, features_before_event: &[f32; N_FEATURES], predictor: &mut Predictor) -> GridPoints {
        let pts = self.cross(ts_ns);
        for _ in 0..pts.tail(predictor.seq()).count {
            predictor.push(features_before_event);
        }
        pts
    }

    /// Forgets the clock and the grid (after a resync; the next timed event restarts it).
    pub fn reset(&mut self) {
        self.clock = 0;
        self.next = None;
    }
}
