//! hftbacktest event files as input: the mapping on hand-made arrays, and a file made by
//! hftbacktest's own converter from one of our recordings (PyPI `hftbacktest`, which .ci/run
//! installs into the tools venv; elsewhere the test is skipped with a warning).

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flashmm_core::backtest::{Backtest, BacktestConfig, BaselineConfig, BaselineQuoter};
use flashmm_core::book::{Level, SequenceRule, Side};
use flashmm_core::replay::binance::{BinanceSource, FileReader};
use flashmm_core::replay::input::{InputOptions, RecordedSource};
use flashmm_core::replay::npz::{BUY_EVENT, EXCH_EVENT, LOCAL_EVENT, NpzSkipped, NpzSource, SELL_EVENT};
use flashmm_core::replay::{EventBatch, EventKind, EventSource, FLAG_BUYER_MAKER};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
use flashmm_core::spec::{BinanceMarket, MarketSpec};

/// hftbacktest's `event_dtype`, for writing test files.
#[derive(Clone, Copy, npyz::Serialize, npyz::AutoSerialize)]
struct Row {
    ev: u64,
    exch_ts: i64,
    local_ts: i64,
    px: f64,
    qty: f64,
    order_id: u64,
    ival: i64,
    fval: f64,
}

const EX: u64 = EXCH_EVENT | LOCAL_EVENT;
const DEPTH: u64 = 1;
const TRADE: u64 = 2;
const CLEAR: u64 = 3;
const SNAPSHOT: u64 = 4;

fn row(ev: u64, exch_ts: i64, local_ts: i64, px: f64, qty: f64) -> Row {
    Row { ev, exch_ts, local_ts, px, qty, order_id: 0, ival: 0, fval: 0.0 }
}

fn write_npy(path: &Path, rows: &[Row]) {
    npyz::to_file_1d(path, rows.iter().copied()).unwrap();
}

/// `np.savez_compressed(path, **{array: rows})`: a zip of `<array>.npy`, deflated.
fn write_npz(path: &Path, array: &str, rows: &[Row]) {
    let npy = path.with_extension("npy.tmp");
    write_npy(&npy, rows);
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(format!("{array}.npy"), opts).unwrap();
    zip.write_all(&fs::read(&npy).unwrap()).unwrap();
    zip.finish().unwrap();
    fs::remove_file(npy).unwrap();
}

fn read_all(src: &mut impl EventSource) -> EventBatch {
    let (mut all, mut b) = (EventBatch::default(), EventBatch::default());
    while src.next_batch(&mut b).map_err(|_| "read").unwrap() > 0 {
        b.iter().for_each(|e| all.push_event(&e));
    }
    all
}

fn lv(price: i64, size: i64) -> Level {
    Level::new(price, size)
}

