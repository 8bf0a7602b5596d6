//! The L2 book: two ladders, the venue's sequence rule, validity, and our own orders.

use std::collections::VecDeque;
use std::fmt;

use super::ladder::Ladder;
use super::own::OwnOrders;
use super::sequence::{DiffHeader, SequenceRule, Verdict};
use super::{Level, Side};

/// Why a book cannot be trusted until it is resynced with a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidReason {
    Gap {
        expected: u64,
        header: DiffHeader,
    },
    Crossed {
        best_bid: i64,
        best_ask: i64,
    },
    BadLevel {
        side: Side,
        price: i64,
        size: i64,
    },
    /// Set by the host: a stale feed, a disconnect, an operator.
    External(String),
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidReason::Gap { expected, header } => {
                write!(
                    f,
                    "sequence gap: expected update {expected} next, got {}..={}",
                    header.first_id, header.last_id
                )?;
                match header.prev_id {
                    Some(pu) => write!(f, " (previous {pu})"),
                    None => Ok(()),
                }
            }
            InvalidReason::Crossed { best_bid, best_ask } => {
                write!(f, "crossed book: best bid {best_bid} >= best ask {best_ask} (ticks)")
            }
            InvalidReason::BadLevel { side, price, size } => write!(
                f,
                "invalid {} level: price {price} ticks, size {size} lots (price must be > 0, size >= 0)",
                match side {
                    Side::Buy => "bid",
                    Side::Sell => "ask",
                }
            ),
            InvalidReason::External(why) => f.write_str(why),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookStatus {
    /// No snapshot yet (diffs are buffered).
    AwaitingSnapshot,
    Valid,
    /// Not to be quoted on; diffs are buffered until the next snapshot.
    Invalid(InvalidReason),
}

/// What became of one update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// Held until a snapshot arrives (the book has none, or is invalid).
    Buffered,
    /// Older than the book's state; skipped.
    Stale,
    /// This update invalidated the book.
    Rejected(InvalidReason),
}

/// Counters a host exports as metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookStats {
    pub snapshots: u64,
    pub diffs_applied: u64,
    pub level_updates: u64,
    pub buffered: u64,
    pub stale: u64,
    pub gaps: u64,
    pub crossed: u64,
    pub bad_levels: u64,
    /// Buffered diffs dropped because the resync buffer was full.
    pub buffer_dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("the book uses sequence rule '{0}'; single-level updates need rule 'none'")]
    Sequenced(&'static str),
}

#[derive(Clone, Debug)]
struct BufferedDiff {
    header: DiffHeader,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// Default bound on diffs held while waiting for a snapshot.
pub const DEFAULT_BUFFER_LIMIT: usize = 10_000;

#[derive(Clone, Debug)]
pub struct L2Book {
    rule: SequenceRule,
    pub(super) bids: Ladder,
    pub(super) asks: Ladder,
    status: BookStatus,
    /// Last update id applied (the snapshot's, then each diff's).
    last_id: Option<u64>,
    /// True until the first diff after the snapshot has been applied.
    fresh_snapshot: bool,
    buffer: VecDeque<BufferedDiff>,
    buffer_limit: usize,
    stats: BookStats,
    pub(super) own: OwnOrders,
}

impl L2Book {
    pub fn new(rule: SequenceRule) -> Self {
        Self::with_buffer_limit(rule, DEFAULT_BUFFER_LIMIT)
    }

    pub fn with_buffer_limit(rule: SequenceRule, buffer_limit: usize) -> Self {
        Self {
            rule,
            bids: Ladder::new(Side::Buy),
            asks: Ladder::new(Side::Sell),
            status: if rule == SequenceRule::None { BookStatus::Valid } else { BookStatus::AwaitingSnapshot },
            last_id: None,
            fresh_snapshot: false,
            buffer: VecDeque::new(),
            buffer_limit: buffer_limit.max(1),
            stats: BookStats::default(),
            own: OwnOrders::default(),
        }
    }

    pub fn rule(&self) -> SequenceRule {
        self.rule
    }

    pub fn status(&self) -> &BookStatus {
        &self.status
    }

    pub fn is_valid(&self) -> bool {
        self.status == BookStatus::Valid
    }

    pub fn last_update_id(&self) -> Option<u64> {
        self.last_id
    }

    pub fn stats(&self) -> BookStats {
        self.stats
    }

    pub fn buffered_diffs(&self) -> usize {
        self.buffer.len()
    }

    /// Marks the book invalid for a reason the host detected (stale feed, disconnect).
    pub fn invalidate(&mut self, why: impl Into<String>) {
        self.status = BookStatus::Invalid(InvalidReason::External(why.into()));
    }

    /// Replaces the book with a snapshot, then applies buffered diffs that follow it.
    pub fn apply_snapshot(&mut self, last_id: u64, bids: &[Level], asks: &[Level]) -> ApplyOutcome {
        self.stats.snapshots += 1;
        if let Some(reason) = first_bad_level(bids, asks) {
            return self.reject(reason);
        }
        self.bids.load(bids);
        self.asks.load(asks);
        self.last_id = Some(last_id);
        self.fresh_snapshot = true;
        self.status = BookStatus::Valid;
        if let Some(reason) = self.crossing() {
            return self.reject(reason);
        }
        self.drain_buffer()
    }

