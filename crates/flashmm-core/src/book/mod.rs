//! L2 order books in integer ticks and lots, with venue sequencing and our own orders.

mod decode;
mod l2;
mod ladder;
mod own;
mod query;
mod sequence;

pub use decode::{DecodeError, MAX_EXACT_F64, exact_integer, levels_from_f64};
pub use l2::{ApplyOutcome, BookError, BookStats, BookStatus, DEFAULT_BUFFER_LIMIT, InvalidReason, L2Book};
pub use own::{OwnOrder, OwnOrderError, OwnOrders};
pub use query::DepthWithin;
pub use sequence::{DiffHeader, SequenceRule};

/// The side of an order, a fill or a book level: one vocabulary across the core, the binding and
/// the host (`"buy"` / `"sell"` in JSON and JavaScript). A book's bids are its buy side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Side {
    Buy = 0,
    Sell = 1,
}

impl Side {
    pub fn opposite(self) -> Self {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// One price level: price in ticks, size in lots. A size of 0 in a delta removes the level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Level {
    pub price: i64,
    pub size: i64,
}

impl Level {
    pub const fn new(price: i64, size: i64) -> Self {
        Self { price, size }
    }
}
