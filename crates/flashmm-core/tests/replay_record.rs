//! Recording: events written by `replay::record` read back identically through the Binance
//! reader (spot and USD-M recordings, and the zero-intelligence generator's market, whose
//! spec travels in the sidecar), rotation by size and by time, every part replayable alone.

mod common;

use std::path::{Path, PathBuf};

use flashmm_core::book::Level;
use flashmm_core::market_gen::{ZiGenerator, ZiParams};
use flashmm_core::replay::binance::{FileReader, sequence_rule};
use flashmm_core::replay::record::{Recorder, Rotation, spec_from_json, spec_json, spec_path};
use flashmm_core::replay::{BookReplay, Event, EventBatch, EventKind};
use flashmm_core::spec::{BinanceMarket, MarketSpec};

/// Owned copy of one event (times, ids, levels).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Owned {
    kind: EventKind,
    local_ts: i64,
    exchange_ts: i64,
    first_id: u64,
    last_id: u64,
    prev_id: Option<u64>,
    flags: u8,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

fn owned(b: &EventBatch) -> Vec<Owned> {
    b.iter()
        .map(|e| Owned {
            kind: e.kind,
            local_ts: e.local_ts,
            exchange_ts: e.exchange_ts,
            first_id: e.first_id,
            last_id: e.last_id,
            prev_id: e.prev_id,
            flags: e.flags,
            bids: e.bids.to_vec(),
            asks: e.asks.to_vec(),
        })
        .collect()
}

fn read_all(path: &Path, spec: Option<MarketSpec>) -> (Vec<Owned>, BinanceMarket) {
    let mut r = FileReader::open(path, None, spec).expect("opens");
    let (mut out, mut batch) = (Vec::new(), EventBatch::default());
    while r.next_batch(&mut batch, 4096).expect("reads") > 0 {
        out.extend(owned(&batch));
    }
    (out, r.market())
}

