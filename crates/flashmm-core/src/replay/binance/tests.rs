//! Unit tests of the Binance reader.

use super::error::*;
use super::reader::*;
use super::visitors::*;
use crate::book::Level;
use crate::replay::{Event, NO_ID};
use crate::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};
use crate::spec::{BinanceMarket, MarketSpec, Quantum};
use flate2::read::MultiGzDecoder;
use std::io::BufReader;
use std::path::Path;

const SPOT_DIFF: &str = r#"1723161253937085768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],["61730.17000000","1.50000000"]],"a":[["61837.64000000","1.54698000"]]}}"#;
const SPOT_TRADE: &str = r#"1723161254087896568 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#;
const SPOT_TICKER: &str = r#"1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
const SPOT_SNAPSHOT: &str = r#"1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"],["61837.62000000","0.61700000"]],"asks":[["61837.64000000","1.54698000"]]}"#;

const CM_DIFF: &str = r#"1723161256172216566 {"stream":"btcusd_perp@depth@0ms","data":{"e":"depthUpdate","E":1723161257440,"T":1723161257432,"s":"BTCUSD_PERP","ps":"BTCUSD","U":1007198631260,"u":1007198631565,"pu":1007198631198,"b":[["61773.6","1001"]],"a":[["61801.4","0"],["61817.9","7"]]}}"#;
const CM_TICKER: &str = r#"1723161256188217466 {"stream":"btcusd_perp@bookTicker","data":{"u":1007198631825,"e":"bookTicker","s":"BTCUSD_PERP","ps":"BTCUSD","b":"61804.7","B":"159","a":"61804.8","A":"3794","T":1723161257450,"E":1723161257457}}"#;
const CM_TRADE: &str = r#"1723161256200000000 {"stream":"btcusd_perp@trade","data":{"e":"trade","E":1723161257470,"T":1723161257469,"s":"BTCUSD_PERP","t":1234567,"p":"61804.7","q":"12","X":"MARKET","m":false}}"#;
const CM_SNAPSHOT: &str = r#"1723161256609369665 {"lastUpdateId":1007198635033,"E":1723161257835,"T":1723161257823,"symbol":"BTCUSD_PERP","pair":"BTCUSD","bids":[["61804.7","35"]],"asks":[["61804.8","1645"],["61805.0","2"]]}"#;

fn read_all(input: &str, market: BinanceMarket) -> Result<EventBatch, ReadError> {
    let mut r = BinanceReader::new(input.as_bytes(), market, None)?;
    let mut batch = EventBatch::default();
    let n = r.next_batch(&mut batch, 1000)?;
    assert_eq!(n, batch.len());
    let mut rest = EventBatch::default();
    assert_eq!(r.next_batch(&mut rest, 1000)?, 0);
    Ok(batch)
}

fn one(line: &str, market: BinanceMarket) -> EventBatch {
    let b = read_all(line, market).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.len(), 1);
    b
}

/// Error of a line read after a good first line (so the symbol is known).
fn line_error(bad: impl AsRef<[u8]>) -> String {
    let mut input = format!("{SPOT_TRADE}\n").into_bytes();
    input.extend_from_slice(bad.as_ref());
    input.extend_from_slice(format!("\n{SPOT_TRADE}\n").as_bytes());
    let mut r = BinanceReader::new(&input[..], BinanceMarket::Spot, None).unwrap();
    let mut b = EventBatch::default();
    assert_eq!(r.next_batch(&mut b, 10).unwrap(), 1, "the good line before the bad one");
    let err = r.next_batch(&mut b, 10).expect_err("bad line must fail");
    assert!(b.is_empty());
    assert_eq!(err.line(), Some(2));
    assert_eq!(r.lines_read(), 2);
    // The reader carries on after the bad line.
    assert_eq!(r.next_batch(&mut b, 10).unwrap(), 1);
    assert_eq!(b.kind, vec![EventKind::Trade]);
    assert_eq!(r.next_batch(&mut b, 10).unwrap(), 0);
    err.to_string()
}

