//! `EventBatchBuilder`: builds the core's columnar `EventBatch` from a venue that normalises in
//! TypeScript (Sei reads its books per block). Levels arrive as the venue's decimal strings, one
//! call per snapshot or trade list, and are converted exactly on the market's grid here (the
//! core's `MarketSpec`), so no decimal arithmetic happens in JS. A level or trade off the grid is
//! skipped and counted, never rounded and never thrown: one bad level must not stop a feed.

use flashmm_core::book::Level;
use flashmm_core::replay::{self as core, EventKind, FLAG_BUYER_MAKER};
use flashmm_core::spec::MarketSpec as CoreSpec;
use napi::bindgen_prelude::{BigInt, Uint8Array};
use napi_derive::napi;

use crate::convert::ns;
use crate::convert::{id, invalid_arg};
use crate::replay::EventBatch;
use crate::spec::MarketSpec;

#[napi]
pub struct EventBatchBuilder {
    spec: CoreSpec,
    batch: core::EventBatch,
    off_grid: u32,
    last_error: Option<String>,
}

impl EventBatchBuilder {
    /// Appends the (price, size) pairs that are on the grid; counts the others.
    fn push_levels(&mut self, prices: &[String], sizes: &[String]) -> crate::error::Result<u32> {
        if prices.len() != sizes.len() {
            return Err(invalid_arg(format!("{} prices but {} sizes", prices.len(), sizes.len())));
        }
        let mut pushed = 0;
        for (price, size) in prices.iter().zip(sizes) {
            match (self.spec.price_to_ticks(price), self.spec.size_to_lots(size)) {
                (Ok(price), Ok(size)) => {
                    self.batch.levels.push(Level::new(price, size));
                    pushed += 1;
                }
                (Err(e), _) | (_, Err(e)) => {
                    self.off_grid += 1;
                    self.last_error = Some(e.to_string());
                }
            }
        }
        Ok(pushed)
    }
}

#[napi]
impl EventBatchBuilder {
    #[napi(constructor, catch_unwind)]
    pub fn new(spec: &MarketSpec) -> Self {
        Self { spec: spec.inner.clone(), batch: core::EventBatch::default(), off_grid: 0, last_error: None }
    }

    /// A full book snapshot with sequence `updateId` (Sei: the block height), bids best first
    /// or in any order. Returns the number of levels skipped as off the grid.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn push_snapshot(
        &mut self,
        update_id: f64,
        exchange_ts: BigInt,
        local_ts: BigInt,
        bid_prices: Vec<String>,
        bid_sizes: Vec<String>,
        ask_prices: Vec<String>,
        ask_sizes: Vec<String>,
    ) -> crate::error::Result<u32> {
        let update_id = id(update_id, "updateId")?;
        let (exchange_ts, local_ts) = (ns(&exchange_ts, "exchangeTs")?, ns(&local_ts, "localTs")?);
        let before = self.off_grid;
        let start = self.batch.levels.len() as u32;
        let bids = self.push_levels(&bid_prices, &bid_sizes)?;
        self.push_levels(&ask_prices, &ask_sizes)?;
        self.batch.push(EventKind::Snapshot, local_ts, exchange_ts, update_id, update_id, None, 0, start, bids);
        Ok(self.off_grid - before)
    }

    /// Public trades, one per entry, numbered from `firstTradeId`. `buyerMaker[i]` = 1 when the
    /// buyer was the resting order (the aggressor sold). Returns the number skipped as off the grid.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn push_trades(
        &mut self,
        exchange_ts: BigInt,
        local_ts: BigInt,
        first_trade_id: f64,
        prices: Vec<String>,
        sizes: Vec<String>,
        buyer_maker: Uint8Array,
    ) -> crate::error::Result<u32> {
        if buyer_maker.len() != prices.len() || sizes.len() != prices.len() {
            return Err(invalid_arg("prices, sizes and buyerMaker must have the same length"));
        }
        let first = id(first_trade_id, "firstTradeId")?;
        let (exchange_ts, local_ts) = (ns(&exchange_ts, "exchangeTs")?, ns(&local_ts, "localTs")?);
        let before = self.off_grid;
        for (i, (price, size)) in prices.iter().zip(&sizes).enumerate() {
            let start = self.batch.levels.len() as u32;
            if self.push_levels(std::slice::from_ref(price), std::slice::from_ref(size))? == 0 {
                continue;
            }
            let flags = if buyer_maker[i] != 0 { FLAG_BUYER_MAKER } else { 0 };
            let trade_id = first + i as u64;
            self.batch.push(EventKind::Trade, local_ts, exchange_ts, trade_id, trade_id, None, flags, start, 1);
        }
        Ok(self.off_grid - before)
    }

    /// Events pushed so far.
    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> u32 {
        self.batch.len() as u32
    }

    /// Hands over the events pushed so far; the builder starts empty again (counters kept).
    #[napi(catch_unwind)]
    pub fn finish(&mut self) -> EventBatch {
        EventBatch { inner: std::mem::take(&mut self.batch) }
    }

    /// Levels and trades skipped as off the grid since the builder was made.
    #[napi(getter, catch_unwind)]
    pub fn off_grid(&self) -> u32 {
        self.off_grid
    }

    /// Why the last off-grid value was skipped.
    #[napi(getter, catch_unwind)]
    pub fn last_error(&self) -> Option<String> {
        self.last_error.clone()
    }
}