#[test]
fn maps_depth_snapshots_and_trades_in_exchange_order() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        row(LOCAL_EVENT | DEPTH | BUY_EVENT, 100, 90, 100.0, 9.0), // a local-order copy
        row(EX | CLEAR | BUY_EVENT, 100, 110, 99.9, 0.0),
        row(EX | SNAPSHOT | BUY_EVENT, 100, 110, 100.0, 1.0),
        row(EX | SNAPSHOT | BUY_EVENT, 100, 110, 99.9, 2.0),
        row(EX | CLEAR | SELL_EVENT, 100, 110, 100.1, 0.0),
        row(EX | SNAPSHOT | SELL_EVENT, 100, 110, 100.1, 3.0),
        row(EX | DEPTH | BUY_EVENT, 200, 250, 100.0, 0.5),
        row(EX | DEPTH | SELL_EVENT, 200, 250, 100.2, 1.5),
        row(EX | DEPTH | BUY_EVENT, 200, 250, 99.8, 0.7),
        row(EX | 103, 200, 255, 100.0, 1.0), // custom (a converter's best bid row)
        row(EX | TRADE | SELL_EVENT, 200, 260, 100.0, 0.002),
        row(EXCH_EVENT | DEPTH | BUY_EVENT, 300, 310, 100.0, 0.0),
        row(EX | TRADE | BUY_EVENT, 300, 305, 100.1, 0.001),
    ];
    let npz = dir.path().join("usdm_btcusdt_synthetic.npz");
    write_npz(&npz, "data", &rows);
    let npy = dir.path().join("usdm_btcusdt_synthetic.npy");
    write_npy(&npy, &rows);

    for path in [&npz, &npy] {
        let mut src = NpzSource::open(path, None, None).unwrap();
        assert_eq!(src.spec(), &MarketSpec::binance("BTCUSDT", BinanceMarket::UsdM).unwrap());
        assert_eq!((src.market(), src.rule()), (Some(BinanceMarket::UsdM), SequenceRule::None));
        assert_eq!(src.rows(), (13, NpzSkipped { not_exchange: 1, custom: 1 }));
        let all = read_all(&mut src);
        let got: Vec<_> = all
            .iter()
            .map(|e| (e.kind, e.exchange_ts, e.local_ts, e.first_id, e.flags, e.bids.to_vec(), e.asks.to_vec()))
            .collect();
        assert_eq!(
            got,
            vec![
                (EventKind::Snapshot, 100, 110, 1, 0, vec![lv(1000, 1000), lv(999, 2000)], vec![lv(1001, 3000)]),
                // Trades first within a timestamp; ids count events in file order.
                (EventKind::Trade, 200, 260, 3, FLAG_BUYER_MAKER, vec![lv(1000, 2)], vec![]),
                (EventKind::DepthDiff, 200, 250, 2, 0, vec![lv(1000, 500), lv(998, 700)], vec![lv(1002, 1500)]),
                (EventKind::Trade, 300, 305, 5, 0, vec![lv(1001, 1)], vec![]),
                (EventKind::DepthDiff, 300, 310, 4, 0, vec![lv(1000, 0)], vec![]),
            ]
        );
        assert_eq!(all.get(1).aggressor(), Some(Side::Sell));
        assert_eq!(all.get(3).aggressor(), Some(Side::Buy));
        let p = src.progress();
        assert_eq!((p.bytes_read, p.total_bytes), (5, Some(5)));
    }

    // Through the input selection: told apart from a recording by its bytes, not its name.
    let renamed = dir.path().join("usdm_btcusdt_renamed.gz");
    fs::copy(&npz, &renamed).unwrap();
    let o = RecordedSource::open(&renamed, &InputOptions::default()).unwrap();
    assert!(matches!(o.source, RecordedSource::Npz(_)));
    // Another grid given explicitly (no market family then).
    let spec = MarketSpec::new("X", "0.05", "0.0005").unwrap();
    let opts = InputOptions { npz_spec: Some(spec.clone()), ..InputOptions::default() };
    let o = RecordedSource::open(&npz, &opts).unwrap();
    assert_eq!((o.source.spec(), o.source.market()), (&spec, None));
    let err = RecordedSource::open(&common::data_file("spot_ethusdt_20240808.gz"), &opts).err().unwrap();
    assert!(err.to_string().starts_with("a market applies to hftbacktest .npz input only"), "{err}");
}

