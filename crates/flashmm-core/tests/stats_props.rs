//! Property tests of the backtest statistics over random fill sequences and mid paths:
//!
//! * net P&L = realised + unrealised − fees = final equity − initial equity (0), exactly;
//! * gross − fees = net; the realised P&L is the average-cost one (within the ledger's one-unit
//!   truncation per partial close) and, once flat, exactly the cash flow;
//! * captured spread = markout + adverse move over the fills each horizon measures, and the
//!   horizon's exclusions are exactly the fills whose horizon ends after the last step;
//! * every float is finite, the JSON is deterministic;
//! * inventory bounds: max |position| ≥ every step's and the time averages.

use flashmm_core::book::Side;
use flashmm_core::ledger::Account;
use flashmm_core::money::{Liquidity, Money, fee};
use flashmm_core::stats::{BacktestStats, FillRecord, StatsConfig, StepRecord};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Ev {
    /// gap ns, buy?, price offset from the mid, lots, fee ppm, taker?
    Fill(i64, bool, i64, i64, i64, bool),
    /// gap ns, mid move, half-spread, quote mask
    Step(i64, i64, i64, u8),
}

fn ev() -> impl Strategy<Value = Ev> {
    prop_oneof![
        (1i64..3_000_000_000, any::<bool>(), -5i64..=5, 1i64..=40, -300i64..=700, any::<bool>())
            .prop_map(|(g, b, o, l, p, t)| Ev::Fill(g, b, o, l, p, t)),
        (0i64..3_000_000_000, -4i64..=4, 1i64..=3, 0u8..4).prop_map(|(g, m, h, q)| Ev::Step(g, m, h, q)),
    ]
}

fn script(evs: &[Ev]) -> (Vec<StepRecord>, Vec<FillRecord>) {
    let mut t = 1_000_000_000_000i64;
    let mut mid = 10_000i64;
    let mut half = 1i64;
    let mut acc = Account::default();
    let mut fills = Vec::new();
    let mut steps = vec![StepRecord::from_account(t, mid - half, mid + half, &acc, Some(mid - half), None)];
    for (n, e) in evs.iter().enumerate() {
        match *e {
            Ev::Fill(g, buy, off, lots, ppm, taker) => {
                t += g;
                let price = mid + off;
                let side = if buy { Side::Buy } else { Side::Sell };
                let liq = if taker { Liquidity::Taker } else { Liquidity::Maker };
                let f = FillRecord {
                    ts: t,
                    order: (n / 2) as u64,
                    side,
                    price,
                    lots,
                    fee: fee(price, lots, ppm),
                    liquidity: liq,
                };
                acc.apply(f.side, f.price, f.lots, f.fee, f.liquidity).unwrap();
                fills.push(f);
            }
            Ev::Step(g, dm, h, q) => {
                t += g;
                mid = (mid + dm).max(10);
                half = h;
                let (b, a) = (mid - half, mid + half);
                steps.push(StepRecord::from_account(
                    t,
                    b,
                    a,
                    &acc,
                    (q & 1 != 0).then_some(b),
                    (q & 2 != 0).then_some(a),
                ));
            }
        }
    }
    // A closing step so that every fill is covered.
    t += 1;
    steps.push(StepRecord::from_account(t, mid - half, mid + half, &acc, None, None));
    (steps, fills)
}

