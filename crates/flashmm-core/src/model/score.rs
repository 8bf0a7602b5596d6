//! Live scoring of a model's forecasts against what the mid then did, by the dataset's own
//! label rule ([`MidPath::label`]): a forecast made on the window whose last row was sampled
//! at `t` (the features saw best bid + best ask = `m2`) is, at horizon `h`, right when its
//! most probable direction ([`Prediction::decision`]) is the label of that row at `h`. It is
//! scored once the book has been seen at or past `t + h`; a row without a label there (the
//! book invalid within the horizon) is counted as unscored. So the accuracy a daemon reports
//! is the accuracy the evaluation measures on the same rows.
//!
//! Bounded: the mid path keeps only what pending forecasts can still read, at most
//! [`MAX_PENDING`] forecasts wait, and the rolling accuracy reads the last [`SCORE_WINDOW`]
//! scored forecasts of each horizon.

use std::collections::VecDeque;

use super::prediction::{MAX_HORIZONS, Prediction};
use crate::features::{Direction, MidPath, NoLabel};

/// Scored forecasts per horizon the rolling accuracy is taken over.
pub const SCORE_WINDOW: usize = 500;
/// Forecasts waiting for their horizons; beyond, the oldest is dropped (a feed that stopped).
pub const MAX_PENDING: usize = 4_096;
/// Path states kept before pruning is considered (pruning is a shift of the vectors).
pub const PRUNE_AT: usize = 1_024;

/// One horizon's tally.
#[derive(Clone, Debug, PartialEq)]
pub struct HorizonScore {
    pub horizon_ns: i64,
    /// Forecasts made (registered for scoring).
    pub forecasts: u64,
    pub correct: u64,
    pub wrong: u64,
    /// Forecasts whose row has no label at this horizon (the book invalid within it), or
    /// dropped unscored while waiting.
    pub unscored: u64,
    /// Outcomes of the last scored forecasts, oldest first (at most [`SCORE_WINDOW`]).
    recent: VecDeque<bool>,
    recent_correct: usize,
}

impl HorizonScore {
    fn new(horizon_ns: i64) -> Self {
        Self { horizon_ns, forecasts: 0, correct: 0, wrong: 0, unscored: 0, recent: VecDeque::new(), recent_correct: 0 }
    }

    /// Share of the last (up to [`SCORE_WINDOW`]) scored forecasts that were right.
    pub fn accuracy(&self) -> Option<f64> {
        (!self.recent.is_empty()).then(|| self.recent_correct as f64 / self.recent.len() as f64)
    }

    /// Scored forecasts the rolling accuracy reads.
    pub fn recent(&self) -> usize {
        self.recent.len()
    }

    fn record(&mut self, right: bool) {
        if right {
            self.correct += 1;
        } else {
            self.wrong += 1;
        }
        if self.recent.len() == SCORE_WINDOW && self.recent.pop_front() == Some(true) {
            self.recent_correct -= 1;
        }
        self.recent.push_back(right);
        self.recent_correct += usize::from(right);
    }
}

/// A forecast waiting for some of its horizons.
#[derive(Clone, Copy, Debug)]
struct Pending {
    t: i64,
    m2: i64,
    decided: [Direction; MAX_HORIZONS],
    /// Bit k set: horizon k is still to score.
    open: u8,
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct ForecastScorer {
    path: MidPath,
    pending: VecDeque<Pending>,
    scores: Vec<HorizonScore>,
    /// The last row a forecast was registered on: one forecast per row is scored.
    last_t: Option<i64>,
    /// The latest row sampled: later forecasts are on it or on later rows.
    latest_row: Option<i64>,
}

impl ForecastScorer {
    /// Scores forecasts at `horizons_ns` (a model's output rows, in order; at most
    /// [`MAX_HORIZONS`], extra rows are not scored).
    pub fn new(horizons_ns: &[i64]) -> Self {
        let scores = horizons_ns.iter().take(MAX_HORIZONS).map(|&h| HorizonScore::new(h)).collect();
        Self { path: MidPath::new(), pending: VecDeque::new(), scores, last_t: None, latest_row: None }
    }

