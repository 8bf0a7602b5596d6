//! Market specification and exact decimal <-> integer conversion.
//!
//! Prices and sizes live in the core as integers: ticks and lots of a [`MarketSpec`].
//! Decimal strings are converted exactly at the venue edge: a value off the grid is an
//! error, never a rounding.

use std::fmt;

/// A non-negative decimal quantum such as a tick size `0.01` = 1 × 10⁻².
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quantum {
    mantissa: u64,
    scale: u32,
}

/// Largest number of fractional digits accepted in a decimal string.
pub const MAX_SCALE: u32 = 18;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("'{0}' is not a decimal number")]
    Malformed(String),
    #[error("'{0}' is negative")]
    Negative(String),
    #[error("'{0}' has more than {MAX_SCALE} fractional digits")]
    TooPrecise(String),
    #[error("'{0}' is too large")]
    Overflow(String),
    #[error("'{value}' is not on the grid of {quantum}")]
    OffGrid { value: String, quantum: Quantum },
    #[error("a {0} of zero is not allowed")]
    ZeroQuantum(&'static str),
}

/// An unsigned decimal parsed without loss: `mantissa × 10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsigned {
    pub mantissa: u64,
    pub scale: u32,
}

const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Parses `digits[.digits]` (no sign, no exponent, no spaces) exactly.
pub fn parse_unsigned(s: &str) -> Result<Unsigned, DecimalError> {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b'-') {
        return Err(DecimalError::Negative(s.to_owned()));
    }
    let mut mantissa: u64 = 0;
    let mut scale: u32 = 0;
    let mut seen_dot = false;
    let mut digits = 0usize;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(u64::from(b - b'0')))
                    .ok_or_else(|| DecimalError::Overflow(s.to_owned()))?;
                digits += 1;
                if seen_dot {
                    scale += 1;
                    if scale > MAX_SCALE {
                        return Err(DecimalError::TooPrecise(s.to_owned()));
                    }
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return Err(DecimalError::Malformed(s.to_owned())),
        }
    }
    if digits == 0 || bytes.last() == Some(&b'.') || bytes.first() == Some(&b'.') {
        return Err(DecimalError::Malformed(s.to_owned()));
    }
    Ok(Unsigned { mantissa, scale })
}

impl Quantum {
    pub fn parse(s: &str, what: &'static str) -> Result<Self, DecimalError> {
        let u = parse_unsigned(s)?;
        if u.mantissa == 0 {
            return Err(DecimalError::ZeroQuantum(what));
        }
        Ok(Self::normalised(u.mantissa, u.scale))
    }

    /// Strips trailing zeros so equal quanta compare equal ("0.010" == "0.01").
    fn normalised(mut mantissa: u64, mut scale: u32) -> Self {
        while scale > 0 && mantissa.is_multiple_of(10) {
            mantissa /= 10;
            scale -= 1;
        }
        Self { mantissa, scale }
    }

    pub fn mantissa(&self) -> u64 {
        self.mantissa
    }

    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// Exact count of quanta in the decimal string `s`; errors when off the grid.
    pub fn count(&self, s: &str) -> Result<i64, DecimalError> {
        let v = parse_unsigned(s)?;
        let off_grid = || DecimalError::OffGrid { value: s.to_owned(), quantum: *self };
        let overflow = || DecimalError::Overflow(s.to_owned());
        let at_scale = if v.scale <= self.scale {
            u128::from(v.mantissa) * u128::from(POW10[(self.scale - v.scale) as usize])
        } else {
            let drop = POW10[(v.scale - self.scale) as usize];
            if v.mantissa % drop != 0 {
                return Err(off_grid());
            }
            u128::from(v.mantissa / drop)
        };
        let q = u128::from(self.mantissa);
        if at_scale % q != 0 {
            return Err(off_grid());
        }
        i64::try_from(at_scale / q).map_err(|_| overflow())
    }

    /// Formats `count` quanta as a decimal string with exactly `scale` fractional digits.
    pub fn format(&self, count: i64) -> String {
        format_scaled(i128::from(count) * i128::from(self.mantissa), self.scale)
    }

    /// The value of `count` quanta as a float, for display and statistics only.
    pub fn to_f64(&self, count: f64) -> f64 {
        count * self.mantissa as f64 / POW10[self.scale as usize] as f64
    }
}

/// `value × 10^-scale` as a decimal string with exactly `scale` fractional digits.
pub fn format_scaled(value: i128, scale: u32) -> String {
    let digits = value.unsigned_abs().to_string();
    let scale = scale as usize;
    let body = if scale == 0 {
        digits
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        format!("{int}.{frac}")
    } else {
        format!("0.{}{digits}", "0".repeat(scale - digits.len()))
    };
    if value < 0 { format!("-{body}") } else { body }
}

impl fmt::Display for Quantum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("tick size: {0}")]
    Tick(DecimalError),
    #[error("lot size: {0}")]
    Lot(DecimalError),
    #[error("minimum size: {0}")]
    MinSize(DecimalError),
    #[error("fee rate {0} ppm is outside -10000..=100000 (-1% to 10%)")]
    Fee(i64),
}

/// A market's grid and fees. Fees are parts per million of notional; negative is a rebate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketSpec {
    pub symbol: String,
    pub tick: Quantum,
    pub lot: Quantum,
    /// Smallest order size, in lots.
    pub min_size_lots: i64,
    pub maker_fee_ppm: i64,
    pub taker_fee_ppm: i64,
}

