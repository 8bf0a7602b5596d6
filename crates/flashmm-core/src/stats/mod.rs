//! Backtest statistics: P&L, return ratios, drawdown, trading, inventory, spread captured and
//! adverse selection, computed from what a backtest records.
//!
//! Every statistic, its formula, units and conventions are documented in one place,
//! `docs/statistics.md`; this page describes the inputs and the API.
//!
//! # Input
//!
//! A backtest records one [`StepRecord`] per decision step (the book's touch, our account and
//! our quotes after the decision) and one [`FillRecord`] per fill, and then calls
//! [`BacktestStats::compute`]. The records must satisfy (checked, else [`StatsError`]):
//!
//! * at least one step; step and fill timestamps non-decreasing (ns, exchange clock);
//! * every step has a two-sided book `0 < bid ≤ ask` (ticks);
//! * every fill has `lots > 0`, `price > 0` and a timestamp at or before the last step;
//! * the account starts flat (position 0, cash 0, fees 0), and **the account of a step at `t`
//!   is exactly the sum of the fills stamped at or before `t`** ([`Account::apply`] of each:
//!   position, cash net of fees, cumulative fees). This ties the equity curve to the fills,
//!   so the P&L split and the equity curve can never disagree.
//!
//! # Money
//!
//! Accounting is exact: [`Money`] units of `tick × lot × 10⁻⁶` (see [`crate::sim`]). The mid
//! is never rounded: it is kept as `bid + ask` in half-ticks, and one half-tick × lot is
//! exactly 500 000 money units, so equity and unrealised P&L at the mid are exact integers.
//! Floats appear only in ratios and averages. In JSON ([`serde::Serialize`]), money amounts
//! and nanosecond timestamps are decimal **strings** of the exact integer (they exceed 2⁵³,
//! parse them with `BigInt` in JavaScript); every float is finite, an undefined ratio is
//! `null`; fields come in declaration order, so equal inputs give byte-identical JSON.
//!
//! # Example
//!
//! ```
//! use flashmm_core::book::Side;
//! use flashmm_core::ledger::Account;
//! use flashmm_core::money::{Liquidity, fee};
//! use flashmm_core::stats::{BacktestStats, FillRecord, StatsConfig, StepRecord};
//!
//! let mut acc = Account::default();
//! let mut steps = vec![StepRecord::from_account(0, 99, 101, &acc, Some(99), Some(101))];
//! let fill = FillRecord { ts: 50, order: 1, side: Side::Buy, price: 99, lots: 2,
//!                         fee: fee(99, 2, -100), liquidity: Liquidity::Maker };
//! acc.apply(fill.side, fill.price, fill.lots, fill.fee, fill.liquidity).unwrap();
//! steps.push(StepRecord::from_account(100, 100, 102, &acc, None, Some(102)));
//! let stats = BacktestStats::compute(&steps, &[fill], &StatsConfig::default()).unwrap();
//! // Bought 2 @ 99, marked at mid 101: +4 ticks·lots unrealised, plus the rebate.
//! assert_eq!(stats.pnl.unrealised, 4_000_000);
//! assert_eq!(stats.pnl.net, 4_000_000 + 19_800);
//! ```

mod ratios;

use serde::Serialize;

use crate::book::Side;
use crate::json::int_str;
use crate::ledger::{Account, Ledger, Pnl};
use crate::money::{Liquidity, MONEY_PER_HALF_TICK_LOT, Money, notional};

pub use ratios::{Drawdown, ReturnStats, SECONDS_PER_YEAR};

use ratios::finite;

/// One decision step of a backtest, recorded after the strategy has decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StepRecord {
    /// Time of the step, ns on the exchange clock.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub ts: i64,
    /// Best bid of the public book, ticks.
    pub bid: i64,
    /// Best ask of the public book, ticks. The mid is `(bid + ask) / 2`, kept exact.
    pub ask: i64,
    /// Our position in lots (positive = long), every fill stamped `≤ ts` included.
    pub position: i64,
    /// Our cash ([`Account::cash`]: notional received − paid − fees), every fill `≤ ts` included.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub cash: Money,
    /// Cumulative fees paid ([`Account::fees`]; negative = net rebate).
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub fees: Money,
    /// Price (ticks) of our best bid quote after the decision, `None` if we do not bid.
    pub quote_bid: Option<i64>,
    /// Price (ticks) of our best ask quote after the decision, `None` if we do not offer.
    pub quote_ask: Option<i64>,
}

