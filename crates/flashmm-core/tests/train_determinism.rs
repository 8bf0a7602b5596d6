//! Same data, config and seed → byte-identical ONNX; another seed → other bytes.

mod common;

use flashmm_core::features::{DatasetConfig, dataset_from_binance_file};
use flashmm_core::train::{ArchKind, TrainConfig, train_model};

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let ds = dataset_from_binance_file(&common::data_file("spot_ethusdt_20240808.gz"), DatasetConfig::default())
        .expect("dataset");
    let data = std::slice::from_ref(&ds);
    // The transformer has dropout (seeded masks) and the widest use of candle kernels.
    for kind in [ArchKind::Transformer, ArchKind::Mlp] {
        let cfg = TrainConfig { max_epochs: 2, ..TrainConfig::tiny(kind) };
        let a = train_model(data, &cfg, |_| {}).unwrap();
        let b = train_model(data, &cfg, |_| {}).unwrap();
        assert!(a.onnx == b.onnx, "{}: two runs with seed {} differ", kind.name(), cfg.seed);
        assert_eq!(a.members[0].val_loss, b.members[0].val_loss);
        let c = train_model(data, &TrainConfig { seed: cfg.seed + 1, ..cfg.clone() }, |_| {}).unwrap();
        assert!(a.onnx != c.onnx, "{}: another seed gave the same bytes", kind.name());
        // Not just the seed in the metadata: the weights differ.
        let x = a.test.window(0);
        assert_ne!(a.predict(x).unwrap(), c.predict(x).unwrap(), "{}", kind.name());
        eprintln!("{}: {} bytes, {:.0} samples/s", kind.name(), a.onnx.len(), a.samples_per_sec);
    }
}
