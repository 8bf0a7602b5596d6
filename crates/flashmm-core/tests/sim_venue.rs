//! The live simulated venue ([`SimVenue`]) over a generated market, advanced in steps the way
//! the daemon's quote loop does: reports only after the latencies, cancel-all empties the
//! book of our orders, the same seed gives the same session; and a recording put on the
//! host's clock ([`RetimedSource`]).

mod common;

use flashmm_core::book::Side;
use flashmm_core::market_gen::ZiParams;
use flashmm_core::replay::EventBatch;
use flashmm_core::replay::RetimedSource;
use flashmm_core::replay::binance::BinanceSource;
use flashmm_core::replay::{EventSource, MemorySource, ZiSource};
use flashmm_core::sim::{
    ConstantLatency, NewOrder, QueueModel, Report, ReportKind, Request, SimConfig, SimVenue, VenueError,
};
use flashmm_core::spec::MarketSpec;

const MS: i64 = 1_000_000;
const START: i64 = 1_750_000_000_000_000_000;
const ENTRY: i64 = 3 * MS;
const RESPONSE: i64 = 2 * MS;

fn venue(seed: u64) -> SimVenue<ZiSource> {
    let spec = MarketSpec::new("SIMUSD", "0.01", "0.001").unwrap().with_fees(-50, 400).unwrap();
    let src = ZiSource::new(ZiParams::for_market(&spec, "25.00").unwrap(), seed, START, None).unwrap();
    let sim = SimConfig::new(&spec, src.rule()).with_queue(QueueModel::Power(2.0));
    SimVenue::new(src, spec, sim, ConstantLatency::new(ENTRY, RESPONSE).unwrap()).unwrap()
}

/// A minute of a quote loop at 50 ms: every 500 ms cancel everything and quote the touch.
/// Returns every report and the send time of every order.
fn session(seed: u64) -> (Vec<Report>, Vec<(u64, i64)>, SimVenue<ZiSource>) {
    let mut v = venue(seed);
    let (mut market, mut reports, mut all) = (EventBatch::default(), Vec::new(), Vec::new());
    let mut sent = Vec::new();
    let mut id = 1u64;
    for step in 0..=1200i64 {
        let t = START + step * 50 * MS;
        market.clear();
        v.advance_to(t, &mut market, &mut reports).unwrap();
        if step == 0 {
            assert_eq!(market.get(0).kind, flashmm_core::replay::EventKind::Snapshot);
        }
        for e in market.iter() {
            assert!(e.exchange_ts <= t);
        }
        assert!(v.book().is_valid());
        all.append(&mut reports);
        if step % 10 == 0 {
            let (bb, ba) = (v.book().best_bid().unwrap().price, v.book().best_ask().unwrap().price);
            v.cancel_all(t).unwrap();
            for (side, price) in [(Side::Buy, bb), (Side::Sell, ba)] {
                v.submit(t, Request::New(NewOrder::post_only(id, side, price, 1))).unwrap();
                sent.push((id, t));
                id += 1;
            }
        }
    }
    (all, sent, v)
}

#[test]
fn reports_come_after_the_latencies_and_the_same_seed_repeats() {
    let (reports, sent, v) = session(5);
    let sent: std::collections::HashMap<u64, i64> = sent.into_iter().collect();
    let (mut fills, mut buys, mut accepted) = (0, 0, 0);
    for r in &reports {
        assert_eq!(r.local_ts, r.exchange_ts + RESPONSE, "{r:?}");
        if let Some(&t) = sent.get(&r.client_id) {
            assert!(r.exchange_ts >= t + ENTRY, "report before the order arrived: {r:?}");
        }
        match r.kind {
            ReportKind::Fill(f) => {
                fills += 1;
                buys += usize::from(f.side == Side::Buy);
            }
            ReportKind::Accepted { .. } => accepted += 1,
            _ => {}
        }
    }
    assert!(accepted > 100, "accepted {accepted}");
    assert!(fills > 0 && buys > 0 && buys < fills, "fills {fills}, buys {buys}");
    // The exchange's booking includes fills whose reports are still travelling.
    assert!(v.account().fills as usize >= fills);
    let (again, _, _) = session(5);
    assert_eq!(reports, again);
    let (other, _, _) = session(6);
    assert_ne!(reports, other);
}

