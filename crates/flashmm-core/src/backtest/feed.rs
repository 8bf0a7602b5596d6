//! The strategy's delayed view of the book: what a live strategy sees is the book as the
//! market-data feed has delivered it, which lags the exchange by the feed latency.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::book::{DiffHeader, L2Book, SequenceRule};
use crate::replay::{Event, EventBatch, EventKind};
use crate::sim::FeedLatency;

use crate::replay::EventSource;

/// How the strategy's book lags the exchange's ([`super::BacktestConfig::feed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedDelay {
    /// The recorded feed: a depth event is shown at `local_ts + offset_ns` (its receive time
    /// on the exchange clock). Pick the offset with [`FeedLatency::local_offset`] (see
    /// [`recorded_feed_offset`]) so that no event is shown before it happened.
    Recorded { offset_ns: i64 },
    /// A constant feed latency: a depth event is shown at `exchange_ts + delay_ns`, i.e. at a
    /// decision at `t` the strategy sees the book as of `t − delay_ns`.
    Constant { delay_ns: i64 },
}

impl FeedDelay {
    /// When `e` reaches the strategy.
    fn shown_at(self, e: &Event<'_>) -> i64 {
        match self {
            FeedDelay::Recorded { offset_ns } => e.local_ts.saturating_add(offset_ns),
            FeedDelay::Constant { delay_ns } => e.exchange_ts.saturating_add(delay_ns),
        }
    }
}

/// The base latency [`recorded_feed_offset`] gives the fastest event: 1 ms.
pub const RECORDED_FEED_BASE_NS: i64 = 1_000_000;

/// The offset for [`FeedDelay::Recorded`] over a whole source: 0 when every event's local
/// time is at or after its exchange time, else the shift that makes the smallest feed latency
/// [`RECORDED_FEED_BASE_NS`] (a recorder's clock behind the exchange's). Reads the source to
/// its end: give it a fresh copy of the source the backtest will read.
pub fn recorded_feed_offset<E: EventSource>(mut source: E) -> Result<i64, E::Error> {
    let mut feed = FeedLatency::default();
    let mut batch = EventBatch::default();
    while source.next_batch(&mut batch)? > 0 {
        for e in batch.iter() {
            feed.observe(&e);
        }
    }
    Ok(feed.local_offset(RECORDED_FEED_BASE_NS))
}

/// A second book fed with the depth events in the order and at the time they reach the
/// strategy.
pub(super) struct DelayedBook {
    delay: FeedDelay,
    pub(super) book: L2Book,
    /// (time shown, arrival sequence, index into `events`).
    queue: BinaryHeap<Reverse<(i64, u64, u32)>>,
    events: EventBatch,
    seq: u64,
}

impl DelayedBook {
    pub(super) fn new(delay: FeedDelay, rule: SequenceRule) -> Self {
        Self { delay, book: L2Book::new(rule), queue: BinaryHeap::new(), events: EventBatch::default(), seq: 0 }
    }

    pub(super) fn push(&mut self, e: &Event<'_>) {
        if !matches!(e.kind, EventKind::Snapshot | EventKind::DepthDiff) {
            return;
        }
        let at = self.delay.shown_at(e);
        self.queue.push(Reverse((at, self.seq, self.events.len() as u32)));
        self.seq += 1;
        self.events.push_event(e);
    }

    /// Applies every event shown at or before `t`.
    pub(super) fn advance(&mut self, t: i64) {
        while let Some(&Reverse((at, _, i))) = self.queue.peek() {
            if at > t {
                break;
            }
            self.queue.pop();
            let e = self.events.get(i as usize);
            if e.kind == EventKind::Snapshot {
                self.book.apply_snapshot(e.last_id, e.bids, e.asks);
            } else {
                self.book.apply_diff(DiffHeader::new(e.first_id, e.last_id, e.prev_id), e.bids, e.asks);
            }
        }
        if self.queue.is_empty() {
            self.events.clear();
        } else if self.events.len() > 1 << 16 && self.queue.len() * 4 < self.events.len() {
            // Compact: keep only the waiting events.
            let mut keep = EventBatch::default();
            let mut q = BinaryHeap::with_capacity(self.queue.len());
            for Reverse((at, seq, i)) in self.queue.drain() {
                q.push(Reverse((at, seq, keep.len() as u32)));
                keep.push_event(&self.events.get(i as usize));
            }
            self.queue = q;
            self.events = keep;
        }
    }
}
