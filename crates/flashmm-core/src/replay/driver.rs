//! Drives an [`L2Book`] from recorded events and counts what happened.

use crate::book::{ApplyOutcome, BookStatus, DiffHeader, L2Book, SequenceRule};

use super::{Event, EventBatch, EventKind};

/// Counts of one replay, exported by the CLI and as metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayCounts {
    pub events: u64,
    pub snapshots: u64,
    pub diffs: u64,
    pub trades: u64,
    pub tickers: u64,
    pub diffs_applied: u64,
    pub diffs_buffered: u64,
    pub diffs_stale: u64,
    pub gaps: u64,
    /// Times the book went from valid to invalid.
    pub invalid_states: u64,
    pub level_updates: u64,
}

/// A book fed by events; snapshots and depth diffs change it, trades and tickers are counted.
#[derive(Clone, Debug)]
pub struct BookReplay {
    pub book: L2Book,
    counts: ReplayCounts,
}

impl BookReplay {
    pub fn new(rule: SequenceRule) -> Self {
        Self::with_book(L2Book::new(rule))
    }

    /// Replays into a book built by the caller (e.g. with its own resync-buffer bound).
    pub fn with_book(book: L2Book) -> Self {
        Self { book, counts: ReplayCounts::default() }
    }

    pub fn counts(&self) -> ReplayCounts {
        self.counts
    }

    /// Applies one event; returns the book outcome for snapshots and diffs.
    pub fn apply(&mut self, e: &Event<'_>) -> Option<ApplyOutcome> {
        self.counts.events += 1;
        let was_valid = self.book.is_valid();
        let before = self.book.stats().level_updates;
        let outcome = match e.kind {
            EventKind::Snapshot => {
                self.counts.snapshots += 1;
                Some(self.book.apply_snapshot(e.last_id, e.bids, e.asks))
            }
            EventKind::DepthDiff => {
                self.counts.diffs += 1;
                let header = DiffHeader::new(e.first_id, e.last_id, e.prev_id);
                Some(self.book.apply_diff(header, e.bids, e.asks))
            }
            EventKind::Trade => {
                self.counts.trades += 1;
                None
            }
            EventKind::BookTicker => {
                self.counts.tickers += 1;
                None
            }
        };
        self.count_outcome(e.kind, outcome.as_ref(), was_valid);
        self.counts.level_updates += self.book.stats().level_updates - before;
        outcome
    }

    fn count_outcome(&mut self, kind: EventKind, outcome: Option<&ApplyOutcome>, was_valid: bool) {
        let is_diff = kind == EventKind::DepthDiff;
        match outcome {
            Some(ApplyOutcome::Applied) if is_diff => self.counts.diffs_applied += 1,
            Some(ApplyOutcome::Buffered) => self.counts.diffs_buffered += 1,
            Some(ApplyOutcome::Stale) => self.counts.diffs_stale += 1,
            _ => {}
        }
        if let BookStatus::Invalid(reason) = self.book.status() {
            if matches!(reason, crate::book::InvalidReason::Gap { .. })
                && matches!(outcome, Some(ApplyOutcome::Rejected(_)))
            {
                self.counts.gaps += 1;
            }
            if was_valid {
                self.counts.invalid_states += 1;
            }
        }
    }

    /// Applies every event of a batch.
    pub fn apply_batch(&mut self, batch: &EventBatch) {
        for e in batch.iter() {
            self.apply(&e);
        }
    }

    /// Applies events from `start` and stops before the first one stamped by the exchange
    /// after `until_ns` (events without an exchange time never stop it). Returns the index
    /// of the first event not applied (`batch.len()` when all were).
    pub fn apply_batch_until(&mut self, batch: &EventBatch, start: usize, until_ns: Option<i64>) -> usize {
        for i in start..batch.len() {
            let e = batch.get(i);
            if matches!(until_ns, Some(t) if e.exchange_ts > t) {
                return i;
            }
            self.apply(&e);
        }
        batch.len()
    }
}
