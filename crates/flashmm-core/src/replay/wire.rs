//! The exact byte form of an [`EventBatch`], for sending batches between processes (the
//! simulated venue's server and its clients). Little-endian, columnar as in memory, versioned:
//!
//! ```text
//! magic "FMEB" | version u16 = 1 | events u32 | levels u32
//! kind u8 × events | local_ts i64 × events | exchange_ts i64 × events
//! first_id u64 × events | last_id u64 × events | prev_id u64 × events | flags u8 × events
//! level_start u32 × events | bid_count u32 × events | ask_count u32 × events
//! (price i64, size i64) × levels
//! ```
//!
//! Decoding checks everything a batch's readers rely on (known kinds, every event's levels
//! inside the level table, the exact length), so a corrupt or truncated frame is an error, never
//! a batch that reads out of bounds.

use super::{EventBatch, EventKind};
use crate::book::Level;

const MAGIC: &[u8; 4] = b"FMEB";
/// The format's version; a decoder refuses any other.
pub const WIRE_VERSION: u16 = 1;
const HEADER: usize = 4 + 2 + 4 + 4;
/// Bytes per event (every column) and per level.
const PER_EVENT: usize = 1 + 8 * 5 + 1 + 4 * 3;
const PER_LEVEL: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("not an event batch (bad magic)")]
    Magic,
    #[error("event batch format version {0}, expected {WIRE_VERSION}")]
    Version(u16),
    #[error("event batch of {events} events and {levels} levels needs {expected} bytes, got {got}")]
    Length { events: u32, levels: u32, expected: usize, got: usize },
    #[error("event {index}: unknown kind {kind}")]
    Kind { index: usize, kind: u8 },
    #[error("event {index}: levels {start}..{end} outside the batch's {levels} levels")]
    Levels { index: usize, start: u64, end: u64, levels: u32 },
}

fn kind_of(code: u8) -> Option<EventKind> {
    Some(match code {
        0 => EventKind::Snapshot,
        1 => EventKind::DepthDiff,
        2 => EventKind::Trade,
        3 => EventKind::BookTicker,
        _ => return None,
    })
}

