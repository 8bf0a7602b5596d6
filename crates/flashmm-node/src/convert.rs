//! Shared conversions: JS numbers to exact integers, core errors to JS exceptions.

use std::fmt::Display;

use flashmm_core::book::{self as core, exact_integer};
use napi::{Error, Status};

/// A core error as a JS `Error` whose message is the core's.
pub fn invalid_arg(e: impl Display) -> Error {
    Error::new(Status::InvalidArg, e.to_string())
}

/// An exact non-negative integer id (update id, order id) from a JS number.
pub fn id(value: f64, what: &'static str) -> napi::Result<u64> {
    let n = exact_integer(value, what, "ids", 0).map_err(invalid_arg)?;
    u64::try_from(n).map_err(|_| invalid_arg(format!("{what} = {value} must not be negative")))
}

/// Ticks or lots from a JS number; NaN, fractions and values past 2^53 are errors.
pub fn ticks(value: f64, what: &'static str) -> napi::Result<i64> {
    exact_integer(value, what, "ticks", 0).map_err(invalid_arg)
}

pub fn lots(value: f64, what: &'static str) -> napi::Result<i64> {
    exact_integer(value, what, "lots", 0).map_err(invalid_arg)
}

/// JS-facing book side (a numeric enum: cheap to pass per call).
#[napi_derive::napi]
pub enum Side {
    Bid = 0,
    Ask = 1,
}

impl From<Side> for core::Side {
    fn from(s: Side) -> Self {
        match s {
            Side::Bid => core::Side::Bid,
            Side::Ask => core::Side::Ask,
        }
    }
}

impl From<core::Side> for Side {
    fn from(s: core::Side) -> Self {
        match s {
            core::Side::Bid => Side::Bid,
            core::Side::Ask => Side::Ask,
        }
    }
}

/// One price level: price in ticks, size in lots.
#[napi_derive::napi(object)]
pub struct Level {
    pub price: f64,
    pub size: f64,
}

impl From<core::Level> for Level {
    fn from(l: core::Level) -> Self {
        Self { price: l.price as f64, size: l.size as f64 }
    }
}
