//! The zero-intelligence order-book generator: its stream keeps an L2 book valid, its
//! statistics are those it is configured for, it is deterministic, and it drives SimExchange.

use flashmm_core::book::{Level, SequenceRule, Side};
use flashmm_core::market_gen::{ZiGenerator, ZiParams};
use flashmm_core::replay::{BookReplay, EventBatch, EventKind, FLAG_BUYER_MAKER};
use flashmm_core::sim::{ConstantLatency, NewOrder, ReportKind, Request, SimConfig, SimExchange};
use flashmm_core::spec::MarketSpec;

const SEC: i64 = 1_000_000_000;
const START: i64 = 1_700_000_000 * SEC;

fn spec() -> MarketSpec {
    MarketSpec::new("SIM-USD", "0.01", "0.001").unwrap()
}

fn generator(seed: u64) -> ZiGenerator {
    let p = ZiParams::for_market(&spec(), "100.00").unwrap();
    ZiGenerator::new(p, seed, START).unwrap()
}

/// Time-sampled statistics of one run, measured from the L2 book the stream builds.
#[derive(Default)]
struct Run {
    events: usize,
    diffs: usize,
    trades: usize,
    /// Market orders seen in the stream: trades sharing one timestamp and aggressor side.
    market_orders: usize,
    spreads: Vec<i64>,
    mids: Vec<f64>,
    /// Mean size at 0..K ticks from the own best, per side, summed over samples.
    profile: Vec<f64>,
    samples: usize,
}

const K: usize = 20;

fn run(seed: u64, seconds: i64) -> Run {
    let mut g = generator(seed);
    let mut replay = BookReplay::new(SequenceRule::Strict);
    let mut batch = EventBatch::default();
    let mut r = Run { profile: vec![0.0; K], ..Run::default() };
    let mut last_id = None;
    let mut last_trade: Option<(i64, u8)> = None;
    let mut last_ts = i64::MIN;
    for s in 0..=seconds {
        batch.clear();
        let until = START + s * SEC;
        g.next_events(until, &mut batch);
        for e in batch.iter() {
            if r.events == 0 {
                assert_eq!(e.kind, EventKind::Snapshot, "the stream starts with a snapshot");
            } else {
                assert_ne!(e.kind, EventKind::Snapshot);
            }
            assert!(e.exchange_ts >= last_ts && e.exchange_ts <= until, "exchange time runs forward");
            assert_eq!(e.local_ts - e.exchange_ts, 1_000_000, "feed latency");
            last_ts = e.exchange_ts;
            r.events += 1;
            match e.kind {
                EventKind::Snapshot => last_id = Some(e.last_id),
                EventKind::DepthDiff => {
                    r.diffs += 1;
                    assert_eq!(e.first_id, e.last_id);
                    assert_eq!(Some(e.first_id), last_id.map(|i: u64| i + 1), "contiguous update ids");
                    last_id = Some(e.last_id);
                    assert!(!e.bids.is_empty() || !e.asks.is_empty());
                }
                EventKind::Trade => {
                    r.trades += 1;
                    let Level { price, size } = e.bids[0];
                    assert!(size > 0);
                    // The aggressor takes displayed liquidity on the passive side, at or
                    // through the touch, never more than is displayed.
                    let passive = if e.flags & FLAG_BUYER_MAKER != 0 { Side::Buy } else { Side::Sell };
                    assert!(replay.book.size_at(passive, price) >= size, "trade of {size} at {price} on {passive:?}");
                    let key = (e.exchange_ts, e.flags);
                    if last_trade != Some(key) {
                        r.market_orders += 1;
                        last_trade = Some(key);
                    }
                }
                EventKind::BookTicker => unreachable!(),
            }
            replay.apply(&e);
            if e.kind != EventKind::Trade {
                assert!(replay.book.is_valid(), "book invalid after {e:?}: {:?}", replay.book.status());
            }
        }
        let book = &replay.book;
        let (bb, ba) = (book.best_bid().unwrap(), book.best_ask().unwrap());
        assert_eq!((bb, ba), (g.best_bid(), g.best_ask()), "the book matches the generator's");
        assert!(bb.price < ba.price);
        r.spreads.push(ba.price - bb.price);
        r.mids.push((ba.price + bb.price) as f64 / 2.0);
        for i in 0..K {
            r.profile[i] += (book.size_at(Side::Buy, bb.price - i as i64)
                + book.size_at(Side::Sell, ba.price + i as i64)) as f64
                / 2.0;
        }
        r.samples += 1;
    }
    let c = replay.counts();
    assert_eq!(c.gaps, 0);
    assert_eq!(c.invalid_states, 0);
    assert_eq!(c.diffs_applied as usize, r.diffs);
    let st = g.stats();
    assert_eq!(st.market_orders as usize, r.market_orders);
    assert_eq!(st.trades as usize, r.trades);
    assert_eq!(st.depth_diffs as usize, r.diffs);
    for v in r.profile.iter_mut() {
        *v /= r.samples as f64;
    }
    r
}

