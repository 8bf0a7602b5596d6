//! Order-book throughput on a real recording (USD-M BTCUSDT, 443 k level updates).
//! Data: `$FLASHMM_DATA_DIR/binance` (default `../shared/data/binance`).

use std::hint::black_box;

mod common;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use flashmm_core::book::{L2Book, Level, SequenceRule, Side};
use flashmm_core::replay::binance::BinanceReader;
use flashmm_core::replay::{BookReplay, EventBatch, EventKind};

const FILE: &str = "usdm_btcusdt_20240808.gz";

/// Only snapshots and depth diffs: what the book itself consumes.
fn load_depth_events() -> (EventBatch, SequenceRule) {
    common::load_events(FILE, |e| matches!(e.kind, EventKind::Snapshot | EventKind::DepthDiff))
}

fn replay_recording(c: &mut Criterion) {
    let (events, rule) = load_depth_events();
    let mut probe = BookReplay::new(rule);
    probe.apply_batch(&events);
    let updates = probe.counts().level_updates;
    assert_eq!(probe.counts().gaps, 0);

    let mut g = c.benchmark_group("book");
    g.throughput(Throughput::Elements(updates));
    g.bench_function("replay_level_updates", |b| {
        b.iter_batched(
            || BookReplay::new(rule),
            |mut r| {
                r.apply_batch(black_box(&events));
                r
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn single_update(c: &mut Criterion) {
    // A 1000-level book; updates walk the 20 levels nearest the touch, as live flow does.
    let mut book = L2Book::new(SequenceRule::None);
    let bids: Vec<Level> = (0..1000).map(|i| Level::new(100_000 - i, 1 + i % 7)).collect();
    let asks: Vec<Level> = (0..1000).map(|i| Level::new(100_001 + i, 1 + i % 5)).collect();
    book.apply_snapshot(0, &bids, &asks);
    let mut i: i64 = 0;
    let mut g = c.benchmark_group("book");
    g.throughput(Throughput::Elements(1));
    g.bench_function("apply_level_near_touch", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let depth = i % 20;
            // Alternate delete / re-insert so the level count stays constant.
            let size = if i % 40 < 20 { 0 } else { 3 };
            let side = if i & 1 == 0 { Side::Buy } else { Side::Sell };
            let price = if side == Side::Buy { 100_000 - depth } else { 100_001 + depth };
            black_box(book.apply_level(side, Level::new(price, size)).ok());
        })
    });
    g.finish();
}

fn top_levels(c: &mut Criterion) {
    // The replayed book's final state (~3000 levels a side): what a strategy reads per tick.
    let (events, rule) = load_depth_events();
    let mut r = BookReplay::new(rule);
    r.apply_batch(&events);
    let book = r.book;
    let mut g = c.benchmark_group("book");
    g.throughput(Throughput::Elements(1));
    g.bench_function("top_levels_10_both_sides", |b| {
        b.iter(|| {
            let book = black_box(&book);
            let bid: i64 = book.top_levels(Side::Buy, 10).map(|l| l.size).sum();
            let ask: i64 = book.top_levels(Side::Sell, 10).map(|l| l.size).sum();
            bid + ask
        })
    });
    g.finish();
}

fn read_recording(c: &mut Criterion) {
    let mut g = c.benchmark_group("reader");
    g.sample_size(10);
    let lines = {
        let mut r = BinanceReader::open(&common::data_file(FILE), None, None).expect("recording");
        let mut batch = EventBatch::default();
        while r.next_batch(&mut batch, 1 << 16).expect("clean") > 0 {}
        r.lines_read()
    };
    g.throughput(Throughput::Elements(lines));
    g.bench_function("decode_gzip_json_lines", |b| {
        b.iter(|| {
            let mut r = BinanceReader::open(&common::data_file(FILE), None, None).expect("recording");
            let mut batch = EventBatch::default();
            let mut n = 0;
            while r.next_batch(&mut batch, 1 << 14).expect("clean") > 0 {
                n += batch.len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, replay_recording, single_update, top_levels, read_recording);
criterion_main!(benches);
