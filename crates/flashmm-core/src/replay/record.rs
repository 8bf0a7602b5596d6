//! Recording market data in the format the readers take ([`binance`](super::binance)): gzip
//! text, one line per event, `<local receive ns> <json>`, the JSON in Binance's
//! combined-stream envelope (`@depth` diffs, `@trade`, `@bookTicker`) or the REST depth
//! snapshot. Any venue's normalised events can be written this way, so a user records their
//! own market and trains on it with the same reader and feature code that replay uses.
//!
//! * **Files.** A recording is a sequence of parts `<dir>/<family>_<symbol>_<stamp>-<n>.gz`
//!   (the family prefix `spot_` / `usdm_` / `cm_` tells the reader the sequencing rule), each
//!   a complete gzip member and each with a sidecar `<part>.spec.json` (the market's tick,
//!   lot, minimum size and fees: a market without a built-in Binance spec still reads).
//! * **Rotation** by size (uncompressed bytes) or by local time, at the next depth diff. A
//!   new part starts with a snapshot of the book as recorded so far, so every part replays
//!   on its own; the diff continues the sequence.
//! * **Times.** Local times are written in ns; exchange times in ms, as Binance sends them
//!   (sub-millisecond exchange times are truncated).
//! * **Stopping.** [`Recorder::finish`] writes the gzip trailer of the open part; a part
//!   whose process died without it still reads up to its last complete line.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::book::{Level, Side};
use crate::spec::{BinanceMarket, MarketSpec};

use super::driver::BookReplay;
use super::{Event, EventBatch, EventKind, FLAG_BUYER_MAKER};

/// When to start a new part (0 = never for that criterion).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// Uncompressed bytes per part.
    pub max_bytes: u64,
    /// Local-time span per part, ns.
    pub max_ns: i64,
}

impl Default for Rotation {
    /// 256 MiB of text or one hour, whichever comes first.
    fn default() -> Self {
        Self { max_bytes: 256 << 20, max_ns: 3_600_000_000_000 }
    }
}

/// Why recording failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("writing {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("bad recording name '{0}': use letters, digits, '_' and '-' only")]
    BadName(String),
    #[error("symbol {0:?} cannot be recorded: it holds a quote, a backslash or a control character")]
    BadSymbol(String),
}

/// The family prefix of a recording's file names.
pub fn family_prefix(market: BinanceMarket) -> &'static str {
    match market {
        BinanceMarket::Spot => "spot",
        BinanceMarket::UsdM => "usdm",
        BinanceMarket::CoinM => "cm",
    }
}

/// The JSON of `spec`: the sidecar of each part.
pub fn spec_json(spec: &MarketSpec) -> String {
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serialises");
    format!(
        "{{\"symbol\":{},\"tick_size\":{},\"lot_size\":{},\"min_size\":{},\"maker_fee_ppm\":{},\"taker_fee_ppm\":{}}}\n",
        quoted(&spec.symbol),
        quoted(&spec.tick.to_string()),
        quoted(&spec.lot.to_string()),
        quoted(&spec.lots_to_size(spec.min_size_lots)),
        spec.maker_fee_ppm,
        spec.taker_fee_ppm
    )
}

/// Parses a sidecar written by [`spec_json`].
pub fn spec_from_json(s: &str) -> Result<MarketSpec, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| e.to_string())?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).ok_or_else(|| format!("missing string field '{k}'"));
    let fee = |k: &str| v.get(k).and_then(|x| x.as_i64()).ok_or_else(|| format!("missing integer field '{k}'"));
    let (symbol, tick, lot) = (field("symbol")?, field("tick_size")?, field("lot_size")?);
    let (min_size, maker, taker) = (field("min_size")?, fee("maker_fee_ppm")?, fee("taker_fee_ppm")?);
    MarketSpec::new(symbol, tick, lot)
        .and_then(|m| m.with_min_size(min_size))
        .and_then(|m| m.with_fees(maker, taker))
        .map_err(|e| e.to_string())
}

/// The spec in `part`'s sidecar, `None` without one; an unreadable or bad sidecar is an
/// error naming it.
pub fn sidecar_spec(part: &Path) -> Result<Option<MarketSpec>, (PathBuf, String)> {
    let path = spec_path(part);
    match std::fs::read_to_string(&path) {
        Ok(json) => spec_from_json(&json).map(Some).map_err(|reason| (path, reason)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err((path, e.to_string())),
    }
}

/// The sidecar path of a part: `<part>.spec.json`.
pub fn spec_path(part: &Path) -> PathBuf {
    let mut s = part.as_os_str().to_owned();
    s.push(".spec.json");
    PathBuf::from(s)
}

fn levels(out: &mut String, spec: &MarketSpec, levels: &[Level]) {
    out.push('[');
    for (i, l) in levels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[\"{}\",\"{}\"]", spec.ticks_to_price(l.price), spec.lots_to_size(l.size));
    }
    out.push(']');
}