fn variance_of_increments(xs: &[f64], lag: usize) -> f64 {
    let d: Vec<f64> = xs.windows(lag + 1).map(|w| w[lag] - w[0]).collect();
    let m = d.iter().sum::<f64>() / d.len() as f64;
    d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (d.len() - 1) as f64
}

#[test]
fn an_hour_of_stream_keeps_a_strict_l2_book_valid_with_the_configured_statistics() {
    let hours = 4;
    let secs = 3600 * hours;
    let t0 = std::time::Instant::now();
    let r = run(11, secs);
    let elapsed = t0.elapsed().as_secs_f64();
    let p = ZiParams::for_market(&spec(), "100.00").unwrap();
    let unit = p.unit_lots as f64;

    let mean_spread = r.spreads.iter().sum::<i64>() as f64 / r.spreads.len() as f64;
    let max_spread = *r.spreads.iter().max().unwrap();
    let tight = r.spreads.iter().filter(|&&s| s <= 3).count() as f64 / r.spreads.len() as f64;
    let v1 = variance_of_increments(&r.mids, 1);
    let v10 = variance_of_increments(&r.mids, 10);
    let v100 = variance_of_increments(&r.mids, 100);
    let v300 = variance_of_increments(&r.mids, 300);
    let expected_mo = 2.0 * p.market_rate * secs as f64;
    println!(
        "{} events in {elapsed:.2} s ({:.0} events/s of generated time, {:.2} M events/s generated): {} diffs, {} trades, {} market orders (expected {expected_mo:.0})",
        r.events,
        r.events as f64 / secs as f64,
        r.events as f64 / elapsed / 1e6,
        r.diffs,
        r.trades,
        r.market_orders
    );
    println!("spread: mean {mean_spread:.3} ticks, max {max_spread}, share <= 3 ticks {tight:.3}");
    println!(
        "mid increments variance (ticks^2): 1 s {v1:.3}, 10 s {v10:.3}, 100 s {v100:.3}; per second {:.3} {:.3} {:.3} {:.3} (300 s)",
        v1,
        v10 / 10.0,
        v100 / 100.0,
        v300 / 300.0
    );
    println!(
        "mid: first {} last {} min {} max {}",
        r.mids[0],
        r.mids.last().unwrap(),
        r.mids.iter().cloned().fold(f64::MAX, f64::min),
        r.mids.iter().cloned().fold(f64::MIN, f64::max)
    );
    let prof: Vec<String> = r.profile.iter().map(|v| format!("{:.1}", v / unit)).collect();
    println!("depth profile (units at 0..{K} ticks from the best, mean of sides): {}", prof.join(" "));

    // Trade rate: market orders are Poisson with rate 2μ; 4 standard errors.
    let se = expected_mo.sqrt();
    assert!(
        (r.market_orders as f64 - expected_mo).abs() <= 4.0 * se,
        "{} market orders vs {expected_mo}",
        r.market_orders
    );
    // Spread: a mean-reverting few ticks.
    assert!((1.2..=2.0).contains(&mean_spread), "mean spread {mean_spread}");
    assert!(tight >= 0.9, "spread <= 3 ticks only {tight} of the time");
    assert!(max_spread <= 30, "max spread {max_spread}");
    // Diffusive mid: the variance of increments grows linearly with the lag.
    let ratio = v100 / (10.0 * v10);
    assert!((0.6..=1.6).contains(&ratio), "var(100 s) / (10 var(10 s)) = {ratio}");
    let ratio300 = v300 / (3.0 * v100);
    assert!((0.6..=1.6).contains(&ratio300), "var(300 s) / (3 var(100 s)) = {ratio300}");
    // Depth profile: every one of the first K levels is populated on average, and the depth
    // decreases away from the touch (placement ∝ i^-0.52 from the opposite best, with
    // the same cancellation rate everywhere).
    assert!(r.profile.iter().all(|&v| v > 0.5 * unit), "{prof:?}");
    assert!(r.profile[0] > r.profile[5] && r.profile[5] > r.profile[10] && r.profile[10] > r.profile[19], "{prof:?}");
}

