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
//! # Performance
//!
//! Lines are read into one reused buffer and parsed with `serde_json` through hand-written
//! visitors that borrow strings from the line and convert each level straight into the batch's
//! level vector: no allocation per line or per level in steady state (errors allocate).

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::book::Level;
use crate::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};
use crate::spec::{BinanceMarket, DecimalError, MarketSpec, Quantum};

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
    #[error("{} at line {line}: {source}", io_what(source))]
    Io {
        line: u64,
        #[source]
        source: io::Error,
    },
}

impl ReadError {
    /// The 1-based line number the error is about, if it is about a line.
    pub fn line(&self) -> Option<u64> {
        match self {
            ReadError::Line { line, .. } | ReadError::Io { line, .. } => Some(*line),
            _ => None,
        }
    }
}

fn io_what(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            "truncated or corrupt gzip"
        }
        _ => "read error",
    }
}

/// The market family a recording's file name announces (`spot_`, `usdm_`, `cm_`).
pub fn market_from_file_name(path: &Path) -> Option<BinanceMarket> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.starts_with("spot_") {
        Some(BinanceMarket::Spot)
    } else if name.starts_with("usdm_") {
        Some(BinanceMarket::UsdM)
    } else if name.starts_with("cm_") {
        Some(BinanceMarket::CoinM)
    } else {
        None
    }
}

/// Streaming reader of one Binance recording (one symbol) into [`EventBatch`]es.
pub struct BinanceReader<R: BufRead> {
    input: R,
    market: BinanceMarket,
    spec: MarketSpec,
    /// Reused line buffer.
    line: Vec<u8>,
    /// Reused scratch for ask levels (bids go straight into the batch).
    asks: Vec<Level>,
    lines_read: u64,
    /// `line` holds a line already counted but not yet turned into an event.
    pending_line: bool,
    /// An error to report on the next call (the batch it ended was returned first).
    deferred: Option<ReadError>,
    /// End of input or an I/O error: nothing more will be read.
    done: bool,
}

/// A reader of a gzip recording on disk.
pub type FileReader = BinanceReader<BufReader<MultiGzDecoder<File>>>;

impl FileReader {
    /// Opens a gzip recording. `spec`: `None` → [`MarketSpec::binance`] for the first message's
    /// symbol; the market family from `market`, else from the file name prefix (`spot_`,
    /// `usdm_`, `cm_`), else an error asking to pass it.
    pub fn open(path: &Path, market: Option<BinanceMarket>, spec: Option<MarketSpec>) -> Result<Self, ReadError> {
        let market = match market.or_else(|| market_from_file_name(path)) {
            Some(m) => m,
            None => {
                return Err(ReadError::UnknownMarket { path: path.to_owned() });
            }
        };
        let file = File::open(path).map_err(|source| ReadError::Open { path: path.to_owned(), source })?;
        Self::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file)), market, spec)
    }
}

impl<R: BufRead> BinanceReader<R> {
    /// A reader over decompressed lines. With `spec: None` the first non-blank line is read
    /// now to learn the symbol (it is still returned by the first `next_batch`).
    pub fn new(mut input: R, market: BinanceMarket, spec: Option<MarketSpec>) -> Result<Self, ReadError> {
        let mut line = Vec::with_capacity(1 << 12);
        let mut lines_read = 0;
        let mut done = false;
        let (spec, pending_line) = match spec {
            Some(spec) => (spec, false),
            None => {
                let symbol = loop {
                    if !read_line(&mut input, &mut line, &mut lines_read, &mut done)? {
                        return Err(ReadError::NoSymbol { reason: "the input is empty".into() });
                    }
                    let trimmed = trim_eol(&line);
                    if trimmed.is_empty() {
                        continue;
                    }
                    match peek_symbol(trimmed) {
                        Ok(Some(s)) => break s,
                        Ok(None) => {
                            return Err(ReadError::NoSymbol {
                                reason: format!(
                                    "line {lines_read} names no symbol (a REST snapshot without 'symbol'?)"
                                ),
                            });
                        }
                        Err(reason) => {
                            return Err(ReadError::Line { line: lines_read, reason });
                        }
                    }
                };
                let spec = MarketSpec::binance(&symbol, market).ok_or(ReadError::UnknownSpec { market, symbol })?;
                (spec, true)
            }
        };
        Ok(Self {
            input,
            market,
            spec,
            line,
            asks: Vec::with_capacity(1 << 10),
            lines_read,
            pending_line,
            deferred: None,
            done,
        })
    }

    pub fn market(&self) -> BinanceMarket {
        self.market
    }

    pub fn spec(&self) -> &MarketSpec {
        &self.spec
    }

    pub fn symbol(&self) -> &str {
        &self.spec.symbol
    }

    /// Lines consumed so far (1-based number of the last line read), blank lines included.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// Clears `batch` and appends up to `max_events` events (at least one is asked for even if
    /// `max_events` is 0); returns how many, 0 only at the end of the input.
    ///
    /// On a bad line: `Err(ReadError::Line)` if no event was appended yet, otherwise
    /// `Ok(count)` now and that error on the next call; the call after it continues at the
    /// next line. An I/O error ends the input (later calls return `Ok(0)`). See the module
    /// documentation.
    pub fn next_batch(&mut self, batch: &mut EventBatch, max_events: usize) -> Result<usize, ReadError> {
        batch.clear();
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let max = max_events.max(1);
        let mut count = 0usize;
        while count < max {
            if self.pending_line {
                self.pending_line = false;
            } else {
                match read_line(&mut self.input, &mut self.line, &mut self.lines_read, &mut self.done) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return self.fail(e, count),
                }
            }
            match parse_line(&self.line, &self.spec, self.market, batch, &mut self.asks) {
                Ok(true) => count += 1,
                Ok(false) => {}
                Err(reason) => {
                    let e = ReadError::Line { line: self.lines_read, reason };
                    return self.fail(e, count);
                }
            }
        }
        Ok(count)
    }

    fn fail(&mut self, e: ReadError, count: usize) -> Result<usize, ReadError> {
        if count == 0 {
            Err(e)
        } else {
            self.deferred = Some(e);
            Ok(count)
        }
    }
}

/// Reads the next line into `line`; `Ok(false)` at the end of the input. An I/O error ends it.
fn read_line<R: BufRead>(
    input: &mut R,
    line: &mut Vec<u8>,
    lines_read: &mut u64,
    done: &mut bool,
) -> Result<bool, ReadError> {
    if *done {
        return Ok(false);
    }
    line.clear();
    match input.read_until(b'\n', line) {
        Ok(0) => {
            *done = true;
            Ok(false)
        }
        Ok(_) => {
            *lines_read += 1;
            Ok(true)
        }
        Err(source) => {
            *done = true;
            line.clear();
            Err(ReadError::Io { line: *lines_read + 1, source })
        }
    }
}

fn trim_eol(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    line
}