#[test]
fn bad_files_and_rows_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usdm_btcusdt_bad.npz");
    let p = path.display().to_string();
    let err = |rows: &[Row]| {
        write_npz(&path, "data", rows);
        NpzSource::open(&path, None, None).unwrap_err().to_string()
    };
    let ok = row(EX | DEPTH | BUY_EVENT, 100, 110, 100.0, 1.0);
    assert_eq!(
        err(&[ok, row(EX | DEPTH | BUY_EVENT, 100, 110, 100.05, 1.0)]),
        format!("{p} row 1: px 100.05 is not a positive price on the tick grid 0.1")
    );
    assert_eq!(
        err(&[row(EX | DEPTH | BUY_EVENT, 100, 110, 100.0, 0.0005)]),
        format!("{p} row 0: qty 0.0005 is not a size on the lot grid 0.001")
    );
    assert_eq!(
        err(&[row(EX | DEPTH | BUY_EVENT, 100, 110, f64::NAN, 1.0)]),
        format!("{p} row 0: px NaN is not a positive price on the tick grid 0.1")
    );
    assert_eq!(
        err(&[row(EX | DEPTH | BUY_EVENT, 100, 110, 100.0, -1.0)]),
        format!("{p} row 0: qty -1 is not a size on the lot grid 0.001")
    );
    assert_eq!(
        err(&[row(EX | DEPTH, 100, 110, 100.0, 1.0)]),
        format!("{p} row 0: expected exactly one of BUY_EVENT and SELL_EVENT")
    );
    assert_eq!(
        err(&[ok, row(EX | DEPTH | BUY_EVENT, 99, 110, 100.0, 1.0)]),
        format!("{p} row 1: exch_ts 99 is before the previous exchange row's 100 (not in exchange order)")
    );
    assert_eq!(
        err(&[row(EX | DEPTH | BUY_EVENT, 0, 110, 100.0, 1.0)]),
        format!("{p} row 0: exch_ts 0 is not a time after the epoch")
    );
    assert_eq!(
        err(&[row(EX | 5 | BUY_EVENT, 100, 110, 100.0, 1.0)]),
        format!("{p} row 0: DEPTH_BBO_EVENT rows are not supported (L2 depth updates only)")
    );
    assert_eq!(
        err(&[row(EX | 10 | BUY_EVENT, 100, 110, 100.0, 1.0)]),
        format!("{p} row 0: event kind 10 is not supported (L2 depth, snapshots and trades only)")
    );
    assert_eq!(err(&[row(EX | TRADE | BUY_EVENT, 100, 110, 100.0, 0.0)]), format!("{p} row 0: a trade of quantity 0"));

    write_npz(&path, "arr_0", &[ok]);
    assert_eq!(
        NpzSource::open(&path, None, None).unwrap_err().to_string(),
        format!("{p} has no 'data' array (hftbacktest's event files keep their events there)")
    );
    // hftbacktest 1.x wrote plain (n, 6) float arrays.
    let old = dir.path().join("usdm_btcusdt_old.npy");
    use npyz::WriterBuilder;
    npyz::WriteOptions::<f64>::new()
        .default_dtype()
        .shape(&[2, 6])
        .writer(fs::File::create(&old).unwrap())
        .begin_nd()
        .and_then(|mut w| w.extend([0f64; 12]).and_then(|()| w.finish()))
        .unwrap();
    let e = NpzSource::open(&old, None, None).unwrap_err().to_string();
    assert!(e.starts_with(&format!("the data array of {} is not in hftbacktest's event dtype", old.display())), "{e}");
    let unnamed = dir.path().join("events.npz");
    write_npz(&unnamed, "data", &[ok]);
    assert_eq!(
        NpzSource::open(&unnamed, None, None).unwrap_err().to_string(),
        format!(
            "cannot tell the market of {}: name it like the recordings (spot_|usdm_|cm_<symbol>_…) or pass the market (e.g. --market usdm:BTCUSDT)",
            unnamed.display()
        )
    );
    fs::write(&unnamed, b"PK\x03\x04 not really a zip").unwrap();
    let e =
        NpzSource::open(&unnamed, MarketSpec::binance("BTCUSDT", BinanceMarket::UsdM), None).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{} is not a readable .npz archive: ", unnamed.display())), "{e}");
}

/// The tools venv's python (where .ci/run installs hftbacktest), else python3.
fn python_with_hftbacktest() -> Option<PathBuf> {
    let tools = std::env::var_os("FLASHMM_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/flashmm-tools")));
    let candidates = tools.map(|t| t.join("venv/bin/python")).into_iter().chain([PathBuf::from("python3")]);
    for python in candidates {
        let ok = Command::new(&python).args(["-c", "import hftbacktest"]).output().is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("hftbacktest is required in CI (pip install hftbacktest; .ci/run installs it into the tools venv)");
    }
    eprintln!("skipping: no python with hftbacktest (pip install hftbacktest)");
    None
}

