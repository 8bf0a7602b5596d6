//! Property tests of the backtester over generated markets ([`ZiSource`], random seeds) with
//! random quoter, queue, latency, fee and feed-delay settings.
//!
//! # Mark-to-market conservation (exact)
//!
//! Money is `i128` in units of `tick × lot × 10⁻⁶` (`M` = [`MONEY_PER_TICK_LOT`] units per
//! tick·lot). A mid can be a half tick, so the identity is stated for twice the equity,
//! `2E = 2·cash + position·(bid + ask)·M`, which is an exact integer. For two consecutive
//! recorded steps `j−1` and `j` (before the first step: `cash = position = 0`), with the fills
//! `f` stamped in `(t_{j−1}, t_j]` (side sign `s_f` = +1 buy / −1 sell, `q_f` lots at `p_f`
//! ticks, fee `fee_f`):
//!
//! ```text
//! 2E_j − 2E_{j−1} =   position_{j−1} · (mid2_j − mid2_{j−1}) · M           (inventory × Δmid)
//!                   + Σ_f s_f · q_f · (mid2_j − 2·p_f) · M                   (spread captured, marked at step j's mid)
//!                   − 2 · Σ_f fee_f                                          (fees; negative = rebates)
//! ```
//!
//! with `mid2 = bid + ask` (twice the mid), asserted with `==` on `i128`. Also
//! `position_j − position_{j−1} = Σ s_f·q_f` and `fees_j − fees_{j−1} = Σ fee_f`: the
//! steps' accounts are exactly the fills' bookings, no fill lost or counted twice.
//!
//! # Order handling
//!
//! * No fill at a price worse than the order's limit in force (the latest accepted or amended
//!   price, in report order): a buy at `<= limit`, a sell at `>= limit`.
//! * No fill before the order's entry latency has elapsed: `fill ts >= send ts + entry`;
//!   every report of a processed request is emitted at its arrival or later, and received
//!   exactly `response` later.
//!
//! The simulator's own invariants under random scripted traffic are in `sim_props.rs`; the
//! same order checks on a real recording are in `backtest_recording.rs`.

use std::collections::HashMap;

use flashmm_core::backtest::{
    Backtest, BacktestConfig, BacktestResult, BaselineConfig, BaselineQuoter, FeedDelay, QuoteMode,
};
use flashmm_core::book::Side;
use flashmm_core::market_gen::ZiParams;
use flashmm_core::money::MONEY_PER_TICK_LOT;
use flashmm_core::replay::{DEFAULT_GENERATOR_START_NS, ZiSource};
use flashmm_core::sim::{ConstantLatency, QueueModel, SimConfig};
use flashmm_core::spec::MarketSpec;
use proptest::prelude::*;

const MS: i64 = 1_000_000;

#[derive(Clone, Debug)]
struct Setup {
    seed: u64,
    seconds: i64,
    mode: QuoteMode,
    lots: i64,
    limit: i64,
    post_only: bool,
    queue: QueueModel,
    entry_ms: i64,
    response_ms: i64,
    interval_ms: i64,
    maker_ppm: i64,
    taker_ppm: i64,
    feed_delay_ms: Option<i64>,
}

fn setup() -> impl Strategy<Value = Setup> {
    let quoting = (
        prop_oneof![Just(QuoteMode::JoinTouch), (0i64..4).prop_map(|ticks| QuoteMode::AroundMid { ticks })],
        1i64..4,
        0i64..8,
        any::<bool>(),
    );
    let model = (
        prop_oneof![Just(QueueModel::RiskAverse), Just(QueueModel::Power(2.0)), Just(QueueModel::Log)],
        0i64..20,
        0i64..20,
        20i64..300,
        -100i64..100,
        0i64..500,
        proptest::option::of(0i64..200),
    );
    (any::<u64>(), 10i64..40, quoting, model).prop_map(
        |(
            seed,
            seconds,
            (mode, lots, limit, post_only),
            (queue, entry_ms, response_ms, interval_ms, maker_ppm, taker_ppm, feed_delay_ms),
        )| Setup {
            seed,
            seconds,
            mode,
            lots,
            limit,
            post_only,
            queue,
            entry_ms,
            response_ms,
            interval_ms,
            maker_ppm,
            taker_ppm,
            feed_delay_ms,
        },
    )
}

fn run(s: &Setup) -> BacktestResult {
    let spec = MarketSpec::new("SIMUSD", "0.01", "0.001").unwrap();
    let params = ZiParams::for_market(&spec, "50.00").unwrap();
    let mut src = ZiSource::new(params, s.seed, DEFAULT_GENERATOR_START_NS, Some(s.seconds * 1_000 * MS)).unwrap();
    let sim = SimConfig::new(&spec, src.rule()).with_queue(s.queue).with_fees(s.maker_ppm, s.taker_ppm);
    let mut cfg = BacktestConfig::new(sim, ConstantLatency::new(s.entry_ms * MS, s.response_ms * MS).unwrap());
    cfg.interval_ns = s.interval_ms * MS;
    cfg.feed = s.feed_delay_ms.map(|d| FeedDelay::Constant { delay_ns: d * MS });
    let quoter =
        BaselineQuoter::new(BaselineConfig { mode: s.mode, lots: s.lots, limit_lots: s.limit, post_only: s.post_only });
    Backtest::new(cfg, quoter).unwrap().run(&mut src).expect("generated backtest")
}

