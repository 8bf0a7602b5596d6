//! Event sources: where market events come from, in exchange order, for the backtester and the
//! simulated venue alike. The sources themselves live beside this trait: the Binance recording
//! (`binance::BinanceSource`), the zero-intelligence generator (`generated`), a source on another
//! clock (`retimed`), and events in memory (`MemorySource`).

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::replay::EventBatch;

/// How far a source has got, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceProgress {
    /// Input bytes consumed so far (compressed bytes for a gzip file).
    pub bytes_read: u64,
    /// Total input bytes, when known.
    pub total_bytes: Option<u64>,
}

/// A stream of market events for the simulated exchange.
///
/// Contract: events come **in the order the exchange processes them**, with `exchange_ts > 0`
/// and non-decreasing across calls (the driver clamps a late event to the clock and counts it
/// in [`crate::backtest::BacktestCounts::late_events`]). `next_batch` clears `batch`, appends events and
/// returns how many; 0 only at the end.
pub trait EventSource {
    type Error: std::error::Error + Send + Sync + 'static;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, Self::Error>;

    /// Input consumed so far (default: unknown).
    fn progress(&self) -> SourceProgress {
        SourceProgress::default()
    }
}

impl<E: EventSource + ?Sized> EventSource for &mut E {
    type Error = E::Error;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, Self::Error> {
        (**self).next_batch(batch)
    }

    fn progress(&self) -> SourceProgress {
        (**self).progress()
    }
}

/// Events already in memory (already in exchange order), handed out in chunks.
#[derive(Clone, Debug)]
pub struct MemorySource<'a> {
    events: &'a EventBatch,
    next: usize,
    chunk: usize,
}

impl<'a> MemorySource<'a> {
    pub fn new(events: &'a EventBatch) -> Self {
        Self { events, next: 0, chunk: 4096 }
    }

    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }
}

impl EventSource for MemorySource<'_> {
    type Error = std::convert::Infallible;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, Self::Error> {
        batch.clear();
        let end = (self.next + self.chunk).min(self.events.len());
        for i in self.next..end {
            let e = self.events.get(i);
            batch.push_event(&e);
        }
        let n = end - self.next;
        self.next = end;
        Ok(n)
    }

    fn progress(&self) -> SourceProgress {
        SourceProgress { bytes_read: self.next as u64, total_bytes: Some(self.events.len() as u64) }
    }
}

/// A reader that counts the bytes read through it (shared counter, so the count is visible
/// through the decoder and buffer layered on top).
pub struct CountingReader<R> {
    pub(crate) inner: R,
    pub(crate) count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