    /// Applies one depth diff under the book's sequence rule.
    pub fn apply_diff(&mut self, header: DiffHeader, bids: &[Level], asks: &[Level]) -> ApplyOutcome {
        if self.status != BookStatus::Valid {
            self.hold(header, bids, asks);
            return ApplyOutcome::Buffered;
        }
        match self.verdict(header) {
            Verdict::Stale => {
                self.stats.stale += 1;
                ApplyOutcome::Stale
            }
            Verdict::Gap { expected } => {
                self.hold(header, bids, asks);
                self.reject(InvalidReason::Gap { expected, header })
            }
            Verdict::Apply => self.apply_levels(header, bids, asks),
        }
    }

    /// One unsequenced level update; only for books with rule [`SequenceRule::None`].
    pub fn apply_level(&mut self, side: Side, level: Level) -> Result<ApplyOutcome, BookError> {
        if self.rule != SequenceRule::None {
            return Err(BookError::Sequenced(self.rule.name()));
        }
        if let Some(reason) = bad_level(side, level) {
            return Ok(self.reject(reason));
        }
        self.ladder_mut(side).set(level.price, level.size);
        self.stats.level_updates += 1;
        Ok(match self.crossing() {
            Some(reason) => self.reject(reason),
            None => ApplyOutcome::Applied,
        })
    }

    fn verdict(&self, header: DiffHeader) -> Verdict {
        match (self.last_id, self.fresh_snapshot) {
            (Some(snap), true) => self.rule.after_snapshot(snap, header),
            (Some(prev), false) => self.rule.after_diff(prev, header),
            (None, _) => Verdict::Apply,
        }
    }

    fn apply_levels(&mut self, header: DiffHeader, bids: &[Level], asks: &[Level]) -> ApplyOutcome {
        if let Some(reason) = first_bad_level(bids, asks) {
            return self.reject(reason);
        }
        for l in bids {
            self.bids.set(l.price, l.size);
        }
        for l in asks {
            self.asks.set(l.price, l.size);
        }
        self.stats.level_updates += (bids.len() + asks.len()) as u64;
        self.stats.diffs_applied += 1;
        self.last_id = Some(header.last_id);
        self.fresh_snapshot = false;
        match self.crossing() {
            Some(reason) => self.reject(reason),
            None => ApplyOutcome::Applied,
        }
    }

    /// Applies buffered diffs after a snapshot; on a gap keeps the rest for the next one.
    fn drain_buffer(&mut self) -> ApplyOutcome {
        while let Some(front) = self.buffer.front() {
            match self.verdict(front.header) {
                Verdict::Stale => {
                    self.buffer.pop_front();
                    self.stats.stale += 1;
                }
                Verdict::Gap { expected } => {
                    let header = front.header;
                    return self.reject(InvalidReason::Gap { expected, header });
                }
                Verdict::Apply => {
                    let Some(d) = self.buffer.pop_front() else { break };
                    if let outcome @ ApplyOutcome::Rejected(_) = self.apply_levels(d.header, &d.bids, &d.asks) {
                        return outcome;
                    }
                }
            }
        }
        ApplyOutcome::Applied
    }

    fn hold(&mut self, header: DiffHeader, bids: &[Level], asks: &[Level]) {
        if self.buffer.len() == self.buffer_limit {
            self.buffer.pop_front();
            self.stats.buffer_dropped += 1;
        }
        self.stats.buffered += 1;
        self.buffer.push_back(BufferedDiff { header, bids: bids.to_vec(), asks: asks.to_vec() });
    }

    fn reject(&mut self, reason: InvalidReason) -> ApplyOutcome {
        match reason {
            InvalidReason::Gap { .. } => self.stats.gaps += 1,
            InvalidReason::Crossed { .. } => self.stats.crossed += 1,
            InvalidReason::BadLevel { .. } => self.stats.bad_levels += 1,
            InvalidReason::External(_) => {}
        }
        self.status = BookStatus::Invalid(reason.clone());
        ApplyOutcome::Rejected(reason)
    }

    fn crossing(&self) -> Option<InvalidReason> {
        match (self.bids.best(), self.asks.best()) {
            (Some(b), Some(a)) if b.price >= a.price => {
                Some(InvalidReason::Crossed { best_bid: b.price, best_ask: a.price })
            }
            _ => None,
        }
    }

    pub(super) fn ladder(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn ladder_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Clears levels, ids and buffer; own orders are kept (they live at the venue).
    pub fn reset(&mut self) {
        let own = std::mem::take(&mut self.own);
        *self = Self::with_buffer_limit(self.rule, self.buffer_limit);
        self.own = own;
    }
}

fn bad_level(side: Side, l: Level) -> Option<InvalidReason> {
    (l.price <= 0 || l.size < 0).then_some(InvalidReason::BadLevel { side, price: l.price, size: l.size })
}

fn first_bad_level(bids: &[Level], asks: &[Level]) -> Option<InvalidReason> {
    bids.iter().find_map(|&l| bad_level(Side::Buy, l)).or_else(|| asks.iter().find_map(|&l| bad_level(Side::Sell, l)))
}
