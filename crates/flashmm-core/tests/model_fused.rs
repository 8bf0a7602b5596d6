//! The fused LSTM, LayerNormalization and Softmax kernels the loader installs give tract's own
//! results: each architecture trained tiny on a recording, run by `Model` (fused) and by
//! plain `tract_onnx` (tract's expansions) on the same windows.

mod common;

use std::sync::OnceLock;

use flashmm_core::features::{Dataset, DatasetConfig, N_FEATURES, dataset_from_binance_file};
use flashmm_core::model::Model;
use flashmm_core::train::{ArchKind, TrainConfig, train_model};
use tract_onnx::prelude::*;

fn dataset() -> &'static Dataset {
    static D: OnceLock<Dataset> = OnceLock::new();
    D.get_or_init(|| {
        dataset_from_binance_file(&common::data_file("spot_ethusdt_20240808.gz"), DatasetConfig::default())
            .expect("dataset")
    })
}

/// tract without the fused kernels, batch `n`.
fn plain_tract(bytes: &[u8], x: &[f32], seq: usize) -> Vec<f32> {
    let n = x.len() / (seq * N_FEATURES);
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .and_then(|m| m.with_input_fact(0, f32::fact([n, seq, N_FEATURES]).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .expect("plain tract loads");
    let t = Tensor::from_shape(&[n, seq, N_FEATURES], x).unwrap();
    plan.run(tvec!(t.into_tvalue())).unwrap()[0].as_slice::<f32>().unwrap().to_vec()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn check(kind: ArchKind, fused_op: &str) {
    let cfg = TrainConfig { max_epochs: 1, ..TrainConfig::tiny(kind) };
    let m = train_model(std::slice::from_ref(dataset()), &cfg, |_| {}).expect("trains");
    let model = Model::from_bytes(&m.onnx).expect("loads");
    let w = m.seq * N_FEATURES;
    let n = 50.min(m.test.len());
    let x = &m.test.x[..n * w];
    // Batch plan and batch-1 session against tract's expansions.
    let d = max_diff(&model.logits(x).unwrap(), &plain_tract(&m.onnx, x, m.seq));
    let one = m.test.window(7);
    let rows: Vec<[f32; N_FEATURES]> = one.chunks(N_FEATURES).map(|r| r.try_into().unwrap()).collect();
    let p = model.predict_window(&rows).unwrap();
    let want = flashmm_core::model::Prediction::from_logits(&plain_tract(&m.onnx, one, m.seq)).unwrap();
    let d1 =
        p.probs().iter().flatten().zip(want.probs().iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    eprintln!("{}: fused vs tract max |Δ logit| {d:e} ({n} windows), batch-1 max |Δ p| {d1:e}", kind.name());
    assert!(d <= 1e-5 && d1 <= 1e-6, "{}: {d} {d1}", kind.name());
    assert!(model.describe_plan().contains(fused_op), "{}: {}", kind.name(), model.describe_plan());
}

#[test]
fn lstm_runs_fused_and_agrees_with_tract() {
    check(ArchKind::Lstm, "LstmRecurrence");
}

#[test]
fn transformer_runs_fused_and_agrees_with_tract() {
    check(ArchKind::Transformer, "LastAxisLayerNorm");
    check(ArchKind::Transformer, "LastAxisSoftmax");
}

#[test]
fn ensemble_runs_fused_and_agrees_with_tract() {
    check(ArchKind::Ensemble, "LstmRecurrence");
}
