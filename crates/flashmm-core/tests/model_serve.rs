//! Serving: the predictor's window, hot reload while predicting, and the grid sampler
//! reproducing the dataset's rows on a recording.

mod common;
mod model_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flashmm_core::features::{DatasetBuilder, DatasetConfig, N_FEATURES};
use flashmm_core::model::{GridSampler, Model, ModelError, ModelSlot, Prediction, Predictor};
use flashmm_core::replay::binance::{FileReader, sequence_rule};
use flashmm_core::replay::{EventBatch, EventKind};
use model_support::{Spec, temp_file, window};

fn model(spec: &Spec) -> Model {
    Model::from_bytes(&spec.bytes()).expect("load")
}

#[test]
fn the_window_rolls_and_predicts_on_the_latest_vectors() {
    let m = Arc::new(model(&Spec::new(4, 3)));
    let mut p = Predictor::new(Arc::clone(&m));
    let vs = window(10, 1);
    for (i, v) in vs.iter().enumerate() {
        assert_eq!(p.is_ready(), i >= 4);
        if i < 4 {
            assert!(matches!(p.predict(), Err(ModelError::NotReady { have, seq: 4 }) if have == i));
        }
        p.push(v);
        let want = &vs[(i + 1).saturating_sub(4)..=i];
        assert!(p.window().eq(want.iter()), "window after {} pushes", i + 1);
        if p.is_ready() {
            assert_eq!(p.predict().unwrap(), m.predict_window(want).unwrap());
        }
    }
    p.clear();
    assert!(p.is_empty() && !p.is_ready());
}

/// Which of two models' predictions `p` is.
fn which(p: &Prediction, a: &Prediction, b: &Prediction) -> char {
    if p == a {
        'A'
    } else if p == b {
        'B'
    } else {
        panic!("prediction from neither model: {p:?}")
    }
}

