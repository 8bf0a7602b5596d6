//! Backtest throughput: the built-in two-sided quoter at 100 ms decisions over a real
//! recording (USD-M BTCUSDT, ~6 minutes), probabilistic (power 2) queue model, constant 5 ms
//! entry / response latency. The events are read, ordered and preloaded into memory first, so
//! this measures the backtest (simulator, decisions, records, statistics), not gzip or JSON.
//! Throughput is in **events as hftbacktest counts them: one per level row** (a depth message
//! of n levels is n events, a trade is 1), the unit of the goal (≥ 5 M events/s) and of
//! the comparison with hftbacktest. The recording has 27 865 messages (book tickers are not fed
//! to the simulator) holding 466 834 rows; messages/s = rows/s × 27 865 / 466 834.
//! Data: `$FLASHMM_DATA_DIR/binance` (default `../shared/data/binance`).

use std::hint::black_box;

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flashmm_core::backtest::{Backtest, BacktestConfig, BaselineConfig, BaselineQuoter, QuoteMode};
use flashmm_core::replay::MemorySource;
use flashmm_core::replay::binance::BinanceSource;
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};

const FILE: &str = "usdm_btcusdt_20240808.gz";
const MS: i64 = 1_000_000;

fn backtest(c: &mut Criterion) {
    let mut src = BinanceSource::open(&common::data_file(FILE), None, None).expect("recording");
    let spec = src.spec().clone();
    let rule = src.rule();
    let events = src.read_all().expect("clean recording");
    let sim = SimConfig::new(&spec, rule).with_fees(-50, 400).with_queue(QueueModel::Power(2.0));
    let cfg = BacktestConfig::new(sim, ConstantLatency::new(5 * MS, 5 * MS).unwrap());
    let quoter =
        || BaselineQuoter::new(BaselineConfig { mode: QuoteMode::JoinTouch, lots: 1, limit_lots: 10, post_only: true });
    // The whole preloaded batch fed at once (what `run` over a `MemorySource` does, minus the
    // copy into chunks).
    let run = || {
        let mut bt = Backtest::new(cfg.clone(), quoter()).unwrap();
        bt.feed(&events);
        bt.finish().unwrap()
    };
    let streamed =
        Backtest::new(cfg.clone(), quoter()).unwrap().run(&mut MemorySource::new(&events).with_chunk(8192)).unwrap();
    assert_eq!(streamed.to_json(), run().to_json());
    // hftbacktest counts one event per level row (a depth message of n levels is n events).
    let rows = events.levels.len();
    let probe = run();
    eprintln!(
        "{} events ({} level rows), {} steps, {} fills, net {} money units",
        probe.counts.events,
        rows,
        probe.counts.steps,
        probe.fills.len(),
        probe.stats.pnl.net
    );

    let mut g = c.benchmark_group("backtest");
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("usdm_btcusdt_quoter_100ms", |b| b.iter(|| black_box(run().stats.pnl.net)));
    g.finish();
}

criterion_group!(benches, backtest);
criterion_main!(benches);
