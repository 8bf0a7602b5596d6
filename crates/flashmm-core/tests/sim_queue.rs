//! Queue-position models against hand-computed positions on a small scripted book.
//!
//! The script (tick 1, lot 1, zero latency): bids 100:20, 99:10, asks 101:10. We join the
//! bid at 100 with 5 lots, then the level at 100 goes
//!
//! | step | event                         | public size at 100 |
//! |------|-------------------------------|--------------------|
//! | a    | our order arrives             | 20                 |
//! | b    | 10 lots join (behind us)      | 30                 |
//! | c    | 10 lots cancelled             | 20                 |
//! | d    | a sell trade of 13 at 100     | (20, diff pending) |
//! | e    | diff: 13 traded + 2 cancelled | 5                  |
//! | f    | a sell trade of 4 at 100      |                    |
//!
//! Notation: `front` = lots ahead of us, `back = prev − front`, a decrease not explained by
//! trades `chg = prev − new − traded`; the probability that a cancelled lot was behind us is
//! `p = f(back) / (f(back) + f(front))` and the new position is
//! `front − (1 − p)·chg + min(back − p·chg, 0)`, clamped to `[0, new]`.

mod sim_support;

use flashmm_core::book::Side::Buy;
use flashmm_core::sim::{FillTrigger, NewOrder, QueueModel, ReportKind, Request};
use sim_support::{Script, fills, finish, sim};

fn script() -> Script {
    let mut s = Script::new();
    s.snapshot(1, &[(100, 20), (99, 10)], &[(101, 10)]);
    s.send(2, Request::New(NewOrder::post_only(1, Buy, 100, 5)));
    s.diff(3, &[(100, 30)], &[]); // a (our order is processed first), then b
    s.diff(4, &[(100, 20)], &[]); // c
    s.sell(5, 100, 13); // d
    s.diff(6, &[(100, 5)], &[]); // e
    s.sell(7, 100, 4); // f
    s
}

/// Queue position after each of steps b, c, d, e, f, and the lots filled at d and f.
fn run(model: QueueModel) -> (Vec<f64>, Vec<i64>) {
    let s = script();
    let mut sim = sim(model);
    s.run_steps(&mut sim, 0..2);
    let mut ahead = Vec::new();
    for i in 2..s.steps.len() {
        s.run_steps(&mut sim, i..i + 1);
        ahead.push(sim.order(1).map_or(f64::NAN, |o| o.queue_ahead));
    }
    let mut out = Vec::new();
    sim.drain_reports(i64::MAX, &mut out);
    let lots = fills(&out).iter().map(|(_, f)| f.lots).collect();
    (ahead, lots)
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-9, "step {i}: got {g}, want {w} ({got:?})");
    }
}

#[test]
fn risk_averse() {
    // a: 20. b: an increase never moves us: 20. c: cancels do not advance us, and the level
    // (20) is not below us: 20. d: 13 traded ahead: 7, no fill. e: the level shrank to 5,
    // below our 7: 5. f: 4 traded ahead: 1, no fill.
    let (ahead, filled) = run(QueueModel::RiskAverse);
    assert_eq!(ahead, vec![20.0, 20.0, 7.0, 5.0, 1.0]);
    assert!(filled.is_empty());
}

#[test]
fn probabilistic_power_2() {
    // f(x) = x².
    // c: front 20, back 30 − 20 = 10, chg = 10: p = 10² / (10² + 20²) = 0.2;
    //    20 − 0.8·10 + min(10 − 2, 0) = 12.
    // d: 13 traded: 12 public lots ahead, 1 to us (floor(13 − 12) = 1); position 0.
    // e: traded 13, chg = 20 − 5 − 13 = 2, front 0: p = 1 (nothing in front to cancel);
    //    0 − 0 + min(20 − 2, 0) = 0.
    // f: 4 traded, nothing ahead: 4 to us (all our remaining 4 lots).
    let (ahead, filled) = run(QueueModel::Power(2.0));
    assert_close(&ahead, &[20.0, 12.0, 0.0, 0.0, f64::NAN]);
    assert_eq!(filled, vec![1, 4]);
}

