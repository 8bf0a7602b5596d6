//! `convertRecording` for JS (`flashmm convert`): a recording's decoded-event cache
//! (`flashmm_core::replay::cache`). Conversions only.

use std::path::{Path, PathBuf};

use flashmm_core::replay::cache;
use napi_derive::napi;

use crate::convert::core_err;
use crate::error::{Result, guard};
use crate::spec::binance_market_name;

/// What `convertRecording` wrote.
#[napi(object, object_from_js = false)]
pub struct ConvertOutput {
    /// The cache file.
    pub out: String,
    pub symbol: String,
    /// "spot" | "usdm" | "coinm".
    pub market: String,
    /// Events (every message of the recording, book tickers included) and their price levels.
    pub events: f64,
    pub levels: f64,
    /// Sizes of the recording and of the cache, bytes.
    pub source_bytes: f64,
    pub cache_bytes: f64,
}

/// Decodes the gzip recording `path` once and writes its cache to `out` (default
/// `<path>.fmcache`), atomically. Throws on a recording the reader cannot read to its end.
#[napi]
pub fn convert_recording(path: String, out: Option<String>) -> Result<ConvertOutput> {
    guard(|| {
        let source = Path::new(&path);
        let out = out.map_or_else(|| cache::default_path(source), PathBuf::from);
        let s = cache::convert(source, &out).map_err(core_err)?;
        Ok(ConvertOutput {
            out: s.out.to_string_lossy().into_owned(),
            symbol: s.meta.spec.symbol.clone(),
            market: binance_market_name(s.meta.market).into(),
            events: s.meta.events as f64,
            levels: s.meta.levels as f64,
            source_bytes: s.meta.source.size as f64,
            cache_bytes: s.bytes as f64,
        })
    })
}
