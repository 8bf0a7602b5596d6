//! The simulated exchange in Sei's block matching (`Matching::SeiBlock`): requests held until
//! their block ends, applied in the chain's order, crossing limits at the midpoint. Hand-computed
//! outcomes on a small book, blocks of 100 ns, zero latency, maker −100 / taker 500 ppm:
//!
//! ```text
//!   bids 99:5  98:10        asks 101:4  102:6  103:10
//! ```

mod sim_support;

use flashmm_core::book::Side::{Buy, Sell};
use flashmm_core::money::{FillPrice, Liquidity};
use flashmm_core::sim::{
    CancelReason, ConstantLatency, FillTrigger, Matching, NewOrder, QueueModel, Report, ReportKind, Request, SimError,
    SimExchange,
};
use sim_support::{Script, account_from, config, fills, finish, of};

const BLOCK: i64 = 100;

fn sim() -> SimExchange<ConstantLatency> {
    let cfg = config(QueueModel::RiskAverse).with_matching(Matching::SeiBlock { block_ns: BLOCK });
    SimExchange::new(cfg, ConstantLatency::ZERO).unwrap()
}

fn book() -> Script {
    let mut s = Script::new();
    s.snapshot(1, &[(99, 5), (98, 10)], &[(101, 4), (102, 6), (103, 10)]);
    s
}

/// (half ticks, lots, leaves, liquidity, trigger, exchange time) of each fill of an order.
fn fills_of(reports: &[Report], id: u64) -> Vec<(i64, i64, i64, Liquidity, FillTrigger, i64)> {
    reports
        .iter()
        .filter_map(|r| match r.kind {
            ReportKind::Fill(f) if r.client_id == id => {
                Some((f.price.as_half_ticks(), f.lots, f.leaves, f.liquidity, f.trigger, r.exchange_ts))
            }
            _ => None,
        })
        .collect()
}

use FillTrigger::{BookCross, Taker as TAKE};
use Liquidity::{Maker, Taker};

#[test]
fn an_order_waits_for_its_blocks_end_and_crossing_levels_settle_at_midpoints() {
    let mut s = book();
    s.send(2, Request::New(NewOrder::limit(1, Buy, 102, 6)));
    let mut x = sim();
    s.run_steps(&mut x, 0..s.steps.len());
    x.advance_to(99);
    let mut early = Vec::new();
    x.drain_reports(i64::MAX, &mut early);
    assert!(early.is_empty(), "nothing before the block ends: {early:?}");
    assert_eq!(x.pending_requests(), 1);
    let r = finish(&mut x);
    assert_eq!(
        r[0],
        Report {
            client_id: 1,
            exchange_ts: 100,
            local_ts: 100,
            kind: ReportKind::Accepted { side: Buy, price: 102, lots: 6 }
        }
    );
    // 4 against 101 at (102 + 101) / 2 = 101.5, then 2 against 102 at 102.
    assert_eq!(fills_of(&r, 1), vec![(203, 4, 2, Taker, TAKE, 100), (204, 2, 0, Taker, TAKE, 100)]);
    // Taker fee 500 ppm: 4 × 101.5 × 500 = 203 000 units, 2 × 102 × 500 = 102 000.
    assert_eq!(fills(&r).iter().map(|(_, f)| f.fee).collect::<Vec<_>>(), vec![203_000, 102_000]);
    assert_eq!(*x.account(), account_from(&r));
    assert_eq!((x.consumed_at(Sell, 101), x.consumed_at(Sell, 102)), (4, 2));
    assert!(x.order(1).is_none());
}

