//! Streaming features, labels and normalisation: the model's inputs, computed by the same
//! code in training and serving.
//!
//! **The feature table** (name, formula, window, units of all 64) is [`FEATURES`]; it is
//! rendered in `docs/features.md` (generated from [`FEATURES`], a test keeps the two
//! equal), which also explains the notation and the design.
//!
//! # Engine
//!
//! [`FeatureEngine`] keeps the 64 `f32` features current:
//! [`on_diff`](FeatureEngine::on_diff) after each applied depth diff (with its levels),
//! [`on_book`](FeatureEngine::on_book) after a snapshot or any change it cannot be told
//! level by level, [`on_trade`](FeatureEngine::on_trade) per public trade, and
//! [`advance_to`](FeatureEngine::advance_to) to move the clock without an event (sampling,
//! quote ticks). [`features`](FeatureEngine::features) is the vector as of
//! [`ts`](FeatureEngine::ts).
//!
//! * **Clock**: exchange timestamps (ns) of depth diffs and trades, as a running max: an
//!   event stamped before one already seen (trades and diffs come on different streams, up
//!   to ~170 ms apart on the recordings) counts at the clock. Windows `w` cover events
//!   stamped in `(t − w, t]`; time averages integrate the piecewise-constant book over the
//!   same interval (over the history, if shorter).
//! * **Cost**: O(1) per trade and per clock move; per depth diff O(levels in the diff) for
//!   the depth bands plus a walk of the best 10 levels per side. Nothing is allocated in
//!   steady state: windows are rings of events sized for 30 s of the busiest recording many
//!   times over (a burst beyond that grows them once; counted by
//!   [`ring_growths`](FeatureEngine::ring_growths)), the depth-band mirror is allocated at
//!   the first diff.
//! * **No drift**: window sums are differences of running cumulative sums in integers —
//!   lots, OFI, counts, and time integrals of `bid + ask`, `Qb + Qa` and the spread in
//!   `i128` tick·ns / lot·ns (wrapping arithmetic: a difference is exact even if a running
//!   sum wraps). Squared returns enter their sums in fixed point (2⁻³² bps², quantised
//!   once), so what leaves a window is exactly what entered it. The EWMA volatilities are
//!   the only floating-point recursions: a multiplicative decay whose relative error stays
//!   at machine precision.
//! * **Finite, always**: every ratio has a documented fallback (0 for an empty side or no
//!   trades, 1 lot for a zero depth); without a two-sided book every book feature is 0.
//!   On an invalid book (gap, crossed) the caller resets the engine
//!   ([`reset`](FeatureEngine::reset)) and feeds the resynced book with `on_book`.
//!
//! # Labels, datasets, normalisation
//!
//! [`label_mid_direction`] and [`MidPath`]: direction of the mid 100/200/500 ms ahead, flat
//! = unchanged mid (see [`labels`]). [`DatasetBuilder`] / [`dataset_from_binance_file`]
//! replay a recording into rows and labels (see [`dataset`]). [`Normalizer`]: z-scores
//! fitted on training rows, stored as JSON with the model, clipped to ±10.

mod bands;
pub mod dataset;
mod engine;
pub mod labels;
mod normalize;
mod ring;
pub mod stream;
mod table;

pub use bands::BANDS_BPS;
pub use dataset::{Dataset, DatasetBuilder, DatasetConfig, DatasetStats, Sampling, dataset_from_binance_file};
pub use engine::{EWMA_HALF_LIVES_NS, FeatureEngine, R2_SCALE, TIME_SINCE_CAP_NS, WINDOWS_NS};
pub use labels::{Direction, HORIZONS_NS, MidPath, N_HORIZONS, NoLabel, label_mid_direction};
pub use normalize::{DEFAULT_CLIP, DEFAULT_STD_FLOOR, NormalizeError, Normalizer};
pub use stream::{FeatureStream, Fed, StreamSink};
pub use table::{FEATURES, Feature, FeatureSpec, N_FEATURES, feature_index, feature_names, markdown_table};
