//! Matching-engine tests of the simulated exchange: every order type and edge, on small
//! scripted books with hand-computed outcomes.
//!
//! Unless a test says otherwise: tick 1, lot 1, maker fee −100 ppm (a 1 bp rebate), taker fee
//! 500 ppm, zero latency, and the book
//!
//! ```text
//!   bids 99:5  98:10        asks 101:4  102:6  103:10
//! ```

mod sim_support;

use flashmm_core::book::Side::{Buy, Sell};
use flashmm_core::money::{Liquidity, MONEY_PER_TICK_LOT};
use flashmm_core::sim::{
    CancelReason, ConstantLatency, FillTrigger, ModifyRejectReason, NO_ORDER, NewOrder, QueueModel, RejectReason,
    Report, ReportKind, Request, SelfTradePrevention, SimExchange,
};
use sim_support::{Script, account_from, config, fills, of, sim};

fn book() -> Script {
    let mut s = Script::new();
    s.snapshot(1, &[(99, 5), (98, 10)], &[(101, 4), (102, 6), (103, 10)]);
    s
}

fn new(o: NewOrder) -> Request {
    Request::New(o)
}

fn accepted(side: flashmm_core::book::Side, price: i64, lots: i64) -> ReportKind {
    ReportKind::Accepted { side, price, lots }
}

/// (price, lots, leaves, liquidity, trigger) of each fill of an order.
fn fills_of(reports: &[Report], id: u64) -> Vec<(i64, i64, i64, Liquidity, FillTrigger)> {
    fills(reports)
        .into_iter()
        .filter(|(c, _)| *c == id)
        .map(|(_, f)| (f.price, f.lots, f.leaves, f.liquidity, f.trigger))
        .collect()
}

const TAKER: FillTrigger = FillTrigger::Taker;
const CROSS: FillTrigger = FillTrigger::BookCross;
use Liquidity::{Maker, Taker};

#[test]
fn a_limit_order_rests_and_is_acknowledged_after_the_latencies() {
    let mut s = book();
    s.send(2, new(NewOrder::limit(1, Buy, 100, 3)));
    s.diff(20, &[], &[(103, 10)]);
    let mut sim = SimExchange::new(config(QueueModel::RiskAverse), ConstantLatency::new(10, 5).unwrap()).unwrap();
    let reports = s.run(&mut sim);
    assert_eq!(reports, vec![Report { client_id: 1, exchange_ts: 12, local_ts: 17, kind: accepted(Buy, 100, 3) }]);
    let o = sim.order(1).unwrap();
    assert_eq!((o.price, o.leaves, o.queue_ahead), (100, 3, 0.0));
}

#[test]
fn post_only_orders_that_would_cross_are_rejected() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 101, 1)));
    s.send(2, new(NewOrder::post_only(2, Sell, 99, 1)));
    s.send(2, new(NewOrder::post_only(3, Buy, 100, 1)));
    s.send(2, new(NewOrder::post_only(4, Sell, 101, 2)));
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    let crossed = ReportKind::Rejected { reason: RejectReason::PostOnlyWouldCross };
    assert_eq!(of(&r, 1), vec![crossed]);
    assert_eq!(of(&r, 2), vec![crossed]);
    assert_eq!(of(&r, 3), vec![accepted(Buy, 100, 1)]);
    assert_eq!(of(&r, 4), vec![accepted(Sell, 101, 2)]);
    // Joins the back of the 4 public lots at 101.
    assert_eq!(sim.order(4).unwrap().queue_ahead, 4.0);
    assert!(sim.order(1).is_none() && sim.order(2).is_none());
    assert_eq!(sim.account().fills, 0);
}

