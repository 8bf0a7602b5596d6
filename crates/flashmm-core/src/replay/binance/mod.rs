//! Streaming reader for Binance websocket recordings.
//!
//! A recording is text (usually gzip), one message per line: `<local receive ns> <json>`, where
//! the JSON is either Binance's combined-stream envelope
//! `{"stream":"<symbol>@<kind>","data":{..}}` for `@depth[@speed]` diffs, `@trade` and
//! `@bookTicker`, or the REST depth snapshot `{"lastUpdateId":N,"bids":[..],"asks":[..]}`.
//!
//! Each message becomes one event of an [`EventBatch`]; prices and sizes are converted exactly
//! to ticks and lots of the reader's [`MarketSpec`] (a value off the grid is an error).
//! `local_ts` is the line's ns prefix; exchange times (ms) become ns.
//!
//! | message | kind | first_id = last_id | prev_id | exchange_ts | levels |
//! |---|---|---|---|---|---|
//! | REST snapshot | `Snapshot` | `lastUpdateId` | – | `E` if present, else 0 | bids, then asks |
//! | `@depth…` | `DepthDiff` | `U` / `u` (first / last) | `pu` (futures only; required there) | `E` | `b`, then `a` |
//! | `@trade` | `Trade` | `t` | – | `T` | one bid-slot level (`p`, `q`); `m` → [`FLAG_BUYER_MAKER`] |
//! | `@bookTicker` | `BookTicker` | `u` | – | `E` if present (futures), else 0 | (`b`, `B`), then (`a`, `A`) |
//!
//! The stream's symbol, and `s` / `symbol` when present, must match the spec's symbol (ASCII
//! case-insensitive); an `e` field must match the stream kind. Unknown fields are ignored
//! (`ps`, `X`, `M`, the futures `T` of diffs and tickers, ...).
//!
//! # Errors and resumption
//!
//! A bad line (malformed, unknown stream, wrong symbol, bad decimal, missing field, ...) is
//! reported as [`ReadError::Line`] with its 1-based line number, and nothing of that line is
//! left in the batch. Events read before a bad line are never lost: if the batch already holds
//! events, [`BinanceReader::next_batch`] returns `Ok(count)` and keeps the error for the next
//! call, which returns it (with an empty batch). The call after that continues at the line after
//! the bad one, so a caller may log and carry on, or stop.
//!
//! An I/O error (for a gzip input: a truncated or corrupt stream) ends the input: it is reported
//! once (as [`ReadError::Io`], after any events already in the batch, like a bad line) and every
//! later call returns `Ok(0)`. Retrying a broken decoder could otherwise loop for ever.
//!
//! Blank lines are skipped (they count in [`BinanceReader::lines_read`]).
//!
//! [`BinanceSource::skipping_bad_lines`] does the carrying on itself: each bad line is counted
//! under its stable reason ([`LineError::reason`]) and skipped, so a damaged recording driving
//! the simulated venue stops nothing.
//!
//! # Performance
//!
//! Lines are read into one reused buffer and parsed with `serde_json` through hand-written
//! visitors that borrow strings from the line and convert each level straight into the batch's
//! level vector: no allocation per line or per level in steady state (errors allocate).

mod error;
mod line;
mod message;
mod reader;
mod source;
#[cfg(test)]
mod tests;
mod visitors;

pub use error::{LineError, ReadError};
pub use reader::{BinanceReader, FileReader, market_from_file_name, spec_or_sidecar};
pub use source::{BinanceSource, CountedFileReader, DEFAULT_REORDER_WINDOW_NS, RecordedEvents};

use crate::spec::BinanceMarket;

/// The depth-stream sequence rule of a Binance market family.
pub fn sequence_rule(market: BinanceMarket) -> crate::book::SequenceRule {
    match market {
        BinanceMarket::Spot => crate::book::SequenceRule::BinanceSpot,
        BinanceMarket::UsdM | BinanceMarket::CoinM => crate::book::SequenceRule::BinanceFutures,
    }
}
