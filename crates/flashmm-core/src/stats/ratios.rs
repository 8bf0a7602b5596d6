//! Return ratios (Sharpe, Sortino) and drawdown of an equity curve. Formulas: `docs/statistics.md`.

use serde::Serialize;

use crate::money::Money;

use crate::json::int_str;

/// Seconds in a year for annualising: crypto markets trade 24/7, so 365 × 24 × 3600.
pub const SECONDS_PER_YEAR: f64 = 31_536_000.0;

/// Sharpe and Sortino ratios of one series of equity changes (one change per period).
///
/// Returns are equity changes in money units (not percentages: a market maker has no
/// natural capital base, and the ratios do not depend on the scale). No risk-free rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReturnStats {
    /// Length of one period in seconds.
    pub period_s: f64,
    /// Number of returns (periods).
    pub periods: u64,
    /// Mean equity change per period, money units (as a float: statistics only).
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1) of the equity changes, money units.
    pub std: Option<f64>,
    /// Downside deviation `sqrt(Σ min(r, 0)² / n)`, money units.
    pub downside_dev: Option<f64>,
    /// `mean / std` per period; `None` with fewer than 2 returns or zero variance.
    pub sharpe: Option<f64>,
    /// `mean / downside_dev` per period; `None` with fewer than 2 returns or no negative return.
    pub sortino: Option<f64>,
    /// `sharpe × sqrt(SECONDS_PER_YEAR / period_s)`.
    pub sharpe_annualised: Option<f64>,
    /// `sortino × sqrt(SECONDS_PER_YEAR / period_s)`.
    pub sortino_annualised: Option<f64>,
}

pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl ReturnStats {
    /// Ratios of `returns`, each spanning `period_s` seconds (`period_s > 0`).
    pub fn of(returns: &[Money], period_s: f64) -> Self {
        let n = returns.len();
        let mut out = ReturnStats {
            period_s,
            periods: n as u64,
            mean: None,
            std: None,
            downside_dev: None,
            sharpe: None,
            sortino: None,
            sharpe_annualised: None,
            sortino_annualised: None,
        };
        if n < 2 {
            if n == 1 {
                out.mean = finite(returns[0] as f64);
            }
            return out;
        }
        let nf = n as f64;
        // Exact sum, one rounding into the float.
        let sum: i128 = returns.iter().sum();
        let mean = sum as f64 / nf;
        out.mean = finite(mean);
        // Zero variance decided exactly (all returns equal), not by a float comparison.
        let constant = returns.iter().all(|&r| r == returns[0]);
        let var = returns.iter().map(|&r| (r as f64 - mean).powi(2)).sum::<f64>() / (nf - 1.0);
        let std = if constant { 0.0 } else { var.sqrt() };
        out.std = finite(std);
        let down_sq = returns.iter().filter(|&&r| r < 0).map(|&r| (r as f64).powi(2)).sum::<f64>() / nf;
        let down = down_sq.sqrt();
        out.downside_dev = finite(down);
        let ann = (SECONDS_PER_YEAR / period_s).sqrt();
        if !constant && std > 0.0 {
            out.sharpe = finite(mean / std);
            out.sharpe_annualised = out.sharpe.and_then(|s| finite(s * ann));
        }
        if returns.iter().any(|&r| r < 0) && down > 0.0 {
            out.sortino = finite(mean / down);
            out.sortino_annualised = out.sortino.and_then(|s| finite(s * ann));
        }
        out
    }
}

/// Largest peak-to-trough fall of the net equity curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Drawdown {
    /// `max over i of (peak_i − equity_i)`, `peak_i = max(0, equity_0, …, equity_i)`, money units.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub max_abs: Money,
    /// `max over i of (peak_i − equity_i) / (capital + peak_i)`; `None` without a capital.
    pub max_rel: Option<f64>,
    /// Timestamp (ns) of the peak before the deepest trough; `None` if there is no drawdown.
    #[serde(with = "crate::json::opt_int_str")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub peak_ts: Option<i64>,
    /// Timestamp (ns) of the deepest trough; `None` if there is no drawdown.
    #[serde(with = "crate::json::opt_int_str")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub trough_ts: Option<i64>,
    /// Net P&L divided by `max_abs`; `None` when `max_abs` is 0.
    pub return_over_max_drawdown: Option<f64>,
}

impl Drawdown {
    /// Drawdown of the curve `(ts, equity)`, starting flat (equity 0 before the first point).
    pub fn of(curve: &[(i64, Money)], capital: Option<Money>, net_pnl: Money) -> Self {
        let mut peak: Money = 0;
        let mut peak_ts: Option<i64> = curve.first().map(|p| p.0);
        let mut max_abs: Money = 0;
        let mut at: Option<(i64, i64)> = None;
        let mut max_rel: Option<f64> = None;
        for &(ts, e) in curve {
            if e > peak {
                peak = e;
                peak_ts = Some(ts);
            }
            let dd = peak - e;
            if dd > max_abs {
                max_abs = dd;
                at = Some((peak_ts.unwrap_or(ts), ts));
            }
            if let Some(c) = capital {
                let base = c + peak;
                if base > 0 {
                    let rel = dd as f64 / base as f64;
                    if max_rel.is_none_or(|m| rel > m) {
                        max_rel = finite(rel);
                    }
                }
            }
        }
        Drawdown {
            max_abs,
            max_rel,
            peak_ts: at.map(|a| a.0),
            trough_ts: at.map(|a| a.1),
            return_over_max_drawdown: if max_abs > 0 { finite(net_pnl as f64 / max_abs as f64) } else { None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_variance_and_no_downside_are_none() {
        let r = ReturnStats::of(&[5, 5, 5], 1.0);
        assert_eq!(r.std, Some(0.0));
        assert_eq!(r.sharpe, None);
        assert_eq!(r.sortino, None);
        let r = ReturnStats::of(&[1], 1.0);
        assert_eq!((r.periods, r.mean, r.sharpe), (1, Some(1.0), None));
        let r = ReturnStats::of(&[], 1.0);
        assert_eq!((r.periods, r.mean), (0, None));
    }

    #[test]
    fn drawdown_from_flat_start() {
        // 0 → −3: drawdown 3 from the initial flat peak.
        let d = Drawdown::of(&[(1, -3), (2, 4), (3, 1), (4, 5)], Some(10), 5);
        assert_eq!(d.max_abs, 3);
        assert_eq!((d.peak_ts, d.trough_ts), (Some(1), Some(1)));
        // rel: −3/10 = 0.3 at ts 1; 3/14 at ts 3.
        assert_eq!(d.max_rel, Some(0.3));
        assert_eq!(d.return_over_max_drawdown, Some(5.0 / 3.0));
    }
}
