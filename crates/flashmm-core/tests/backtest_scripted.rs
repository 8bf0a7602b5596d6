//! The backtester on a tiny scripted market, every fill and the P&L computed by hand.
//!
//! Market (tick 1, lot 1; maker −100 ppm, taker 500 ppm; no sequencing), constant entry and
//! response latency 10 ns, decisions every 100 ns from the first event (t = 1): at 101, 201,
//! 301, final step at 401. BaselineQuoter: join the touch, 2 lots, limit 2 lots, post-only.
//!
//! | t | what | effect |
//! |---|---|---|
//! | 1 | snapshot bids 99×5, 98×5; asks 101×5, 102×5 | |
//! | 101 | decision: position 0 → bid #1 99×2, ask #2 101×2 | arrive at 111, each behind 5 lots |
//! | 150 | public sell 6 @ 99 | 5 lots ahead of #1, so #1 buys 1 @ 99 (rebate 9 900) |
//! | 160 | diff: bid 99 → 0 | touch 98 / 101 |
//! | 201 | decision: knows position +1 (fill received at 160); +1+2 > 2 → cancel #1; #2 already at 101 | cancel arrives 211 |
//! | 250 | public buy 8 @ 101 | 5 ahead of #2, so #2 sells 2 @ 101 (rebate 20 200) |
//! | 301 | decision: position −1 → bid #3 98×2; ask: −1−2 < −2, none | |
//! | 350 | diff: ask 101 → 3 | |
//! | 401 | final step | |
//!
//! P&L: bought 1 @ 99, sold 2 @ 101: realised (101 − 99) × 1 = 2 ticks·lots; short 1 @
//! 101 marked at the final mid 99.5: +1.5; fees −30 100 money units (rebates). In money units
//! (10⁶ per tick·lot): realised 2 000 000, unrealised 1 500 000, net 3 530 100.

use flashmm_core::backtest::{Backtest, BacktestConfig, BaselineConfig, BaselineQuoter, QuoteMode};
use flashmm_core::book::{SequenceRule, Side};
use flashmm_core::money::Liquidity;
use flashmm_core::replay::MemorySource;
use flashmm_core::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
use flashmm_core::spec::MarketSpec;
use flashmm_core::stats::FillRecord;

mod scripted;
use scripted::{push, tape};

fn config() -> BacktestConfig {
    let spec = MarketSpec::new("TEST", "1", "1").unwrap().with_fees(-100, 500).unwrap();
    let sim = SimConfig::new(&spec, SequenceRule::None).with_queue(QueueModel::RiskAverse);
    let mut cfg = BacktestConfig::new(sim, ConstantLatency::new(10, 10).unwrap());
    cfg.interval_ns = 100;
    cfg
}

/// The quoter joining the touch (1 lot, limit 5) with zero latency over `b`.
fn join_touch_without_latency(b: &EventBatch) -> flashmm_core::backtest::BacktestResult {
    let mut cfg = config();
    cfg.latency = ConstantLatency::ZERO.into();
    let quoter =
        BaselineQuoter::new(BaselineConfig { mode: QuoteMode::JoinTouch, lots: 1, limit_lots: 5, post_only: true });
    Backtest::new(cfg, quoter).unwrap().run(&mut MemorySource::new(b)).unwrap()
}

#[test]
fn hand_computed_fills_and_pnl() {
    let events = tape();
    let quoter =
        BaselineQuoter::new(BaselineConfig { mode: QuoteMode::JoinTouch, lots: 2, limit_lots: 2, post_only: true });
    let r = Backtest::new(config(), quoter).unwrap().run(&mut MemorySource::new(&events).with_chunk(2)).unwrap();

    assert_eq!(
        r.fills,
        vec![
            FillRecord {
                ts: 150,
                order: 1,
                side: Side::Buy,
                price: 99,
                lots: 1,
                fee: -9_900,
                liquidity: Liquidity::Maker
            },
            FillRecord {
                ts: 250,
                order: 2,
                side: Side::Sell,
                price: 101,
                lots: 2,
                fee: -20_200,
                liquidity: Liquidity::Maker
            },
        ]
    );
    let kinds: Vec<_> = r.requests.iter().map(|q| (q.send_ts, q.arrival_ts, q.kind, q.client_id, q.price)).collect();
    assert_eq!(
        kinds,
        vec![
            (101, Some(111), "new", 1, Some(99)),
            (101, Some(111), "new", 2, Some(101)),
            (201, Some(211), "cancel", 1, None),
            (301, Some(311), "new", 3, Some(98)),
        ]
    );
    let steps: Vec<_> = r.steps.iter().map(|s| (s.ts, s.bid, s.ask, s.position, s.quote_bid, s.quote_ask)).collect();
    assert_eq!(
        steps,
        vec![
            (101, 99, 101, 0, None, None),
            (201, 98, 101, 1, Some(99), Some(101)),
            (301, 98, 101, -1, None, None),
            (401, 98, 101, -1, Some(98), None),
        ]
    );
    let last = r.steps.last().unwrap();
    assert_eq!(last.cash, -99_000_000 + 9_900 + 202_000_000 + 20_200);
    assert_eq!(last.fees, -30_100);
    let p = &r.stats.pnl;
    assert_eq!((p.realised, p.unrealised, p.fees, p.net), (2_000_000, 1_500_000, -30_100, 3_530_100));
    assert_eq!((r.counts.orders.placed, r.counts.orders.cancelled, r.counts.orders.amended), (3, 1, 0));
    assert_eq!((r.counts.events, r.counts.decisions, r.counts.steps, r.counts.late_events), (5, 3, 4, 0));
    // The cancel of #1 is reported (leaves 1), fills are reported 10 ns after they happen.
    let fill_reports: Vec<_> =
        r.reports.iter().filter(|x| x.kind == "fill").map(|x| (x.exchange_ts, x.local_ts)).collect();
    assert_eq!(fill_reports, vec![(150, 160), (250, 260)]);
    assert!(r.reports.iter().any(|x| x.kind == "cancelled" && x.client_id == 1 && x.leaves == Some(1)));
}