    pub fn scores(&self) -> &[HorizonScore] {
        &self.scores
    }

    /// Mid-path states and forecasts held (the memory the scorer takes).
    pub fn held(&self) -> (usize, usize) {
        (self.path.len(), self.pending.len())
    }

    pub fn horizons_ns(&self) -> impl Iterator<Item = i64> + '_ {
        self.scores.iter().map(|s| s.horizon_ns)
    }

    /// The book at `ts`: two-sided with best bid + best ask = `m2`, or not (`None`).
    pub fn book(&mut self, ts: i64, m2: Option<i64>) {
        match m2 {
            Some(m2) => self.path.push_mid(ts, m2),
            None => self.path.push_invalid(ts),
        }
        self.resolve();
    }

    /// The book was rejected at `ts` (a gap, a crossed book).
    pub fn invalid(&mut self, ts: i64) {
        self.path.push_invalid(ts);
        self.resolve();
    }

    /// A row was sampled at `t` (a forecast may follow on it).
    pub fn row(&mut self, t: i64) {
        self.latest_row = Some(t);
    }

    /// A forecast on the row sampled at `t` (mid `m2`). A second forecast on the same row is
    /// not scored again (decisions outpace the sampling grid).
    pub fn forecast(&mut self, t: i64, m2: i64, prediction: &Prediction) {
        if self.last_t.is_some_and(|last| t <= last) {
            return;
        }
        self.last_t = Some(t);
        let n = self.scores.len().min(prediction.horizons());
        let mut decided = [Direction::Flat; MAX_HORIZONS];
        for (k, d) in decided.iter_mut().enumerate().take(n) {
            *d = prediction.decision(k);
        }
        for s in &mut self.scores[..n] {
            s.forecasts += 1;
        }
        if self.pending.len() == MAX_PENDING
            && let Some(old) = self.pending.pop_front()
        {
            self.each_open(old.open, |s| s.unscored += 1);
        }
        self.pending.push_back(Pending { t, m2, decided, open: ((1u16 << n) - 1) as u8 });
        self.resolve();
    }

    fn each_open(&mut self, open: u8, mut f: impl FnMut(&mut HorizonScore)) {
        for (k, s) in self.scores.iter_mut().enumerate() {
            if open & (1 << k) != 0 {
                f(s);
            }
        }
    }

    /// Scores every open horizon whose end the path has reached. Forecasts are in row order,
    /// so the scan stops at the first one none of whose horizons has ended.
    fn resolve(&mut self) {
        let Some(end) = self.path.end() else { return };
        let shortest = self.scores.iter().map(|s| s.horizon_ns).min().unwrap_or(0);
        let mut i = 0;
        while i < self.pending.len() {
            let mut p = self.pending[i];
            if p.t.saturating_add(shortest) > end {
                break;
            }
            for (k, s) in self.scores.iter_mut().enumerate() {
                if p.open & (1 << k) == 0 || p.t.saturating_add(s.horizon_ns) > end {
                    continue;
                }
                p.open &= !(1 << k);
                match self.path.label(p.t, p.m2, s.horizon_ns) {
                    Ok(outcome) => s.record(outcome == p.decided[k]),
                    Err(NoLabel::PastEnd) => unreachable!("the horizon ended within the path"),
                    Err(NoLabel::NoMid | NoLabel::Invalid) => s.unscored += 1,
                }
            }
            if p.open == 0 {
                self.pending.remove(i);
            } else {
                self.pending[i] = p;
                i += 1;
            }
        }
        self.prune();
    }

    /// Keeps the path as short as the oldest row a label may still be asked for: a pending
    /// forecast's, or the latest row's (a forecast is on the latest row). Rows sampled later
    /// are at or after the path's end.
    fn prune(&mut self) {
        if self.path.len() < PRUNE_AT {
            return;
        }
        let oldest = self.pending.front().map(|p| p.t).into_iter().chain(self.latest_row).min();
        if let Some(t) = oldest.or(self.path.end()) {
            self.path.forget_before(t);
        }
    }
}
