//! Latency models: order entry, order response, and feed latency.
//!
//! Three latencies separate us from the exchange (hftbacktest's terms):
//!
//! * **feed latency**: a market event stamped `exchange_ts` by the venue reaches us at
//!   `local_ts`. Recordings carry both, so it is replayed as recorded; [`FeedLatency`] measures
//!   it and computes the shift that makes it non-negative when the two clocks disagree.
//! * **entry latency**: a request sent at local time `t` reaches the matching engine at
//!   `t + entry(t)`.
//! * **response latency**: a report the exchange emits at exchange time `e` reaches us at
//!   `e + response(e)`.
//!
//! Both order latencies come from a [`LatencyModel`]: [`ConstantLatency`] or
//! [`InterpolatedLatency`] (recorded request/exchange/response triples, linear in time, as
//! hftbacktest's `IntpOrderLatency`). A negative entry latency means the exchange dropped the
//! request (overload, as in recorded latencies whose exchange time is 0): the request never
//! reaches the matching engine and we learn of its rejection `|entry|` ns after sending it.
//!
//! Local and exchange times are on one clock in the simulator: correct the recording's local
//! timestamps first (see [`FeedLatency::local_offset`]).

use crate::replay::Event;

/// Entry and response latency of our order traffic, in ns.
pub trait LatencyModel {
    /// Latency from sending a request at local time `send_ts` to its arrival at the matching
    /// engine. Negative: the request is dropped and the rejection reaches us `|value|` ns after
    /// `send_ts`.
    fn entry(&mut self, send_ts: i64) -> i64;

    /// Latency from the exchange emitting a report at `exchange_ts` to our receiving it (>= 0).
    fn response(&mut self, exchange_ts: i64) -> i64;
}

impl<L: LatencyModel + ?Sized> LatencyModel for Box<L> {
    fn entry(&mut self, send_ts: i64) -> i64 {
        (**self).entry(send_ts)
    }

    fn response(&mut self, exchange_ts: i64) -> i64 {
        (**self).response(exchange_ts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LatencyError {
    #[error("constant latencies must be >= 0 ns, got entry {entry} and response {response}")]
    Negative { entry: i64, response: i64 },
    #[error("an interpolated latency model needs at least one row")]
    Empty,
    #[error("latency row {row}: request times must not decrease ({prev} then {req_ts})")]
    Unsorted { row: usize, prev: i64, req_ts: i64 },
    #[error(
        "latency row {row}: needs req_ts <= exch_ts <= resp_ts (exch_ts <= 0 = rejected), got {req_ts}, {exch_ts}, {resp_ts}"
    )]
    BadRow { row: usize, req_ts: i64, exch_ts: i64, resp_ts: i64 },
}

/// The same entry and response latency for every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstantLatency {
    entry: i64,
    response: i64,
}

impl ConstantLatency {
    pub fn new(entry_ns: i64, response_ns: i64) -> Result<Self, LatencyError> {
        if entry_ns < 0 || response_ns < 0 {
            return Err(LatencyError::Negative { entry: entry_ns, response: response_ns });
        }
        Ok(Self { entry: entry_ns, response: response_ns })
    }

    /// No latency at all (tests of the matching rules).
    pub const ZERO: Self = Self { entry: 0, response: 0 };

    /// The one default order latency: 5 ms entry, 5 ms response.
    pub const DEFAULT: Self = Self { entry: 5_000_000, response: 5_000_000 };
}

impl ConstantLatency {
    pub fn entry_ns(&self) -> i64 {
        self.entry
    }

    pub fn response_ns(&self) -> i64 {
        self.response
    }
}

impl Default for ConstantLatency {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl LatencyModel for ConstantLatency {
    fn entry(&mut self, _send_ts: i64) -> i64 {
        self.entry
    }

    fn response(&mut self, _exchange_ts: i64) -> i64 {
        self.response
    }
}

/// One recorded round trip: sent at `req_ts` (local), processed at `exch_ts` (exchange; `<= 0`
/// if the exchange rejected it without processing), answered at `resp_ts` (local).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrderLatencyRow {
    pub req_ts: i64,
    pub exch_ts: i64,
    pub resp_ts: i64,
}

impl OrderLatencyRow {
    pub const fn new(req_ts: i64, exch_ts: i64, resp_ts: i64) -> Self {
        Self { req_ts, exch_ts, resp_ts }
    }

    fn rejected(&self) -> bool {
        self.exch_ts <= 0
    }
}

