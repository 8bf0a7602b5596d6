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
//! therefore never rounded at whole ticks, and the identity "cash + position × price changes by
//! exactly −fee at every fill" holds to the unit. A positive fee is paid; a negative fee (maker
//! rebate) is received.
//!
//! # Fill prices: exact to half a tick
//!
//! Sei settles two crossing limit orders at the midpoint of their prices, which can fall between
//! two ticks (1.1000 / 1.1001 → 1.10005). A [`FillPrice`] is therefore twice the price in ticks
//! (as the ledger's mark `mid2` is): the notional of a half-tick × lot is 500 000 units, still
//! exact. Only a ppm fee on an odd number of half-tick × lot × ppm is half a unit off the grid;
//! it is rounded up (a paid fee up, a rebate towards zero: in the venue's favour, by at most
//! half a unit, 5 × 10⁻⁷ of a tick × lot).

use crate::spec::{MarketSpec, format_scaled};

/// Cash, notional and fees in units of `tick × lot × 10⁻⁶` (see the module documentation).
pub type Money = i128;

/// Money units per tick × lot.
pub const MONEY_PER_TICK_LOT: Money = 1_000_000;

/// Money units per half-tick × lot: a mid (`(bid + ask) / 2`) marks exactly in these.
pub const MONEY_PER_HALF_TICK_LOT: Money = MONEY_PER_TICK_LOT / 2;

/// Notional of `lots` at `price` ticks.
pub fn notional(price: i64, lots: i64) -> Money {
    FillPrice::ticks(price).notional(lots)
}

/// Fee for `lots` at `price` ticks at `ppm` parts per million of notional (exact).
pub fn fee(price: i64, lots: i64, ppm: i64) -> Money {
    FillPrice::ticks(price).fee(lots, ppm)
}

/// An execution price exact to half a tick, held as twice the price in ticks (see the module
/// documentation). JSON and JavaScript see it as a number of ticks: `11000` or `11000.5`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FillPrice(i64);

impl FillPrice {
    /// A price on the tick grid (saturating past `i64::MAX / 2` ticks, far beyond any market).
    pub const fn ticks(ticks: i64) -> Self {
        Self(ticks.saturating_mul(2))
    }

    /// A price of `half_ticks / 2` ticks.
    pub const fn half_ticks(half_ticks: i64) -> Self {
        Self(half_ticks)
    }

    /// The midpoint of two prices in ticks, where Sei settles two crossing limit orders.
    pub const fn midpoint(a: i64, b: i64) -> Self {
        Self(a.saturating_add(b))
    }

    /// Twice the price in ticks.
    pub const fn as_half_ticks(self) -> i64 {
        self.0
    }

    /// The price in ticks when it is on the grid.
    pub const fn whole_ticks(self) -> Option<i64> {
        if self.0 % 2 == 0 { Some(self.0 / 2) } else { None }
    }

    /// The price in ticks as a double: exact below 2⁵² ticks (halves included).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 2.0
    }

    /// Notional of `lots` at this price (exact).
    pub fn notional(self, lots: i64) -> Money {
        i128::from(self.0) * i128::from(lots) * MONEY_PER_HALF_TICK_LOT
    }

    /// Fee for `lots` at `ppm` parts per million of notional: exact on the tick grid, a half
    /// unit rounded up at a half tick (see the module documentation).
    pub fn fee(self, lots: i64, ppm: i64) -> Money {
        let twice = i128::from(self.0) * i128::from(lots) * i128::from(ppm);
        twice.div_euclid(2) + twice.rem_euclid(2)
    }
}

impl std::fmt::Display for FillPrice {
    /// Ticks: `11000` or `11000.5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.whole_ticks() {
            Some(t) => write!(f, "{t}"),
            None => write!(f, "{}{}.5", if self.0 < 0 { "-" } else { "" }, (self.0 / 2).abs()),
        }
    }
}

/// Compares with a price in whole ticks.
impl PartialEq<i64> for FillPrice {
    fn eq(&self, ticks: &i64) -> bool {
        ticks.checked_mul(2) == Some(self.0)
    }
}

/// Orders against a price in whole ticks.
impl PartialOrd<i64> for FillPrice {
    fn partial_cmp(&self, ticks: &i64) -> Option<std::cmp::Ordering> {
        Some(i128::from(self.0).cmp(&(i128::from(*ticks) * 2)))
    }
}

impl serde::Serialize for FillPrice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.whole_ticks() {
            Some(t) => s.serialize_i64(t),
            None => s.serialize_f64(self.as_f64()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for FillPrice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ticks = f64::deserialize(d)?;
        let half = ticks * 2.0;
        if half.is_finite() && half.fract() == 0.0 && half.abs() < 9_007_199_254_740_992.0 {
            Ok(Self(half as i64))
        } else {
            Err(serde::de::Error::custom(format!("a fill price is a whole or half number of ticks, got {ticks}")))
        }
    }
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

    #[test]
    fn half_tick_fill_prices_are_exact() {
        let mid = FillPrice::midpoint(11_000, 11_001);
        assert_eq!((mid.as_half_ticks(), mid.whole_ticks(), mid.as_f64()), (22_001, None, 11_000.5));
        assert_eq!(FillPrice::ticks(11_000), 11_000);
        assert_eq!(mid.notional(3), 33_001_500_000);
        assert_eq!(FillPrice::ticks(7).notional(2), notional(7, 2));
        // 1 lot at 0.5 tick × 1 ppm is half a unit: a fee rounds up, a rebate towards zero.
        assert_eq!((FillPrice::half_ticks(1).fee(1, 1), FillPrice::half_ticks(1).fee(1, -1)), (1, 0));
        assert_eq!(FillPrice::half_ticks(3).fee(2, 100), 300);
        assert_eq!(
            (mid.to_string(), FillPrice::ticks(-4).to_string(), FillPrice::half_ticks(-3).to_string()),
            ("11000.5".into(), "-4".into(), "-1.5".into())
        );
        assert_eq!(serde_json::to_string(&[mid, FillPrice::ticks(9)]).unwrap(), "[11000.5,9]");
        let back: Vec<FillPrice> = serde_json::from_str("[11000.5,9]").unwrap();
        assert_eq!(back, vec![mid, FillPrice::ticks(9)]);
        assert!(serde_json::from_str::<FillPrice>("1.25").is_err());
    }
}