/// One event as a recording line (without the newline). `stream` is the lower-case symbol.
pub fn format_event(out: &mut String, e: &Event<'_>, spec: &MarketSpec, market: BinanceMarket, stream: &str) {
    let ms = e.exchange_ts.div_euclid(1_000_000);
    let sym = &spec.symbol;
    let _ = write!(out, "{} ", e.local_ts);
    match e.kind {
        EventKind::Snapshot => {
            let _ = write!(out, "{{\"lastUpdateId\":{},\"symbol\":\"{sym}\"", e.last_id);
            if e.exchange_ts != 0 {
                let _ = write!(out, ",\"E\":{ms}");
            }
            out.push_str(",\"bids\":");
            levels(out, spec, e.bids);
            out.push_str(",\"asks\":");
            levels(out, spec, e.asks);
            out.push('}');
        }
        EventKind::DepthDiff => {
            let _ = write!(
                out,
                "{{\"stream\":\"{stream}@depth@100ms\",\"data\":{{\"e\":\"depthUpdate\",\"E\":{ms},\"s\":\"{sym}\",\"U\":{},\"u\":{}",
                e.first_id, e.last_id
            );
            if market != BinanceMarket::Spot {
                // Futures diffs chain by `pu`; a diff without one continues the previous.
                let pu = e.prev_id.unwrap_or(e.first_id.saturating_sub(1));
                let _ = write!(out, ",\"pu\":{pu}");
            }
            out.push_str(",\"b\":");
            levels(out, spec, e.bids);
            out.push_str(",\"a\":");
            levels(out, spec, e.asks);
            out.push_str("}}");
        }
        EventKind::Trade => {
            let l = e.bids.first().copied().unwrap_or(Level { price: 0, size: 0 });
            let _ = write!(
                out,
                "{{\"stream\":\"{stream}@trade\",\"data\":{{\"e\":\"trade\",\"E\":{ms},\"s\":\"{sym}\",\"t\":{},\"p\":\"{}\",\"q\":\"{}\",\"T\":{ms},\"m\":{}}}}}",
                e.first_id,
                spec.ticks_to_price(l.price),
                spec.lots_to_size(l.size),
                e.flags & FLAG_BUYER_MAKER != 0
            );
        }
        EventKind::BookTicker => {
            let (b, a) = (e.bids.first().copied(), e.asks.first().copied());
            let px = |l: Option<Level>| l.map_or_else(|| "0".into(), |l| spec.ticks_to_price(l.price));
            let qty = |l: Option<Level>| l.map_or_else(|| "0".into(), |l| spec.lots_to_size(l.size));
            let _ = write!(out, "{{\"stream\":\"{stream}@bookTicker\",\"data\":{{\"u\":{},\"s\":\"{sym}\"", e.last_id);
            if e.exchange_ts != 0 {
                let _ = write!(out, ",\"E\":{ms}");
            }
            let _ =
                write!(out, ",\"b\":\"{}\",\"B\":\"{}\",\"a\":\"{}\",\"A\":\"{}\"}}}}", px(b), qty(b), px(a), qty(a));
        }
    }
}

struct Part {
    path: PathBuf,
    out: GzEncoder<BufWriter<File>>,
    bytes: u64,
    first_local_ns: Option<i64>,
}

/// Writes a venue's events to rotating recording parts (see the module docs).
pub struct Recorder {
    dir: PathBuf,
    base: String,
    spec: MarketSpec,
    market: BinanceMarket,
    stream: String,
    rotation: Rotation,
    /// The book as recorded, for the snapshot that opens each new part.
    book: BookReplay,
    part: Option<Part>,
    parts: Vec<PathBuf>,
    line: String,
    events: u64,
}

