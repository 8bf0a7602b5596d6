//! One market's live state ([`MarketState`]) and the online estimators it keeps: σ of the mid
//! ([`EwmaVolatility`]) and the order-arrival intensity ([`IntensityEstimator`]). The API and
//! its budget (one native call per venue batch, one per decision) are in `docs/market-state.md`.

mod intensity;
mod state;
mod volatility;

pub use intensity::{Intensity, IntensityEstimate, IntensityEstimator, IntensityOptions, IntensitySource};
pub use state::{ApplyResult, DecisionInputs, Forecast, MarketOptions, MarketState, Top};
pub use volatility::{EwmaVolatility, VolatilityOptions};
