//! The engine and the dataset builder on all six recordings, and on a synthetic book whose
//! mid drifts far enough to re-centre the depth-band mirror many times.

mod common;

use flashmm_core::book::{ApplyOutcome, DiffHeader, L2Book, Level, SequenceRule, Side};
use flashmm_core::features::{
    DEFAULT_CLIP, DatasetConfig, Direction, FEATURES, FeatureEngine, HORIZONS_NS, N_FEATURES, Normalizer, Sampling,
    dataset_from_binance_file,
};
use flashmm_core::replay::binance::{BinanceReader, sequence_rule};
use flashmm_core::replay::{BookReplay, EventBatch, EventKind};

#[track_caller]
fn assert_finite(name: &str, at: &str, f: &[f32; N_FEATURES]) {
    if let Some(i) = f.iter().position(|x| !x.is_finite()) {
        panic!("{name} {at}: {} = {}", FEATURES[i].name, f[i]);
    }
}

#[test]
fn all_64_features_are_finite_on_every_recording() {
    for name in common::BINANCE_FILES {
        let mut reader = BinanceReader::open(&common::data_file(name), None, None).expect("open");
        let mut replay = BookReplay::new(sequence_rule(reader.market()));
        let mut engine = FeatureEngine::new();
        let mut batch = EventBatch::default();
        let (mut events, mut ranges) = (0u64, [(f32::INFINITY, f32::NEG_INFINITY); N_FEATURES]);
        while reader.next_batch(&mut batch, 4096).expect("clean recording") > 0 {
            for e in batch.iter() {
                let outcome = replay.apply(&e);
                if !engine.on_event(&replay.book, &e, outcome.as_ref()) {
                    continue;
                }
                events += 1;
                assert_finite(name, &format!("event {events}"), engine.features());
                for (i, &x) in engine.features().iter().enumerate() {
                    ranges[i] = (ranges[i].0.min(x), ranges[i].1.max(x));
                }
            }
        }
        // A long quiet spell after the end: everything decays to finite values.
        engine.advance_to(engine.ts() + 3_600_000_000_000);
        assert_finite(name, "an hour after the end", engine.features());
        assert_eq!(engine.ring_growths(), 0, "{name}: the rings had to grow");
        // Each feature moves on real data (none is stuck at a fallback).
        for (i, (lo, hi)) in ranges.iter().enumerate() {
            assert!(lo < hi, "{name}: {} is constant at {lo}", FEATURES[i].name);
        }
        eprintln!("{name}: {events} events, all finite; band mirror rebuilds {}", engine.band_rebuilds());
    }
}

#[test]
fn datasets_from_every_recording_have_correct_labels_and_normalise() {
    for name in common::BINANCE_FILES {
        let path = common::data_file(name);
        let ds = dataset_from_binance_file(&path, DatasetConfig::default()).expect("dataset");
        let s = ds.stats;
        // ~345 s of data, 30 s warm-up, 100 ms grid, the last 500 ms unlabelled.
        assert!((2_900..=3_200).contains(&ds.len()), "{name}: {} rows, {s:?}", ds.len());
        assert_eq!(s.resets, 0, "{name}");
        assert_eq!(s.dropped_invalid, 0, "{name}");
        assert!((1..=6).contains(&s.dropped_past_end), "{name}: {s:?}");
        assert_eq!(ds.features.len(), ds.len());
        assert!(ds.ts.windows(2).all(|w| w[1] - w[0] == 100_000_000), "{name}: not a 100 ms grid");

        // Labels, recomputed naively from every book state of a separate replay.
        let mut reader = BinanceReader::open(&path, None, None).expect("open");
        let mut replay = BookReplay::new(sequence_rule(reader.market()));
        let mut batch = EventBatch::default();
        let mut states: Vec<(i64, i64)> = Vec::new();
        let mut clock = 0i64;
        while reader.next_batch(&mut batch, 4096).expect("clean") > 0 {
            for e in batch.iter() {
                if e.kind == EventKind::BookTicker {
                    continue;
                }
                clock = clock.max(e.exchange_ts);
                if replay.apply(&e) == Some(ApplyOutcome::Applied) {
                    let (b, a) = (replay.book.best_bid().unwrap(), replay.book.best_ask().unwrap());
                    states.push((clock, b.price + a.price));
                }
            }
        }
        let mid_at = |t: i64| states.iter().take_while(|s| s.0 <= t).last().map(|s| s.1).unwrap();
        for (i, &t) in ds.ts.iter().enumerate().step_by(7) {
            assert_eq!(ds.m2[i], mid_at(t), "{name}: sample {i}");
            for (k, &h) in HORIZONS_NS.iter().enumerate() {
                let d = mid_at(t + h) - ds.m2[i];
                let want = [Direction::Down, Direction::Flat, Direction::Up][(d.signum() + 1) as usize];
                assert_eq!(ds.labels[i][k], want, "{name}: sample {i} at {t}, horizon {h}");
            }
        }
        let counts = ds.class_counts();
        for c in counts {
            assert!(c[0] > 0 && c[2] > 0, "{name}: a horizon without up or down moves: {counts:?}");
        }
        // Longer horizons see more moves.
        assert!(counts[0][1] >= counts[1][1] && counts[1][1] >= counts[2][1], "{name}: {counts:?}");

        let norm = Normalizer::fit(&ds.features).expect("fit");
        let norm = Normalizer::from_json(&norm.to_json()).expect("round trip");
        let mut sum = [0f64; N_FEATURES];
        for row in &ds.features {
            let mut z = [0f32; N_FEATURES];
            norm.apply(row, &mut z);
            assert!(z.iter().all(|x| x.is_finite() && x.abs() <= DEFAULT_CLIP), "{name}");
            for i in 0..N_FEATURES {
                sum[i] += f64::from(z[i]);
            }
        }
        // Centred (clipping moves a mean only a little).
        for (i, s) in sum.iter().enumerate() {
            assert!(
                (s / ds.len() as f64).abs() < 0.2,
                "{name}: {} normalised mean {}",
                FEATURES[i].name,
                s / ds.len() as f64
            );
        }
        let pct = |k: usize| {
            let n = ds.len() as f64;
            format!(
                "{:.0}/{:.0}/{:.0}%",
                100.0 * counts[k][0] as f64 / n,
                100.0 * counts[k][1] as f64 / n,
                100.0 * counts[k][2] as f64 / n
            )
        };
        eprintln!(
            "{name}: {} rows; down/flat/up at 100 ms {}, 200 ms {}, 500 ms {}; {s:?}",
            ds.len(),
            pct(0),
            pct(1),
            pct(2)
        );
    }
}