impl Recorder {
    /// A recording of `spec`'s market under `dir`, parts named
    /// `<family>_<symbol>_<name>-<n>.gz` (`name`, e.g. a start date, in `[A-Za-z0-9_-]`).
    pub fn create(
        dir: &Path,
        name: &str,
        spec: MarketSpec,
        market: BinanceMarket,
        rotation: Rotation,
    ) -> Result<Self, RecordError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(RecordError::BadName(name.into()));
        }
        if spec.symbol.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
            return Err(RecordError::BadSymbol(spec.symbol.clone()));
        }
        std::fs::create_dir_all(dir).map_err(|source| RecordError::Io { path: dir.into(), source })?;
        let symbol = spec.symbol.to_ascii_lowercase();
        let safe: String = symbol.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        Ok(Self {
            dir: dir.into(),
            base: format!("{}_{safe}_{name}", family_prefix(market)),
            stream: symbol,
            book: BookReplay::new(crate::replay::binance::sequence_rule(market)),
            spec,
            market,
            rotation,
            part: None,
            parts: Vec::new(),
            line: String::with_capacity(1 << 12),
            events: 0,
        })
    }

    /// Parts written or being written, in order.
    pub fn parts(&self) -> &[PathBuf] {
        &self.parts
    }

    /// Events written so far (each later part's opening snapshot included).
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The book as recorded so far: what a reader replaying every part ends in.
    pub fn book(&self) -> &crate::book::L2Book {
        &self.book.book
    }

    fn io(path: &Path) -> impl FnOnce(io::Error) -> RecordError + '_ {
        move |source| RecordError::Io { path: path.into(), source }
    }

    fn open_part(&mut self) -> Result<(), RecordError> {
        let path = self.dir.join(format!("{}-{}.gz", self.base, self.parts.len() + 1));
        let sidecar = spec_path(&path);
        std::fs::write(&sidecar, spec_json(&self.spec)).map_err(Self::io(&sidecar))?;
        let file = File::create(&path).map_err(Self::io(&path))?;
        self.part = Some(Part {
            out: GzEncoder::new(BufWriter::with_capacity(1 << 16, file), Compression::default()),
            path: path.clone(),
            bytes: 0,
            first_local_ns: None,
        });
        self.parts.push(path);
        Ok(())
    }

    fn close_part(&mut self) -> Result<(), RecordError> {
        if let Some(p) = self.part.take() {
            let mut w = p.out.finish().map_err(Self::io(&p.path))?;
            w.flush().map_err(Self::io(&p.path))?;
        }
        Ok(())
    }

    fn write_line(&mut self, e: &Event<'_>) -> Result<(), RecordError> {
        self.line.clear();
        format_event(&mut self.line, e, &self.spec, self.market, &self.stream);
        self.line.push('\n');
        let part = self.part.as_mut().expect("a part is open");
        part.out.write_all(self.line.as_bytes()).map_err(Self::io(&part.path))?;
        part.bytes += self.line.len() as u64;
        part.first_local_ns.get_or_insert(e.local_ts);
        self.events += 1;
        Ok(())
    }

    /// Whether the open part is full by size or time (before writing an event at `local_ns`).
    fn due(&self, local_ns: i64) -> bool {
        let Some(p) = &self.part else { return false };
        let r = self.rotation;
        (r.max_bytes > 0 && p.bytes >= r.max_bytes)
            || (r.max_ns > 0 && p.first_local_ns.is_some_and(|t| local_ns - t >= r.max_ns))
    }

    /// Appends every event of `batch`, rotating where due.
    pub fn write_batch(&mut self, batch: &EventBatch) -> Result<(), RecordError> {
        for e in batch.iter() {
            if self.part.is_none() {
                self.open_part()?;
            } else if e.kind == EventKind::DepthDiff && self.due(e.local_ts) {
                // At a diff, so the part's opening snapshot can name an id that diff follows.
                self.rotate(&e)?;
            }
            self.write_line(&e)?;
            self.book.apply(&e);
        }
        Ok(())
    }

    /// Closes the part and opens the next with a snapshot of the recorded book, before the
    /// diff `next` (when the book is valid; otherwise the next part waits for the venue's own
    /// snapshot, as a reader would). Its id is the last applied one, except on futures, whose
    /// rule wants the first diff after a snapshot to span the snapshot's id: there it is
    /// `next`'s first id (the book already holds every earlier update, and a diff's levels
    /// are absolute, so applying all of `next` gives the same book).
    fn rotate(&mut self, next: &Event<'_>) -> Result<(), RecordError> {
        self.close_part()?;
        self.open_part()?;
        let book = &self.book.book;
        let id = match self.market {
            BinanceMarket::Spot => book.last_update_id(),
            _ => Some(next.first_id),
        };
        if let (true, Some(id)) = (book.is_valid(), id) {
            let bids: Vec<Level> = book.top_levels(Side::Buy, book.level_count(Side::Buy)).collect();
            let asks: Vec<Level> = book.top_levels(Side::Sell, book.level_count(Side::Sell)).collect();
            let snap = Event {
                kind: EventKind::Snapshot,
                local_ts: next.local_ts,
                exchange_ts: next.exchange_ts,
                first_id: id,
                last_id: id,
                prev_id: None,
                flags: 0,
                bids: &bids,
                asks: &asks,
            };
            self.write_line(&snap)?;
        }
        Ok(())
    }

    /// Flushes and closes the open part (its gzip trailer); returns every part's path.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, RecordError> {
        self.close_part()?;
        Ok(std::mem::take(&mut self.parts))
    }
}
