//! One line: `<receive ns> <json>` split, classified by stream, parsed into one event.

use std::borrow::Cow;

use crate::book::Level;
use crate::replay::EventBatch;
use crate::spec::{BinanceMarket, MarketSpec};

use super::error::*;
use super::message::*;

pub(super) fn trim_eol(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    line
}

/// Splits `<ns> <json>` and parses the receive time.
pub(super) fn split_line(line: &[u8]) -> Result<(i64, &[u8]), LineError> {
    let space = line.iter().position(|&b| b == b' ').ok_or(LineError::NoSpace)?;
    let (ts, rest) = line.split_at(space);
    let json = rest.get(1..).unwrap_or(&[]);
    let bad = || {
        let shown = &ts[..ts.len().min(40)];
        LineError::BadTimestamp(String::from_utf8_lossy(shown).into_owned())
    };
    if ts.is_empty() || ts.len() > 19 {
        return Err(bad());
    }
    let mut v: i64 = 0;
    for &b in ts {
        if !b.is_ascii_digit() {
            return Err(bad());
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add(i64::from(b - b'0'))).ok_or_else(bad)?;
    }
    Ok((v, json))
}

pub(super) fn peek_symbol(line: &[u8]) -> Result<Option<String>, LineError> {
    #[derive(serde::Deserialize)]
    struct Peek<'a> {
        #[serde(borrow, default)]
        stream: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        symbol: Option<Cow<'a, str>>,
    }
    let (_, json) = split_line(line)?;
    let p: Peek<'_> = serde_json::from_slice(json).map_err(LineError::Json)?;
    if let Some(stream) = p.stream {
        let (sym, _) = stream.split_once('@').ok_or_else(|| LineError::UnknownStream(stream.clone().into_owned()))?;
        return Ok(Some(sym.to_owned()));
    }
    Ok(p.symbol.map(Cow::into_owned))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StreamKind {
    Depth,
    Trade,
    BookTicker,
}

impl StreamKind {
    pub(super) fn event_type(self) -> &'static str {
        match self {
            StreamKind::Depth => "depthUpdate",
            StreamKind::Trade => "trade",
            StreamKind::BookTicker => "bookTicker",
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            StreamKind::Depth => "depth diff",
            StreamKind::Trade => "trade",
            StreamKind::BookTicker => "bookTicker",
        }
    }
}

pub(super) fn classify(stream: &str) -> Option<(&str, StreamKind)> {
    let (sym, kind) = stream.split_once('@')?;
    let kind = match kind {
        "trade" => StreamKind::Trade,
        "bookTicker" => StreamKind::BookTicker,
        k if k == "depth" || k.starts_with("depth@") => StreamKind::Depth,
        _ => return None,
    };
    Some((sym, kind))
}

/// Parses one raw line (with or without its line ending) and appends its event.
/// `Ok(false)`: a blank line, nothing appended. On error nothing of the line stays in `batch`.
pub(super) fn parse_line(
    line: &[u8],
    spec: &MarketSpec,
    market: BinanceMarket,
    batch: &mut EventBatch,
    asks: &mut Vec<Level>,
) -> Result<bool, LineError> {
    let line = trim_eol(line);
    if line.is_empty() {
        return Ok(false);
    }
    let (local_ts, json) = split_line(line)?;
    let start = batch.levels.len();
    asks.clear();
    let result = parse_json(json, local_ts, spec, market, batch, asks, start);
    if result.is_err() {
        batch.levels.truncate(start);
    }
    result.map(|()| true)
}