impl MarketSpec {
    pub fn new(symbol: &str, tick_size: &str, lot_size: &str) -> Result<Self, SpecError> {
        Ok(Self {
            symbol: symbol.to_owned(),
            tick: Quantum::parse(tick_size, "tick size").map_err(SpecError::Tick)?,
            lot: Quantum::parse(lot_size, "lot size").map_err(SpecError::Lot)?,
            min_size_lots: 1,
            maker_fee_ppm: 0,
            taker_fee_ppm: 0,
        })
    }

    pub fn with_min_size(mut self, min_size: &str) -> Result<Self, SpecError> {
        self.min_size_lots = self.lot.count(min_size).map_err(SpecError::MinSize)?;
        Ok(self)
    }

    pub fn with_fees(mut self, maker_ppm: i64, taker_ppm: i64) -> Result<Self, SpecError> {
        for fee in [maker_ppm, taker_ppm] {
            if !(-10_000..=100_000).contains(&fee) {
                return Err(SpecError::Fee(fee));
            }
        }
        self.maker_fee_ppm = maker_ppm;
        self.taker_fee_ppm = taker_ppm;
        Ok(self)
    }

    /// Price string to ticks. Zero is accepted here; books reject non-positive prices.
    pub fn price_to_ticks(&self, price: &str) -> Result<i64, DecimalError> {
        self.tick.count(price)
    }

    pub fn size_to_lots(&self, size: &str) -> Result<i64, DecimalError> {
        self.lot.count(size)
    }

    pub fn ticks_to_price(&self, ticks: i64) -> String {
        self.tick.format(ticks)
    }

    pub fn lots_to_size(&self, lots: i64) -> String {
        self.lot.format(lots)
    }

    /// Grids of the Binance markets in `shared/data` (exchangeInfo, August 2024).
    /// Spot lots are the pre-2023 step sizes (0.000001 BTC, 0.00001 ETH), ten times finer than
    /// today's: resting orders placed before the change still show in the depth stream (e.g.
    /// "25.42618900" BTC at 200000, "2292.22972000" ETH at 5000 in the 2024-08-08 recordings).
    pub fn binance(symbol: &str, market: BinanceMarket) -> Option<Self> {
        let upper = symbol.to_ascii_uppercase();
        let (tick, lot) = match (market, upper.as_str()) {
            (BinanceMarket::Spot, "BTCUSDT") => ("0.01", "0.000001"),
            (BinanceMarket::Spot, "ETHUSDT") => ("0.01", "0.00001"),
            (BinanceMarket::UsdM, "BTCUSDT") => ("0.1", "0.001"),
            (BinanceMarket::UsdM, "ETHUSDT") => ("0.01", "0.001"),
            (BinanceMarket::CoinM, "BTCUSD_PERP") => ("0.1", "1"),
            (BinanceMarket::CoinM, "ETHUSD_PERP") => ("0.01", "1"),
            _ => return None,
        };
        Self::new(&upper, tick, lot).ok()
    }
}

/// Binance market family; it decides the depth-stream sequence rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinanceMarket {
    Spot,
    UsdM,
    CoinM,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> MarketSpec {
        MarketSpec::new("BTC-USD", "0.1", "0.001").unwrap()
    }

    #[test]
    fn converts_exactly_on_grid() {
        let s = spec();
        assert_eq!(s.price_to_ticks("61773.6"), Ok(617_736));
        assert_eq!(s.price_to_ticks("61773.60000000"), Ok(617_736));
        assert_eq!(s.price_to_ticks("61773"), Ok(617_730));
        assert_eq!(s.size_to_lots("0.00100000"), Ok(1));
        assert_eq!(s.size_to_lots("12.345"), Ok(12_345));
        assert_eq!(s.ticks_to_price(617_736), "61773.6");
        assert_eq!(s.lots_to_size(1), "0.001");
        assert_eq!(s.lots_to_size(0), "0.000");
    }

    #[test]
    fn off_grid_is_an_error_not_a_rounding() {
        let err = spec().price_to_ticks("61773.65").unwrap_err();
        assert_eq!(err.to_string(), "'61773.65' is not on the grid of 0.1");
        let five = MarketSpec::new("X", "0.5", "1").unwrap();
        assert_eq!(five.price_to_ticks("10.5"), Ok(21));
        assert!(matches!(five.price_to_ticks("10.2"), Err(DecimalError::OffGrid { .. })));
    }

    #[test]
    fn rejects_garbage() {
        let s = spec();
        for bad in ["", ".", "1.", ".5", "1..2", "1e5", "NaN", "inf", " 1", "1,5", "0x10", "+1"] {
            assert!(matches!(s.price_to_ticks(bad), Err(DecimalError::Malformed(_))), "{bad}");
        }
        assert!(matches!(s.price_to_ticks("-1.0"), Err(DecimalError::Negative(_))));
        assert!(matches!(s.price_to_ticks("99999999999999999999999"), Err(DecimalError::Overflow(_))));
        assert!(matches!(s.price_to_ticks("1.0000000000000000001"), Err(DecimalError::TooPrecise(_))));
        assert!(MarketSpec::new("X", "0", "1").is_err());
        assert!(MarketSpec::new("X", "0.00", "1").is_err());
    }

    #[test]
    fn quanta_normalise() {
        assert_eq!(Quantum::parse("0.010", "t").unwrap(), Quantum::parse("0.01", "t").unwrap());
        assert_eq!(Quantum::parse("10", "t").unwrap().to_string(), "10");
    }

    #[test]
    fn formats_round_trip() {
        let s = MarketSpec::new("X", "0.25", "0.00001").unwrap();
        for t in [0, 1, 3, 4, 1_000_001] {
            assert_eq!(s.price_to_ticks(&s.ticks_to_price(t)), Ok(t));
        }
        assert_eq!(s.ticks_to_price(3), "0.75");
        assert_eq!(s.ticks_to_price(-3), "-0.75");
    }
}