#[test]
fn a_market_order_walks_the_book_with_exact_average_price_and_fee() {
    let mut s = book();
    s.send(2, new(NewOrder::market(1, Buy, 12)));
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    assert_eq!(of(&r, 1)[0], accepted(Buy, 0, 12));
    assert_eq!(fills_of(&r, 1), vec![(101, 4, 8, Taker, TAKER), (102, 6, 2, Taker, TAKER), (103, 2, 0, Taker, TAKER)]);
    // Average price: (4·101 + 6·102 + 2·103) / 12 = 1222 / 12 = 101.8333… ticks.
    let f = fills(&r);
    let (notional_ticks, lots): (i64, i64) = f.iter().fold((0, 0), |(n, l), (_, f)| (n + f.price * f.lots, l + f.lots));
    assert_eq!((notional_ticks, lots), (1222, 12));
    assert_eq!(notional_ticks as f64 / lots as f64, 1222.0 / 12.0);
    // Taker fee 500 ppm of each level's notional, exact in money units (tick·lot·10⁻⁶):
    // 404·500 + 612·500 + 206·500 = 202 000 + 306 000 + 103 000 = 611 000 = 0.611 tick·lots.
    assert_eq!(f.iter().map(|(_, f)| f.fee).collect::<Vec<_>>(), vec![202_000, 306_000, 103_000]);
    let a = sim.account();
    assert_eq!(a.position(), 12);
    assert_eq!(a.fees(), 611_000);
    assert_eq!(a.cash, -1222 * MONEY_PER_TICK_LOT - 611_000);
    assert_eq!(*a, account_from(&r));
    // The displayed lots it used are remembered.
    assert_eq!((sim.consumed_at(Sell, 101), sim.consumed_at(Sell, 102), sim.consumed_at(Sell, 103)), (4, 6, 2));
}

#[test]
fn market_orders_never_reuse_displayed_liquidity_and_cancel_what_cannot_fill() {
    let mut s = book();
    s.send(2, new(NewOrder::market(1, Buy, 12)));
    // 8 lots left at 103 (10 displayed, 2 used): fills 8, the other 12 are cancelled.
    s.send(3, new(NewOrder::market(2, Buy, 20)));
    s.send(4, new(NewOrder::market(3, Sell, 7)));
    // 101 shrinks to 3 (used: min(4, 3) = 3, nothing free), then grows to 5: 2 new lots.
    s.diff(5, &[], &[(101, 3)]);
    s.send(6, new(NewOrder::market(4, Buy, 1)));
    s.diff(7, &[], &[(101, 5)]);
    s.send(8, new(NewOrder::market(5, Buy, 3)));
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    assert_eq!(fills_of(&r, 2), vec![(103, 8, 12, Taker, TAKER)]);
    assert_eq!(of(&r, 2).last(), Some(&ReportKind::Cancelled { reason: CancelReason::Unfilled, leaves: 12 }));
    assert_eq!(fills_of(&r, 3), vec![(99, 5, 2, Taker, TAKER), (98, 2, 0, Taker, TAKER)]);
    // Nothing displayed is free any more: accepted, nothing filled, all cancelled.
    assert_eq!(
        of(&r, 4),
        vec![accepted(Buy, 0, 1), ReportKind::Cancelled { reason: CancelReason::Unfilled, leaves: 1 }]
    );
    assert_eq!(fills_of(&r, 5), vec![(101, 2, 1, Taker, TAKER)]);
    assert_eq!(sim.account().position(), 12 + 8 - 7 + 2);
}

#[test]
fn a_crossing_limit_takes_then_rests_and_new_liquidity_crossing_it_fills_it() {
    let mut s = book();
    s.send(2, new(NewOrder::limit(1, Buy, 102, 15)));
    s.diff(5, &[], &[(103, 10)]); // nothing new: no fill
    s.diff(6, &[], &[(102, 9)]); // 3 new lots at 102 (6 were used): they trade with us
    s.diff(7, &[], &[(101, 0), (102, 9)]); // 101 gone, 102 unchanged: nothing
    s.diff(8, &[], &[(101, 1)]); // a new ask at 101, below our 102 bid
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    assert_eq!(of(&r, 1)[0], accepted(Buy, 102, 15));
    assert_eq!(
        fills_of(&r, 1),
        vec![
            (101, 4, 11, Taker, TAKER),
            (102, 6, 5, Taker, TAKER),
            // We rest first, so later liquidity trades with us as maker, at our price.
            (102, 3, 2, Maker, CROSS),
            (102, 1, 1, Maker, CROSS),
        ]
    );
    let f = fills(&r);
    assert_eq!(f[2].1.fee, 102 * 3 * -100, "maker rebate");
    assert_eq!(sim.order(1).unwrap().leaves, 1);
    assert_eq!(sim.account().position(), 14);
}