/// Realised P&L replayed independently at average cost in floating point, and the number of
/// partial closes since the position was last flat (the ledger truncates once per partial close;
/// the remainder stays in its basis until flat). At every return to flat the realised P&L is the
/// exact cash flow since the start, whatever the method.
fn realised_average_cost(fills: &[FillRecord]) -> (f64, u32, Option<Money>) {
    let (mut pos, mut cost, mut realised, mut partial, mut cash) = (0i64, 0f64, 0f64, 0u32, 0 as Money);
    let mut at_last_flat = None;
    for f in fills {
        let dir = if f.side == Side::Buy { 1 } else { -1 };
        let value = f.price as f64 * f.lots as f64 * 1e6;
        cash -= Money::from(dir * f.price * f.lots) * 1_000_000;
        if pos == 0 || pos.signum() == dir {
            cost += value;
        } else {
            let closing = f.lots.min(pos.abs());
            let removed = cost * closing as f64 / pos.abs() as f64;
            let exit = f.price as f64 * closing as f64 * 1e6;
            realised += if pos > 0 { exit - removed } else { removed - exit };
            cost -= removed;
            partial += u32::from(closing < pos.abs());
            if f.lots > closing {
                cost = f.price as f64 * (f.lots - closing) as f64 * 1e6;
            }
        }
        pos += dir * f.lots;
        if pos == 0 {
            (cost, partial, at_last_flat) = (0.0, 0, Some(cash));
        }
    }
    (realised, partial, if pos == 0 { at_last_flat } else { None })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pnl_identity_is_exact(evs in prop::collection::vec(ev(), 0..60)) {
        let (steps, fills) = script(&evs);
        let cfg = StatsConfig { resample_ns: 2_000_000_000, horizons_ns: vec![1_000_000_000, 10_000_000_000], ..StatsConfig::default() };
        let st = BacktestStats::compute(&steps, &fills, &cfg).unwrap();
        let p = &st.pnl;
        let final_equity = steps.last().unwrap().equity();
        let initial_equity: Money = 0; // the account starts flat
        prop_assert_eq!(p.realised + p.unrealised - p.fees, p.net);
        prop_assert_eq!(p.gross - p.fees, p.net);
        prop_assert_eq!(p.net, final_equity - initial_equity);
        prop_assert_eq!(p.fees, fills.iter().map(|f| f.fee).sum::<Money>());
        let (expected, partial_closes, flat_cash) = realised_average_cost(&fills);
        prop_assert!((p.realised as f64 - expected).abs() <= f64::from(partial_closes) + 0.5);
        if let Some(cash) = flat_cash {
            prop_assert_eq!(p.realised, cash, "flat: realised is the cash flow, exactly");
        }

        // Inventory bounds.
        let inv = &st.inventory;
        prop_assert!(steps.iter().all(|s| s.position.abs() <= inv.max_abs));
        prop_assert!(inv.mean_abs <= inv.max_abs as f64 + 1e-9);
        if let Some(tw) = inv.time_weighted_abs {
            prop_assert!(tw >= -1e-9 && tw <= inv.max_abs as f64 + 1e-9);
            prop_assert!(inv.time_weighted.unwrap().abs() <= tw + 1e-9);
        }
        prop_assert!(st.trading.filled_sides <= st.trading.quoted_sides);

        // Captured = markout + adverse over the fills each horizon measures (t + h ≤ last step).
        let last_ts = steps.last().unwrap().ts;
        for a in &st.adverse_selection {
            let measured: Vec<&FillRecord> = fills.iter().filter(|f| f.ts + a.horizon_ns <= last_ts).collect();
            prop_assert_eq!(a.fills as usize, measured.len());
            prop_assert_eq!(a.excluded_past_end as usize, fills.len() - measured.len());
            let captured: Money = measured.iter().map(|f| {
                let mid2 = steps.iter().rev().find(|s| s.ts <= f.ts).unwrap().mid2();
                let d = if f.side == Side::Buy { 1 } else { -1 };
                Money::from(d * (mid2 - 2 * f.price) * f.lots) * 500_000
            }).sum();
            prop_assert_eq!(a.markout_total + a.adverse_total, captured);
            if a.excluded_past_end == 0 {
                prop_assert_eq!(captured, st.spread_captured.total);
            }
        }

        // Drawdown never exceeds the distance from the best to the worst equity.
        let best = steps.iter().map(StepRecord::equity).max().unwrap().max(0);
        let worst = steps.iter().map(StepRecord::equity).min().unwrap();
        prop_assert!(st.drawdown.max_abs <= best - worst);

        let json = st.to_json();
        prop_assert!(!json.contains("NaN"));
        prop_assert_eq!(json, BacktestStats::compute(&steps, &fills, &cfg).unwrap().to_json());
    }
}