#[test]
fn quoter_prices_around_the_mid() {
    let q =
        BaselineQuoter::new(BaselineConfig { mode: QuoteMode::AroundMid { ticks: 1 }, ..BaselineConfig::default() });
    assert_eq!(q.prices(100, 101), (99, 102)); // mid 100.5 → 99.5 / 101.5 → floor / ceil
    assert_eq!(q.prices(100, 102), (100, 102)); // mid 101 → 100 / 102
    let q0 =
        BaselineQuoter::new(BaselineConfig { mode: QuoteMode::AroundMid { ticks: 0 }, ..BaselineConfig::default() });
    assert_eq!(q0.prices(100, 101), (100, 101));
    assert_eq!(q0.prices(100, 110), (105, 105)); // a wide spread: quotes at the mid
}

#[test]
fn late_events_and_zero_latency_keep_records_reconciled() {
    // Zero latency: orders placed at a decision act at once; a late event (stamped before the
    // last step) is applied after it and its fills are stamped after that step.
    let mut b = EventBatch::default();
    push(&mut b, EventKind::Snapshot, 1, &[(99, 1)], &[(101, 1)], 0);
    push(&mut b, EventKind::Trade, 150, &[(99, 5)], &[], FLAG_BUYER_MAKER);
    push(&mut b, EventKind::Trade, 120, &[(101, 5)], &[], 0); // late
    push(&mut b, EventKind::DepthDiff, 260, &[], &[(101, 2)], 0);
    let r = join_touch_without_latency(&b);
    assert_eq!(r.counts.late_events, 1);
    let f: Vec<_> = r.fills.iter().map(|f| (f.ts, f.side, f.price, f.lots)).collect();
    // #1 bid 99 and #2 ask 101 rest at 101 behind 1 lot; the sell of 5 @ 99 fills the bid at
    // 150; the late buy of 5 @ 101 is applied at 150 (the clock), filling the ask.
    assert_eq!(f, vec![(150, Side::Buy, 99, 1), (150, Side::Sell, 101, 1)]);
    assert_eq!(r.stats.pnl.realised, 2_000_000);
}

#[test]
fn an_event_stamped_before_the_last_step_acts_at_the_clock() {
    let mut b = EventBatch::default();
    push(&mut b, EventKind::Snapshot, 1, &[(99, 1)], &[(101, 1)], 0);
    push(&mut b, EventKind::DepthDiff, 250, &[(98, 1)], &[], 0);
    push(&mut b, EventKind::Trade, 150, &[(99, 5)], &[], FLAG_BUYER_MAKER); // late: before step 201
    push(&mut b, EventKind::DepthDiff, 350, &[(97, 1)], &[], 0);
    let r = join_touch_without_latency(&b);
    assert_eq!(r.counts.late_events, 1);
    let f: Vec<_> = r.fills.iter().map(|f| (f.ts, f.side, f.price, f.lots)).collect();
    // Steps at 101 and 201 were recorded before the late trade was read, and the diff at 250
    // (which triggered them) moved the clock: the trade acts at 250, after both steps.
    assert_eq!(f, vec![(250, Side::Buy, 99, 1)]);
    let pos: Vec<_> = r.steps.iter().map(|s| (s.ts, s.position)).collect();
    assert_eq!(pos, vec![(101, 0), (201, 0), (301, 1), (401, 1)]);
}
