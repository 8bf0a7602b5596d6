//! A Binance recording in exchange order: the reader's events reordered by exchange time.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

use crate::book::SequenceRule;
use crate::replay::source::{CountingReader, EventSource, SourceProgress};
use crate::replay::{EventBatch, EventKind, Skipped, SkippedTally};
use crate::spec::{BinanceMarket, MarketSpec};

use super::{BinanceReader, ReadError, sequence_rule};

/// A gzip recording on disk whose compressed bytes are counted.
pub type CountedFileReader = BinanceReader<BufReader<MultiGzDecoder<CountingReader<File>>>>;

/// File-order events of one Binance recording, for [`BinanceSource`] to put in exchange
/// order: the recording's reader, or its decoded cache ([`crate::replay::cache::CacheReader`]).
pub trait RecordedEvents {
    /// Clears `batch` and appends up to `max_events` events in file order; 0 only at the end
    /// (the contract of [`BinanceReader::next_batch`]).
    fn next_batch(&mut self, batch: &mut EventBatch, max_events: usize) -> Result<usize, ReadError>;
    fn spec(&self) -> &MarketSpec;
    fn market(&self) -> BinanceMarket;
    /// Input consumed so far, for a reader that counts it itself (default: unknown).
    fn progress(&self) -> SourceProgress {
        SourceProgress::default()
    }
}

impl<R: BufRead> RecordedEvents for BinanceReader<R> {
    fn next_batch(&mut self, batch: &mut EventBatch, max_events: usize) -> Result<usize, ReadError> {
        BinanceReader::next_batch(self, batch, max_events)
    }

    fn spec(&self) -> &MarketSpec {
        BinanceReader::spec(self)
    }

    fn market(&self) -> BinanceMarket {
        BinanceReader::market(self)
    }
}

/// Sort key of one pending event: (exchange time, rank, arrival sequence).
/// Rank: trades 0, depth (snapshots and diffs) 1. See [`BinanceSource`].
type Key = (i64, u8, u64);

/// A Binance recording in exchange order.
///
/// Recordings are in *local receive* order, and the depth, trade and ticker streams arrive
/// out of exchange-time order. This adapter:
///
/// 1. drops book tickers (the simulator needs none; they are counted in [`Self::tickers`]);
/// 2. gives an event without an exchange time (a spot REST snapshot) the exchange time of
///    the latest event read before it (so it keeps its place in the file);
/// 3. reorders by **(exchange time, trades before depth updates, file order)** inside a
///    sliding window: an event is released once an event stamped `window_ns` later has been
///    read (all at the end). A trade and a depth diff stamped in the same exchange
///    millisecond: the trade first, because the diff already shows its effect (the level
///    shrank by the traded lots); applied the other way round, a probabilistic queue model
///    would advance our queue position twice, once for the size decrease it sees as
///    cancellations and once more for the trade.
///
/// An event read after the window has passed its time is released late, at the front of the
/// next release, stamped with the latest released time (counted in [`Self::late`]).
///
/// A bad line fails [`EventSource::next_batch`] (the call after continues at the next line),
/// unless the source was made [`Self::skipping_bad_lines`]: then it is counted under its reason
/// and skipped, and an unreadable rest of the input (a truncated gzip) ends the source.
pub struct BinanceSource<R: RecordedEvents> {
    pub(super) reader: R,
    pub(super) window_ns: i64,
    pub(super) read_chunk: usize,
    pub(super) raw: EventBatch,
    pub(super) pending: EventBatch,
    pub(super) keys: Vec<(Key, u32)>,
    pub(super) seq: u64,
    pub(super) last_seen_ts: i64,
    pub(super) max_seen_ts: i64,
    pub(super) released_ts: i64,
    pub(super) eof: bool,
    pub(super) late: u64,
    pub(super) tickers: u64,
    pub(super) count: Option<Arc<AtomicU64>>,
    pub(super) total_bytes: Option<u64>,
    pub(super) scratch: EventBatch,
    pub(super) skipping: Option<SkippedTally>,
}

/// Default reorder window: 2 s of exchange time.
pub const DEFAULT_REORDER_WINDOW_NS: i64 = 2_000_000_000;