/// Splits `<ns> <json>` and parses the receive time.
fn split_line(line: &[u8]) -> Result<(i64, &[u8]), LineError> {
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

fn peek_symbol(line: &[u8]) -> Result<Option<String>, LineError> {
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
enum StreamKind {
    Depth,
    Trade,
    BookTicker,
}

impl StreamKind {
    fn event_type(self) -> &'static str {
        match self {
            StreamKind::Depth => "depthUpdate",
            StreamKind::Trade => "trade",
            StreamKind::BookTicker => "bookTicker",
        }
    }

    fn name(self) -> &'static str {
        match self {
            StreamKind::Depth => "depth diff",
            StreamKind::Trade => "trade",
            StreamKind::BookTicker => "bookTicker",
        }
    }
}

fn classify(stream: &str) -> Option<(&str, StreamKind)> {
    let (sym, kind) = stream.split_once('@')?;
    let kind = match kind {
        "trade" => StreamKind::Trade,
        "bookTicker" => StreamKind::BookTicker,
        k if k == "depth" || k.starts_with("depth@") => StreamKind::Depth,
        _ => return None,
    };
    Some((sym, kind))
}

/// One side of a message: `b`/`a`/`bids`/`asks` hold levels in depth messages and a single
/// price string in a bookTicker.
#[derive(Clone, Copy, Debug, Default)]
enum SideVal {
    #[default]
    Absent,
    Levels,
    Price(i64),
}

/// Everything any supported message can carry; filled by the visitors, checked afterwards.
#[derive(Default)]
struct Msg<'a> {
    stream: Option<Cow<'a, str>>,
    kind: Option<StreamKind>,
    has_data: bool,
    last_update_id: Option<u64>,
    snapshot_symbol: Option<Cow<'a, str>>,
    event: Option<Cow<'a, str>>,  // e
    event_ms: Option<u64>,        // E
    transaction_ms: Option<u64>,  // T
    symbol: Option<Cow<'a, str>>, // s
    first_id: Option<u64>,        // U
    last_id: Option<u64>,         // u
    prev_id: Option<u64>,         // pu
    trade_id: Option<u64>,        // t
    buyer_maker: Option<bool>,    // m
    price: Option<i64>,           // p (ticks)
    qty: Option<i64>,             // q (lots)
    bid: SideVal,                 // b / bids
    ask: SideVal,                 // a / asks
    bid_qty: Option<i64>,         // B (lots)
    ask_qty: Option<i64>,         // A (lots)
}

struct Ctx<'c> {
    tick: Quantum,
    lot: Quantum,
    symbol: &'c str,
    bids: &'c mut Vec<Level>,
    asks: &'c mut Vec<Level>,
    /// The precise error behind a visitor's generic `Err`.
    err: Option<LineError>,
}

impl Ctx<'_> {
    fn fail<E: de::Error>(&mut self, e: LineError) -> E {
        self.err = Some(e);
        E::custom("invalid message")
    }
}

fn put<T, E: de::Error>(slot: &mut Option<T>, v: T, name: &'static str, ctx: &mut Ctx<'_>) -> Result<(), E> {
    if slot.is_some() {
        return Err(ctx.fail(LineError::Duplicate(name)));
    }
    *slot = Some(v);
    Ok(())
}

#[derive(Clone, Copy)]
enum Key {
    Stream,
    Data,
    LastUpdateId,
    Symbol,
    Bids,
    Asks,
    LowerE,
    UpperE,
    UpperT,
    LowerS,
    UpperU,
    LowerU,
    Pu,
    LowerT,
    LowerM,
    LowerP,
    LowerQ,
    LowerB,
    UpperB,
    LowerA,
    UpperA,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v.as_bytes() {
            b"b" => Key::LowerB,
            b"a" => Key::LowerA,
            b"B" => Key::UpperB,
            b"A" => Key::UpperA,
            b"e" => Key::LowerE,
            b"E" => Key::UpperE,
            b"T" => Key::UpperT,
            b"s" => Key::LowerS,
            b"U" => Key::UpperU,
            b"u" => Key::LowerU,
            b"pu" => Key::Pu,
            b"t" => Key::LowerT,
            b"m" => Key::LowerM,
            b"p" => Key::LowerP,
            b"q" => Key::LowerQ,
            b"stream" => Key::Stream,
            b"data" => Key::Data,
            b"lastUpdateId" => Key::LastUpdateId,
            b"symbol" => Key::Symbol,
            b"bids" => Key::Bids,
            b"asks" => Key::Asks,
            _ => Key::Other,
        })
    }
}

/// A string borrowed from the line when it has no escapes.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Names a decimal field in error messages without allocating unless there is an error.
#[derive(Clone, Copy)]
enum FieldName {
    Plain(&'static str),
    Level { side: &'static str, index: usize, what: &'static str },
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldName::Plain(s) => write!(f, "{s}"),
            FieldName::Level { side, index, what } => write!(f, "{side}[{index}] {what}"),
        }
    }
}

/// A decimal string converted to a count of `quantum`.
struct Dec<'x> {
    quantum: Quantum,
    field: FieldName,
    err: &'x mut Option<LineError>,
}

impl<'de> DeserializeSeed<'de> for Dec<'_> {
    type Value = i64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Dec<'_> {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a decimal string for {}", self.field)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        count(self.quantum, v).map_err(|source| {
            *self.err = Some(LineError::Decimal { field: self.field.to_string(), source });
            E::custom("invalid decimal")
        })
    }
}

/// [`Quantum::count`] with a fast path for power-of-ten quanta (every built-in Binance grid).
/// The fast path only ever returns what `Quantum::count` would; anything unusual (errors,
/// more than 19 digits, ...) goes to `Quantum::count`, which also words the error.
#[inline]
fn count(quantum: Quantum, s: &str) -> Result<i64, DecimalError> {
    if quantum.mantissa() == 1
        && let Some(v) = count_pow10(s.as_bytes(), quantum.scale())
    {
        return Ok(v);
    }
    quantum.count(s)
}

/// `s` (`digits[.digits]`) as a count of 10^-`scale`; `None` when off the grid, malformed, out
/// of range or longer than 19 bytes (left for the slow path to judge).
#[inline]
fn count_pow10(s: &[u8], scale: u32) -> Option<i64> {
    // At most 19 digits: the accumulation below cannot overflow a u64.
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    let mut i = 0;
    while let Some(&d) = s.get(i) {
        if !d.is_ascii_digit() {
            break;
        }
        v = v * 10 + u64::from(d - b'0');
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let mut kept = 0u32;
    if let Some(&dot) = s.get(i) {
        let frac = s.get(i + 1..)?;
        if dot != b'.' || frac.is_empty() {
            return None;
        }
        for &d in frac {
            if !d.is_ascii_digit() {
                return None;
            }
            if kept < scale {
                v = v * 10 + u64::from(d - b'0');
                kept += 1;
            } else if d != b'0' {
                return None;
            }
        }
    }
    while kept < scale {
        v = v.checked_mul(10)?;
        kept += 1;
    }
    i64::try_from(v).ok()
}

fn dec<'x>(quantum: Quantum, field: FieldName, err: &'x mut Option<LineError>) -> Dec<'x> {
    Dec { quantum, field, err }
}

/// `b`/`a`/`bids`/`asks`: an array of `[price, size]` levels (pushed into the context) or a
/// single price string (bookTicker).
struct SideSeed<'m, 'c> {
    ctx: &'m mut Ctx<'c>,
    bid: bool,
    name: &'static str,
}

