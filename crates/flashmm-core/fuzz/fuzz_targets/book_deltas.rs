//! Arbitrary host input (f64 arrays as JS sends them, arbitrary ids) decoded into levels
//! and thrown at a sequenced book; the book's invariants must hold after every step.
#![no_main]

use arbitrary::Arbitrary;
use flashmm_core::book::{DiffHeader, L2Book, Level, OwnOrder, SequenceRule, Side, levels_from_f64};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Snapshot { id: u64, bid_prices: Vec<f64>, bid_sizes: Vec<f64>, ask_prices: Vec<f64>, ask_sizes: Vec<f64> },
    Diff { first: u64, last: u64, prev: Option<u64>, bid_prices: Vec<f64>, bid_sizes: Vec<f64>, ask_prices: Vec<f64>, ask_sizes: Vec<f64> },
    Level { ask: bool, price: f64, size: f64 },
    AddOwn { id: u8, ask: bool, price: i64, size: i64 },
    FillOwn { id: u8, size: i64 },
    RemoveOwn { id: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    rule: u8,
    ops: Vec<Op>,
}

fn decode(prices: &[f64], sizes: &[f64]) -> Option<Vec<Level>> {
    let mut out = Vec::new();
    levels_from_f64(prices, sizes, &mut out).ok().map(|_| out)
}

fn side(ask: bool) -> Side {
    if ask { Side::Sell } else { Side::Buy }
}

fn check(b: &L2Book) {
    for s in [Side::Buy, Side::Sell] {
        let levels: Vec<Level> = b.top_levels(s, usize::MAX).collect();
        assert_eq!(levels.len(), b.level_count(s));
        for w in levels.windows(2) {
            assert!(if s == Side::Buy { w[0].price > w[1].price } else { w[0].price < w[1].price });
        }
        assert!(levels.iter().all(|l| l.size > 0 && l.price > 0));
        for o in b.own_orders().sorted() {
            assert!(b.own_size_at(o.side, o.price) <= b.size_at(o.side, o.price));
        }
        let _ = (b.mid(), b.micro_price(), b.imbalance(5), b.depth_within_bps(25.0), b.average_fill_price(s, 1000));
    }
    if b.is_valid() {
        if let (Some(bid), Some(ask)) = (b.best_bid(), b.best_ask()) {
            assert!(bid.price < ask.price);
        }
    }
}

fuzz_target!(|input: Input| {
    let rule = [SequenceRule::BinanceSpot, SequenceRule::BinanceFutures, SequenceRule::Strict, SequenceRule::None]
        [usize::from(input.rule % 4)];
    let mut b = L2Book::with_buffer_limit(rule, 32);
    for op in input.ops.iter().take(256) {
        match op {
            Op::Snapshot { id, bid_prices, bid_sizes, ask_prices, ask_sizes } => {
                if let (Some(bids), Some(asks)) = (decode(bid_prices, bid_sizes), decode(ask_prices, ask_sizes)) {
                    b.apply_snapshot(*id, &bids, &asks);
                }
            }
            Op::Diff { first, last, prev, bid_prices, bid_sizes, ask_prices, ask_sizes } => {
                if let (Some(bids), Some(asks)) = (decode(bid_prices, bid_sizes), decode(ask_prices, ask_sizes)) {
                    b.apply_diff(DiffHeader::new(*first, *last, *prev), &bids, &asks);
                }
            }
            Op::Level { ask, price, size } => {
                if let Some(l) = decode(&[*price], &[*size]) {
                    let _ = b.apply_level(side(*ask), l[0]);
                }
            }
            Op::AddOwn { id, ask, price, size } => {
                let _ = b.add_own_order(OwnOrder { id: u64::from(*id), side: side(*ask), price: *price, size: *size });
            }
            Op::FillOwn { id, size } => {
                let _ = b.fill_own_order(u64::from(*id), *size);
            }
            Op::RemoveOwn { id } => {
                let _ = b.remove_own_order(u64::from(*id));
            }
        }
        check(&b);
        assert!(b.buffered_diffs() <= 32);
    }
});
