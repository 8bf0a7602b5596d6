//! The decoded-event cache (`flashmm convert`): the same events as the reader, batch by batch,
//! on all six recordings; byte-identical backtests; corrupt, truncated and stale caches caught.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use flashmm_core::backtest::{Backtest, BacktestConfig, BaselineConfig, BaselineQuoter};
use flashmm_core::replay::binance::{BinanceSource, FileReader, RecordedEvents, market_from_file_name};
use flashmm_core::replay::cache::{self, Cache, CacheError, DECODER_VERSION, Stale};
use flashmm_core::replay::input::{InputOptions, RecordedSource};
use flashmm_core::replay::{EventBatch, EventSource};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
use flashmm_core::spec::MarketSpec;
use flate2::Compression;
use flate2::write::GzEncoder;
use xxhash_rust::xxh3::Xxh3;

/// xxh3-64 of every column of the reader's events (file order), per recording. A change here
/// means the reader decodes the same bytes differently: bump `cache::DECODER_VERSION` (old
/// caches become stale) and update the digests.
const DECODER_DIGESTS: [(&str, u64); 6] = [
    ("spot_btcusdt_20240808.gz", 0x45a28a4150675d5c),
    ("spot_ethusdt_20240808.gz", 0x640371739d5af2d8),
    ("usdm_btcusdt_20240808.gz", 0x5cef27ff12077ebb),
    ("usdm_ethusdt_20240808.gz", 0xf5cd800080b97a9d),
    ("cm_btcusd_perp_20240808.gz", 0xa9138a964fb9d40f),
    ("cm_ethusd_perp_20240808.gz", 0x3d50750caaf67b4b),
];

fn assert_same(a: &EventBatch, b: &EventBatch, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: batch length");
    assert_eq!(a.kind, b.kind, "{what}: kind");
    assert_eq!(a.local_ts, b.local_ts, "{what}: local_ts");
    assert_eq!(a.exchange_ts, b.exchange_ts, "{what}: exchange_ts");
    assert_eq!(a.first_id, b.first_id, "{what}: first_id");
    assert_eq!(a.last_id, b.last_id, "{what}: last_id");
    assert_eq!(a.prev_id, b.prev_id, "{what}: prev_id");
    assert_eq!(a.flags, b.flags, "{what}: flags");
    assert_eq!(a.level_start, b.level_start, "{what}: level_start");
    assert_eq!(a.bid_count, b.bid_count, "{what}: bid_count");
    assert_eq!(a.ask_count, b.ask_count, "{what}: ask_count");
    assert_eq!(a.levels, b.levels, "{what}: levels");
}

fn hash_batch(h: &mut Xxh3, b: &EventBatch) {
    for e in b.iter() {
        h.update(&[e.kind as u8, e.flags]);
        for v in [e.local_ts, e.exchange_ts] {
            h.update(&v.to_le_bytes());
        }
        for v in [e.first_id, e.last_id, e.prev_id.unwrap_or(u64::MAX)] {
            h.update(&v.to_le_bytes());
        }
        for v in [e.bids.len(), e.asks.len()] {
            h.update(&(v as u32).to_le_bytes());
        }
        for l in e.bids.iter().chain(e.asks) {
            h.update(&l.price.to_le_bytes());
            h.update(&l.size.to_le_bytes());
        }
    }
}

/// Reads both to the end in batches of `max`, asserting every batch equal; returns (events, digest).
fn compare_readers(
    gz: &mut impl RecordedEvents,
    cached: &mut impl RecordedEvents,
    max: usize,
    what: &str,
) -> (usize, u64) {
    let (mut a, mut b) = (EventBatch::default(), EventBatch::default());
    let mut h = Xxh3::new();
    let mut total = 0;
    for k in 0.. {
        let n = gz.next_batch(&mut a, max).expect("clean recording");
        assert_eq!(cached.next_batch(&mut b, max).unwrap(), n, "{what}: batch {k}");
        assert_same(&a, &b, &format!("{what} batch {k}"));
        if n == 0 {
            break;
        }
        hash_batch(&mut h, &a);
        total += n;
    }
    (total, h.digest())
}

