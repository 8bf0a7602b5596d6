//! Reads the six real Binance recordings end to end.
//!
//! Data: `$FLASHMM_DATA_DIR/binance/*.gz` (or `$FLASHMM_DATA_DIR/*.gz`), default
//! `<repo>/../shared/data`. A missing data directory fails the test: it is never skipped.
//! Expected numbers were counted independently from the raw files (zcat | grep -c, and a
//! Python json pass).

use std::io::BufReader;
use std::time::Instant;

use flashmm_core::book::Level;
use flashmm_core::replay::binance::{BinanceReader, ReadError};
use flashmm_core::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};
use flashmm_core::spec::BinanceMarket;
use flate2::read::MultiGzDecoder;

mod common;
use common::data_file;

struct Expected {
    file: &'static str,
    market: BinanceMarket,
    symbol: &'static str,
    lines: u64,
    depth: usize,
    trades: usize,
    tickers: usize,
    /// 1-based line (= event index + 1: every line is an event) of the REST snapshot.
    snapshot_line: usize,
    diff_bid_levels: usize,
    diff_ask_levels: usize,
    buyer_maker_trades: usize,
    first_diff: FirstDiff,
}

struct FirstDiff {
    line: usize,
    local_ts: i64,
    exchange_ms: i64,
    first_id: u64,
    last_id: u64,
    prev_id: Option<u64>,
    bids: usize,
    asks: usize,
    first_bid: Level,
    first_ask: Level,
}

const FILES: [Expected; 6] = [
    Expected {
        file: "spot_btcusdt_20240808.gz",
        market: BinanceMarket::Spot,
        symbol: "BTCUSDT",
        lines: 41_249,
        depth: 3_451,
        trades: 9_757,
        tickers: 28_040,
        snapshot_line: 8,
        diff_bid_levels: 57_036,
        diff_ask_levels: 67_054,
        buyer_maker_trades: 5_654,
        // ["61737.63000000","0.00000000"] / ["61837.64000000","1.54698000"] at 0.01 / 0.000001
        first_diff: FirstDiff {
            line: 1,
            local_ts: 1_723_161_253_937_085_768,
            exchange_ms: 1_723_161_255_208,
            first_id: 50_093_239_189,
            last_id: 50_093_239_202,
            prev_id: None,
            bids: 3,
            asks: 9,
            first_bid: Level::new(6_173_763, 0),
            first_ask: Level::new(6_183_764, 1_546_980),
        },
    },
    Expected {
        file: "spot_ethusdt_20240808.gz",
        market: BinanceMarket::Spot,
        symbol: "ETHUSDT",
        lines: 33_618,
        depth: 3_434,
        trades: 6_106,
        tickers: 24_077,
        snapshot_line: 6,
        diff_bid_levels: 49_679,
        diff_ask_levels: 57_135,
        buyer_maker_trades: 2_875,
        // ["2683.80000000","3.02920000"] / ["2733.70000000","0.00000000"] at 0.01 / 0.00001
        first_diff: FirstDiff {
            line: 2,
            local_ts: 1_723_161_254_036_052_868,
            exchange_ms: 1_723_161_255_308,
            first_id: 35_346_513_499,
            last_id: 35_346_513_505,
            prev_id: None,
            bids: 6,
            asks: 1,
            first_bid: Level::new(268_380, 302_920),
            first_ask: Level::new(273_370, 0),
        },
    },
    Expected {
        file: "usdm_btcusdt_20240808.gz",
        market: BinanceMarket::UsdM,
        symbol: "BTCUSDT",
        lines: 93_954,
        depth: 6_551,
        trades: 21_313,
        tickers: 66_089,
        snapshot_line: 55,
        diff_bid_levels: 230_209,
        diff_ask_levels: 213_312,
        buyer_maker_trades: 11_697,
        // ["58710.20","0.014"] / ["61800.30","3.330"] at 0.1 / 0.001
        first_diff: FirstDiff {
            line: 1,
            local_ts: 1_723_161_255_030_314_667,
            exchange_ms: 1_723_161_256_299,
            first_id: 5_123_107_832_006,
            last_id: 5_123_107_837_557,
            prev_id: Some(5_123_107_831_937),
            bids: 53,
            asks: 29,
            first_bid: Level::new(587_102, 14),
            first_ask: Level::new(618_003, 3_330),
        },
    },
    Expected {
        file: "usdm_ethusdt_20240808.gz",
        market: BinanceMarket::UsdM,
        symbol: "ETHUSDT",
        lines: 74_655,
        depth: 6_586,
        trades: 14_076,
        tickers: 53_992,
        snapshot_line: 41,
        diff_bid_levels: 210_977,
        diff_ask_levels: 217_685,
        buyer_maker_trades: 7_092,
        // ["200.00","10.229"] / ["2681.63","73.077"] at 0.01 / 0.001
        first_diff: FirstDiff {
            line: 1,
            local_ts: 1_723_161_255_088_156_767,
            exchange_ms: 1_723_161_256_303,
            first_id: 5_123_107_832_349,
            last_id: 5_123_107_837_896,
            prev_id: Some(5_123_107_832_175),
            bids: 32,
            asks: 37,
            first_bid: Level::new(20_000, 10_229),
            first_ask: Level::new(268_163, 73_077),
        },
    },
    Expected {
        file: "cm_btcusd_perp_20240808.gz",
        market: BinanceMarket::CoinM,
        symbol: "BTCUSD_PERP",
        lines: 48_270,
        depth: 26_847,
        trades: 2_286,
        tickers: 19_136,
        snapshot_line: 37,
        diff_bid_levels: 146_584,
        diff_ask_levels: 149_429,
        buyer_maker_trades: 1_305,
        // ["61773.6","1001"] / ["61801.4","0"] at 0.1 / 1 contract
        first_diff: FirstDiff {
            line: 1,
            local_ts: 1_723_161_256_172_216_566,
            exchange_ms: 1_723_161_257_440,
            first_id: 1_007_198_631_260,
            last_id: 1_007_198_631_565,
            prev_id: Some(1_007_198_631_198),
            bids: 23,
            asks: 10,
            first_bid: Level::new(617_736, 1_001),
            first_ask: Level::new(618_014, 0),
        },
    },
    Expected {
        file: "cm_ethusd_perp_20240808.gz",
        market: BinanceMarket::CoinM,
        symbol: "ETHUSD_PERP",
        lines: 40_454,
        depth: 22_909,
        trades: 1_732,
        tickers: 15_812,
        snapshot_line: 27,
        diff_bid_levels: 78_827,
        diff_ask_levels: 114_926,
        buyer_maker_trades: 1_008,
        // ["2657.70","0"] / ["2682.13","0"] at 0.01 / 1 contract
        first_diff: FirstDiff {
            line: 1,
            local_ts: 1_723_161_256_172_210_766,
            exchange_ms: 1_723_161_257_440,
            first_id: 1_007_198_631_216,
            last_id: 1_007_198_631_578,
            prev_id: Some(1_007_198_631_180),
            bids: 6,
            asks: 10,
            first_bid: Level::new(265_770, 0),
            first_ask: Level::new(268_213, 0),
        },
    },
];

