//! Core errors as JS errors with a stable `code` (docs/market-state.md): callers branch on the
//! code, never on the message, which is the core's.

use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The `code` property of a thrown error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

pub type Error = napi::Error<Code>;
pub type Result<T> = std::result::Result<T, Error>;

/// An error with `code` and the message of `e`.
pub fn coded(code: &'static str, e: impl Display) -> Error {
    napi::Error::new(Code(code), e.to_string())
}

/// A JS value that does not convert: `INVALID_ARGUMENT`.
pub fn bad_arg(e: impl Display) -> Error {
    coded("INVALID_ARGUMENT", e)
}

/// Runs `f`, turning a panic into a `PANIC` error instead of unwinding into Node (the coded
/// counterpart of `#[napi(catch_unwind)]`, whose error type is napi's own).
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let message = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("panic in the core");
        Err(coded("PANIC", message))
    })
}
