//! Exact money: cash, notional and fees as integers.
//!
//! One [`Money`] unit is one millionth of the value of one tick times one lot
//! (`tick_size × lot_size × 10⁻⁶` of the quote currency; for Binance USD-M BTCUSDT, tick 0.1 and
//! lot 0.001, that is 10⁻¹⁰ USDT). With that unit:
//!
//! * the notional of `lots` at `price` ticks is `price × lots × 1_000_000` units, and
//! * a fee of `ppm` parts per million of it is `price × lots × ppm` units,
//!
//! both exact integers, computed in `i128` (no overflow for any `i64` price and size). Fees are
//! therefore never rounded: there is no rounding direction to choose, and the identity
//! "cash + position × price changes by exactly −fee at every fill" holds to the unit. A positive
//! fee is paid; a negative fee (maker rebate) is received.

use crate::spec::{MarketSpec, format_scaled};

/// Cash, notional and fees in units of `tick × lot × 10⁻⁶` (see the module documentation).
pub type Money = i128;

/// Money units per tick × lot.
pub const MONEY_PER_TICK_LOT: Money = 1_000_000;

/// Money units per half-tick × lot: a mid (`(bid + ask) / 2`) marks exactly in these.
pub const MONEY_PER_HALF_TICK_LOT: Money = MONEY_PER_TICK_LOT / 2;

/// Notional of `lots` at `price` ticks.
pub fn notional(price: i64, lots: i64) -> Money {
    i128::from(price) * i128::from(lots) * MONEY_PER_TICK_LOT
}

/// Fee for `lots` at `price` ticks at `ppm` parts per million of notional (exact).
pub fn fee(price: i64, lots: i64, ppm: i64) -> Money {
    i128::from(price) * i128::from(lots) * i128::from(ppm)
}

/// Whether we provided or took liquidity (`"maker"` / `"taker"` in JSON and JavaScript).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Liquidity {
    Maker = 0,
    Taker = 1,
}

/// Exact decimal string of `m` money units in the quote currency of `spec`.
pub fn format_money(spec: &MarketSpec, m: Money) -> String {
    let scale = spec.tick.scale() + spec.lot.scale() + 6;
    let mant = i128::from(spec.tick.mantissa()) * i128::from(spec.lot.mantissa());
    let value = m.checked_mul(mant);
    let Some(v) = value else {
        return format!("{}", money_to_f64(spec, m));
    };
    let fixed = format_scaled(v, scale);
    // Money carries up to 6 more digits than the market shows: drop trailing zeros.
    if fixed.contains('.') {
        let t = fixed.trim_end_matches('0');
        t.strip_suffix('.').unwrap_or(t).to_owned()
    } else {
        fixed
    }
}

/// `m` money units in the quote currency as a float: display and statistics only.
pub fn money_to_f64(spec: &MarketSpec, m: Money) -> f64 {
    let scale = spec.tick.scale() + spec.lot.scale() + 6;
    m as f64 * spec.tick.mantissa() as f64 * spec.lot.mantissa() as f64 / 10f64.powi(scale as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fees_and_formatting() {
        let spec = MarketSpec::new("BTCUSDT", "0.1", "0.001").unwrap();
        // 0.005 BTC at 61773.6 USDT: notional 308.868 USDT; 2 bp taker = 0.0617736 USDT.
        let n = notional(617_736, 5);
        assert_eq!(format_money(&spec, n), "308.868");
        let f = fee(617_736, 5, 200);
        assert_eq!(f, 617_736_000);
        assert_eq!(format_money(&spec, f), "0.0617736");
        assert_eq!(format_money(&spec, -fee(617_736, 5, -100)), "0.0308868");
        assert_eq!(format_money(&spec, fee(617_736, 5, -100)), "-0.0308868");
        assert_eq!(format_money(&spec, 0), "0");
        assert!((money_to_f64(&spec, f) - 0.0617736).abs() < 1e-15);
    }
}
