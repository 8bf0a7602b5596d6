//! Serving: the predictor's window and hot reload while predicting. That the live rows are the
//! dataset's is `model_signal.rs`.

mod common;
mod model_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flashmm_core::model::{Model, ModelError, ModelSlot, Prediction, Predictor};
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
fn a_predictor_keeps_its_run_state_across_threads() {
    // The session (tract's run state) is built once and moved with the predictor.
    let m = Arc::new(model(&Spec::new(4, 3)));
    let vs = window(12, 9);
    let mut p = Predictor::new(Arc::clone(&m));
    vs[..4].iter().for_each(|v| p.push(v));
    let first = p.predict().unwrap();
    assert_eq!(first, m.predict_window(&vs[..4]).unwrap());
    let (mut p, second) = std::thread::spawn(move || {
        p.push(&vs[4]);
        let got = p.predict().unwrap();
        (p, got)
    })
    .join()
    .unwrap();
    let vs = window(12, 9);
    assert_eq!(second, m.predict_window(&vs[1..5]).unwrap());
    p.push(&vs[5]);
    assert_eq!(p.predict().unwrap(), m.predict_window(&vs[2..6]).unwrap());
}