impl<'de> DeserializeSeed<'de> for SideSeed<'_, '_> {
    type Value = SideVal;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<SideVal, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SideSeed<'_, '_> {
    type Value = SideVal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of [price, size] levels or a price string for '{}'", self.name)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<SideVal, E> {
        let tick = self.ctx.tick;
        dec(tick, FieldName::Plain(self.name), &mut self.ctx.err).visit_str(v).map(SideVal::Price)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SideVal, A::Error> {
        let SideSeed { ctx, bid, name } = self;
        let mut index = 0usize;
        while seq.next_element_seed(LevelSeed { ctx: &mut *ctx, bid, name, index })?.is_some() {
            index += 1;
        }
        Ok(SideVal::Levels)
    }
}

/// One `[price, size]` pair.
struct LevelSeed<'m, 'c> {
    ctx: &'m mut Ctx<'c>,
    bid: bool,
    name: &'static str,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for LevelSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LevelSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a [price, size] pair for {}[{}]", self.name, self.index)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let LevelSeed { ctx, bid, name, index } = self;
        let field = |what| FieldName::Level { side: name, index, what };
        let shape =
            |ctx: &mut Ctx<'_>| ctx.fail(LineError::Shape(format!("{name}[{index}] is not a [price, size] pair")));
        let tick = ctx.tick;
        let lot = ctx.lot;
        let Some(price) = seq.next_element_seed(dec(tick, field("price"), &mut ctx.err))? else {
            return Err(shape(ctx));
        };
        let Some(size) = seq.next_element_seed(dec(lot, field("size"), &mut ctx.err))? else {
            return Err(shape(ctx));
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(shape(ctx));
        }
        let level = Level { price, size };
        if bid {
            ctx.bids.push(level);
        } else {
            ctx.asks.push(level);
        }
        Ok(())
    }
}

