//! Market generators: synthetic markets for studies, backtests and the embedded venue.
//!
//! * [`as2008`]: the market of Avellaneda & Stoikov (2008), section 3.3 (a mid that steps
//!   ±σ√dt and fills at `A·exp(−k·δ)·dt` per step), with the inventory and symmetric
//!   strategies and the study of the paper's Tables 1–3 (see `docs/as2008.md`).
//! * [`zi`]: a zero-intelligence stochastic limit order book (Poisson limit orders,
//!   cancellations and market orders) on any tick and lot grid, emitting core market events
//!   ([`crate::replay::EventBatch`]) incrementally, in real time if wanted: the live market
//!   of the embedded simulated venue.
//!
//! Both are deterministic for a seed: their random numbers come from PCG-64 (`rand_pcg`), a
//! specified generator, so a seed gives the same numbers on every platform.

pub mod as2008;
pub mod zi;

pub use as2008::{AsParams, AsStrategy, AsTiming, PAPER_TABLES, PathOutcome, StudyRow, Summary, study};
pub use zi::{ZiError, ZiGenerator, ZiParams, ZiStats};