fn sign(side: Side) -> i64 {
    if side == Side::Buy { 1 } else { -1 }
}

fn check_conservation(r: &BacktestResult) -> Result<(), TestCaseError> {
    let m = MONEY_PER_TICK_LOT;
    let (mut cash, mut pos, mut fees, mut mid2, mut prev_ts) = (0i128, 0i64, 0i128, 0i64, i64::MIN);
    let mut fills = r.fills.iter().peekable();
    for step in &r.steps {
        let step_mid2 = step.bid + step.ask;
        let (mut captured, mut fee_sum, mut qty) = (0i128, 0i128, 0i64);
        while let Some(f) = fills.next_if(|f| f.ts <= step.ts) {
            prop_assert!(f.ts > prev_ts, "fill at {} not after the previous step {}", f.ts, prev_ts);
            let sq = i128::from(sign(f.side) * f.lots);
            captured += sq * i128::from(step_mid2 - 2 * f.price) * m;
            fee_sum += f.fee;
            qty += sign(f.side) * f.lots;
        }
        let carry = i128::from(pos) * i128::from(step_mid2 - mid2) * m;
        let before = 2 * cash + i128::from(pos) * i128::from(mid2) * m;
        let after = 2 * step.cash + i128::from(step.position) * i128::from(step_mid2) * m;
        prop_assert_eq!(after - before, carry + captured - 2 * fee_sum, "step at {}", step.ts);
        prop_assert_eq!(step.position - pos, qty);
        prop_assert_eq!(step.fees - fees, fee_sum);
        (cash, pos, fees, mid2, prev_ts) = (step.cash, step.position, step.fees, step_mid2, step.ts);
    }
    prop_assert!(fills.next().is_none(), "a fill after the last step");
    Ok(())
}

fn check_orders(r: &BacktestResult, s: &Setup) -> Result<(), TestCaseError> {
    let (entry, response) = (s.entry_ms * MS, s.response_ms * MS);
    let mut sent: HashMap<u64, i64> = HashMap::new();
    for q in &r.requests {
        prop_assert_eq!(q.arrival_ts.map(|a| a >= q.send_ts + entry), Some(true));
        if q.kind == "new" {
            sent.insert(q.client_id, q.send_ts);
        }
    }
    let mut limit: HashMap<u64, i64> = HashMap::new();
    let mut fills = 0;
    for rep in &r.reports {
        prop_assert_eq!(rep.local_ts, rep.exchange_ts + response, "{:?}", rep);
        if let Some(&t) = sent.get(&rep.client_id) {
            prop_assert!(rep.exchange_ts >= t + entry, "report before the entry latency: {:?}", rep);
        }
        match rep.kind {
            "accepted" | "amended" => {
                limit.insert(rep.client_id, rep.price.unwrap());
            }
            "fill" => {
                fills += 1;
                let (p, l) = (rep.price.unwrap(), limit[&rep.client_id]);
                match rep.side {
                    Some("buy") | Some("bid") => prop_assert!(p <= l, "buy at {p} above its limit {l}"),
                    _ => prop_assert!(p >= l, "sell at {p} below its limit {l}"),
                }
            }
            _ => {}
        }
    }
    prop_assert_eq!(fills, r.fills.len());
    for f in &r.fills {
        prop_assert!(f.ts >= sent[&f.order] + entry, "fill at {} of an order sent at {}", f.ts, sent[&f.order]);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn mark_to_market_is_conserved_and_fills_respect_limits_and_latency(s in setup()) {
        let r = run(&s);
        check_conservation(&r)?;
        check_orders(&r, &s)?;
    }
}

#[test]
fn the_properties_see_fills_on_both_sides() {
    // Guard against a vacuous property: a typical setting trades both ways.
    let s = Setup {
        seed: 11,
        seconds: 30,
        mode: QuoteMode::JoinTouch,
        lots: 1,
        limit: 5,
        post_only: true,
        queue: QueueModel::Power(2.0),
        entry_ms: 5,
        response_ms: 5,
        interval_ms: 100,
        maker_ppm: -50,
        taker_ppm: 400,
        feed_delay_ms: None,
    };
    let r = run(&s);
    let buys = r.fills.iter().filter(|f| f.side == Side::Buy).count();
    assert!(buys > 0 && buys < r.fills.len(), "{} fills, {buys} buys", r.fills.len());
    check_conservation(&r).unwrap();
    check_orders(&r, &s).unwrap();
}
