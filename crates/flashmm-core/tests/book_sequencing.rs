//! Scripted book scenarios: exact states after snapshots, diffs, gaps and bad input.

use flashmm_core::book::{
    ApplyOutcome, BookStatus, DiffHeader, InvalidReason, L2Book, Level, OwnOrder, SequenceRule, Side,
};

fn lv(p: i64, s: i64) -> Level {
    Level::new(p, s)
}

fn spot_book() -> L2Book {
    let mut b = L2Book::new(SequenceRule::BinanceSpot);
    assert_eq!(b.apply_snapshot(100, &[lv(99, 5), lv(98, 7)], &[lv(101, 3), lv(102, 4)]), ApplyOutcome::Applied);
    b
}

fn levels(b: &L2Book, side: Side) -> Vec<(i64, i64)> {
    b.top_levels(side, usize::MAX).map(|l| (l.price, l.size)).collect()
}

#[test]
fn snapshot_then_chained_diffs_give_exact_state() {
    let mut b = spot_book();
    assert!(b.is_valid());
    // Straddles lastUpdateId + 1 = 101.
    assert_eq!(
        b.apply_diff(DiffHeader::new(95, 103, None), &[lv(99, 0), lv(97, 2)], &[lv(101, 8)]),
        ApplyOutcome::Applied
    );
    assert_eq!(b.apply_diff(DiffHeader::new(104, 104, None), &[lv(100, 1)], &[]), ApplyOutcome::Applied);
    assert_eq!(levels(&b, Side::Buy), vec![(100, 1), (98, 7), (97, 2)]);
    assert_eq!(levels(&b, Side::Sell), vec![(101, 8), (102, 4)]);
    assert_eq!(b.last_update_id(), Some(104));
    assert_eq!(b.stats().diffs_applied, 2);
    assert_eq!(b.stats().level_updates, 4);
}

#[test]
fn diffs_before_the_snapshot_are_buffered_then_applied_or_skipped() {
    let mut b = L2Book::new(SequenceRule::BinanceSpot);
    assert_eq!(b.status(), &BookStatus::AwaitingSnapshot);
    // Entirely older than the snapshot: skipped on replay.
    assert_eq!(b.apply_diff(DiffHeader::new(90, 100, None), &[lv(50, 1)], &[]), ApplyOutcome::Buffered);
    // Straddles 101: applied.
    assert_eq!(b.apply_diff(DiffHeader::new(101, 102, None), &[lv(99, 9)], &[]), ApplyOutcome::Buffered);
    assert_eq!(b.apply_diff(DiffHeader::new(103, 105, None), &[], &[lv(101, 0)]), ApplyOutcome::Buffered);
    assert_eq!(b.buffered_diffs(), 3);
    assert_eq!(b.apply_snapshot(100, &[lv(99, 5)], &[lv(101, 3), lv(102, 4)]), ApplyOutcome::Applied);
    assert!(b.is_valid());
    assert_eq!(levels(&b, Side::Buy), vec![(99, 9)]);
    assert_eq!(levels(&b, Side::Sell), vec![(102, 4)]);
    assert_eq!(b.last_update_id(), Some(105));
    assert_eq!(b.buffered_diffs(), 0);
    assert_eq!(b.stats().stale, 1);
}

#[test]
fn a_gap_invalidates_until_a_new_snapshot_resyncs() {
    let mut b = spot_book();
    b.apply_diff(DiffHeader::new(101, 101, None), &[lv(99, 6)], &[]);
    let out = b.apply_diff(DiffHeader::new(103, 104, None), &[lv(99, 1)], &[]);
    let reason = InvalidReason::Gap { expected: 102, header: DiffHeader::new(103, 104, None) };
    assert_eq!(out, ApplyOutcome::Rejected(reason.clone()));
    assert_eq!(b.status(), &BookStatus::Invalid(reason.clone()));
    assert_eq!(reason.to_string(), "sequence gap: expected update 102 next, got 103..=104");
    // Later diffs wait for the resync; the book is not touched meanwhile.
    assert_eq!(b.apply_diff(DiffHeader::new(105, 106, None), &[lv(96, 1)], &[]), ApplyOutcome::Buffered);
    assert_eq!(levels(&b, Side::Buy), vec![(99, 6), (98, 7)]);
    // A snapshot at 104 makes the gapped diff stale and chains 105..=106.
    assert_eq!(b.apply_snapshot(104, &[lv(99, 2)], &[lv(101, 1)]), ApplyOutcome::Applied);
    assert!(b.is_valid());
    assert_eq!(levels(&b, Side::Buy), vec![(99, 2), (96, 1)]);
    assert_eq!(b.stats().gaps, 1);
}

