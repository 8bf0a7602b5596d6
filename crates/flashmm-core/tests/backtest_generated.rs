//! Backtests on a generated market ([`ZiSource`]): reproducible byte for byte for a seed,
//! different for another seed, fills on both sides; and the delayed-book mode
//! ([`FeedDelay`]) changing the result, reproducibly.

use flashmm_core::backtest::{
    Backtest, BacktestConfig, BacktestResult, BaselineConfig, BaselineQuoter, FeedDelay, QuoteMode,
    recorded_feed_offset,
};
use flashmm_core::book::Side;
use flashmm_core::market_gen::ZiParams;
use flashmm_core::replay::{DEFAULT_GENERATOR_START_NS, ZiSource};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
use flashmm_core::spec::MarketSpec;

const MS: i64 = 1_000_000;
const SECOND: i64 = 1_000 * MS;

fn spec() -> MarketSpec {
    MarketSpec::new("SIMUSD", "0.01", "0.001").unwrap().with_fees(-50, 400).unwrap()
}

fn source(seed: u64, seconds: i64) -> ZiSource {
    let params = ZiParams::for_market(&spec(), "100.00").unwrap();
    ZiSource::new(params, seed, DEFAULT_GENERATOR_START_NS, Some(seconds * SECOND)).unwrap()
}

fn config(src: &ZiSource, feed: Option<FeedDelay>) -> BacktestConfig {
    let sim = SimConfig::new(&spec(), src.rule()).with_queue(QueueModel::Power(2.0));
    let mut cfg = BacktestConfig::new(sim, ConstantLatency::new(5 * MS, 5 * MS).unwrap());
    cfg.feed = feed;
    cfg
}

fn run(seed: u64, feed: Option<FeedDelay>) -> BacktestResult {
    let mut src = source(seed, 60);
    let cfg = config(&src, feed);
    let quoter =
        BaselineQuoter::new(BaselineConfig { mode: QuoteMode::JoinTouch, lots: 1, limit_lots: 5, post_only: true });
    Backtest::new(cfg, quoter).unwrap().run(&mut src).expect("generated backtest")
}

#[test]
fn the_same_seed_gives_the_same_json_another_seed_differs_and_both_sides_fill() {
    let a = run(7, None);
    let b = run(7, None);
    assert_eq!(a.to_json_with_records(), b.to_json_with_records());
    let c = run(8, None);
    assert_ne!(a.to_json(), c.to_json());

    for r in [&a, &c] {
        let buys = r.fills.iter().filter(|f| f.side == Side::Buy).count();
        let sells = r.fills.len() - buys;
        assert!(buys > 0 && sells > 0, "buys {buys} sells {sells}");
        // 60 s at 100 ms: 600 decisions, every one with the generator's two-sided book.
        assert_eq!(r.counts.skipped_steps, 0);
        assert!(r.counts.steps >= 600, "{:?}", r.counts);
        assert_eq!(r.stats.pnl.net, r.steps.last().unwrap().equity());
    }
}

#[test]
fn a_delayed_book_changes_the_result_reproducibly() {
    let base = run(7, None);
    let delay = Some(FeedDelay::Constant { delay_ns: 250 * MS });
    let slow = run(7, delay);
    assert_eq!(slow.to_json_with_records(), run(7, delay).to_json_with_records());
    assert_ne!(base.to_json(), slow.to_json());
    assert!(slow.to_json().contains(r#""feed_delay_ns":"250000000""#));
    assert!(!base.to_json().contains("feed_delay_ns"));
    // Quoting on a stale touch: post-only orders cross more often.
    assert!(slow.counts.rejected >= base.counts.rejected, "{} vs {}", slow.counts.rejected, base.counts.rejected);

    // The generator's own feed latency (1 ms, never negative): no offset needed, and the
    // recorded-feed view is reproducible too.
    let offset = recorded_feed_offset(source(7, 60)).unwrap();
    assert_eq!(offset, 0);
    let rec = Some(FeedDelay::Recorded { offset_ns: offset });
    assert_eq!(run(7, rec).to_json(), run(7, rec).to_json());
}
