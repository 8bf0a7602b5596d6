//! The live signal: the rows it serves are the dataset's rows, and a reload never
//! interrupts it.

mod common;
mod model_support;

use std::sync::Arc;

use flashmm_core::features::{DatasetBuilder, DatasetConfig, N_FEATURES};
use flashmm_core::model::{Model, ModelError, ModelSlot, Signal};
use flashmm_core::replay::EventBatch;
use flashmm_core::replay::binance::{FileReader, sequence_rule};
use model_support::{Spec, temp_file};

const SEQ: usize = 4;
const WARMUP_NS: i64 = 2_000_000_000;

fn slot(spec: &Spec) -> Arc<ModelSlot> {
    Arc::new(ModelSlot::new(Model::from_bytes(&spec.bytes()).expect("load")))
}

/// Feeds the first `secs` of exchange time of a recording to a signal and a dataset builder
/// side by side; returns the signal, the dataset, and the rows the signal served in order.
fn replay(file: &str, secs: i64) -> (Signal, flashmm_core::features::Dataset, Vec<[f32; N_FEATURES]>) {
    let path = common::data_file(file);
    let mut reader = FileReader::open(&path, None, None).expect("open");
    let rule = sequence_rule(reader.market());
    let mut ds = DatasetBuilder::new(rule, DatasetConfig { warmup_ns: WARMUP_NS, ..Default::default() });
    let mut signal = Signal::with_warmup(slot(&Spec::new(SEQ, 3)), rule, WARMUP_NS);
    let (mut served, mut batch, mut start) = (Vec::new(), EventBatch::default(), None);
    'read: while reader.next_batch(&mut batch, 4096).expect("read") > 0 {
        for e in batch.iter() {
            if e.exchange_ts > 0 && e.exchange_ts > *start.get_or_insert(e.exchange_ts) + secs * 1_000_000_000 {
                break 'read;
            }
            let before = signal.samples();
            signal.push(&e);
            ds.push(&e);
            let k = (signal.samples() - before) as usize;
            // A quiet gap can push more rows than the window holds; the recordings have none
            // that long while the book is valid, and the test must see every row.
            assert!(k <= SEQ, "{k} rows in one event");
            let win: Vec<[f32; N_FEATURES]> = signal.window().copied().collect();
            served.extend_from_slice(&win[win.len() - k..]);
        }
    }
    (signal, ds.finish(), served)
}

#[test]
fn the_signal_serves_exactly_the_dataset_rows() {
    for file in ["spot_btcusdt_20240808.gz", "usdm_ethusdt_20240808.gz"] {
        let (mut signal, ds, served) = replay(file, 60);
        assert_eq!(ds.stats.dropped_invalid, 0, "{file}: rows are aligned by index only without resets");
        assert_eq!(served.len() as u64, ds.stats.sampled, "{file}: one served row per dataset sample");
        assert!(ds.len() > 500, "{file}: {} rows", ds.len());
        // Labelled rows are a prefix of the samples (only the last ones run past the end).
        for (i, row) in ds.features.iter().enumerate() {
            assert!(served[i].iter().zip(row).all(|(a, b)| a.to_bits() == b.to_bits()), "{file}: row {i} differs");
        }
        assert!(signal.is_ready());
        let p = signal.predict().expect("predict").expect("ready");
        let want = signal.model().predict_window(&served[served.len() - SEQ..]).expect("window");
        assert_eq!(p, want, "{file}: the prediction is on the latest rows");
    }
}

#[test]
fn a_signal_is_not_ready_before_its_window_fills() {
    let (mut signal, _, served) = replay("spot_btcusdt_20240808.gz", 1);
    assert!(served.is_empty(), "no rows within the warm-up");
    assert!(!signal.is_ready());
    assert_eq!(signal.predict().expect("no error"), None);
}