impl EventBatch {
    /// The batch's bytes (see the module's layout).
    pub fn encode(&self) -> Vec<u8> {
        let n = self.len();
        let mut out = Vec::with_capacity(HEADER + n * PER_EVENT + self.levels.len() * PER_LEVEL);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&WIRE_VERSION.to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        out.extend_from_slice(&(self.levels.len() as u32).to_le_bytes());
        out.extend(self.kind.iter().map(|&k| k as u8));
        for v in [&self.local_ts, &self.exchange_ts] {
            v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        for v in [&self.first_id, &self.last_id, &self.prev_id] {
            v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        out.extend_from_slice(&self.flags);
        for v in [&self.level_start, &self.bid_count, &self.ask_count] {
            v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        for l in &self.levels {
            out.extend_from_slice(&l.price.to_le_bytes());
            out.extend_from_slice(&l.size.to_le_bytes());
        }
        out
    }

    /// The batch `bytes` encode; every event's levels checked to lie in the level table.
    pub fn decode(bytes: &[u8]) -> Result<EventBatch, WireError> {
        if bytes.len() < HEADER || &bytes[..4] != MAGIC {
            return Err(WireError::Magic);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != WIRE_VERSION {
            return Err(WireError::Version(version));
        }
        let events = u32::from_le_bytes(bytes[6..10].try_into().unwrap_or_default());
        let levels = u32::from_le_bytes(bytes[10..14].try_into().unwrap_or_default());
        let expected = HEADER + events as usize * PER_EVENT + levels as usize * PER_LEVEL;
        if bytes.len() != expected {
            return Err(WireError::Length { events, levels, expected, got: bytes.len() });
        }
        let n = events as usize;
        let mut r = Reader { bytes, at: HEADER };
        let mut kind = Vec::with_capacity(n);
        for (index, &code) in r.take(n).iter().enumerate() {
            kind.push(kind_of(code).ok_or(WireError::Kind { index, kind: code })?);
        }
        let local_ts = r.column(n, i64::from_le_bytes);
        let exchange_ts = r.column(n, i64::from_le_bytes);
        let first_id = r.column(n, u64::from_le_bytes);
        let last_id = r.column(n, u64::from_le_bytes);
        let prev_id = r.column(n, u64::from_le_bytes);
        let flags = r.take(n).to_vec();
        let level_start = r.column(n, u32::from_le_bytes);
        let bid_count = r.column(n, u32::from_le_bytes);
        let ask_count = r.column(n, u32::from_le_bytes);
        for index in 0..n {
            let start = u64::from(level_start[index]);
            let end = start + u64::from(bid_count[index]) + u64::from(ask_count[index]);
            if end > u64::from(levels) {
                return Err(WireError::Levels { index, start, end, levels });
            }
        }
        let table = r.take(levels as usize * PER_LEVEL);
        let levels = table
            .chunks_exact(PER_LEVEL)
            .map(|c| Level::new(i64::from_le_bytes(eight(&c[..8])), i64::from_le_bytes(eight(&c[8..]))))
            .collect();
        Ok(EventBatch {
            kind,
            local_ts,
            exchange_ts,
            first_id,
            last_id,
            prev_id,
            flags,
            level_start,
            bid_count,
            ask_count,
            levels,
        })
    }
}

fn eight(b: &[u8]) -> [u8; 8] {
    b.try_into().unwrap_or_default()
}

/// Reads columns from a buffer whose length was checked against the header.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> &'a [u8] {
        let out = &self.bytes[self.at..self.at + len];
        self.at += len;
        out
    }

    fn column<T, const W: usize>(&mut self, n: usize, from: fn([u8; W]) -> T) -> Vec<T> {
        self.take(n * W).chunks_exact(W).map(|c| from(c.try_into().unwrap_or([0; W]))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EventBatch {
        let mut b = EventBatch::default();
        b.levels.extend([Level::new(100, 5), Level::new(99, 7), Level::new(101, 3)]);
        b.push(EventKind::Snapshot, 1_700_000_000_123_456_789, 1_700_000_000_000_000_001, 42, 42, None, 0, 0, 2);
        b.levels.push(Level::new(101, 2));
        b.push(EventKind::Trade, -5, 0, u64::MAX - 1, 9, Some(3), 1, 3, 1);
        b
    }

    fn same(a: &EventBatch, b: &EventBatch) -> bool {
        a.kind == b.kind
            && a.local_ts == b.local_ts
            && a.exchange_ts == b.exchange_ts
            && a.first_id == b.first_id
            && a.last_id == b.last_id
            && a.prev_id == b.prev_id
            && a.flags == b.flags
            && a.level_start == b.level_start
            && a.bid_count == b.bid_count
            && a.ask_count == b.ask_count
            && a.levels == b.levels
    }

    #[test]
    fn round_trips_exactly() {
        let b = sample();
        let bytes = b.encode();
        assert_eq!(bytes.len(), HEADER + 2 * PER_EVENT + 4 * PER_LEVEL);
        assert!(same(&EventBatch::decode(&bytes).unwrap(), &b));
        let empty = EventBatch::default();
        assert!(same(&EventBatch::decode(&empty.encode()).unwrap(), &empty));
    }

    #[test]
    fn a_book_snapshot_carries_every_level_and_the_last_id() {
        use crate::book::{L2Book, SequenceRule};
        let mut book = L2Book::new(SequenceRule::Strict);
        let mut b = EventBatch::default();
        assert!(!b.push_book_snapshot(&book, 1, 2), "no snapshot of a book that is not valid");
        book.apply_snapshot(41, &[Level::new(100, 5), Level::new(99, 7)], &[Level::new(102, 3)]);
        assert!(b.push_book_snapshot(&book, 1_000, 2_000));
        let e = b.iter().next().unwrap();
        assert_eq!(
            (e.kind, e.first_id, e.last_id, e.local_ts, e.exchange_ts),
            (EventKind::Snapshot, 41, 41, 1_000, 2_000)
        );
        assert_eq!(e.bids, [Level::new(100, 5), Level::new(99, 7)]);
        assert_eq!(e.asks, [Level::new(102, 3)]);
    }

    #[test]
    fn refuses_corrupt_frames() {
        let bytes = sample().encode();
        assert_eq!(EventBatch::decode(&bytes[..3]).unwrap_err(), WireError::Magic);
        let mut v = bytes.clone();
        v[4] = 2;
        assert_eq!(EventBatch::decode(&v).unwrap_err(), WireError::Version(2));
        assert!(matches!(EventBatch::decode(&bytes[..bytes.len() - 1]), Err(WireError::Length { .. })));
        let mut k = bytes.clone();
        k[HEADER + 1] = 9;
        assert_eq!(EventBatch::decode(&k).unwrap_err(), WireError::Kind { index: 1, kind: 9 });
        // The trade's bid count (event 1) pushed past the level table.
        let mut l = bytes.clone();
        let bid_count_1 = HEADER + 2 * (1 + 8 * 5 + 1) + 2 * 4 + 4;
        l[bid_count_1] = 2;
        assert_eq!(EventBatch::decode(&l).unwrap_err(), WireError::Levels { index: 1, start: 3, end: 5, levels: 4 });
    }
}
