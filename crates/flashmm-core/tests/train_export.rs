//! Every architecture, trained tiny on real recordings, exports ONNX that tract runs to the
//! same logits as candle (batch 64+ and batch 1), with the contract's metadata.

mod common;

use std::sync::OnceLock;

use flashmm_core::features::{
    DEFAULT_CLIP, Dataset, DatasetConfig, N_FEATURES, dataset_from_binance_file, feature_names,
};
use flashmm_core::train::{ArchKind, TrainConfig, TrainedModel, train_model};
use prost::Message;
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

fn datasets() -> &'static [Dataset] {
    static D: OnceLock<Vec<Dataset>> = OnceLock::new();
    D.get_or_init(|| {
        ["spot_btcusdt_20240808.gz", "spot_ethusdt_20240808.gz"]
            .map(|n| dataset_from_binance_file(&common::data_file(n), DatasetConfig::default()).expect("dataset"))
            .to_vec()
    })
}

fn run_tract(bytes: &[u8], x: &[f32], seq: usize) -> Vec<f32> {
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .expect("tract reads the model")
        .into_optimized()
        .expect("optimises")
        .into_runnable()
        .expect("runnable");
    let n = x.len() / (seq * N_FEATURES);
    let input: Tensor = tract_ndarray::Array3::from_shape_vec((n, seq, N_FEATURES), x.to_vec()).unwrap().into();
    let out = model.run(tvec!(input.into())).expect("runs");
    let view = out[0].to_array_view::<f32>().unwrap();
    assert_eq!(view.shape(), &[n, 3, 3]);
    view.iter().copied().collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn check(kind: ArchKind) -> TrainedModel {
    let cfg = TrainConfig { max_epochs: 2, ..TrainConfig::tiny(kind) };
    let mut calls = 0;
    let m = train_model(datasets(), &cfg, |p| {
        calls += 1;
        assert!(p.batch <= p.batches && p.epoch <= p.epochs && p.train_loss.is_finite());
    })
    .expect("trains");
    assert!(calls > 0);
    let c = m.counts;
    eprintln!(
        "{}: train {} val {} test {} (dropped {}), best epoch {}, {:.0} samples/s, {} bytes",
        kind.name(),
        c.train,
        c.val,
        c.test,
        c.dropped_boundary,
        m.best_epoch,
        m.samples_per_sec,
        m.onnx.len()
    );
    assert!(c.test >= 64, "{c:?}");
    assert!(m.members.iter().all(|r| r.val_loss.iter().all(|v| v.is_finite())));

    // 200 held-out windows, then batch 1.
    let n = 200.min(m.test.len());
    let w = m.seq * N_FEATURES;
    let x = &m.test.x[..n * w];
    let d = max_diff(&run_tract(&m.onnx, x, m.seq), &m.predict(x).unwrap());
    assert!(d <= 1e-4, "{}: tract vs candle max |Δ| = {d}", kind.name());
    let one = m.test.window(n / 2);
    let d1 = max_diff(&run_tract(&m.onnx, one, m.seq), &m.predict(one).unwrap());
    assert!(d1 <= 1e-4, "{}: batch 1 max |Δ| = {d1}", kind.name());

    // Out-of-range inputs clip as Normalizer::apply does (the clip runs on raw values, the
    // normaliser's affine map is folded into the first layer).
    let mut odd = one.to_vec();
    odd[3] = 1e30;
    odd[5] = 3e3;
    odd[w - 1] = -1e30;
    let d2 = max_diff(&run_tract(&m.onnx, &odd, m.seq), &m.predict(&odd).unwrap());
    assert!(d2 <= 1e-4, "{}: odd inputs max |Δ| = {d2}", kind.name());
    eprintln!("{}: tract vs candle max |Δ|: {n} windows {d:e}, batch 1 {d1:e}, clipped inputs {d2:e}", kind.name());
    // The core never runs a model on a non-finite feature: it says which one.
    let served = flashmm_core::model::Model::from_bytes(&m.onnx).unwrap();
    let mut nan = one.to_vec();
    nan[w - N_FEATURES + 2] = f32::NAN;
    let rows: Vec<[f32; N_FEATURES]> = nan.chunks(N_FEATURES).map(|r| r.try_into().unwrap()).collect();
    let err = served.predict_window(&rows).unwrap_err().to_string();
    let row = m.seq - 1;
    assert_eq!(err, format!("feature 2 ({}) of window row {row} is not finite: NaN", feature_names()[2]));

    // Metadata of the contract.
    let proto = ModelProto::decode(&m.onnx[..]).unwrap();
    let meta = |k: &str| proto.metadata_props.iter().find(|e| e.key == k).map(|e| e.value.clone()).unwrap_or_default();
    assert_eq!(meta("flashmm.arch"), kind.name());
    assert_eq!(meta("flashmm.seq"), m.seq.to_string());
    assert_eq!(meta("flashmm.step_ns"), "100000000");
    assert_eq!(meta("flashmm.horizons_ns"), "100000000,200000000,500000000");
    assert_eq!(meta("flashmm.classes"), "down,flat,up");
    assert_eq!(meta("flashmm.features"), feature_names().join(","));
    assert_eq!(meta("flashmm.seed"), "42");
    let norm = flashmm_core::features::Normalizer::from_json(&meta("flashmm.normalizer")).unwrap();
    assert_eq!(norm, m.normalizer);
    assert_eq!(norm.clip, DEFAULT_CLIP);
    let back: TrainConfig = serde_json::from_str(&meta("flashmm.train_config")).unwrap();
    assert_eq!(back, cfg);
    let graph = proto.graph.unwrap();
    assert_eq!(graph.input[0].name, "features");
    assert_eq!(graph.output[0].name, "logits");
    assert!(!graph.node.iter().any(|n| n.op_type == "Dropout"));
    m
}

#[test]
fn mlp_exports_to_tract() {
    let m = check(ArchKind::Mlp);
    assert_eq!(m.seq, 1);
}

#[test]
fn lstm_exports_to_tract() {
    let m = check(ArchKind::Lstm);
    let proto = ModelProto::decode(&m.onnx[..]).unwrap();
    assert!(proto.graph.unwrap().node.iter().any(|n| n.op_type == "LSTM"));
}

#[test]
fn transformer_exports_to_tract() {
    check(ArchKind::Transformer);
}

#[test]
fn ensemble_exports_to_tract() {
    let m = check(ArchKind::Ensemble);
    assert_eq!(m.members.len(), 2);
    // log of a mean of probabilities: each horizon's exp(logits) sums to 1.
    let l = m.predict(m.test.window(0)).unwrap();
    for h in l.chunks(3) {
        assert!((h.iter().map(|v| v.exp()).sum::<f32>() - 1.0).abs() < 1e-5, "{h:?}");
    }
}