#[test]
fn a_snapshot_too_old_for_the_buffer_stays_invalid_and_keeps_the_buffer() {
    let mut b = L2Book::new(SequenceRule::BinanceSpot);
    b.apply_diff(DiffHeader::new(110, 120, None), &[lv(99, 1)], &[]);
    let out = b.apply_snapshot(100, &[lv(99, 5)], &[lv(101, 3)]);
    assert!(matches!(out, ApplyOutcome::Rejected(InvalidReason::Gap { expected: 101, .. })));
    assert_eq!(b.buffered_diffs(), 1);
    // A newer snapshot lets the held diff apply.
    assert_eq!(b.apply_snapshot(115, &[lv(99, 5)], &[lv(101, 3)]), ApplyOutcome::Applied);
    assert_eq!(b.size_at(Side::Buy, 99), 1);
}

#[test]
fn futures_chain_on_previous_update_id() {
    let mut b = L2Book::new(SequenceRule::BinanceFutures);
    b.apply_snapshot(100, &[lv(99, 5)], &[lv(101, 3)]);
    assert_eq!(b.apply_diff(DiffHeader::new(90, 99, Some(89)), &[lv(99, 1)], &[]), ApplyOutcome::Stale);
    assert_eq!(b.apply_diff(DiffHeader::new(95, 130, Some(94)), &[lv(99, 2)], &[]), ApplyOutcome::Applied);
    assert_eq!(b.apply_diff(DiffHeader::new(140, 150, Some(130)), &[lv(99, 3)], &[]), ApplyOutcome::Applied);
    let out = b.apply_diff(DiffHeader::new(160, 170, Some(155)), &[lv(99, 4)], &[]);
    assert!(matches!(out, ApplyOutcome::Rejected(InvalidReason::Gap { .. })));
    assert_eq!(b.size_at(Side::Buy, 99), 3);
}

#[test]
fn a_crossing_diff_invalidates_the_book() {
    let mut b = spot_book();
    let out = b.apply_diff(DiffHeader::new(101, 101, None), &[lv(101, 1)], &[]);
    assert_eq!(out, ApplyOutcome::Rejected(InvalidReason::Crossed { best_bid: 101, best_ask: 101 }));
    assert!(!b.is_valid());
    assert_eq!(b.stats().crossed, 1);
    // A crossed snapshot is invalid too.
    let mut c = L2Book::new(SequenceRule::Strict);
    assert!(matches!(
        c.apply_snapshot(1, &[lv(10, 1)], &[lv(9, 1)]),
        ApplyOutcome::Rejected(InvalidReason::Crossed { .. })
    ));
}

#[test]
fn bad_levels_are_rejected_atomically() {
    let mut b = spot_book();
    for bad in [lv(0, 1), lv(-5, 1), lv(97, -1)] {
        let mut c = b.clone();
        let out = c.apply_diff(DiffHeader::new(101, 101, None), &[lv(97, 3), bad], &[]);
        assert!(matches!(out, ApplyOutcome::Rejected(InvalidReason::BadLevel { .. })), "{bad:?}");
        // Nothing of the batch applied, the good level included.
        assert_eq!(c.size_at(Side::Buy, 97), 0);
        assert!(matches!(c.status(), BookStatus::Invalid(InvalidReason::BadLevel { .. })));
    }
    let out = b.apply_snapshot(200, &[lv(5, 1)], &[lv(-1, 1)]);
    assert_eq!(out, ApplyOutcome::Rejected(InvalidReason::BadLevel { side: Side::Sell, price: -1, size: 1 }));
    assert_eq!(
        InvalidReason::BadLevel { side: Side::Sell, price: -1, size: 1 }.to_string(),
        "invalid ask level: price -1 ticks, size 1 lots (price must be > 0, size >= 0)"
    );
}

#[test]
fn the_resync_buffer_is_bounded() {
    let mut b = L2Book::with_buffer_limit(SequenceRule::Strict, 3);
    for i in 0..5u64 {
        b.apply_diff(DiffHeader::new(i + 1, i + 1, None), &[lv(10, i as i64 + 1)], &[]);
    }
    assert_eq!(b.buffered_diffs(), 3);
    assert_eq!(b.stats().buffer_dropped, 2);
    // Diffs 3..=5 remain; a snapshot at 2 chains them.
    assert_eq!(b.apply_snapshot(2, &[], &[lv(20, 1)]), ApplyOutcome::Applied);
    assert_eq!(b.size_at(Side::Buy, 10), 5);
}

