//! Windows and the time-ordered split on synthetic datasets (exact boundaries), early
//! stopping, and clear errors on bad input.

mod common;

use flashmm_core::features::{Dataset, Direction, HORIZONS_NS, N_FEATURES};
use flashmm_core::train::windows::{fit_normalizer, split_samples, window_ends};
use flashmm_core::train::{ArchKind, SplitConfig, TrainConfig, TrainError, train_model};

const STEP: i64 = 100_000_000;

/// `n` rows, feature 0 = row index, others noise; a one-step gap before row `gap` (if any).
fn synthetic(n: usize, gap: Option<usize>, seed: u64, learnable: bool) -> Dataset {
    let mut rng = common::Rng(seed);
    let mut ds = Dataset { horizons_ns: HORIZONS_NS, ..Default::default() };
    let dirs = [Direction::Down, Direction::Flat, Direction::Up];
    for i in 0..n {
        let shift = usize::from(gap.is_some_and(|g| i >= g)) as i64;
        ds.ts.push(1_700_000_000_000_000_000 + (i as i64 + shift) * STEP);
        let mut row: [f32; N_FEATURES] = std::array::from_fn(|_| (rng.below(2001) as f32 - 1000.0) / 500.0);
        row[0] = i as f32;
        let c = rng.below(3) as usize;
        if learnable {
            row[1] = c as f32; // the label, in plain sight
        }
        ds.features.push(row);
        ds.labels.push([dirs[c]; 3]);
        ds.m2.push(0);
    }
    ds
}

fn ends(s: &[flashmm_core::train::Sample]) -> Vec<usize> {
    s.iter().map(|s| s.end).collect()
}

#[test]
fn split_is_time_ordered_disjoint_with_exact_boundaries() {
    let ds = synthetic(100, Some(50), 1, false);
    // Windows of 4: rows 3..=49 and (after the gap) 53..=99: 94 samples.
    let w = window_ends(&ds, 4, STEP);
    assert_eq!(w, (3..=49).chain(53..=99).collect::<Vec<_>>());

    // 70 % of 94 = 65 train (rows 3..=49, 53..=70), 15 % = 14 val (71..=84), 15 test.
    // A val window must start after row 70: ends 71..=73 dropped; test after 84: 85..=87.
    let cfg = SplitConfig { train_frac: 0.7, val_frac: 0.15, embargo_ns: 0, held_out: None };
    let s = split_samples(std::slice::from_ref(&ds), 4, STEP, &cfg).unwrap();
    assert_eq!(ends(&s.train), (3..=49).chain(53..=70).collect::<Vec<_>>());
    assert_eq!(ends(&s.val), (74..=84).collect::<Vec<_>>());
    assert_eq!(ends(&s.test), (88..=99).collect::<Vec<_>>());
    assert_eq!(s.dropped_boundary, 6);

    // An embargo of two steps pushes each boundary two rows further.
    let cfg2 = SplitConfig { embargo_ns: 2 * STEP, ..cfg };
    let s2 = split_samples(std::slice::from_ref(&ds), 4, STEP, &cfg2).unwrap();
    assert_eq!(ends(&s2.val), (76..=84).collect::<Vec<_>>());
    assert_eq!(ends(&s2.test), (90..=99).collect::<Vec<_>>());
    assert_eq!(s2.dropped_boundary, 10);

    // Disjoint rows, and every row of a later split is later in time.
    let rows = |v: &[flashmm_core::train::Sample]| v.iter().flat_map(|s| s.end - 3..=s.end).collect::<Vec<_>>();
    let (tr, va, te) = (rows(&s.train), rows(&s.val), rows(&s.test));
    assert!(tr.iter().max() < va.iter().min() && va.iter().max() < te.iter().min());

    // The normaliser sees rows 0..=70 only (feature 0 = row index: mean 35).
    let n = fit_normalizer(std::slice::from_ref(&ds), &s.train, 4).unwrap();
    assert!((n.mean[0] - 35.0).abs() < 1e-4, "{}", n.mean[0]);

    // Per recording: a second recording is split on its own.
    let s3 = split_samples(&[ds.clone(), ds.clone()], 4, STEP, &cfg).unwrap();
    assert_eq!(s3.train.len(), 2 * s.train.len());
    assert_eq!(s3.test.iter().filter(|x| x.recording == 1).count(), s.test.len());
}