/// Latencies interpolated linearly in time between recorded round trips.
///
/// * `entry(t)`: between the rows around `t` by `req_ts` (`row.req_ts <= t < next.req_ts`),
///   `exch_ts − req_ts` interpolated at `t`; if either row was rejected (`exch_ts <= 0`), the
///   negative of `resp_ts − req_ts` interpolated (the request is dropped). Before the first
///   row the first row's value, from the last row on the last row's.
/// * `response(e)`: over the rows that reached the exchange, ordered by `exch_ts`,
///   `resp_ts − exch_ts` interpolated at `e` the same way.
///
/// Interpolation is exact integer arithmetic, `y1 + (y2 − y1)·(x − x1) / (x2 − x1)` with the
/// quotient truncated toward zero (hftbacktest computes the same in `f64` and truncates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterpolatedLatency {
    rows: Vec<OrderLatencyRow>,
    /// Rows that reached the exchange, sorted by `exch_ts` (stable).
    by_exch: Vec<OrderLatencyRow>,
}

impl InterpolatedLatency {
    pub fn new(rows: Vec<OrderLatencyRow>) -> Result<Self, LatencyError> {
        if rows.is_empty() {
            return Err(LatencyError::Empty);
        }
        for (i, r) in rows.iter().enumerate() {
            if i > 0 && r.req_ts < rows[i - 1].req_ts {
                return Err(LatencyError::Unsorted { row: i, prev: rows[i - 1].req_ts, req_ts: r.req_ts });
            }
            let ok = if r.rejected() { r.resp_ts >= r.req_ts } else { r.req_ts <= r.exch_ts && r.exch_ts <= r.resp_ts };
            if !ok {
                return Err(LatencyError::BadRow { row: i, req_ts: r.req_ts, exch_ts: r.exch_ts, resp_ts: r.resp_ts });
            }
        }
        let mut by_exch: Vec<OrderLatencyRow> = rows.iter().copied().filter(|r| !r.rejected()).collect();
        by_exch.sort_by_key(|r| r.exch_ts);
        Ok(Self { rows, by_exch })
    }

    pub fn rows(&self) -> &[OrderLatencyRow] {
        &self.rows
    }
}

fn intp(x: i64, x1: i64, y1: i64, x2: i64, y2: i64) -> i64 {
    let d = (i128::from(y2) - i128::from(y1)) * (i128::from(x) - i128::from(x1)) / (i128::from(x2) - i128::from(x1));
    (i128::from(y1) + d) as i64
}

fn entry_of(r: &OrderLatencyRow) -> i64 {
    if r.rejected() { -(r.resp_ts - r.req_ts) } else { r.exch_ts - r.req_ts }
}

impl LatencyModel for InterpolatedLatency {
    fn entry(&mut self, t: i64) -> i64 {
        let i = self.rows.partition_point(|r| r.req_ts <= t);
        if i == 0 {
            return entry_of(&self.rows[0]);
        }
        if i == self.rows.len() {
            return entry_of(&self.rows[i - 1]);
        }
        let (a, b) = (&self.rows[i - 1], &self.rows[i]);
        if a.rejected() || b.rejected() {
            -intp(t, a.req_ts, a.resp_ts - a.req_ts, b.req_ts, b.resp_ts - b.req_ts)
        } else {
            intp(t, a.req_ts, a.exch_ts - a.req_ts, b.req_ts, b.exch_ts - b.req_ts)
        }
    }

    fn response(&mut self, e: i64) -> i64 {
        let rows = &self.by_exch;
        let Some(first) = rows.first() else { return 0 };
        let i = rows.partition_point(|r| r.exch_ts <= e);
        let lat = if i == 0 {
            first.resp_ts - first.exch_ts
        } else if i == rows.len() {
            rows[i - 1].resp_ts - rows[i - 1].exch_ts
        } else {
            let (a, b) = (&rows[i - 1], &rows[i]);
            intp(e, a.exch_ts, a.resp_ts - a.exch_ts, b.exch_ts, b.resp_ts - b.exch_ts)
        };
        lat.max(0)
    }
}

/// The order latency models in one type (what a configuration picks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderLatency {
    Constant(ConstantLatency),
    Interpolated(InterpolatedLatency),
}

impl LatencyModel for OrderLatency {
    fn entry(&mut self, send_ts: i64) -> i64 {
        match self {
            OrderLatency::Constant(m) => m.entry(send_ts),
            OrderLatency::Interpolated(m) => m.entry(send_ts),
        }
    }

    fn response(&mut self, exchange_ts: i64) -> i64 {
        match self {
            OrderLatency::Constant(m) => m.response(exchange_ts),
            OrderLatency::Interpolated(m) => m.response(exchange_ts),
        }
    }
}

impl From<ConstantLatency> for OrderLatency {
    fn from(m: ConstantLatency) -> Self {
        OrderLatency::Constant(m)
    }
}

