//! Venue sequencing rules for depth diffs.

/// The ids a depth diff carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiffHeader {
    /// First update id in the diff (Binance `U`).
    pub first_id: u64,
    /// Last update id in the diff (Binance `u`).
    pub last_id: u64,
    /// Last update id of the previous diff, where the venue sends it (Binance futures `pu`).
    pub prev_id: Option<u64>,
}

impl DiffHeader {
    pub fn new(first_id: u64, last_id: u64, prev_id: Option<u64>) -> Self {
        Self { first_id, last_id, prev_id }
    }
}

/// How a venue chains depth diffs to a snapshot and to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SequenceRule {
    /// Binance spot: first diff has `U <= lastUpdateId+1 <= u`, then `U = previous u + 1`.
    BinanceSpot,
    /// Binance futures: first diff has `U <= lastUpdateId <= u`, then `pu = previous u`.
    BinanceFutures,
    /// Contiguous ids: the next diff starts right after the last applied id.
    Strict,
    /// No sequencing: every diff applies (venues that publish whole books or no ids).
    None,
}

/// What to do with a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Apply,
    /// Entirely older than the book's state: skip it.
    Stale,
    /// Ids are missing between the book and this diff.
    Gap {
        expected: u64,
    },
}

impl SequenceRule {
    pub fn name(self) -> &'static str {
        match self {
            SequenceRule::BinanceSpot => "binance-spot",
            SequenceRule::BinanceFutures => "binance-futures",
            SequenceRule::Strict => "strict",
            SequenceRule::None => "none",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::BinanceSpot, Self::BinanceFutures, Self::Strict, Self::None].into_iter().find(|r| r.name() == name)
    }

    /// The first diff after a snapshot whose last update id is `snap`.
    pub(crate) fn after_snapshot(self, snap: u64, h: DiffHeader) -> Verdict {
        let wanted = match self {
            SequenceRule::None => return Verdict::Apply,
            SequenceRule::BinanceFutures if h.last_id < snap => return Verdict::Stale,
            SequenceRule::BinanceFutures => snap,
            _ if h.last_id <= snap => return Verdict::Stale,
            _ => snap.saturating_add(1),
        };
        if h.first_id <= wanted && wanted <= h.last_id { Verdict::Apply } else { Verdict::Gap { expected: wanted } }
    }

    /// A diff following an applied diff that ended at `prev`.
    pub(crate) fn after_diff(self, prev: u64, h: DiffHeader) -> Verdict {
        let chained = match (self, h.prev_id) {
            (SequenceRule::None, _) => return Verdict::Apply,
            (SequenceRule::BinanceFutures, Some(pu)) => pu == prev,
            _ => h.first_id == prev.saturating_add(1),
        };
        if chained && h.last_id >= h.first_id {
            Verdict::Apply
        } else if h.last_id <= prev {
            Verdict::Stale
        } else {
            Verdict::Gap { expected: prev.saturating_add(1) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SequenceRule::{BinanceFutures, BinanceSpot, Strict};

    fn h(first: u64, last: u64, prev: Option<u64>) -> DiffHeader {
        DiffHeader::new(first, last, prev)
    }

    #[test]
    fn spot_first_diff_must_straddle_snapshot_plus_one() {
        assert_eq!(BinanceSpot.after_snapshot(100, h(90, 100, None)), Verdict::Stale);
        assert_eq!(BinanceSpot.after_snapshot(100, h(95, 101, None)), Verdict::Apply);
        assert_eq!(BinanceSpot.after_snapshot(100, h(101, 105, None)), Verdict::Apply);
        assert_eq!(BinanceSpot.after_snapshot(100, h(102, 105, None)), Verdict::Gap { expected: 101 });
    }

    #[test]
    fn futures_first_diff_must_straddle_snapshot() {
        assert_eq!(BinanceFutures.after_snapshot(100, h(90, 99, Some(89))), Verdict::Stale);
        assert_eq!(BinanceFutures.after_snapshot(100, h(95, 100, Some(94))), Verdict::Apply);
        assert_eq!(BinanceFutures.after_snapshot(100, h(100, 120, Some(99))), Verdict::Apply);
        assert_eq!(BinanceFutures.after_snapshot(100, h(101, 120, Some(100))), Verdict::Gap { expected: 100 });
    }

    #[test]
    fn continuation_rules() {
        assert_eq!(BinanceSpot.after_diff(105, h(106, 110, None)), Verdict::Apply);
        assert_eq!(BinanceSpot.after_diff(105, h(107, 110, None)), Verdict::Gap { expected: 106 });
        assert_eq!(BinanceSpot.after_diff(105, h(100, 105, None)), Verdict::Stale);
        // Futures chain on pu, not on U (ids are not contiguous across diffs).
        assert_eq!(BinanceFutures.after_diff(105, h(130, 140, Some(105))), Verdict::Apply);
        assert_eq!(BinanceFutures.after_diff(105, h(130, 140, Some(104))), Verdict::Gap { expected: 106 });
        assert_eq!(Strict.after_diff(7, h(8, 8, None)), Verdict::Apply);
        assert_eq!(Strict.after_diff(7, h(9, 9, None)), Verdict::Gap { expected: 8 });
        assert_eq!(SequenceRule::None.after_diff(7, h(1, 1, None)), Verdict::Apply);
    }

    #[test]
    fn names_round_trip() {
        for r in [BinanceSpot, BinanceFutures, Strict, SequenceRule::None] {
            assert_eq!(SequenceRule::parse(r.name()), Some(r));
        }
        assert_eq!(SequenceRule::parse("nope"), None);
    }
}
