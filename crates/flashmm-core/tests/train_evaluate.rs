//! Model-card evaluation: metrics checked by hand on tiny inputs, baselines on synthetic
//! mid paths with a known answer, and an end-to-end report on a real recording (tiny MLP,
//! scored by candle and by the ONNX export in tract).

mod common;

use flashmm_core::features::{
    Dataset, DatasetConfig, Direction, HORIZONS_NS, N_FEATURES, dataset_from_binance_file, feature_index,
};
use flashmm_core::train::evaluate::{
    Baseline, BaselineFit, EvalError, IMBALANCE_FEATURE, Probs, choose_default, contexts, evaluate_baselines,
    evaluate_decisions, evaluate_model, evaluate_probs, last_moves, markdown_table, probs_from_logits,
};
use flashmm_core::train::windows::split_samples;
use flashmm_core::train::{ArchKind, SplitConfig, TrainConfig, train_model};
use tract_onnx::prelude::*;

use Direction::{Down, Flat, Up};

const STEP: i64 = 100_000_000;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-6, "{a} vs {b}");
}

fn same(p: [f32; 3]) -> Probs {
    [p; 3]
}

#[test]
fn hand_computed_metrics() {
    // Decided: up ✓, flat ✓, down ✓, down ✗ (true up).
    let probs =
        [same([0.10, 0.15, 0.75]), same([0.20, 0.65, 0.15]), same([0.45, 0.20, 0.35]), same([0.65, 0.25, 0.10])];
    let labels = [[Up; 3], [Flat; 3], [Down; 3], [Up; 3]];
    let m = evaluate_probs(&probs, &labels);
    assert_eq!(m.len(), 3);
    assert_eq!(m.iter().map(|m| m.horizon_ms).collect::<Vec<_>>(), [100, 200, 500]);
    let m = &m[0];
    assert_eq!((m.n, m.n_nonflat), (4, 3));
    close(m.accuracy, 0.75);
    close(m.accuracy_nonflat.unwrap(), 2.0 / 3.0);
    close(m.directional_precision.unwrap(), 2.0 / 3.0); // decided down/up 3 times, 2 right
    close(m.direction_accuracy.unwrap(), 2.0 / 3.0);
    close(m.log_loss, -(0.75f64.ln() + 0.65f64.ln() + 0.45f64.ln() + 0.10f64.ln()) / 4.0);
    // (.01 + .0225 + .0625) + (.04 + .1225 + .0225) + (.3025 + .04 + .1225) + (.4225 + .0625 + .81)
    close(m.brier, 2.04 / 4.0);
    // Bins: 0.45 → [0.4, 0.5) right; 0.65 ×2 → [0.6, 0.7) one right; 0.75 → [0.7, 0.8) right.
    close(m.ece, 0.25 * 0.55 + 0.5 * 0.15 + 0.25 * 0.25);
    assert_eq!(m.class_counts_true, [1, 1, 2]);
    assert_eq!(m.class_counts_pred, [2, 1, 1]);
    let counts: Vec<usize> = m.reliability.iter().map(|b| b.count).collect();
    assert_eq!(counts, [0, 0, 0, 0, 1, 0, 2, 1, 0, 0]);
    let b6 = &m.reliability[6];
    close(b6.lo, 0.6);
    close(b6.hi, 0.7);
    close(b6.mean_conf.unwrap(), 0.65);
    close(b6.accuracy.unwrap(), 0.5);
    assert_eq!((m.reliability[0].mean_conf, m.reliability[0].accuracy), (None, None));
}

#[test]
fn ece_and_reliability_on_a_constructed_example() {
    // 5 samples at 0.85 with 4 right, 5 at 0.55 all right: ECE = ½·0.05 + ½·0.45 = 0.25.
    let mut probs = vec![same([0.05, 0.85, 0.10]); 5];
    let mut labels = vec![[Flat; 3]; 4];
    labels.push([Up; 3]);
    probs.extend(vec![same([0.55, 0.25, 0.20]); 5]);
    labels.extend(vec![[Down; 3]; 5]);
    let m = &evaluate_probs(&probs, &labels)[2];
    close(m.ece, 0.25);
    let (b5, b8) = (&m.reliability[5], &m.reliability[8]);
    assert_eq!((b5.count, b8.count), (5, 5));
    close(b5.mean_conf.unwrap(), 0.55);
    close(b5.accuracy.unwrap(), 1.0);
    close(b8.mean_conf.unwrap(), 0.85);
    close(b8.accuracy.unwrap(), 0.8);
    assert_eq!(m.reliability.iter().map(|b| b.count).sum::<usize>(), 10);
    // Probability 1 falls in the last bin.
    let m = &evaluate_probs(&[same([0.0, 1.0, 0.0])], &[[Flat; 3]])[0];
    assert_eq!(m.reliability[9].count, 1);
    close(m.ece, 0.0);
}

