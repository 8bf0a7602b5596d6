//! Backtest statistics on tiny scripted backtests, every number computed by hand in the
//! comments (definitions: docs/statistics.md). Money unit: tick × lot × 10⁻⁶, so one tick·lot
//! is 1 000 000 units and one half-tick·lot 500 000.

use flashmm_core::book::Side::{self, Buy, Sell};
use flashmm_core::ledger::Account;
use flashmm_core::money::{Liquidity, Money, fee};
use flashmm_core::stats::{
    BacktestStats, FillRecord, OrderCounts, SECONDS_PER_YEAR, StatsConfig, StatsError, StepRecord,
};

const S: i64 = 1_000_000_000;
const TL: Money = 1_000_000; // one tick·lot

fn fill(ts: i64, order: u64, side: Side, price: i64, lots: i64, ppm: i64, liq: Liquidity) -> FillRecord {
    FillRecord { ts, order, side, price, lots, fee: fee(price, lots, ppm), liquidity: liq }
}

/// A step script: (ts, bid, ask, quote bid, quote ask).
type Script = [(i64, i64, i64, Option<i64>, Option<i64>)];

/// Steps whose accounts are rebuilt from the fills stamped at or before each step.
fn steps_from(script: &Script, fills: &[FillRecord]) -> Vec<StepRecord> {
    let mut acc = Account::default();
    let mut k = 0;
    script
        .iter()
        .map(|&(ts, bid, ask, qb, qa)| {
            while k < fills.len() && fills[k].ts <= ts {
                let f = &fills[k];
                acc.apply(f.side, f.price, f.lots, f.fee, f.liquidity).unwrap();
                k += 1;
            }
            StepRecord::from_account(ts, bid, ask, &acc, qb, qa)
        })
        .collect()
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

/// Scenario A: 5 steps (uneven gaps 1, 2, 1, 4 s), 3 fills (maker rebate 100 ppm, taker 200 ppm).
///
/// | step | t (s) | bid/ask | mid | quotes | position after fills ≤ t |
/// |---|---|---|---|---|---|
/// | s0 | 0 | 99/101 | 100 | 98/102 | 0 |
/// | f1 | 0.5 | buy 2 @ 98 maker, fee 98·2·(−100) = −19 600 | | | 2 |
/// | s1 | 1 | 98/100 | 99 | 98/100 | 2 |
/// | f2 | 2 | sell 1 @ 100 maker, fee −10 000 | | | 1 |
/// | s2 | 3 | 100/102 | 101 | –/102 | 1 |
/// | f3 | 3.5 | buy 3 @ 102 taker, fee 102·3·200 = 61 200 | | | 4 |
/// | s3 | 4 | 101/103 | 102 | –/– | 4 |
/// | s4 | 8 | 97/99 | 98 | 97/99 | 4 |
fn scenario_a() -> (Vec<StepRecord>, Vec<FillRecord>) {
    let fills = vec![
        fill(S / 2, 1, Buy, 98, 2, -100, Liquidity::Maker),
        fill(2 * S, 2, Sell, 100, 1, -100, Liquidity::Maker),
        fill(7 * S / 2, 3, Buy, 102, 3, 200, Liquidity::Taker),
    ];
    let script = [
        (0, 99, 101, Some(98), Some(102)),
        (S, 98, 100, Some(98), Some(100)),
        (3 * S, 100, 102, None, Some(102)),
        (4 * S, 101, 103, None, None),
        (8 * S, 97, 99, Some(97), Some(99)),
    ];
    let steps = steps_from(&script, &fills);
    (steps, fills)
}

fn config_a() -> StatsConfig {
    StatsConfig {
        step_interval_ns: S,
        capital: Some(100 * TL),
        orders: Some(OrderCounts { placed: 6, amended: 1, cancelled: 2 }),
        ..StatsConfig::default()
    }
}

#[test]
fn scenario_a_pnl_split() {
    let (steps, fills) = scenario_a();
    let st = BacktestStats::compute(&steps, &fills, &config_a()).unwrap();
    // Average cost: long 2 @98; sell 1@100 closes 1 of them: realised +2 tick·lots; long 1 @98;
    // buy 3@102: long 4, cost 98 + 306 = 404.
    assert_eq!(st.pnl.realised, 2 * TL);
    // Marked at the last mid 98: 4·98 − 404 = −12 tick·lots.
    assert_eq!(st.pnl.unrealised, -12 * TL);
    assert_eq!(st.pnl.gross, -10 * TL);
    // Fees: −19 600 − 10 000 + 61 200 = 31 600.
    assert_eq!(st.pnl.fees, 31_600);
    assert_eq!(st.pnl.net, -10 * TL - 31_600);
    // Cash −196e6 + 19 600 + 100e6 + 10 000 − 306e6 − 61 200 = −402 031 600; + 4·98e6.
    assert_eq!(steps[4].cash, -402_031_600);
    assert_eq!(st.pnl.net, steps[4].equity());
    assert_eq!((st.span.steps, st.span.last_bid, st.span.last_ask), (5, 97, 99));
    assert_eq!(st.span.duration_s, 8.0);
}

#[test]
fn scenario_a_equity_returns_and_drawdown() {
    let (steps, fills) = scenario_a();
    // Equity = cash + position × mid:
    // E0 = 0
    // E1 = (−196e6 + 19 600) + 2·99e6            = 2 019 600
    // E2 = (−195 980 400 + 100e6 + 10 000) + 101e6 = 5 029 600
    // E3 = (−95 970 400 − 306e6 − 61 200) + 4·102e6 = 5 968 400
    // E4 = −402 031 600 + 4·98e6                   = −10 031 600
    let eq: Vec<Money> = steps.iter().map(StepRecord::equity).collect();
    assert_eq!(eq, vec![0, 2_019_600, 5_029_600, 5_968_400, -10_031_600]);
    let st = BacktestStats::compute(&steps, &fills, &config_a()).unwrap();
    // Step returns 2 019 600, 3 010 000, 938 800, −16 000 000: mean −2 507 900.
    assert_eq!(st.step_returns.periods, 4);
    assert_eq!(st.step_returns.mean, Some(-2_507_900.0));
    // Peak 5 968 400 at 4 s, trough −10 031 600 at 8 s: 16 000 000.
    assert_eq!(st.drawdown.max_abs, 16 * TL);
    assert_eq!((st.drawdown.peak_ts, st.drawdown.trough_ts), (Some(4 * S), Some(8 * S)));
    // Relative to capital + peak: 16e6 / (100e6 + 5 968 400).
    close(st.drawdown.max_rel, 16e6 / 105_968_400.0);
    // Return over max drawdown: −10 031 600 / 16e6 = −0.626975.
    close(st.drawdown.return_over_max_drawdown, -0.626975);
    // 8 s of steps, 10 s resampling (the default): no complete period.
    assert_eq!(st.resampled_returns.periods, 0);
    assert_eq!(st.resampled_returns.sharpe, None);
}

#[test]
fn scenario_a_trading_and_fill_rates() {
    let (steps, fills) = scenario_a();
    let st = BacktestStats::compute(&steps, &fills, &config_a()).unwrap();
    let t = &st.trading;
    assert_eq!((t.fills, t.maker_fills, t.taker_fills), (3, 2, 1));
    assert_eq!((t.bought_lots, t.sold_lots, t.volume_lots), (5, 1, 6));
    assert_eq!((t.maker_lots, t.taker_lots), (3, 3));
    // 98·2 + 100·1 + 102·3 = 602 tick·lots.
    assert_eq!(t.volume_notional, 602 * TL);
    // 3 distinct orders filled of 6 placed.
    assert_eq!(t.filled_orders, 3);
    assert_eq!(t.order_fill_ratio, Some(0.5));
    // (0, 1 s]: both sides quoted, f1 buys → 2 sides, 1 filled.
    // (1 s, 3 s]: both quoted, f2 sells → 2 sides, 1 filled.
    // (3 s, 4 s]: ask only, f3 is a buy → 1 side, 0 filled.
    // s3 quotes nothing; s4 is the last step (no interval after it).
    assert_eq!((t.quoted_steps, t.quoted_sides, t.filled_sides), (3, 5, 2));
    assert_eq!(t.quote_fill_rate, Some(0.4));
}

#[test]
fn scenario_a_inventory_time_weighted_with_uneven_gaps() {
    let (steps, fills) = scenario_a();
    let st = BacktestStats::compute(&steps, &fills, &config_a()).unwrap();
    let inv = &st.inventory;
    assert_eq!((inv.last, inv.max_abs), (4, 4));
    // Step samples 0, 2, 1, 4, 4: mean 11/5.
    assert_eq!(inv.mean_abs, 2.2);
    // Fill path over [0, 8 s]: 0 on [0, 0.5), 2 on [0.5, 2), 1 on [2, 3.5), 4 on [3.5, 8]:
    // (0·0.5 + 2·1.5 + 1·1.5 + 4·4.5) / 8 = 22.5 / 8 = 2.8125 lots (the step samples,
    // equally weighted, would say 2.2).
    assert_eq!(inv.time_weighted_abs, Some(2.8125));
    assert_eq!(inv.time_weighted, Some(2.8125));
}

#[test]
fn scenario_a_spread_captured_and_adverse_selection() {
    let (steps, fills) = scenario_a();
    let st = BacktestStats::compute(&steps, &fills, &config_a()).unwrap();
    // Mid in force at each fill (last step at or before): f1 → s0 (100), f2 → s1 (99),
    // f3 → s2 (101). Captured, half-ticks per lot:
    //   f1 buy 2 @ 98:  +(200 − 196) = +4  (2 ticks; 10⁴·2/100 = 200 bps)
    //   f2 sell 1 @100: −(198 − 200) = +2  (1 tick;  10⁴·1/99 bps)
    //   f3 buy 3 @102:  +(202 − 204) = −2  (−1 tick; −10⁴·1/101 bps)
    // Σ lots × half-ticks = 8 + 2 − 6 = 4 → 2 tick·lots; per lot 2/6 = 1/3 tick.
    let sc = &st.spread_captured;
    assert_eq!((sc.fills, sc.lots, sc.excluded_no_mid), (3, 6, 0));
    assert_eq!(sc.total, 2 * TL);
    close(sc.mean_ticks, 1.0 / 3.0);
    close(sc.mean_bps, (2.0 * 200.0 + 1e4 / 99.0 - 3.0 * 1e4 / 101.0) / 6.0);

    assert_eq!(st.adverse_selection.len(), 2);
    // h = 1 s: mid at t + 1 s:
    //   f1 → 1.5 s → s1 mid 99:   adverse +(200 − 198) = +2, markout (198 − 196) = +2
    //   f2 → 3 s, exactly s2 → mid 101: adverse −(198 − 202) = +4, markout −(202 − 200) = −2
    //   f3 → 4.5 s → s3 mid 102:  adverse +(202 − 204) = −2, markout (204 − 204) = 0
    // adverse Σ lots·half = 4 + 4 − 6 = 2 → 1 000 000; per lot 1/6 tick.
    // markout Σ = 4 − 2 + 0 = 2 → 1 000 000. captured 4 = markout 2 + adverse 2.
    let a1 = &st.adverse_selection[0];
    assert_eq!(a1.horizon_ns, S);
    assert_eq!((a1.fills, a1.lots, a1.excluded_past_end, a1.excluded_no_mid), (3, 6, 0, 0));
    assert_eq!(a1.adverse_total, TL);
    assert_eq!(a1.markout_total, TL);
    close(a1.adverse_ticks, 1.0 / 6.0);
    close(a1.markout_ticks, 1.0 / 6.0);
    // bps against the mid at the fill: (2·10⁴·1/100 + 1·10⁴·2/99 − 3·10⁴·1/101) / 6.
    close(a1.adverse_bps, (2.0 * 100.0 + 2e4 / 99.0 - 3e4 / 101.0) / 6.0);
    close(a1.markout_bps, (2.0 * 100.0 - 1e4 / 99.0 + 0.0) / 6.0);
    // h = 10 s: every horizon ends after the last step (8 s).
    let a10 = &st.adverse_selection[1];
    assert_eq!((a10.fills, a10.lots, a10.excluded_past_end), (0, 0, 3));
    assert_eq!((a10.adverse_total, a10.adverse_ticks, a10.markout_bps), (0, None, None));
}

/// Scenario B: exact horizon boundaries, a fill before the first step, a short position.
///
/// | t (s) | event | position |
/// |---|---|---|
/// | 0.5 | fA sell 1 @ 101 (before any step: no mid) | −1 |
/// | 1 | fB buy 1 @ 101, then step s0 100/102 (mid 101) | 0 |
/// | 2 | fC sell 2 @ 105, then step s1 103/105 (mid 104) | −2 |
/// | 3 | step s2 99/101 (mid 100) | −2 |
/// No fees.
#[test]
fn scenario_b_horizon_boundaries_and_short_inventory() {
    let fills = vec![
        fill(S / 2, 1, Sell, 101, 1, 0, Liquidity::Maker),
        fill(S, 2, Buy, 101, 1, 0, Liquidity::Maker),
        fill(2 * S, 3, Sell, 105, 2, 0, Liquidity::Maker),
    ];
    let script = [(S, 100, 102, None, None), (2 * S, 103, 105, None, None), (3 * S, 99, 101, None, None)];
    let steps = steps_from(&script, &fills);
    assert_eq!(steps[0].position, 0);
    let cfg = StatsConfig { horizons_ns: vec![S, S + 1], ..StatsConfig::default() };
    let st = BacktestStats::compute(&steps, &fills, &cfg).unwrap();

    // fA opens short 1@101, fB closes it at 101 (0), fC opens short 2@105.
    // Unrealised at mid 100: 2·(105 − 100) = 10 tick·lots. Net = equity = 210e6 − 2·100e6.
    assert_eq!((st.pnl.realised, st.pnl.unrealised, st.pnl.net), (0, 10 * TL, 10 * TL));

    // Spread captured: fA has no mid (excluded); fB at 1 s uses s0 (same ns): 202 − 202 = 0;
    // fC at 2 s uses s1: −(208 − 210) = +2 half-ticks × 2 lots = 4 → 2 tick·lots, 2/3 per lot.
    let sc = &st.spread_captured;
    assert_eq!((sc.fills, sc.lots, sc.excluded_no_mid), (2, 3, 1));
    assert_eq!(sc.total, 2 * TL);
    close(sc.mean_ticks, 2.0 / 3.0);

    // h = 1 s: fB ends at 2 s → s1 (mid 104): adverse +(202 − 208) = −6, markout 208 − 202 = 6.
    // fC ends at 3 s = the last step exactly: included, mid 100:
    //   adverse −(208 − 200) = −8, markout −(200 − 210) = +10.
    // adverse Σ = −6 − 16 = −22 half → −11 tick·lots, −11/3 per lot; markout 6 + 20 = 26 → 13.
    let a = &st.adverse_selection[0];
    assert_eq!((a.fills, a.lots, a.excluded_past_end, a.excluded_no_mid), (2, 3, 0, 1));
    assert_eq!((a.adverse_total, a.markout_total), (-11 * TL, 13 * TL));
    close(a.adverse_ticks, -11.0 / 3.0);
    close(a.markout_ticks, 13.0 / 3.0);
    // h = 1 s + 1 ns: fC would end 1 ns after the last step: excluded; fB ends at 2 s + 1 ns,
    // still s1 (mid 104): adverse −6 half = −3 ticks, markout +3 ticks.
    let b = &st.adverse_selection[1];
    assert_eq!((b.fills, b.lots, b.excluded_past_end, b.excluded_no_mid), (1, 1, 1, 1));
    assert_eq!((b.adverse_total, b.markout_total), (-3 * TL, 3 * TL));
    close(b.adverse_ticks, -3.0);
    close(b.adverse_bps, -1e4 * 3.0 / 101.0);

    // Inventory over [1 s, 3 s]: 0 on [1, 2), −2 on [2, 3] → |·| average 1, signed −1.
    // Largest |position| on the fill path: 1 (after fA), 0, 2.
    assert_eq!((st.inventory.max_abs, st.inventory.last), (2, -2));
    assert_eq!(st.inventory.time_weighted_abs, Some(1.0));
    assert_eq!(st.inventory.time_weighted, Some(-1.0));
}

/// Long 1 lot bought at 100 at t = 0 (no fee), then the mid walks 100, 102, 101, 104, 104 at
/// t = 0..4 s: equity (tick·lots) 0, 2, 1, 4, 4.
fn known_series() -> (Vec<StepRecord>, Vec<FillRecord>) {
    let fills = vec![fill(0, 1, Buy, 100, 1, 0, Liquidity::Taker)];
    let script: Vec<_> =
        [100, 102, 101, 104, 104].iter().enumerate().map(|(i, &m)| (i as i64 * S, m - 1, m + 1, None, None)).collect();
    let steps = steps_from(&script, &fills);
    (steps, fills)
}

#[test]
fn sharpe_and_sortino_of_a_known_series() {
    let (steps, fills) = known_series();
    let cfg = StatsConfig { step_interval_ns: S, resample_ns: 2 * S, ..StatsConfig::default() };
    let st = BacktestStats::compute(&steps, &fills, &cfg).unwrap();
    // Step returns (tick·lots) +2, −1, +3, 0: mean 1; deviations 1, −2, 2, −1, Σ² = 10,
    // sample variance 10/3: Sharpe = 1/√(10/3) = √0.3.
    let r = &st.step_returns;
    assert_eq!((r.periods, r.period_s), (4, 1.0));
    close(r.mean, 1e6);
    close(r.std, 1e6 * (10.0f64 / 3.0).sqrt());
    close(r.sharpe, 0.3f64.sqrt());
    // Downside deviation √(Σ min(r,0)² / n) = √(1/4) = 0.5: Sortino = 1 / 0.5 = 2.
    close(r.downside_dev, 0.5e6);
    close(r.sortino, 2.0);
    // Annualised, 24/7, 1 s periods: × √31 536 000.
    close(r.sharpe_annualised, (0.3 * 31_536_000.0f64).sqrt());
    close(r.sortino_annualised, 2.0 * SECONDS_PER_YEAR.sqrt());

    // Resampled every 2 s: equity at 0, 2, 4 s = 0, 1, 4 → returns +1, +3: mean 2, sample
    // variance ((−1)² + 1²)/1 = 2: Sharpe √2/… = 2/√2 = √2; no negative return: Sortino None.
    let q = &st.resampled_returns;
    assert_eq!((q.periods, q.period_s), (2, 2.0));
    close(q.sharpe, 2.0f64.sqrt());
    close(q.sharpe_annualised, 2.0f64.sqrt() * (31_536_000.0f64 / 2.0).sqrt());
    assert_eq!(q.downside_dev, Some(0.0));
    assert_eq!((q.sortino, q.sortino_annualised), (None, None));

    // Drawdown: peak 2 at 1 s, trough 1 at 2 s: 1 tick·lot; net 4: return/MDD = 4.
    assert_eq!(st.drawdown.max_abs, TL);
    assert_eq!((st.drawdown.peak_ts, st.drawdown.trough_ts), (Some(S), Some(2 * S)));
    assert_eq!(st.drawdown.return_over_max_drawdown, Some(4.0));
    assert_eq!(st.drawdown.max_rel, None); // no capital given
}

#[test]
fn resampling_takes_the_last_equity_at_or_before_each_grid_point() {
    let (steps, fills) = known_series();
    // Grid 0, 1.5, 3 s (4.5 s would pass the last step): equity 0, 2 (step at 1 s), 4 (3 s):
    // returns +2, +2: zero variance → Sharpe None (not NaN or ∞); no downside → Sortino None.
    let cfg = StatsConfig { resample_ns: 3 * S / 2, ..StatsConfig::default() };
    let st = BacktestStats::compute(&steps, &fills, &cfg).unwrap();
    let q = &st.resampled_returns;
    assert_eq!((q.periods, q.mean, q.std), (2, Some(2e6), Some(0.0)));
    assert_eq!((q.sharpe, q.sortino, q.sharpe_annualised), (None, None, None));
    // The per-step series assumes the default 100 ms interval: √(31 536 000 / 0.1).
    close(st.step_returns.sharpe_annualised, 0.3f64.sqrt() * (315_360_000.0f64).sqrt());
}

#[test]
fn flat_backtest_has_no_undefined_numbers() {
    // Quotes, no fills, the mid moves: equity 0 throughout.
    let script = [(0, 100, 102, Some(100), Some(102)), (S, 101, 103, Some(101), None), (2 * S, 99, 100, None, None)];
    let steps = steps_from(&script, &[]);
    let st = BacktestStats::compute(&steps, &[], &StatsConfig::default()).unwrap();
    assert_eq!((st.pnl.net, st.drawdown.max_abs), (0, 0));
    assert_eq!(st.drawdown.return_over_max_drawdown, None);
    assert_eq!((st.step_returns.sharpe, st.step_returns.sortino), (None, None));
    assert_eq!((st.trading.quoted_steps, st.trading.quoted_sides, st.trading.filled_sides), (2, 3, 0));
    assert_eq!(st.trading.quote_fill_rate, Some(0.0));
    assert_eq!((st.trading.order_fill_ratio, st.spread_captured.mean_ticks), (None, None));
    assert_eq!(st.inventory.time_weighted_abs, Some(0.0));
    let json = st.to_json();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");

    // One step only: no span, no returns.
    let st = BacktestStats::compute(&steps[..1], &[], &StatsConfig::default()).unwrap();
    assert_eq!((st.inventory.time_weighted_abs, st.step_returns.periods), (None, 0));
}

#[test]
fn json_is_exact_and_deterministic() {
    let (steps, fills) = scenario_a();
    let st = BacktestStats::compute(&steps, &fills, &config_a()).unwrap();
    let json = st.to_json();
    assert_eq!(json, BacktestStats::compute(&steps, &fills, &config_a()).unwrap().to_json());
    assert!(
        json.starts_with(r#"{"span":{"first_ts":"0","last_ts":"8000000000","duration_s":8.0,"steps":5,"#),
        "{json}"
    );
    assert!(
        json.contains(
            r#""pnl":{"realised":"2000000","unrealised":"-12000000","gross":"-10000000","fees":"31600","net":"-10031600"}"#
        ),
        "{json}"
    );
    assert!(json.contains(r#""max_abs":"16000000""#), "{json}");
    assert!(json.contains(r#""peak_ts":"4000000000","trough_ts":"8000000000""#), "{json}");
    assert!(json.contains(r#""orders":{"placed":6,"amended":1,"cancelled":2}"#), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["adverse_selection"][1]["adverse_ticks"], serde_json::Value::Null);
}

#[test]
fn inconsistent_records_are_refused() {
    let (steps, fills) = scenario_a();
    let cfg = StatsConfig::default();
    // A step whose position forgets a fill.
    let mut bad = steps.clone();
    bad[1].position = 0;
    assert_eq!(
        BacktestStats::compute(&bad, &fills, &cfg),
        Err(StatsError::Mismatch { index: 1, field: "position", recorded: 0, expected: 2 })
    );
    // A fee that is not in the cumulative fees.
    let mut bad = steps.clone();
    bad[4].fees += 1;
    assert!(matches!(
        BacktestStats::compute(&bad, &fills, &cfg),
        Err(StatsError::Mismatch { index: 4, field: "fees", .. })
    ));
    // Fills after the last step.
    assert!(BacktestStats::compute(&steps[..4], &fills, &cfg).is_ok());
    assert!(matches!(
        BacktestStats::compute(&steps[..3], &fills, &cfg),
        Err(StatsError::FillAfterEnd { index: 2, .. })
    ));
    assert!(matches!(
        BacktestStats::compute(&steps[..2], &fills, &cfg),
        Err(StatsError::FillAfterEnd { index: 1, .. })
    ));
    assert_eq!(BacktestStats::compute(&[], &[], &cfg), Err(StatsError::NoSteps));
    // Out of order, crossed book, bad config.
    let mut bad = steps.clone();
    bad.swap(1, 2);
    assert!(matches!(BacktestStats::compute(&bad, &fills, &cfg), Err(StatsError::StepOrder { index: 2, .. })));
    let mut bad = steps.clone();
    bad[0].bid = 102;
    assert!(matches!(BacktestStats::compute(&bad, &fills, &cfg), Err(StatsError::StepBook { index: 0, .. })));
    let cfg0 = StatsConfig { horizons_ns: vec![0], ..StatsConfig::default() };
    assert!(matches!(BacktestStats::compute(&steps, &fills, &cfg0), Err(StatsError::Config(_))));
}

#[test]
fn equity_curve_and_records_serialise_exactly() {
    let (steps, fills) = scenario_a();
    let curve = BacktestStats::equity_curve(&steps);
    // Net E = 0, 2 019 600, 5 029 600, 5 968 400, −10 031 600; cumulative fees 0, −19 600,
    // −29 600, 31 600, 31 600; peak 0, 2 019 600, 5 029 600, 5 968 400, 5 968 400.
    let net: Vec<Money> = curve.iter().map(|p| p.net).collect();
    assert_eq!(net, vec![0, 2_019_600, 5_029_600, 5_968_400, -10_031_600]);
    let gross: Vec<Money> = curve.iter().map(|p| p.gross).collect();
    assert_eq!(gross, vec![0, 2_000_000, 5_000_000, 6_000_000, -10_000_000]);
    let dd: Vec<Money> = curve.iter().map(|p| p.drawdown).collect();
    assert_eq!(dd, vec![0, 0, 0, 0, 16_000_000]);
    let st = BacktestStats::compute(&steps, &fills, &config_a()).unwrap();
    assert_eq!(dd.iter().max().copied(), Some(st.drawdown.max_abs));
    // Gross equity at the end = gross P&L.
    assert_eq!(curve[4].gross, st.pnl.gross);

    assert_eq!(
        serde_json::to_string(&fills[2]).unwrap(),
        r#"{"ts":"3500000000","order":3,"side":"buy","price":102,"lots":3,"fee":"61200","liquidity":"taker"}"#
    );
    assert_eq!(
        serde_json::to_string(&steps[2]).unwrap(),
        r#"{"ts":"3000000000","bid":100,"ask":102,"position":1,"cash":"-95970400","fees":"-29600","quote_bid":null,"quote_ask":102}"#
    );
    assert_eq!(
        serde_json::to_string(&curve[4]).unwrap(),
        r#"{"ts":"8000000000","net":"-10031600","gross":"-10000000","drawdown":"16000000"}"#
    );
}