impl CountedFileReader {
    /// Opens a gzip recording, counting compressed bytes (see [`crate::replay::binance::FileReader::open`]).
    pub fn open_counted(
        path: &Path,
        market: Option<BinanceMarket>,
        spec: Option<MarketSpec>,
    ) -> Result<(Self, Arc<AtomicU64>, u64), ReadError> {
        let market = market
            .or_else(|| crate::replay::binance::market_from_file_name(path))
            .ok_or_else(|| ReadError::UnknownMarket { path: path.to_owned() })?;
        let spec = super::spec_or_sidecar(path, spec)?;
        let file = File::open(path).map_err(|source| ReadError::Open { path: path.to_owned(), source })?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let count = Arc::new(AtomicU64::new(0));
        let counted = CountingReader { inner: file, count: count.clone() };
        let r = BinanceReader::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(counted)), market, spec)?;
        Ok((r, count, total))
    }
}

impl BinanceSource<CountedFileReader> {
    /// Opens a gzip recording (market family from `market` or the file name prefix, spec from
    /// its sidecar or the first message's symbol when `None`), with byte progress.
    pub fn open(path: &Path, market: Option<BinanceMarket>, spec: Option<MarketSpec>) -> Result<Self, ReadError> {
        let (reader, count, total) = CountedFileReader::open_counted(path, market, spec)?;
        let mut s = Self::new(reader);
        s.count = Some(count);
        s.total_bytes = Some(total);
        Ok(s)
    }
}

impl<R: RecordedEvents> BinanceSource<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            window_ns: DEFAULT_REORDER_WINDOW_NS,
            read_chunk: 4096,
            raw: EventBatch::default(),
            pending: EventBatch::default(),
            keys: Vec::new(),
            seq: 0,
            last_seen_ts: 0,
            max_seen_ts: i64::MIN,
            released_ts: i64::MIN,
            eof: false,
            late: 0,
            tickers: 0,
            count: None,
            total_bytes: None,
            scratch: EventBatch::default(),
            skipping: None,
        }
    }

    /// Counts and skips lines it cannot read instead of failing (see the type's documentation):
    /// what a live venue needs, where one damaged line must not stop the market.
    pub fn skipping_bad_lines(mut self) -> Self {
        self.skipping.get_or_insert_with(SkippedTally::default);
        self
    }

    /// Lines skipped so far (always 0 unless [`Self::skipping_bad_lines`]).
    pub fn skipped_lines(&self) -> u64 {
        self.skipping.as_ref().map_or(0, SkippedTally::total)
    }

    pub fn with_window(mut self, window_ns: i64) -> Self {
        self.window_ns = window_ns.max(0);
        self
    }

    pub fn spec(&self) -> &MarketSpec {
        self.reader.spec()
    }

    pub fn market(&self) -> BinanceMarket {
        self.reader.market()
    }

    pub fn rule(&self) -> SequenceRule {
        sequence_rule(self.reader.market())
    }

    /// Events released after the window had passed their time.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Book tickers dropped.
    pub fn tickers(&self) -> u64 {
        self.tickers
    }

    /// Reads the whole recording into one batch, in exchange order.
    pub fn read_all(&mut self) -> Result<EventBatch, ReadError> {
        let mut all = EventBatch::default();
        let mut batch = EventBatch::default();
        while self.next_batch(&mut batch)? > 0 {
            for e in batch.iter() {
                all.push_event(&e);
            }
        }
        Ok(all)
    }

    pub(super) fn take_raw(&mut self) {
        for i in 0..self.raw.len() {
            let e = self.raw.get(i);
            if e.kind == EventKind::BookTicker {
                self.tickers += 1;
                continue;
            }
            let ts = if e.exchange_ts > 0 { e.exchange_ts } else { self.last_seen_ts };
            self.last_seen_ts = ts;
            self.max_seen_ts = self.max_seen_ts.max(ts);
            let rank = u8::from(e.kind != EventKind::Trade);
            self.keys.push(((ts, rank, self.seq), self.pending.len() as u32));
            self.seq += 1;
            self.pending.push_event_at(&e, ts);
        }
    }

    /// Moves the pending events stamped `<= upto` into `out` in key order; keeps the rest.
    pub(super) fn release(&mut self, upto: i64, out: &mut EventBatch) -> usize {
        self.keys.sort_unstable_by_key(|k| k.0);
        let n = self.keys.partition_point(|k| k.0.0 <= upto);
        for &((ts, _, _), i) in &self.keys[..n] {
            let e = self.pending.get(i as usize);
            let ts = if ts < self.released_ts {
                self.late += 1;
                self.released_ts
            } else {
                ts
            };
            self.released_ts = ts;
            out.push_event_at(&e, ts);
        }
        // Compact what is left.
        self.scratch.clear();
        let rest: Vec<(Key, u32)> = self.keys[n..].to_vec();
        self.keys.clear();
        for (k, i) in rest {
            let e = self.pending.get(i as usize);
            self.keys.push((k, self.scratch.len() as u32));
            self.scratch.push_event(&e);
        }
        std::mem::swap(&mut self.pending, &mut self.scratch);
        n
    }
}

