//! Bad lines in a recording are counted and skipped by a lenient source, never thrown out of the
//! simulated venue: every good line still arrives, each bad one is counted under its reason
//! with the line number of the first, and the book invalidates only where the sequence rule
//! demands it (a lost depth diff is a gap; a lost trade is nothing), until the next snapshot.

use std::io::Write;

use flashmm_core::book::SequenceRule;
use flashmm_core::market::{MarketOptions, MarketState};
use flashmm_core::replay::binance::{BinanceReader, BinanceSource};
use flashmm_core::replay::{EventBatch, EventKind, EventSource, REAL_TIME_PPM, Skipped, VenueFeed};
use flashmm_core::sim::{ConstantLatency, SimConfig, SimVenue};
use flashmm_core::spec::{BinanceMarket, MarketSpec};

fn depth(ms: i64, first: u64, last: u64, bid: (&str, &str)) -> String {
    format!(
        r#"{ms}000000 {{"stream":"ethusdt@depth@100ms","data":{{"e":"depthUpdate","E":{ms},"s":"ETHUSDT","U":{first},"u":{last},"b":[["{}","{}"]],"a":[]}}}}"#,
        bid.0, bid.1
    )
}

fn trade(ms: i64, id: u64, price: &str, qty: &str) -> String {
    format!(
        r#"{ms}000000 {{"stream":"ethusdt@trade","data":{{"e":"trade","E":{ms},"s":"ETHUSDT","t":{id},"p":"{price}","q":"{qty}","T":{ms},"m":true}}}}"#
    )
}

fn snapshot(ms: i64, id: u64) -> String {
    format!(r#"{ms}000000 {{"lastUpdateId":{id},"bids":[["2500.00","1.0"]],"asks":[["2500.10","1.0"]]}}"#)
}

/// The damaged recording: good lines, one of each kind of bad line, a lost depth diff (its
/// successor is a gap) and a snapshot that makes the book valid again.
fn lines() -> Vec<String> {
    vec![
        trade(1, 1, "2500.05", "0.1"),                                        // 1: names the symbol
        snapshot(2, 100),                                                     // 2
        depth(3, 101, 101, ("2500.01", "0.5")),                               // 3
        trade(4, 2, "-2500.01", "0.1"),                                       // 4: negative
        trade(5, 3, "2500.01", "NaN"),                                        // 5: not-a-number
        trade(6, 4, "2500.005", "0.1"),                                       // 6: off-grid
        "7000000 {\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"tra".into(), // 7: malformed (cut short)
        trade(8, 5, "99999999999999999999.00", "0.1"),                        // 8: too-large
        trade(9, 6, "2500.01", "-0.1"),                                       // 9: negative
        depth(10, 102, 102, ("2500.02", "0.5")),                              // 10: in sequence: still valid
        depth(11, 103, 103, ("2500.03", "-1")),                               // 11: negative size: the diff is lost
        depth(12, 104, 104, ("2500.04", "0.5")),                              // 12: a gap after the lost diff: invalid
        trade(13, 7, "2500.05", "0.1"),                                       // 13: a trade on an invalid book
        snapshot(14, 200),                                                    // 14: valid again
        depth(15, 201, 201, ("2500.05", "0.5")),                              // 15
    ]
}

fn reason_counts(skipped: &[Skipped]) -> Vec<(&'static str, u64, u64)> {
    skipped.iter().map(|s| (s.reason, s.count, s.first_line)).collect()
}

const EXPECTED_SKIPS: [(&str, u64, u64); 5] =
    [("negative", 3, 4), ("not-a-number", 1, 5), ("off-grid", 1, 6), ("malformed", 1, 7), ("too-large", 1, 8)];

fn source(text: &str) -> BinanceSource<BinanceReader<&[u8]>> {
    let spec = MarketSpec::binance("ETHUSDT", BinanceMarket::Spot).unwrap();
    BinanceSource::new(BinanceReader::new(text.as_bytes(), BinanceMarket::Spot, Some(spec)).unwrap())
}

#[test]
fn a_lenient_source_counts_each_bad_line_and_delivers_every_good_one() {
    let text = lines().join("\n");
    let mut src = source(&text).skipping_bad_lines();
    let all = src.read_all().unwrap();
    let kinds: Vec<_> = all.iter().map(|e| (e.kind, e.exchange_ts / 1_000_000)).collect();
    use EventKind::*;
    assert_eq!(
        kinds,
        vec![
            (Trade, 1),
            (Snapshot, 1),
            (DepthDiff, 3),
            (DepthDiff, 10),
            (DepthDiff, 12),
            (Trade, 13),
            (Snapshot, 13),
            (DepthDiff, 15)
        ],
        "the snapshots take the exchange time of the event read before them"
    );
    let mut skipped = Vec::new();
    src.take_skipped(&mut skipped);
    assert_eq!(reason_counts(&skipped), EXPECTED_SKIPS);
    assert_eq!(skipped[0].message, "line 4: p: '-2500.01' is negative");
    assert_eq!(src.skipped_lines(), 7);
    skipped.clear();
    src.take_skipped(&mut skipped);
    assert!(skipped.is_empty(), "taken once");

    // A strict source (the default) still stops at the first bad line, naming it.
    let err = source(&text).read_all().unwrap_err();
    assert_eq!((err.line(), err.reason()), (Some(4), "negative"));
}

#[test]
fn the_book_invalidates_only_where_the_sequence_rule_demands() {
    let text = lines().join("\n");
    let all = source(&text).skipping_bad_lines().read_all().unwrap();
    let mut state =
        MarketState::new(MarketOptions { rule: SequenceRule::BinanceSpot, ..MarketOptions::default() }).unwrap();
    let mut one = EventBatch::default();
    let valid: Vec<_> = all
        .iter()
        .map(|e| {
            one.clear();
            one.push_event(&e);
            (e.exchange_ts / 1_000_000, state.apply(&one).valid)
        })
        .collect();
    // Skipped trades break nothing (line 10 is in sequence after them); the lost diff of line 11
    // makes line 12 a gap, and the book stays invalid until the snapshot of line 14.
    assert_eq!(
        valid,
        vec![(1, false), (1, true), (3, true), (10, true), (12, false), (13, false), (13, true), (15, true)]
    );
}

#[test]
fn the_simulated_venue_replays_a_damaged_recording_to_its_end() {
    let dir = std::env::temp_dir().join(format!("flashmm-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spot_ethusdt_damaged.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lines().join("\n").as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();

    let src = BinanceSource::open(&path, None, None).unwrap();
    let (spec, rule) = (src.spec().clone(), src.rule());
    let feed = VenueFeed::replay(src, 1_000_000_000, REAL_TIME_PPM).unwrap();
    let mut venue =
        SimVenue::new(feed, spec.clone(), SimConfig::new(&spec, rule), ConstantLatency::new(1, 1).unwrap()).unwrap();
    let (mut market, mut reports, mut skipped) = (EventBatch::default(), Vec::new(), Vec::new());
    let n = venue.advance_to(i64::MAX, &mut market, &mut reports).unwrap();
    venue.take_skipped(&mut skipped);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(n, 8, "every good line");
    assert!(venue.is_exhausted());
    assert_eq!(reason_counts(&skipped), EXPECTED_SKIPS);
    assert!(venue.book().is_valid(), "the exchange's book resynced on the second snapshot");
}
