//! Generated event sources: a market generator as an [`EventSource`], so that a backtest (or
//! the embedded simulated venue) runs on a synthetic market as it runs on a recording.

use crate::book::SequenceRule;
use crate::market_gen::{ZiError, ZiGenerator, ZiParams};
use crate::replay::EventBatch;

use super::source::{EventSource, SourceProgress};

/// Default batch window of [`ZiSource`]: 1 s of exchange time per batch.
pub const DEFAULT_GENERATOR_WINDOW_NS: i64 = 1_000_000_000;

/// The batch window of a generated market driven live (the daemon's sim venue): 100 ms, so
/// events reach the host about as often as the venue is pumped.
pub const LIVE_GENERATOR_WINDOW_NS: i64 = 100_000_000;

/// The default generated market: Binance USD-M BTCUSDT's grid around 60 000, seed 1.
pub const DEFAULT_GENERATOR_SYMBOL: &str = "BTCUSDT";
pub const DEFAULT_GENERATOR_INITIAL_PRICE: &str = "60000";
pub const DEFAULT_GENERATOR_SEED: u64 = 1;

/// Default start of a generated market: 2024-01-01T00:00:00Z, a fixed time so that a
/// generated backtest is reproducible byte for byte.
pub const DEFAULT_GENERATOR_START_NS: i64 = 1_704_067_200_000_000_000;

/// Errors building a generated source.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeneratedError {
    #[error(transparent)]
    Zi(#[from] ZiError),
    #[error("generator start time must be > 0 ns, got {0}")]
    Start(i64),
    #[error("generator duration must be > 0 ns, got {0}")]
    Duration(i64),
    #[error("generator batch window must be > 0 ns, got {0}")]
    Window(i64),
}

/// The zero-intelligence generator ([`ZiGenerator`]) as an event source: a snapshot of the
/// warmed-up book at `start_ns` first, then every event up to `start_ns + duration_ns`
/// (unbounded without a duration), in batches covering `window_ns` of exchange time each
/// (empty windows are skipped: a batch is never empty before the end).
///
/// Deterministic: the generator draws from one PCG-64 stream, and its output does not depend
/// on the window (see [`crate::market_gen::zi`]), so a seed gives the same events, and the same
/// backtest, whatever the window.
#[derive(Clone, Debug)]
pub struct ZiSource {
    generator: ZiGenerator,
    seed: u64,
    start_ns: i64,
    /// Last exchange time to emit (inclusive); `i64::MAX` for an unbounded source.
    end_ns: i64,
    window_ns: i64,
    /// Exchange time the next batch runs to.
    next_until: i64,
    done: bool,
    events: u64,
}

impl ZiSource {
    /// A source whose snapshot is at `start_ns` (> 0) and whose last event is at or before
    /// `start_ns + duration_ns` (`None`: unbounded, for a live venue).
    pub fn new(params: ZiParams, seed: u64, start_ns: i64, duration_ns: Option<i64>) -> Result<Self, GeneratedError> {
        if start_ns <= 0 {
            return Err(GeneratedError::Start(start_ns));
        }
        let end_ns = match duration_ns {
            Some(d) if d <= 0 => return Err(GeneratedError::Duration(d)),
            Some(d) => start_ns.saturating_add(d),
            None => i64::MAX,
        };
        let generator = ZiGenerator::new(params, seed, start_ns)?;
        Ok(Self {
            generator,
            seed,
            start_ns,
            end_ns,
            window_ns: DEFAULT_GENERATOR_WINDOW_NS,
            next_until: start_ns,
            done: false,
            events: 0,
        })
    }

    /// Batches of `window_ns` of exchange time (> 0).
    pub fn with_window(mut self, window_ns: i64) -> Result<Self, GeneratedError> {
        if window_ns <= 0 {
            return Err(GeneratedError::Window(window_ns));
        }
        self.window_ns = window_ns;
        Ok(self)
    }

    /// The generator (its statistics, its current book).
    pub fn generator(&self) -> &ZiGenerator {
        &self.generator
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn start_ns(&self) -> i64 {
        self.start_ns
    }

    /// Last exchange time emitted at most (`i64::MAX` when unbounded).
    pub fn end_ns(&self) -> i64 {
        self.end_ns
    }

    /// Events emitted so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The generator's depth ids are contiguous, one per diff.
    pub fn rule(&self) -> SequenceRule {
        SequenceRule::Strict
    }
}

impl EventSource for ZiSource {
    type Error = std::convert::Infallible;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, Self::Error> {
        batch.clear();
        while !self.done {
            let until = self.next_until.min(self.end_ns);
            self.generator.next_events(until, batch);
            if until >= self.end_ns {
                self.done = true;
            } else {
                self.next_until = until.saturating_add(self.window_ns);
            }
            if !batch.is_empty() {
                break;
            }
        }
        self.events += batch.len() as u64;
        Ok(batch.len())
    }

    /// Exchange time covered so far out of the duration, in ns (for a progress bar).
    fn progress(&self) -> SourceProgress {
        let covered = self.generator.now().saturating_sub(self.start_ns).max(0) as u64;
        let total = (self.end_ns != i64::MAX).then(|| (self.end_ns - self.start_ns) as u64);
        SourceProgress { bytes_read: covered, total_bytes: total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::EventKind;

    fn params() -> ZiParams {
        let mut p = ZiParams::with_initial_bid(10_000, 1);
        p.warmup_ns = 10_000_000_000;
        p
    }

    fn collect(window: i64) -> EventBatch {
        let mut src = ZiSource::new(params(), 3, DEFAULT_GENERATOR_START_NS, Some(5_000_000_000))
            .unwrap()
            .with_window(window)
            .unwrap();
        let mut all = EventBatch::default();
        let mut b = EventBatch::default();
        while src.next_batch(&mut b).unwrap() > 0 {
            for e in b.iter() {
                all.push_event(&e);
            }
        }
        all
    }

    #[test]
    fn snapshot_first_bounded_and_independent_of_the_window() {
        let a = collect(100_000_000);
        let b = collect(DEFAULT_GENERATOR_WINDOW_NS);
        assert_eq!(a.get(0).kind, EventKind::Snapshot);
        assert_eq!(a.get(0).exchange_ts, DEFAULT_GENERATOR_START_NS);
        assert!(a.len() > 100);
        let last = a.get(a.len() - 1).exchange_ts;
        assert!(last <= DEFAULT_GENERATOR_START_NS + 5_000_000_000);
        assert_eq!(a.exchange_ts, b.exchange_ts);
        assert_eq!(a.levels, b.levels);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(matches!(ZiSource::new(params(), 1, 0, None), Err(GeneratedError::Start(0))));
        assert!(matches!(ZiSource::new(params(), 1, 5, Some(0)), Err(GeneratedError::Duration(0))));
        assert!(ZiSource::new(params(), 1, 5, None).unwrap().with_window(0).is_err());
        let mut bad = params();
        bad.limit_rate = -1.0;
        assert!(matches!(ZiSource::new(bad, 1, 5, None), Err(GeneratedError::Zi(_))));
    }
}