impl StepRecord {
    /// A step from the account the backtest keeps.
    pub fn from_account(
        ts: i64,
        bid: i64,
        ask: i64,
        account: &Account,
        quote_bid: Option<i64>,
        quote_ask: Option<i64>,
    ) -> Self {
        StepRecord {
            ts,
            bid,
            ask,
            position: account.position(),
            cash: account.cash,
            fees: account.fees(),
            quote_bid,
            quote_ask,
        }
    }

    /// The mid in half-ticks: `bid + ask`.
    pub fn mid2(&self) -> i64 {
        self.bid + self.ask
    }

    /// Net equity `cash + position × mid` (exact money units).
    pub fn equity(&self) -> Money {
        self.cash + i128::from(self.position) * i128::from(self.mid2()) * MONEY_PER_HALF_TICK_LOT
    }
}

/// One fill of one of our orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FillRecord {
    /// When the fill happened, ns on the exchange clock (the execution time, not the time we
    /// learn of it).
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub ts: i64,
    /// Our order's client id; fills of one order share it (counts filled orders).
    pub order: u64,
    /// Our side: [`Side::Buy`] = we bought.
    pub side: Side,
    /// Execution price, ticks.
    pub price: i64,
    /// Lots filled (> 0).
    pub lots: i64,
    /// Fee paid, exact money units (negative = rebate).
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub fee: Money,
    pub liquidity: Liquidity,
}

impl FillRecord {
    fn dir(&self) -> i64 {
        match self.side {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// Order counts the backtester kept (the records hold fills and quotes, not orders).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct OrderCounts {
    /// New orders sent (accepted or not).
    pub placed: u64,
    /// Amend requests sent.
    pub amended: u64,
    /// Cancel requests sent (a cancel-all counts once).
    pub cancelled: u64,
}

/// How to compute the statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct StatsConfig {
    /// The decision interval, ns: the period of the per-step returns (default 100 ms).
    pub step_interval_ns: i64,
    /// The period of the resampled returns, ns (default 10 s: a 6-minute recording has 36).
    pub resample_ns: i64,
    /// Adverse-selection horizons, ns (default 1 s and 10 s).
    pub horizons_ns: Vec<i64>,
    /// Capital the strategy is judged against, money units: the base of the relative
    /// drawdown (`None`: no relative drawdown).
    pub capital: Option<Money>,
    /// Orders sent, if the backtester counted them (the order fill ratio needs them).
    pub orders: Option<OrderCounts>,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            step_interval_ns: 100_000_000,
            resample_ns: 10_000_000_000,
            horizons_ns: vec![1_000_000_000, 10_000_000_000],
            capital: None,
            orders: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatsError {
    #[error("no steps recorded")]
    NoSteps,
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    #[error("step {index}: timestamp {ts} before the previous step's")]
    StepOrder { index: usize, ts: i64 },
    #[error("step {index}: book not two-sided with positive prices (bid {bid}, ask {ask})")]
    StepBook { index: usize, bid: i64, ask: i64 },
    #[error("fill {index}: timestamp {ts} before the previous fill's")]
    FillOrder { index: usize, ts: i64 },
    #[error("fill {index}: needs lots > 0 and price > 0 (lots {lots}, price {price})")]
    FillSize { index: usize, lots: i64, price: i64 },
    #[error("fill {index}: timestamp {ts} after the last step ({last})")]
    FillAfterEnd { index: usize, ts: i64, last: i64 },
    #[error("step {index}: recorded {field} {recorded} but the fills up to it give {expected}")]
    Mismatch { index: usize, field: &'static str, recorded: i128, expected: i128 },
}

/// What the backtest covered.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Span {
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub first_ts: i64,
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub last_ts: i64,
    pub duration_s: f64,
    pub steps: u64,
    /// Best bid and ask of the last step: the mark of the unrealised P&L.
    pub last_bid: i64,
    pub last_ask: i64,
}

/// Counts and volumes of trading, and fill rates.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Trading {
    /// Number of trades = number of fills.
    pub fills: u64,
    pub maker_fills: u64,
    pub taker_fills: u64,
    pub bought_lots: i64,
    pub sold_lots: i64,
    /// `bought_lots + sold_lots`.
    pub volume_lots: i64,
    pub maker_lots: i64,
    pub taker_lots: i64,
    /// `Σ price × lots × 10⁶`, money units.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub volume_notional: Money,
    /// Orders sent, as counted by the backtester (`None`: not given).
    pub orders: Option<OrderCounts>,
    /// Distinct orders with at least one fill.
    pub filled_orders: u64,
    /// `filled_orders / orders.placed`; `None` without counts or with none placed.
    pub order_fill_ratio: Option<f64>,
    /// Steps (all but the last) with at least one quote.
    pub quoted_steps: u64,
    /// Quote sides offered over those steps (a two-sided quote counts 2).
    pub quoted_sides: u64,
    /// Of `quoted_sides`, those with a fill on that side in `(tᵢ, tᵢ₊₁]`.
    pub filled_sides: u64,
    /// `filled_sides / quoted_sides`: the chance a quote is hit within one decision interval.
    pub quote_fill_rate: Option<f64>,
}

/// Inventory, lots.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Inventory {
    /// Position after the last fill.
    pub last: i64,
    /// Largest `|position|` ever held (after any fill).
    pub max_abs: i64,
    /// Mean of `|position|` over the steps (one sample per step).
    pub mean_abs: f64,
    /// Time average of `|position|` over `[first step, last step]`, position changing at fills.
    pub time_weighted_abs: Option<f64>,
    /// Time average of the signed position over the same span.
    pub time_weighted: Option<f64>,
}

