//! Arbitrary bytes through the Binance recording reader, as plain lines and as gzip.
//! Any input must end in events or errors, never a panic or a hang.
#![no_main]

use std::io::{BufReader, Cursor};

use flashmm_core::replay::EventBatch;
use flashmm_core::replay::binance::BinanceReader;
use flashmm_core::spec::{BinanceMarket, MarketSpec};
use flate2::read::MultiGzDecoder;
use libfuzzer_sys::fuzz_target;

fn drain<R: std::io::BufRead>(reader: Result<BinanceReader<R>, flashmm_core::replay::binance::ReadError>) {
    let Ok(mut reader) = reader else { return };
    let mut batch = EventBatch::default();
    // Bounded: every call consumes at least one line or ends the input.
    for _ in 0..10_000 {
        match reader.next_batch(&mut batch, 64) {
            Ok(0) => return,
            Ok(n) => {
                assert_eq!(n, batch.len());
                for e in batch.iter() {
                    assert!(e.bids.len() + e.asks.len() <= batch.levels.len());
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let market = match data.first().map(|b| b % 3) {
        Some(0) => BinanceMarket::Spot,
        Some(1) => BinanceMarket::UsdM,
        _ => BinanceMarket::CoinM,
    };
    let spec = MarketSpec::binance("BTCUSDT", BinanceMarket::Spot);
    drain(BinanceReader::new(Cursor::new(data), market, spec));
    drain(BinanceReader::new(Cursor::new(data), market, None));
    drain(BinanceReader::new(BufReader::new(MultiGzDecoder::new(data)), market, None));
});
