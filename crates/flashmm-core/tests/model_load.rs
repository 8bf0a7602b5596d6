//! Loading ONNX models: exact outputs of a hand-computable model, every contract
//! violation rejected with a message naming it, corrupt bytes rejected without a panic.

mod common;
mod model_support;

use common::Rng;
use flashmm_core::features::{N_FEATURES, feature_names};
use flashmm_core::model::{ContractError, Model, ModelError, Prediction};
use model_support::{D, INT64, Spec, softmax_conf, window};
use tract_onnx::pb::ModelProto;

fn load(spec: &Spec) -> Result<Model, ModelError> {
    Model::from_bytes(&spec.bytes())
}

fn rejected(spec: &Spec) -> String {
    match load(spec) {
        Ok(_) => panic!("loaded a model that breaks the contract: {spec:?}"),
        Err(e) => e.to_string(),
    }
}

#[track_caller]
fn assert_matches_hand(spec: &Spec, w: &[[f32; N_FEATURES]], p: &Prediction) {
    let logits = spec.expected_logits(w);
    assert_eq!(p.horizons(), spec.horizons);
    for h in 0..spec.horizons {
        let (probs, conf) = softmax_conf(&logits[h * 3..h * 3 + 3]);
        for c in 0..3 {
            assert!((p.probs()[h][c] as f64 - probs[c]).abs() <= 1e-6, "h{h} c{c}: {:?} vs {probs:?}", p.probs()[h]);
        }
        assert!((p.confidence()[h] as f64 - conf).abs() <= 1e-6, "h{h}: {} vs {conf}", p.confidence()[h]);
        let em = probs[2] - probs[0];
        assert!((p.expected_move(h) as f64 - em).abs() <= 1e-6);
    }
    assert_eq!(p.overall_confidence(), p.confidence()[0]);
}

#[test]
fn a_contract_model_loads_with_its_metadata_and_predicts_exactly() {
    let spec = Spec::new(4, 3);
    let m = load(&spec).expect("load");
    let info = m.info();
    assert_eq!((info.seq, info.horizons, info.step_ns), (4, 3, 100_000_000));
    assert_eq!(info.horizons_ns.as_deref(), Some(&[100_000_000, 200_000_000, 300_000_000][..]));
    assert_eq!(info.arch.as_deref(), Some("tiny-linear"));
    assert!(info.dynamic_batch && m.has_batch_plan());
    for salt in 0..5 {
        let w = window(4, salt);
        let p = m.predict_window(&w).expect("predict");
        assert_matches_hand(&spec, &w, &p);
    }
}

#[test]
fn softmax_and_confidence_match_hand_numbers() {
    // Uniform logits: probabilities 1/3, confidence 0.
    let p = Prediction::from_logits(&[0.5, 0.5, 0.5, 0.0, 0.0, 50.0]).unwrap();
    assert!(p.probs()[0].iter().all(|&x| (x - 1.0 / 3.0).abs() < 1e-7));
    assert!(p.confidence()[0].abs() < 1e-7);
    // Near-certain up: confidence ≈ 1, expected move ≈ +1.
    assert!(p.confidence()[1] > 0.999_999 && (p.expected_move(1) - 1.0).abs() < 1e-6);
    // ln-ratios: logits (0, ln 2, ln 5) → p = (1/8, 2/8, 5/8).
    let p = Prediction::from_logits(&[0.0, 2f32.ln(), 5f32.ln()]).unwrap();
    let want: [f64; 3] = [0.125, 0.25, 0.625];
    for (got, want) in p.probs()[0].iter().zip(want) {
        assert!((f64::from(*got) - want).abs() < 1e-7);
    }
    let h: f64 = -want.iter().map(|q| q * q.ln()).sum::<f64>();
    assert!((p.confidence()[0] as f64 - (1.0 - h / 3f64.ln())).abs() < 1e-6);
    assert!((p.expected_move(0) - 0.5).abs() < 1e-7);
    assert_eq!(Prediction::from_logits(&[0.0, f32::NAN, 1.0]), Err(0));
}