/// Spread captured at the fills: `d × (mid(t) − price)`, `d = +1` for a buy, `−1` for a sell.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SpreadCaptured {
    /// Fills measured (those with a step at or before them).
    pub fills: u64,
    pub lots: i64,
    /// Fills before the first step (no mid): excluded.
    pub excluded_no_mid: u64,
    /// `Σ lots × d × (mid − price)`, money units (exact).
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub total: Money,
    /// Volume-weighted mean, ticks.
    pub mean_ticks: Option<f64>,
    /// Volume-weighted mean of `10⁴ × d × (mid − price) / mid`, basis points.
    pub mean_bps: Option<f64>,
}

/// Adverse selection at one horizon `h`: the mid's move after our fills.
///
/// `adverse = d × (mid(t) − mid(t + h))` (positive: the mid moved against us, down after we
/// bought, up after we sold) and `markout = d × (mid(t + h) − price)` (positive: the fill is
/// worth that much at `t + h`), so `spread captured = markout + adverse` fill by fill.
/// `mid(x)` is the mid of the last step at or before `x`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AdverseSelection {
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub horizon_ns: i64,
    /// Fills measured.
    pub fills: u64,
    pub lots: i64,
    /// Fills with `t + h` after the last step: excluded.
    pub excluded_past_end: u64,
    /// Fills before the first step (no mid at `t`): excluded.
    pub excluded_no_mid: u64,
    /// `Σ lots × adverse`, money units.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub adverse_total: Money,
    /// Volume-weighted mean adverse move, ticks.
    pub adverse_ticks: Option<f64>,
    /// Volume-weighted mean of `10⁴ × adverse / mid(t)`, bps.
    pub adverse_bps: Option<f64>,
    /// `Σ lots × markout`, money units.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub markout_total: Money,
    pub markout_ticks: Option<f64>,
    pub markout_bps: Option<f64>,
}

/// Statistics of one backtest. See `docs/statistics.md` for every formula.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct BacktestStats {
    pub span: Span,
    pub pnl: Pnl,
    /// Returns between consecutive steps (period: `step_interval_ns`).
    pub step_returns: ReturnStats,
    /// Returns of the equity sampled every `resample_ns` from the first step.
    pub resampled_returns: ReturnStats,
    pub drawdown: Drawdown,
    pub trading: Trading,
    pub inventory: Inventory,
    pub spread_captured: SpreadCaptured,
    /// One entry per configured horizon, in the configured order.
    pub adverse_selection: Vec<AdverseSelection>,
}

