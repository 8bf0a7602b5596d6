//! The simulated venue's opt-in recorder: the statistics of a scripted session equal a hand
//! check (fills, position, cash, P&L tie out), fills are recorded when they happen at the
//! exchange (before their reports are received), and recording changes nothing the host sees.
//!
//! Market (tick 1, lot 1; maker −100 ppm, taker 500 ppm; no sequencing), entry and response
//! latency 10 ns, risk-averse queue — the tape of `backtest_scripted.rs`:
//!
//! | t | what | effect |
//! |---|---|---|
//! | 1 | snapshot bids 99×5, 98×5; asks 101×5, 102×5 | |
//! | 101 | bid #1 99×2, ask #2 101×2; step (flat, no live quote yet) | arrive at 111 |
//! | 150 | public sell 6 @ 99 | #1 buys 1 @ 99 (rebate 9 900), received at 160 |
//! | 160 | diff: bid 99 → 0 | |
//! | 201 | cancel #1; step (long 1) | |
//! | 250 | public buy 8 @ 101 | #2 sells 2 @ 101 (rebate 20 200), received at 260 |
//! | 255 | step (short 1: the fill is recorded though not yet received) | |
//! | 350 | diff: ask 101 → 3 | |
//! | 401 | final step, mid 99.5 | |

use flashmm_core::book::{SequenceRule, Side};
use flashmm_core::market_gen::ZiParams;
use flashmm_core::money::Liquidity;
use flashmm_core::replay::EventBatch;
use flashmm_core::replay::{MemorySource, ZiSource};
use flashmm_core::sim::{ConstantLatency, NewOrder, QueueModel, Report, ReportKind, Request, SimConfig, SimVenue};
use flashmm_core::spec::MarketSpec;
use flashmm_core::stats::{FillRecord, StatsConfig, StatsError};

mod scripted;
use scripted::tape;

fn fills_of(reports: &[Report]) -> usize {
    reports.iter().filter(|r| matches!(r.kind, ReportKind::Fill(_))).count()
}

#[test]
fn scripted_session_stats_equal_the_hand_check() {
    let events = tape();
    let spec = MarketSpec::new("TEST", "1", "1").unwrap().with_fees(-100, 500).unwrap();
    let sim = SimConfig::new(&spec, SequenceRule::None).with_queue(QueueModel::RiskAverse);
    let latency = ConstantLatency::new(10, 10).unwrap();
    let mut v = SimVenue::new(MemorySource::new(&events), spec, sim, latency).unwrap().with_recorder();
    assert!(v.is_recording());
    assert!(!v.record_step(), "no step before the first advance");
    let (mut market, mut reports) = (EventBatch::default(), Vec::new());

    v.advance_to(101, &mut market, &mut reports).unwrap();
    v.submit(101, Request::New(NewOrder::post_only(1, Side::Buy, 99, 2))).unwrap();
    v.submit(101, Request::New(NewOrder::post_only(2, Side::Sell, 101, 2))).unwrap();
    assert!(v.record_step());

    v.advance_to(201, &mut market, &mut reports).unwrap();
    assert_eq!(fills_of(&reports), 1);
    v.submit(201, Request::Cancel { client_id: 1 }).unwrap();
    assert!(v.record_step());

    reports.clear();
    v.advance_to(255, &mut market, &mut reports).unwrap();
    assert_eq!(fills_of(&reports), 0, "the fill at 250 is received at 260");
    assert!(v.record_step());
    assert_eq!(v.recorded_fills().len(), 2, "recorded when it happened at the exchange");
    v.advance_to(265, &mut market, &mut reports).unwrap();
    assert_eq!(fills_of(&reports), 1, "then delivered, once");
    v.advance_to(401, &mut market, &mut reports).unwrap();
    assert!(v.record_step());

    let fee1 = flashmm_core::money::fee(99, 1, -100);
    let fee2 = flashmm_core::money::fee(101, 2, -100);
    assert_eq!((fee1, fee2), (-9_900, -20_200));
    assert_eq!(
        v.recorded_fills(),
        &[
            FillRecord {
                ts: 150,
                order: 1,
                side: Side::Buy,
                price: 99,
                lots: 1,
                fee: fee1,
                liquidity: Liquidity::Maker
            },
            FillRecord {
                ts: 250,
                order: 2,
                side: Side::Sell,
                price: 101,
                lots: 2,
                fee: fee2,
                liquidity: Liquidity::Maker
            },
        ]
    );
    let steps = v.recorded_steps();
    assert_eq!(
        steps.iter().map(|s| (s.ts, s.position)).collect::<Vec<_>>(),
        [(101, 0), (201, 1), (255, -1), (401, -1)]
    );
    assert_eq!((steps[0].quote_bid, steps[0].quote_ask), (None, None), "orders still in flight at 101");
    assert_eq!((steps[1].quote_bid, steps[1].quote_ask), (Some(99), Some(101)));
    assert_eq!((steps[3].bid, steps[3].ask), (98, 101));

    // Position and cash tie out with the exchange's account.
    let acc = *v.account();
    let cash = 2 * 101 * 1_000_000 - 99 * 1_000_000 - fee1 - fee2;
    assert_eq!((acc.position(), acc.cash, acc.fees()), (-1, cash, fee1 + fee2));
    assert_eq!((steps[3].cash, steps[3].fees), (acc.cash, acc.fees()));

    let stats = v.stats(&StatsConfig { step_interval_ns: 100, ..StatsConfig::default() }).unwrap();
    assert_eq!(stats.pnl.realised, 2_000_000);
    assert_eq!(stats.pnl.unrealised, 1_500_000);
    assert_eq!(stats.pnl.fees, -30_100);
    assert_eq!(stats.pnl.net, 3_530_100);
    assert_eq!(stats.pnl.net, acc.cash + i128::from(acc.position()) * 99_500_000, "net = equity at the last mid");
    assert_eq!(stats.inventory.last, acc.position());
    assert_eq!(stats.inventory.max_abs, 1);
    assert_eq!((stats.trading.fills, stats.trading.bought_lots, stats.trading.sold_lots), (2, 1, 2));
    let orders = stats.trading.orders.unwrap();
    assert_eq!((orders.placed, orders.amended, orders.cancelled), (2, 0, 1));
    assert_eq!(stats.trading.order_fill_ratio, Some(1.0));
    assert!(stats.to_json().contains("\"net\":\"3530100\""));
}