#[test]
fn all_six_recordings_read_exactly() {
    for exp in &FILES {
        let path = data_file(exp.file);
        let started = Instant::now();
        let mut reader = BinanceReader::open(&path, None, None).unwrap_or_else(|e| panic!("{}: {e}", exp.file));
        assert_eq!(reader.market(), exp.market, "{}", exp.file);
        assert_eq!(reader.symbol(), exp.symbol, "{}", exp.file);

        let mut batch = EventBatch::default();
        let (mut depth, mut trades, mut tickers, mut snapshots) = (0, 0, 0, 0);
        let (mut diff_bids, mut diff_asks, mut buyer_maker) = (0, 0, 0);
        let mut events = 0usize;
        let mut snapshot_seen_at = None;
        let mut first_diff_seen = false;
        let mut last_local = i64::MIN;
        loop {
            let n = reader.next_batch(&mut batch, 4096).unwrap_or_else(|e| panic!("{}: {e}", exp.file));
            if n == 0 {
                break;
            }
            assert_eq!(batch.len(), n);
            for e in batch.iter() {
                events += 1;
                assert!(e.local_ts >= last_local, "{}: local time went backwards at event {events}", exp.file);
                last_local = e.local_ts;
                match e.kind {
                    EventKind::Snapshot => {
                        snapshots += 1;
                        snapshot_seen_at = Some(events);
                        assert_eq!((e.bids.len(), e.asks.len()), (1000, 1000), "{}", exp.file);
                        assert_eq!(e.first_id, e.last_id);
                        assert!(e.bids.windows(2).all(|w| w[0].price > w[1].price), "{}: bids descending", exp.file);
                        assert!(e.asks.windows(2).all(|w| w[0].price < w[1].price), "{}: asks ascending", exp.file);
                        assert!(e.bids[0].price < e.asks[0].price, "{}: snapshot crossed", exp.file);
                        assert_eq!(e.exchange_ts == 0, exp.market == BinanceMarket::Spot, "{}", exp.file);
                    }
                    EventKind::DepthDiff => {
                        depth += 1;
                        diff_bids += e.bids.len();
                        diff_asks += e.asks.len();
                        assert!(e.first_id <= e.last_id);
                        assert_eq!(e.prev_id.is_some(), exp.market != BinanceMarket::Spot);
                        assert!(e.exchange_ts > e.local_ts, "{}: recorder clock runs behind", exp.file);
                        if !first_diff_seen {
                            first_diff_seen = true;
                            let f = &exp.first_diff;
                            assert_eq!(events, f.line, "{}", exp.file);
                            assert_eq!(e.local_ts, f.local_ts, "{}", exp.file);
                            assert_eq!(e.exchange_ts, f.exchange_ms * 1_000_000, "{}", exp.file);
                            assert_eq!(
                                (e.first_id, e.last_id, e.prev_id),
                                (f.first_id, f.last_id, f.prev_id),
                                "{}",
                                exp.file
                            );
                            assert_eq!((e.bids.len(), e.asks.len()), (f.bids, f.asks), "{}", exp.file);
                            assert_eq!((e.bids[0], e.asks[0]), (f.first_bid, f.first_ask), "{}", exp.file);
                        }
                    }
                    EventKind::Trade => {
                        trades += 1;
                        assert_eq!((e.bids.len(), e.asks.len()), (1, 0));
                        assert!(e.bids[0].price > 0 && e.bids[0].size > 0, "{}: trade {:?}", exp.file, e.bids[0]);
                        assert_eq!(e.first_id, e.last_id);
                        if e.flags & FLAG_BUYER_MAKER != 0 {
                            buyer_maker += 1;
                        }
                    }
                    EventKind::BookTicker => {
                        tickers += 1;
                        assert_eq!((e.bids.len(), e.asks.len()), (1, 1));
                        assert!(e.bids[0].price < e.asks[0].price, "{}: ticker crossed", exp.file);
                        assert_eq!(e.exchange_ts == 0, exp.market == BinanceMarket::Spot, "{}", exp.file);
                    }
                }
            }
            // Levels are owned contiguously, in order, bids first.
            let mut next_level = 0u32;
            for i in 0..batch.len() {
                assert_eq!(batch.level_start[i], next_level);
                next_level += batch.bid_count[i] + batch.ask_count[i];
            }
            assert_eq!(next_level as usize, batch.levels.len());
        }
        eprintln!(
            "{}: {} lines, {events} events in {:.0} ms",
            exp.file,
            reader.lines_read(),
            started.elapsed().as_secs_f64() * 1e3
        );
        assert_eq!(reader.lines_read(), exp.lines, "{}", exp.file);
        assert_eq!(events as u64, exp.lines, "{}: every line is an event", exp.file);
        assert_eq!(snapshots, 1, "{}: exactly one snapshot", exp.file);
        assert_eq!(snapshot_seen_at, Some(exp.snapshot_line), "{}", exp.file);
        assert_eq!((depth, trades, tickers), (exp.depth, exp.trades, exp.tickers), "{}", exp.file);
        assert_eq!((diff_bids, diff_asks), (exp.diff_bid_levels, exp.diff_ask_levels), "{}", exp.file);
        assert_eq!(buyer_maker, exp.buyer_maker_trades, "{}", exp.file);
        assert!(first_diff_seen);
    }
}

#[test]
fn a_real_recording_cut_in_half_is_a_clear_error() {
    let bytes = std::fs::read(data_file("spot_btcusdt_20240808.gz")).unwrap();
    let cut = &bytes[..bytes.len() / 2];
    let input = BufReader::new(MultiGzDecoder::new(cut));
    let mut reader = BinanceReader::new(input, BinanceMarket::Spot, None).unwrap();
    let mut batch = EventBatch::default();
    let mut events = 0;
    let err = loop {
        match reader.next_batch(&mut batch, 1000) {
            Ok(0) => panic!("a truncated recording must not end cleanly"),
            Ok(n) => events += n,
            Err(e) => break e,
        }
    };
    assert!(events > 10_000 && events < 41_249, "{events}");
    let line = reader.lines_read() + 1;
    assert!(matches!(&err, ReadError::Io { line: l, .. } if *l == line), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("truncated or corrupt gzip at line {line}")), "{msg}");
    assert_eq!(reader.next_batch(&mut batch, 1000).unwrap(), 0);
}