#[test]
fn spot_depth_diff() {
    let b = one(SPOT_DIFF, BinanceMarket::Spot);
    let e = b.get(0);
    assert_eq!(
        e,
        Event {
            kind: EventKind::DepthDiff,
            local_ts: 1_723_161_253_937_085_768,
            exchange_ts: 1_723_161_255_208_000_000,
            first_id: 50_093_239_189,
            last_id: 50_093_239_202,
            prev_id: None,
            flags: 0,
            bids: &[Level::new(6_173_763, 0), Level::new(6_173_017, 1_500_000)],
            asks: &[Level::new(6_183_764, 1_546_980)],
        }
    );
    assert_eq!(b.prev_id[0], NO_ID);
}

#[test]
fn spot_trade_ticker_snapshot() {
    let input = format!("{SPOT_TRADE}\n{SPOT_TICKER}\r\n\n{SPOT_SNAPSHOT}");
    let mut r = BinanceReader::new(input.as_bytes(), BinanceMarket::Spot, None).unwrap();
    assert_eq!(r.symbol(), "BTCUSDT");
    assert_eq!(r.spec().tick.to_string(), "0.01");
    assert_eq!(r.market(), BinanceMarket::Spot);
    let mut b = EventBatch::default();
    assert_eq!(r.next_batch(&mut b, 100).unwrap(), 3);
    assert_eq!(r.lines_read(), 4);
    let t = b.get(0);
    assert_eq!(t.kind, EventKind::Trade);
    assert_eq!((t.first_id, t.last_id), (3_735_683_259, 3_735_683_259));
    assert_eq!(t.local_ts, 1_723_161_254_087_896_568);
    assert_eq!(t.exchange_ts, 1_723_161_255_342_000_000, "trade time T, not event time E");
    assert_eq!(t.flags, FLAG_BUYER_MAKER);
    assert_eq!(t.bids, &[Level::new(6_183_763, 20_000)]);
    assert!(t.asks.is_empty());

    let k = b.get(1);
    assert_eq!(k.kind, EventKind::BookTicker);
    assert_eq!((k.first_id, k.last_id), (50_093_239_212, 50_093_239_212));
    assert_eq!(k.exchange_ts, 0, "spot bookTicker has no E");
    assert_eq!(k.bids, &[Level::new(6_183_763, 3_788_260)]);
    assert_eq!(k.asks, &[Level::new(6_183_764, 1_546_980)]);
    assert_eq!(k.prev_id, None);

    let s = b.get(2);
    assert_eq!(s.kind, EventKind::Snapshot);
    assert_eq!((s.first_id, s.last_id), (50_093_239_218, 50_093_239_218));
    assert_eq!(s.local_ts, 1_723_161_254_206_652_067);
    assert_eq!(s.exchange_ts, 0);
    assert_eq!(s.bids, &[Level::new(6_183_763, 3_788_260), Level::new(6_183_762, 617_000)]);
    assert_eq!(s.asks, &[Level::new(6_183_764, 1_546_980)]);
    assert_eq!(r.next_batch(&mut b, 100).unwrap(), 0);
    assert!(b.is_empty());
}

#[test]
fn coin_m_messages() {
    let input = [CM_DIFF, CM_TICKER, CM_TRADE, CM_SNAPSHOT].join("\n");
    let b = read_all(&input, BinanceMarket::CoinM).unwrap();
    assert_eq!(b.kind, vec![EventKind::DepthDiff, EventKind::BookTicker, EventKind::Trade, EventKind::Snapshot]);
    let d = b.get(0);
    assert_eq!((d.first_id, d.last_id, d.prev_id), (1_007_198_631_260, 1_007_198_631_565, Some(1_007_198_631_198)));
    assert_eq!(d.exchange_ts, 1_723_161_257_440_000_000);
    assert_eq!(d.bids, &[Level::new(617_736, 1001)]);
    assert_eq!(d.asks, &[Level::new(618_014, 0), Level::new(618_179, 7)]);
    let k = b.get(1);
    assert_eq!(k.first_id, 1_007_198_631_825);
    assert_eq!(k.exchange_ts, 1_723_161_257_457_000_000, "futures bookTicker: E");
    assert_eq!(k.bids, &[Level::new(618_047, 159)]);
    assert_eq!(k.asks, &[Level::new(618_048, 3794)]);
    let t = b.get(2);
    assert_eq!((t.first_id, t.flags), (1_234_567, 0));
    assert_eq!(t.exchange_ts, 1_723_161_257_469_000_000);
    assert_eq!(t.bids, &[Level::new(618_047, 12)]);
    let s = b.get(3);
    assert_eq!(s.first_id, 1_007_198_635_033);
    assert_eq!(s.exchange_ts, 1_723_161_257_835_000_000);
    assert_eq!(s.bids, &[Level::new(618_047, 35)]);
    assert_eq!(s.asks, &[Level::new(618_048, 1645), Level::new(618_050, 2)]);
    // Level ownership is contiguous, bids first.
    assert_eq!(b.level_start, vec![0, 3, 5, 6]);
    assert_eq!(b.levels.len(), 9);
}

