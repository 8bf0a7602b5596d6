//! Replays each real Binance recording: zero gaps, never crossed, and at every depth-diff
//! boundary the touch equals Binance's own bookTicker at the latest id not after it.

mod common;

use flashmm_core::book::{ApplyOutcome, Level};
use flashmm_core::replay::binance::{BinanceReader, sequence_rule};
use flashmm_core::replay::{BookReplay, EventBatch, EventKind, TouchCheck};

struct Replayed {
    replay: BookReplay,
    check: TouchCheck,
    boundaries: u64,
}

fn replay(name: &str) -> Replayed {
    let mut reader = BinanceReader::open(&common::data_file(name), None, None).expect("open");
    let mut replay = BookReplay::new(sequence_rule(reader.market()));
    let mut check = TouchCheck::default();
    let mut batch = EventBatch::default();
    let mut boundaries = 0;
    while reader.next_batch(&mut batch, 4096).expect("clean recording") > 0 {
        for e in batch.iter() {
            if e.kind == EventKind::BookTicker {
                check.ticker(e.last_id, e.bids[0], e.asks[0]);
            }
            if replay.apply(&e) == Some(ApplyOutcome::Applied) {
                let book = &replay.book;
                if let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) {
                    assert!(b.price < a.price, "{name}: crossed at {:?}", book.last_update_id());
                }
                let id = book.last_update_id().expect("applied book has an id");
                check.boundary(id, (book.best_bid(), book.best_ask()));
                boundaries += 1;
            }
        }
    }
    Replayed { replay, check, boundaries }
}

#[test]
fn every_recording_replays_cleanly_and_agrees_with_book_ticker() {
    for name in common::BINANCE_FILES {
        let Replayed { replay, check, boundaries } = replay(name);
        let c = replay.counts();
        assert_eq!(c.snapshots, 1, "{name}");
        assert_eq!((c.gaps, c.invalid_states), (0, 0), "{name}: {c:?}");
        assert!(replay.book.is_valid(), "{name}: {:?}", replay.book.status());
        assert!(c.diffs_applied > 1000, "{name}: {c:?}");
        assert_eq!(c.diffs_applied + c.diffs_buffered + c.diffs_stale, c.diffs, "{name}");
        let agreement = check.finish();
        assert_eq!(agreement.checked + agreement.unchecked, boundaries, "{name}");
        assert!(agreement.unchecked <= 1, "{name}: {agreement:?}");
        assert!(
            agreement.mismatches.is_empty(),
            "{name}: {} of {} boundaries disagree with bookTicker; first: {:?}",
            agreement.mismatches.len(),
            agreement.checked,
            agreement.mismatches.first()
        );
        eprintln!("{name}: {c:?}; {} boundaries agree with bookTicker", agreement.checked);
    }
}

#[test]
fn the_checker_catches_a_wrong_book() {
    // The check itself must be able to fail: perturb one boundary.
    let Replayed { mut check, .. } = replay("spot_btcusdt_20240808.gz");
    check.boundary(u64::MAX - 1, (Some(Level::new(1, 1)), Some(Level::new(2, 1))));
    assert_eq!(check.finish().mismatches.len(), 1);
}
