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

use crate::book::Side;
use crate::spec::{MarketSpec, format_scaled};

/// Cash, notional and fees in units of `tick × lot × 10⁻⁶` (see the module documentation).
pub type Money = i128;

/// Money units per tick × lot.
pub const MONEY_PER_TICK_LOT: Money = 1_000_000;

/// Notional of `lots` at `price` ticks.
pub fn notional(price: i64, lots: i64) -> Money {
    i128::from(price) * i128::from(lots) * MONEY_PER_TICK_LOT
}

/// Fee for `lots` at `price` ticks at `ppm` parts per million of notional (exact).
pub fn fee(price: i64, lots: i64, ppm: i64) -> Money {
    i128::from(price) * i128::from(lots) * i128::from(ppm)
}

/// Whether we provided or took liquidity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Liquidity {
    Maker = 0,
    Taker = 1,
}

/// Position and cash of one market, updated fill by fill.
///
/// `cash` starts at 0 and counts notional received minus notional paid minus fees; `position`
/// is in lots (positive = long). Mark-to-market value at `price`: [`Account::equity_at`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Account {
    pub position: i64,
    pub cash: Money,
    /// Fees paid (negative: net rebate received).
    pub fees: Money,
    pub fills: u64,
    pub bought_lots: i64,
    pub sold_lots: i64,
    pub maker_lots: i64,
    pub taker_lots: i64,
    /// Absolute notional traded.
    pub volume: Money,
}

impl Account {
    /// Books one fill. `fee` as computed by [`fee`] (positive = paid).
    pub fn apply(&mut self, side: Side, price: i64, lots: i64, fee: Money, liquidity: Liquidity) {
        let value = notional(price, lots);
        match side {
            Side::Bid => {
                self.position += lots;
                self.cash -= value;
                self.bought_lots += lots;
            }
            Side::Ask => {
                self.position -= lots;
                self.cash += value;
                self.sold_lots += lots;
            }
        }
        self.cash -= fee;
        self.fees += fee;
        self.fills += 1;
        self.volume += value;
        match liquidity {
            Liquidity::Maker => self.maker_lots += lots,
            Liquidity::Taker => self.taker_lots += lots,
        }
    }

    /// `cash + position × price`: the value if the position were marked at `price` ticks.
    pub fn equity_at(&self, price: i64) -> Money {
        self.cash + notional(price, self.position)
    }
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
    fn account_books_buys_sells_and_fees() {
        let mut a = Account::default();
        a.apply(Side::Bid, 100, 3, fee(100, 3, 200), Liquidity::Taker);
        a.apply(Side::Ask, 101, 2, fee(101, 2, -50), Liquidity::Maker);
        assert_eq!(a.position, 1);
        assert_eq!(a.cash, -300 * 1_000_000 - 60_000 + 202 * 1_000_000 + 10_100);
        assert_eq!(a.fees, 60_000 - 10_100);
        assert_eq!(a.equity_at(101), a.cash + 101 * 1_000_000);
        assert_eq!((a.maker_lots, a.taker_lots, a.fills), (2, 3, 2));
    }
}
