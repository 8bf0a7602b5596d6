//! Sources on another clock: a recording replayed at the host's time and speed
//! ([`RetimedSource`]), and the simulated venue's feed (a generated market or such a replay).

use crate::options::OptionError;

use super::binance::{BinanceSource, CountedFileReader, ReadError};
use super::generated::ZiSource;
use super::source::{EventSource, SourceProgress};
use super::{EventBatch, Skipped};

/// A source put on another clock: exchange and local times are mapped by
/// `t' = start_ns + (t − t₀) × 10⁶ / speed_ppm`, `t₀` the first event's exchange time
/// (events before it without one are stamped `start_ns`). Monotone, so exchange order is
/// kept. Speed 1 (`speed_ppm` 1 000 000) replays in real time; 2 000 000 twice as fast.
pub struct RetimedSource<E> {
    inner: E,
    start_ns: i64,
    speed_ppm: i64,
    origin: Option<i64>,
    scratch: EventBatch,
}

/// [`RetimedSource`]'s speed for real time (1×).
pub const REAL_TIME_PPM: i64 = 1_000_000;

impl<E: EventSource> RetimedSource<E> {
    pub fn new(inner: E, start_ns: i64, speed_ppm: i64) -> Result<Self, OptionError> {
        if speed_ppm <= 0 {
            return Err(OptionError::new("speed", format!("replay speed must be > 0, got {speed_ppm} ppm")));
        }
        Ok(Self { inner, start_ns, speed_ppm, origin: None, scratch: EventBatch::default() })
    }

    /// `speed_ppm` of a replay speed (1 = real time), at most 10⁶ times real time.
    pub fn speed_ppm(speed: f64) -> Result<i64, OptionError> {
        let ppm = (speed * 1e6).round();
        if (1.0..=1e12).contains(&ppm) {
            Ok(ppm as i64)
        } else {
            Err(OptionError::new("speed", format!("speed = {speed} must be a positive number (at most 10^6)")))
        }
    }

    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// The host time at which an event stamped `exchange_ts` in the source is delivered;
    /// `None` until the first timed event was read (the origin is not known before).
    pub fn host_ts(&self, exchange_ts: i64) -> Option<i64> {
        self.origin.map(|_| self.map(exchange_ts))
    }

    fn map(&self, ts: i64) -> i64 {
        match self.origin {
            Some(o) => {
                let d = i128::from(ts - o) * 1_000_000 / i128::from(self.speed_ppm);
                self.start_ns.saturating_add(d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
            }
            None => self.start_ns,
        }
    }
}

impl<E: EventSource> EventSource for RetimedSource<E> {
    type Error = E::Error;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, Self::Error> {
        batch.clear();
        let n = self.inner.next_batch(&mut self.scratch)?;
        for i in 0..n {
            let e = self.scratch.get(i);
            if self.origin.is_none() && e.exchange_ts > 0 {
                self.origin = Some(e.exchange_ts);
            }
            let ex = if e.exchange_ts > 0 { self.map(e.exchange_ts) } else { self.start_ns };
            let local = self.map(e.local_ts);
            batch.push_event_at(&e, ex);
            if let Some(l) = batch.local_ts.last_mut() {
                *l = local;
            }
        }
        Ok(n)
    }

    fn progress(&self) -> SourceProgress {
        self.inner.progress()
    }

    fn take_skipped(&mut self, out: &mut Vec<Skipped>) {
        self.inner.take_skipped(out)
    }
}

/// A gzip Binance recording, as the venue reads it.
pub type RecordingSource = BinanceSource<CountedFileReader>;

/// The market of the embedded venue: generated, or a recording replayed on the host's clock.
// One per venue, never moved on the hot path: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
pub enum VenueFeed {
    Generated(ZiSource),
    Replay(RetimedSource<RecordingSource>),
}

impl VenueFeed {
    /// A replay's [`RetimedSource::host_ts`]; `None` for a generated market.
    pub fn host_ts(&self, exchange_ts: i64) -> Option<i64> {
        match self {
            VenueFeed::Generated(_) => None,
            VenueFeed::Replay(r) => r.host_ts(exchange_ts),
        }
    }

    /// A recording replayed on the host's clock (see [`RetimedSource::new`]). Lines it cannot
    /// read are counted and skipped ([`BinanceSource::skipping_bad_lines`]): a damaged line
    /// stops nothing; the book it belonged to invalidates only if the sequence rule says so.
    pub fn replay(source: RecordingSource, start_ns: i64, speed_ppm: i64) -> Result<Self, OptionError> {
        Ok(VenueFeed::Replay(RetimedSource::new(source.skipping_bad_lines(), start_ns, speed_ppm)?))
    }
}

impl EventSource for VenueFeed {
    type Error = ReadError;

    fn next_batch(&mut self, batch: &mut EventBatch) -> Result<usize, ReadError> {
        match self {
            VenueFeed::Generated(g) => Ok(g.next_batch(batch).unwrap_or_else(|e| match e {})),
            VenueFeed::Replay(r) => r.next_batch(batch),
        }
    }

    fn progress(&self) -> SourceProgress {
        match self {
            VenueFeed::Generated(g) => g.progress(),
            VenueFeed::Replay(r) => r.progress(),
        }
    }

    fn take_skipped(&mut self, out: &mut Vec<Skipped>) {
        if let VenueFeed::Replay(r) = self {
            r.take_skipped(out);
        }
    }
}