#[test]
fn trades_at_our_price_fill_us_partially_once_the_queue_ahead_is_gone() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 99, 5)));
    let t1 = s.sell(3, 99, 3); // ahead 5 → 2
    let t2 = s.sell(4, 99, 4); // 2 to the public ahead, 2 to us
    let t3 = s.sell(5, 99, 1);
    s.buy(6, 101, 3); // the other side
    s.sell(7, 100, 2); // above our price: not ours
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    assert_ne!(t1, t2);
    assert_eq!(
        fills_of(&r, 1),
        vec![
            (99, 2, 3, Maker, FillTrigger::Trade { trade_id: t2 }),
            (99, 1, 2, Maker, FillTrigger::Trade { trade_id: t3 })
        ]
    );
    assert_eq!(fills(&r)[0].1.fee, -19_800, "99 × 2 × −100 ppm");
    assert_eq!(sim.order(1).unwrap().leaves, 2);
}

#[test]
fn a_trade_through_our_price_fills_us_up_to_its_size_shared_across_our_orders() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 100, 3))); // alone at 100
    s.send(2, new(NewOrder::post_only(2, Buy, 99, 4))); // behind 5 public lots
    // A seller sweeps down to 98 printing 5 lots there: it went through 100 and 99 first.
    let t1 = s.sell(3, 98, 5);
    // Another 7 at 98: only order 2's last 2 lots can take part of it.
    let t2 = s.sell(4, 98, 7);
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    let (tr1, tr2) = (FillTrigger::Trade { trade_id: t1 }, FillTrigger::Trade { trade_id: t2 });
    assert_eq!(fills_of(&r, 1), vec![(100, 3, 0, Maker, tr1)]);
    assert_eq!(fills_of(&r, 2), vec![(99, 2, 2, Maker, tr1), (99, 2, 0, Maker, tr2)]);
    // Never more than the print: 3 + 2 = 5 lots from the first.
    let from_t1: i64 = fills(&r).iter().filter(|(_, f)| f.trigger == tr1).map(|(_, f)| f.lots).sum();
    assert_eq!(from_t1, 5);
}

#[test]
fn two_orders_at_one_price_share_a_print_in_queue_order() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 99, 2))); // ahead 5
    s.diff(3, &[(99, 8)], &[]); // 3 public lots join behind order 1
    s.send(4, new(NewOrder::post_only(2, Buy, 99, 3))); // ahead 8
    // Queue: 5 public, order 1 (2), 3 public, order 2 (3). A print of 9: 5 public, 2 to
    // order 1, then only 2 of the 3 public lots ahead of order 2 trade: no fill for order 2,
    // which now has 8 − (9 − 2) = 1 public lot ahead. (Counting the print once per order, as
    // if order 1 were not there, would fill order 2 by 1 lot: the same traded size twice.)
    let t1 = s.sell(5, 99, 9);
    let t2 = s.sell(6, 99, 2); // 1 public, then 1 to order 2
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    assert_eq!(fills_of(&r, 1), vec![(99, 2, 0, Maker, FillTrigger::Trade { trade_id: t1 })]);
    assert_eq!(fills_of(&r, 2), vec![(99, 1, 2, Maker, FillTrigger::Trade { trade_id: t2 })]);
    assert_eq!(sim.order(2).unwrap().queue_ahead, 0.0);
}

#[test]
fn self_cross_is_rejected_by_default() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Sell, 100, 2)));
    s.send(2, new(NewOrder::limit(2, Buy, 100, 1))); // would trade with our own ask
    s.send(2, new(NewOrder::market(3, Buy, 1))); // would reach 101, through our 100
    s.send(2, new(NewOrder::limit(4, Buy, 99, 1))); // does not reach it
    s.send(3, Request::Amend { client_id: 4, price: 100, lots: 1 });
    s.send(3, new(NewOrder::market(5, Sell, 1))); // sells into 99, where our bid 4 rests
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    let st = ReportKind::Rejected { reason: RejectReason::SelfTrade };
    assert_eq!(of(&r, 2), vec![st]);
    assert_eq!(of(&r, 3), vec![st]);
    assert_eq!(of(&r, 5), vec![st]);
    assert_eq!(
        of(&r, 4),
        vec![accepted(Buy, 99, 1), ReportKind::AmendRejected { reason: ModifyRejectReason::SelfTrade }]
    );
    assert_eq!(of(&r, 1), vec![accepted(Sell, 100, 2)]);
    assert_eq!(sim.account().fills, 0);
}