#[test]
fn cache_gives_the_readers_events_on_all_six_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let mut digests = Vec::new();
    for (name, _) in DECODER_DIGESTS {
        let src = common::data_file(name);
        let out = dir.path().join(format!("{name}.{}", cache::EXTENSION));
        let summary = cache::convert(&src, &out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(summary.bytes, fs::metadata(&out).unwrap().len());
        let c = Cache::open(&out).unwrap();
        c.check_fresh(&src).unwrap();
        let meta = c.meta();
        let market = market_from_file_name(&src).unwrap();
        assert_eq!(meta.market, market);
        assert_eq!(Some(&meta.spec), MarketSpec::binance(&meta.spec.symbol, market).as_ref());
        assert_eq!(meta.source.size, fs::metadata(&src).unwrap().len());
        assert_eq!(meta.source_path, src);
        assert_eq!(meta.decoder_version, DECODER_VERSION);

        // File order, batch by batch (two batch sizes), every column.
        let mut seen = 0;
        for max in [1000, 4096] {
            let mut gz = FileReader::open(&src, None, None).unwrap();
            let (n, d) = compare_readers(&mut gz, &mut c.reader(), max, name);
            assert_eq!(n as u64, meta.events, "{name}");
            seen = n;
            if max == 1000 {
                digests.push((name, d));
            }
            assert_eq!(digests.last().map(|x| x.1), Some(d), "{name}: the digest depends on the batch size");
        }
        assert!(seen > 1000, "{name}: {seen} events");

        // Exchange order (what a backtest reads): the same batches from either input.
        let mut from_gz = BinanceSource::open(&src, None, None).unwrap();
        let mut from_cache = BinanceSource::new(c.reader());
        let (mut a, mut b) = (EventBatch::default(), EventBatch::default());
        for k in 0.. {
            let n = from_gz.next_batch(&mut a).unwrap();
            assert_eq!(from_cache.next_batch(&mut b).unwrap(), n, "{name}: exchange-order batch {k}");
            assert_same(&a, &b, &format!("{name} exchange-order batch {k}"));
            if n == 0 {
                break;
            }
        }
        assert_eq!((from_gz.tickers(), from_gz.late()), (from_cache.tickers(), from_cache.late()));
        let p = from_cache.progress();
        assert_eq!(Some(p.bytes_read), p.total_bytes, "{name}: progress ends at the file size");
    }
    let table: String = digests.iter().map(|(n, d)| format!("    (\"{n}\", {d:#018x}),\n")).collect();
    assert_eq!(digests, DECODER_DIGESTS, "the reader's output changed: bump cache::DECODER_VERSION and set\n{table}");
}

fn backtest_json(src: impl EventSource, spec: &MarketSpec, rule: flashmm_core::book::SequenceRule) -> String {
    let sim = SimConfig::new(spec, rule).with_fees(-50, 400).with_queue(QueueModel::Power(2.0));
    let cfg = BacktestConfig::new(sim, ConstantLatency::new(5_000_000, 5_000_000).unwrap());
    let mut src = src;
    Backtest::new(cfg, BaselineQuoter::new(BaselineConfig::default()))
        .unwrap()
        .run(&mut src)
        .expect("backtest")
        .to_json()
}

#[test]
fn backtests_from_the_cache_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    for name in common::BINANCE_FILES {
        let src = common::data_file(name);
        let out = dir.path().join(format!("{name}.{}", cache::EXTENSION));
        cache::convert(&src, &out).unwrap();
        let gz = BinanceSource::open(&src, None, None).unwrap();
        let (spec, rule) = (gz.spec().clone(), gz.rule());
        let from_gz = backtest_json(gz, &spec, rule);
        let opened = RecordedSource::open(&out, &InputOptions::default()).unwrap();
        assert!(matches!(opened.source, RecordedSource::Cache(..)) && opened.note.is_none());
        assert_eq!((opened.source.spec(), opened.source.rule()), (&spec, rule));
        let from_cache = backtest_json(opened.source, &spec, rule);
        assert!(from_gz.contains("\"fills\":"), "{name}");
        assert_eq!(from_cache, from_gz, "{name}");
    }
}