#[test]
fn without_the_recorder_there_are_no_stats() {
    let events = tape();
    let spec = MarketSpec::new("TEST", "1", "1").unwrap();
    let sim = SimConfig::new(&spec, SequenceRule::None);
    let mut v = SimVenue::new(MemorySource::new(&events), spec, sim, ConstantLatency::ZERO).unwrap();
    v.advance_to(101, &mut EventBatch::default(), &mut Vec::new()).unwrap();
    assert!(!v.record_step());
    assert_eq!(v.stats(&StatsConfig::default()).unwrap_err(), StatsError::NoSteps);
}

const MS: i64 = 1_000_000;
const START: i64 = 1_750_000_000_000_000_000;

/// A generated minute quoting the touch every 500 ms; every report the host receives.
fn session(record: bool) -> (Vec<Report>, SimVenue<ZiSource>) {
    let spec = MarketSpec::new("SIMUSD", "0.01", "0.001").unwrap().with_fees(-50, 400).unwrap();
    let src = ZiSource::new(ZiParams::for_market(&spec, "25.00").unwrap(), 9, START, None).unwrap();
    let sim = SimConfig::new(&spec, src.rule()).with_queue(QueueModel::Power(2.0));
    let mut v = SimVenue::new(src, spec, sim, ConstantLatency::new(3 * MS, 7 * MS).unwrap()).unwrap();
    if record {
        v = v.with_recorder();
    }
    let (mut market, mut reports, mut all) = (EventBatch::default(), Vec::new(), Vec::new());
    let mut id = 1;
    for step in 0..=600i64 {
        let t = START + step * 100 * MS;
        market.clear();
        v.advance_to(t, &mut market, &mut reports).unwrap();
        all.append(&mut reports);
        if step % 5 == 0 {
            let (bb, ba) = (v.book().best_bid().unwrap().price, v.book().best_ask().unwrap().price);
            v.cancel_all(t).unwrap();
            for (side, price) in [(Side::Buy, bb), (Side::Sell, ba)] {
                v.submit(t, Request::New(NewOrder::post_only(id, side, price, 1))).unwrap();
                id += 1;
            }
        }
        v.record_step();
    }
    (all, v)
}

#[test]
fn recording_changes_nothing_the_host_sees_and_the_account_ties_out() {
    let (plain, _) = session(false);
    let (recorded, v) = session(true);
    assert_eq!(plain, recorded);
    let fills = v.recorded_fills();
    assert!(fills.len() > 5, "fills {}", fills.len());
    assert!(fills.windows(2).all(|w| w[0].ts <= w[1].ts));
    let stats = v.stats(&StatsConfig::default()).unwrap();
    let acc = v.account();
    let last = v.recorded_steps().last().unwrap();
    let counted = fills.iter().filter(|f| f.ts <= last.ts).count() as u64;
    assert_eq!(stats.trading.fills, counted);
    assert_eq!(stats.span.steps, v.recorded_steps().len() as u64);
    if counted == acc.fills {
        assert_eq!(stats.inventory.last, acc.position());
        assert_eq!(stats.pnl.net, last.equity());
    }
    assert_eq!(stats.to_json(), session(true).1.stats(&StatsConfig::default()).unwrap().to_json());
}
