//! Node-API binding of `flashmm-core`: conversions between JS values and core types, nothing
//! else. Every `#[napi]` item in the modules below is registered with the addon automatically.
//!
//! One module per exported concept (`market`, `ledger`, `book`, `replay`, ...). Rules for every
//! module: no domain logic here (it belongs in the core), errors become JS exceptions with the
//! core error's stable `code` (`error.rs`; never `unwrap`/`expect` on input from JS), and hot
//! data crosses in batches as typed arrays / Buffers.

#![deny(clippy::all)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod backtest;
mod batch;
mod book;
mod cache;
mod convert;
mod defaults;
mod error;
mod forecast_log;
mod generator;
mod ledger;
mod market;
mod model;
mod record;
mod replay;
mod sei_block;
mod side;
mod signer;
mod sim_convert;
mod sim_venue;
mod spec;
mod train;
mod version;

pub use backtest::run_backtest;
pub use cache::convert_recording;
pub use defaults::{core_defaults, validate_market_options};
pub use ledger::{fee_for, notional};
pub use train::{train_model, walk_forward_split};
pub use version::core_version;
