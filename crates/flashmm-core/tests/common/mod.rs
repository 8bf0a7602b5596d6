//! Shared test helpers: where the recordings are.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;

/// The six Binance recordings in `shared/data/binance`.
pub const BINANCE_FILES: [&str; 6] = [
    "spot_btcusdt_20240808.gz",
    "spot_ethusdt_20240808.gz",
    "usdm_btcusdt_20240808.gz",
    "usdm_ethusdt_20240808.gz",
    "cm_btcusd_perp_20240808.gz",
    "cm_ethusd_perp_20240808.gz",
];

/// `$FLASHMM_DATA_DIR/binance/<name>` (default `<repo>/../shared/data`). A missing file
/// fails the test: data tests are never skipped silently.
pub fn data_file(name: &str) -> PathBuf {
    let dir = match std::env::var_os("FLASHMM_DATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    for candidate in [dir.join("binance").join(name), dir.join(name)] {
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("{name} not found under {}: set FLASHMM_DATA_DIR to the directory holding binance/", dir.display());
}

/// xorshift64*: deterministic test randomness, the same sequence on every platform.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// [`Rng::below`] as a signed number, for tick arithmetic.
    pub fn signed_below(&mut self, n: u64) -> i64 {
        self.below(n) as i64
    }
}
