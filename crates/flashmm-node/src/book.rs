//! `OrderBook`: the core's L2 book (with replay counters) for JS. Prices are ticks and sizes
//! lots, as JS numbers that must be exact integers; batches arrive as typed arrays.

use flashmm_core::book::{self as core, BookStatus, DEFAULT_BUFFER_LIMIT, DiffHeader, levels_from_f64};
use flashmm_core::error::ErrorCode;
use flashmm_core::replay::BookReplay;
use napi::bindgen_prelude::{BigInt, Float64ArraySlice};
use napi_derive::napi;

use crate::convert::{Level, core_err, id, invalid_arg, lots, ticks};
use crate::error::{Result, guard};
use crate::market::sequence_rule;
use crate::replay::EventBatch;
use crate::side::Side;

/// What became of an update (see `OrderBook.invalidReason` after `Rejected`).
#[napi]
pub enum ApplyOutcome {
    Applied = 0,
    /// Held until a snapshot: the book has none yet, or is invalid.
    Buffered = 1,
    /// Older than the book: skipped.
    Stale = 2,
    /// This update made the book invalid.
    Rejected = 3,
}

impl From<core::ApplyOutcome> for ApplyOutcome {
    fn from(o: core::ApplyOutcome) -> Self {
        match o {
            core::ApplyOutcome::Applied => Self::Applied,
            core::ApplyOutcome::Buffered => Self::Buffered,
            core::ApplyOutcome::Stale => Self::Stale,
            core::ApplyOutcome::Rejected(_) => Self::Rejected,
        }
    }
}

/// Why a book is invalid: a stable `code` (`SEQUENCE_GAP`, `CROSSED_BOOK`, `BAD_LEVEL`,
/// `EXTERNAL`) and the core's message.
#[napi(object, object_from_js = false)]
pub struct InvalidReason {
    pub code: &'static str,
    pub message: String,
}

/// The reason of an invalid book, else null.
pub fn invalid_reason(status: &BookStatus) -> Option<InvalidReason> {
    match status {
        BookStatus::Invalid(r) => Some(InvalidReason { code: r.code(), message: r.to_string() }),
        _ => None,
    }
}

/// "awaiting-snapshot" | "valid" | "invalid".
pub fn status_name(status: &BookStatus) -> &'static str {
    match status {
        BookStatus::AwaitingSnapshot => "awaiting-snapshot",
        BookStatus::Valid => "valid",
        BookStatus::Invalid(_) => "invalid",
    }
}

/// The counters of a replayed book.
pub fn book_counts(replay: &BookReplay) -> BookCounts {
    let r = replay.counts();
    let b = replay.book.stats();
    BookCounts {
        events: r.events as f64,
        snapshots: b.snapshots as f64,
        diffs: r.diffs as f64,
        trades: r.trades as f64,
        tickers: r.tickers as f64,
        diffs_applied: b.diffs_applied as f64,
        diffs_buffered: b.buffered as f64,
        diffs_stale: b.stale as f64,
        level_updates: b.level_updates as f64,
        gaps: b.gaps as f64,
        crossed: b.crossed as f64,
        bad_levels: b.bad_levels as f64,
        invalid_states: r.invalid_states as f64,
        buffer_dropped: b.buffer_dropped as f64,
    }
}

#[napi(object)]
pub struct BookCounts {
    pub events: f64,
    pub snapshots: f64,
    pub diffs: f64,
    pub trades: f64,
    pub tickers: f64,
    pub diffs_applied: f64,
    pub diffs_buffered: f64,
    pub diffs_stale: f64,
    pub level_updates: f64,
    pub gaps: f64,
    pub crossed: f64,
    pub bad_levels: f64,
    pub invalid_states: f64,
    pub buffer_dropped: f64,
}

#[napi(object)]
pub struct DepthWithin {
    pub bid: f64,
    pub ask: f64,
}

#[napi(object)]
pub struct OwnOrder {
    pub id: f64,
    pub side: Side,
    pub price: f64,
    pub size: f64,
}

impl From<core::OwnOrder> for OwnOrder {
    fn from(o: core::OwnOrder) -> Self {
        Self { id: o.id as f64, side: o.side.into(), price: o.price as f64, size: o.size as f64 }
    }
}

#[napi(object)]
pub struct OwnOverhang {
    pub side: Side,
    pub price: f64,
    /// Lots we think rest there beyond what the venue shows.
    pub excess: f64,
}

#[napi]
pub struct OrderBook {
    replay: BookReplay,
    bids: Vec<core::Level>,
    asks: Vec<core::Level>,
}

impl OrderBook {
    /// Decodes the four arrays into the reused scratch vectors.
    fn decode(&mut self, bp: &[f64], bs: &[f64], ap: &[f64], asz: &[f64]) -> Result<()> {
        self.bids.clear();
        self.asks.clear();
        levels_from_f64(bp, bs, &mut self.bids).map_err(|e| invalid_arg(format!("bids: {e}")))?;
        levels_from_f64(ap, asz, &mut self.asks).map_err(|e| invalid_arg(format!("asks: {e}")))
    }
}

