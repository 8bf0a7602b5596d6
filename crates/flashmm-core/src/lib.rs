//! FlashMM core: pure Rust, no I/O beyond reading recordings, no global state.

pub mod backtest;
pub mod book;
pub mod error;
pub mod features;
mod json;
pub mod ledger;
pub mod market;
pub mod market_gen;
#[cfg(feature = "ml")]
pub mod model;
pub mod money;
pub mod options;
pub mod replay;
pub mod sign;
pub mod sim;
pub mod spec;
pub mod stats;
#[cfg(feature = "ml")]
pub mod train;

/// Version of the core crate, exposed through the binding for diagnostics.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