#[test]
fn the_same_seed_gives_the_same_events_however_the_time_is_stepped() {
    let mut a = generator(5);
    let mut b = generator(5);
    let mut c = generator(6);
    let (mut ea, mut eb, mut ec) = (EventBatch::default(), EventBatch::default(), EventBatch::default());
    a.next_events(START + 600 * SEC, &mut ea);
    for ms in 0..=600_000 {
        b.next_events(START + ms * 1_000_000, &mut eb);
    }
    c.next_events(START + 600 * SEC, &mut ec);
    assert!(ea.len() > 10_000);
    assert_eq!(ea.len(), eb.len());
    assert_eq!(ea.kind, eb.kind);
    assert_eq!(ea.exchange_ts, eb.exchange_ts);
    assert_eq!(ea.local_ts, eb.local_ts);
    assert_eq!(ea.first_id, eb.first_id);
    assert_eq!(ea.flags, eb.flags);
    assert_eq!(ea.level_start, eb.level_start);
    assert_eq!(ea.bid_count, eb.bid_count);
    assert_eq!(ea.levels, eb.levels);
    assert_ne!(ea.levels, ec.levels, "another seed, another market");
}

#[test]
fn any_grid_works_prices_stay_positive_and_sizes_on_the_unit() {
    // A coarse tick, lots with a minimum size of 5, and a price only 25 ticks above zero.
    let spec = MarketSpec::new("COARSE", "0.5", "1").unwrap().with_min_size("5").unwrap();
    let p = ZiParams::for_market(&spec, "12.5").unwrap();
    assert_eq!((p.initial_bid_ticks, p.unit_lots), (25, 5));
    let mut g = ZiGenerator::new(p, 3, 0).unwrap();
    let mut replay = BookReplay::new(SequenceRule::Strict);
    let mut batch = EventBatch::default();
    for s in 0..=1800 {
        batch.clear();
        g.next_events(s * SEC, &mut batch);
        for e in batch.iter() {
            for l in e.bids.iter().chain(e.asks) {
                assert!(l.price >= 1, "{e:?}");
                assert_eq!(l.size % 5, 0, "{e:?}");
            }
            replay.apply(&e);
            assert!(replay.book.is_valid(), "{:?}", replay.book.status());
        }
        assert!(g.best_bid().price >= 1 && g.best_bid().price < g.best_ask().price);
    }
    assert!(g.stats().market_orders > 1000);
    // A late joiner resyncs from a snapshot of the current book.
    let mut late = BookReplay::new(SequenceRule::Strict);
    batch.clear();
    g.push_snapshot(&mut batch);
    g.next_events(1900 * SEC, &mut batch);
    late.apply_batch(&batch);
    replay.apply_batch(&batch);
    assert!(late.book.is_valid() && late.counts().gaps == 0);
    assert_eq!(late.book.best_bid(), replay.book.best_bid());
    assert_eq!(
        late.book.top_levels(Side::Sell, 50).collect::<Vec<_>>(),
        replay.book.top_levels(Side::Sell, 50).collect::<Vec<_>>()
    );
}