#[test]
fn reload_from_another_thread_switches_models_exactly_once_without_a_failed_prediction() {
    let spec_a = Spec::new(4, 3);
    let spec_b = Spec { scale: -0.5, ..Spec::new(4, 3) };
    let path_b = temp_file("b.onnx", &spec_b.bytes());
    let corrupt = temp_file("corrupt.onnx", &spec_b.bytes()[..200]);
    let w = window(4, 2);
    let (a, b) = (model(&spec_a).predict_window(&w).unwrap(), model(&spec_b).predict_window(&w).unwrap());
    assert_ne!(a, b);

    let slot = Arc::new(ModelSlot::new(model(&spec_a)));
    let mut p = Predictor::from_slot(Arc::clone(&slot));
    for v in &w {
        p.push(v);
    }
    let done = Arc::new(AtomicUsize::new(0));
    let reloader = {
        let (slot, done) = (Arc::clone(&slot), Arc::clone(&done));
        std::thread::spawn(move || {
            while done.load(Ordering::Acquire) < 300 {
                std::thread::yield_now();
            }
            // A corrupt file first: refused, the old model keeps serving.
            let err = slot.reload(&corrupt).expect_err("corrupt file loaded");
            assert!(matches!(err, ModelError::Corrupt(_)), "{err}");
            assert_eq!(slot.generation(), 0);
            slot.reload(&path_b).expect("reload");
        })
    };
    let (mut seen, mut after) = (String::new(), 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while after < 300 {
        assert!(Instant::now() < deadline, "no switch within 60 s");
        let got = which(&p.predict().expect("every prediction succeeds"), &a, &b);
        if !seen.ends_with(got) {
            seen.push(got);
        }
        after += (got == 'B') as usize;
        done.fetch_add(1, Ordering::Release);
    }
    reloader.join().expect("reloader");
    assert_eq!(seen, "AB", "outputs must switch from A to B exactly once");
    assert_eq!(slot.generation(), 1);
    eprintln!("{} predictions, switched once", done.load(Ordering::Relaxed));
}

#[test]
fn a_failed_reload_leaves_the_old_model_serving() {
    let spec = Spec::new(4, 3);
    let slot = Arc::new(ModelSlot::new(model(&spec)));
    let mut p = Predictor::from_slot(Arc::clone(&slot));
    let w = window(4, 0);
    w.iter().for_each(|v| p.push(v));
    let before = p.predict().unwrap();
    let bad_contract = temp_file("bad-contract.onnx", &Spec { input_name: "x".into(), ..Spec::new(4, 3) }.bytes());
    let garbage = temp_file("garbage.onnx", b"definitely not a protobuf \xff\xff\xff\xff");
    let empty = temp_file("empty2.onnx", b"");
    for path in [&bad_contract, &garbage, &empty] {
        assert!(slot.reload(path).is_err(), "{}", path.display());
    }
    assert!(slot.reload("/nonexistent/model.onnx").is_err());
    assert_eq!(slot.generation(), 0);
    assert_eq!(p.predict().unwrap(), before);
}

#[test]
fn a_reload_with_another_seq_resizes_the_window() {
    let slot = Arc::new(ModelSlot::new(model(&Spec::new(4, 3))));
    let mut p = Predictor::from_slot(Arc::clone(&slot));
    let vs = window(12, 5);
    vs[..4].iter().for_each(|v| p.push(v));
    assert!(p.predict().is_ok());
    // Longer window: the 4 vectors are kept, not ready until 6.
    let spec6 = Spec::new(6, 2);
    slot.replace(Arc::new(model(&spec6)));
    assert!(matches!(p.predict(), Err(ModelError::NotReady { have: 4, seq: 6 })));
    vs[4..6].iter().for_each(|v| p.push(v));
    let got = p.predict().unwrap();
    assert_eq!(got, model(&spec6).predict_window(&vs[..6]).unwrap());
    assert_eq!(got.horizons(), 2);
    // Shorter window: the newest 2 are kept, ready at once.
    let spec2 = Spec::new(2, 3);
    slot.replace(Arc::new(model(&spec2)));
    assert_eq!(p.predict().unwrap(), model(&spec2).predict_window(&vs[4..6]).unwrap());
    assert_eq!(p.seq(), 2);
    // Same seq: the window survives as is.
    slot.replace(Arc::new(model(&Spec { scale: 2.0, ..Spec::new(2, 3) })));
    assert!(p.is_ready());
    assert!(p.window().eq(vs[4..6].iter()));
}

#[test]
fn grid_points_follow_the_dataset_rule() {
    let mut s = GridSampler::new(100);
    assert_eq!(s.cross(0).count, 0); // untimed
    assert_eq!(s.cross(250).count, 0); // first timed event: grid starts at 300
    assert_eq!(s.next_grid(), Some(300));
    assert_eq!(s.cross(300).count, 0); // g < ts only: 300 is sampled by the next event
    let p = s.cross(301);
    assert_eq!((p.first, p.count), (300, 1));
    let p = s.cross(200); // stamped earlier: counts at the clock
    assert_eq!(p.count, 0);
    let p = s.cross(1_000); // a quiet gap: 400..=900
    assert_eq!((p.first, p.count, p.last()), (400, 6, Some(900)));
    let mut t = GridSampler::new(100);
    assert_eq!(t.cross(500).count, 0); // on the grid: 500 is sampled by the next event
    assert_eq!(t.cross(501).iter().collect::<Vec<_>>(), vec![500]);
}

/// The sampler, fed the engine before each event, pushes exactly the dataset's rows.
#[test]
fn grid_sampler_reproduces_dataset_rows_on_a_recording() {
    const SEQ: usize = 4;
    const STEP: i64 = 100_000_000;
    let path = common::data_file("spot_btcusdt_20240808.gz");
    let mut reader = FileReader::open(&path, None, None).expect("open");
    let cfg = DatasetConfig { warmup_ns: 2_000_000_000, ..Default::default() };
    let mut ds = DatasetBuilder::new(sequence_rule(reader.market()), cfg);
    let mut p = Predictor::new(Arc::new(model(&Spec::new(SEQ, 3))));
    let mut sampler = GridSampler::new(STEP);
    let (mut pushed, mut before_event) = (HashMap::new(), HashMap::new());
    let mut batch = EventBatch::default();
    let mut start = None;
    'read: while reader.next_batch(&mut batch, 4096).expect("read") > 0 {
        for e in batch.iter() {
            if e.kind != EventKind::BookTicker {
                let mut probe = sampler;
                if probe.cross(e.exchange_ts).count == 0 {
                    sampler = probe; // only the clock moved
                } else {
                    // The dataset's engine as of the last event, advanced on a copy.
                    let mut engine = ds.engine().clone();
                    let pts = sampler.on_event_engine(e.exchange_ts, &mut engine, &mut p);
                    let k = (pts.count as usize).min(SEQ);
                    let win: Vec<[f32; N_FEATURES]> = p.window().copied().collect();
                    for j in 0..k {
                        let g = pts.last().unwrap() - (k - 1 - j) as i64 * STEP;
                        pushed.insert(g, win[win.len() - k + j]);
                        before_event.insert(g, *ds.engine().features());
                    }
                }
                let t0 = *start.get_or_insert(e.exchange_ts.max(1));
                if e.exchange_ts > t0 + 45_000_000_000 {
                    break 'read;
                }
            }
            ds.push(&e);
        }
    }
    let data = ds.finish();
    assert!(data.len() >= 300, "{} rows", data.len());
    let mut stale = 0;
    for (t, row) in data.ts.iter().zip(&data.features).take(400) {
        let got = pushed.get(t).unwrap_or_else(|| panic!("no vector pushed for grid time {t}"));
        assert!(got.iter().zip(row).all(|(a, b)| a.to_bits() == b.to_bits()), "grid time {t} differs");
        stale += (before_event[t] != *row) as usize;
    }
    // Why the engine is needed: the pre-event vector is not what the dataset samples.
    eprintln!("{stale} of 400 rows differ from the un-advanced pre-event vector");
}
