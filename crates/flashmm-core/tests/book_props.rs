//! Property tests: random delta sequences never break the book's invariants, and an
//! unsequenced book always equals a plain reference map.

use std::collections::BTreeMap;

use flashmm_core::book::{ApplyOutcome, DiffHeader, L2Book, Level, OwnOrder, SequenceRule, Side};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Snapshot { id: u64, bids: Vec<Level>, asks: Vec<Level> },
    Diff { first: u64, len: u64, bids: Vec<Level>, asks: Vec<Level> },
    AddOwn { id: u64, side: Side, price: i64, size: i64 },
    FillOwn { id: u64, size: i64 },
    RemoveOwn { id: u64 },
}

fn level() -> impl Strategy<Value = Level> {
    // Mostly sane levels around 100, some zero sizes (deletes), a few bad ones.
    prop_oneof![
        8 => (90i64..110, 0i64..20).prop_map(|(p, s)| Level::new(p, s)),
        1 => (-3i64..1, -3i64..3).prop_map(|(p, s)| Level::new(p, s)),
        1 => (90i64..110, -5i64..0).prop_map(|(p, s)| Level::new(p, s)),
    ]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn op() -> impl Strategy<Value = Op> {
    let levels = || prop::collection::vec(level(), 0..6);
    prop_oneof![
        1 => (0u64..60, levels(), levels()).prop_map(|(id, bids, asks)| Op::Snapshot { id, bids, asks }),
        8 => (0u64..60, 0u64..3, levels(), levels()).prop_map(|(first, len, bids, asks)| Op::Diff { first, len, bids, asks }),
        2 => (0u64..8, side(), 90i64..110, 1i64..10).prop_map(|(id, side, price, size)| Op::AddOwn { id, side, price, size }),
        1 => (0u64..8, 1i64..5).prop_map(|(id, size)| Op::FillOwn { id, size }),
        1 => (0u64..8).prop_map(|id| Op::RemoveOwn { id }),
    ]
}

fn check_invariants(b: &L2Book) -> Result<(), TestCaseError> {
    for side in [Side::Buy, Side::Sell] {
        let levels: Vec<Level> = b.top_levels(side, usize::MAX).collect();
        for w in levels.windows(2) {
            let better = match side {
                Side::Buy => w[0].price > w[1].price,
                Side::Sell => w[0].price < w[1].price,
            };
            prop_assert!(better, "{side:?} levels not strictly sorted: {levels:?}");
        }
        prop_assert!(levels.iter().all(|l| l.size > 0 && l.price > 0), "bad level kept: {levels:?}");
        for o in b.own_orders().sorted() {
            prop_assert!(b.own_size_at(o.side, o.price) <= b.size_at(o.side, o.price));
            prop_assert!(b.net_size_at(o.side, o.price) >= 0);
        }
    }
    if let (true, Some(bid), Some(ask)) = (b.is_valid(), b.best_bid(), b.best_ask()) {
        prop_assert!(bid.price < ask.price, "valid but crossed: {bid:?} {ask:?}");
    }
    Ok(())
}

fn apply(b: &mut L2Book, op: &Op) -> Option<ApplyOutcome> {
    match op {
        Op::Snapshot { id, bids, asks } => Some(b.apply_snapshot(*id, bids, asks)),
        Op::Diff { first, len, bids, asks } => {
            Some(b.apply_diff(DiffHeader::new(*first, first + len, None), bids, asks))
        }
        Op::AddOwn { id, side, price, size } => {
            let _ = b.add_own_order(OwnOrder { id: *id, side: *side, price: *price, size: *size });
            None
        }
        Op::FillOwn { id, size } => {
            let _ = b.fill_own_order(*id, *size);
            None
        }
        Op::RemoveOwn { id } => {
            let _ = b.remove_own_order(*id);
            None
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn sequenced_books_keep_their_invariants(ops in prop::collection::vec(op(), 1..80)) {
        for rule in [SequenceRule::Strict, SequenceRule::BinanceSpot] {
            let mut b = L2Book::with_buffer_limit(rule, 16);
            let mut last_applied: Option<u64> = None;
            for op in &ops {
                let outcome = apply(&mut b, op);
                check_invariants(&b)?;
                if let (Some(ApplyOutcome::Applied), Op::Diff { first, len, .. }) = (&outcome, op) {
                    // A directly applied diff continues the id chain it was checked against.
                    if let Some(prev) = last_applied {
                        prop_assert!(*first <= prev + 1 && first + len > prev, "applied {first}+{len} after {prev}");
                    }
                }
                if matches!(outcome, Some(ApplyOutcome::Applied)) {
                    last_applied = b.last_update_id();
                }
                prop_assert_eq!(b.buffered_diffs() <= 16, true);
            }
        }
    }

    #[test]
    fn unsequenced_book_equals_a_reference_map(ops in prop::collection::vec(op(), 1..80)) {
        let mut b = L2Book::new(SequenceRule::None);
        let mut reference: [BTreeMap<i64, i64>; 2] = Default::default();
        for op in &ops {
            let outcome = apply(&mut b, op);
            check_invariants(&b)?;
            let (bids, asks, replace) = match op {
                Op::Snapshot { bids, asks, .. } => (bids, asks, true),
                Op::Diff { bids, asks, .. } => (bids, asks, false),
                _ => continue,
            };
            let bad = bids.iter().chain(asks).any(|l| l.price <= 0 || l.size < 0);
            prop_assert_eq!(bad, matches!(outcome, Some(ApplyOutcome::Rejected(flashmm_core::book::InvalidReason::BadLevel { .. }))));
            if bad {
                // Rejected atomically: the reference stays as it was; resync from here.
                b = L2Book::new(SequenceRule::None);
                reference = Default::default();
                continue;
            }
            if replace {
                reference = Default::default();
            }
            for (i, side_levels) in [bids, asks].into_iter().enumerate() {
                for l in side_levels {
                    if l.size == 0 { reference[i].remove(&l.price); } else { reference[i].insert(l.price, l.size); }
                }
            }
            let want_bids: Vec<(i64, i64)> = reference[0].iter().rev().map(|(&p, &s)| (p, s)).collect();
            let want_asks: Vec<(i64, i64)> = reference[1].iter().map(|(&p, &s)| (p, s)).collect();
            let got_bids: Vec<(i64, i64)> = b.top_levels(Side::Buy, usize::MAX).map(|l| (l.price, l.size)).collect();
            let got_asks: Vec<(i64, i64)> = b.top_levels(Side::Sell, usize::MAX).map(|l| (l.price, l.size)).collect();
            prop_assert_eq!(&got_bids, &want_bids);
            prop_assert_eq!(&got_asks, &want_asks);
            let crossed = matches!((want_bids.first(), want_asks.first()), (Some(b), Some(a)) if b.0 >= a.0);
            prop_assert_eq!(crossed, !b.is_valid());
            if crossed {
                b = L2Book::new(SequenceRule::None);
                reference = Default::default();
            }
        }
    }
}