/// A small, valid spot BTCUSDT recording: a snapshot, a diff, a trade; `stamp` is the last
/// line's receive time (same length whatever its value, so the gzip size stays the same).
fn tiny_recording(stamp: u64, trades: usize) -> Vec<u8> {
    let mut text = String::from(concat!(
        r#"1723161254206652067 {"lastUpdateId":12,"symbol":"BTCUSDT","bids":[["61837.63","1.5"]],"asks":[["61837.64","2.0"]]}"#,
        "\n",
        r#"1723161254306652067 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":13,"u":14,"b":[["61837.63","1.0"]],"a":[]}}"#,
        "\n",
    ));
    for t in 0..trades {
        text.push_str(&format!(
            r#"{stamp} {{"stream":"btcusdt@trade","data":{{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":{},"p":"61837.63","q":"0.02","T":1723161255342,"m":true}}}}"#,
            7 + t
        ));
        text.push('\n');
    }
    // Stored (uncompressed) deflate blocks: the size depends on the text's length only.
    let mut gz = GzEncoder::new(Vec::new(), Compression::none());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn open(path: &Path) -> flashmm_core::replay::input::Opened {
    RecordedSource::open(path, &InputOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn first_trade_local_ts(s: RecordedSource) -> i64 {
    let mut s = s;
    let mut b = EventBatch::default();
    let mut out = None;
    while s.next_batch(&mut b).unwrap() > 0 {
        out = out.or(b.iter().find(|e| e.aggressor().is_some()).map(|e| e.local_ts));
    }
    out.expect("a trade")
}

#[test]
fn stale_caches_are_detected_and_rebuilt_beside_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("spot_btcusdt_tiny.gz");
    let beside = cache::default_path(&rec);
    assert_eq!(beside, dir.path().join("spot_btcusdt_tiny.gz.fmcache"));
    fs::write(&rec, tiny_recording(1723161254400000000, 2)).unwrap();

    // No cache: the recording is read (no cache is made behind the user's back).
    assert!(matches!(open(&rec).source, RecordedSource::Recording(..)));
    assert!(!beside.exists());
    let summary = cache::convert(&rec, &beside).unwrap();
    assert_eq!((summary.meta.events, summary.meta.levels), (4, 5));
    let o = open(&rec);
    assert!(matches!(o.source, RecordedSource::Cache(..)) && o.note.is_none());
    assert_eq!(first_trade_local_ts(o.source), 1723161254400000000);
    let no_cache = InputOptions { use_cache: false, ..InputOptions::default() };
    assert!(matches!(RecordedSource::open(&rec, &no_cache).unwrap().source, RecordedSource::Recording(..)));

    // Same size, other content: caught by the hash, rebuilt, and then fresh.
    fs::write(&rec, tiny_recording(1723161254500000000, 2)).unwrap();
    assert_eq!(fs::metadata(&rec).unwrap().len(), summary.meta.source.size);
    let stale = Cache::open(&beside).unwrap().check_fresh(&rec).unwrap_err();
    assert!(matches!(&stale, CacheError::Stale { reason: Stale::SourceContent { .. }, .. }), "{stale}");
    assert_eq!(
        stale.to_string(),
        format!("{} is stale: the content of {} changed since the cache was made", beside.display(), rec.display())
    );
    let o = open(&rec);
    assert_eq!(o.note, Some(format!("rebuilt the cache: {stale}")));
    assert_eq!(first_trade_local_ts(o.source), 1723161254500000000);
    Cache::open(&beside).unwrap().check_fresh(&rec).unwrap();

    // Another size.
    fs::write(&rec, tiny_recording(1723161254500000000, 3)).unwrap();
    let stale = Cache::open(&beside).unwrap().check_fresh(&rec).unwrap_err();
    let CacheError::Stale { reason: Stale::SourceSize { cached, now, .. }, .. } = stale else { panic!("{stale}") };
    assert!(now > cached);
    // A stale cache named directly is refused while its recording is there...
    let err = RecordedSource::open(&beside, &InputOptions::default()).err().expect("stale");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is stale: {} is {now} bytes, the cache was made from {cached} bytes",
            beside.display(),
            rec.display()
        )
    );
    // ...and read as it is once the recording is gone.
    let moved = dir.path().join("spot_btcusdt_moved.gz");
    fs::rename(&rec, &moved).unwrap();
    assert!(matches!(
        RecordedSource::open(&beside, &InputOptions::default()).unwrap().source,
        RecordedSource::Cache(..)
    ));
    fs::rename(&moved, &rec).unwrap();

    // Corrupt beside the recording: rebuilt, with the reason.
    let mut bytes = fs::read(&beside).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&beside, &bytes).unwrap();
    let o = open(&rec);
    assert_eq!(
        o.note.as_deref(),
        Some(format!("rebuilt the cache: {} is corrupt: checksum mismatch", beside.display()).as_str())
    );
    Cache::open(&beside).unwrap().check_fresh(&rec).unwrap();

    // A recording the reader stops on cannot be cached.
    let bad = dir.path().join("spot_btcusdt_bad.gz");
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(b"1 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1.00\",\"q\":\"1\",\"T\":1,\"m\":true}}\ngarbage\n").unwrap();
    fs::write(&bad, gz.finish().unwrap()).unwrap();
    let err = cache::convert(&bad, &cache::default_path(&bad)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot convert {}: line 2: expected '<receive ns> <json>' but the line has no space", bad.display())
    );
    assert!(!cache::default_path(&bad).exists());
}