#[napi]
impl OrderBook {
    /// `rule`: "binance-spot" | "binance-futures" | "strict" | "none" (default "strict").
    #[napi(constructor)]
    pub fn new(rule: Option<String>, max_buffered_diffs: Option<u32>) -> Result<Self> {
        guard(|| {
            let name = rule.as_deref().unwrap_or("strict");
            let rule = sequence_rule(name)?;
            let limit = max_buffered_diffs.map_or(DEFAULT_BUFFER_LIMIT, |n| n as usize);
            let replay = BookReplay::with_book(core::L2Book::with_buffer_limit(rule, limit));
            Ok(Self { replay, bids: Vec::new(), asks: Vec::new() })
        })
    }

    #[napi(getter, catch_unwind)]
    pub fn rule(&self) -> &'static str {
        self.replay.book.rule().name()
    }

    /// Replaces the book; buffered diffs that follow the snapshot are applied.
    #[napi]
    pub fn apply_snapshot(
        &mut self,
        last_update_id: f64,
        bid_prices: Float64ArraySlice,
        bid_sizes: Float64ArraySlice,
        ask_prices: Float64ArraySlice,
        ask_sizes: Float64ArraySlice,
    ) -> Result<ApplyOutcome> {
        guard(|| {
            let last = id(last_update_id, "lastUpdateId")?;
            self.decode(&bid_prices, &bid_sizes, &ask_prices, &ask_sizes)?;
            Ok(self.replay.book.apply_snapshot(last, &self.bids, &self.asks).into())
        })
    }

    /// One depth diff under the book's sequence rule. `prevUpdateId`: Binance futures `pu`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn apply_diff(
        &mut self,
        first_update_id: f64,
        last_update_id: f64,
        prev_update_id: Option<f64>,
        bid_prices: Float64ArraySlice,
        bid_sizes: Float64ArraySlice,
        ask_prices: Float64ArraySlice,
        ask_sizes: Float64ArraySlice,
    ) -> Result<ApplyOutcome> {
        guard(|| {
            let header = DiffHeader::new(
                id(first_update_id, "firstUpdateId")?,
                id(last_update_id, "lastUpdateId")?,
                prev_update_id.map(|p| id(p, "prevUpdateId")).transpose()?,
            );
            self.decode(&bid_prices, &bid_sizes, &ask_prices, &ask_sizes)?;
            Ok(self.replay.book.apply_diff(header, &self.bids, &self.asks).into())
        })
    }

    /// One level update per call (books with rule "none" only).
    #[napi]
    pub fn set_level(&mut self, side: Side, price: f64, size: f64) -> Result<ApplyOutcome> {
        guard(|| {
            let level = core::Level::new(ticks(price, "price")?, lots(size, "size")?);
            self.replay.book.apply_level(side.into(), level).map(Into::into).map_err(core_err)
        })
    }

    /// Applies a reader batch from event `start` (default 0), stopping before the first
    /// event with an exchange time after `untilExchangeTs` (ns). Returns the index reached.
    #[napi(catch_unwind)]
    pub fn apply_batch(&mut self, batch: &EventBatch, start: Option<u32>, until_exchange_ts: Option<BigInt>) -> u32 {
        let until = until_exchange_ts.map(|t| t.get_i64().0);
        self.replay.apply_batch_until(&batch.inner, start.unwrap_or(0) as usize, until) as u32
    }

    /// "awaiting-snapshot" | "valid" | "invalid".
    #[napi(getter, catch_unwind)]
    pub fn status(&self) -> &'static str {
        status_name(self.replay.book.status())
    }

    #[napi(getter, catch_unwind)]
    pub fn is_valid(&self) -> bool {
        self.replay.book.is_valid()
    }

    #[napi(getter, catch_unwind)]
    pub fn invalid_reason(&self) -> Option<String> {
        match self.replay.book.status() {
            BookStatus::Invalid(reason) => Some(reason.to_string()),
            _ => None,
        }
    }

    /// The stable code of `invalidReason` (`SEQUENCE_GAP`, `CROSSED_BOOK`, `BAD_LEVEL`, `EXTERNAL`).
    #[napi(getter, catch_unwind)]
    pub fn invalid_code(&self) -> Option<&'static str> {
        invalid_reason(self.replay.book.status()).map(|r| r.code)
    }

    #[napi(getter, catch_unwind)]
    pub fn last_update_id(&self) -> Option<f64> {
        self.replay.book.last_update_id().map(|i| i as f64)
    }

    #[napi(getter, catch_unwind)]
    pub fn buffered_diffs(&self) -> u32 {
        self.replay.book.buffered_diffs() as u32
    }

    #[napi(catch_unwind)]
    pub fn counts(&self) -> BookCounts {
        book_counts(&self.replay)
    }

    /// Marks the book invalid (stale feed, disconnect); quotes must stop until a snapshot.
    #[napi(catch_unwind)]
    pub fn invalidate(&mut self, reason: String) {
        self.replay.book.invalidate(reason);
    }

    /// Clears levels, ids and buffered diffs; own orders are kept.
    #[napi(catch_unwind)]
    pub fn reset(&mut self) {
        self.replay.book.reset();
    }

    #[napi(catch_unwind)]
    pub fn best_bid(&self) -> Option<Level> {
        self.replay.book.best_bid().map(Into::into)
    }

    #[napi(catch_unwind)]
    pub fn best_ask(&self) -> Option<Level> {
        self.replay.book.best_ask().map(Into::into)
    }

    /// Best ask − best bid, in ticks.
    #[napi(catch_unwind)]
    pub fn spread(&self) -> Option<f64> {
        self.replay.book.spread().map(|s| s as f64)
    }

    /// In ticks (may end in .5).
    #[napi(catch_unwind)]
    pub fn mid(&self) -> Option<f64> {
        self.replay.book.mid()
    }

    #[napi(catch_unwind)]
    pub fn micro_price(&self) -> Option<f64> {
        self.replay.book.micro_price()
    }

    #[napi(catch_unwind)]
    pub fn top_levels(&self, side: Side, n: u32) -> Vec<Level> {
        self.replay.book.top_levels(side.into(), n as usize).map(Into::into).collect()
    }

    #[napi(catch_unwind)]
    pub fn level_count(&self, side: Side) -> u32 {
        self.replay.book.level_count(side.into()) as u32
    }

    #[napi(catch_unwind)]
    pub fn depth_within_bps(&self, bps: f64) -> Option<DepthWithin> {
        self.replay.book.depth_within_bps(bps).map(|d| DepthWithin { bid: d.bid as f64, ask: d.ask as f64 })
    }

    /// Average price in ticks of an order on `side` (Bid = buy) for `size` lots; null if
    /// the book cannot fill it.
    #[napi]
    pub fn average_fill_price(&self, side: Side, size: f64) -> Result<Option<f64>> {
        guard(|| Ok(self.replay.book.average_fill_price(side.into(), lots(size, "size")?)))
    }

    /// (bid size − ask size) / (bid size + ask size) over the top `levels` levels.
    #[napi(catch_unwind)]
    pub fn imbalance(&self, levels: u32) -> Option<f64> {
        self.replay.book.imbalance(levels as usize)
    }

    #[napi]
    pub fn size_at(&self, side: Side, price: f64) -> Result<f64> {
        guard(|| Ok(self.replay.book.size_at(side.into(), ticks(price, "price")?) as f64))
    }

    #[napi]
    pub fn add_own_order(&mut self, order_id: f64, side: Side, price: f64, size: f64) -> Result<()> {
        guard(|| {
            let order = core::OwnOrder {
                id: id(order_id, "orderId")?,
                side: core::Side::from(side),
                price: ticks(price, "price")?,
                size: lots(size, "size")?,
            };
            self.replay.book.add_own_order(order).map_err(core_err)
        })
    }

    #[napi]
    pub fn remove_own_order(&mut self, order_id: f64) -> Result<OwnOrder> {
        guard(|| {
            let id = id(order_id, "orderId")?;
            self.replay.book.remove_own_order(id).map(Into::into).map_err(core_err)
        })
    }

    /// Records a fill of `size` lots; returns the remaining lots (0 removes the order).
    #[napi]
    pub fn fill_own_order(&mut self, order_id: f64, size: f64) -> Result<f64> {
        guard(|| {
            let id = id(order_id, "orderId")?;
            self.replay.book.fill_own_order(id, lots(size, "size")?).map(|r| r as f64).map_err(core_err)
        })
    }

    #[napi(catch_unwind)]
    pub fn own_orders(&self) -> Vec<OwnOrder> {
        self.replay.book.own_orders().sorted().into_iter().map(Into::into).collect()
    }

    /// Our size the public book shows at a price (never more than the public size).
    #[napi]
    pub fn own_size_at(&self, side: Side, price: f64) -> Result<f64> {
        guard(|| Ok(self.replay.book.own_size_at(side.into(), ticks(price, "price")?) as f64))
    }

    #[napi]
    pub fn net_size_at(&self, side: Side, price: f64) -> Result<f64> {
        guard(|| Ok(self.replay.book.net_size_at(side.into(), ticks(price, "price")?) as f64))
    }

    /// Other participants' levels, best first, skipping levels that are all ours.
    #[napi(catch_unwind)]
    pub fn net_top_levels(&self, side: Side, n: u32) -> Vec<Level> {
        self.replay.book.net_top_levels(side.into(), n as usize).into_iter().map(Into::into).collect()
    }

    /// Prices where we rest more than the venue shows: reconcile those orders.
    #[napi(catch_unwind)]
    pub fn own_overhang(&self) -> Vec<OwnOverhang> {
        self.replay
            .book
            .own_overhang()
            .into_iter()
            .map(|(side, price, excess)| OwnOverhang { side: side.into(), price: price as f64, excess: excess as f64 })
            .collect()
    }
}