/// One point of the equity curve ([`BacktestStats::equity_curve`]), money units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct EquityPoint {
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub ts: i64,
    /// `cash + position × mid` (net of fees).
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub net: Money,
    /// `net + fees`: the equity had no fee been paid or rebate received.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub gross: Money,
    /// `running peak − net`, the peak starting at 0.
    #[serde(with = "int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub drawdown: Money,
}

fn validate(steps: &[StepRecord], fills: &[FillRecord], cfg: &StatsConfig) -> Result<(), StatsError> {
    if cfg.step_interval_ns <= 0 {
        return Err(StatsError::Config("step_interval_ns must be > 0"));
    }
    if cfg.resample_ns <= 0 {
        return Err(StatsError::Config("resample_ns must be > 0"));
    }
    if cfg.horizons_ns.iter().any(|&h| h <= 0) {
        return Err(StatsError::Config("horizons must be > 0"));
    }
    let last = steps.last().ok_or(StatsError::NoSteps)?.ts;
    for (i, s) in steps.iter().enumerate() {
        if i > 0 && s.ts < steps[i - 1].ts {
            return Err(StatsError::StepOrder { index: i, ts: s.ts });
        }
        if s.bid <= 0 || s.ask < s.bid {
            return Err(StatsError::StepBook { index: i, bid: s.bid, ask: s.ask });
        }
    }
    for (i, f) in fills.iter().enumerate() {
        if i > 0 && f.ts < fills[i - 1].ts {
            return Err(StatsError::FillOrder { index: i, ts: f.ts });
        }
        if f.lots <= 0 || f.price <= 0 {
            return Err(StatsError::FillSize { index: i, lots: f.lots, price: f.price });
        }
        if f.ts > last {
            return Err(StatsError::FillAfterEnd { index: i, ts: f.ts, last });
        }
    }
    // Reconcile every step's account with the fills up to it.
    let mut acc = Account::default();
    let mut k = 0;
    for (i, s) in steps.iter().enumerate() {
        while k < fills.len() && fills[k].ts <= s.ts {
            let f = &fills[k];
            acc.apply(f.side, f.price, f.lots, f.fee, f.liquidity).expect("fill sizes checked above");
            k += 1;
        }
        let checks = [
            ("position", i128::from(s.position), i128::from(acc.position())),
            ("cash", s.cash, acc.cash),
            ("fees", s.fees, acc.fees()),
        ];
        for (field, recorded, expected) in checks {
            if recorded != expected {
                return Err(StatsError::Mismatch { index: i, field, recorded, expected });
            }
        }
    }
    Ok(())
}

/// Index of the last step at or before `t`, if any.
fn step_at(steps: &[StepRecord], t: i64) -> Option<usize> {
    steps.partition_point(|s| s.ts <= t).checked_sub(1)
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    if den == 0.0 { None } else { finite(num / den) }
}

