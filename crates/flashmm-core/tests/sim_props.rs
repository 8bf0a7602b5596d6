//! Property tests of the simulated exchange over random scripted markets and random order
//! traffic, under constant and interpolated latencies and every queue model:
//!
//! * no fill (and no report at all) before the request's entry latency has elapsed, and no
//!   report received before its response latency has;
//! * no fill at a price worse than the order's limit in force at the time;
//! * no public trade fills our orders for more than its own size;
//! * fills never exceed an order's quantity;
//! * at every fill, cash + position × fill price changes by exactly −fee, and the exchange's
//!   account equals the one rebuilt from the fill reports;
//! * the same input gives the same reports.

mod sim_support;

use std::collections::HashMap;

use flashmm_core::book::Side::{self, Buy, Sell};
use flashmm_core::ledger::Account;
use flashmm_core::sim::{
    ConstantLatency, FillTrigger, InterpolatedLatency, LatencyModel, NewOrder, OrderLatency, OrderLatencyRow,
    QueueModel, Report, ReportKind, Request, SelfTradePrevention, SimExchange,
};
use proptest::prelude::*;
use sim_support::{Script, Step, account_from, config, finish};

#[derive(Clone, Debug)]
enum Op {
    /// Sets a level near the mid: bids below the best ask, asks above the best bid.
    Depth {
        bid: bool,
        offset: i64,
        size: i64,
    },
    /// A public trade at or through the touch.
    Trade {
        sell: bool,
        depth: i64,
        qty: i64,
    },
    Limit {
        bid: bool,
        offset: i64,
        lots: i64,
        post_only: bool,
    },
    Market {
        bid: bool,
        lots: i64,
    },
    Cancel {
        pick: u64,
    },
    Amend {
        pick: u64,
        offset: i64,
        lots: i64,
    },
    CancelAll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0i64..6, 0i64..20).prop_map(|(bid, offset, size)| Op::Depth { bid, offset, size }),
        3 => (any::<bool>(), 0i64..3, 1i64..12).prop_map(|(sell, depth, qty)| Op::Trade { sell, depth, qty }),
        3 => (any::<bool>(), -4i64..5, 1i64..6, any::<bool>())
            .prop_map(|(bid, offset, lots, post_only)| Op::Limit { bid, offset, lots, post_only }),
        1 => (any::<bool>(), 1i64..8).prop_map(|(bid, lots)| Op::Market { bid, lots }),
        1 => (0u64..40).prop_map(|pick| Op::Cancel { pick }),
        1 => (0u64..40, -3i64..4, 1i64..8).prop_map(|(pick, offset, lots)| Op::Amend { pick, offset, lots }),
        1 => Just(Op::CancelAll),
    ]
}

/// Builds a script from ops, keeping the public book uncrossed. Returns it with the size of
/// every trade and the send time of every new order.
fn build(ops: &[(Op, i64)]) -> (Script, HashMap<u64, i64>, HashMap<u64, i64>) {
    let mut s = Script::new();
    let mut bids: std::collections::BTreeMap<i64, i64> = (95..=99).map(|p| (p, 5 + p % 3)).collect();
    let mut asks: std::collections::BTreeMap<i64, i64> = (101..=105).map(|p| (p, 4 + p % 4)).collect();
    let lv = |m: &std::collections::BTreeMap<i64, i64>| m.iter().map(|(&p, &q)| (p, q)).collect::<Vec<_>>();
    s.snapshot(1, &lv(&bids).into_iter().rev().collect::<Vec<_>>(), &lv(&asks));
    let mut trades = HashMap::new();
    let mut sent = HashMap::new();
    let mut next_id = 1u64;
    let mut t = 1i64;
    for (op, dt) in ops {
        t += dt;
        let best_bid = bids.keys().next_back().copied();
        let best_ask = asks.keys().next().copied();
        let mid = match (best_bid, best_ask) {
            (Some(b), Some(a)) => (a + b) / 2,
            (Some(b), None) => b + 1,
            (None, Some(a)) => a - 1,
            (None, None) => 100,
        };
        match *op {
            Op::Depth { bid, offset, size } => {
                // Anywhere from 2 ticks behind the mid to the other side's touch (exclusive):
                // the touch moves, and new levels can land on our resting orders.
                if bid {
                    let p = (mid - 2 + offset).min(best_ask.unwrap_or(i64::MAX) - 1).max(1);
                    if size == 0 {
                        bids.remove(&p)
                    } else {
                        bids.insert(p, size)
                    };
                    s.diff(t, &[(p, size)], &[]);
                } else {
                    let p = (mid + 2 - offset).max(best_bid.unwrap_or(0) + 1);
                    if size == 0 {
                        asks.remove(&p)
                    } else {
                        asks.insert(p, size)
                    };
                    s.diff(t, &[], &[(p, size)]);
                }
            }
            Op::Trade { sell, depth, qty } => {
                let id = match (sell, best_bid, best_ask) {
                    (true, Some(b), _) if b - depth > 0 => s.sell(t, b - depth, qty),
                    (false, _, Some(a)) => s.buy(t, a + depth, qty),
                    _ => continue,
                };
                trades.insert(id, qty);
            }
            Op::Limit { bid, offset, lots, post_only } => {
                let side = if bid { Buy } else { Sell };
                let price = (mid + offset).max(1);
                let o = if post_only {
                    NewOrder::post_only(next_id, side, price, lots)
                } else {
                    NewOrder::limit(next_id, side, price, lots)
                };
                sent.insert(next_id, t);
                next_id += 1;
                s.send(t, Request::New(o));
            }
            Op::Market { bid, lots } => {
                sent.insert(next_id, t);
                s.send(t, Request::New(NewOrder::market(next_id, if bid { Buy } else { Sell }, lots)));
                next_id += 1;
            }
            Op::Cancel { pick } => {
                s.send(t, Request::Cancel { client_id: 1 + pick % next_id });
            }
            Op::Amend { pick, offset, lots } => {
                let price = (mid + offset).max(1);
                s.send(t, Request::Amend { client_id: 1 + pick % next_id, price, lots });
            }
            Op::CancelAll => {
                s.send(t, Request::CancelAll);
            }
        }
    }
    (s, trades, sent)
}