impl<R: RecordedEvents> EventSource for BinanceSource<R> {
    type Error = ReadError;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, ReadError> {
        batch.clear();
        loop {
            if self.eof {
                return Ok(self.release(i64::MAX, batch));
            }
            let n = match (self.reader.next_batch(&mut self.raw, self.read_chunk), &mut self.skipping) {
                (Ok(n), _) => n,
                (Err(e), Some(tally)) => {
                    // The reader resumes at the next line (or ends after an I/O error).
                    tally.record(e.reason(), e.line().unwrap_or(0), || e.to_string());
                    continue;
                }
                (Err(e), None) => return Err(e),
            };
            if n == 0 {
                self.eof = true;
                continue;
            }
            self.take_raw();
            let upto = self.max_seen_ts.saturating_sub(self.window_ns);
            if self.release(upto, batch) > 0 {
                return Ok(batch.len());
            }
        }
    }

    fn progress(&self) -> SourceProgress {
        match &self.count {
            Some(count) => SourceProgress { bytes_read: count.load(Ordering::Relaxed), total_bytes: self.total_bytes },
            None => self.reader.progress(),
        }
    }

    fn take_skipped(&mut self, out: &mut Vec<Skipped>) {
        if let Some(tally) = &mut self.skipping {
            tally.take(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = concat!(
        r#"1 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1000,"s":"BTCUSDT","U":10,"u":12,"b":[["100.00","1.0"]],"a":[]}}"#,
        "\n",
        r#"2 {"stream":"btcusdt@bookTicker","data":{"u":12,"s":"BTCUSDT","b":"100.00","B":"1.0","a":"101.00","A":"1.0"}}"#,
        "\n",
        r#"3 {"stream":"btcusdt@trade","data":{"e":"trade","E":1001,"s":"BTCUSDT","t":7,"p":"100.00","q":"0.5","T":1000,"m":true}}"#,
        "\n",
        r#"4 {"lastUpdateId":12,"bids":[["100.00","1.0"]],"asks":[["101.00","2.0"]]}"#,
        "\n",
        r#"5 {"stream":"btcusdt@trade","data":{"e":"trade","E":1000,"s":"BTCUSDT","t":6,"p":"100.00","q":"0.5","T":999,"m":true}}"#,
        "\n",
    );

    #[test]
    fn exchange_order_trades_first_in_a_millisecond() {
        let reader = BinanceReader::new(LINES.as_bytes(), BinanceMarket::Spot, None).unwrap();
        let mut src = BinanceSource::new(reader);
        let all = src.read_all().unwrap();
        let got: Vec<_> = all.iter().map(|e| (e.kind, e.exchange_ts / 1_000_000, e.local_ts)).collect();
        assert_eq!(
            got,
            vec![
                (EventKind::Trade, 999, 5),
                (EventKind::Trade, 1000, 3),
                (EventKind::DepthDiff, 1000, 1),
                // no exchange time: the latest one read before it (the trade at 1000 ms)
                (EventKind::Snapshot, 1000, 4),
            ]
        );
        assert_eq!((src.tickers(), src.late()), (1, 0));
    }
}
