//! Why a line or a recording could not be read.

use std::io::{self};
use std::path::PathBuf;

use crate::spec::{BinanceMarket, DecimalError};

/// Why one line could not be turned into an event.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("expected '<receive ns> <json>' but the line has no space")]
    NoSpace,
    #[error("bad receive timestamp '{0}': expected 1 to 19 decimal digits (ns since the epoch)")]
    BadTimestamp(String),
    #[error("bad JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error(
        "unknown stream '{0}' (supported: <symbol>@depth, <symbol>@depth@<speed>, <symbol>@trade, <symbol>@bookTicker)"
    )]
    UnknownStream(String),
    #[error("stream '{stream}' carries event type '{event}', expected '{expected}'")]
    EventType { stream: String, event: String, expected: &'static str },
    #[error("{field} '{found}' does not match the reader's symbol '{expected}'")]
    SymbolMismatch { field: &'static str, found: String, expected: String },
    #[error("{field}: {source}")]
    Decimal {
        field: String,
        #[source]
        source: DecimalError,
    },
    #[error("{kind} is missing field '{field}'")]
    Missing { kind: &'static str, field: &'static str },
    #[error("field '{0}' appears twice")]
    Duplicate(&'static str),
    #[error("{0}")]
    Shape(String),
}

impl LineError {
    /// Why, as a stable kebab-case code (a metric label, a log key): `malformed`,
    /// `missing-field`, `unknown-stream`, `wrong-symbol`, `not-a-number`, `negative`,
    /// `too-precise`, `too-large`, `off-grid`.
    pub fn reason(&self) -> &'static str {
        match self {
            LineError::NoSpace
            | LineError::BadTimestamp(_)
            | LineError::Json(_)
            | LineError::EventType { .. }
            | LineError::Duplicate(_)
            | LineError::Shape(_) => "malformed",
            LineError::Missing { .. } => "missing-field",
            LineError::UnknownStream(_) => "unknown-stream",
            LineError::SymbolMismatch { .. } => "wrong-symbol",
            LineError::Decimal { source, .. } => match source {
                DecimalError::Malformed(_) => "not-a-number",
                DecimalError::Negative(_) => "negative",
                DecimalError::TooPrecise(_) => "too-precise",
                DecimalError::Overflow(_) => "too-large",
                DecimalError::OffGrid { .. } => "off-grid",
                DecimalError::ZeroQuantum(_) => "malformed",
            },
        }
    }
}

/// An error from [`BinanceReader`].
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "cannot tell the Binance market of {}: the file name does not start with spot_, usdm_ or cm_; pass the market explicitly",
        path.display()
    )]
    UnknownMarket { path: PathBuf },
    #[error("no built-in market spec for Binance {market:?} symbol '{symbol}'; pass a MarketSpec")]
    UnknownSpec { market: BinanceMarket, symbol: String },
    #[error("cannot infer the symbol: {reason}; pass a MarketSpec")]
    NoSymbol { reason: String },
    #[error("line {line}: {reason}")]
    Line { line: u64, reason: LineError },
    #[error("market spec {}: {reason}", path.display())]
    Spec { path: PathBuf, reason: String },
    #[error("{} at line {line}: {source}", io_what(source))]
    Io {
        line: u64,
        #[source]
        source: io::Error,
    },
}

impl ReadError {
    /// Why, as a stable kebab-case code: a bad line's [`LineError::reason`], `unreadable` for
    /// an input that cannot be read on (a truncated or corrupt gzip), `unusable` otherwise.
    pub fn reason(&self) -> &'static str {
        match self {
            ReadError::Line { reason, .. } => reason.reason(),
            ReadError::Io { .. } | ReadError::Open { .. } => "unreadable",
            ReadError::UnknownMarket { .. }
            | ReadError::UnknownSpec { .. }
            | ReadError::NoSymbol { .. }
            | ReadError::Spec { .. } => "unusable",
        }
    }

    /// The 1-based line number the error is about, if it is about a line.
    pub fn line(&self) -> Option<u64> {
        match self {
            ReadError::Line { line, .. } | ReadError::Io { line, .. } => Some(*line),
            _ => None,
        }
    }
}

pub(super) fn io_what(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            "truncated or corrupt gzip"
        }
        _ => "read error",
    }
}