#[test]
fn training_reports_the_split_and_keeps_the_test_windows_raw() {
    let ds = synthetic(600, None, 2, true);
    let cfg = TrainConfig { max_epochs: 2, ..TrainConfig::tiny(ArchKind::Mlp) };
    let m = train_model(std::slice::from_ref(&ds), &cfg, |_| {}).unwrap();
    // 600 windows of 1: 420 / 90 / 90, then the 500 ms embargo drops 5 + 5.
    assert_eq!((m.counts.train, m.counts.val, m.counts.test, m.counts.dropped_boundary), (420, 85, 85, 10));
    assert_eq!(m.test.ts[0], ds.ts[515]);
    assert_eq!(m.test.window(0), &ds.features[515][..]);
    assert_eq!(m.test.labels[84], ds.labels[599]);
}

#[test]
fn early_stopping_stops_and_keeps_the_best_epoch() {
    // Labels are noise: the validation loss bottoms out early while a wide MLP with a high
    // learning rate overfits the training split.
    let ds = synthetic(1500, None, 3, false);
    let mut cfg =
        TrainConfig { max_epochs: 60, patience: 3, lr: 1e-2, batch_size: 64, ..TrainConfig::tiny(ArchKind::Mlp) };
    cfg.arch = flashmm_core::train::ArchConfig::Mlp(flashmm_core::train::MlpConfig {
        seq: 1,
        hidden: vec![128, 128],
        dropout: 0.0,
    });
    let mut ends_seen = Vec::new();
    let m = train_model(std::slice::from_ref(&ds), &cfg, |p| {
        if let Some(v) = p.val_loss {
            ends_seen.push((p.epoch, v));
        }
    })
    .unwrap();
    let r = &m.members[0];
    assert!(r.epochs_run < cfg.max_epochs, "ran all {} epochs: {:?}", r.epochs_run, r.val_loss);
    assert_eq!(r.epochs_run, r.best_epoch + cfg.patience, "{:?}", r.val_loss);
    let best = r.val_loss.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(r.val_loss[r.best_epoch - 1], best);
    assert_eq!(ends_seen.len(), r.epochs_run);

    // The kept weights are the best epoch's: a run capped at that epoch predicts the same.
    let capped = TrainConfig { max_epochs: r.best_epoch, ..cfg.clone() };
    let m2 = train_model(std::slice::from_ref(&ds), &capped, |_| {}).unwrap();
    assert_eq!(m.predict(&m.test.x).unwrap(), m2.predict(&m2.test.x).unwrap());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let cfg = TrainConfig::tiny(ArchKind::Lstm);
    assert!(matches!(train_model(&[], &cfg, |_| {}), Err(TrainError::NoData)));
    let small = synthetic(40, None, 4, false);
    let err = train_model(std::slice::from_ref(&small), &cfg, |_| {}).unwrap_err();
    assert!(matches!(err, TrainError::TooFewSamples { .. }), "{err}");
    assert!(err.to_string().contains("too few samples"), "{err}");
    let mut other = synthetic(600, None, 5, false);
    other.horizons_ns = [1, 2, 3];
    assert!(matches!(train_model(&[other], &cfg, |_| {}), Err(TrainError::Horizons { .. })));
    let mut ragged = synthetic(600, None, 6, false);
    ragged.labels.pop();
    assert!(matches!(train_model(&[ragged], &cfg, |_| {}), Err(TrainError::Input(_))));
    let bad = TrainConfig { batch_size: 0, ..cfg.clone() };
    assert!(matches!(train_model(&[synthetic(600, None, 7, false)], &bad, |_| {}), Err(TrainError::Config(_))));
    let bad = TrainConfig {
        split: SplitConfig { train_frac: 0.9, val_frac: 0.2, embargo_ns: 0, held_out: None },
        ..cfg.clone()
    };
    assert!(matches!(train_model(&[synthetic(600, None, 7, false)], &bad, |_| {}), Err(TrainError::Config(_))));
    let mut nan = synthetic(600, None, 8, false);
    nan.features[10][3] = f32::NAN;
    let err = train_model(&[nan], &TrainConfig::tiny(ArchKind::Mlp), |_| {}).unwrap_err();
    assert!(matches!(err, TrainError::Normalize(_)), "{err}");
}
