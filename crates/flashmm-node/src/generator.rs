//! Options of a generated market (shared by `runBacktest` and `SimVenue`): the market spec and
//! the zero-intelligence generator's parameters. Conversions only.

use flashmm_core::market_gen::ZiParams;
use flashmm_core::replay::{DEFAULT_GENERATOR_INITIAL_PRICE, DEFAULT_GENERATOR_SEED, DEFAULT_GENERATOR_SYMBOL};
use flashmm_core::spec::{self as core, BinanceMarket};
use napi_derive::napi;

use crate::convert::{id, invalid_arg, lots};
use crate::error::Result;
use crate::spec::{MarketSpecInit, parse_binance_market, spec_from_init};

/// Overrides of the generator's parameters (defaults in `docs/market_gen.md`). Rates per second.
#[napi(object)]
pub struct ZiOptions {
    /// Limit orders per second, per side.
    pub limit_rate: Option<f64>,
    /// Cancellations per resting order per second.
    pub cancel_rate: Option<f64>,
    /// Market orders per second, per side.
    pub market_rate: Option<f64>,
    /// Limit orders land 1..=depthLevels ticks from the opposite best.
    pub depth_levels: Option<u32>,
    pub depth_exponent: Option<f64>,
    /// Mean limit / market order size, in units (>= 1).
    pub limit_size_mean: Option<f64>,
    pub market_size_mean: Option<f64>,
    /// One size unit, lots (default the market's minimum size).
    pub unit_lots: Option<f64>,
    /// Local receive time minus exchange time of the generated events, ms.
    pub feed_latency_ms: Option<f64>,
    /// Simulated time run before the first snapshot, ms.
    pub warmup_ms: Option<f64>,
}

/// ms (a JS number) to ns, rounded to the nearest ns; `what` names the option in errors.
pub(crate) fn ms_to_ns(value: f64, what: &str) -> Result<i64> {
    // Rounded to the nearest ns: 0.3 ms is 299999.99999999994 ns as a double.
    let ns = (value * 1e6).round();
    if !(0.0..=9.0e18).contains(&ns) {
        return Err(invalid_arg(format!("{what} = {value} ms must be a finite, non-negative number")));
    }
    Ok(ns as i64)
}

/// The market of a generated run: `spec` if given, else the built-in Binance grid of
/// `symbol` (default BTCUSDT) on `market` (default usdm). `prefix` names the options in errors.
pub(crate) fn resolve_spec(
    spec: Option<&MarketSpecInit>,
    symbol: Option<&str>,
    market: Option<&str>,
    prefix: &str,
) -> Result<core::MarketSpec> {
    if let Some(init) = spec {
        if symbol.is_some() || market.is_some() {
            return Err(invalid_arg(format!("{prefix}spec and {prefix}symbol/{prefix}market are exclusive")));
        }
        return spec_from_init(init).map_err(|e| invalid_arg(format!("{prefix}spec: {}", e.reason)));
    }
    let m = market.map(parse_binance_market).transpose()?.unwrap_or(BinanceMarket::UsdM);
    let symbol = symbol.unwrap_or(DEFAULT_GENERATOR_SYMBOL);
    core::MarketSpec::binance(symbol, m).ok_or_else(|| {
        invalid_arg(format!(
            "{prefix}symbol: no built-in spec for Binance {} symbol '{symbol}' (give {prefix}spec with tickSize and lotSize)",
            market.unwrap_or("usdm")
        ))
    })
}

/// Generator parameters around `initial_price` (required unless the market is the default
/// one) with the overrides applied and validated.
pub(crate) fn zi_params(
    spec: &core::MarketSpec,
    initial_price: Option<&str>,
    default_market: bool,
    zi: Option<&ZiOptions>,
    prefix: &str,
) -> Result<ZiParams> {
    let price = match initial_price {
        Some(p) => p,
        None if default_market => DEFAULT_GENERATOR_INITIAL_PRICE,
        None => {
            return Err(invalid_arg(format!("{prefix}initialPrice is required for a market other than the default")));
        }
    };
    let mut p = ZiParams::for_market(spec, price).map_err(|e| invalid_arg(format!("{prefix}initialPrice: {e}")))?;
    if let Some(o) = zi {
        let set = |dst: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *dst = v;
            }
        };
        set(&mut p.limit_rate, o.limit_rate);
        set(&mut p.cancel_rate, o.cancel_rate);
        set(&mut p.market_rate, o.market_rate);
        set(&mut p.depth_exponent, o.depth_exponent);
        set(&mut p.limit_size_mean, o.limit_size_mean);
        set(&mut p.market_size_mean, o.market_size_mean);
        if let Some(d) = o.depth_levels {
            p.depth_levels = d;
        }
        if let Some(u) = o.unit_lots {
            p.unit_lots = lots(u, "zi.unitLots")?;
        }
        if let Some(ms) = o.feed_latency_ms {
            p.feed_latency_ns = ms_to_ns(ms, &format!("{prefix}zi.feedLatencyMs"))?;
        }
        if let Some(ms) = o.warmup_ms {
            p.warmup_ns = ms_to_ns(ms, &format!("{prefix}zi.warmupMs"))?;
        }
    }
    p.validate().map_err(|e| invalid_arg(format!("{prefix}zi: {e}")))?;
    Ok(p)
}

/// A seed from a JS number (an exact integer in 0..2^53); missing: the core's default.
pub(crate) fn seed(value: Option<f64>, what: &'static str) -> Result<u64> {
    value.map_or(Ok(DEFAULT_GENERATOR_SEED), |v| id(v, what))
}
