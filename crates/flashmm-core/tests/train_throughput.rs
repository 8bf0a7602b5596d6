//! Training throughput of the reference configurations (ignored by default: minutes).
//! `cargo test --release -p flashmm-core --test train_throughput -- --ignored --nocapture`

mod common;

use flashmm_core::features::{DatasetConfig, dataset_from_binance_file};
use flashmm_core::train::{ArchConfig, ArchKind, TrainConfig, train_model};

#[test]
#[ignore]
fn reference_configs_throughput() {
    let data: Vec<_> = ["spot_btcusdt_20240808.gz", "spot_ethusdt_20240808.gz"]
        .iter()
        .map(|n| dataset_from_binance_file(&common::data_file(n), DatasetConfig::default()).expect("dataset"))
        .collect();
    for kind in [ArchKind::Mlp, ArchKind::Lstm, ArchKind::Transformer] {
        let cfg = TrainConfig { max_epochs: 1, ..TrainConfig::new(ArchConfig::reference(kind)) };
        let m = train_model(&data, &cfg, |_| {}).unwrap();
        eprintln!(
            "{}: {} train samples, {:.0} samples/s, val loss {:.4}, {} bytes",
            kind.name(),
            m.counts.train,
            m.samples_per_sec,
            m.best_val_loss[0],
            m.onnx.len()
        );
    }
}