#[test]
fn probabilistic_log() {
    // f(x) = ln(1 + x).
    // c: front 20, back 10, chg 10: p = ln 11 / (ln 11 + ln 21) = 2.397895 / 5.442418
    //    = 0.4405938; 20 − 0.5594062·10 = 14.405938.
    // d: 13 traded ahead: 1.405938, no fill (floor(13 − 14.41) < 0).
    // e: chg = 20 − 5 − 13 = 2, front 1.405938, back 18.594062:
    //    p = ln 19.594062 / (ln 19.594062 + ln 2.405938) = 2.975226 / 3.853239 = 0.772138;
    //    1.405938 − 0.227862·2 = 0.950240 (≤ 5).
    // f: 4 traded: floor(4 − 0.950240) = 3 lots to us; position 0.
    let p_c = 11f64.ln() / (11f64.ln() + 21f64.ln());
    let c = 20.0 - (1.0 - p_c) * 10.0;
    let d = c - 13.0;
    let (front, back) = (d, 20.0 - d);
    let p_e = back.ln_1p() / (back.ln_1p() + front.ln_1p());
    let e = front - (1.0 - p_e) * 2.0;
    assert!((c - 14.405_938).abs() < 1e-6 && (e - 0.950_240).abs() < 1e-6, "{c} {e}");
    let (ahead, filled) = run(QueueModel::Log);
    assert_close(&ahead, &[20.0, c, d, e, 0.0]);
    assert_eq!(filled, vec![3]);
}

#[test]
fn a_larger_exponent_credits_more_of_a_cancel_to_the_front_when_we_are_far_back() {
    // c with n = 3: p = 10³ / (10³ + 20³) = 1/9; 20 − (8/9)·10 = 11.111…
    let (ahead, _) = run(QueueModel::Power(3.0));
    assert!((ahead[1] - (20.0 - 80.0 / 9.0)).abs() < 1e-12, "{ahead:?}");
}

#[test]
fn the_probabilistic_models_split_cancels_between_our_orders_independently() {
    // Two orders at 100: order 1 behind 20 lots, order 2 joins behind 30. A cancel of 10 (no
    // trades) with f(x) = x²: order 1 (front 20, back 10) moves to 12 as above; order 2
    // (front 30, back 0) has nothing behind it: p = 0, 30 − 10 = 20.
    let mut s = Script::new();
    s.snapshot(1, &[(100, 20)], &[(101, 10)]);
    s.send(2, Request::New(NewOrder::post_only(1, Buy, 100, 5)));
    s.diff(3, &[(100, 30)], &[]);
    s.send(4, Request::New(NewOrder::post_only(2, Buy, 100, 5)));
    s.diff(5, &[(100, 20)], &[]);
    // Now a 25-lot trade: 12 public, 5 to order 1, then the 8 public lots between our
    // orders: all 20 public lots ahead of order 2 are gone, it is next, but nothing is left.
    let t = s.sell(6, 100, 25);
    let mut sim = sim(QueueModel::Power(2.0));
    s.run_steps(&mut sim, 0..5);
    assert!((sim.order(1).unwrap().queue_ahead - 12.0).abs() < 1e-12);
    assert_eq!(sim.order(2).unwrap().queue_ahead, 20.0);
    s.run_steps(&mut sim, 5..s.steps.len());
    let r = finish(&mut sim);
    let f = fills(&r);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].0, f[0].1.lots, f[0].1.trigger), (1, 5, FillTrigger::Trade { trade_id: t }));
    assert_eq!(sim.order(2).unwrap().queue_ahead, 0.0);
    assert!(r.iter().all(|r| !matches!(r.kind, ReportKind::Rejected { .. })));
}