/// A JSON object: the top level (envelope or snapshot) or the envelope's `data`.
struct MsgSeed<'m, 'c, 'de> {
    msg: &'m mut Msg<'de>,
    ctx: &'m mut Ctx<'c>,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for MsgSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MsgSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.top {
            "a JSON object (stream envelope or depth snapshot)"
        } else {
            "a JSON object for 'data'"
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let MsgSeed { msg, ctx, top } = self;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match (top, key) {
                (true, Key::Stream) => {
                    let CowStr(stream) = map.next_value()?;
                    let Some((sym, kind)) = classify(&stream) else {
                        return Err(ctx.fail(LineError::UnknownStream(stream.into_owned())));
                    };
                    if !sym.eq_ignore_ascii_case(ctx.symbol) {
                        return Err(ctx.fail(LineError::SymbolMismatch {
                            field: "stream symbol",
                            found: sym.to_owned(),
                            expected: ctx.symbol.to_owned(),
                        }));
                    }
                    put(&mut msg.kind, kind, "stream", ctx)?;
                    msg.stream = Some(stream);
                }
                (true, Key::Data) => {
                    if msg.has_data {
                        return Err(ctx.fail(LineError::Duplicate("data")));
                    }
                    msg.has_data = true;
                    map.next_value_seed(MsgSeed { msg: &mut *msg, ctx: &mut *ctx, top: false })?;
                }
                (true, Key::LastUpdateId) => {
                    let v = map.next_value()?;
                    put(&mut msg.last_update_id, v, "lastUpdateId", ctx)?;
                }
                (true, Key::Symbol) => {
                    let CowStr(v) = map.next_value()?;
                    put(&mut msg.snapshot_symbol, v, "symbol", ctx)?;
                }
                (true, Key::Bids) | (false, Key::LowerB) => {
                    let name = if top { "bids" } else { "b" };
                    if !matches!(msg.bid, SideVal::Absent) {
                        return Err(ctx.fail(LineError::Duplicate(name)));
                    }
                    msg.bid = map.next_value_seed(SideSeed { ctx: &mut *ctx, bid: true, name })?;
                }
                (true, Key::Asks) | (false, Key::LowerA) => {
                    let name = if top { "asks" } else { "a" };
                    if !matches!(msg.ask, SideVal::Absent) {
                        return Err(ctx.fail(LineError::Duplicate(name)));
                    }
                    msg.ask = map.next_value_seed(SideSeed { ctx: &mut *ctx, bid: false, name })?;
                }
                (_, Key::UpperE) => {
                    let v = map.next_value()?;
                    put(&mut msg.event_ms, v, "E", ctx)?;
                }
                (_, Key::UpperT) => {
                    let v = map.next_value()?;
                    put(&mut msg.transaction_ms, v, "T", ctx)?;
                }
                (false, Key::LowerE) => {
                    let CowStr(v) = map.next_value()?;
                    put(&mut msg.event, v, "e", ctx)?;
                }
                (false, Key::LowerS) => {
                    let CowStr(v) = map.next_value()?;
                    put(&mut msg.symbol, v, "s", ctx)?;
                }
                (false, Key::UpperU) => {
                    let v = map.next_value()?;
                    put(&mut msg.first_id, v, "U", ctx)?;
                }
                (false, Key::LowerU) => {
                    let v = map.next_value()?;
                    put(&mut msg.last_id, v, "u", ctx)?;
                }
                (false, Key::Pu) => {
                    let v = map.next_value()?;
                    put(&mut msg.prev_id, v, "pu", ctx)?;
                }
                (false, Key::LowerT) => {
                    let v = map.next_value()?;
                    put(&mut msg.trade_id, v, "t", ctx)?;
                }
                (false, Key::LowerM) => {
                    let v = map.next_value()?;
                    put(&mut msg.buyer_maker, v, "m", ctx)?;
                }
                (false, Key::LowerP) => {
                    let tick = ctx.tick;
                    let v = map.next_value_seed(dec(tick, FieldName::Plain("p"), &mut ctx.err))?;
                    put(&mut msg.price, v, "p", ctx)?;
                }
                (false, Key::LowerQ) => {
                    let lot = ctx.lot;
                    let v = map.next_value_seed(dec(lot, FieldName::Plain("q"), &mut ctx.err))?;
                    put(&mut msg.qty, v, "q", ctx)?;
                }
                (false, Key::UpperB) => {
                    let lot = ctx.lot;
                    let v = map.next_value_seed(dec(lot, FieldName::Plain("B"), &mut ctx.err))?;
                    put(&mut msg.bid_qty, v, "B", ctx)?;
                }
                (false, Key::UpperA) => {
                    let lot = ctx.lot;
                    let v = map.next_value_seed(dec(lot, FieldName::Plain("A"), &mut ctx.err))?;
                    put(&mut msg.ask_qty, v, "A", ctx)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Parses one raw line (with or without its line ending) and appends its event.
/// `Ok(false)`: a blank line, nothing appended. On error nothing of the line stays in `batch`.
fn parse_line(
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

fn ms_to_ns(ms: u64, field: &'static str) -> Result<i64, LineError> {
    i64::try_from(ms)
        .ok()
        .and_then(|v| v.checked_mul(1_000_000))
        .ok_or_else(|| LineError::Shape(format!("'{field}' = {ms} ms is out of range")))
}

fn need<T>(v: Option<T>, kind: &'static str, field: &'static str) -> Result<T, LineError> {
    v.ok_or(LineError::Missing { kind, field })
}

fn need_levels(v: SideVal, kind: &'static str, field: &'static str) -> Result<(), LineError> {
    match v {
        SideVal::Levels => Ok(()),
        SideVal::Absent => Err(LineError::Missing { kind, field }),
        SideVal::Price(_) => {
            Err(LineError::Shape(format!("'{field}' of a {kind} must be an array of [price, size] levels")))
        }
    }
}

fn need_price(v: SideVal, kind: &'static str, field: &'static str) -> Result<i64, LineError> {
    match v {
        SideVal::Price(p) => Ok(p),
        SideVal::Absent => Err(LineError::Missing { kind, field }),
        SideVal::Levels => Err(LineError::Shape(format!("'{field}' of a {kind} must be a price string"))),
    }
}

fn to_u32(n: usize) -> Result<u32, LineError> {
    u32::try_from(n)
        .map_err(|_| LineError::Shape("the batch holds more than 2^32 levels; ask for fewer events per batch".into()))
}

#[allow(clippy::too_many_arguments)]
fn parse_json(
    json: &[u8],
    local_ts: i64,
    spec: &MarketSpec,
    market: BinanceMarket,
    batch: &mut EventBatch,
    asks: &mut Vec<Level>,
    start: usize,
) -> Result<(), LineError> {
    let mut msg = Msg::default();
    {
        let mut ctx =
            Ctx { tick: spec.tick, lot: spec.lot, symbol: &spec.symbol, bids: &mut batch.levels, asks, err: None };
        let mut de = serde_json::Deserializer::from_slice(json);
        let res = MsgSeed { msg: &mut msg, ctx: &mut ctx, top: true }.deserialize(&mut de).and_then(|()| de.end());
        if let Err(e) = res {
            return Err(ctx.err.take().unwrap_or(LineError::Json(e)));
        }
    }

    let check_symbol = |field: &'static str, found: &Option<Cow<'_, str>>| match found {
        Some(s) if !s.eq_ignore_ascii_case(&spec.symbol) => {
            Err(LineError::SymbolMismatch { field, found: s.clone().into_owned(), expected: spec.symbol.clone() })
        }
        _ => Ok(()),
    };

    let Some(kind) = msg.kind else {
        // Not an envelope: the REST depth snapshot.
        if msg.has_data {
            return Err(LineError::Missing { kind: "stream message", field: "stream" });
        }
        let Some(id) = msg.last_update_id else {
            return Err(LineError::Shape(
                "neither a combined-stream message {\"stream\",\"data\"} nor a depth snapshot {\"lastUpdateId\",\"bids\",\"asks\"}".into(),
            ));
        };
        check_symbol("snapshot symbol", &msg.snapshot_symbol)?;
        need_levels(msg.bid, "depth snapshot", "bids")?;
        need_levels(msg.ask, "depth snapshot", "asks")?;
        let exchange_ts = msg.event_ms.map(|ms| ms_to_ns(ms, "E")).transpose()?.unwrap_or(0);
        let bid_count = to_u32(batch.levels.len() - start)?;
        batch.levels.extend_from_slice(asks);
        to_u32(batch.levels.len())?;
        batch.push(EventKind::Snapshot, local_ts, exchange_ts, id, id, None, 0, start as u32, bid_count);
        return Ok(());
    };

    if !msg.has_data {
        return Err(LineError::Missing { kind: "stream message", field: "data" });
    }
    if msg.last_update_id.is_some() {
        return Err(LineError::Shape("a stream message must not carry 'lastUpdateId'".into()));
    }
    if let Some(e) = &msg.event
        && e != kind.event_type()
    {
        return Err(LineError::EventType {
            stream: msg.stream.clone().unwrap_or_default().into_owned(),
            event: e.clone().into_owned(),
            expected: kind.event_type(),
        });
    }
    check_symbol("'s'", &msg.symbol)?;
    let name = kind.name();
    match kind {
        StreamKind::Depth => {
            let first = need(msg.first_id, name, "U")?;
            let last = need(msg.last_id, name, "u")?;
            let exchange_ts = ms_to_ns(need(msg.event_ms, name, "E")?, "E")?;
            let prev = match (market, msg.prev_id) {
                (BinanceMarket::Spot, None) => None,
                (BinanceMarket::Spot, Some(_)) => {
                    return Err(LineError::Shape(
                        "a spot depth diff carries 'pu': is this a futures recording read as spot?".into(),
                    ));
                }
                (_, Some(pu)) => Some(pu),
                (_, None) => {
                    return Err(LineError::Missing { kind: "futures depth diff", field: "pu" });
                }
            };
            need_levels(msg.bid, name, "b")?;
            need_levels(msg.ask, name, "a")?;
            let bid_count = to_u32(batch.levels.len() - start)?;
            batch.levels.extend_from_slice(asks);
            to_u32(batch.levels.len())?;
            batch.push(EventKind::DepthDiff, local_ts, exchange_ts, first, last, prev, 0, start as u32, bid_count);
        }
        StreamKind::Trade => {
            let id = need(msg.trade_id, name, "t")?;
            let price = need(msg.price, name, "p")?;
            let qty = need(msg.qty, name, "q")?;
            let exchange_ts = ms_to_ns(need(msg.transaction_ms, name, "T")?, "T")?;
            let flags = if need(msg.buyer_maker, name, "m")? { FLAG_BUYER_MAKER } else { 0 };
            batch.levels.truncate(start);
            batch.levels.push(Level { price, size: qty });
            to_u32(batch.levels.len())?;
            batch.push(EventKind::Trade, local_ts, exchange_ts, id, id, None, flags, start as u32, 1);
        }
        StreamKind::BookTicker => {
            let id = need(msg.last_id, name, "u")?;
            let bid = need_price(msg.bid, name, "b")?;
            let bid_qty = need(msg.bid_qty, name, "B")?;
            let ask = need_price(msg.ask, name, "a")?;
            let ask_qty = need(msg.ask_qty, name, "A")?;
            let exchange_ts = msg.event_ms.map(|ms| ms_to_ns(ms, "E")).transpose()?.unwrap_or(0);
            batch.levels.truncate(start);
            batch.levels.push(Level { price: bid, size: bid_qty });
            batch.levels.push(Level { price: ask, size: ask_qty });
            to_u32(batch.levels.len())?;
            batch.push(EventKind::BookTicker, local_ts, exchange_ts, id, id, None, 0, start as u32, 1);
        }
    }
    Ok(())
}

/// The depth-stream sequence rule of a Binance market family.
pub fn sequence_rule(market: BinanceMarket) -> crate::book::SequenceRule {
    match market {
        BinanceMarket::Spot => crate::book::SequenceRule::BinanceSpot,
        BinanceMarket::UsdM | BinanceMarket::CoinM => crate::book::SequenceRule::BinanceFutures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::{Event, NO_ID};

    const SPOT_DIFF: &str = r#"1723161253937085768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],["61730.17000000","1.50000000"]],"a":[["61837.64000000","1.54698000"]]}}"#;
    const SPOT_TRADE: &str = r#"1723161254087896568 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#;
    const SPOT_TICKER: &str = r#"1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
    const SPOT_SNAPSHOT: &str = r#"1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"],["61837.62000000","0.61700000"]],"asks":[["61837.64000000","1.54698000"]]}"#;

    const CM_DIFF: &str = r#"1723161256172216566 {"stream":"btcusd_perp@depth@0ms","data":{"e":"depthUpdate","E":1723161257440,"T":1723161257432,"s":"BTCUSD_PERP","ps":"BTCUSD","U":1007198631260,"u":1007198631565,"pu":1007198631198,"b":[["61773.6","1001"]],"a":[["61801.4","0"],["61817.9","7"]]}}"#;
    const CM_TICKER: &str = r#"1723161256188217466 {"stream":"btcusd_perp@bookTicker","data":{"u":1007198631825,"e":"bookTicker","s":"BTCUSD_PERP","ps":"BTCUSD","b":"61804.7","B":"159","a":"61804.8","A":"3794","T":1723161257450,"E":1723161257457}}"#;
    const CM_TRADE: &str = r#"1723161256200000000 {"stream":"btcusd_perp@trade","data":{"e":"trade","E":1723161257470,"T":1723161257469,"s":"BTCUSD_PERP","t":1234567,"p":"61804.7","q":"12","X":"MARKET","m":false}}"#;
    const CM_SNAPSHOT: &str = r#"1723161256609369665 {"lastUpdateId":1007198635033,"E":1723161257835,"T":1723161257823,"symbol":"BTCUSD_PERP","pair":"BTCUSD","bids":[["61804.7","35"]],"asks":[["61804.8","1645"],["61805.0","2"]]}"#;

    fn read_all(input: &str, market: BinanceMarket) -> Result<EventBatch, ReadError> {
        let mut r = BinanceReader::new(input.as_bytes(), market, None)?;
        let mut batch = EventBatch::default();
        let n = r.next_batch(&mut batch, 1000)?;
        assert_eq!(n, batch.len());
        let mut rest = EventBatch::default();
        assert_eq!(r.next_batch(&mut rest, 1000)?, 0);
        Ok(batch)
    }

    fn one(line: &str, market: BinanceMarket) -> EventBatch {
        let b = read_all(line, market).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.len(), 1);
        b
    }

    /// Error of a line read after a good first line (so the symbol is known).
    fn line_error(bad: impl AsRef<[u8]>) -> String {
        let mut input = format!("{SPOT_TRADE}\n").into_bytes();
        input.extend_from_slice(bad.as_ref());
        input.extend_from_slice(format!("\n{SPOT_TRADE}\n").as_bytes());
        let mut r = BinanceReader::new(&input[..], BinanceMarket::Spot, None).unwrap();
        let mut b = EventBatch::default();
        assert_eq!(r.next_batch(&mut b, 10).unwrap(), 1, "the good line before the bad one");
        let err = r.next_batch(&mut b, 10).expect_err("bad line must fail");
        assert!(b.is_empty());
        assert_eq!(err.line(), Some(2));
        assert_eq!(r.lines_read(), 2);
        // The reader carries on after the bad line.
        assert_eq!(r.next_batch(&mut b, 10).unwrap(), 1);
        assert_eq!(b.kind, vec![EventKind::Trade]);
        assert_eq!(r.next_batch(&mut b, 10).unwrap(), 0);
        err.to_string()
    }

    #[test]
    fn spot_depth_diff() {
        let b = one(SPOT_DIFF, BinanceMarket::Spot);
        let e = b.get(0);
        assert_eq!(
            e,
            Event {
                kind: EventKind::DepthDiff,
                local_ts: 1_723_161_253_937_085_768,
                exchange_ts: 1_723_161_255_208_000_000,
                first_id: 50_093_239_189,
                last_id: 50_093_239_202,
                prev_id: None,
                flags: 0,
                bids: &[Level::new(6_173_763, 0), Level::new(6_173_017, 1_500_000)],
                asks: &[Level::new(6_183_764, 1_546_980)],
            }
        );
        assert_eq!(b.prev_id[0], NO_ID);
    }

    #[test]
    fn spot_trade_ticker_snapshot() {
        let input = format!("{SPOT_TRADE}\n{SPOT_TICKER}\r\n\n{SPOT_SNAPSHOT}");
        let mut r = BinanceReader::new(input.as_bytes(), BinanceMarket::Spot, None).unwrap();
        assert_eq!(r.symbol(), "BTCUSDT");
        assert_eq!(r.spec().tick.to_string(), "0.01");
        assert_eq!(r.market(), BinanceMarket::Spot);
        let mut b = EventBatch::default();
        assert_eq!(r.next_batch(&mut b, 100).unwrap(), 3);
        assert_eq!(r.lines_read(), 4);
        let t = b.get(0);
        assert_eq!(t.kind, EventKind::Trade);
        assert_eq!((t.first_id, t.last_id), (3_735_683_259, 3_735_683_259));
        assert_eq!(t.local_ts, 1_723_161_254_087_896_568);
        assert_eq!(t.exchange_ts, 1_723_161_255_342_000_000, "trade time T, not event time E");
        assert_eq!(t.flags, FLAG_BUYER_MAKER);
        assert_eq!(t.bids, &[Level::new(6_183_763, 20_000)]);
        assert!(t.asks.is_empty());

        let k = b.get(1);
        assert_eq!(k.kind, EventKind::BookTicker);
        assert_eq!((k.first_id, k.last_id), (50_093_239_212, 50_093_239_212));
        assert_eq!(k.exchange_ts, 0, "spot bookTicker has no E");
        assert_eq!(k.bids, &[Level::new(6_183_763, 3_788_260)]);
        assert_eq!(k.asks, &[Level::new(6_183_764, 1_546_980)]);
        assert_eq!(k.prev_id, None);

        let s = b.get(2);
        assert_eq!(s.kind, EventKind::Snapshot);
        assert_eq!((s.first_id, s.last_id), (50_093_239_218, 50_093_239_218));
        assert_eq!(s.local_ts, 1_723_161_254_206_652_067);
        assert_eq!(s.exchange_ts, 0);
        assert_eq!(s.bids, &[Level::new(6_183_763, 3_788_260), Level::new(6_183_762, 617_000)]);
        assert_eq!(s.asks, &[Level::new(6_183_764, 1_546_980)]);
        assert_eq!(r.next_batch(&mut b, 100).unwrap(), 0);
        assert!(b.is_empty());
    }

    #[test]
    fn coin_m_messages() {
        let input = [CM_DIFF, CM_TICKER, CM_TRADE, CM_SNAPSHOT].join("\n");
        let b = read_all(&input, BinanceMarket::CoinM).unwrap();
        assert_eq!(b.kind, vec![EventKind::DepthDiff, EventKind::BookTicker, EventKind::Trade, EventKind::Snapshot]);
        let d = b.get(0);
        assert_eq!((d.first_id, d.last_id, d.prev_id), (1_007_198_631_260, 1_007_198_631_565, Some(1_007_198_631_198)));
        assert_eq!(d.exchange_ts, 1_723_161_257_440_000_000);
        assert_eq!(d.bids, &[Level::new(617_736, 1001)]);
        assert_eq!(d.asks, &[Level::new(618_014, 0), Level::new(618_179, 7)]);
        let k = b.get(1);
        assert_eq!(k.first_id, 1_007_198_631_825);
        assert_eq!(k.exchange_ts, 1_723_161_257_457_000_000, "futures bookTicker: E");
        assert_eq!(k.bids, &[Level::new(618_047, 159)]);
        assert_eq!(k.asks, &[Level::new(618_048, 3794)]);
        let t = b.get(2);
        assert_eq!((t.first_id, t.flags), (1_234_567, 0));
        assert_eq!(t.exchange_ts, 1_723_161_257_469_000_000);
        assert_eq!(t.bids, &[Level::new(618_047, 12)]);
        let s = b.get(3);
        assert_eq!(s.first_id, 1_007_198_635_033);
        assert_eq!(s.exchange_ts, 1_723_161_257_835_000_000);
        assert_eq!(s.bids, &[Level::new(618_047, 35)]);
        assert_eq!(s.asks, &[Level::new(618_048, 1645), Level::new(618_050, 2)]);
        // Level ownership is contiguous, bids first.
        assert_eq!(b.level_start, vec![0, 3, 5, 6]);
        assert_eq!(b.levels.len(), 9);
    }

    #[test]
    fn key_order_and_escapes_do_not_matter() {
        // "data" before "stream", asks before bids, an escaped digit in a price.
        let line = r#"5 {"data":{"a":[["2.5","1"]],"pu":3,"u":9,"b":[["2\u002e4","2"]],"U":4,"E":7,"s":"ETHUSD_PERP"},"stream":"ethusd_perp@depth"}"#;
        let b = one(line, BinanceMarket::CoinM);
        let d = b.get(0);
        assert_eq!((d.local_ts, d.exchange_ts, d.first_id, d.last_id, d.prev_id), (5, 7_000_000, 4, 9, Some(3)));
        assert_eq!(d.bids, &[Level::new(240, 2)]);
        assert_eq!(d.asks, &[Level::new(250, 1)]);
    }

    #[test]
    fn given_spec_is_used_and_symbol_checked() {
        let spec = MarketSpec::new("BTCUSDT", "0.01", "0.00001").unwrap();
        let mut r = BinanceReader::new(SPOT_TRADE.as_bytes(), BinanceMarket::Spot, Some(spec)).unwrap();
        assert_eq!(r.lines_read(), 0, "no peeking with a given spec");
        let mut b = EventBatch::default();
        assert_eq!(r.next_batch(&mut b, 0).unwrap(), 1, "max_events 0 still reads");

        let other = MarketSpec::new("ETHUSDT", "0.01", "0.0001").unwrap();
        let mut r = BinanceReader::new(SPOT_TRADE.as_bytes(), BinanceMarket::Spot, Some(other)).unwrap();
        let err = r.next_batch(&mut b, 10).unwrap_err().to_string();
        assert_eq!(err, "line 1: stream symbol 'btcusdt' does not match the reader's symbol 'ETHUSDT'");
    }

    #[test]
    fn batches_respect_max_events() {
        let input = [SPOT_TRADE; 5].join("\n");
        let mut r = BinanceReader::new(input.as_bytes(), BinanceMarket::Spot, None).unwrap();
        let mut b = EventBatch::default();
        let mut sizes = vec![];
        loop {
            let n = r.next_batch(&mut b, 2).unwrap();
            if n == 0 {
                break;
            }
            assert_eq!(b.len(), n);
            assert_eq!(b.levels.len(), n);
            sizes.push(n);
        }
        assert_eq!(sizes, vec![2, 2, 1]);
        assert_eq!(r.lines_read(), 5);
    }

    #[test]
    fn events_before_a_bad_line_are_returned_then_the_error() {
        let input = format!("{SPOT_TRADE}\n{SPOT_TICKER}\nnot a line\n{SPOT_DIFF}\n");
        let mut r = BinanceReader::new(input.as_bytes(), BinanceMarket::Spot, None).unwrap();
        let mut b = EventBatch::default();
        assert_eq!(r.next_batch(&mut b, 100).unwrap(), 2);
        assert_eq!(b.kind, vec![EventKind::Trade, EventKind::BookTicker]);
        assert_eq!(b.levels.len(), 3);
        let err = r.next_batch(&mut b, 100).unwrap_err();
        assert!(b.is_empty());
        assert!(matches!(err, ReadError::Line { line: 3, reason: LineError::BadTimestamp(_) }), "{err:?}");
        assert_eq!(r.next_batch(&mut b, 100).unwrap(), 1);
        assert_eq!(b.kind, vec![EventKind::DepthDiff]);
        assert_eq!(b.level_start, vec![0]);
        assert_eq!(r.next_batch(&mut b, 100).unwrap(), 0);
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(
            line_error("1723161254087896568"),
            "line 2: expected '<receive ns> <json>' but the line has no space"
        );
        assert_eq!(
            line_error("17231x1254087896568 {}"),
            "line 2: bad receive timestamp '17231x1254087896568': expected 1 to 19 decimal digits (ns since the epoch)"
        );
        assert!(
            line_error("99999999999999999999 {}").starts_with("line 2: bad receive timestamp '99999999999999999999'")
        );
        assert!(line_error(" {}").starts_with("line 2: bad receive timestamp ''"));
        assert!(line_error("-5 {}").starts_with("line 2: bad receive timestamp '-5'"));
        let e = line_error(r#"1 {"stream":"btcusdt@trade","data":{"e":"trade""#);
        assert!(e.starts_with("line 2: bad JSON: EOF while parsing"), "{e}");
        let e = line_error(r#"1 {"stream":"btcusdt@trade","data":{}} trailing"#);
        assert!(e.starts_with("line 2: bad JSON: trailing characters"), "{e}");
        let e = line_error("1 [1,2,3]");
        assert!(e.starts_with("line 2: bad JSON: invalid type: sequence, expected a JSON object"), "{e}");
        let e = line_error(b"1 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"tr\xffde\"}}");
        assert!(e.starts_with("line 2: bad JSON"), "{e}");
        assert_eq!(
            line_error(r#"1 {"foo":1}"#),
            "line 2: neither a combined-stream message {\"stream\",\"data\"} nor a depth snapshot {\"lastUpdateId\",\"bids\",\"asks\"}"
        );
        assert_eq!(line_error(r#"1 {"stream":"btcusdt@trade"}"#), "line 2: stream message is missing field 'data'");
        assert_eq!(line_error(r#"1 {"data":{}}"#), "line 2: stream message is missing field 'stream'");
    }

    #[test]
    fn unknown_stream_is_named() {
        let e = line_error(
            r#"1 {"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":1,"o":"1"}}}"#,
        );
        assert!(e.starts_with("line 2: unknown stream 'btcusdt@kline_1m'"), "{e}");
        // aggTrade's "a" is an integer: the stream name must be checked before the data.
        let e = line_error(r#"1 {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","a":5,"p":"1","q":"1"}}"#);
        assert!(e.starts_with("line 2: unknown stream 'btcusdt@aggTrade'"), "{e}");
        let e = line_error(r#"1 {"stream":"btcusdt@depth20@100ms","data":{}}"#);
        assert!(e.starts_with("line 2: unknown stream 'btcusdt@depth20@100ms'"), "{e}");
        let e = line_error(r#"1 {"stream":"btcusdt","data":{}}"#);
        assert!(e.starts_with("line 2: unknown stream 'btcusdt'"), "{e}");
        let e = line_error(r#"1 {"stream":"btcusdt@trade","data":{"e":"depthUpdate"}}"#);
        assert_eq!(e, "line 2: stream 'btcusdt@trade' carries event type 'depthUpdate', expected 'trade'");
    }

    #[test]
    fn symbol_mismatch() {
        let e = line_error(SPOT_TRADE.replace("btcusdt@", "ethusdt@"));
        assert_eq!(e, "line 2: stream symbol 'ethusdt' does not match the reader's symbol 'BTCUSDT'");
        let e = line_error(SPOT_TRADE.replace("\"s\":\"BTCUSDT\"", "\"s\":\"ETHUSDT\""));
        assert_eq!(e, "line 2: 's' 'ETHUSDT' does not match the reader's symbol 'BTCUSDT'");
        let snap = r#"1 {"lastUpdateId":1,"symbol":"ETHUSDT","bids":[],"asks":[]}"#;
        assert_eq!(line_error(snap), "line 2: snapshot symbol 'ETHUSDT' does not match the reader's symbol 'BTCUSDT'");
    }

    #[test]
    fn bad_decimals_name_the_field() {
        let e = line_error(SPOT_DIFF.replace("61730.17000000", "61730.175"));
        assert_eq!(e, "line 2: b[1] price: '61730.175' is not on the grid of 0.01");
        let e = line_error(SPOT_DIFF.replace("1.54698000", "1.5469801"));
        assert_eq!(e, "line 2: a[0] size: '1.5469801' is not on the grid of 0.000001");
        let e = line_error(SPOT_TRADE.replace("61837.63000000", "NaN"));
        assert_eq!(e, "line 2: p: 'NaN' is not a decimal number");
        let e = line_error(SPOT_TRADE.replace("0.02000000", "-0.02"));
        assert_eq!(e, "line 2: q: '-0.02' is negative");
        let e = line_error(SPOT_TICKER.replace("3.78826000", "inf"));
        assert_eq!(e, "line 2: B: 'inf' is not a decimal number");
        let e = line_error(SPOT_TICKER.replace("\"a\":\"61837.64000000\"", "\"a\":\"\""));
        assert_eq!(e, "line 2: a: '' is not a decimal number");
        let e = line_error(SPOT_SNAPSHOT.replace("0.61700000", "1e3"));
        assert_eq!(e, "line 2: bids[1] size: '1e3' is not a decimal number");
        let e = line_error(SPOT_SNAPSHOT.replace("61837.64000000", "99999999999999999999999"));
        assert_eq!(e, "line 2: asks[0] price: '99999999999999999999999' is too large");
        // Numbers instead of strings.
        let e = line_error(SPOT_TRADE.replace("\"61837.63000000\"", "61837.63"));
        assert!(
            e.starts_with("line 2: bad JSON: invalid type: floating point `61837.63`, expected a decimal string for p"),
            "{e}"
        );
        let e = line_error(SPOT_DIFF.replace("[\"61730.17000000\",\"1.50000000\"]", "[\"61730.17000000\"]"));
        assert_eq!(e, "line 2: b[1] is not a [price, size] pair");
        let e = line_error(SPOT_DIFF.replace("[\"61730.17000000\",\"1.50000000\"]", "[\"1\",\"1\",\"1\"]"));
        assert_eq!(e, "line 2: b[1] is not a [price, size] pair");
        let e = line_error(SPOT_DIFF.replace("[\"61730.17000000\",\"1.50000000\"]", "5"));
        assert!(
            e.starts_with("line 2: bad JSON: invalid type: integer `5`, expected a [price, size] pair for b[1]"),
            "{e}"
        );
    }

    #[test]
    fn missing_and_duplicate_fields() {
        assert_eq!(line_error(SPOT_TRADE.replace("\"t\":3735683259,", "")), "line 2: trade is missing field 't'");
        assert_eq!(line_error(SPOT_TRADE.replace("\"T\":1723161255342,", "")), "line 2: trade is missing field 'T'");
        assert_eq!(line_error(SPOT_DIFF.replace("\"U\":50093239189,", "")), "line 2: depth diff is missing field 'U'");
        assert_eq!(
            line_error(SPOT_TICKER.replace(",\"A\":\"1.54698000\"", "")),
            "line 2: bookTicker is missing field 'A'"
        );
        assert_eq!(
            line_error(SPOT_DIFF.replace("\"U\":50093239189,", "\"U\":50093239189,\"U\":1,")),
            "line 2: field 'U' appears twice"
        );
        assert_eq!(line_error(SPOT_DIFF.replace("\"b\":", "\"b\":[],\"b\":")), "line 2: field 'b' appears twice");
        assert_eq!(
            line_error(SPOT_DIFF.replace("\"U\":50093239189,", "\"pu\":1,\"U\":50093239189,")),
            "line 2: a spot depth diff carries 'pu': is this a futures recording read as spot?"
        );
        assert_eq!(
            line_error(SPOT_TICKER.replace("\"b\":\"61837.63000000\"", "\"b\":[]")),
            "line 2: 'b' of a bookTicker must be a price string"
        );
        assert_eq!(
            line_error(SPOT_DIFF.replace("\"b\":[", "\"b\":\"1\",\"x\":[")),
            "line 2: 'b' of a depth diff must be an array of [price, size] levels"
        );
        let e = line_error(SPOT_DIFF.replace("\"U\":50093239189", "\"U\":-1"));
        assert!(e.starts_with("line 2: bad JSON: invalid value: integer `-1`, expected u64"), "{e}");
        assert_eq!(
            line_error(SPOT_DIFF.replace("\"E\":1723161255208", "\"E\":18446744073709551615")),
            "line 2: 'E' = 18446744073709551615 ms is out of range"
        );
    }

    #[test]
    fn futures_diff_needs_pu() {
        let input = CM_DIFF.replace("\"pu\":1007198631198,", "");
        let err = read_all(&input, BinanceMarket::CoinM).unwrap_err();
        assert_eq!(err.to_string(), "line 1: futures depth diff is missing field 'pu'");
    }

    #[test]
    fn symbol_inference_errors() {
        let err = BinanceReader::new(&b""[..], BinanceMarket::Spot, None).err().unwrap();
        assert_eq!(err.to_string(), "cannot infer the symbol: the input is empty; pass a MarketSpec");
        let err = BinanceReader::new(SPOT_SNAPSHOT.as_bytes(), BinanceMarket::Spot, None).err().unwrap();
        assert_eq!(
            err.to_string(),
            "cannot infer the symbol: line 1 names no symbol (a REST snapshot without 'symbol'?); pass a MarketSpec"
        );
        let err = BinanceReader::new(SPOT_TRADE.as_bytes(), BinanceMarket::CoinM, None).err().unwrap();
        assert_eq!(err.to_string(), "no built-in market spec for Binance CoinM symbol 'btcusdt'; pass a MarketSpec");
        let err = BinanceReader::new(&b"\n\nxyz\n"[..], BinanceMarket::Spot, None).err().unwrap();
        assert_eq!(err.to_string(), "line 3: expected '<receive ns> <json>' but the line has no space");
        // A coin-M snapshot names its symbol.
        let r = BinanceReader::new(CM_SNAPSHOT.as_bytes(), BinanceMarket::CoinM, None).unwrap();
        assert_eq!(r.symbol(), "BTCUSD_PERP");
    }

    #[test]
    fn open_infers_market_or_asks_for_it() {
        assert_eq!(market_from_file_name(Path::new("/x/spot_btcusdt_20240808.gz")), Some(BinanceMarket::Spot));
        assert_eq!(market_from_file_name(Path::new("usdm_ethusdt.gz")), Some(BinanceMarket::UsdM));
        assert_eq!(market_from_file_name(Path::new("CM_btcusd_perp.gz")), Some(BinanceMarket::CoinM));
        assert_eq!(market_from_file_name(Path::new("/spot_/btc.gz")), None);
        let err = BinanceReader::open(Path::new("/nonexistent/btc.gz"), None, None).err().unwrap();
        assert!(err.to_string().contains("pass the market explicitly"), "{err}");
        let err = BinanceReader::open(Path::new("/nonexistent/spot_btc.gz"), None, None).err().unwrap();
        assert!(matches!(err, ReadError::Open { .. }), "{err}");
    }

    fn gzip(text: &str) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn truncated_gzip_is_an_error_not_a_panic() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&SPOT_TRADE.replace("3735683259", &(3_735_683_259u64 + i).to_string()));
            text.push('\n');
        }
        let whole = gzip(&text);
        let cut = &whole[..whole.len() / 2];
        let input = BufReader::new(MultiGzDecoder::new(cut));
        let mut r = BinanceReader::new(input, BinanceMarket::Spot, None).unwrap();
        let mut b = EventBatch::default();
        let mut events = 0;
        let err = loop {
            match r.next_batch(&mut b, 256) {
                Ok(0) => panic!("a truncated gzip must not end cleanly"),
                Ok(n) => events += n,
                Err(e) => break e,
            }
        };
        assert!(events > 0 && events < 2000, "{events}");
        let msg = err.to_string();
        assert!(matches!(err, ReadError::Io { .. }), "{err:?}");
        assert!(msg.starts_with(&format!("truncated or corrupt gzip at line {}", r.lines_read() + 1)), "{msg}");
        // The input is over: no endless error loop.
        assert_eq!(r.next_batch(&mut b, 256).unwrap(), 0);
        assert_eq!(r.next_batch(&mut b, 256).unwrap(), 0);

        // Garbage instead of gzip.
        let input = BufReader::new(MultiGzDecoder::new(&b"definitely not gzip"[..]));
        let err = BinanceReader::new(input, BinanceMarket::Spot, None).err().unwrap();
        assert!(err.to_string().starts_with("truncated or corrupt gzip at line 1"), "{err}");
    }

    #[test]
    fn whole_gzip_reads_cleanly() {
        let text = [SPOT_DIFF, SPOT_TRADE, SPOT_TICKER, SPOT_SNAPSHOT].join("\n") + "\n";
        let bytes = gzip(&text);
        let input = BufReader::new(MultiGzDecoder::new(&bytes[..]));
        let mut r = BinanceReader::new(input, BinanceMarket::Spot, None).unwrap();
        let mut b = EventBatch::default();
        assert_eq!(r.next_batch(&mut b, 100).unwrap(), 4);
        assert_eq!(r.next_batch(&mut b, 100).unwrap(), 0);
    }

    fn pow10_quantum(scale: u32) -> Quantum {
        let s = if scale == 0 { "1".to_owned() } else { format!("0.{}1", "0".repeat(scale as usize - 1)) };
        Quantum::parse(&s, "tick size").unwrap()
    }

    proptest::proptest! {
        /// The fast decimal path returns exactly what `Quantum::count` returns, and is taken
        /// for every valid value of up to 19 bytes.
        #[test]
        fn fast_decimal_path_agrees_with_quantum_count(
            s in "[0-9]{0,21}(\\.[0-9]{0,21})?|[0-9]{1,12}\\.[0-9]{0,6}0{0,18}|[-+0-9.eE a]{0,8}",
            scale in 0u32..=18,
        ) {
            let q = pow10_quantum(scale);
            let slow = q.count(&s);
            proptest::prop_assert_eq!(count(q, &s), slow.clone());
            let fast = count_pow10(s.as_bytes(), scale);
            proptest::prop_assert_eq!(fast.is_some(), slow.is_ok() && s.len() <= 19);
        }
    }

    #[test]
    fn fast_decimal_path_examples() {
        assert_eq!(count_pow10(b"61773.6", 1), Some(617_736));
        assert_eq!(count_pow10(b"61837.63000000", 2), Some(6_183_763));
        assert_eq!(count_pow10(b"25.42618900", 5), None, "off grid");
        assert_eq!(count_pow10(b"25.42618900", 6), Some(25_426_189));
        assert_eq!(count_pow10(b"0.00000000", 6), Some(0));
        assert_eq!(count_pow10(b"1001", 0), Some(1001));
        assert_eq!(count_pow10(b"12", 3), Some(12_000));
        for bad in [&b""[..], b".", b"1.", b".5", b"1..2", b"-1", b"1e5", b"NaN", b" 1", b"1 "] {
            assert_eq!(count_pow10(bad, 2), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(count_pow10(b"9999999999999999999", 0), None, "beyond i64");
        assert_eq!(count_pow10(b"9223372036854775807", 0), Some(i64::MAX));
        assert_eq!(count_pow10(b"922337203685477580", 1), Some(9_223_372_036_854_775_800));
        assert_eq!(count_pow10(b"922337203685477581", 1), None, "overflows once scaled");
    }

    /// Never panics on arbitrary bytes (a cheap stand-in for the cargo-fuzz target).
    #[test]
    fn arbitrary_bytes_never_panic() {
        let seeds = [SPOT_DIFF, SPOT_TRADE, SPOT_TICKER, SPOT_SNAPSHOT, CM_DIFF, CM_TICKER, CM_TRADE, CM_SNAPSHOT];
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for round in 0..3000 {
            let seed = seeds[round % seeds.len()];
            let mut bytes = format!("{SPOT_TRADE}\n{seed}\n{seed}").into_bytes();
            for _ in 0..(1 + next() % 6) {
                if bytes.is_empty() {
                    break;
                }
                let i = (next() as usize) % bytes.len();
                match next() % 4 {
                    0 => bytes[i] = next() as u8,
                    1 => {
                        bytes.remove(i);
                    }
                    2 => bytes.insert(i, b"\"[]{},:0.\n\\ -"[(next() % 13) as usize]),
                    _ => bytes.truncate(i),
                }
            }
            for market in [BinanceMarket::Spot, BinanceMarket::CoinM] {
                if let Ok(mut r) = BinanceReader::new(&bytes[..], market, None) {
                    let mut b = EventBatch::default();
                    for _ in 0..10 {
                        match r.next_batch(&mut b, 2) {
                            Ok(0) => break,
                            Ok(n) => {
                                assert_eq!(b.len(), n);
                                for e in b.iter() {
                                    let _ = e.bids.len() + e.asks.len();
                                }
                            }
                            Err(_) => assert!(b.is_empty()),
                        }
                    }
                }
            }
        }
    }
}
