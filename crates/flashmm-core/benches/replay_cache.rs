//! Reading a recording, end to end inside the core: the gzip + JSON reader against its
//! decoded-event cache (`replay::cache`, memory-mapped, checksum verified on open) and against
//! hftbacktest's `.npz` of the same recording when one is given in `FLASHMM_BENCH_NPZ` (made by
//! `bench/hftbacktest/compare.py`). Each iteration opens the input and reads it to the end, or
//! opens it and runs the same backtest as `benches/backtest.rs` (to `to_json`), which is what
//! `flashmm backtest` does minus Node.
//! Data: `$FLASHMM_DATA_DIR/binance` (default `../shared/data/binance`).

use std::hint::black_box;
use std::path::{Path, PathBuf};

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use flashmm_core::backtest::{Backtest, BacktestConfig, BaselineConfig, BaselineQuoter, QuoteMode};
use flashmm_core::replay::cache;
use flashmm_core::replay::input::{InputOptions, RecordedSource};
use flashmm_core::replay::{EventBatch, EventSource};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};

const FILE: &str = "usdm_btcusdt_20240808.gz";
const MS: i64 = 1_000_000;

fn read_to_end(path: &Path, use_cache: bool) -> usize {
    let mut src = RecordedSource::open(path, &InputOptions { use_cache, ..InputOptions::default() }).unwrap().source;
    let mut b = EventBatch::default();
    let mut n = 0;
    while src.next_batch(&mut b).unwrap() > 0 {
        n += b.len();
    }
    n
}

fn backtest_json(path: &Path, use_cache: bool) -> String {
    let src = RecordedSource::open(path, &InputOptions { use_cache, ..InputOptions::default() }).unwrap().source;
    let sim = SimConfig::new(src.spec(), src.rule()).with_fees(-50, 400).with_queue(QueueModel::Power(2.0));
    let cfg = BacktestConfig::new(sim, ConstantLatency::new(5 * MS, 5 * MS).unwrap());
    let quoter =
        BaselineQuoter::new(BaselineConfig { mode: QuoteMode::JoinTouch, lots: 1, limit_lots: 10, post_only: true });
    let mut src = src;
    Backtest::new(cfg, quoter).unwrap().run(&mut src).unwrap().to_json()
}

fn inputs(c: &mut Criterion) {
    let gz = common::data_file(FILE);
    let dir = std::env::temp_dir().join(format!("flashmm-bench-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cached = dir.join(format!("{FILE}.{}", cache::EXTENSION));
    cache::convert(&gz, &cached).unwrap();
    assert_eq!(backtest_json(&cached, true), backtest_json(&gz, false));
    let npz = std::env::var_os("FLASHMM_BENCH_NPZ").map(PathBuf::from);

    let mut g = c.benchmark_group("read");
    g.bench_function("gzip_json", |b| b.iter(|| black_box(read_to_end(&gz, false))));
    g.bench_function("cache", |b| b.iter(|| black_box(read_to_end(&cached, true))));
    if let Some(npz) = &npz {
        g.bench_function("hftbacktest_npz", |b| b.iter(|| black_box(read_to_end(npz, true))));
    }
    g.finish();
    let mut g = c.benchmark_group("open_and_backtest");
    g.bench_function("gzip_json", |b| b.iter(|| black_box(backtest_json(&gz, false).len())));
    g.bench_function("cache", |b| b.iter(|| black_box(backtest_json(&cached, true).len())));
    if let Some(npz) = &npz {
        g.bench_function("hftbacktest_npz", |b| b.iter(|| black_box(backtest_json(npz, true).len())));
    }
    g.finish();
    g = c.benchmark_group("convert");
    g.sample_size(10);
    g.bench_function("gzip_to_cache", |b| b.iter(|| black_box(cache::convert(&gz, &cached).unwrap().bytes)));
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, inputs);
criterion_main!(benches);