#[test]
fn self_cross_can_cancel_the_resting_order_instead() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Sell, 100, 2)));
    s.send(2, new(NewOrder::post_only(2, Sell, 102, 1)));
    s.send(3, new(NewOrder::limit(3, Buy, 100, 1)));
    let cfg = config(QueueModel::RiskAverse).with_self_trade(SelfTradePrevention::CancelResting);
    let mut sim = SimExchange::new(cfg, ConstantLatency::ZERO).unwrap();
    let r = s.run(&mut sim);
    assert_eq!(
        r.iter().filter(|r| r.exchange_ts == 3).map(|r| (r.client_id, r.kind)).collect::<Vec<_>>(),
        vec![(1, ReportKind::Cancelled { reason: CancelReason::SelfTrade, leaves: 2 }), (3, accepted(Buy, 100, 1)),]
    );
    assert!(sim.order(2).is_some(), "our ask at 102 was not in the way");
    assert_eq!(sim.order(3).unwrap().queue_ahead, 0.0);
}

#[test]
fn amend_keeps_priority_only_for_a_smaller_size_at_the_same_price() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 99, 5)));
    s.sell(3, 99, 3); // ahead 5 → 2
    s.send(4, Request::Amend { client_id: 1, price: 99, lots: 4 }); // smaller: keeps ahead 2
    s.diff(5, &[], &[(103, 10)]);
    let mut sim = sim(QueueModel::RiskAverse);
    s.run_steps(&mut sim, 0..s.steps.len());
    assert_eq!(sim.order(1).unwrap().queue_ahead, 2.0);

    let mut s2 = s.clone();
    s2.send(6, Request::Amend { client_id: 1, price: 99, lots: 6 }); // larger: back of the queue
    s2.diff(7, &[], &[(103, 10)]);
    let n = s.steps.len();
    s2.run_steps(&mut sim, n..n + 2);
    assert_eq!(sim.order(1).unwrap().queue_ahead, 5.0, "the 5 lots the book shows at 99");

    s2.send(8, Request::Amend { client_id: 1, price: 98, lots: 6 }); // new price: back of 98
    s2.diff(9, &[], &[(103, 10)]);
    s2.run_steps(&mut sim, n + 2..n + 4);
    assert_eq!(sim.order(1).unwrap().queue_ahead, 10.0);

    s2.send(10, Request::Amend { client_id: 1, price: 101, lots: 6 }); // would cross
    s2.send(10, Request::Amend { client_id: 1, price: 0, lots: 6 });
    s2.send(10, Request::Amend { client_id: 1, price: 98, lots: 0 });
    let t = s2.sell(11, 98, 12); // 10 public ahead, then 2 to us
    s2.send(12, Request::Amend { client_id: 1, price: 98, lots: 2 }); // 2 filled already
    s2.send(12, Request::Amend { client_id: 1, price: 98, lots: 3 }); // 1 left: keeps priority
    s2.send(12, Request::Amend { client_id: 9, price: 98, lots: 3 });
    s2.send(12, Request::Cancel { client_id: 1 });
    s2.send(12, Request::Amend { client_id: 1, price: 98, lots: 3 });
    s2.send(12, Request::Cancel { client_id: 1 });
    s2.send(12, Request::Cancel { client_id: 9 });
    let r = s2.run(&mut SimExchange::new(config(QueueModel::RiskAverse), ConstantLatency::ZERO).unwrap());
    use ModifyRejectReason as M;
    let amended = |price, lots, leaves, priority_kept| ReportKind::Amended { price, lots, leaves, priority_kept };
    assert_eq!(
        of(&r, 1),
        vec![
            accepted(Buy, 99, 5),
            amended(99, 4, 4, true),
            amended(99, 6, 6, false),
            amended(98, 6, 6, false),
            ReportKind::AmendRejected { reason: M::WouldCross },
            ReportKind::AmendRejected { reason: M::InvalidPrice },
            ReportKind::AmendRejected { reason: M::InvalidSize },
            fill_report(&r, t),
            ReportKind::AmendRejected { reason: M::QtyNotAboveFilled },
            amended(98, 3, 1, true),
            ReportKind::Cancelled { reason: CancelReason::Requested, leaves: 1 },
            ReportKind::AmendRejected { reason: M::TooLate },
            ReportKind::CancelRejected { reason: M::TooLate },
        ]
    );
    assert_eq!(fills_of(&r, 1), vec![(98, 2, 4, Maker, FillTrigger::Trade { trade_id: t })]);
    assert_eq!(
        of(&r, 9),
        vec![
            ReportKind::AmendRejected { reason: M::UnknownOrder },
            ReportKind::CancelRejected { reason: M::UnknownOrder }
        ]
    );
}

