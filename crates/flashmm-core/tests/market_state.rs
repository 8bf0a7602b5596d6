//! MarketState on a scripted market: one call per batch gives the touch, the trades and the
//! requote signal; one call per decision gives top, σ, A/k; the own-order view nets out our
//! liquidity; a gap makes the book unquotable until the next snapshot.

use flashmm_core::book::{Level, OwnOrder, SequenceRule, Side};
use flashmm_core::market::{IntensitySource, MarketOptions, MarketState};
use flashmm_core::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};

const S: i64 = 1_000_000_000;

fn snapshot(b: &mut EventBatch, ts: i64, id: u64, bids: &[(i64, i64)], asks: &[(i64, i64)]) {
    let start = b.levels.len() as u32;
    b.levels.extend(bids.iter().map(|&(p, s)| Level::new(p, s)));
    b.levels.extend(asks.iter().map(|&(p, s)| Level::new(p, s)));
    b.push(EventKind::Snapshot, ts, ts, id, id, None, 0, start, bids.len() as u32);
}

fn diff(b: &mut EventBatch, ts: i64, id: u64, bids: &[(i64, i64)], asks: &[(i64, i64)]) {
    let start = b.levels.len() as u32;
    b.levels.extend(bids.iter().map(|&(p, s)| Level::new(p, s)));
    b.levels.extend(asks.iter().map(|&(p, s)| Level::new(p, s)));
    b.push(EventKind::DepthDiff, ts, ts, id, id, None, 0, start, bids.len() as u32);
}

fn trade(b: &mut EventBatch, ts: i64, id: u64, price: i64, size: i64, seller_aggressed: bool) {
    let start = b.levels.len() as u32;
    b.levels.push(Level::new(price, size));
    let flags = if seller_aggressed { FLAG_BUYER_MAKER } else { 0 };
    b.push(EventKind::Trade, ts, ts, id, id, None, flags, start, 1);
}

fn options() -> MarketOptions {
    MarketOptions { rule: SequenceRule::Strict, large_move_bps: 50.0, ..MarketOptions::default() }
}

#[test]
fn one_call_per_batch_and_per_decision() {
    let mut m = MarketState::new(options()).unwrap();
    let mut b = EventBatch::default();
    snapshot(&mut b, S, 1, &[(999, 5), (998, 7)], &[(1001, 3), (1002, 9)]);
    trade(&mut b, S + 1, 1, 1001, 2, false);
    let r = m.apply(&b);
    assert_eq!((r.events, r.trades, r.valid, r.last_exchange_ts, r.moved), (2, 1, true, S + 1, false));
    let top = r.top.unwrap();
    assert_eq!((top.bid, top.ask, top.mid, top.mid2()), (Level::new(999, 5), Level::new(1001, 3), 1000.0, 2000));
    // Micro-price leans to the thinner side: (999·3 + 1001·5) / 8.
    assert!((top.micro_price - (999.0 * 3.0 + 1001.0 * 5.0) / 8.0).abs() < 1e-12);

    let d = m.decision_inputs(2 * S).unwrap();
    assert_eq!(d.top, m.top());
    assert_eq!(d.sigma, options().volatility.prior_sigma, "the prior until returns arrive");
    assert_eq!(d.intensity.source, IntensitySource::Prior);
    assert_eq!(d.forecast, None, "no model");

    // A 60 bp move of the mid from the decision's 1000 → 1006: requote now.
    b.clear();
    diff(&mut b, 3 * S, 2, &[(1005, 1)], &[(1001, 0), (1002, 0), (1007, 4)]);
    let r = m.apply(&b);
    assert_eq!(r.top.map(|t| t.mid), Some(1006.0));
    assert!(r.moved);
}

#[test]
fn a_gap_leaves_no_top_until_a_snapshot() {
    let mut m = MarketState::new(options()).unwrap();
    let mut b = EventBatch::default();
    snapshot(&mut b, S, 10, &[(999, 5)], &[(1001, 3)]);
    diff(&mut b, S + 1, 12, &[(999, 6)], &[]); // expected 11
    let r = m.apply(&b);
    assert!(!r.valid);
    assert_eq!(r.top, None);
    assert_eq!(m.decision_inputs(2 * S).unwrap().top, None);
    b.clear();
    snapshot(&mut b, 3 * S, 20, &[(998, 1)], &[(1000, 1)]);
    assert_eq!(m.apply(&b).top.map(|t| t.mid), Some(999.0));
}

#[test]
fn net_of_own_liquidity() {
    let mut m = MarketState::new(MarketOptions { net_of_own: true, ..options() }).unwrap();
    let mut b = EventBatch::default();
    snapshot(&mut b, S, 1, &[(1000, 4), (999, 7)], &[(1002, 3)]);
    m.apply(&b);
    // Our 4 lots are all of the best bid: the view net of us starts at 999.
    m.add_own_order(OwnOrder { id: 1, side: Side::Buy, price: 1000, size: 4 }).unwrap();
    let top = m.top().unwrap();
    assert_eq!((top.bid, top.mid), (Level::new(999, 7), 1000.5));
    assert_eq!(m.fill_own_order(1, 1), Ok(3));
    // The public level still shows 4 lots (its update has not come) and 3 are ours: 1 is not.
    assert_eq!(m.top().unwrap().bid, Level::new(1000, 1));
    m.remove_own_order(1).unwrap();
    assert_eq!(m.top().unwrap().bid, Level::new(1000, 4));
}

#[test]
fn intensity_reads_the_mid_before_each_trade() {
    let opts = MarketOptions {
        intensity: flashmm_core::market::IntensityOptions { min_trades: 2, refit_s: 0.0, ..Default::default() },
        ..options()
    };
    let mut m = MarketState::new(opts).unwrap();
    let mut b = EventBatch::default();
    snapshot(&mut b, S, 1, &[(999, 50)], &[(1001, 50)]);
    // Distances to the mid 1000: 1 (twice), 3, 5 (the book moves, the mid stays).
    trade(&mut b, S + 1, 1, 1001, 1, false);
    trade(&mut b, S + 2, 2, 999, 1, true);
    trade(&mut b, S + 3, 3, 1003, 1, false);
    trade(&mut b, S + 4, 4, 995, 1, true);
    m.apply(&b);
    let d = m.decision_inputs(11 * S).unwrap();
    assert_eq!(d.intensity.trades, 4);
    assert_eq!(d.intensity.source, IntensitySource::Fit);
    assert!(d.intensity.intensity.k > 0.0);
}

#[test]
fn options_are_validated_naming_the_option() {
    let bad = MarketOptions { large_move_bps: 0.0, ..options() };
    assert_eq!(MarketState::new(bad).unwrap_err().to_string(), "largeMoveBps: must be > 0, got 0");
    let mut i = flashmm_core::market::IntensityOptions::default();
    i.prior.k = 1000.0;
    let bad = MarketOptions { intensity: i, ..options() };
    assert_eq!(MarketState::new(bad).unwrap_err().to_string(), "intensity: need minK ≤ priorK ≤ maxK");
}
