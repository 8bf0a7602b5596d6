//! Decoded-event cache of a Binance recording (`flashmm convert`): the events the
//! [`BinanceReader`] produces, in file order, stored column by column so a backtest reads them
//! through a memory map instead of gunzipping and parsing JSON again.
//!
//! The gzip recording stays the source of truth. A cache records the recording's size,
//! modification time and xxh3-64 hash, the reader's [`DECODER_VERSION`] and the market spec the
//! events are expressed in; [`Cache::check_fresh`] tells a cache that no longer matches its
//! recording (size or hash differ, the decoder or the built-in spec changed). Every byte of a
//! cache is covered by a checksum verified when it is opened, and its layout is validated, so a
//! truncated, corrupt or foreign file is an error at [`Cache::open`], never a wrong event or a
//! panic later.
//!
//! # Layout (format version 1, little-endian)
//!
//! ```text
//! preamble (32 bytes): magic "FLASHMMC", format version u32, 0u32, body length u64, xxh3-64 of the body u64
//! body:
//!   decoder version u32, market u8 (0 spot, 1 usdm, 2 coinm), 3 zero bytes
//!   source size u64, source mtime i64 (ns since the epoch), source xxh3-64 u64
//!   events n u64, levels m u64, min size lots i64, maker fee ppm i64, taker fee ppm i64
//!   4 strings (u32 length + UTF-8): source path, symbol, tick size, lot size; zero padding to 8
//!   columns: local_ts [i64; n], exchange_ts [i64; n], first_id [u64; n], last_id [u64; n],
//!            prev_id [u64; n], bid_count [u32; n], ask_count [u32; n], kind [u8; n],
//!            flags [u8; n], zero padding to 8, levels [(price i64, size i64); m]
//! ```
//!
//! Event `i`'s levels follow event `i - 1`'s (bids, then asks), so `level_start` is not stored.
//! A cache is written to a temporary file beside its destination and renamed over it: a
//! reader never sees a half-written cache, and several processes may rebuild the same one.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use memmap2::Mmap;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::book::Level;
use crate::replay::binance::{FileReader, ReadError, RecordedEvents};
use crate::replay::{EventBatch, EventKind, SourceProgress};
use crate::spec::{BinanceMarket, MarketSpec};

/// First bytes of every cache file.
pub const MAGIC: [u8; 8] = *b"FLASHMMC";
/// Version of the layout above; a file of another version is refused (and rebuilt).
pub const FORMAT_VERSION: u32 = 1;
/// Version of what [`BinanceReader`](crate::replay::binance::BinanceReader) makes of the same
/// bytes. Bump it whenever the reader's output changes (tests/replay_cache.rs pins digests of
/// the six recordings' events and fails then): every older cache becomes stale.
pub const DECODER_VERSION: u32 = 1;
/// What `flashmm convert <recording>` writes by default: `<recording>.fmcache`, beside it.
pub const EXTENSION: &str = "fmcache";

const PREAMBLE: usize = 32;
/// Fixed body fields before the strings.
const FIXED: usize = 8 + 3 * 8 + 5 * 8;
/// Bytes per event over the columns (5 × 8 + 2 × 4 + 2 × 1) and per level.
const PER_EVENT: usize = 50;
const PER_LEVEL: usize = 16;

/// Why a cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a FlashMM event cache (bad magic)", path.display())]
    NotACache { path: PathBuf },
    #[error("{} is a cache of format version {found}; this build reads version {FORMAT_VERSION}", path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("{} is truncated: {len} of {expected} bytes", path.display())]
    Truncated { path: PathBuf, len: u64, expected: u64 },
    #[error("{} is corrupt: checksum mismatch", path.display())]
    Checksum { path: PathBuf },
    #[error("{} is corrupt: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{} is stale: {reason}", path.display())]
    Stale { path: PathBuf, reason: Stale },
    #[error("cannot convert {}: {source}", path.display())]
    Decode {
        path: PathBuf,
        #[source]
        source: ReadError,
    },
    #[error("{} changed while it was converted", path.display())]
    SourceChanged { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// How a cache no longer matches its recording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stale {
    #[error("{} is {now} bytes, the cache was made from {cached} bytes", path.display())]
    SourceSize { path: PathBuf, cached: u64, now: u64 },
    #[error("the content of {} changed since the cache was made", path.display())]
    SourceContent { path: PathBuf },
    #[error("made by decoder version {cached}, this build decodes with version {DECODER_VERSION}")]
    Decoder { cached: u32 },
    #[error("made with grid tick {tick} / lot {lot} for {symbol}, which is no longer the built-in one")]
    Spec { symbol: String, tick: String, lot: String },
}