fn fill_report(r: &[Report], trade_id: u64) -> ReportKind {
    r.iter()
        .find(|r| matches!(r.kind, ReportKind::Fill(f) if f.trigger == FillTrigger::Trade { trade_id }))
        .expect("a fill from that trade")
        .kind
}

#[test]
fn a_cancel_that_arrives_after_the_fill_is_too_late_and_the_fill_stands() {
    // Entry latency 10, response latency 5. The cancel is sent at 15, before the trade at 20
    // that fills the order, but reaches the exchange at 25.
    let run = |cancel_at: i64| {
        let mut s = book();
        s.send(2, new(NewOrder::post_only(1, Buy, 99, 2))); // arrives 12, behind 5 lots
        s.diff(10, &[], &[(103, 10)]);
        s.send(cancel_at, Request::Cancel { client_id: 1 });
        s.sell(20, 99, 7); // 5 public, 2 to us
        s.diff(30, &[(99, 0)], &[]);
        let mut sim = SimExchange::new(config(QueueModel::RiskAverse), ConstantLatency::new(10, 5).unwrap()).unwrap();
        (s.run(&mut sim), sim.account().position())
    };
    let (r, position) = run(15);
    let stamps: Vec<(i64, i64)> = r.iter().map(|r| (r.exchange_ts, r.local_ts)).collect();
    assert_eq!(stamps, vec![(12, 17), (20, 25), (25, 30)]);
    assert_eq!(of(&r, 1)[0], accepted(Buy, 99, 2));
    assert!(matches!(of(&r, 1)[1], ReportKind::Fill(f) if f.lots == 2 && f.leaves == 0));
    assert_eq!(of(&r, 1)[2], ReportKind::CancelRejected { reason: ModifyRejectReason::TooLate });
    assert_eq!(position, 2);

    // Sent at 4 it arrives at 14, before the trade: cancelled, no fill.
    let (r, position) = run(4);
    assert_eq!(
        r.iter().map(|r| (r.exchange_ts, r.local_ts, r.kind)).collect::<Vec<_>>(),
        vec![
            (12, 17, accepted(Buy, 99, 2)),
            (14, 19, ReportKind::Cancelled { reason: CancelReason::Requested, leaves: 2 })
        ]
    );
    assert_eq!(position, 0);
}

#[test]
fn an_order_arriving_with_a_trade_joins_after_it() {
    // Market events win ties: the order arriving at 20 is not filled by the trade at 20.
    let mut s = book();
    s.send(10, new(NewOrder::post_only(1, Buy, 100, 1)));
    s.sell(20, 100, 3);
    s.sell(21, 100, 1);
    let mut sim = SimExchange::new(config(QueueModel::RiskAverse), ConstantLatency::new(10, 0).unwrap()).unwrap();
    let r = s.run(&mut sim);
    let f = fills(&r);
    assert_eq!(f.len(), 1);
    assert_eq!(r.iter().find(|r| matches!(r.kind, ReportKind::Fill(_))).unwrap().exchange_ts, 21);
}

#[test]
fn cancel_all_cancels_bids_then_asks_best_first() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 99, 1)));
    s.send(2, new(NewOrder::post_only(2, Buy, 100, 1)));
    s.send(2, new(NewOrder::post_only(3, Sell, 102, 1)));
    s.send(2, new(NewOrder::post_only(4, Sell, 101, 1)));
    s.send(3, Request::CancelAll);
    s.send(4, Request::CancelAll);
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    let after: Vec<(u64, ReportKind)> =
        r.iter().filter(|r| r.exchange_ts >= 3).map(|r| (r.client_id, r.kind)).collect();
    let c = ReportKind::Cancelled { reason: CancelReason::CancelAll, leaves: 1 };
    assert_eq!(
        after,
        vec![
            (2, c),
            (1, c),
            (4, c),
            (3, c),
            (NO_ORDER, ReportKind::CancelAllDone { cancelled: 4 }),
            (NO_ORDER, ReportKind::CancelAllDone { cancelled: 0 })
        ]
    );
    assert!(sim.open_orders().is_empty());
}

