//! Recorded data for JS: a Binance reader yielding columnar `EventBatch`es.

use std::path::Path;

use flashmm_core::replay::binance::{FileReader, sequence_rule};
use flashmm_core::replay::{self as core, NO_ID};
use napi::bindgen_prelude::{BigInt, BigInt64Array, Float64Array, Uint8Array, Uint32Array};
use napi_derive::napi;

use crate::convert::core_err;
use crate::error::{Result, guard};
use crate::side::Side;
use crate::spec::{MarketSpec, binance_market_name, parse_binance_market};

/// `EventBatch.kinds` values.
#[napi]
pub enum EventKind {
    Snapshot = 0,
    DepthDiff = 1,
    Trade = 2,
    BookTicker = 3,
}

/// One public trade (`aggressor`: the taker's side).
#[napi(object)]
pub struct PublicTrade {
    /// Ticks.
    pub price: f64,
    /// Lots.
    pub size: f64,
    pub aggressor: Side,
    pub exchange_ts_ns: BigInt,
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

    /// The batch's public trades, in order (the aggressor decoded by the core).
    #[napi(catch_unwind)]
    pub fn trades(&self) -> Vec<PublicTrade> {
        self.inner
            .iter()
            .filter_map(|e| {
                let (l, aggressor) = (e.bids.first()?, e.aggressor()?);
                Some(PublicTrade {
                    price: l.price as f64,
                    size: l.size as f64,
                    aggressor: aggressor.into(),
                    exchange_ts_ns: e.exchange_ts.into(),
                })
            })
            .collect()
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
    #[napi(constructor)]
    pub fn new(path: String, market: Option<String>, spec: Option<&MarketSpec>) -> Result<Self> {
        guard(|| {
            let market = market.as_deref().map(parse_binance_market).transpose()?;
            let inner = FileReader::open(Path::new(&path), market, spec.map(|s| s.inner.clone())).map_err(core_err)?;
            Ok(Self { inner })
        })
    }

    /// Up to `maxEvents` (default 4096) events, or null at the end of the recording. A bad
    /// line throws (with its line number); the next call continues after it.
    #[napi]
    pub fn next_batch(&mut self, max_events: Option<u32>) -> Result<Option<EventBatch>> {
        guard(|| {
            let mut batch = core::EventBatch::default();
            let n = self.inner.next_batch(&mut batch, max_events.unwrap_or(4096) as usize).map_err(core_err)?;
            Ok((n > 0).then_some(EventBatch { inner: batch }))
        })
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