/// Size, modification time and content hash of a recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceStamp {
    pub size: u64,
    /// ns since the epoch (0 when the file system gives none).
    pub mtime_ns: i64,
    pub xxh3: u64,
}

impl SourceStamp {
    /// Stats and hashes `path` (one sequential read).
    pub fn of(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let mut hasher = Xxh3::new();
        let mut input = file;
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        Ok(Self { size, mtime_ns, xxh3: hasher.digest() })
    }
}

/// What a cache says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheMeta {
    /// The recording as it was named when converted (made absolute).
    pub source_path: PathBuf,
    pub source: SourceStamp,
    pub decoder_version: u32,
    pub market: BinanceMarket,
    /// The grid the events are expressed in (the reader's, from the first message's symbol).
    pub spec: MarketSpec,
    pub events: u64,
    pub levels: u64,
}

/// What [`convert`] wrote.
#[derive(Clone, Debug)]
pub struct ConvertSummary {
    pub out: PathBuf,
    pub meta: CacheMeta,
    /// Size of the cache file.
    pub bytes: u64,
}

/// `<recording>.fmcache`: where [`convert`] writes by default and where a backtest looks for
/// a cache of a recording.
pub fn default_path(recording: &Path) -> PathBuf {
    let mut name = recording.as_os_str().to_owned();
    name.push(".");
    name.push(EXTENSION);
    PathBuf::from(name)
}

/// Decodes the gzip recording `source` (market from its file name, spec from its first
/// message, as [`FileReader::open`] does) and writes its cache to `out`, atomically. A bad line
/// fails the conversion with the reader's error: a cache holds a recording the reader reads to
/// the end, so a backtest from it is the backtest from the recording.
pub fn convert(source: &Path, out: &Path) -> Result<ConvertSummary, CacheError> {
    let open_err = |e: io::Error| CacheError::Open { path: source.to_owned(), source: e };
    let stamp = SourceStamp::of(source).map_err(open_err)?;
    let decode = |e: ReadError| CacheError::Decode { path: source.to_owned(), source: e };
    let mut reader = FileReader::open(source, None, None).map_err(decode)?;
    let mut all = EventBatch::default();
    let mut batch = EventBatch::default();
    while reader.next_batch(&mut batch, 1 << 14).map_err(decode)? > 0 {
        for e in batch.iter() {
            all.push_event(&e);
        }
    }
    if SourceStamp::of(source).map_err(open_err)? != stamp {
        return Err(CacheError::SourceChanged { path: source.to_owned() });
    }
    let meta = CacheMeta {
        source_path: std::path::absolute(source).unwrap_or_else(|_| source.to_owned()),
        source: stamp,
        decoder_version: DECODER_VERSION,
        market: reader.market(),
        spec: reader.spec().clone(),
        events: all.len() as u64,
        levels: all.levels.len() as u64,
    };
    let bytes = encode(&meta, &all);
    write_atomically(out, &bytes)?;
    Ok(ConvertSummary { out: out.to_owned(), meta, bytes: bytes.len() as u64 })
}

fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let write_err = |e: io::Error| CacheError::Write { path: out.to_owned(), source: e };
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let nonce = std::time::SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{name}.{}-{nonce}.tmp", std::process::id()));
    let result = File::create(&tmp).and_then(|mut f| f.write_all(bytes)).and_then(|()| fs::rename(&tmp, out));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(write_err)
}

fn market_code(m: BinanceMarket) -> u8 {
    match m {
        BinanceMarket::Spot => 0,
        BinanceMarket::UsdM => 1,
        BinanceMarket::CoinM => 2,
    }
}

fn pad8(v: &mut Vec<u8>) {
    v.resize(v.len().next_multiple_of(8), 0);
}

