//! The one side vocabulary in JS: `'buy' | 'sell'` (a book's bids are its buy side).

use flashmm_core::book::Side as CoreSide;
use napi_derive::napi;

use crate::error::{Result, bad_arg};

/// `'buy' | 'sell'`.
#[napi(string_enum = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl From<CoreSide> for Side {
    fn from(s: CoreSide) -> Self {
        match s {
            CoreSide::Buy => Side::Buy,
            CoreSide::Sell => Side::Sell,
        }
    }
}

impl From<Side> for CoreSide {
    fn from(s: Side) -> Self {
        match s {
            Side::Buy => CoreSide::Buy,
            Side::Sell => CoreSide::Sell,
        }
    }
}

/// A side from JS (`what` names the argument in the error).
pub fn parse_side(name: &str, what: &str) -> Result<CoreSide> {
    match name {
        "buy" => Ok(CoreSide::Buy),
        "sell" => Ok(CoreSide::Sell),
        other => Err(bad_arg(format!("{what} = '{other}' must be 'buy' or 'sell'"))),
    }
}