fn ops() -> impl Strategy<Value = Vec<(Op, i64)>> {
    prop::collection::vec((op(), 0i64..6), 1..120)
}

fn queue_model() -> impl Strategy<Value = QueueModel> {
    prop_oneof![Just(QueueModel::RiskAverse), Just(QueueModel::Power(2.0)), Just(QueueModel::Log)]
}

fn latency() -> impl Strategy<Value = OrderLatency> {
    prop_oneof![
        (0i64..15, 0i64..15).prop_map(|(e, r)| ConstantLatency::new(e, r).unwrap().into()),
        prop::collection::vec((1i64..20, 0i64..12, 0i64..12, 0u8..10), 1..8).prop_map(|rows| {
            let mut t = 0;
            let rows = rows
                .into_iter()
                .map(|(gap, entry, resp, rej)| {
                    t += gap;
                    // About one in ten rows is a request the exchange dropped.
                    let exch = if rej == 0 { 0 } else { t + entry };
                    OrderLatencyRow::new(t, exch, t + entry + resp)
                })
                .collect();
            InterpolatedLatency::new(rows).unwrap().into()
        }),
    ]
}

/// Runs the script, checking the invariants on the fly; returns the reports.
fn run_checked(
    script: &Script,
    trades: &HashMap<u64, i64>,
    sent: &HashMap<u64, i64>,
    queue: QueueModel,
    stp: SelfTradePrevention,
    latency: OrderLatency,
) -> Result<Vec<Report>, TestCaseError> {
    let mut model = latency.clone(); // to recompute the latencies the exchange used
    let cfg = config(queue).with_self_trade(stp);
    let mut sim = SimExchange::new(cfg, latency).unwrap();
    let mut arrival: HashMap<u64, Option<i64>> = HashMap::new();
    for step in &script.steps {
        match *step {
            Step::Event(i) => sim.on_event(&script.batch.get(i)),
            Step::Send(ts, req) => {
                let a = sim.submit(ts, req).unwrap();
                if let Request::New(o) = req {
                    let entry = model.entry(ts);
                    match a {
                        Some(a) => prop_assert!(a >= ts + entry, "arrival {a} before {ts} + {entry}"),
                        None => prop_assert!(entry < 0),
                    }
                    arrival.insert(o.client_id, a);
                }
            }
        }
    }
    let reports = finish(&mut sim);

    let mut limit: HashMap<u64, (Side, Option<i64>, i64)> = HashMap::new(); // side, limit, qty
    let mut filled: HashMap<u64, i64> = HashMap::new();
    let mut from_trade: HashMap<u64, i64> = HashMap::new();
    let mut acct = Account::default();
    let mut last_local = i64::MIN;
    for r in &reports {
        prop_assert!(r.local_ts >= last_local, "reports come in receive order");
        last_local = r.local_ts;
        if r.exchange_ts != 0 {
            prop_assert!(r.local_ts >= r.exchange_ts + model.response(r.exchange_ts));
        }
        match r.kind {
            ReportKind::Accepted { side, price, lots } => {
                let a = arrival[&r.client_id].expect("accepted orders arrived");
                prop_assert!(r.exchange_ts >= a);
                limit.insert(r.client_id, (side, (price > 0).then_some(price), lots));
            }
            ReportKind::Amended { price, lots, .. } => {
                let e = limit.get_mut(&r.client_id).expect("amended orders were accepted");
                *e = (e.0, Some(price), lots);
            }
            ReportKind::Fill(f) => {
                // No fill before the order could reach the exchange.
                let send = sent[&r.client_id];
                let a = arrival[&r.client_id].expect("filled orders arrived");
                prop_assert!(r.exchange_ts >= a && a >= send + model.entry(send).max(0));
                let (side, lim, qty) = limit[&r.client_id];
                prop_assert_eq!(side, f.side);
                if let Some(lim) = lim {
                    match side {
                        Buy => prop_assert!(f.price <= lim, "buy filled at {} above limit {}", f.price, lim),
                        Sell => prop_assert!(f.price >= lim, "sell filled at {} below limit {}", f.price, lim),
                    }
                }
                let done = filled.entry(r.client_id).or_insert(0);
                *done += f.lots;
                prop_assert!(f.lots > 0 && f.leaves >= 0);
                prop_assert_eq!(*done + f.leaves, qty);
                if let FillTrigger::Trade { trade_id } = f.trigger {
                    let used = from_trade.entry(trade_id).or_insert(0);
                    *used += f.lots;
                    prop_assert!(
                        *used <= trades[&trade_id],
                        "trade {} used {} > {}",
                        trade_id,
                        used,
                        trades[&trade_id]
                    );
                }
                let before = acct.equity_at(f.price);
                acct.apply(f.side, f.price, f.lots, f.fee, f.liquidity).unwrap();
                prop_assert_eq!(acct.equity_at(f.price) - before, -f.fee);
            }
            _ => {}
        }
    }
    prop_assert_eq!(&acct, sim.account());
    prop_assert_eq!(account_from(&reports), *sim.account());
    Ok(reports)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_runs_repeat(
        ops in ops(),
        queue in queue_model(),
        cancel_resting in any::<bool>(),
        latency in latency(),
    ) {
        let (script, trades, sent) = build(&ops);
        let stp = if cancel_resting { SelfTradePrevention::CancelResting } else { SelfTradePrevention::RejectNew };
        let a = run_checked(&script, &trades, &sent, queue, stp, latency.clone())?;
        let b = run_checked(&script, &trades, &sent, queue, stp, latency)?;
        prop_assert_eq!(a, b);
    }

    /// With a constant entry latency L, no order is filled before L has elapsed since it was
    /// sent, whatever the market does.
    #[test]
    fn no_fill_before_the_entry_latency(ops in ops(), entry in 0i64..50, response in 0i64..50) {
        let (script, trades, sent) = build(&ops);
        let latency: OrderLatency = ConstantLatency::new(entry, response).unwrap().into();
        let reports = run_checked(&script, &trades, &sent, QueueModel::Log, SelfTradePrevention::RejectNew, latency)?;
        for r in &reports {
            if let ReportKind::Fill(_) = r.kind {
                prop_assert!(r.exchange_ts >= sent[&r.client_id] + entry);
                prop_assert!(r.local_ts >= sent[&r.client_id] + entry + response);
            }
        }
    }
}

