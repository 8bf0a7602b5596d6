//! Recorded data for JS: a Binance reader yielding columnar `EventBatch`es.

use std::path::Path;

use flashmm_core::replay::binance::{FileReader, sequence_rule};
use flashmm_core::replay::{self as core, NO_ID};
use napi::bindgen_prelude::{BigInt64Array, Float64Array, Uint8Array, Uint32Array};
use napi_derive::napi;

use crate::convert::invalid_arg;
use crate::spec::{MarketSpec, binance_market_name, parse_binance_market};

/// `EventBatch.kinds` values.
#[napi]
pub enum EventKind {
    Snapshot = 0,
    DepthDiff = 1,
    Trade = 2,
    BookTicker = 3,
}

/// A columnar batch of events. Event `i` owns levels `levelStart[i] ..
/// levelStart[i] + bidCount[i] + askCount[i]` of `prices`/`sizes`, bids first. Each getter
/// returns a fresh typed array.
#[napi]
pub struct EventBatch {
    pub(crate) inner: core::EventBatch,
}

fn ids(v: &[u64]) -> Float64Array {
    // Ids fit f64 exactly in practice (< 2^53); "none" is -1.
    Float64Array::new(v.iter().map(|&i| if i == NO_ID { -1.0 } else { i as f64 }).collect())
}

#[napi]
impl EventBatch {
    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    #[napi(getter, catch_unwind)]
    pub fn kinds(&self) -> Uint8Array {
        Uint8Array::new(self.inner.kind.iter().map(|&k| k as u8).collect())
    }

    /// Local receive time, ns since the epoch.
    #[napi(getter, catch_unwind)]
    pub fn local_ts(&self) -> BigInt64Array {
        BigInt64Array::new(self.inner.local_ts.clone())
    }

    /// Exchange time, ns since the epoch; 0 when the message has none.
    #[napi(getter, catch_unwind)]
    pub fn exchange_ts(&self) -> BigInt64Array {
        BigInt64Array::new(self.inner.exchange_ts.clone())
    }

    #[napi(getter, catch_unwind)]
    pub fn first_id(&self) -> Float64Array {
        ids(&self.inner.first_id)
    }

    #[napi(getter, catch_unwind)]
    pub fn last_id(&self) -> Float64Array {
        ids(&self.inner.last_id)
    }

    /// Futures `pu`; -1 when the event has none.
    #[napi(getter, catch_unwind)]
    pub fn prev_id(&self) -> Float64Array {
        ids(&self.inner.prev_id)
    }

    /// Trades: bit 0 set when the buyer was the maker (the aggressor sold).
    #[napi(getter, catch_unwind)]
    pub fn flags(&self) -> Uint8Array {
        Uint8Array::new(self.inner.flags.clone())
    }

    #[napi(getter, catch_unwind)]
    pub fn level_start(&self) -> Uint32Array {
        Uint32Array::new(self.inner.level_start.clone())
    }

    #[napi(getter, catch_unwind)]
    pub fn bid_count(&self) -> Uint32Array {
        Uint32Array::new(self.inner.bid_count.clone())
    }

    #[napi(getter, catch_unwind)]
    pub fn ask_count(&self) -> Uint32Array {
        Uint32Array::new(self.inner.ask_count.clone())
    }

    /// Level prices in ticks.
    #[napi(getter, catch_unwind)]
    pub fn prices(&self) -> Float64Array {
        Float64Array::new(self.inner.levels.iter().map(|l| l.price as f64).collect())
    }

    /// Level sizes in lots.
    #[napi(getter, catch_unwind)]
    pub fn sizes(&self) -> Float64Array {
        Float64Array::new(self.inner.levels.iter().map(|l| l.size as f64).collect())
    }
}

/// Streams a Binance recording (gzip lines `<ns> <json>`) as event batches.
#[napi]
pub struct BinanceReader {
    inner: FileReader,
}

#[napi]
impl BinanceReader {
    /// `market`: "spot" | "usdm" | "coinm", else taken from the file name prefix;
    /// `spec`: else the built-in grid for the recording's symbol.
    #[napi(constructor, catch_unwind)]
    pub fn new(path: String, market: Option<String>, spec: Option<&MarketSpec>) -> napi::Result<Self> {
        let market = market.as_deref().map(parse_binance_market).transpose()?;
        let inner = FileReader::open(Path::new(&path), market, spec.map(|s| s.inner.clone())).map_err(invalid_arg)?;
        Ok(Self { inner })
    }

    /// Up to `maxEvents` (default 4096) events, or null at the end of the recording. A bad
    /// line throws (with its line number); the next call continues after it.
    #[napi(catch_unwind)]
    pub fn next_batch(&mut self, max_events: Option<u32>) -> napi::Result<Option<EventBatch>> {
        let mut batch = core::EventBatch::default();
        let n = self.inner.next_batch(&mut batch, max_events.unwrap_or(4096) as usize).map_err(invalid_arg)?;
        Ok((n > 0).then_some(EventBatch { inner: batch }))
    }

    #[napi(getter, catch_unwind)]
    pub fn spec(&self) -> MarketSpec {
        MarketSpec { inner: self.inner.spec().clone() }
    }

    /// "spot" | "usdm" | "coinm".
    #[napi(getter, catch_unwind)]
    pub fn market(&self) -> &'static str {
        binance_market_name(self.inner.market())
    }

    /// The depth sequence rule to give an `OrderBook` for this recording.
    #[napi(getter, catch_unwind)]
    pub fn sequence_rule(&self) -> &'static str {
        sequence_rule(self.inner.market()).name()
    }

    #[napi(getter, catch_unwind)]
    pub fn lines_read(&self) -> f64 {
        self.inner.lines_read() as f64
    }
}
