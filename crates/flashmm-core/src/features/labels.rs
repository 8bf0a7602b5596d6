//! Labels: the direction of the mid `h` ms ahead, on the exchange clock.
//!
//! For a sample at time `t` whose features saw the mid `m(t)`, the label at horizon `h` is
//! the sign of `m(t + h) − m(t)`, where `m(t + h)` is the mid in force at `t + h`: that of
//! the last book state stamped at or before `t + h` (a state stamped exactly `t + h`
//! counts). **Flat band: zero.** Mids live on a half-tick grid, so any change is at least
//! half a tick; a band of ±0.5 tick would equal this one, and a band in bps would make
//! "flat" depend on the price level and tick size of the market. On the Binance recordings
//! the mid changes 1–2 times a second, so most 100 ms labels are flat; the class balance is
//! the data's, not an artefact of a band.
//!
//! A label does not exist when `t + h` is past the last book state recorded (nothing says
//! the mid held until then) or when the book was invalid at any time in `[t, t + h]`.

use std::fmt;

/// Label horizons, ns: 100, 200 and 500 ms.
pub const HORIZONS_NS: [i64; 3] = [100_000_000, 200_000_000, 500_000_000];
pub const N_HORIZONS: usize = 3;

/// Class of a mid move; the value is the class index in a model's logits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum Direction {
    Down = 0,
    Flat = 1,
    Up = 2,
}

impl Direction {
    /// Direction of a change of the mid.
    pub fn of_change(delta: i64) -> Self {
        match delta.signum() {
            -1 => Direction::Down,
            0 => Direction::Flat,
            _ => Direction::Up,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Why a sample has no label at a horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoLabel {
    /// No book state at or before `t` (or the book was invalid at `t`).
    NoMid,
    /// `t + h` is after the last recorded book state.
    PastEnd,
    /// The book was invalid during `(t, t + h]`.
    Invalid,
}

impl fmt::Display for NoLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoLabel::NoMid => "no valid book at the sample time",
            NoLabel::PastEnd => "horizon past the end of the recording",
            NoLabel::Invalid => "book invalid within the horizon",
        })
    }
}

const INVALID: i64 = i64::MIN;

/// The mid path of a recording: book states in (non-decreasing) exchange-time order, with
/// periods where the book was invalid. `m2` = best bid + best ask, in ticks (twice the mid).
#[derive(Clone, Debug, Default)]
pub struct MidPath {
    ts: Vec<i64>,
    m2: Vec<i64>,
    /// Invalid entries strictly before each index (prefix counts; one extra at the end).
    invalid_before: Vec<u32>,
    /// Time of the last book state seen, stored or not (a repeat of the mid is not stored).
    end: Option<i64>,
}

impl MidPath {
    pub fn new() -> Self {
        Self { ts: Vec::new(), m2: Vec::new(), invalid_before: vec![0], end: None }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Timestamps never go back: an earlier one is taken as the last one.
    fn seen(&mut self, ts: i64) -> i64 {
        let ts = self.end.map_or(ts, |e| e.max(ts));
        self.end = Some(ts);
        ts
    }

    fn push(&mut self, ts: i64, m2: i64) {
        let inv = *self.invalid_before.last().unwrap_or(&0) + u32::from(m2 == INVALID);
        self.ts.push(ts);
        self.m2.push(m2);
        self.invalid_before.push(inv);
    }

    /// A valid book whose best bid + best ask is `m2`, from `ts` on. Repeats of the current
    /// mid are not stored.
    pub fn push_mid(&mut self, ts: i64, m2: i64) {
        let ts = self.seen(ts);
        if self.m2.last() != Some(&m2) {
            self.push(ts, m2);
        }
    }

    /// The book became invalid at `ts` (until the next [`MidPath::push_mid`]).
    pub fn push_invalid(&mut self, ts: i64) {
        let ts = self.seen(ts);
        if self.m2.last() != Some(&INVALID) {
            self.push(ts, INVALID);
        }
    }

    /// Time of the last book state recorded (the mid is known up to then).
    pub fn end(&self) -> Option<i64> {
        self.end
    }

    /// Drops the states no label of a sample at `t` or later can read (those before the
    /// state in force at `t`): a live path stays as short as its longest pending horizon.
    pub fn forget_before(&mut self, t: i64) {
        let Some(keep) = self.at(t) else { return };
        if keep == 0 {
            return;
        }
        let base = self.invalid_before[keep];
        self.ts.drain(..keep);
        self.m2.drain(..keep);
        self.invalid_before.drain(..keep);
        for n in &mut self.invalid_before {
            *n -= base;
        }
    }

    /// Index of the last state stamped at or before `t`.
    fn at(&self, t: i64) -> Option<usize> {
        self.ts.partition_point(|&x| x <= t).checked_sub(1)
    }

    /// `m2` in force at `t`; `None` before the first state or while invalid.
    pub fn m2_at(&self, t: i64) -> Option<i64> {
        self.at(t).map(|i| self.m2[i]).filter(|&m| m != INVALID)
    }

    /// Label at horizon `h_ns` of a sample at `t` whose features saw `m2_ref`.
    pub fn label(&self, t: i64, m2_ref: i64, h_ns: i64) -> Result<Direction, NoLabel> {
        let i0 = self.at(t).ok_or(NoLabel::NoMid)?;
        if self.m2[i0] == INVALID {
            return Err(NoLabel::NoMid);
        }
        let until = t.saturating_add(h_ns);
        match self.end() {
            Some(end) if until <= end => {}
            _ => return Err(NoLabel::PastEnd),
        }
        let i1 = self.at(until).expect("a state at or before t exists");
        if self.invalid_before[i1 + 1] != self.invalid_before[i0] {
            return Err(NoLabel::Invalid);
        }
        Ok(Direction::of_change(self.m2[i1] - m2_ref))
    }
}

/// Labels of a sample at `t` (features saw best bid + best ask = `m2_ref`) at each of
/// `horizons_ns` (usually [`HORIZONS_NS`]).
pub fn label_mid_direction(
    path: &MidPath,
    t: i64,
    m2_ref: i64,
    horizons_ns: &[i64; N_HORIZONS],
) -> [Result<Direction, NoLabel>; N_HORIZONS] {
    std::array::from_fn(|k| path.label(t, m2_ref, horizons_ns[k]))
}