#[test]
fn log_loss_clamps_and_perfect_predictions_score_zero() {
    let m = &evaluate_probs(&[same([0.0, 1.0, 0.0]), same([0.0, 1.0, 0.0])], &[[Flat; 3], [Up; 3]])[1];
    close(m.log_loss, (0.0 + -(1e-7f64).ln()) / 2.0);
    close(m.brier, (0.0 + 2.0) / 2.0);
    let m = &evaluate_probs(&[same([0.0, 0.0, 1.0])], &[[Up; 3]])[0];
    close(m.log_loss, 0.0);
    close(m.brier, 0.0);
    // No samples: means undefined, ratios absent.
    let m = &evaluate_probs(&[], &[])[0];
    assert!(m.n == 0 && m.accuracy.is_nan() && m.log_loss.is_nan() && m.accuracy_nonflat.is_none());
}

#[test]
fn decisions_drive_accuracy_probabilities_drive_calibration() {
    // Constant prior favouring flat; decisions say up. A tie p_up = p_down counts one half.
    let probs = vec![same([0.2, 0.6, 0.2]); 4];
    let labels = [[Up; 3], [Up; 3], [Down; 3], [Flat; 3]];
    let m = &evaluate_decisions(&probs, &[[Up; 3]; 4], &labels)[0];
    close(m.accuracy, 0.5);
    close(m.accuracy_nonflat.unwrap(), 2.0 / 3.0);
    close(m.directional_precision.unwrap(), 0.5);
    close(m.direction_accuracy.unwrap(), 0.5);
    assert_eq!(m.class_counts_pred, [0, 0, 4]);
    // Calibration on the argmax (flat, p = 0.6, right once in 4).
    close(m.ece, (0.6 - 0.25f64).abs());
    // Argmax decisions: always flat.
    let m = &evaluate_probs(&probs, &labels)[0];
    assert_eq!((m.accuracy_nonflat, m.directional_precision), (Some(0.0), None));
}

#[test]
fn softmax_of_logits() {
    let l = [0.0, 2f32.ln(), 5f32.ln(), 1000.0, 0.0, -1000.0, 1.0, 1.0, 1.0];
    let p = probs_from_logits(&l);
    assert_eq!(p.len(), 1);
    for (got, want) in p[0][0].iter().zip([0.125, 0.25, 0.625]) {
        assert!((got - want).abs() < 1e-6);
    }
    assert_eq!(p[0][1], [1.0, 0.0, 0.0]);
    assert!(p[0][2].iter().all(|&x| (x - 1.0 / 3.0).abs() < 1e-6));
}

#[test]
fn last_move_resets_at_a_gap() {
    let mut ds = Dataset { horizons_ns: HORIZONS_NS, ..Default::default() };
    let t0 = 1_700_000_000_000_000_000;
    ds.ts = [0, 1, 2, 3, 4, 6, 7, 8].map(|i| t0 + i * STEP).to_vec();
    ds.m2 = vec![0, 0, 2, 2, 0, 0, 0, 2];
    let want = [None, None, Some(Up), Some(Up), Some(Down), None, None, Some(Up)];
    assert_eq!(last_moves(&ds, STEP), want);
}

/// A mid that moves by one tick on every third row (first at row 1), always the same way (`dir` = ±1), and a
/// level-1 imbalance whose sign is the next row's move (0 if none). Labels from the path.
fn trending(n: usize, dir: i64) -> Dataset {
    let imb = feature_index(IMBALANCE_FEATURE).unwrap();
    let path: Vec<i64> = (0..n as i64 + 5).map(|i| 1000 + dir * ((i + 2) / 3)).collect();
    let mut ds = Dataset { horizons_ns: HORIZONS_NS, ..Default::default() };
    for i in 0..n {
        ds.ts.push(1_700_000_000_000_000_000 + i as i64 * STEP);
        ds.m2.push(path[i]);
        ds.labels.push([1, 2, 5].map(|k| Direction::of_change(path[i + k] - path[i])));
        let mut row = [0.5f32; N_FEATURES];
        row[imb] = 0.25 * (path[i + 1] - path[i]) as f32;
        ds.features.push(row);
    }
    ds
}