impl From<InterpolatedLatency> for OrderLatency {
    fn from(m: InterpolatedLatency) -> Self {
        OrderLatency::Interpolated(m)
    }
}

/// Feed latency (`local_ts − exchange_ts`) over a recording's events that carry both stamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedLatency {
    pub count: u64,
    pub min: i64,
    pub max: i64,
    sum: i128,
}

impl FeedLatency {
    /// Adds one event; events without an exchange time (`exchange_ts == 0`) are skipped.
    pub fn observe(&mut self, e: &Event<'_>) {
        self.observe_ts(e.local_ts, e.exchange_ts);
    }

    pub fn observe_ts(&mut self, local_ts: i64, exchange_ts: i64) {
        if exchange_ts == 0 {
            return;
        }
        let lat = local_ts - exchange_ts;
        if self.count == 0 {
            self.min = lat;
            self.max = lat;
        } else {
            self.min = self.min.min(lat);
            self.max = self.max.max(lat);
        }
        self.count += 1;
        self.sum += i128::from(lat);
    }

    /// Mean feed latency in ns (truncated toward zero), `None` without observations.
    pub fn mean(&self) -> Option<i64> {
        (self.count > 0).then(|| (self.sum / i128::from(self.count)) as i64)
    }

    /// Shift to add to every local timestamp so that the smallest feed latency becomes
    /// `base_latency`, when the recording's clocks make some feed latency negative (a local
    /// clock behind the exchange's); 0 otherwise. hftbacktest's `correct_local_timestamp`:
    /// `offset = −min(local − exchange) + base_latency` if that minimum is negative.
    pub fn local_offset(&self, base_latency: i64) -> i64 {
        if self.count > 0 && self.min < 0 { -self.min + base_latency } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_entry_and_response() {
        let mut m = InterpolatedLatency::new(vec![
            OrderLatencyRow::new(1_000, 1_100, 1_150),
            OrderLatencyRow::new(2_000, 2_300, 2_310),
        ])
        .unwrap();
        assert_eq!(m.entry(0), 100);
        assert_eq!(m.entry(1_000), 100);
        // halfway: 100 + (300 - 100) * 500 / 1000 = 200
        assert_eq!(m.entry(1_500), 200);
        // 100 + 200 * 333 / 1000 = 166.6 → 166
        assert_eq!(m.entry(1_333), 166);
        assert_eq!(m.entry(5_000), 300);
        assert_eq!(m.response(1_100), 50);
        // 50 + (10 - 50) * 600 / 1200 = 30
        assert_eq!(m.response(1_700), 30);
        assert_eq!(m.response(9_999), 10);
    }

    #[test]
    fn a_rejected_row_drops_requests_near_it() {
        let mut m = InterpolatedLatency::new(vec![
            OrderLatencyRow::new(0, 100, 200),
            OrderLatencyRow::new(1_000, 0, 1_400),
            OrderLatencyRow::new(2_000, 2_100, 2_200),
        ])
        .unwrap();
        // between rows 0 and 1: -(200 + (400 - 200) * 500 / 1000) = -300
        assert_eq!(m.entry(500), -300);
        assert_eq!(m.entry(1_500), -(400 + (200 - 400) * 500 / 1000));
        assert_eq!(m.entry(2_000), 100);
        // the rejected row is not used for responses
        assert_eq!(m.response(1_100), 100);
    }

    #[test]
    fn validation() {
        assert_eq!(InterpolatedLatency::new(vec![]), Err(LatencyError::Empty));
        assert!(matches!(
            InterpolatedLatency::new(vec![OrderLatencyRow::new(5, 6, 7), OrderLatencyRow::new(4, 6, 7)]),
            Err(LatencyError::Unsorted { row: 1, .. })
        ));
        assert!(matches!(
            InterpolatedLatency::new(vec![OrderLatencyRow::new(5, 4, 7)]),
            Err(LatencyError::BadRow { row: 0, .. })
        ));
        assert!(ConstantLatency::new(-1, 0).is_err());
    }

    #[test]
    fn feed_latency_offset() {
        let mut f = FeedLatency::default();
        f.observe_ts(1_000, 2_300); // -1300
        f.observe_ts(2_000, 3_100); // -1100
        f.observe_ts(2_000, 0); // skipped
        assert_eq!((f.count, f.min, f.max, f.mean()), (2, -1_300, -1_100, Some(-1_200)));
        assert_eq!(f.local_offset(50), 1_350);
        let mut ok = FeedLatency::default();
        ok.observe_ts(10, 5);
        assert_eq!(ok.local_offset(50), 0);
    }
}