fn batch_of(events: &[Owned]) -> EventBatch {
    let mut b = EventBatch::default();
    for e in events {
        b.push_event(&Event {
            kind: e.kind,
            local_ts: e.local_ts,
            exchange_ts: e.exchange_ts,
            first_id: e.first_id,
            last_id: e.last_id,
            prev_id: e.prev_id,
            flags: e.flags,
            bids: &e.bids,
            asks: &e.asks,
        });
    }
    b
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flashmm-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Records `events` in batches of 500, returns the parts.
fn record(dir: &Path, spec: &MarketSpec, market: BinanceMarket, rotation: Rotation, events: &[Owned]) -> Vec<PathBuf> {
    let mut rec = Recorder::create(dir, "test", spec.clone(), market, rotation).unwrap();
    for chunk in events.chunks(500) {
        rec.write_batch(&batch_of(chunk)).unwrap();
    }
    assert_eq!(rec.events() as usize, events.len() + rec.parts().len() - 1, "one opening snapshot per later part");
    rec.finish().unwrap()
}

/// Reads every part back (spec from the sidecar); drops each later part's opening snapshot
/// after checking that it is the book as replayed up to there.
fn read_parts(parts: &[PathBuf], market: BinanceMarket) -> Vec<Owned> {
    let mut all: Vec<Owned> = Vec::new();
    let mut replay = BookReplay::new(sequence_rule(market));
    for (i, p) in parts.iter().enumerate() {
        // The reader takes the spec from the sidecar by itself.
        assert!(spec_path(p).is_file());
        let (events, m) = read_all(p, None);
        assert_eq!(m, market, "{}", p.display());
        let mut alone = BookReplay::new(sequence_rule(market));
        let mut events = events.into_iter();
        if i > 0 {
            let snap = events.next().unwrap();
            assert_eq!(snap.kind, EventKind::Snapshot);
            assert!(Some(snap.last_id) >= replay.book.last_update_id());
            alone.apply(&batch_of(std::slice::from_ref(&snap)).get(0));
            assert!(alone.book.is_valid(), "part {} starts valid", i + 1);
            assert_eq!(alone.book.best_bid(), replay.book.best_bid(), "part {} snapshot", i + 1);
            assert_eq!(alone.book.best_ask(), replay.book.best_ask(), "part {} snapshot", i + 1);
        }
        for (j, e) in events.enumerate() {
            let b = batch_of(std::slice::from_ref(&e));
            replay.apply(&b.get(0));
            alone.apply(&b.get(0));
            assert!(i == 0 || alone.book.best_bid() == replay.book.best_bid(), "part {} event {j}", i + 1);
            all.push(e);
        }
        // The part alone ends in the same book as the whole recording so far.
        if i > 0 {
            assert_eq!(alone.book.best_bid(), replay.book.best_bid());
            assert_eq!(alone.book.best_ask(), replay.book.best_ask());
            assert_eq!(alone.book.last_update_id(), replay.book.last_update_id());
            assert_eq!(alone.counts().gaps, 0, "part {} replays without a gap", i + 1);
        }
    }
    all
}

fn round_trip(name: &str, max_events: usize, rotation: Rotation) -> usize {
    let (events, market) = read_all(&common::data_file(name), None);
    let events = &events[..max_events.min(events.len())];
    let spec = MarketSpec::binance(if name.starts_with("cm_") { "BTCUSD_PERP" } else { "BTCUSDT" }, market).unwrap();
    let dir = temp_dir(name);
    let parts = record(&dir, &spec, market, rotation, events);
    let back = read_parts(&parts, market);
    assert_eq!(back.len(), events.len());
    for (i, (a, b)) in back.iter().zip(events).enumerate() {
        assert_eq!(a, b, "event {i} of {name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    parts.len()
}

#[test]
fn binance_recordings_round_trip_through_rotated_parts() {
    // Rotation by size: ~1 MB of text per part.
    let parts = round_trip("spot_btcusdt_20240808.gz", 20_000, Rotation { max_bytes: 1 << 20, max_ns: 0 });
    assert!(parts >= 3, "{parts} parts");
    // Futures diffs chain by `pu`; rotation by time (every 20 s of local time).
    let parts = round_trip("usdm_btcusdt_20240808.gz", 30_000, Rotation { max_bytes: 0, max_ns: 20_000_000_000 });
    assert!(parts >= 2, "{parts} parts");
}

#[test]
fn the_generated_market_records_with_its_spec_in_the_sidecar() {
    let spec = MarketSpec::new("SIM-USD", "0.01", "0.001").unwrap().with_fees(-100, 300).unwrap();
    assert_eq!(spec_from_json(&spec_json(&spec)).unwrap(), spec);
    let start = 1_700_000_000_000_000_000;
    let mut g = ZiGenerator::new(ZiParams::for_market(&spec, "100.00").unwrap(), 5, start).unwrap();
    let mut batch = EventBatch::default();
    g.next_events(start + 60_000_000_000, &mut batch);
    let events = owned(&batch);
    assert!(events.len() > 1000 && events[0].kind == EventKind::Snapshot);
    let dir = temp_dir("sim");
    let parts = record(&dir, &spec, BinanceMarket::Spot, Rotation { max_bytes: 0, max_ns: 15_000_000_000 }, &events);
    assert!(parts.len() >= 4, "{} parts", parts.len());
    assert!(parts[0].file_name().unwrap().to_string_lossy().starts_with("spot_sim_usd_test-1.gz"));
    let back = read_parts(&parts, BinanceMarket::Spot);
    // Exchange times travel in ms (Binance's unit); everything else exactly.
    let want: Vec<Owned> = events
        .iter()
        .map(|e| Owned { exchange_ts: e.exchange_ts.div_euclid(1_000_000) * 1_000_000, ..e.clone() })
        .collect();
    assert_eq!(back.len(), want.len());
    for (i, (a, b)) in back.iter().zip(&want).enumerate() {
        // Spot snapshots and diffs carry no `pu`: the reader gives none back.
        assert_eq!(a, &Owned { prev_id: None, ..b.clone() }, "event {i}");
    }
    // A bad sidecar is an error naming it, not a silent fallback.
    std::fs::write(spec_path(&parts[0]), "{\"symbol\":\"SIM-USD\"}").unwrap();
    let err = FileReader::open(&parts[0], None, None).err().unwrap().to_string();
    assert!(err.starts_with("market spec ") && err.ends_with("missing string field 'tick_size'"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_names_are_refused() {
    let spec = MarketSpec::new("SIM-USD", "0.01", "0.001").unwrap();
    let err = Recorder::create(&temp_dir("bad"), "../x", spec, BinanceMarket::Spot, Rotation::default()).err().unwrap();
    assert_eq!(err.to_string(), "bad recording name '../x': use letters, digits, '_' and '-' only");
}