#[test]
fn baselines_on_a_trending_mid_have_known_answers() {
    let datasets = [trending(300, 1), trending(300, -1)];
    let splits = split_samples(&datasets, 1, STEP, &SplitConfig::default()).unwrap();
    let labels = |s: &[flashmm_core::train::Sample]| -> Vec<_> {
        s.iter().map(|s| datasets[s.recording].labels[s.end]).collect()
    };
    let (train_y, test_y) = (labels(&splits.train), labels(&splits.test));
    let fit = BaselineFit::fit(&contexts(&datasets, &splits.train, STEP), &train_y).unwrap();

    // Prior: add-one smoothed training frequencies.
    let n = train_y.len();
    for k in 0..3 {
        for c in 0..3 {
            let count = train_y.iter().filter(|y| y[k].index() == c).count();
            close(fit.prior[k][c], (count + 1) as f64 / (n + 3) as f64);
        }
    }
    // Row 0 of each recording has no move yet; the mid never reverses.
    let m = fit.n_with_last_move;
    assert_eq!(m, n - 2);
    let p500 = fit.persistence[2];
    close(p500[0], 1.0 / (m + 3) as f64);
    close(p500[1], 1.0 / (m + 3) as f64);
    close(p500[2], (m + 1) as f64 / (m + 3) as f64);

    let ctx = contexts(&datasets, &splits.test, STEP);
    let evals = evaluate_baselines(&fit, &ctx, &test_y);
    assert_eq!(
        evals.iter().map(|e| e.name).collect::<Vec<_>>(),
        ["always_flat", "persistence", "imbalance_sign", "logistic_imbalance"]
    );
    let [flat, pers, imb, logit] = [&evals[0], &evals[1], &evals[2], &evals[3]];
    for k in 0..3 {
        let (f, p) = (&flat.metrics[k], &pers.metrics[k]);
        // Always flat: right exactly on the flat labels.
        let n_flat = test_y.iter().filter(|y| y[k] == Flat).count();
        close(f.accuracy, n_flat as f64 / test_y.len() as f64);
        assert_eq!(f.class_counts_pred, [0, test_y.len(), 0]);
        assert_eq!((f.accuracy_nonflat, f.directional_precision), (Some(0.0), None));
        // Persistence: every move continues the last one.
        assert_eq!(p.accuracy_nonflat, Some(1.0), "horizon {k}");
        assert_eq!(p.direction_accuracy, Some(1.0));
        assert!(p.n_nonflat > 0 && p.class_counts_pred[1] == 0);
    }
    // Within 500 ms the mid always moves: persistence is then always right.
    assert_eq!(pers.metrics[2].accuracy, 1.0);
    assert_eq!(pers.metrics[2].directional_precision, Some(1.0));
    // The imbalance's sign is the next 100 ms move.
    assert_eq!(imb.metrics[0].accuracy, 1.0);
    assert!(imb.metrics[0].log_loss < 0.1, "{}", imb.metrics[0].log_loss);
    assert_eq!(fit.predict(Baseline::ImbalanceSign, &ctx[0]).1, [ctx[0].imbalance; 3]);
    // The logistic regression on the imbalances learns the same rule from the training rows.
    assert_eq!(logit.metrics[0].direction_accuracy, Some(1.0));
    assert!(logit.metrics[0].log_loss < 0.1, "{}", logit.metrics[0].log_loss);
}

