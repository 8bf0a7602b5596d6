//! Shared conversions: JS numbers to exact integers, bigint ns, core errors to coded JS errors.

use std::fmt::Display;

use flashmm_core::book::{self as core, exact_integer};
use flashmm_core::error::ErrorCode;
use napi::bindgen_prelude::BigInt;

use crate::error::{Error, Result, coded};

/// A JS value that does not convert (`INVALID_ARGUMENT`), with the message given.
pub fn invalid_arg(e: impl Display) -> Error {
    crate::error::bad_arg(e)
}

/// A core error as a JS error: the core's message, its stable code.
pub fn core_err<E: ErrorCode + Display>(e: E) -> Error {
    coded(e.code(), &e)
}

/// An exact non-negative integer id (update id, order id) from a JS number.
pub fn id(value: f64, what: &'static str) -> Result<u64> {
    let n = exact_integer(value, what, "ids", 0).map_err(core_err)?;
    u64::try_from(n).map_err(|_| invalid_arg(format!("{what} = {value} must not be negative")))
}

/// Ticks or lots from a JS number; NaN, fractions and values past 2^53 are errors.
pub fn ticks(value: f64, what: &'static str) -> Result<i64> {
    exact_integer(value, what, "ticks", 0).map_err(core_err)
}

pub fn lots(value: f64, what: &'static str) -> Result<i64> {
    exact_integer(value, what, "lots", 0).map_err(core_err)
}

/// ns from a JS bigint (the i64 range).
pub fn ns(value: &BigInt, what: &str) -> Result<i64> {
    match value.get_i64() {
        (v, true) => Ok(v),
        _ => Err(invalid_arg(format!("{what} is out of the i64 ns range"))),
    }
}

/// Money (an i128 of money units) from a JS bigint.
pub fn money(value: &BigInt, what: &str) -> Result<i128> {
    match value.get_i128() {
        (v, true) => Ok(v),
        _ => Err(invalid_arg(format!("{what} is out of the money range (i128)"))),
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