#[test]
fn a_block_applies_cancels_then_limits_then_markets_then_crossing_limits() {
    let mut s = book();
    s.send(2, Request::New(NewOrder::limit(1, Sell, 110, 1)));
    // Block 2 (100..200): a market buy, then a crossing limit buy, then the cancel of 1.
    s.send(120, Request::New(NewOrder::market(2, Buy, 5)));
    s.send(130, Request::New(NewOrder::limit(3, Buy, 103, 3)));
    s.send(140, Request::Cancel { client_id: 1 });
    let r = s.run(&mut sim());
    // The cancel first (order 1 is the only ask of ours, so 2 and 3 pass self-trade checks).
    let cancelled = ReportKind::Cancelled { reason: CancelReason::Requested, leaves: 1 };
    assert_eq!(of(&r, 1)[1], cancelled);
    assert_eq!(r.iter().position(|x| x.kind == cancelled), Some(1));
    // Then the market order, at each level's price (the chain's clearing price is their
    // average: (4 × 101 + 1 × 102) / 5, the same notional), before the limit crossing.
    assert_eq!(fills_of(&r, 2), vec![(202, 4, 1, Taker, TAKE, 200), (204, 1, 0, Taker, TAKE, 200)]);
    // Order 3 meets the 5 lots left at 102: 3 at (103 + 102) / 2 = 102.5.
    assert_eq!(fills_of(&r, 3), vec![(205, 3, 0, Taker, TAKE, 200)]);
    assert_eq!(x_consumed(&s), (4, 4));
}

fn x_consumed(s: &Script) -> (i64, i64) {
    let mut x = sim();
    s.run(&mut x);
    (x.consumed_at(Sell, 101), x.consumed_at(Sell, 102))
}

#[test]
fn a_market_order_the_book_cannot_fill_is_cancelled_at_the_blocks_end() {
    let mut s = book();
    s.send(5, Request::New(NewOrder::market(1, Sell, 20)));
    let r = s.run(&mut sim());
    assert_eq!(fills_of(&r, 1), vec![(198, 5, 15, Taker, TAKE, 100), (196, 10, 5, Taker, TAKE, 100)]);
    assert_eq!(of(&r, 1).last(), Some(&ReportKind::Cancelled { reason: CancelReason::Unfilled, leaves: 5 }));
}

#[test]
fn liquidity_crossing_a_resting_order_fills_it_at_the_midpoint() {
    let mut s = book();
    s.send(2, Request::New(NewOrder::limit(1, Buy, 100, 2)));
    // After block 1 (at 100) our bid rests; an ask appears at 99, through it.
    s.diff(150, &[(99, 0)], &[(99, 3)]);
    let r = s.run(&mut sim());
    assert_eq!(fills_of(&r, 1), vec![(199, 2, 0, Maker, BookCross, 150)]);
    assert_eq!(fills(&r)[0].1.price, FillPrice::midpoint(100, 99));
}

#[test]
fn requests_arriving_at_a_block_boundary_belong_to_the_next_block_and_market_events_go_first() {
    let mut s = book();
    s.send(50, Request::New(NewOrder::limit(1, Buy, 101, 1)));
    // The ask level at 101 leaves at 100, exactly at the block's end: the event goes first.
    s.diff(100, &[], &[(101, 0)]);
    s.send(100, Request::New(NewOrder::limit(2, Buy, 102, 1)));
    let r = s.run(&mut sim());
    assert_eq!(of(&r, 1), vec![ReportKind::Accepted { side: Buy, price: 101, lots: 1 }]);
    assert_eq!(fills_of(&r, 2), vec![(204, 1, 0, Taker, TAKE, 200)]);
}

#[test]
fn the_block_time_must_be_positive() {
    let cfg = config(QueueModel::RiskAverse).with_matching(Matching::SeiBlock { block_ns: 0 });
    assert_eq!(SimExchange::new(cfg, ConstantLatency::ZERO).err(), Some(SimError::BlockTime(0)));
    assert_eq!(Matching::default(), Matching::Continuous);
    assert_eq!(Matching::sei_block(), Matching::SeiBlock { block_ns: Matching::SEI_LOCAL_BLOCK_NS });
}