/// Rewrites the body checksum after an edit (a forged but well-checksummed file).
fn reseal(bytes: &mut [u8]) {
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[32..]);
    bytes[24..32].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn corrupt_truncated_and_foreign_caches_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("spot_btcusdt_tiny.gz");
    fs::write(&rec, tiny_recording(1723161254400000000, 2)).unwrap();
    let good_path = dir.path().join("good.fmcache");
    cache::convert(&rec, &good_path).unwrap();
    let good = fs::read(&good_path).unwrap();
    let at = dir.path().join("bad.fmcache");
    let check = |bytes: &[u8]| {
        fs::write(&at, bytes).unwrap();
        Cache::open(&at).map(|_| ()).unwrap_err().to_string()
    };
    let p = at.display();
    let n = good.len();
    assert_eq!(check(&good[..n / 2]), format!("{p} is truncated: {} of {n} bytes", n / 2));
    assert_eq!(check(&good[..20]), format!("{p} is truncated: 20 of 32 bytes"));
    assert_eq!(check(b""), format!("{p} is not a FlashMM event cache (bad magic)"));
    assert_eq!(
        check(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"),
        format!("{p} is not a FlashMM event cache (bad magic)")
    );
    let mut v = good.clone();
    v[8] = 2;
    assert_eq!(check(&v), format!("{p} is a cache of format version 2; this build reads version 1"));
    let mut v = good.clone();
    v[n - 3] ^= 1;
    assert_eq!(check(&v), format!("{p} is corrupt: checksum mismatch"));
    let mut v = good.clone();
    v.extend_from_slice(&[0; 8]);
    assert_eq!(check(&v), format!("{p} is corrupt: 8 bytes after the end of the body"));

    // Well-checksummed but inconsistent: the layout is still checked.
    let events_at = 32 + 8 + 24; // preamble, decoder version + market, source stamp
    let mut v = good.clone();
    v[events_at] += 1;
    reseal(&mut v);
    assert_eq!(
        check(&v),
        format!("{p} is corrupt: 5 events and 5 levels do not fill the {} bytes of the body", n - 32)
    );
    // 4 events and 5 levels: the columns start 200 + 80 bytes before the end, kinds at 48 × 4.
    let mut v = good.clone();
    let kind0 = n - 5 * 16 - (4 * 50usize).next_multiple_of(8) + 4 * 48;
    v[kind0] = 9;
    reseal(&mut v);
    assert_eq!(check(&v), format!("{p} is corrupt: event 0 has an unknown kind 9"));

    // A cache of another decoder version is stale, not corrupt.
    let mut v = good.clone();
    v[32] = 0;
    reseal(&mut v);
    fs::write(&at, &v).unwrap();
    let err = Cache::open(&at).unwrap().check_fresh(&rec).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{p} is stale: made by decoder version 0, this build decodes with version {DECODER_VERSION}")
    );
    // So is one whose grid is no longer the built-in one (tick 0.01 -> 0.02).
    let mut v = good.clone();
    let tick = v.windows(6).position(|w| w == b"\x04\0\0\x000.").unwrap() + 4;
    assert_eq!(&v[tick..tick + 4], b"0.01");
    v[tick + 3] = b'2';
    reseal(&mut v);
    fs::write(&at, &v).unwrap();
    let err = Cache::open(&at).unwrap().check_fresh(&rec).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{p} is stale: made with grid tick 0.02 / lot 0.000001 for BTCUSDT, which is no longer the built-in one"
        )
    );
}
