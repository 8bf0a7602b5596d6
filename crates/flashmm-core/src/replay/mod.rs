//! Market events in columnar batches and every source of them, in exchange order: the Binance
//! reader and recording source (`binance`), a recording's decoded-event cache (`cache`),
//! hftbacktest's event files (`npz`), the writer of recordings (`record`), the zero-intelligence generator, a source on another clock
//! (a replay at the host's speed), events in memory, behind one [`EventSource`] trait; `input`
//! picks the source a backtest reads for a path.

pub mod binance;
pub mod cache;
mod check;
mod driver;
mod generated;
pub mod input;
pub mod npz;
pub mod record;
mod retimed;
mod skipped;
mod source;
pub mod wire;

pub use check::{Mismatch, Touch, TouchAgreement, TouchCheck};
pub use driver::{BookReplay, ReplayCounts};
pub use generated::{
    DEFAULT_GENERATOR_INITIAL_PRICE, DEFAULT_GENERATOR_SEED, DEFAULT_GENERATOR_START_NS, DEFAULT_GENERATOR_SYMBOL,
    DEFAULT_GENERATOR_WINDOW_NS, GeneratedError, LIVE_GENERATOR_WINDOW_NS, ZiSource,
};
pub use retimed::{REAL_TIME_PPM, RecordingSource, RetimedSource, VenueFeed};
pub use skipped::{Skipped, SkippedTally};
pub use source::{CountingReader, EventSource, MemorySource, SourceProgress};
pub use wire::{WIRE_VERSION, WireError};

use crate::book::{Level, Side};

/// What a recorded message was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// Full depth snapshot; `first_id == last_id` = the venue's last update id.
    Snapshot = 0,
    /// Incremental depth update covering update ids `first_id..=last_id`.
    DepthDiff = 1,
    /// One public trade; `first_id == last_id` = trade id; one level (price, quantity).
    Trade = 2,
    /// Best bid and ask as the venue published them; ids = the book update id.
    BookTicker = 3,
}

/// Sentinel for "no previous update id" (only futures depth diffs carry `pu`).
pub const NO_ID: u64 = u64::MAX;

/// Trade flag: the buyer was the resting (maker) order, so the aggressor sold.
pub const FLAG_BUYER_MAKER: u8 = 1;

/// A columnar batch of events. Event `i` owns levels
/// `levels[level_start[i] .. level_start[i] + bid_count[i] + ask_count[i]]`, bids first.
/// A trade stores its one (price, quantity) as a single bid-slot level; its side is in
/// `flags`. A book ticker stores the best bid then the best ask.
#[derive(Clone, Debug, Default)]
pub struct EventBatch {
    pub kind: Vec<EventKind>,
    /// Local receive time, ns since the Unix epoch.
    pub local_ts: Vec<i64>,
    /// Exchange event time, ns since the Unix epoch; 0 when the message carries none.
    pub exchange_ts: Vec<i64>,
    pub first_id: Vec<u64>,
    pub last_id: Vec<u64>,
    /// Futures diffs: the previous diff's last id (`pu`); otherwise [`NO_ID`].
    pub prev_id: Vec<u64>,
    pub flags: Vec<u8>,
    pub level_start: Vec<u32>,
    pub bid_count: Vec<u32>,
    pub ask_count: Vec<u32>,
    pub levels: Vec<Level>,
}

/// A borrowed view of one event in a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub kind: EventKind,
    pub local_ts: i64,
    pub exchange_ts: i64,
    pub first_id: u64,
    pub last_id: u64,
    pub prev_id: Option<u64>,
    pub flags: u8,
    pub bids: &'a [Level],
    pub asks: &'a [Level],
}

impl Event<'_> {
    /// A trade's aggressor: `Buy` when the buyer lifted the offer, `Sell` when the seller hit
    /// the bid (the buyer was the maker). `None` for other events.
    pub fn aggressor(&self) -> Option<Side> {
        (self.kind == EventKind::Trade).then_some(if self.flags & FLAG_BUYER_MAKER != 0 {
            Side::Sell
        } else {
            Side::Buy
        })
    }
}

impl EventBatch {
    pub fn len(&self) -> usize {
        self.kind.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kind.is_empty()
    }

    pub fn clear(&mut self) {
        self.kind.clear();
        self.local_ts.clear();
        self.exchange_ts.clear();
        self.first_id.clear();
        self.last_id.clear();
        self.prev_id.clear();
        self.flags.clear();
        self.level_start.clear();
        self.bid_count.clear();
        self.ask_count.clear();
        self.levels.clear();
    }

    /// Appends an event whose levels the caller pushed to `levels` since `level_start`.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        kind: EventKind,
        local_ts: i64,
        exchange_ts: i64,
        first_id: u64,
        last_id: u64,
        prev_id: Option<u64>,
        flags: u8,
        level_start: u32,
        bid_count: u32,
    ) {
        let ask_count = self.levels.len() as u32 - level_start - bid_count;
        self.kind.push(kind);
        self.local_ts.push(local_ts);
        self.exchange_ts.push(exchange_ts);
        self.first_id.push(first_id);
        self.last_id.push(last_id);
        self.prev_id.push(prev_id.unwrap_or(NO_ID));
        self.flags.push(flags);
        self.level_start.push(level_start);
        self.bid_count.push(bid_count);
        self.ask_count.push(ask_count);
    }

    /// Appends a snapshot of `book` (every level, and its last update id, so the diffs that
    /// follow chain onto it) stamped `local_ts` / `exchange_ts`: how a late subscriber gets the
    /// book. Nothing is appended (false) while the book is not valid.
    pub fn push_book_snapshot(&mut self, book: &crate::book::L2Book, local_ts: i64, exchange_ts: i64) -> bool {
        let Some(id) = book.last_update_id().filter(|_| book.is_valid()) else {
            return false;
        };
        let start = self.levels.len() as u32;
        self.levels.extend(book.top_levels(Side::Buy, usize::MAX));
        let bids = self.levels.len() as u32 - start;
        self.levels.extend(book.top_levels(Side::Sell, usize::MAX));
        self.push(EventKind::Snapshot, local_ts, exchange_ts, id, id, None, 0, start, bids);
        true
    }

    /// Appends a copy of `e`, levels included, stamped with exchange time `exchange_ts`.
    pub fn push_event_at(&mut self, e: &Event<'_>, exchange_ts: i64) {
        let start = self.levels.len() as u32;
        self.levels.extend_from_slice(e.bids);
        self.levels.extend_from_slice(e.asks);
        self.push(
            e.kind,
            e.local_ts,
            exchange_ts,
            e.first_id,
            e.last_id,
            e.prev_id,
            e.flags,
            start,
            e.bids.len() as u32,
        );
    }

    /// Appends a copy of `e`, levels included.
    pub fn push_event(&mut self, e: &Event<'_>) {
        self.push_event_at(e, e.exchange_ts);
    }

    pub fn get(&self, i: usize) -> Event<'_> {
        let start = self.level_start[i] as usize;
        let mid = start + self.bid_count[i] as usize;
        let end = mid + self.ask_count[i] as usize;
        Event {
            kind: self.kind[i],
            local_ts: self.local_ts[i],
            exchange_ts: self.exchange_ts[i],
            first_id: self.first_id[i],
            last_id: self.last_id[i],
            prev_id: (self.prev_id[i] != NO_ID).then_some(self.prev_id[i]),
            flags: self.flags[i],
            bids: &self.levels[start..mid],
            asks: &self.levels[mid..end],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Event<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }
}