fn encode(meta: &CacheMeta, all: &EventBatch) -> Vec<u8> {
    let n = all.len();
    let mut body = Vec::with_capacity(FIXED + 256 + n * PER_EVENT + all.levels.len() * PER_LEVEL);
    body.extend_from_slice(&meta.decoder_version.to_le_bytes());
    body.extend_from_slice(&[market_code(meta.market), 0, 0, 0]);
    body.extend_from_slice(&meta.source.size.to_le_bytes());
    body.extend_from_slice(&meta.source.mtime_ns.to_le_bytes());
    body.extend_from_slice(&meta.source.xxh3.to_le_bytes());
    for v in [meta.events, meta.levels] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    for v in [meta.spec.min_size_lots, meta.spec.maker_fee_ppm, meta.spec.taker_fee_ppm] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    let path = meta.source_path.to_string_lossy();
    for s in [&*path, &meta.spec.symbol, &meta.spec.tick.to_string(), &meta.spec.lot.to_string()] {
        body.extend_from_slice(&(s.len() as u32).to_le_bytes());
        body.extend_from_slice(s.as_bytes());
    }
    pad8(&mut body);
    for col in [&all.local_ts, &all.exchange_ts] {
        col.iter().for_each(|v| body.extend_from_slice(&v.to_le_bytes()));
    }
    for col in [&all.first_id, &all.last_id, &all.prev_id] {
        col.iter().for_each(|v| body.extend_from_slice(&v.to_le_bytes()));
    }
    for col in [&all.bid_count, &all.ask_count] {
        col.iter().for_each(|v| body.extend_from_slice(&v.to_le_bytes()));
    }
    body.extend(all.kind.iter().map(|&k| k as u8));
    body.extend_from_slice(&all.flags);
    pad8(&mut body);
    for l in &all.levels {
        body.extend_from_slice(&l.price.to_le_bytes());
        body.extend_from_slice(&l.size.to_le_bytes());
    }
    let mut out = Vec::with_capacity(PREAMBLE + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxh3_64(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Byte offsets of the columns inside the file.
#[derive(Clone, Copy, Debug)]
struct Columns {
    local_ts: usize,
    exchange_ts: usize,
    first_id: usize,
    last_id: usize,
    prev_id: usize,
    bid_count: usize,
    ask_count: usize,
    kind: usize,
    flags: usize,
    levels: usize,
}

struct Mapped {
    path: PathBuf,
    map: Mmap,
    meta: CacheMeta,
    cols: Columns,
}

/// An opened, verified cache (cheap to clone: the map is shared).
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Mapped>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("path", &self.inner.path).field("meta", &self.inner.meta).finish()
    }
}

/// Little-endian reads at a cursor, with the bounds checked (a corrupt length is an error).
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }

    fn string(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

fn le_u64(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
}

fn le_u32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i * 4..i * 4 + 4].try_into().expect("4 bytes"))
}

fn kind_of(code: u8) -> Option<EventKind> {
    [EventKind::Snapshot, EventKind::DepthDiff, EventKind::Trade, EventKind::BookTicker]
        .into_iter()
        .find(|k| *k as u8 == code)
}