#[test]
fn cancel_all_leaves_no_open_orders_and_the_past_is_refused() {
    let mut v = venue(9);
    let (mut market, mut reports) = (EventBatch::default(), Vec::new());
    v.advance_to(START + 100 * MS, &mut market, &mut reports).unwrap();
    let (bb, ba) = (v.book().best_bid().unwrap().price, v.book().best_ask().unwrap().price);
    let t = START + 100 * MS;
    // Deep quotes that will not fill.
    v.submit(t, Request::New(NewOrder::post_only(1, Side::Buy, bb - 50, 2))).unwrap();
    v.submit(t, Request::New(NewOrder::post_only(2, Side::Sell, ba + 50, 2))).unwrap();
    v.advance_to(t + ENTRY - 1, &mut market, &mut reports).unwrap();
    assert!(v.open_orders().is_empty(), "not arrived yet");
    assert_eq!(v.in_flight(), 2);
    v.advance_to(t + ENTRY, &mut market, &mut reports).unwrap();
    assert_eq!(v.open_orders().len(), 2);
    assert!(reports.is_empty(), "acknowledgements travel for {RESPONSE} ns");
    v.advance_to(t + ENTRY + RESPONSE, &mut market, &mut reports).unwrap();
    assert_eq!(reports.iter().filter(|r| matches!(r.kind, ReportKind::Accepted { .. })).count(), 2);

    let t2 = t + 10 * MS;
    assert!(matches!(v.cancel_all(t2 - 20 * MS), Err(VenueError::SendBeforeClock { .. })));
    v.cancel_all(t2).unwrap();
    v.advance_to(t2 + ENTRY + RESPONSE, &mut market, &mut reports).unwrap();
    assert!(v.open_orders().is_empty());
    assert!(reports.iter().any(|r| matches!(r.kind, ReportKind::CancelAllDone { cancelled: 2 })));
}

#[test]
fn a_recording_replays_on_the_host_clock_at_speed() {
    let path = common::data_file("usdm_btcusdt_20240808.gz");
    let mut head = EventBatch::default();
    let mut src = BinanceSource::open(&path, None, None).unwrap();
    let spec = src.spec().clone();
    let rule = src.rule();
    while head.len() < 2000 {
        let mut b = EventBatch::default();
        if src.next_batch(&mut b).unwrap() == 0 {
            break;
        }
        b.iter().for_each(|e| head.push_event(&e));
    }
    let first = head.iter().find(|e| e.exchange_ts > 0).unwrap().exchange_ts;
    let data_span = head.get(head.len() - 1).exchange_ts - first;
    // Twice as fast, starting at START.
    let retimed = RetimedSource::new(MemorySource::new(&head), START, 2_000_000).unwrap();
    let mut v =
        SimVenue::new(retimed, spec, SimConfig::new(src.spec(), rule), ConstantLatency::new(ENTRY, RESPONSE).unwrap())
            .unwrap();
    let (mut market, mut reports) = (EventBatch::default(), Vec::new());
    assert_eq!(v.source().host_ts(first), None, "no origin before the first event is read");
    v.advance_to(START + data_span / 2 - 1, &mut market, &mut reports).unwrap();
    assert!(!v.is_exhausted());
    // The host time of a recorded time: the first event at START, the last at half its span.
    assert_eq!(v.source().host_ts(first), Some(START));
    assert_eq!(v.source().host_ts(first + data_span), Some(START + data_span / 2));
    assert!(market.iter().all(|e| e.exchange_ts >= START && e.exchange_ts < START + data_span / 2));
    v.advance_to(START + data_span / 2 + 1, &mut market, &mut reports).unwrap();
    assert_eq!(market.len(), head.len());
    v.advance_to(i64::MAX, &mut market, &mut reports).unwrap();
    assert!(v.is_exhausted());
    assert!(v.book().is_valid());
    assert!(RetimedSource::new(MemorySource::new(&head), START, 0).is_err());
}
