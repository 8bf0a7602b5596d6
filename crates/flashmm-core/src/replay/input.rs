//! Which source a backtest reads for a path: a gzip Binance recording (through its fresh
//! cache when there is one), a cache given directly, or an hftbacktest event file. The kind is
//! told by the file's first bytes, not its name.
//!
//! Policy for a recording `R` (with [`InputOptions::use_cache`]): `R.fmcache` beside it is used
//! when it is fresh ([`Cache::check_fresh`]); a stale or unreadable one is rebuilt from `R` (a
//! note says why) and, if it cannot be written, `R` is read directly. Without a cache file, `R`
//! is read. A cache given directly must be fresh when its recording is still where it was
//! converted from (stale → error); when the recording is gone the cache is read as it is.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::book::SequenceRule;
use crate::replay::binance::{BinanceSource, ReadError};
use crate::replay::cache::{self, Cache, CacheError, CacheReader};
use crate::replay::npz::{NpzError, NpzSource};
use crate::replay::{EventBatch, EventSource, RecordingSource, SourceProgress};
use crate::spec::{BinanceMarket, MarketSpec};

/// How to open an input.
#[derive(Clone, Debug)]
pub struct InputOptions {
    /// Use (and rebuild) `<recording>.fmcache` beside a gzip recording. Default true.
    pub use_cache: bool,
    /// The grid of an hftbacktest file (default: from its file name).
    pub npz_spec: Option<MarketSpec>,
    pub npz_market: Option<BinanceMarket>,
}

impl Default for InputOptions {
    fn default() -> Self {
        Self { use_cache: true, npz_spec: None, npz_market: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Npz(#[from] NpzError),
    #[error("{0}")]
    Options(String),
}

/// The events of one input, in exchange order.
// One per run: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum RecordedSource {
    Recording(RecordingSource, PathBuf),
    Cache(BinanceSource<CacheReader>, Cache),
    Npz(NpzSource),
}

/// What a [`RecordedSource`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// The gzip recording itself.
    Recording,
    /// A recording's decoded-event cache (beside it, or given directly).
    Cache,
    /// An hftbacktest event file.
    Npz,
}

/// An opened input and, when the cache was rebuilt or bypassed, why.
pub struct Opened {
    pub source: RecordedSource,
    pub note: Option<String>,
}

#[derive(PartialEq, Eq)]
enum Sniffed {
    Cache,
    Numpy,
    /// gzip, or anything else: the recording reader reports what it is not.
    Other,
}

fn sniff(path: &Path) -> Sniffed {
    let mut head = [0u8; 8];
    let Ok(mut f) = File::open(path) else { return Sniffed::Other };
    let n = f.read(&mut head).unwrap_or(0);
    match &head[..n] {
        h if h == cache::MAGIC => Sniffed::Cache,
        [b'P', b'K', 3, 4, ..] | [0x93, b'N', b'U', b'M', b'P', b'Y', ..] => Sniffed::Numpy,
        _ => Sniffed::Other,
    }
}

impl RecordedSource {
    pub fn open(path: &Path, o: &InputOptions) -> Result<Opened, InputError> {
        let kind = sniff(path);
        if kind != Sniffed::Numpy && (o.npz_spec.is_some() || o.npz_market.is_some()) {
            return Err(InputError::Options(format!(
                "a market applies to hftbacktest .npz input only; {} names its market in its file name (spot_, usdm_, cm_)",
                path.display()
            )));
        }
        match kind {
            Sniffed::Numpy => Ok(plain(Self::Npz(NpzSource::open(path, o.npz_spec.clone(), o.npz_market)?))),
            Sniffed::Cache => Ok(plain(Self::cache(open_cache_directly(path)?))),
            Sniffed::Other if o.use_cache => Self::open_recording_cached(path),
            Sniffed::Other => Ok(plain(Self::recording(path)?)),
        }
    }

    fn cache(c: Cache) -> Self {
        Self::Cache(BinanceSource::new(c.reader()), c)
    }

    fn recording(path: &Path) -> Result<Self, ReadError> {
        Ok(Self::Recording(BinanceSource::open(path, None, None)?, path.to_owned()))
    }

    fn open_recording_cached(path: &Path) -> Result<Opened, InputError> {
        let at = cache::default_path(path);
        if !at.exists() {
            return Ok(plain(Self::recording(path)?));
        }
        let why = match Cache::open(&at).and_then(|c| c.check_fresh(path).map(|()| c)) {
            Ok(c) => return Ok(plain(Self::cache(c))),
            Err(e) => e,
        };
        match cache::convert(path, &at).and_then(|_| Cache::open(&at)) {
            Ok(c) => Ok(Opened { source: Self::cache(c), note: Some(format!("rebuilt the cache: {why}")) }),
            // A recording the reader cannot read fails as it would without a cache.
            Err(CacheError::Decode { source, .. }) => Err(source.into()),
            Err(e) => Ok(Opened {
                source: Self::recording(path)?,
                note: Some(format!("{why}; cannot rebuild it ({e}): reading the recording")),
            }),
        }
    }

    pub fn spec(&self) -> &MarketSpec {
        match self {
            Self::Recording(s, _) => s.spec(),
            Self::Cache(s, _) => s.spec(),
            Self::Npz(s) => s.spec(),
        }
    }

    pub fn rule(&self) -> SequenceRule {
        match self {
            Self::Recording(s, _) => s.rule(),
            Self::Cache(s, _) => s.rule(),
            Self::Npz(s) => s.rule(),
        }
    }

    /// The Binance market family (unknown for an hftbacktest file with an explicit grid).
    pub fn market(&self) -> Option<BinanceMarket> {
        match self {
            Self::Recording(s, _) => Some(s.market()),
            Self::Cache(s, _) => Some(s.market()),
            Self::Npz(s) => s.market(),
        }
    }

    pub fn kind(&self) -> InputKind {
        match self {
            Self::Recording(..) => InputKind::Recording,
            Self::Cache(..) => InputKind::Cache,
            Self::Npz(_) => InputKind::Npz,
        }
    }

    /// The same input from its first event (for a pass before the run, e.g. the feed offset).
    pub fn reopen(&self) -> Result<Self, InputError> {
        Ok(match self {
            Self::Recording(_, path) => Self::recording(path)?,
            Self::Cache(_, c) => Self::cache(c.clone()),
            Self::Npz(s) => Self::Npz(s.rewound()),
        })
    }
}

fn plain(source: RecordedSource) -> Opened {
    Opened { source, note: None }
}

/// A cache named on the command line: verified, and fresh if its recording is still there.
fn open_cache_directly(path: &Path) -> Result<Cache, CacheError> {
    let c = Cache::open(path)?;
    let recording = c.meta().source_path.clone();
    if recording.exists() {
        c.check_fresh(&recording)?;
    }
    Ok(c)
}

impl EventSource for RecordedSource {
    type Error = ReadError;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, ReadError> {
        match self {
            Self::Recording(s, _) => s.next_batch(batch),
            Self::Cache(s, _) => s.next_batch(batch),
            Self::Npz(s) => Ok(s.next_batch(batch).unwrap_or_else(|e| match e {})),
        }
    }

    fn progress(&self) -> SourceProgress {
        match self {
            Self::Recording(s, _) => s.progress(),
            Self::Cache(s, _) => s.progress(),
            Self::Npz(s) => s.progress(),
        }
    }
}
