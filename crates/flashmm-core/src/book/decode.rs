//! Levels from the number arrays a host sends (JS typed arrays hold `f64`).
//!
//! Ticks and lots must arrive as exact integers: a fraction, NaN, an infinity or a value
//! beyond 2^53 (where `f64` stops counting in ones) is an error naming the element.

use super::Level;

/// Largest integer `f64` represents exactly.
pub const MAX_EXACT_F64: f64 = 9_007_199_254_740_992.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("{prices} prices but {sizes} sizes: the arrays must have the same length")]
    LengthMismatch { prices: usize, sizes: usize },
    #[error("{what}[{index}] = {value} is not an integer number of {unit}")]
    NotInteger { what: &'static str, unit: &'static str, index: usize, value: f64 },
    #[error("{what}[{index}] = {value} is beyond ±2^53, where numbers stop being exact")]
    OutOfRange { what: &'static str, index: usize, value: f64 },
}

/// Exact integer from an `f64`, or why not.
pub fn exact_integer(value: f64, what: &'static str, unit: &'static str, index: usize) -> Result<i64, DecodeError> {
    if !value.is_finite() || value.fract() != 0.0 {
        return Err(DecodeError::NotInteger { what, unit, index, value });
    }
    if value.abs() > MAX_EXACT_F64 {
        return Err(DecodeError::OutOfRange { what, index, value });
    }
    Ok(value as i64)
}

/// Appends `prices[i]` ticks × `sizes[i]` lots to `out`. On error `out` is left as it was.
pub fn levels_from_f64(prices: &[f64], sizes: &[f64], out: &mut Vec<Level>) -> Result<(), DecodeError> {
    if prices.len() != sizes.len() {
        return Err(DecodeError::LengthMismatch { prices: prices.len(), sizes: sizes.len() });
    }
    let start = out.len();
    out.reserve(prices.len());
    for (i, (&p, &s)) in prices.iter().zip(sizes).enumerate() {
        let level = exact_integer(p, "prices", "ticks", i)
            .and_then(|price| Ok(Level::new(price, exact_integer(s, "sizes", "lots", i)?)));
        match level {
            Ok(l) => out.push(l),
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_exact_integers() {
        let mut out = vec![Level::new(1, 1)];
        levels_from_f64(&[100.0, 101.0], &[5.0, 0.0], &mut out).unwrap();
        assert_eq!(out, vec![Level::new(1, 1), Level::new(100, 5), Level::new(101, 0)]);
        // Negative values decode; the book decides they are invalid levels.
        levels_from_f64(&[-1.0], &[2.0], &mut out).unwrap();
        assert_eq!(out.last(), Some(&Level::new(-1, 2)));
    }

    #[test]
    fn rejects_what_is_not_an_exact_integer() {
        let mut out = vec![Level::new(1, 1)];
        let cases: [(f64, &str); 4] = [
            (f64::NAN, "prices[1] = NaN is not an integer number of ticks"),
            (f64::INFINITY, "prices[1] = inf is not an integer number of ticks"),
            (100.5, "prices[1] = 100.5 is not an integer number of ticks"),
            (1e16, "prices[1] = 10000000000000000 is beyond ±2^53, where numbers stop being exact"),
        ];
        for (bad, msg) in cases {
            let err = levels_from_f64(&[5.0, bad], &[1.0, 1.0], &mut out).unwrap_err();
            assert_eq!(err.to_string(), msg);
            assert_eq!(out, vec![Level::new(1, 1)], "nothing appended on error");
        }
        let err = levels_from_f64(&[5.0], &[0.25], &mut out).unwrap_err();
        assert_eq!(err.to_string(), "sizes[0] = 0.25 is not an integer number of lots");
        assert_eq!(levels_from_f64(&[1.0], &[], &mut out), Err(DecodeError::LengthMismatch { prices: 1, sizes: 0 }));
    }
}