#[test]
fn batch_prediction_equals_one_by_one() {
    for (spec, batch_plan) in [
        (Spec::new(4, 3), true),
        (Spec { input_dims: vec![D::Fixed(1), D::Fixed(4), D::Fixed(64)], ..Spec::new(4, 3) }, false),
    ] {
        let m = load(&spec).expect("load");
        assert_eq!(m.has_batch_plan(), batch_plan);
        let ws: Vec<Vec<[f32; N_FEATURES]>> = (0..7).map(|s| window(4, s)).collect();
        let refs: Vec<&[[f32; N_FEATURES]]> = ws.iter().map(|w| w.as_slice()).collect();
        let batch = m.predict_batch(&refs).expect("batch");
        assert_eq!(batch.len(), 7);
        for (w, p) in ws.iter().zip(&batch) {
            assert_matches_hand(&spec, w, p);
            let one = m.predict_window(w).unwrap();
            for h in 0..3 {
                for c in 0..3 {
                    assert!((one.probs()[h][c] - p.probs()[h][c]).abs() <= 1e-6);
                }
            }
        }
        assert!(m.predict_batch(&[]).unwrap().is_empty());
        let short = &ws[0][..3];
        assert!(matches!(
            m.predict_batch(&[refs[0], short]),
            Err(ModelError::WindowLength { index: 1, len: 3, seq: 4 })
        ));
    }
}

#[test]
fn models_without_metadata_or_declared_output_shape_load() {
    let spec = Spec {
        metadata: vec![],
        declare_output: false,
        input_dims: vec![D::Unknown, D::Fixed(2), D::Fixed(64)],
        ..Spec::new(2, 5)
    };
    let m = load(&spec).expect("load");
    assert_eq!((m.seq(), m.horizons(), m.info().step_ns), (2, 5, 100_000_000));
    assert_eq!(m.info().horizons_ns, None);
    let w = window(2, 3);
    assert_matches_hand(&spec, &w, &m.predict_window(&w).unwrap());
}

#[test]
fn each_contract_violation_is_rejected_naming_it() {
    let base = Spec::new(4, 3);
    let cases: Vec<(Spec, &str)> = vec![
        (Spec { input_name: "x".into(), ..base.clone() }, "expected an input named `features`, found inputs [\"x\"]"),
        (Spec { input_type: INT64, ..base.clone() }, "input `features` must be float32, found int64"),
        (
            Spec { input_dims: vec![D::Param("batch"), D::Fixed(4), D::Fixed(63)], metadata: vec![], ..base.clone() },
            "last dimension must be 64 (the feature count), found 63",
        ),
        (
            Spec { input_dims: vec![D::Fixed(4), D::Fixed(64)], ..base.clone() },
            "must have rank 3 [batch, seq, 64], found rank 2: [4, 64]",
        ),
        (
            Spec { input_dims: vec![D::Param("batch"), D::Param("seq"), D::Fixed(64)], ..base.clone() },
            "sequence dimension must be a fixed positive size, found seq",
        ),
        (
            Spec { input_dims: vec![D::Fixed(8), D::Fixed(4), D::Fixed(64)], ..base.clone() },
            "batch dimension must be dynamic or 1, found 8",
        ),
        (
            Spec { extra_input: Some("mask".into()), ..base.clone() },
            "expected exactly one input (`features`), found 2 inputs: [\"features\", \"mask\"]",
        ),
        (
            Spec { output_name: "probs".into(), ..base.clone() },
            "expected an output named `logits`, found outputs [\"probs\"]",
        ),
        (
            Spec { horizons: 3, classes: 2, ..base.clone() },
            "must have 3 classes (down, flat, up) in its last dimension, found 2",
        ),
        // Undeclared output shape: tract's typing finds the 2 classes.
        (
            Spec { horizons: 3, classes: 2, declare_output: false, ..base.clone() },
            "must have 3 classes (down, flat, up) in its last dimension, found 2",
        ),
        (Spec { horizons: 9, metadata: vec![], ..base.clone() }, "has 9 horizons, at most 8 are supported"),
    ];
    for (spec, want) in cases {
        let msg = rejected(&spec);
        assert!(msg.contains(want), "message `{msg}` lacks `{want}`");
        assert!(msg.starts_with("model does not meet the FlashMM ONNX contract"), "{msg}");
    }
}

