//! hftbacktest's event files as an event source: the `data` array of an `.npz` (what its
//! converters write with `np.savez_compressed(..., data=...)`) or a plain `.npy`, in
//! hftbacktest's event dtype `ev u8, exch_ts i8, local_ts i8, px f8, qty f8, order_id u8,
//! ival i8, fval f8` (read with `npyz`; the archive with `zip`).
//!
//! # Mapping
//!
//! Only rows flagged `EXCH_EVENT` are read, in file order (hftbacktest keeps them sorted by
//! exchange time; the rows flagged `LOCAL_EVENT` only are its local-order copies, skipped and
//! counted). The event kind is `ev` below the flag bits; `BUY_EVENT` / `SELL_EVENT` give the side.
//!
//! | rows | event | ids | levels |
//! |---|---|---|---|
//! | consecutive `DEPTH_EVENT` rows with the same `exch_ts` and `local_ts` | `DepthDiff` | n, n (a count) | the `BUY` rows' (px, qty), then the `SELL` rows' |
//! | consecutive `DEPTH_CLEAR_EVENT` / `DEPTH_SNAPSHOT_EVENT` rows, same times | `Snapshot` | n, n | the snapshot rows, bids then asks |
//! | one `TRADE_EVENT` row | `Trade` | n, n | (px, qty); `SELL_EVENT` (the seller was the aggressor) → [`FLAG_BUYER_MAKER`] |
//!
//! `exch_ts` and `local_ts` (ns) are kept. Prices and quantities become ticks and lots of the
//! market spec; a value more than 10⁻⁶ of a tick (lot) off the grid is an error, as are
//! negative, NaN or infinite ones. In one exchange timestamp trades go before depth events,
//! the rule of [`crate::replay::binance::BinanceSource`] (a depth update stamped with a trade's time
//! already shows it); otherwise the file's order is kept.
//!
//! # Limits
//!
//! * No update ids: the book follows [`SequenceRule::None`] (every diff applies, no gap
//!   detection), as in hftbacktest.
//! * A snapshot replaces the whole book; hftbacktest's `DEPTH_CLEAR_EVENT` clears a side only
//!   up to its price and keeps deeper levels.
//! * `DEPTH_BBO_EVENT` and the market-by-order events (`ADD_ORDER`, `CANCEL_ORDER`,
//!   `MODIFY_ORDER`, `FILL`) are refused; custom kinds (100 and up, e.g. the converters'
//!   mark price and book ticker rows) are skipped and counted. `order_id`, `ival` and `fval`
//!   are not used.
//! * hftbacktest has no market spec in the file: the grid comes from the caller, or from a file
//!   name in the recordings' convention (`usdm_btcusdt_….npz`).
//! * Its Binance futures converter stamps depth updates with the transaction time `T` (our
//!   reader uses the event time `E`), and keeps only `MARKET` trades.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::book::{Level, SequenceRule};
use crate::replay::binance::market_from_file_name;
use crate::replay::{EventBatch, EventKind, EventSource, FLAG_BUYER_MAKER, SourceProgress};
use crate::spec::{BinanceMarket, MarketSpec};

/// hftbacktest's event flags and kinds (`hftbacktest.types`).
pub const EXCH_EVENT: u64 = 1 << 31;
pub const LOCAL_EVENT: u64 = 1 << 30;
pub const BUY_EVENT: u64 = 1 << 29;
pub const SELL_EVENT: u64 = 1 << 28;
const KIND_MASK: u64 = (1 << 28) - 1;
const DEPTH_EVENT: u64 = 1;
const TRADE_EVENT: u64 = 2;
const DEPTH_CLEAR_EVENT: u64 = 3;
const DEPTH_SNAPSHOT_EVENT: u64 = 4;
const DEPTH_BBO_EVENT: u64 = 5;
/// Kinds from here up are user-defined.
const CUSTOM_EVENT: u64 = 100;

/// One row of hftbacktest's `event_dtype`.
#[derive(Clone, Copy, Debug, npyz::Deserialize)]
struct Row {
    ev: u64,
    exch_ts: i64,
    local_ts: i64,
    px: f64,
    qty: f64,
    #[allow(dead_code)]
    order_id: u64,
    #[allow(dead_code)]
    ival: i64,
    #[allow(dead_code)]
    fval: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum NpzError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a readable .npz archive: {reason}", path.display())]
    Archive { path: PathBuf, reason: String },
    #[error("{} has no 'data' array (hftbacktest's event files keep their events there)", path.display())]
    NoData { path: PathBuf },
    #[error(
        "the data array of {} is not in hftbacktest's event dtype (ev u8, exch_ts i8, local_ts i8, px f8, qty f8, order_id u8, ival i8, fval f8): {reason}",
        path.display()
    )]
    DType { path: PathBuf, reason: String },
    #[error("{} row {row}: {reason}", path.display())]
    Row { path: PathBuf, row: u64, reason: String },
    #[error(
        "cannot tell the market of {}: name it like the recordings (spot_|usdm_|cm_<symbol>_…) or pass the market (e.g. --market usdm:BTCUSDT)",
        path.display()
    )]
    UnknownMarket { path: PathBuf },
}