#[test]
fn key_order_and_escapes_do_not_matter() {
    // "data" before "stream", asks before bids, an escaped digit in a price.
    let line = r#"5 {"data":{"a":[["2.5","1"]],"pu":3,"u":9,"b":[["2\u002e4","2"]],"U":4,"E":7,"s":"ETHUSD_PERP"},"stream":"ethusd_perp@depth"}"#;
    let b = one(line, BinanceMarket::CoinM);
    let d = b.get(0);
    assert_eq!((d.local_ts, d.exchange_ts, d.first_id, d.last_id, d.prev_id), (5, 7_000_000, 4, 9, Some(3)));
    assert_eq!(d.bids, &[Level::new(240, 2)]);
    assert_eq!(d.asks, &[Level::new(250, 1)]);
}

#[test]
fn given_spec_is_used_and_symbol_checked() {
    let spec = MarketSpec::new("BTCUSDT", "0.01", "0.00001").unwrap();
    let mut r = BinanceReader::new(SPOT_TRADE.as_bytes(), BinanceMarket::Spot, Some(spec)).unwrap();
    assert_eq!(r.lines_read(), 0, "no peeking with a given spec");
    let mut b = EventBatch::default();
    assert_eq!(r.next_batch(&mut b, 0).unwrap(), 1, "max_events 0 still reads");

    let other = MarketSpec::new("ETHUSDT", "0.01", "0.0001").unwrap();
    let mut r = BinanceReader::new(SPOT_TRADE.as_bytes(), BinanceMarket::Spot, Some(other)).unwrap();
    let err = r.next_batch(&mut b, 10).unwrap_err().to_string();
    assert_eq!(err, "line 1: stream symbol 'btcusdt' does not match the reader's symbol 'ETHUSDT'");
}

#[test]
fn batches_respect_max_events() {
    let input = [SPOT_TRADE; 5].join("\n");
    let mut r = BinanceReader::new(input.as_bytes(), BinanceMarket::Spot, None).unwrap();
    let mut b = EventBatch::default();
    let mut sizes = vec![];
    loop {
        let n = r.next_batch(&mut b, 2).unwrap();
        if n == 0 {
            break;
        }
        assert_eq!(b.len(), n);
        assert_eq!(b.levels.len(), n);
        sizes.push(n);
    }
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(r.lines_read(), 5);
}

#[test]
fn events_before_a_bad_line_are_returned_then_the_error() {
    let input = format!("{SPOT_TRADE}\n{SPOT_TICKER}\nnot a line\n{SPOT_DIFF}\n");
    let mut r = BinanceReader::new(input.as_bytes(), BinanceMarket::Spot, None).unwrap();
    let mut b = EventBatch::default();
    assert_eq!(r.next_batch(&mut b, 100).unwrap(), 2);
    assert_eq!(b.kind, vec![EventKind::Trade, EventKind::BookTicker]);
    assert_eq!(b.levels.len(), 3);
    let err = r.next_batch(&mut b, 100).unwrap_err();
    assert!(b.is_empty());
    assert!(matches!(err, ReadError::Line { line: 3, reason: LineError::BadTimestamp(_) }), "{err:?}");
    assert_eq!(r.next_batch(&mut b, 100).unwrap(), 1);
    assert_eq!(b.kind, vec![EventKind::DepthDiff]);
    assert_eq!(b.level_start, vec![0]);
    assert_eq!(r.next_batch(&mut b, 100).unwrap(), 0);
}