#[test]
fn reads_a_file_from_hftbacktests_converter() {
    let Some(python) = python_with_hftbacktest() else { return };
    let dir = tempfile::tempdir().unwrap();
    let gz = common::data_file("usdm_btcusdt_20240808.gz");
    let npz = dir.path().join("usdm_btcusdt_20240808.npz");
    let script = "import sys\nfrom hftbacktest.data.utils import binancefutures\nd = binancefutures.convert(sys.argv[1], output_filename=sys.argv[2])\nprint(len(d))";
    let out = Command::new(&python).args(["-c", script]).arg(&gz).arg(&npz).output().unwrap();
    assert!(out.status.success(), "hftbacktest's converter failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: u64 =
        stdout.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("row count in {stdout}"));

    let mut src = NpzSource::open(&npz, None, None).unwrap();
    let (n, skipped) = src.rows();
    assert_eq!(n, rows);
    assert_eq!(skipped.custom, 0);
    let from_npz = read_all(&mut src);
    let mut reader_src = BinanceSource::open(&gz, None, None).unwrap();
    let from_gz = read_all(&mut reader_src);
    // One event per recorded message but the book tickers (which the converter drops too).
    assert_eq!(from_npz.len(), from_gz.len());
    assert_eq!(from_npz.levels.len(), from_gz.levels.len());
    assert_eq!(skipped.not_exchange, rows - from_npz.levels.len() as u64 - 2, "two DEPTH_CLEAR rows carry no level");

    // Trades: exactly ours, in the same order (both stamped with the trade time T).
    let trades = |b: &EventBatch| -> Vec<(i64, Level, Option<Side>)> {
        b.iter().filter(|e| e.kind == EventKind::Trade).map(|e| (e.exchange_ts, e.bids[0], e.aggressor())).collect()
    };
    let (t_npz, t_gz) = (trades(&from_npz), trades(&from_gz));
    assert!(t_gz.len() > 20_000, "{}", t_gz.len());
    assert_eq!(t_npz, t_gz);

    // Depth: the same updates level for level, in receive order, the receive times shifted by
    // the converter's one constant offset (it made the smallest feed latency zero).
    let mut reader = FileReader::open(&gz, None, None).unwrap();
    let mut recorded = EventBatch::default();
    let mut b = EventBatch::default();
    while reader.next_batch(&mut b, 4096).unwrap() > 0 {
        b.iter()
            .filter(|e| matches!(e.kind, EventKind::DepthDiff | EventKind::Snapshot))
            .for_each(|e| recorded.push_event(&e));
    }
    let mut depth: Vec<_> = from_npz.iter().filter(|e| e.kind != EventKind::Trade).collect();
    depth.sort_by_key(|e| e.local_ts);
    assert_eq!(depth.len(), recorded.len());
    let offset = depth[0].local_ts - recorded.get(0).local_ts;
    assert!(offset > 1_000_000_000, "the recorder ran ~1.3 s behind: offset {offset}");
    for (i, (a, b)) in depth.iter().zip(recorded.iter()).enumerate() {
        assert_eq!(
            (a.kind, a.local_ts - offset, a.bids, a.asks),
            (b.kind, b.local_ts, b.bids, b.asks),
            "depth event {i}"
        );
    }

    // And a backtest runs on it (no update ids: every diff applies).
    let spec = src.spec().clone();
    let sim = SimConfig::new(&spec, src.rule()).with_fees(-50, 400).with_queue(QueueModel::Power(2.0));
    let cfg = BacktestConfig::new(sim, ConstantLatency::new(5_000_000, 5_000_000).unwrap());
    let r =
        Backtest::new(cfg, BaselineQuoter::new(BaselineConfig::default())).unwrap().run(&mut src.rewound()).unwrap();
    let buys = r.fills.iter().filter(|f| f.side == Side::Buy).count();
    assert!(buys > 100 && r.fills.len() - buys > 100, "fills {} (buys {buys})", r.fills.len());
    assert_eq!(r.counts.events as usize, from_npz.len());
}