/// Rows of the file not turned into events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NpzSkipped {
    /// Local-order copies (`LOCAL_EVENT` without `EXCH_EVENT`) and rows with neither flag.
    pub not_exchange: u64,
    /// Custom kinds (100 and up).
    pub custom: u64,
}

/// The events of one hftbacktest event file, in exchange order.
#[derive(Clone, Debug)]
pub struct NpzSource {
    events: Arc<EventBatch>,
    next: usize,
    spec: MarketSpec,
    market: Option<BinanceMarket>,
    rows: u64,
    skipped: NpzSkipped,
}

/// The Binance market and symbol a file name in the recordings' convention announces:
/// `usdm_btcusdt_20240808.npz` → (USD-M, BTCUSDT); `cm_btcusd_perp_….npz` → (COIN-M,
/// BTCUSD_PERP), the shortest run of `_`-separated words after the prefix with a built-in spec.
pub fn binance_spec_from_file_name(path: &Path) -> Option<(BinanceMarket, MarketSpec)> {
    let market = market_from_file_name(path)?;
    let stem = path.file_stem()?.to_str()?;
    let words: Vec<&str> = stem.split('_').skip(1).collect();
    (1..=words.len()).find_map(|n| MarketSpec::binance(&words[..n].join("_"), market).map(|s| (market, s)))
}

impl NpzSource {
    /// Reads `path` (an `.npz` with a `data` array, or an `.npy`). `spec`: the grid, else the
    /// one the file name announces ([`binance_spec_from_file_name`]); `market` is reported only.
    pub fn open(path: &Path, spec: Option<MarketSpec>, market: Option<BinanceMarket>) -> Result<Self, NpzError> {
        let (market, spec) = match spec {
            Some(s) => (market, s),
            None => {
                let (m, s) = binance_spec_from_file_name(path)
                    .ok_or_else(|| NpzError::UnknownMarket { path: path.to_owned() })?;
                (Some(m), s)
            }
        };
        let rows = read_rows(path)?;
        let (events, skipped) =
            to_events(&rows, &spec).map_err(|(row, reason)| NpzError::Row { path: path.to_owned(), row, reason })?;
        Ok(Self { events: Arc::new(events), next: 0, spec, market, rows: rows.len() as u64, skipped })
    }

    pub fn spec(&self) -> &MarketSpec {
        &self.spec
    }

    /// The Binance market family, when known (from the caller or the file name).
    pub fn market(&self) -> Option<BinanceMarket> {
        self.market
    }

    /// No update ids in the file: every diff applies.
    pub fn rule(&self) -> SequenceRule {
        SequenceRule::None
    }

    /// Rows in the file, and those skipped.
    pub fn rows(&self) -> (u64, NpzSkipped) {
        (self.rows, self.skipped)
    }

    /// The same events from the first.
    pub fn rewound(&self) -> Self {
        Self { next: 0, ..self.clone() }
    }
}

impl EventSource for NpzSource {
    type Error = std::convert::Infallible;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, Self::Error> {
        batch.clear();
        let end = (self.next + 4096).min(self.events.len());
        for i in self.next..end {
            batch.push_event(&self.events.get(i));
        }
        let n = end - self.next;
        self.next = end;
        Ok(n)
    }

    fn progress(&self) -> SourceProgress {
        SourceProgress { bytes_read: self.next as u64, total_bytes: Some(self.events.len() as u64) }
    }
}

fn read_rows(path: &Path) -> Result<Vec<Row>, NpzError> {
    let io_err = |source| NpzError::Io { path: path.to_owned(), source };
    let mut file = BufReader::with_capacity(1 << 16, File::open(path).map_err(io_err)?);
    let mut magic = [0u8; 4];
    file.read_exact(&mut magic).map_err(io_err)?;
    if &magic == b"PK\x03\x04" {
        let archive_err = |e: zip::result::ZipError| NpzError::Archive { path: path.to_owned(), reason: e.to_string() };
        let file = File::open(path).map_err(io_err)?;
        let mut zip = zip::ZipArchive::new(BufReader::with_capacity(1 << 16, file)).map_err(archive_err)?;
        let entry = match zip.by_name("data.npy") {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Err(NpzError::NoData { path: path.to_owned() }),
            Err(e) => return Err(archive_err(e)),
        };
        decode_npy(path, BufReader::with_capacity(1 << 16, entry))
    } else {
        decode_npy(path, BufReader::with_capacity(1 << 16, File::open(path).map_err(io_err)?))
    }
}

fn decode_npy<R: Read>(path: &Path, input: R) -> Result<Vec<Row>, NpzError> {
    let io_err = |source| NpzError::Io { path: path.to_owned(), source };
    let npy = npyz::NpyFile::new(input).map_err(io_err)?;
    if npy.shape().len() != 1 {
        return Err(NpzError::DType {
            path: path.to_owned(),
            reason: format!("shape {:?}, expected one dimension", npy.shape()),
        });
    }
    let data = npy.data::<Row>().map_err(|e| NpzError::DType { path: path.to_owned(), reason: e.to_string() })?;
    data.collect::<io::Result<Vec<Row>>>().map_err(io_err)
}