impl Cache {
    /// Maps `path` and verifies it: magic, version, length, checksum, then the layout.
    pub fn open(path: &Path) -> Result<Self, CacheError> {
        let file = File::open(path).map_err(|source| CacheError::Open { path: path.to_owned(), source })?;
        // SAFETY: the map is read-only and private to this process. Caches are only ever
        // replaced by renaming a new file over them (never rewritten in place), so the mapped
        // inode keeps its bytes for as long as the map lives; the checksum below is verified
        // before any byte is interpreted.
        let map = unsafe { Mmap::map(&file) }.map_err(|source| CacheError::Open { path: path.to_owned(), source })?;
        let (meta, cols) = parse(path, &map)?;
        Ok(Self { inner: Arc::new(Mapped { path: path.to_owned(), map, meta, cols }) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn meta(&self) -> &CacheMeta {
        &self.inner.meta
    }

    /// Whether the cache still describes `recording`: same size and content hash (the
    /// modification time alone proves nothing after a copy), this build's decoder version and
    /// the grid of its symbol unchanged (its sidecar's, else the built-in one).
    pub fn check_fresh(&self, recording: &Path) -> Result<(), CacheError> {
        let stale = |reason| CacheError::Stale { path: self.inner.path.clone(), reason };
        let meta = &self.inner.meta;
        if meta.decoder_version != DECODER_VERSION {
            return Err(stale(Stale::Decoder { cached: meta.decoder_version }));
        }
        // The grid the reader would use now: a recorded part's sidecar, else the built-in one.
        let grid = crate::replay::record::sidecar_spec(recording).ok().flatten();
        if grid.or_else(|| MarketSpec::binance(&meta.spec.symbol, meta.market)).as_ref() != Some(&meta.spec) {
            let s = &meta.spec;
            return Err(stale(Stale::Spec {
                symbol: s.symbol.clone(),
                tick: s.tick.to_string(),
                lot: s.lot.to_string(),
            }));
        }
        let open_err = |source| CacheError::Open { path: recording.to_owned(), source };
        let size = fs::metadata(recording).map_err(open_err)?.len();
        if size != meta.source.size {
            return Err(stale(Stale::SourceSize { path: recording.to_owned(), cached: meta.source.size, now: size }));
        }
        if SourceStamp::of(recording).map_err(open_err)?.xxh3 != meta.source.xxh3 {
            return Err(stale(Stale::SourceContent { path: recording.to_owned() }));
        }
        Ok(())
    }

    /// The events from the first, in file order.
    pub fn reader(&self) -> CacheReader {
        CacheReader { cache: self.clone(), next: 0, next_level: 0 }
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<(CacheMeta, Columns), CacheError> {
    let corrupt = |reason: &str| CacheError::Corrupt { path: path.to_owned(), reason: reason.to_owned() };
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(CacheError::NotACache { path: path.to_owned() });
    }
    let truncated = |expected: u64| CacheError::Truncated { path: path.to_owned(), len: bytes.len() as u64, expected };
    let mut pre = Cursor { bytes, at: MAGIC.len() };
    let (Some(version), Some(_), Some(body_len), Some(sum)) = (pre.u32(), pre.u32(), pre.u64(), pre.u64()) else {
        return Err(truncated(PREAMBLE as u64));
    };
    if version != FORMAT_VERSION {
        return Err(CacheError::Version { path: path.to_owned(), found: version });
    }
    let expected = (PREAMBLE as u64).saturating_add(body_len);
    if (bytes.len() as u64) < expected {
        return Err(truncated(expected));
    }
    if (bytes.len() as u64) > expected {
        return Err(corrupt(&format!("{} bytes after the end of the body", bytes.len() as u64 - expected)));
    }
    let body = &bytes[PREAMBLE..];
    if xxh3_64(body) != sum {
        return Err(CacheError::Checksum { path: path.to_owned() });
    }
    // The checksum matched: what follows only guards against a file that was written wrong
    // (or forged), so that no later read can go out of bounds.
    let bad = || corrupt("header fields are inconsistent");
    let mut c = Cursor { bytes: body, at: 0 };
    let decoder_version = c.u32().ok_or_else(bad)?;
    let market = match c.take(4).ok_or_else(bad)?[0] {
        0 => BinanceMarket::Spot,
        1 => BinanceMarket::UsdM,
        2 => BinanceMarket::CoinM,
        m => return Err(corrupt(&format!("unknown market code {m}"))),
    };
    let source = SourceStamp {
        size: c.u64().ok_or_else(bad)?,
        mtime_ns: c.i64().ok_or_else(bad)?,
        xxh3: c.u64().ok_or_else(bad)?,
    };
    let (events, levels) = (c.u64().ok_or_else(bad)?, c.u64().ok_or_else(bad)?);
    let (min_size, maker, taker) = (c.i64().ok_or_else(bad)?, c.i64().ok_or_else(bad)?, c.i64().ok_or_else(bad)?);
    let source_path = PathBuf::from(c.string().ok_or_else(bad)?);
    let (symbol, tick, lot) = (c.string().ok_or_else(bad)?, c.string().ok_or_else(bad)?, c.string().ok_or_else(bad)?);
    let mut spec = MarketSpec::new(symbol, tick, lot).map_err(|e| corrupt(&format!("market spec: {e}")))?;
    spec.min_size_lots = min_size;
    spec.maker_fee_ppm = maker;
    spec.taker_fee_ppm = taker;
    let n = usize::try_from(events).map_err(|_| bad())?;
    let m = usize::try_from(levels).map_err(|_| bad())?;
    let start = PREAMBLE + c.at.next_multiple_of(8);
    let cols_len = n
        .checked_mul(PER_EVENT)
        .and_then(|e| e.next_multiple_of(8).checked_add(m.checked_mul(PER_LEVEL)?))
        .ok_or_else(bad)?;
    if start.checked_add(cols_len) != Some(bytes.len()) {
        return Err(corrupt(&format!("{n} events and {m} levels do not fill the {} bytes of the body", body.len())));
    }
    let at = |k: usize| start + k * n;
    let cols = Columns {
        local_ts: at(0),
        exchange_ts: at(8),
        first_id: at(16),
        last_id: at(24),
        prev_id: at(32),
        bid_count: at(40),
        ask_count: at(44),
        kind: at(48),
        flags: at(49),
        levels: start + (n * PER_EVENT).next_multiple_of(8),
    };
    if let Some(i) = bytes[cols.kind..cols.kind + n].iter().position(|&k| kind_of(k).is_none()) {
        return Err(corrupt(&format!("event {i} has an unknown kind {}", bytes[cols.kind + i])));
    }
    let (bids, asks) = (&bytes[cols.bid_count..cols.bid_count + 4 * n], &bytes[cols.ask_count..cols.ask_count + 4 * n]);
    let total = (0..n).map(|i| u64::from(le_u32(bids, i)) + u64::from(le_u32(asks, i))).sum::<u64>();
    if total != levels {
        return Err(corrupt(&format!("the events own {total} levels, the cache holds {levels}")));
    }
    let meta = CacheMeta { source_path, source, decoder_version, market, spec, events, levels };
    Ok((meta, cols))
}

/// The events of a [`Cache`] in file order, batch by batch as the reader would give them.
#[derive(Clone)]
pub struct CacheReader {
    cache: Cache,
    next: usize,
    next_level: usize,
}

impl RecordedEvents for CacheReader {
    fn next_batch(&mut self, batch: &mut EventBatch, max_events: usize) -> Result<usize, ReadError> {
        batch.clear();
        let Mapped { map, meta, cols, .. } = &*self.cache.inner;
        let n = meta.events as usize;
        let (a, b) = (self.next, (self.next + max_events.max(1)).min(n));
        let col = |off: usize, width: usize| &map[off + a * width..off + b * width];
        let i64s = |off| col(off, 8).chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")));
        let u64s = |off| col(off, 8).chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
        batch.local_ts.extend(i64s(cols.local_ts));
        batch.exchange_ts.extend(i64s(cols.exchange_ts));
        batch.first_id.extend(u64s(cols.first_id));
        batch.last_id.extend(u64s(cols.last_id));
        batch.prev_id.extend(u64s(cols.prev_id));
        // Kinds were validated when the cache was opened.
        batch.kind.extend(col(cols.kind, 1).iter().map(|&k| kind_of(k).expect("validated kind")));
        batch.flags.extend_from_slice(col(cols.flags, 1));
        let (bids, asks) = (col(cols.bid_count, 4), col(cols.ask_count, 4));
        let mut start = 0u32;
        for i in 0..b - a {
            let (nb, na) = (le_u32(bids, i), le_u32(asks, i));
            batch.bid_count.push(nb);
            batch.ask_count.push(na);
            batch.level_start.push(start);
            start += nb + na;
        }
        let levels = &map
            [cols.levels + self.next_level * PER_LEVEL..cols.levels + (self.next_level + start as usize) * PER_LEVEL];
        batch
            .levels
            .extend(levels.chunks_exact(PER_LEVEL).map(|l| Level::new(le_u64(l, 0) as i64, le_u64(l, 1) as i64)));
        self.next = b;
        self.next_level += start as usize;
        Ok(b - a)
    }

    fn spec(&self) -> &MarketSpec {
        &self.cache.inner.meta.spec
    }

    fn market(&self) -> BinanceMarket {
        self.cache.inner.meta.market
    }

    /// Column bytes handed out so far, of the file's size.
    fn progress(&self) -> SourceProgress {
        let inner = &*self.cache.inner;
        let total = inner.map.len();
        let read = if self.next == inner.meta.events as usize {
            total
        } else {
            inner.cols.local_ts + self.next * PER_EVENT + self.next_level * PER_LEVEL
        };
        SourceProgress { bytes_read: read as u64, total_bytes: Some(total as u64) }
    }
}
