//! The backtester over a real recording (Binance USD-M BTCUSDT, ~6 minutes) with the built-in
//! quoter, the probabilistic (power 2) queue model and constant 5 ms entry / response latency.

mod common;

use std::collections::HashMap;

use flashmm_core::backtest::{Backtest, BacktestConfig, BacktestResult, BaselineConfig, BaselineQuoter, QuoteMode};
use flashmm_core::book::Side;
use flashmm_core::money::format_money;
use flashmm_core::replay::MemorySource;
use flashmm_core::replay::binance::BinanceSource;
use flashmm_core::replay::{EventBatch, EventKind};
use flashmm_core::sim::{ConstantLatency, FeedLatency, QueueModel, SimConfig};
use flashmm_core::spec::MarketSpec;

const MS: i64 = 1_000_000;
const LIMIT: i64 = 10;
const LOTS: i64 = 1;

fn setup() -> (EventBatch, MarketSpec, BacktestConfig) {
    let path = common::data_file("usdm_btcusdt_20240808.gz");
    let mut src = BinanceSource::open(&path, None, None).expect("open");
    let spec = src.spec().clone();
    let rule = src.rule();
    let events = src.read_all().expect("clean recording");
    assert_eq!(src.late(), 0, "the 2 s window orders this recording completely");
    let sim = SimConfig::new(&spec, rule).with_fees(-50, 400).with_queue(QueueModel::Power(2.0));
    (events, spec, BacktestConfig::new(sim, ConstantLatency::new(5 * MS, 5 * MS).unwrap()))
}

fn quoter() -> BaselineQuoter {
    BaselineQuoter::new(BaselineConfig { mode: QuoteMode::JoinTouch, lots: LOTS, limit_lots: LIMIT, post_only: true })
}

fn run(events: &EventBatch, cfg: &BacktestConfig) -> BacktestResult {
    Backtest::new(cfg.clone(), quoter()).unwrap().run(&mut MemorySource::new(events)).expect("backtest")
}

#[test]
fn quoter_over_usdm_btcusdt() {
    let (events, spec, cfg) = setup();
    // Exchange order: non-decreasing times; in one ms, trades before depth updates.
    for i in 1..events.len() {
        let (a, b) = (events.get(i - 1), events.get(i));
        assert!(a.exchange_ts <= b.exchange_ts);
        if a.exchange_ts == b.exchange_ts {
            assert!(
                !(a.kind != EventKind::Trade && b.kind == EventKind::Trade),
                "trade after a diff at {}",
                a.exchange_ts
            );
        }
    }
    let r = run(&events, &cfg);

    // Fills on both sides, and the stats reconciled (run would have failed otherwise).
    let buys = r.fills.iter().filter(|f| f.side == Side::Buy).count();
    let sells = r.fills.len() - buys;
    assert!(buys > 0 && sells > 0, "buys {buys} sells {sells}");
    assert_eq!(r.stats.trading.fills as usize, r.fills.len());
    assert_eq!(r.stats.pnl.net, r.steps.last().unwrap().equity());

    // Inventory within the limit plus one order.
    let mut pos = 0i64;
    let mut max_abs = 0i64;
    for f in &r.fills {
        pos += if f.side == Side::Buy { f.lots } else { -f.lots };
        max_abs = max_abs.max(pos.abs());
    }
    assert_eq!(pos, r.account.position());
    assert!(max_abs <= LIMIT + LOTS, "max |position| {max_abs}");

    // No fill before entry latency: every request arrives 5 ms after it is sent, a fill comes
    // after its order's arrival, at the price the latest request arrived by then set, and is
    // received 5 ms later.
    let mut by_order: HashMap<u64, Vec<(i64, Option<i64>)>> = HashMap::new();
    for q in &r.requests {
        assert_eq!(q.arrival_ts, Some(q.send_ts + 5 * MS));
        if q.kind == "new" || q.kind == "amend" {
            by_order.entry(q.client_id).or_default().push((q.arrival_ts.unwrap(), q.price));
        }
    }
    for f in &r.fills {
        let reqs = &by_order[&f.order];
        assert!(f.ts >= reqs[0].0, "fill at {} before its order arrived at {}", f.ts, reqs[0].0);
        let in_force = reqs.iter().rev().find(|(arr, _)| *arr <= f.ts).unwrap();
        assert_eq!(in_force.1, Some(f.price), "fill of {} at {}", f.order, f.ts);
    }
    for x in r.reports.iter().filter(|x| x.kind == "fill") {
        assert_eq!(x.local_ts, x.exchange_ts + 5 * MS);
    }

    eprintln!(
        "usdm_btcusdt quoter (power 2): {} events, {} steps, {} fills ({} buys, {} sells), orders {:?}, \
         position {}, realised {} unrealised {} fees {} net {} USDT, max |inv| {}",
        r.counts.events,
        r.counts.steps,
        r.fills.len(),
        buys,
        sells,
        r.counts.orders,
        r.account.position(),
        format_money(&spec, r.stats.pnl.realised),
        format_money(&spec, r.stats.pnl.unrealised),
        format_money(&spec, r.stats.pnl.fees),
        format_money(&spec, r.stats.pnl.net),
        max_abs,
    );

    // Determinism: byte-identical JSON, records included; streaming from the file gives the
    // same result as the preloaded events.
    let json = r.to_json_with_records();
    assert_eq!(run(&events, &cfg).to_json_with_records(), json);
    let path = common::data_file("usdm_btcusdt_20240808.gz");
    let mut src = BinanceSource::open(&path, None, None).unwrap();
    let mut last = None;
    let streamed =
        Backtest::new(cfg.clone(), quoter()).unwrap().run_with_progress(&mut src, |p| last = Some(*p)).unwrap();
    assert_eq!(streamed.to_json_with_records(), json);
    let p = last.unwrap();
    assert_eq!(p.events, r.counts.events);
    assert_eq!(Some(p.source.bytes_read), p.source.total_bytes);
    std::fs::write(std::env::temp_dir().join("flashmm_backtest_usdm_btcusdt.json"), r.to_json()).ok();
}

#[test]
fn quoter_with_feed_latency_sees_a_delayed_book() {
    let (events, spec, mut cfg) = setup();
    let mut feed = FeedLatency::default();
    events.iter().for_each(|e| feed.observe(&e));
    let offset = feed.local_offset(MS);
    assert!(offset > 1_000 * MS, "the recorder's clock ran ~1.3 s behind: {feed:?}");
    cfg.feed = Some(flashmm_core::backtest::FeedDelay::Recorded { offset_ns: offset });
    let r = run(&events, &cfg);
    let buys = r.fills.iter().filter(|f| f.side == Side::Buy).count();
    let sells = r.fills.len() - buys;
    assert!(buys > 0 && sells > 0, "buys {buys} sells {sells}");
    let plain = run(&events, &setup().2);
    assert_ne!(r.to_json(), plain.to_json(), "a delayed view changes the decisions");
    assert_eq!(run(&events, &cfg).to_json_with_records(), r.to_json_with_records());
    eprintln!(
        "with feed latency (offset {} ms): {} fills ({buys} buys, {sells} sells), {} rejected, net {} USDT",
        offset / MS,
        r.fills.len(),
        r.counts.rejected,
        format_money(&spec, r.stats.pnl.net),
    );
}
