//! `Recorder`: a venue's market data written to rotating recording parts in the format the
//! readers take. Conversions only: the writer is `flashmm_core::replay::record`.

use std::path::Path;

use flashmm_core::replay::record::{self as core, Rotation};
use napi_derive::napi;

use flashmm_core::book::Side;

use crate::convert::{Level, core_err, invalid_arg};
use crate::error::{Error, Result, guard};
use crate::replay::EventBatch;
use crate::spec::{MarketSpec, parse_binance_market};

#[napi(object)]
pub struct RecorderOptions {
    /// Directory of the parts (created if missing).
    pub dir: String,
    /// Part names `<family>_<symbol>_<name>-<n>.gz`; `name` in [A-Za-z0-9_-].
    pub name: String,
    /// Sequencing family of the venue's ids: "spot" (contiguous ids; the simulated venue),
    /// "usdm" or "coinm" (futures, chained by `pu`).
    pub market: String,
    /// Start a new part past this many uncompressed bytes (default 256 MiB; 0: never).
    pub max_bytes: Option<f64>,
    /// Start a new part past this many seconds of local time (default 3600; 0: never).
    pub max_seconds: Option<f64>,
}

/// Writes a market's events to rotating gzip parts the `BinanceReader` reads back exactly.
/// The book as recorded so far, every level (a reader replaying every part ends in it).
#[napi(object)]
pub struct RecordedBook {
    pub valid: bool,
    pub last_update_id: Option<f64>,
    /// Best first.
    pub bids: Vec<Level>,
    /// Best first.
    pub asks: Vec<Level>,
}

#[napi]
pub struct Recorder {
    inner: Option<core::Recorder>,
}

fn finished() -> Error {
    invalid_arg("the recorder is finished")
}

/// `v` (a non-negative finite number) × `scale`, else `default`.
fn non_negative(v: Option<f64>, what: &str, scale: f64, default: f64) -> Result<f64> {
    match v {
        None => Ok(default),
        Some(x) if x.is_finite() && x >= 0.0 => Ok(x * scale),
        Some(x) => Err(invalid_arg(format!("{what} must be a non-negative number, got {x}"))),
    }
}

#[napi]
impl Recorder {
    #[napi(constructor)]
    pub fn new(spec: &MarketSpec, options: RecorderOptions) -> Result<Self> {
        guard(|| {
            let market = parse_binance_market(&options.market)?;
            let default = Rotation::default();
            let rotation = Rotation {
                max_bytes: non_negative(options.max_bytes, "maxBytes", 1.0, default.max_bytes as f64)? as u64,
                max_ns: non_negative(options.max_seconds, "maxSeconds", 1e9, default.max_ns as f64)? as i64,
            };
            let dir = Path::new(&options.dir);
            let inner =
                core::Recorder::create(dir, &options.name, spec.inner.clone(), market, rotation).map_err(core_err)?;
            Ok(Self { inner: Some(inner) })
        })
    }

    /// Appends every event of the batch (rotating where due).
    #[napi]
    pub fn write_batch(&mut self, batch: &EventBatch) -> Result<()> {
        guard(|| self.inner.as_mut().ok_or_else(finished)?.write_batch(&batch.inner).map_err(core_err))
    }

    /// Events written so far (each later part's opening snapshot included).
    #[napi(getter, catch_unwind)]
    pub fn events(&self) -> f64 {
        self.inner.as_ref().map_or(0.0, |r| r.events() as f64)
    }

    /// The book as recorded so far (empty once finished).
    #[napi(getter, catch_unwind)]
    pub fn book(&self) -> RecordedBook {
        let Some(book) = self.inner.as_ref().map(|r| r.book()) else {
            return RecordedBook { valid: false, last_update_id: None, bids: Vec::new(), asks: Vec::new() };
        };
        let side = |s| book.top_levels(s, usize::MAX).map(Into::into).collect();
        RecordedBook {
            valid: book.is_valid(),
            last_update_id: book.last_update_id().map(|id| id as f64),
            bids: side(Side::Buy),
            asks: side(Side::Sell),
        }
    }

    /// Parts written so far (each `<part>.spec.json` beside it).
    #[napi(getter, catch_unwind)]
    pub fn parts(&self) -> Vec<String> {
        self.inner.as_ref().map_or_else(Vec::new, |r| r.parts().iter().map(|p| p.display().to_string()).collect())
    }

    /// Closes the open part (its gzip trailer) and returns every part; later writes throw.
    #[napi]
    pub fn finish(&mut self) -> Result<Vec<String>> {
        guard(|| {
            let parts = self.inner.take().ok_or_else(finished)?.finish().map_err(core_err)?;
            Ok(parts.iter().map(|p| p.display().to_string()).collect())
        })
    }
}
