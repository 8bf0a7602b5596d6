//! The reader: lines of a (gzip) recording into event batches, with resumption after a bad line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::book::Level;
use crate::replay::EventBatch;
use crate::spec::{BinanceMarket, MarketSpec};

use super::error::*;
use super::line::*;

/// The market family a recording's file name announces (`spot_`, `usdm_`, `cm_`).
pub fn market_from_file_name(path: &Path) -> Option<BinanceMarket> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.starts_with("spot_") {
        Some(BinanceMarket::Spot)
    } else if name.starts_with("usdm_") {
        Some(BinanceMarket::UsdM)
    } else if name.starts_with("cm_") {
        Some(BinanceMarket::CoinM)
    } else {
        None
    }
}

/// `spec`, else the spec in `path`'s sidecar (`<path>.spec.json`, written by `flashmm record`,
/// [`crate::replay::record`]), else `None` (the reader then takes the symbol's built-in
/// Binance spec). A bad sidecar is an error naming it, never a silent fallback.
pub fn spec_or_sidecar(path: &Path, spec: Option<MarketSpec>) -> Result<Option<MarketSpec>, ReadError> {
    match spec {
        Some(s) => Ok(Some(s)),
        None => crate::replay::record::sidecar_spec(path).map_err(|(path, reason)| ReadError::Spec { path, reason }),
    }
}

/// Streaming reader of one Binance recording (one symbol) into [`EventBatch`]es.
pub struct BinanceReader<R: BufRead> {
    pub(super) input: R,
    pub(super) market: BinanceMarket,
    pub(super) spec: MarketSpec,
    /// Reused line buffer.
    pub(super) line: Vec<u8>,
    /// Reused scratch for ask levels (bids go straight into the batch).
    pub(super) asks: Vec<Level>,
    pub(super) lines_read: u64,
    /// `line` holds a line already counted but not yet turned into an event.
    pub(super) pending_line: bool,
    /// An error to report on the next call (the batch it ended was returned first).
    pub(super) deferred: Option<ReadError>,
    /// End of input or an I/O error: nothing more will be read.
    pub(super) done: bool,
}

/// A reader of a gzip recording on disk.
pub type FileReader = BinanceReader<BufReader<MultiGzDecoder<File>>>;

impl FileReader {
    /// Opens a gzip recording. `spec`: `None` → the sidecar `<path>.spec.json` written by
    /// `flashmm record` if there is one ([`spec_or_sidecar`]), else [`MarketSpec::binance`] for
    /// the first message's symbol; the market family from `market`, else from the file name prefix (`spot_`,
    /// `usdm_`, `cm_`), else an error asking to pass it.
    pub fn open(path: &Path, market: Option<BinanceMarket>, spec: Option<MarketSpec>) -> Result<Self, ReadError> {
        let market = match market.or_else(|| market_from_file_name(path)) {
            Some(m) => m,
            None => {
                return Err(ReadError::UnknownMarket { path: path.to_owned() });
            }
        };
        let spec = spec_or_sidecar(path, spec)?;
        let file = File::open(path).map_err(|source| ReadError::Open { path: path.to_owned(), source })?;
        Self::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file)), market, spec)
    }
}

impl<R: BufRead> BinanceReader<R> {
    /// A reader over decompressed lines. With `spec: None` the first non-blank line is read
    /// now to learn the symbol (it is still returned by the first `next_batch`).
    pub fn new(mut input: R, market: BinanceMarket, spec: Option<MarketSpec>) -> Result<Self, ReadError> {
        let mut line = Vec::with_capacity(1 << 12);
        let mut lines_read = 0;
        let mut done = false;
        let (spec, pending_line) = match spec {
            Some(spec) => (spec, false),
            None => {
                let symbol = loop {
                    if !read_line(&mut input, &mut line, &mut lines_read, &mut done)? {
                        return Err(ReadError::NoSymbol { reason: "the input is empty".into() });
                    }
                    let trimmed = trim_eol(&line);
                    if trimmed.is_empty() {
                        continue;
                    }
                    match peek_symbol(trimmed) {
                        Ok(Some(s)) => break s,
                        Ok(None) => {
                            return Err(ReadError::NoSymbol {
                                reason: format!(
                                    "line {lines_read} names no symbol (a REST snapshot without 'symbol'?)"
                                ),
                            });
                        }
                        Err(reason) => {
                            return Err(ReadError::Line { line: lines_read, reason });
                        }
                    }
                };
                let spec = MarketSpec::binance(&symbol, market).ok_or(ReadError::UnknownSpec { market, symbol })?;
                (spec, true)
            }
        };
        Ok(Self {
            input,
            market,
            spec,
            line,
            asks: Vec::with_capacity(1 << 10),
            lines_read,
            pending_line,
            deferred: None,
            done,
        })
    }

    pub fn market(&self) -> BinanceMarket {
        self.market
    }

    pub fn spec(&self) -> &MarketSpec {
        &self.spec
    }

    pub fn symbol(&self) -> &str {
        &self.spec.symbol
    }

    /// Lines consumed so far (1-based number of the last line read), blank lines included.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// Clears `batch` and appends up to `max_events` events (at least one is asked for even if
    /// `max_events` is 0); returns how many, 0 only at the end of the input.
    ///
    /// On a bad line: `Err(ReadError::Line)` if no event was appended yet, otherwise
    /// `Ok(count)` now and that error on the next call; the call after it continues at the
    /// next line. An I/O error ends the input (later calls return `Ok(0)`). See the module
    /// documentation.
    pub fn next_batch(&mut self, batch: &mut EventBatch, max_events: usize) -> Result<usize, ReadError> {
        batch.clear();
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let max = max_events.max(1);
        let mut count = 0usize;
        while count < max {
            if self.pending_line {
                self.pending_line = false;
            } else {
                match read_line(&mut self.input, &mut self.line, &mut self.lines_read, &mut self.done) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return self.fail(e, count),
                }
            }
            match parse_line(&self.line, &self.spec, self.market, batch, &mut self.asks) {
                Ok(true) => count += 1,
                Ok(false) => {}
                Err(reason) => {
                    let e = ReadError::Line { line: self.lines_read, reason };
                    return self.fail(e, count);
                }
            }
        }
        Ok(count)
    }

    pub(super) fn fail(&mut self, e: ReadError, count: usize) -> Result<usize, ReadError> {
        if count == 0 {
            Err(e)
        } else {
            self.deferred = Some(e);
            Ok(count)
        }
    }
}

/// Reads the next line into `line`; `Ok(false)` at the end of the input. An I/O error ends it.
pub(super) fn read_line<R: BufRead>(
    input: &mut R,
    line: &mut Vec<u8>,
    lines_read: &mut u64,
    done: &mut bool,
) -> Result<bool, ReadError> {
    if *done {
        return Ok(false);
    }
    line.clear();
    match input.read_until(b'\n', line) {
        Ok(0) => {
            *done = true;
            Ok(false)
        }
        Ok(_) => {
            *lines_read += 1;
            Ok(true)
        }
        Err(source) => {
            *done = true;
            line.clear();
            Err(ReadError::Io { line: *lines_read + 1, source })
        }
    }
}
