//! A small scripted market shared by the tests that need hand-checkable fills: a two-level
//! book at 99/101, trades that hit each side, and diffs that empty or shrink the touch.

use flashmm_core::book::Level;
use flashmm_core::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};

/// Appends one event at exchange (and local) time `ts` with consecutive update ids.
pub fn push(b: &mut EventBatch, kind: EventKind, ts: i64, bids: &[(i64, i64)], asks: &[(i64, i64)], flags: u8) {
    let id = b.len() as u64 + 1;
    let start = b.levels.len() as u32;
    b.levels.extend(bids.iter().map(|&(p, s)| Level::new(p, s)));
    b.levels.extend(asks.iter().map(|&(p, s)| Level::new(p, s)));
    b.push(kind, ts, ts, id, id, None, flags, start, bids.len() as u32);
}

/// Snapshot 99/101 (5 lots each, two levels), a sell of 6 at 99, the bid emptied, a buy of 8
/// at 101, the ask down to 3.
pub fn tape() -> EventBatch {
    let mut b = EventBatch::default();
    push(&mut b, EventKind::Snapshot, 1, &[(99, 5), (98, 5)], &[(101, 5), (102, 5)], 0);
    push(&mut b, EventKind::Trade, 150, &[(99, 6)], &[], FLAG_BUYER_MAKER);
    push(&mut b, EventKind::DepthDiff, 160, &[(99, 0)], &[], 0);
    push(&mut b, EventKind::Trade, 250, &[(101, 8)], &[], 0);
    push(&mut b, EventKind::DepthDiff, 350, &[], &[(101, 3)], 0);
    b
}