#[test]
fn invalid_requests_are_rejected() {
    let mut s = Script::new();
    s.send(0, new(NewOrder::limit(1, Buy, 99, 2))); // before any book
    s.snapshot(1, &[(99, 5), (98, 10)], &[(101, 4), (102, 6), (103, 10)]);
    s.send(2, new(NewOrder::limit(2, Buy, 99, 0)));
    s.send(2, new(NewOrder::limit(3, Buy, 99, 1))); // below the minimum of 2 lots
    s.send(2, new(NewOrder::limit(4, Buy, 0, 2)));
    s.send(2, new(NewOrder::limit(5, Buy, 99, 2)));
    s.send(2, new(NewOrder::limit(5, Buy, 98, 2))); // live id
    s.send(2, new(NewOrder::limit(NO_ORDER, Buy, 98, 2)));
    s.send(2, Request::Cancel { client_id: 5 });
    s.send(2, new(NewOrder::limit(5, Buy, 98, 2))); // used id
    s.send(2, new(NewOrder::limit(1, Buy, 98, 2))); // the rejected order's id is free
    let mut cfg = config(QueueModel::RiskAverse);
    cfg.min_size_lots = 2;
    cfg.rule = flashmm_core::book::SequenceRule::Strict; // no book before the snapshot
    let mut sim = SimExchange::new(cfg, ConstantLatency::ZERO).unwrap();
    let r = s.run(&mut sim);
    let rej = |reason| ReportKind::Rejected { reason };
    assert_eq!(of(&r, 1), vec![rej(RejectReason::NoMarketData), accepted(Buy, 98, 2)]);
    assert_eq!(of(&r, 2), vec![rej(RejectReason::InvalidSize)]);
    assert_eq!(of(&r, 3), vec![rej(RejectReason::InvalidSize)]);
    assert_eq!(of(&r, 4), vec![rej(RejectReason::InvalidPrice)]);
    assert_eq!(
        of(&r, 5),
        vec![
            accepted(Buy, 99, 2),
            rej(RejectReason::DuplicateClientId),
            ReportKind::Cancelled { reason: CancelReason::Requested, leaves: 2 },
            rej(RejectReason::DuplicateClientId),
        ]
    );
    assert_eq!(of(&r, NO_ORDER), vec![rej(RejectReason::DuplicateClientId)]);
    assert_eq!(sim.stats().rejected, 7);
}

#[test]
fn liquidity_moving_onto_our_resting_price_fills_it_once() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 100, 3)));
    s.diff(3, &[], &[(100, 2), (101, 4)]); // a 2-lot ask appears at our bid
    s.diff(4, &[], &[(100, 2)]); // restated, nothing new
    s.diff(5, &[], &[(100, 5)]); // 3 new lots: 1 to us
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    assert_eq!(fills_of(&r, 1), vec![(100, 2, 1, Maker, CROSS), (100, 1, 0, Maker, CROSS)]);
    assert_eq!(sim.consumed_at(Sell, 100), 3);
}

#[test]
fn fees_and_rebates_are_booked_exactly() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Sell, 101, 3))); // behind 4
    s.buy(3, 101, 6); // 4 public, 2 to us: maker
    s.send(4, new(NewOrder::market(2, Sell, 1))); // taker at 99
    let mut sim = sim(QueueModel::RiskAverse);
    let r = s.run(&mut sim);
    let f = fills(&r);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].1.liquidity, f[0].1.fee), (Maker, 101 * 2 * -100));
    assert_eq!((f[1].1.liquidity, f[1].1.price, f[1].1.fee), (Taker, 99, 99 * 500));
    let a = sim.account();
    assert_eq!(a.position(), -3);
    assert_eq!(a.fees(), -20_200 + 49_500);
    assert_eq!(a.cash, 202 * MONEY_PER_TICK_LOT + 20_200 + 99 * MONEY_PER_TICK_LOT - 49_500);
    assert_eq!(*a, account_from(&r));
}

#[test]
fn the_same_script_gives_the_same_reports() {
    let mut s = book();
    s.send(2, new(NewOrder::post_only(1, Buy, 99, 5)));
    s.send(2, new(NewOrder::post_only(2, Sell, 101, 5)));
    s.diff(3, &[(99, 9)], &[(101, 2)]);
    s.sell(4, 99, 7);
    s.buy(4, 101, 4);
    s.send(5, Request::Amend { client_id: 1, price: 99, lots: 3 });
    s.send(5, new(NewOrder::market(3, Buy, 7)));
    s.sell(6, 98, 9);
    s.send(7, Request::CancelAll);
    let run = || {
        let mut sim = SimExchange::new(config(QueueModel::Power(2.0)), ConstantLatency::new(1, 1).unwrap()).unwrap();
        (s.run(&mut sim), *sim.account())
    };
    let (a, b) = (run(), run());
    assert_eq!(a.0.len(), 8);
    assert_eq!(a, b);
}
