//! Shared by the benches: where the recordings are, and loading one into memory so a bench
//! measures the engine, not gzip and JSON.
#![allow(dead_code)] // each bench uses its own part

use std::path::PathBuf;

use flashmm_core::book::SequenceRule;
use flashmm_core::replay::binance::{BinanceReader, sequence_rule};
use flashmm_core::replay::{Event, EventBatch};

/// `$FLASHMM_DATA_DIR/binance/<name>`, default `<repo>/../shared/data/binance/<name>`.
pub fn data_file(name: &str) -> PathBuf {
    let dir = std::env::var_os("FLASHMM_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    dir.join("binance").join(name)
}

/// Every event of a recording that `keep` accepts, in one batch, and its sequence rule.
pub fn load_events(name: &str, keep: impl Fn(&Event<'_>) -> bool) -> (EventBatch, SequenceRule) {
    let mut reader = BinanceReader::open(&data_file(name), None, None).expect("recording");
    let mut all = EventBatch::default();
    let mut batch = EventBatch::default();
    while reader.next_batch(&mut batch, 1 << 16).expect("clean recording") > 0 {
        for e in batch.iter().filter(|e| keep(e)) {
            all.push_event(&e);
        }
    }
    (all, sequence_rule(reader.market()))
}
