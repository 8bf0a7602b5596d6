//! The core's forecast log (`model::score`) as plain objects: the forecasts a market's model
//! made and their outcomes by the dataset's label rule. Conversions only.

use flashmm_core::model::{
    ForecastLog as CoreLog, HorizonForecast as CoreHorizon, MadeForecast as CoreMade, ScoredForecast as CoreScored,
};
use napi_derive::napi;

/// Nanoseconds to whole milliseconds (floored): the precision the time series keep.
fn ms(t_ns: i64) -> f64 {
    t_ns.div_euclid(1_000_000) as f64
}

/// One horizon of a forecast: the model's probabilities and its confidence `1 − H(p)/ln 3`.
#[napi(object, object_from_js = false)]
pub struct HorizonForecast {
    pub horizon_ms: f64,
    pub p_down: f64,
    pub p_flat: f64,
    pub p_up: f64,
    pub confidence: f64,
}

impl From<&CoreHorizon> for HorizonForecast {
    fn from(h: &CoreHorizon) -> Self {
        let [down, flat, up] = h.probs.map(f64::from);
        Self {
            horizon_ms: h.horizon_ns as f64 / 1e6,
            p_down: down,
            p_flat: flat,
            p_up: up,
            confidence: f64::from(h.confidence),
        }
    }
}

/// A forecast the core scores (the first on its row): the row's time and every horizon.
#[napi(object, object_from_js = false)]
pub struct MadeForecast {
    /// The row's exchange time, ms (floored).
    pub at_ms: f64,
    /// Shortest first.
    pub horizons: Vec<HorizonForecast>,
}

/// One horizon of a forecast, scored once it ended.
#[napi(object, object_from_js = false)]
pub struct ScoredForecast {
    /// The forecast's row time, ms (floored).
    pub at_ms: f64,
    pub forecast: HorizonForecast,
    /// The label at this horizon: "down" | "flat" | "up".
    #[napi(ts_type = "'down' | 'flat' | 'up'")]
    pub outcome: &'static str,
    /// The forecast's most probable direction was the outcome.
    pub right: bool,
    /// The horizon's rolling accuracy with this outcome (as `forecastScores()` then).
    pub accuracy: f64,
}

/// Forecasts made and scored since the last drain, oldest first.
#[napi(object, object_from_js = false)]
pub struct ForecastLog {
    pub made: Vec<MadeForecast>,
    pub scored: Vec<ScoredForecast>,
    /// Records dropped undrained since the model started serving (at most 4096 of each kept).
    pub dropped: f64,
}

impl From<CoreLog> for ForecastLog {
    fn from(log: CoreLog) -> Self {
        Self {
            made: log.made.iter().map(made).collect(),
            scored: log.scored.iter().map(scored).collect(),
            dropped: log.dropped as f64,
        }
    }
}

fn made(m: &CoreMade) -> MadeForecast {
    MadeForecast { at_ms: ms(m.t), horizons: m.horizons().iter().map(Into::into).collect() }
}

fn scored(s: &CoreScored) -> ScoredForecast {
    let outcome = ["down", "flat", "up"][s.outcome.index()];
    ScoredForecast { at_ms: ms(s.t), forecast: (&s.forecast).into(), outcome, right: s.right, accuracy: s.accuracy }
}