#[test]
fn reload_keeps_serving_and_refuses_bad_models() {
    let (mut signal, _, _) = replay("spot_btcusdt_20240808.gz", 40);
    let before = signal.predict().unwrap().expect("ready");
    let garbage = temp_file("signal-garbage.onnx", b"not a protobuf \xff\xff\xff");
    let mut other_step = Spec { scale: -0.5, ..Spec::new(SEQ, 3) };
    for (k, v) in &mut other_step.metadata {
        if k == "flashmm.step_ns" {
            *v = "50000000".into();
        }
    }
    let other_step = temp_file("signal-step.onnx", &other_step.bytes());
    assert!(matches!(signal.reload(&garbage), Err(ModelError::Corrupt(_))));
    assert!(matches!(signal.reload("/nonexistent/m.onnx"), Err(ModelError::Io { .. })));
    let err = signal.reload(&other_step).expect_err("another grid step");
    assert!(matches!(err, ModelError::StepMismatch { new: 50_000_000, current: 100_000_000 }), "{err}");
    assert_eq!(signal.generation(), 0);
    assert_eq!(signal.predict().unwrap(), Some(before), "the old model keeps serving");

    let b = temp_file("signal-b.onnx", &Spec { scale: -0.5, ..Spec::new(SEQ, 3) }.bytes());
    signal.reload(&b).expect("reload");
    assert_eq!(signal.generation(), 1);
    let after = signal.predict().unwrap().expect("window kept across a same-seq reload");
    assert_ne!(after, before);
    let w: Vec<[f32; N_FEATURES]> = signal.window().copied().collect();
    assert_eq!(after, signal.model().predict_window(&w).unwrap());
}

/// Every row's forecast at each horizon, scored by hand against a dataset labelled at that
/// horizon alone (its rows are exactly those with a label there): the signal's live tally
/// must be the same, to the forecast.
#[test]
fn forecasts_are_scored_by_the_datasets_labels() {
    let path = common::data_file("spot_btcusdt_20240808.gz");
    let spec = Spec { scale: 0.25, ..Spec::new(1, 3) };
    let model = Model::from_bytes(&spec.bytes()).expect("load");
    let horizons = [100_000_000i64, 200_000_000, 300_000_000];
    let mut reader = FileReader::open(&path, None, None).expect("open");
    let rule = sequence_rule(reader.market());
    let mut per_horizon: Vec<DatasetBuilder> = horizons
        .iter()
        .map(|&h| {
            DatasetBuilder::new(rule, DatasetConfig { warmup_ns: WARMUP_NS, horizons_ns: [h; 3], ..Default::default() })
        })
        .collect();
    let mut signal = Signal::with_warmup(slot(&spec), rule, WARMUP_NS);
    let (mut batch, mut start) = (EventBatch::default(), None);
    // Rows forecast: the last row of each event (an event after a quiet gap samples several).
    let mut forecast_rows = std::collections::HashSet::new();
    'read: while reader.next_batch(&mut batch, 4096).expect("read") > 0 {
        for e in batch.iter() {
            if e.exchange_ts > 0 && e.exchange_ts > *start.get_or_insert(e.exchange_ts) + 40_000_000_000 {
                break 'read;
            }
            let before = signal.samples();
            signal.push(&e);
            per_horizon.iter_mut().for_each(|d| d.push(&e));
            if signal.samples() > before {
                signal.predict().expect("predict").expect("ready: seq 1");
                // Decisions outpace the grid: a second forecast on the same row is not scored twice.
                signal.predict().expect("predict");
                forecast_rows.insert(signal.last_row().expect("a row").0);
            }
        }
    }
    let forecasts = forecast_rows.len() as u64;
    assert!(forecasts > 300 && forecasts < signal.samples(), "{forecasts} forecasts of {} rows", signal.samples());
    let scores = signal.scores();
    assert_eq!(scores.iter().map(|s| s.horizon_ns).collect::<Vec<_>>(), horizons);
    for (k, ds) in per_horizon.into_iter().map(|d| d.finish()).enumerate() {
        let (mut correct, mut wrong) = (0, 0);
        let rows = ds.ts.iter().zip(&ds.features).zip(&ds.labels).filter(|((t, _), _)| forecast_rows.contains(*t));
        for ((_, row), label) in rows {
            let p = model.predict_window(std::slice::from_ref(row)).expect("predict");
            if p.decision(k) == label[0] { correct += 1 } else { wrong += 1 }
        }
        let s = &scores[k];
        assert_eq!((s.correct, s.wrong), (correct, wrong), "horizon {k}");
        assert_eq!(s.forecasts, forecasts);
        // No resets in these 40 s: nothing is unscored, the rest waits for the horizon to pass.
        assert_eq!((ds.stats.dropped_invalid, s.unscored), (0, 0), "horizon {k}");
        assert!(forecasts - (s.correct + s.wrong) <= ds.stats.dropped_past_end, "horizon {k}: pending past the end");
        let recent = s.recent() as f64;
        assert_eq!(recent as usize, (s.correct + s.wrong).min(flashmm_core::model::SCORE_WINDOW as u64) as usize);
        assert!(correct > 0 && wrong > 0, "horizon {k}: the test model must be right and wrong ({correct}, {wrong})");
        assert!(s.accuracy().is_some_and(|a| a > 0.0 && a < 1.0));
    }
}