#[test]
fn metadata_that_disagrees_is_rejected_naming_the_difference() {
    let with = |key: &str, value: String| {
        let mut s = Spec::new(4, 3);
        s.metadata.retain(|(k, _)| k != key);
        s.metadata.push((key.into(), value));
        s
    };
    let mut names: Vec<&str> = feature_names().to_vec();
    names.swap(5, 6);
    let (a, b) = (feature_names()[6], feature_names()[5]);
    let cases = vec![
        (
            with("flashmm.features", names.join(",")),
            format!("metadata `flashmm.features`: feature 5 is `{a}` in the model, `{b}` in the core"),
        ),
        (with("flashmm.features", feature_names()[..63].join(",")), "lists 63 names, the core has 64".into()),
        (with("flashmm.classes", "up,flat,down".into()), "metadata `flashmm.classes`: is `up,flat,down`".into()),
        (with("flashmm.seq", "8".into()), "metadata `flashmm.seq`: says 8, the input's sequence dimension is 4".into()),
        (with("flashmm.horizons_ns", "100000000,500000000".into()), "lists 2 horizons, the output has 3".into()),
        (
            with("flashmm.step_ns", "-5".into()),
            "metadata `flashmm.step_ns`: `-5` is not a positive number of ns".into(),
        ),
    ];
    for (spec, want) in cases {
        let msg = rejected(&spec);
        assert!(msg.contains(&want), "message `{msg}` lacks `{want}`");
    }
    let m = load(&with("flashmm.step_ns", "250000000".into())).unwrap();
    assert_eq!(m.info().step_ns, 250_000_000);
}

#[test]
fn typed_errors_carry_the_details() {
    match load(&Spec { input_type: INT64, ..Spec::new(4, 3) }) {
        Err(ModelError::Contract(ContractError::InputDtype { found })) => assert_eq!(found, "int64"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn corrupt_bytes_are_errors_not_panics() {
    let good = Spec::new(4, 3).bytes();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut next = || rng.next();
    assert!(matches!(Model::from_bytes(&[]), Err(ModelError::Corrupt(_))));
    for len in [1, 7, 100, 1000, 10_000] {
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        assert!(Model::from_bytes(&bytes).is_err(), "random {len} bytes loaded");
    }
    // Truncations of a valid model (coarse steps, plus the last 300 bytes one by one). A cut
    // that falls between two top-level fields (e.g. drops the last metadata entry) leaves
    // a well-formed protobuf, which may be a valid model; every other cut is `Corrupt`.
    let (mut boundary, mut cuts) = (0, 0);
    for cut in (1..good.len()).step_by(37).chain(good.len().saturating_sub(300)..good.len()) {
        cuts += 1;
        let r = Model::from_bytes(&good[..cut]);
        if <ModelProto as prost::Message>::decode(&good[..cut]).is_ok() {
            boundary += 1;
        } else {
            assert!(matches!(r, Err(ModelError::Corrupt(_))), "truncated at {cut} of {}: {r:?}", good.len());
        }
    }
    assert!(boundary <= 8, "{boundary} of {cuts} cuts decode");
    assert!(Model::from_bytes(&good[..good.len() / 2]).is_err());
    // Flipped bytes may decode into another valid graph or not; either way, no panic.
    for _ in 0..300 {
        let mut b = good.clone();
        let i = next() as usize % b.len();
        b[i] ^= (next() as u8) | 1;
        let _ = Model::from_bytes(&b);
    }
    // A missing file and an empty file.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    assert!(matches!(Model::load(dir.join("no-such-model.onnx")), Err(ModelError::Io { .. })));
    let empty = model_support::temp_file("empty.onnx", &[]);
    assert!(matches!(Model::load(&empty), Err(ModelError::Corrupt(_))));
}