#[test]
fn bad_parameters_are_refused() {
    let ok = ZiParams::for_market(&spec(), "100.00").unwrap();
    assert!(ZiGenerator::new(ok.clone(), 1, 0).is_ok());
    for bad in [
        ZiParams { limit_rate: 0.0, ..ok.clone() },
        ZiParams { cancel_rate: f64::NAN, ..ok.clone() },
        ZiParams { market_size_mean: 0.5, ..ok.clone() },
        ZiParams { depth_levels: 0, ..ok.clone() },
        ZiParams { initial_bid_ticks: 10, ..ok.clone() },
        ZiParams { unit_lots: 0, ..ok.clone() },
    ] {
        assert!(ZiGenerator::new(bad, 1, 0).is_err());
    }
    assert!(ZiParams::for_market(&spec(), "100.005").is_err(), "off the tick grid");
}

#[test]
fn the_stream_drives_the_simulated_exchange_and_fills_our_quotes() {
    let spec = spec();
    let mut sim = SimExchange::new(
        SimConfig::new(&spec, SequenceRule::Strict),
        ConstantLatency::new(2_000_000, 2_000_000).unwrap(),
    )
    .unwrap();
    let mut g = generator(21);
    let mut batch = EventBatch::default();
    let mut reports = Vec::new();
    let mut next_id = 1u64;
    let (mut fills, mut rejected, mut accepted) = (0, 0, 0);
    for step in 0..=6000i64 {
        // 100 ms decision interval for 10 minutes.
        let t = START + step * 100_000_000;
        batch.clear();
        g.next_events(t, &mut batch);
        for e in batch.iter() {
            sim.on_event(&e);
            assert!(sim.book().is_valid(), "{:?}", sim.book().status());
        }
        sim.advance_to(t);
        sim.drain_reports(t, &mut reports);
        for r in reports.drain(..) {
            match r.kind {
                ReportKind::Fill(_) => fills += 1,
                ReportKind::Rejected { .. } => rejected += 1,
                ReportKind::Accepted { .. } => accepted += 1,
                _ => {}
            }
        }
        if step % 10 == 0 {
            // Once a second: cancel everything, quote one unit at the touch on both sides.
            let (bb, ba) = (sim.book().best_bid().unwrap(), sim.book().best_ask().unwrap());
            sim.submit(t, Request::CancelAll).unwrap();
            for (side, price) in [(Side::Buy, bb.price), (Side::Sell, ba.price)] {
                sim.submit(t, Request::New(NewOrder::post_only(next_id, side, price, 1))).unwrap();
                next_id += 1;
            }
        }
    }
    let st = sim.stats();
    println!("sim: {st:?}; accepted {accepted}, rejected {rejected}, fills {fills}; account {:?}", sim.account());
    assert_eq!(st.market_events as usize, g.stats().depth_diffs as usize + g.stats().trades as usize + 1);
    assert!(accepted > 1000, "accepted {accepted}");
    assert!(fills > 50, "fills {fills}");
    // Post-only quotes at the touch seen 2 ms earlier can cross only if the book moved through
    // them in flight; that is rare.
    assert!(rejected * 20 < accepted, "rejected {rejected} of {}", accepted + rejected);
    assert_eq!(st.maker_fills, st.fills, "post-only quotes only make");
}
