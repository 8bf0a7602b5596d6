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
//!
//! Each forecast registered and each (forecast, horizon) scored is also logged for a host to
//! drain ([`ForecastScorer::drain`]: its time series write them); at most [`MAX_LOG`] of each
//! are kept, the oldest dropped and counted, so a host that never drains holds no more.

use std::collections::VecDeque;

use super::prediction::{MAX_HORIZONS, Prediction};
use crate::features::{Direction, MidPath, NoLabel};

/// Scored forecasts per horizon the rolling accuracy is taken over.
pub const SCORE_WINDOW: usize = 500;
/// Forecasts waiting for their horizons; beyond, the oldest is dropped (a feed that stopped).
pub const MAX_PENDING: usize = 4_096;
/// Path states kept before pruning is considered (pruning is a shift of the vectors).
pub const PRUNE_AT: usize = 1_024;
/// Forecasts made and outcomes kept for a host to drain; beyond, the oldest is dropped.
pub const MAX_LOG: usize = 4_096;

/// One horizon of a forecast: its `[down, flat, up]` probabilities and confidence
/// ([`Prediction`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HorizonForecast {
    pub horizon_ns: i64,
    pub probs: [f32; 3],
    pub confidence: f32,
}

/// A forecast registered for scoring: the row's time `t` (ns) and every scored horizon.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MadeForecast {
    pub t: i64,
    horizons: usize,
    each: [HorizonForecast; MAX_HORIZONS],
}

impl MadeForecast {
    /// Shortest horizon first.
    pub fn horizons(&self) -> &[HorizonForecast] {
        &self.each[..self.horizons]
    }
}

/// One horizon of a forecast, scored: what the label rule says the mid did, whether the
/// forecast's decision was it, and the horizon's rolling accuracy with it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoredForecast {
    /// The forecast's row time (ns).
    pub t: i64,
    pub forecast: HorizonForecast,
    pub outcome: Direction,
    pub right: bool,
    /// [`HorizonScore::accuracy`] after this outcome.
    pub accuracy: f64,
}

/// What [`ForecastScorer::drain`] hands over, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForecastLog {
    pub made: Vec<MadeForecast>,
    pub scored: Vec<ScoredForecast>,
    /// Records dropped undrained since the scorer started (made and scored together).
    pub dropped: u64,
}

/// Bounded queues behind [`ForecastLog`].
#[derive(Clone, Debug, Default)]
struct Log {
    made: VecDeque<MadeForecast>,
    scored: VecDeque<ScoredForecast>,
    dropped: u64,
}

/// Appends to a queue of at most [`MAX_LOG`], dropping (and counting) the oldest.
fn push_bounded<T>(q: &mut VecDeque<T>, dropped: &mut u64, item: T) {
    if q.len() == MAX_LOG {
        q.pop_front();
        *dropped += 1;
    }
    q.push_back(item);
}

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
    prediction: Prediction,
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
    log: Log,
}

impl ForecastScorer {
    /// Scores forecasts at `horizons_ns` (a model's output rows, in order; at most
    /// [`MAX_HORIZONS`], extra rows are not scored).
    pub fn new(horizons_ns: &[i64]) -> Self {
        let scores = horizons_ns.iter().take(MAX_HORIZONS).map(|&h| HorizonScore::new(h)).collect();
        Self {
            path: MidPath::new(),
            pending: VecDeque::new(),
            scores,
            last_t: None,
            latest_row: None,
            log: Log::default(),
        }
    }

    pub fn scores(&self) -> &[HorizonScore] {
        &self.scores
    }

    /// The forecasts made and outcomes logged since the last drain, oldest first.
    pub fn drain(&mut self) -> ForecastLog {
        ForecastLog {
            made: self.log.made.drain(..).collect(),
            scored: self.log.scored.drain(..).collect(),
            dropped: self.log.dropped,
        }
    }

    /// Takes over `old`'s undrained log (a scorer replaced on other horizons loses no record).
    pub fn carry_log(&mut self, old: ForecastScorer) {
        self.log = old.log;
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
        let mut each = [HorizonForecast { horizon_ns: 0, probs: [0.0; 3], confidence: 0.0 }; MAX_HORIZONS];
        for (k, s) in self.scores[..n].iter_mut().enumerate() {
            s.forecasts += 1;
            each[k] = horizon_forecast(prediction, k, s.horizon_ns);
        }
        push_bounded(&mut self.log.made, &mut self.log.dropped, MadeForecast { t, horizons: n, each });
        if self.pending.len() == MAX_PENDING
            && let Some(old) = self.pending.pop_front()
        {
            self.each_open(old.open, |s| s.unscored += 1);
        }
        self.pending.push_back(Pending { t, m2, prediction: *prediction, open: ((1u16 << n) - 1) as u8 });
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
                    Ok(outcome) => {
                        let right = outcome == p.prediction.decision(k);
                        s.record(right);
                        let scored = ScoredForecast {
                            t: p.t,
                            forecast: horizon_forecast(&p.prediction, k, s.horizon_ns),
                            outcome,
                            right,
                            accuracy: s.accuracy().expect("just recorded"),
                        };
                        push_bounded(&mut self.log.scored, &mut self.log.dropped, scored);
                    }
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

fn horizon_forecast(p: &Prediction, k: usize, horizon_ns: i64) -> HorizonForecast {
    HorizonForecast { horizon_ns, probs: p.probs()[k], confidence: p.confidence()[k] }
}