impl BacktestStats {
    /// Computes every statistic from the records (see the module documentation for what they
    /// must satisfy, and `docs/statistics.md` for the definitions).
    pub fn compute(steps: &[StepRecord], fills: &[FillRecord], cfg: &StatsConfig) -> Result<Self, StatsError> {
        validate(steps, fills, cfg)?;
        let first = steps[0];
        let last = *steps.last().expect("validated");

        // P&L (the one ledger: average cost) and trading counts.
        let mut ledger = Ledger::default();
        let mut acc = Account::default();
        let mut max_abs_inv: i64 = 0;
        let (mut maker_fills, mut taker_fills) = (0u64, 0u64);
        for f in fills {
            ledger.apply_fill(f.side, f.price, f.lots, f.fee).expect("fills validated");
            acc.apply(f.side, f.price, f.lots, f.fee, f.liquidity).expect("fills validated");
            max_abs_inv = max_abs_inv.max(acc.position().abs());
            match f.liquidity {
                Liquidity::Maker => maker_fills += 1,
                Liquidity::Taker => taker_fills += 1,
            }
        }
        let pnl = ledger.pnl(last.mid2());
        debug_assert_eq!(pnl.net, last.equity());

        // Return series.
        let per_step: Vec<Money> = steps.windows(2).map(|w| w[1].equity() - w[0].equity()).collect();
        let step_returns = ReturnStats::of(&per_step, cfg.step_interval_ns as f64 / 1e9);
        let mut resampled = Vec::new();
        let mut prev = first.equity();
        let mut g = first.ts;
        while let Some(next) = g.checked_add(cfg.resample_ns).filter(|&n| n <= last.ts) {
            let e = steps[step_at(steps, next).expect("after the first step")].equity();
            resampled.push(e - prev);
            prev = e;
            g = next;
        }
        let resampled_returns = ReturnStats::of(&resampled, cfg.resample_ns as f64 / 1e9);

        let curve: Vec<(i64, Money)> = steps.iter().map(|s| (s.ts, s.equity())).collect();
        let drawdown = Drawdown::of(&curve, cfg.capital, pnl.net);

        // Fill rates.
        let mut filled_orders: Vec<u64> = fills.iter().map(|f| f.order).collect();
        filled_orders.sort_unstable();
        filled_orders.dedup();
        let (mut quoted_steps, mut quoted_sides, mut filled_sides) = (0u64, 0u64, 0u64);
        let mut k = 0;
        for w in steps.windows(2) {
            let (s, next) = (w[0], w[1]);
            while k < fills.len() && fills[k].ts <= s.ts {
                k += 1;
            }
            let (mut bought, mut sold) = (false, false);
            let mut j = k;
            while j < fills.len() && fills[j].ts <= next.ts {
                match fills[j].side {
                    Side::Buy => bought = true,
                    Side::Sell => sold = true,
                }
                j += 1;
            }
            if s.quote_bid.is_some() || s.quote_ask.is_some() {
                quoted_steps += 1;
            }
            for (quoted, filled) in [(s.quote_bid.is_some(), bought), (s.quote_ask.is_some(), sold)] {
                if quoted {
                    quoted_sides += 1;
                    filled_sides += u64::from(filled);
                }
            }
        }
        let trading = Trading {
            fills: fills.len() as u64,
            maker_fills,
            taker_fills,
            bought_lots: acc.bought_lots,
            sold_lots: acc.sold_lots,
            volume_lots: acc.bought_lots + acc.sold_lots,
            maker_lots: acc.maker_lots,
            taker_lots: acc.taker_lots,
            volume_notional: fills.iter().map(|f| notional(f.price, f.lots)).sum(),
            orders: cfg.orders,
            filled_orders: filled_orders.len() as u64,
            order_fill_ratio: cfg.orders.and_then(|o| ratio(filled_orders.len() as f64, o.placed as f64)),
            quoted_steps,
            quoted_sides,
            filled_sides,
            quote_fill_rate: ratio(filled_sides as f64, quoted_sides as f64),
        };

        // Inventory: the exact fill-driven path over [first, last].
        let mut pos: i64 = 0;
        let mut k = 0;
        while k < fills.len() && fills[k].ts <= first.ts {
            pos += fills[k].dir() * fills[k].lots;
            k += 1;
        }
        let (mut int_abs, mut int_signed): (i128, i128) = (0, 0);
        let mut t = first.ts;
        for f in &fills[k..] {
            let dt = i128::from(f.ts - t);
            int_abs += i128::from(pos.abs()) * dt;
            int_signed += i128::from(pos) * dt;
            pos += f.dir() * f.lots;
            t = f.ts;
        }
        let dt = i128::from(last.ts - t);
        int_abs += i128::from(pos.abs()) * dt;
        int_signed += i128::from(pos) * dt;
        let span_ns = (last.ts - first.ts) as f64;
        let inventory = Inventory {
            last: acc.position(),
            max_abs: max_abs_inv,
            mean_abs: steps.iter().map(|s| s.position.unsigned_abs() as f64).sum::<f64>() / steps.len() as f64,
            time_weighted_abs: ratio(int_abs as f64, span_ns),
            time_weighted: ratio(int_signed as f64, span_ns),
        };

        // Spread captured and adverse selection, in half-ticks per lot.
        let mut sc =
            SpreadCaptured { fills: 0, lots: 0, excluded_no_mid: 0, total: 0, mean_ticks: None, mean_bps: None };
        let mut sc_half: i128 = 0;
        let mut sc_bps = 0.0f64;
        let mut adverse = Vec::with_capacity(cfg.horizons_ns.len());
        for f in fills {
            let Some(i) = step_at(steps, f.ts) else {
                sc.excluded_no_mid += 1;
                continue;
            };
            let mid2 = steps[i].mid2();
            let cap = f.dir() * (mid2 - 2 * f.price);
            sc.fills += 1;
            sc.lots += f.lots;
            sc_half += i128::from(cap) * i128::from(f.lots);
            sc_bps += f.lots as f64 * 1e4 * cap as f64 / mid2 as f64;
        }
        sc.total = sc_half * MONEY_PER_HALF_TICK_LOT;
        sc.mean_ticks = ratio(sc_half as f64 / 2.0, sc.lots as f64);
        sc.mean_bps = ratio(sc_bps, sc.lots as f64);

        for &h in &cfg.horizons_ns {
            let mut a = AdverseSelection {
                horizon_ns: h,
                fills: 0,
                lots: 0,
                excluded_past_end: 0,
                excluded_no_mid: 0,
                adverse_total: 0,
                adverse_ticks: None,
                adverse_bps: None,
                markout_total: 0,
                markout_ticks: None,
                markout_bps: None,
            };
            let (mut adv_half, mut mk_half): (i128, i128) = (0, 0);
            let (mut adv_bps, mut mk_bps) = (0.0f64, 0.0f64);
            for f in fills {
                let Some(i) = step_at(steps, f.ts) else {
                    a.excluded_no_mid += 1;
                    continue;
                };
                let end = match f.ts.checked_add(h) {
                    Some(e) if e <= last.ts => e,
                    _ => {
                        a.excluded_past_end += 1;
                        continue;
                    }
                };
                let mid0 = steps[i].mid2();
                let mid_h = steps[step_at(steps, end).expect("end after the fill")].mid2();
                let adv = f.dir() * (mid0 - mid_h);
                let mk = f.dir() * (mid_h - 2 * f.price);
                a.fills += 1;
                a.lots += f.lots;
                adv_half += i128::from(adv) * i128::from(f.lots);
                mk_half += i128::from(mk) * i128::from(f.lots);
                adv_bps += f.lots as f64 * 1e4 * adv as f64 / mid0 as f64;
                mk_bps += f.lots as f64 * 1e4 * mk as f64 / mid0 as f64;
            }
            a.adverse_total = adv_half * MONEY_PER_HALF_TICK_LOT;
            a.markout_total = mk_half * MONEY_PER_HALF_TICK_LOT;
            a.adverse_ticks = ratio(adv_half as f64 / 2.0, a.lots as f64);
            a.markout_ticks = ratio(mk_half as f64 / 2.0, a.lots as f64);
            a.adverse_bps = ratio(adv_bps, a.lots as f64);
            a.markout_bps = ratio(mk_bps, a.lots as f64);
            adverse.push(a);
        }

        Ok(BacktestStats {
            span: Span {
                first_ts: first.ts,
                last_ts: last.ts,
                duration_s: (last.ts - first.ts) as f64 / 1e9,
                steps: steps.len() as u64,
                last_bid: last.bid,
                last_ask: last.ask,
            },
            pnl,
            step_returns,
            resampled_returns,
            drawdown,
            trading,
            inventory,
            spread_captured: sc,
            adverse_selection: adverse,
        })
    }

    /// The net equity curve and its drawdown at every step (for charts), with the conventions
    /// of [`Drawdown`] (peak starts at the flat initial equity 0). Steps are not validated here.
    pub fn equity_curve(steps: &[StepRecord]) -> Vec<EquityPoint> {
        let mut peak: Money = 0;
        steps
            .iter()
            .map(|s| {
                let net = s.equity();
                peak = peak.max(net);
                EquityPoint { ts: s.ts, net, gross: net + s.fees, drawdown: peak - net }
            })
            .collect()
    }

    /// The statistics as JSON (deterministic: fixed field order, exact integers as strings).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("statistics serialise")
    }
}