/// The end-to-end report on one recording: tiny MLP, scored by candle and by tract.
#[test]
fn report_on_a_real_recording() {
    let t = std::time::Instant::now();
    let ds = dataset_from_binance_file(&common::data_file("spot_btcusdt_20240808.gz"), DatasetConfig::default())
        .expect("dataset");
    let datasets = [ds];
    let cfg = TrainConfig { max_epochs: 2, ..TrainConfig::tiny(ArchKind::Mlp) };
    let trained = train_model(&datasets, &cfg, |_| {}).expect("trains");
    let markets = ["spot_btcusdt_20240808".to_string()];
    let report = evaluate_model(|x| trained.predict(x), &datasets, &markets, &cfg, &trained).expect("evaluates");
    let c = trained.counts;
    assert_eq!((report.split.train, report.split.val, report.split.test), (c.train, c.val, c.test));
    assert_eq!((report.validation.n, report.test.n), (c.val, c.test));
    assert!(report.selection.val_log_loss_mean.is_finite() && report.selection.val_accuracy_mean > 0.0);
    // The training loop's validation loss is the same mean cross-entropy (unclamped).
    assert!(
        (report.selection.val_log_loss_mean - report.selection.best_val_loss[0]).abs() < 1e-3,
        "{:?}",
        report.selection
    );
    for split in [&report.validation, &report.test] {
        assert_eq!(split.baselines.len(), 4);
        // One market: its figures are the pooled ones, and so are the means over markets.
        assert_eq!(split.markets.len(), 1);
        let mut pooled = split.model.clone();
        pooled.iter_mut().for_each(|h| h.reliability.clear());
        assert_eq!(split.markets[0].model, pooled, "one market: its figures are the pooled ones (bins aside)");
        let mean = split.mean_of("model").unwrap();
        assert_eq!(mean.horizons[0].log_loss, split.model[0].log_loss);
        assert_eq!(
            split.mean.iter().map(|p| p.name).collect::<Vec<_>>()[1..],
            split.baselines.iter().map(|b| b.name).collect::<Vec<_>>()[..]
        );
        let all = std::iter::once(&split.model).chain(split.baselines.iter().map(|b| &b.metrics));
        for m in all.flatten() {
            assert_eq!(m.n, split.n);
            assert_eq!(m.class_counts_true.iter().sum::<usize>(), m.n);
            assert_eq!(m.class_counts_pred.iter().sum::<usize>(), m.n);
            assert_eq!(m.reliability.iter().map(|b| b.count).sum::<usize>(), m.n);
            assert_eq!(m.n_nonflat, m.class_counts_true[0] + m.class_counts_true[2]);
            assert!([m.accuracy, m.log_loss, m.brier, m.ece].iter().all(|x| x.is_finite()), "{m:?}");
            assert!(m.accuracy_nonflat.is_some_and(f64::is_finite));
        }
    }
    // Always-flat's probabilities are the training prior; its hard accuracy is the flat share.
    let f = &report.test.baselines[0].metrics[0];
    assert_eq!(f.accuracy, f.class_counts_true[1] as f64 / f.n as f64);

    // The served path (the ONNX export in tract) gives the same figures.
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &trained.onnx[..])
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .expect("tract loads the export");
    let tract_logits = |x: &[f32]| -> TractResult<Vec<f32>> {
        let n = x.len() / (trained.seq * N_FEATURES);
        let input: Tensor = tract_ndarray::Array3::from_shape_vec((n, trained.seq, N_FEATURES), x.to_vec())?.into();
        let out = plan.run(tvec!(input.into()))?;
        Ok(out[0].to_array_view::<f32>()?.iter().copied().collect())
    };
    let served = evaluate_model(tract_logits, &datasets, &markets, &cfg, &trained).expect("evaluates in tract");
    for (a, b) in served.test.model.iter().zip(&report.test.model) {
        assert!((a.log_loss - b.log_loss).abs() < 1e-5 && (a.accuracy - b.accuracy).abs() < 1e-3, "{a:?} vs {b:?}");
    }
    assert_eq!(served.test.baselines, report.test.baselines);

    // Deterministic JSON; the default is chosen on validation only.
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(json, serde_json::to_string(&report.clone()).unwrap());
    assert!(json.find("\"validation\":{\"n\"").unwrap() < json.find("\"test\":{\"n\"").unwrap());
    let mut worse = report.clone();
    worse.selection.val_log_loss_mean += 1.0;
    worse.test.model[0].log_loss = 0.0; // a better test score must not matter
    assert_eq!(choose_default(&[worse, report.clone()]), Some(1));

    let md = markdown_table(&report);
    for name in [
        "| **model** |",
        "| always_flat |",
        "| persistence |",
        "| imbalance_sign |",
        "| logistic_imbalance |",
        "500 ms ahead",
        "spot_btcusdt_20240808",
    ] {
        assert!(md.contains(name), "{name} missing:\n{md}");
    }
    eprintln!("{md}\n({:.1} s)", t.elapsed().as_secs_f64());

    // A different split is not the run's split.
    let other = TrainConfig { split: SplitConfig { train_frac: 0.6, ..cfg.split }, ..cfg.clone() };
    let err = evaluate_model(|x| trained.predict(x), &datasets, &markets, &other, &trained).unwrap_err();
    assert!(matches!(err, EvalError::Mismatch(_)), "{err}");
}