#[test]
fn sampling_every_book_update_follows_the_depth_stream() {
    let path = common::data_file("usdm_btcusdt_20240808.gz");
    let cfg = DatasetConfig { sampling: Sampling::EveryBookUpdate, ..Default::default() };
    let ds = dataset_from_binance_file(&path, cfg).expect("dataset");
    assert!(ds.ts.windows(2).all(|w| w[0] <= w[1]));
    // ~19 diffs/s on this stream after the warm-up.
    assert!((5_000..=6_500).contains(&ds.len()), "{} rows {:?}", ds.len(), ds.stats);
}

#[test]
fn band_mirror_equals_a_full_walk_while_the_mid_drifts_far() {
    // Mid starts at 100 000 ticks (25 bps = 250 ticks) and random-walks by thousands of
    // ticks, with jumps: the mirror re-centres many times and must never disagree with a walk.
    let mut rng = common::Rng(0x0bad_cafe);
    let mut book = L2Book::new(SequenceRule::None);
    let mut fair: i64 = 100_000;
    let bids: Vec<Level> = (1..=400).map(|i| Level::new(fair - i, 1 + (i * 7) % 13)).collect();
    let asks: Vec<Level> = (1..=400).map(|i| Level::new(fair + i, 1 + (i * 5) % 11)).collect();
    book.apply_snapshot(0, &bids, &asks);
    let mut inc = FeatureEngine::new();
    let mut walk = FeatureEngine::new();
    let mut t = 1_000_000_000_000i64;
    inc.on_book(&book, t);
    walk.on_book(&book, t);
    let (mut b, mut a) = (Vec::new(), Vec::new());
    for step in 1..=20_000u64 {
        t += 1_000_000 + rng.signed_below(50_000_000);
        fair += match rng.signed_below(100) {
            0 => rng.signed_below(2_001) - 1_000, // a jump
            1..=30 => rng.signed_below(21) - 10,
            _ => 0,
        };
        b.clear();
        a.clear();
        // Clear whatever now crosses the fair price, then quote around it.
        b.extend(
            book.top_levels(Side::Buy, usize::MAX).take_while(|l| l.price >= fair).map(|l| Level::new(l.price, 0)),
        );
        a.extend(
            book.top_levels(Side::Sell, usize::MAX).take_while(|l| l.price <= fair).map(|l| Level::new(l.price, 0)),
        );
        for _ in 0..rng.signed_below(12) {
            let far = rng.signed_below(4) == 0;
            let d = 1 + rng.signed_below(if far { 2_000 } else { 60 });
            let size = if rng.signed_below(3) == 0 { 0 } else { 1 + rng.signed_below(50) };
            if rng.signed_below(2) == 0 {
                b.push(Level::new(fair - d, size));
            } else {
                a.push(Level::new(fair + d, size));
            }
        }
        // Both sides keep a touch.
        b.push(Level::new(fair - 1 - rng.signed_below(3), 1 + rng.signed_below(9)));
        a.push(Level::new(fair + 1 + rng.signed_below(3), 1 + rng.signed_below(9)));
        assert_eq!(book.apply_diff(DiffHeader::new(step, step, None), &b, &a), ApplyOutcome::Applied, "step {step}");
        inc.on_diff(&book, &b, &a, t);
        walk.on_book(&book, t);
        assert_eq!(inc.features(), walk.features(), "step {step}: mirror and walk disagree (fair {fair})");
        if step % 500 == 0 {
            inc.on_trade(fair, 3, Side::Buy, t);
            walk.on_trade(fair, 3, Side::Buy, t);
        }
    }
    assert!(inc.band_rebuilds() > 20, "the mirror re-centred only {} times", inc.band_rebuilds());
    assert_finite("synthetic", "end", inc.features());
}
