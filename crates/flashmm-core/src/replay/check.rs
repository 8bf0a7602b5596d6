//! Checks a replayed book against the venue's own best bid/ask stream.
//!
//! At every depth-diff boundary (book at update id `u`) the top of book must equal the
//! venue's book ticker with the greatest update id not after `u`: the ticker stream
//! publishes every change of the touch, so no change can hide between the two ids.

use crate::book::Level;

/// The touch as (bid, ask); `None` for an empty side.
pub type Touch = (Option<Level>, Option<Level>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub book_update_id: u64,
    pub ticker_update_id: u64,
    pub book: Touch,
    pub ticker: Touch,
}

/// Result of comparing boundaries with tickers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TouchAgreement {
    pub checked: u64,
    /// Boundaries before the first ticker: nothing to compare with.
    pub unchecked: u64,
    pub mismatches: Vec<Mismatch>,
}

/// Collects book boundaries and tickers in any order; compares them at the end, because
/// a ticker can be received after the diff that it describes.
#[derive(Clone, Debug, Default)]
pub struct TouchCheck {
    boundaries: Vec<(u64, Touch)>,
    tickers: Vec<(u64, Touch)>,
}

impl TouchCheck {
    pub fn boundary(&mut self, update_id: u64, touch: Touch) {
        self.boundaries.push((update_id, touch));
    }

    pub fn ticker(&mut self, update_id: u64, bid: Level, ask: Level) {
        self.tickers.push((update_id, (Some(bid), Some(ask))));
    }

    pub fn finish(mut self) -> TouchAgreement {
        // Stable: of tickers sharing an id, the last received wins.
        self.tickers.sort_by_key(|t| t.0);
        let mut out = TouchAgreement::default();
        for (id, book) in self.boundaries {
            let n = self.tickers.partition_point(|t| t.0 <= id);
            let Some(&(ticker_id, ticker)) = n.checked_sub(1).and_then(|i| self.tickers.get(i)) else {
                out.unchecked += 1;
                continue;
            };
            out.checked += 1;
            if ticker != book {
                out.mismatches.push(Mismatch { book_update_id: id, ticker_update_id: ticker_id, book, ticker });
            }
        }
        out
    }
}