/// Count of grid quanta in `v`, if `v` is within 10⁻⁶ quanta of the grid.
fn on_grid(v: f64, quantum: f64) -> Option<i64> {
    let q = v / quantum;
    let n = q.round();
    ((q - n).abs() <= 1e-6 && (0.0..9.0e15).contains(&n)).then_some(n as i64)
}

fn level(r: &Row, spec: &MarketSpec, tick: f64, lot: f64) -> Result<Level, String> {
    let price = on_grid(r.px, tick)
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("px {} is not a positive price on the tick grid {}", r.px, spec.tick))?;
    let size =
        on_grid(r.qty, lot).ok_or_else(|| format!("qty {} is not a size on the lot grid {}", r.qty, spec.lot))?;
    Ok(Level::new(price, size))
}

/// What a row contributes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Depth,
    Snapshot,
}

/// Events of the rows in file order, then stably reordered trades-first within a timestamp.
fn to_events(rows: &[Row], spec: &MarketSpec) -> Result<(EventBatch, NpzSkipped), (u64, String)> {
    let (tick, lot) = (spec.tick.to_f64(1.0), spec.lot.to_f64(1.0));
    let mut raw = EventBatch::default();
    let mut skipped = NpzSkipped::default();
    let mut asks: Vec<Level> = Vec::new();
    // The event being gathered: (group, exch_ts, local_ts, level_start).
    let mut open: Option<(Group, i64, i64, u32)> = None;
    let mut last_exch = i64::MIN;
    let mut count = 0u64;
    let close =
        |raw: &mut EventBatch, asks: &mut Vec<Level>, open: &mut Option<(Group, i64, i64, u32)>, count: &mut u64| {
            if let Some((group, exch, local, start)) = open.take() {
                let bids = raw.levels.len() as u32 - start;
                raw.levels.append(asks);
                *count += 1;
                let kind = if group == Group::Depth { EventKind::DepthDiff } else { EventKind::Snapshot };
                raw.push(kind, local, exch, *count, *count, None, 0, start, bids);
            }
        };
    for (i, r) in rows.iter().enumerate() {
        let at = |reason: String| (i as u64, reason);
        if r.ev & EXCH_EVENT == 0 {
            skipped.not_exchange += 1;
            continue;
        }
        let kind = r.ev & KIND_MASK;
        if kind >= CUSTOM_EVENT {
            skipped.custom += 1;
            continue;
        }
        if r.exch_ts <= 0 {
            return Err(at(format!("exch_ts {} is not a time after the epoch", r.exch_ts)));
        }
        if r.exch_ts < last_exch {
            return Err(at(format!(
                "exch_ts {} is before the previous exchange row's {last_exch} (not in exchange order)",
                r.exch_ts
            )));
        }
        last_exch = r.exch_ts;
        let bid = match (r.ev & BUY_EVENT != 0, r.ev & SELL_EVENT != 0) {
            (true, false) => true,
            (false, true) => false,
            _ => return Err(at("expected exactly one of BUY_EVENT and SELL_EVENT".into())),
        };
        let group = match kind {
            DEPTH_EVENT => Group::Depth,
            DEPTH_CLEAR_EVENT | DEPTH_SNAPSHOT_EVENT => Group::Snapshot,
            TRADE_EVENT => {
                close(&mut raw, &mut asks, &mut open, &mut count);
                let l = level(r, spec, tick, lot).map_err(at)?;
                if l.size == 0 {
                    return Err(at("a trade of quantity 0".into()));
                }
                let start = raw.levels.len() as u32;
                raw.levels.push(l);
                count += 1;
                let flags = if bid { 0 } else { FLAG_BUYER_MAKER };
                raw.push(EventKind::Trade, r.local_ts, r.exch_ts, count, count, None, flags, start, 1);
                continue;
            }
            DEPTH_BBO_EVENT => return Err(at("DEPTH_BBO_EVENT rows are not supported (L2 depth updates only)".into())),
            k => return Err(at(format!("event kind {k} is not supported (L2 depth, snapshots and trades only)"))),
        };
        if open.is_some_and(|(g, e, l, _)| (g, e, l) != (group, r.exch_ts, r.local_ts)) {
            close(&mut raw, &mut asks, &mut open, &mut count);
        }
        if open.is_none() {
            open = Some((group, r.exch_ts, r.local_ts, raw.levels.len() as u32));
        }
        if kind == DEPTH_CLEAR_EVENT {
            continue;
        }
        let l = level(r, spec, tick, lot).map_err(at)?;
        if bid { raw.levels.push(l) } else { asks.push(l) }
    }
    close(&mut raw, &mut asks, &mut open, &mut count);
    let mut order: Vec<(i64, bool, usize)> =
        (0..raw.len()).map(|i| (raw.exchange_ts[i], raw.kind[i] != EventKind::Trade, i)).collect();
    order.sort_unstable();
    let mut events = EventBatch::default();
    for (_, _, i) in order {
        events.push_event(&raw.get(i));
    }
    Ok((events, skipped))
}