#[test]
fn malformed_lines() {
    assert_eq!(line_error("1723161254087896568"), "line 2: expected '<receive ns> <json>' but the line has no space");
    assert_eq!(
        line_error("17231x1254087896568 {}"),
        "line 2: bad receive timestamp '17231x1254087896568': expected 1 to 19 decimal digits (ns since the epoch)"
    );
    assert!(line_error("99999999999999999999 {}").starts_with("line 2: bad receive timestamp '99999999999999999999'"));
    assert!(line_error(" {}").starts_with("line 2: bad receive timestamp ''"));
    assert!(line_error("-5 {}").starts_with("line 2: bad receive timestamp '-5'"));
    let e = line_error(r#"1 {"stream":"btcusdt@trade","data":{"e":"trade""#);
    assert!(e.starts_with("line 2: bad JSON: EOF while parsing"), "{e}");
    let e = line_error(r#"1 {"stream":"btcusdt@trade","data":{}} trailing"#);
    assert!(e.starts_with("line 2: bad JSON: trailing characters"), "{e}");
    let e = line_error("1 [1,2,3]");
    assert!(e.starts_with("line 2: bad JSON: invalid type: sequence, expected a JSON object"), "{e}");
    let e = line_error(b"1 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"tr\xffde\"}}");
    assert!(e.starts_with("line 2: bad JSON"), "{e}");
    assert_eq!(
        line_error(r#"1 {"foo":1}"#),
        "line 2: neither a combined-stream message {\"stream\",\"data\"} nor a depth snapshot {\"lastUpdateId\",\"bids\",\"asks\"}"
    );
    assert_eq!(line_error(r#"1 {"stream":"btcusdt@trade"}"#), "line 2: stream message is missing field 'data'");
    assert_eq!(line_error(r#"1 {"data":{}}"#), "line 2: stream message is missing field 'stream'");
}

#[test]
fn unknown_stream_is_named() {
    let e =
        line_error(r#"1 {"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":1,"o":"1"}}}"#);
    assert!(e.starts_with("line 2: unknown stream 'btcusdt@kline_1m'"), "{e}");
    // aggTrade's "a" is an integer: the stream name must be checked before the data.
    let e = line_error(r#"1 {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","a":5,"p":"1","q":"1"}}"#);
    assert!(e.starts_with("line 2: unknown stream 'btcusdt@aggTrade'"), "{e}");
    let e = line_error(r#"1 {"stream":"btcusdt@depth20@100ms","data":{}}"#);
    assert!(e.starts_with("line 2: unknown stream 'btcusdt@depth20@100ms'"), "{e}");
    let e = line_error(r#"1 {"stream":"btcusdt","data":{}}"#);
    assert!(e.starts_with("line 2: unknown stream 'btcusdt'"), "{e}");
    let e = line_error(r#"1 {"stream":"btcusdt@trade","data":{"e":"depthUpdate"}}"#);
    assert_eq!(e, "line 2: stream 'btcusdt@trade' carries event type 'depthUpdate', expected 'trade'");
}

#[test]
fn symbol_mismatch() {
    let e = line_error(SPOT_TRADE.replace("btcusdt@", "ethusdt@"));
    assert_eq!(e, "line 2: stream symbol 'ethusdt' does not match the reader's symbol 'BTCUSDT'");
    let e = line_error(SPOT_TRADE.replace("\"s\":\"BTCUSDT\"", "\"s\":\"ETHUSDT\""));
    assert_eq!(e, "line 2: 's' 'ETHUSDT' does not match the reader's symbol 'BTCUSDT'");
    let snap = r#"1 {"lastUpdateId":1,"symbol":"ETHUSDT","bids":[],"asks":[]}"#;
    assert_eq!(line_error(snap), "line 2: snapshot symbol 'ETHUSDT' does not match the reader's symbol 'BTCUSDT'");
}

#[test]
fn bad_decimals_name_the_field() {
    let e = line_error(SPOT_DIFF.replace("61730.17000000", "61730.175"));
    assert_eq!(e, "line 2: b[1] price: '61730.175' is not on the grid of 0.01");
    let e = line_error(SPOT_DIFF.replace("1.54698000", "1.5469801"));
    assert_eq!(e, "line 2: a[0] size: '1.5469801' is not on the grid of 0.000001");
    let e = line_error(SPOT_TRADE.replace("61837.63000000", "NaN"));
    assert_eq!(e, "line 2: p: 'NaN' is not a decimal number");
    let e = line_error(SPOT_TRADE.replace("0.02000000", "-0.02"));
    assert_eq!(e, "line 2: q: '-0.02' is negative");
    let e = line_error(SPOT_TICKER.replace("3.78826000", "inf"));
    assert_eq!(e, "line 2: B: 'inf' is not a decimal number");
    let e = line_error(SPOT_TICKER.replace("\"a\":\"61837.64000000\"", "\"a\":\"\""));
    assert_eq!(e, "line 2: a: '' is not a decimal number");
    let e = line_error(SPOT_SNAPSHOT.replace("0.61700000", "1e3"));
    assert_eq!(e, "line 2: bids[1] size: '1e3' is not a decimal number");
    let e = line_error(SPOT_SNAPSHOT.replace("61837.64000000", "99999999999999999999999"));
    assert_eq!(e, "line 2: asks[0] price: '99999999999999999999999' is too large");
    // Numbers instead of strings.
    let e = line_error(SPOT_TRADE.replace("\"61837.63000000\"", "61837.63"));
    assert!(
        e.starts_with("line 2: bad JSON: invalid type: floating point `61837.63`, expected a decimal string for p"),
        "{e}"
    );
    let e = line_error(SPOT_DIFF.replace("[\"61730.17000000\",\"1.50000000\"]", "[\"61730.17000000\"]"));
    assert_eq!(e, "line 2: b[1] is not a [price, size] pair");
    let e = line_error(SPOT_DIFF.replace("[\"61730.17000000\",\"1.50000000\"]", "[\"1\",\"1\",\"1\"]"));
    assert_eq!(e, "line 2: b[1] is not a [price, size] pair");
    let e = line_error(SPOT_DIFF.replace("[\"61730.17000000\",\"1.50000000\"]", "5"));
    assert!(
        e.starts_with("line 2: bad JSON: invalid type: integer `5`, expected a [price, size] pair for b[1]"),
        "{e}"
    );
}

#[test]
fn missing_and_duplicate_fields() {
    assert_eq!(line_error(SPOT_TRADE.replace("\"t\":3735683259,", "")), "line 2: trade is missing field 't'");
    assert_eq!(line_error(SPOT_TRADE.replace("\"T\":1723161255342,", "")), "line 2: trade is missing field 'T'");
    assert_eq!(line_error(SPOT_DIFF.replace("\"U\":50093239189,", "")), "line 2: depth diff is missing field 'U'");
    assert_eq!(line_error(SPOT_TICKER.replace(",\"A\":\"1.54698000\"", "")), "line 2: bookTicker is missing field 'A'");
    assert_eq!(
        line_error(SPOT_DIFF.replace("\"U\":50093239189,", "\"U\":50093239189,\"U\":1,")),
        "line 2: field 'U' appears twice"
    );
    assert_eq!(line_error(SPOT_DIFF.replace("\"b\":", "\"b\":[],\"b\":")), "line 2: field 'b' appears twice");
    assert_eq!(
        line_error(SPOT_DIFF.replace("\"U\":50093239189,", "\"pu\":1,\"U\":50093239189,")),
        "line 2: a spot depth diff carries 'pu': is this a futures recording read as spot?"
    );
    assert_eq!(
        line_error(SPOT_TICKER.replace("\"b\":\"61837.63000000\"", "\"b\":[]")),
        "line 2: 'b' of a bookTicker must be a price string"
    );
    assert_eq!(
        line_error(SPOT_DIFF.replace("\"b\":[", "\"b\":\"1\",\"x\":[")),
        "line 2: 'b' of a depth diff must be an array of [price, size] levels"
    );
    let e = line_error(SPOT_DIFF.replace("\"U\":50093239189", "\"U\":-1"));
    assert!(e.starts_with("line 2: bad JSON: invalid value: integer `-1`, expected u64"), "{e}");
    assert_eq!(
        line_error(SPOT_DIFF.replace("\"E\":1723161255208", "\"E\":18446744073709551615")),
        "line 2: 'E' = 18446744073709551615 ms is out of range"
    );
}

#[test]
fn futures_diff_needs_pu() {
    let input = CM_DIFF.replace("\"pu\":1007198631198,", "");
    let err = read_all(&input, BinanceMarket::CoinM).unwrap_err();
    assert_eq!(err.to_string(), "line 1: futures depth diff is missing field 'pu'");
}

#[test]
fn symbol_inference_errors() {
    let err = BinanceReader::new(&b""[..], BinanceMarket::Spot, None).err().unwrap();
    assert_eq!(err.to_string(), "cannot infer the symbol: the input is empty; pass a MarketSpec");
    let err = BinanceReader::new(SPOT_SNAPSHOT.as_bytes(), BinanceMarket::Spot, None).err().unwrap();
    assert_eq!(
        err.to_string(),
        "cannot infer the symbol: line 1 names no symbol (a REST snapshot without 'symbol'?); pass a MarketSpec"
    );
    let err = BinanceReader::new(SPOT_TRADE.as_bytes(), BinanceMarket::CoinM, None).err().unwrap();
    assert_eq!(err.to_string(), "no built-in market spec for Binance CoinM symbol 'btcusdt'; pass a MarketSpec");
    let err = BinanceReader::new(&b"\n\nxyz\n"[..], BinanceMarket::Spot, None).err().unwrap();
    assert_eq!(err.to_string(), "line 3: expected '<receive ns> <json>' but the line has no space");
    // A coin-M snapshot names its symbol.
    let r = BinanceReader::new(CM_SNAPSHOT.as_bytes(), BinanceMarket::CoinM, None).unwrap();
    assert_eq!(r.symbol(), "BTCUSD_PERP");
}

#[test]
fn open_infers_market_or_asks_for_it() {
    assert_eq!(market_from_file_name(Path::new("/x/spot_btcusdt_20240808.gz")), Some(BinanceMarket::Spot));
    assert_eq!(market_from_file_name(Path::new("usdm_ethusdt.gz")), Some(BinanceMarket::UsdM));
    assert_eq!(market_from_file_name(Path::new("CM_btcusd_perp.gz")), Some(BinanceMarket::CoinM));
    assert_eq!(market_from_file_name(Path::new("/spot_/btc.gz")), None);
    let err = BinanceReader::open(Path::new("/nonexistent/btc.gz"), None, None).err().unwrap();
    assert!(err.to_string().contains("pass the market explicitly"), "{err}");
    let err = BinanceReader::open(Path::new("/nonexistent/spot_btc.gz"), None, None).err().unwrap();
    assert!(matches!(err, ReadError::Open { .. }), "{err}");
}

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

#[test]
fn truncated_gzip_is_an_error_not_a_panic() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&SPOT_TRADE.replace("3735683259", &(3_735_683_259u64 + i).to_string()));
        text.push('\n');
    }
    let whole = gzip(&text);
    let cut = &whole[..whole.len() / 2];
    let input = BufReader::new(MultiGzDecoder::new(cut));
    let mut r = BinanceReader::new(input, BinanceMarket::Spot, None).unwrap();
    let mut b = EventBatch::default();
    let mut events = 0;
    let err = loop {
        match r.next_batch(&mut b, 256) {
            Ok(0) => panic!("a truncated gzip must not end cleanly"),
            Ok(n) => events += n,
            Err(e) => break e,
        }
    };
    assert!(events > 0 && events < 2000, "{events}");
    let msg = err.to_string();
    assert!(matches!(err, ReadError::Io { .. }), "{err:?}");
    assert!(msg.starts_with(&format!("truncated or corrupt gzip at line {}", r.lines_read() + 1)), "{msg}");
    // The input is over: no endless error loop.
    assert_eq!(r.next_batch(&mut b, 256).unwrap(), 0);
    assert_eq!(r.next_batch(&mut b, 256).unwrap(), 0);

    // Garbage instead of gzip.
    let input = BufReader::new(MultiGzDecoder::new(&b"definitely not gzip"[..]));
    let err = BinanceReader::new(input, BinanceMarket::Spot, None).err().unwrap();
    assert!(err.to_string().starts_with("truncated or corrupt gzip at line 1"), "{err}");
}

#[test]
fn whole_gzip_reads_cleanly() {
    let text = [SPOT_DIFF, SPOT_TRADE, SPOT_TICKER, SPOT_SNAPSHOT].join("\n") + "\n";
    let bytes = gzip(&text);
    let input = BufReader::new(MultiGzDecoder::new(&bytes[..]));
    let mut r = BinanceReader::new(input, BinanceMarket::Spot, None).unwrap();
    let mut b = EventBatch::default();
    assert_eq!(r.next_batch(&mut b, 100).unwrap(), 4);
    assert_eq!(r.next_batch(&mut b, 100).unwrap(), 0);
}

fn pow10_quantum(scale: u32) -> Quantum {
    let s = if scale == 0 { "1".to_owned() } else { format!("0.{}1", "0".repeat(scale as usize - 1)) };
    Quantum::parse(&s, "tick size").unwrap()
}

proptest::proptest! {
    /// The fast decimal path returns exactly what `Quantum::count` returns, and is taken
    /// for every valid value of up to 19 bytes.
    #[test]
    fn fast_decimal_path_agrees_with_quantum_count(
        s in "[0-9]{0,21}(\\.[0-9]{0,21})?|[0-9]{1,12}\\.[0-9]{0,6}0{0,18}|[-+0-9.eE a]{0,8}",
        scale in 0u32..=18,
    ) {
        let q = pow10_quantum(scale);
        let slow = q.count(&s);
        proptest::prop_assert_eq!(count(q, &s), slow.clone());
        let fast = count_pow10(s.as_bytes(), scale);
        proptest::prop_assert_eq!(fast.is_some(), slow.is_ok() && s.len() <= 19);
    }
}

#[test]
fn fast_decimal_path_examples() {
    assert_eq!(count_pow10(b"61773.6", 1), Some(617_736));
    assert_eq!(count_pow10(b"61837.63000000", 2), Some(6_183_763));
    assert_eq!(count_pow10(b"25.42618900", 5), None, "off grid");
    assert_eq!(count_pow10(b"25.42618900", 6), Some(25_426_189));
    assert_eq!(count_pow10(b"0.00000000", 6), Some(0));
    assert_eq!(count_pow10(b"1001", 0), Some(1001));
    assert_eq!(count_pow10(b"12", 3), Some(12_000));
    for bad in [&b""[..], b".", b"1.", b".5", b"1..2", b"-1", b"1e5", b"NaN", b" 1", b"1 "] {
        assert_eq!(count_pow10(bad, 2), None, "{:?}", String::from_utf8_lossy(bad));
    }
    assert_eq!(count_pow10(b"9999999999999999999", 0), None, "beyond i64");
    assert_eq!(count_pow10(b"9223372036854775807", 0), Some(i64::MAX));
    assert_eq!(count_pow10(b"922337203685477580", 1), Some(9_223_372_036_854_775_800));
    assert_eq!(count_pow10(b"922337203685477581", 1), None, "overflows once scaled");
}

/// Never panics on arbitrary bytes (a cheap stand-in for the cargo-fuzz target).
#[test]
fn arbitrary_bytes_never_panic() {
    let seeds = [SPOT_DIFF, SPOT_TRADE, SPOT_TICKER, SPOT_SNAPSHOT, CM_DIFF, CM_TICKER, CM_TRADE, CM_SNAPSHOT];
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for round in 0..3000 {
        let seed = seeds[round % seeds.len()];
        let mut bytes = format!("{SPOT_TRADE}\n{seed}\n{seed}").into_bytes();
        for _ in 0..(1 + next() % 6) {
            if bytes.is_empty() {
                break;
            }
            let i = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => bytes[i] = next() as u8,
                1 => {
                    bytes.remove(i);
                }
                2 => bytes.insert(i, b"\"[]{},:0.\n\\ -"[(next() % 13) as usize]),
                _ => bytes.truncate(i),
            }
        }
        for market in [BinanceMarket::Spot, BinanceMarket::CoinM] {
            if let Ok(mut r) = BinanceReader::new(&bytes[..], market, None) {
                let mut b = EventBatch::default();
                for _ in 0..10 {
                    match r.next_batch(&mut b, 2) {
                        Ok(0) => break,
                        Ok(n) => {
                            assert_eq!(b.len(), n);
                            for e in b.iter() {
                                let _ = e.bids.len() + e.asks.len();
                            }
                        }
                        Err(_) => assert!(b.is_empty()),
                    }
                }
            }
        }
    }
}