#[test]
fn the_generator_produces_fills_of_every_kind() {
    // Guard against a vacuous property test: a fixed busy script fills by trades, by book
    // crosses and as taker.
    // The mid is 100 (99 / 101): a post-only bid at 100, then an ask placed on it once
    // the bid has arrived.
    let mut ops = vec![
        (Op::Limit { bid: true, offset: 0, lots: 3, post_only: true }, 1),
        (Op::Depth { bid: false, offset: 2, size: 2 }, 5),
    ];
    for i in 0..60i64 {
        ops.push((Op::Limit { bid: i % 2 == 0, offset: (i % 5) - 2, lots: 3, post_only: i % 3 == 0 }, 1));
        ops.push((Op::Trade { sell: i % 2 == 1, depth: i % 2, qty: 6 }, 1));
        ops.push((Op::Depth { bid: i % 4 < 2, offset: i % 3, size: (i * 7) % 15 }, 1));
        if i % 7 == 0 {
            ops.push((Op::Market { bid: i % 2 == 0, lots: 2 }, 1));
        }
        if i % 5 == 0 {
            ops.push((Op::CancelAll, 1));
        }
    }
    let (script, trades, sent) = build(&ops);
    let latency: OrderLatency = ConstantLatency::new(2, 1).unwrap().into();
    let r = run_checked(&script, &trades, &sent, QueueModel::Power(2.0), SelfTradePrevention::CancelResting, latency)
        .unwrap();
    let kinds: Vec<FillTrigger> = r
        .iter()
        .filter_map(|r| match r.kind {
            ReportKind::Fill(f) => Some(f.trigger),
            _ => None,
        })
        .collect();
    assert!(kinds.iter().any(|k| matches!(k, FillTrigger::Trade { .. })), "{kinds:?}");
    assert!(kinds.contains(&FillTrigger::BookCross), "{kinds:?}");
    assert!(kinds.contains(&FillTrigger::Taker), "{kinds:?}");
}
