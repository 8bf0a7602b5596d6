//! Node-API binding of `flashmm-core`: conversions between JS values and core types, nothing
//! else. Every `#[napi]` item in the modules below is registered with the addon automatically.
//!
//! One module per exported concept (`version`, later `book`, `replay`, ...). Rules for every
//! module: no domain logic here (it belongs in the core), errors become JS exceptions via
//! `napi::Error` (never `unwrap`/`expect` on input from JS), and hot data crosses in batches as
//! typed arrays / Buffers.

#![deny(clippy::all)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod backtest;
mod book;
mod convert;
mod generator;
mod model;
mod replay;
mod sim_convert;
mod sim_venue;
mod spec;
mod train;
mod version;

pub use backtest::run_backtest;
pub use train::train_model;
pub use version::core_version;