#[test]
fn single_level_updates_need_an_unsequenced_book() {
    let mut seq = spot_book();
    assert!(seq.apply_level(Side::Buy, lv(99, 1)).is_err());
    let mut b = L2Book::new(SequenceRule::None);
    assert!(b.is_valid());
    assert_eq!(b.apply_level(Side::Buy, lv(99, 1)), Ok(ApplyOutcome::Applied));
    assert_eq!(b.apply_level(Side::Sell, lv(100, 2)), Ok(ApplyOutcome::Applied));
    assert!(matches!(b.apply_level(Side::Sell, lv(99, 1)), Ok(ApplyOutcome::Rejected(InvalidReason::Crossed { .. }))));
}

#[test]
fn queries_on_a_known_book() {
    let mut b = L2Book::new(SequenceRule::None);
    b.apply_snapshot(1, &[lv(1000, 10), lv(999, 20), lv(990, 30)], &[lv(1002, 30), lv(1003, 10), lv(1010, 5)]);
    assert_eq!(b.best_bid(), Some(lv(1000, 10)));
    assert_eq!(b.best_ask(), Some(lv(1002, 30)));
    assert_eq!(b.spread(), Some(2));
    assert_eq!(b.mid(), Some(1001.0));
    // (1000*30 + 1002*10) / 40
    assert_eq!(b.micro_price(), Some(1000.5));
    assert_eq!(b.top_levels(Side::Sell, 2).collect::<Vec<_>>(), vec![lv(1002, 30), lv(1003, 10)]);
    // 10 bps of 1001 = 1.001 ticks: bids >= 999.999, asks <= 1002.001.
    let d = b.depth_within_bps(10.0).unwrap();
    assert_eq!((d.bid, d.ask), (10, 30));
    // 100 bps = 10.01 ticks: the 990 bid (11 ticks away) is outside, 1010 ask inside.
    let d = b.depth_within_bps(100.0).unwrap();
    assert_eq!((d.bid, d.ask), (30, 45));
    let d = b.depth_within_bps(110.0).unwrap();
    assert_eq!((d.bid, d.ask), (60, 45));
    // Buy 35: 30 @ 1002 + 5 @ 1003.
    assert_eq!(b.average_fill_price(Side::Buy, 35), Some((30.0 * 1002.0 + 5.0 * 1003.0) / 35.0));
    assert_eq!(b.average_fill_price(Side::Sell, 10), Some(1000.0));
    assert_eq!(b.average_fill_price(Side::Sell, 61), None);
    assert_eq!(b.imbalance(1), Some((10.0 - 30.0) / 40.0));
    assert_eq!(b.imbalance(3), Some((60.0 - 45.0) / 105.0));
    assert_eq!(b.size_at(Side::Buy, 999), 20);
    assert_eq!(b.size_at(Side::Buy, 998), 0);
    assert_eq!(b.depth_within_bps(f64::NAN), None);
    let empty = L2Book::new(SequenceRule::None);
    assert_eq!((empty.mid(), empty.micro_price(), empty.imbalance(5)), (None, None, None));
}

#[test]
fn the_public_book_net_of_our_orders() {
    let mut b = L2Book::new(SequenceRule::None);
    b.apply_snapshot(1, &[lv(1000, 10), lv(999, 20)], &[lv(1002, 30)]);
    b.add_own_order(OwnOrder { id: 1, side: Side::Buy, price: 1000, size: 4 }).unwrap();
    b.add_own_order(OwnOrder { id: 2, side: Side::Buy, price: 1000, size: 6 }).unwrap();
    b.add_own_order(OwnOrder { id: 3, side: Side::Sell, price: 1002, size: 5 }).unwrap();
    // All of the 1000 bid level is ours: other participants' best bid is 999.
    assert_eq!(b.net_top_levels(Side::Buy, 5), vec![lv(999, 20)]);
    assert_eq!(b.net_size_at(Side::Sell, 1002), 25);
    assert!(b.own_overhang().is_empty());
    // The venue now shows only 7 at 1000: 3 of ours are gone (filled or cancelled).
    b.apply_level(Side::Buy, lv(1000, 7)).unwrap();
    assert_eq!(b.own_size_at(Side::Buy, 1000), 7);
    assert_eq!(b.net_size_at(Side::Buy, 1000), 0);
    assert_eq!(b.own_overhang(), vec![(Side::Buy, 1000, 3)]);
    b.fill_own_order(2, 3).unwrap();
    assert!(b.own_overhang().is_empty());
}
