//! A trivial two-sided quoter against the simulated exchange over a real recording
//! (Binance USD-M BTCUSDT, about 6 minutes): a sanity check of the whole loop.
//!
//! The driver is a small discrete-event loop on one clock: market events reach the exchange
//! at their exchange time and the strategy at their local time (shifted so the smallest feed
//! latency is 1 ms, since the recorder's clock ran ~1.3 s behind); requests and reports travel
//! with constant 5 ms entry and response latencies. Every 100 ms of local time the quoter
//! joins the best bid and the best ask with 1 lot (0.001 BTC) each, post-only, moving a quote
//! with an amend when the touch has moved, and stops buying (selling) at +10 (−10) lots.
//!
//! What is asserted, exactly:
//! * it runs without panics, and both sides are filled;
//! * the account the strategy rebuilds from the fill reports equals the exchange's account;
//! * at every fill, `cash + position × fill price` changes by exactly `−fee` (money units);
//! * at the end, marked at the final mid `M` (ticks), `cash + position × M` equals
//!   `Σ side × lots × (M − fill price) − fees` to the unit;
//! * fees are exactly the maker/taker rates of the fills' notional (maker −0.5 bp rebate here);
//! * no fill happens before its order could reach the exchange (send + 5 ms);
//! * the position never exceeds the limit by more than the one lot that can be in flight;
//! * running it twice gives identical reports.

mod common;
mod sim_support;

use std::collections::HashMap;

use flashmm_core::book::Side::{self, Buy, Sell};
use flashmm_core::ledger::Account;
use flashmm_core::money::{Liquidity, format_money, notional};
use flashmm_core::replay::binance::{FileReader, sequence_rule};
use flashmm_core::replay::{BookReplay, EventBatch, EventKind};
use flashmm_core::sim::{
    ConstantLatency, FeedLatency, FillTrigger, NewOrder, QueueModel, Report, ReportKind, Request, SimConfig,
    SimExchange,
};

const MS: i64 = 1_000_000;
const LIMIT: i64 = 10;
const MAKER_PPM: i64 = -50;
const TAKER_PPM: i64 = 400;

#[derive(Default, Clone, Copy)]
struct Quote {
    /// Live order id and its price, as the strategy knows it.
    live: Option<(u64, i64)>,
    in_flight: bool,
}

struct Outcome {
    reports: Vec<Report>,
    exchange: Account,
    strategy: Account,
    final_mid_ticks: i64,
    max_abs_position: i64,
    fills_by_side: [u64; 2],
    sends: HashMap<u64, i64>,
}

fn load() -> (EventBatch, flashmm_core::spec::MarketSpec, flashmm_core::book::SequenceRule) {
    let path = common::data_file("usdm_btcusdt_20240808.gz");
    let mut reader = FileReader::open(&path, None, None).expect("open recording");
    let spec = reader.spec().clone();
    let rule = sequence_rule(reader.market());
    let mut all = EventBatch::default();
    let mut batch = EventBatch::default();
    while reader.next_batch(&mut batch, 8192).expect("clean recording") > 0 {
        for e in batch.iter() {
            all.push_event(&e);
        }
    }
    (all, spec, rule)
}

fn run(
    events: &EventBatch,
    spec: &flashmm_core::spec::MarketSpec,
    rule: flashmm_core::book::SequenceRule,
    queue: QueueModel,
) -> Outcome {
    // Feed latency: shift local times so the smallest local − exchange difference is 1 ms.
    let mut feed = FeedLatency::default();
    events.iter().for_each(|e| feed.observe(&e));
    let offset = feed.local_offset(MS);
    assert!(feed.min < -1_000 * MS, "the recorder's clock is known to run behind: {feed:?}");
    let local = |i: usize| events.local_ts[i] + offset;

    // Exchange order: by exchange time, ties in file order. Tickers carry nothing we need.
    let mut exch: Vec<usize> = (0..events.len()).filter(|&i| events.kind[i] != EventKind::BookTicker).collect();
    assert!(exch.iter().all(|&i| events.exchange_ts[i] > 0));
    exch.sort_by_key(|&i| (events.exchange_ts[i], i));

    let cfg = SimConfig::new(spec, rule).with_fees(MAKER_PPM, TAKER_PPM).with_queue(queue);
    let mut sim = SimExchange::new(cfg, ConstantLatency::new(5 * MS, 5 * MS).unwrap()).unwrap();
    let mut view = BookReplay::new(rule);
    let mut quotes = [Quote::default(); 2];
    let mut strategy = Account::default();
    let mut reports = Vec::new();
    let mut sends = HashMap::new();
    let mut sides = HashMap::new();
    let mut next_id = 1u64;
    let (mut xi, mut li) = (0usize, 0usize);
    let mut next_decision: Option<i64> = None;
    let mut max_abs_position = 0i64;
    let mut fills_by_side = [0u64; 2];

    loop {
        let t_exch = exch.get(xi).map(|&i| events.exchange_ts[i]);
        let t_arr = sim.next_arrival();
        let t_rep = sim.next_report_ts();
        let t_loc = (li < events.len()).then(|| local(li));
        let t_dec = next_decision.filter(|_| li < events.len());
        // Ties: the exchange's market event, then arrivals, then what the strategy sees.
        let candidates = [t_exch, t_arr, t_rep, t_loc, t_dec];
        let Some(t) = candidates.iter().flatten().min().copied() else { break };
        let which = candidates.iter().position(|c| *c == Some(t)).unwrap();
        match which {
            0 => {
                sim.on_event(&events.get(exch[xi]));
                xi += 1;
            }
            1 => sim.advance_to(t),
            2 => {
                let r = sim.pop_report(t).unwrap();
                on_report(&r, &sides, &mut quotes, &mut strategy, &mut fills_by_side);
                max_abs_position = max_abs_position.max(strategy.position().abs());
                reports.push(r);
            }
            3 => {
                view.apply(&events.get(li));
                li += 1;
                if next_decision.is_none() && view.book.is_valid() {
                    next_decision = Some(t + 100 * MS);
                }
            }
            _ => {
                next_decision = Some(t + 100 * MS);
                let book = &view.book;
                let (Some(bb), Some(ba)) = (book.best_bid(), book.best_ask()) else { continue };
                for (side, price) in [(Buy, bb.price), (Sell, ba.price)] {
                    let q = &mut quotes[side as usize];
                    let room = match side {
                        Buy => strategy.position() < LIMIT,
                        Sell => strategy.position() > -LIMIT,
                    };
                    if q.in_flight {
                        continue;
                    }
                    let req = match (q.live, room) {
                        (None, true) => {
                            let id = next_id;
                            next_id += 1;
                            sends.insert(id, t);
                            sides.insert(id, side);
                            Request::New(NewOrder::post_only(id, side, price, 1))
                        }
                        (Some((id, _)), false) => Request::Cancel { client_id: id },
                        (Some((id, p)), true) if p != price => Request::Amend { client_id: id, price, lots: 1 },
                        _ => continue,
                    };
                    q.in_flight = true;
                    sim.submit(t, req).unwrap();
                }
            }
        }
    }
    let end = sim.now().max(sim.next_arrival().unwrap_or(0));
    sim.advance_to(end);
    while let Some(r) = sim.pop_report(i64::MAX) {
        on_report(&r, &sides, &mut quotes, &mut strategy, &mut fills_by_side);
        reports.push(r);
    }
    let b = sim.book();
    let final_mid_ticks = (b.best_bid().unwrap().price + b.best_ask().unwrap().price) / 2;
    Outcome { reports, exchange: *sim.account(), strategy, final_mid_ticks, max_abs_position, fills_by_side, sends }
}

fn on_report(
    r: &Report,
    sides: &HashMap<u64, Side>,
    quotes: &mut [Quote; 2],
    strategy: &mut Account,
    fills: &mut [u64; 2],
) {
    let side = *sides.get(&r.client_id).expect("reports only about our orders");
    let q = &mut quotes[side as usize];
    match r.kind {
        ReportKind::Accepted { price, .. } => *q = Quote { live: Some((r.client_id, price)), in_flight: false },
        ReportKind::Amended { price, .. } => *q = Quote { live: Some((r.client_id, price)), in_flight: false },
        ReportKind::Rejected { .. } | ReportKind::Cancelled { .. } => *q = Quote::default(),
        // TooLate: the fill that closed the order was reported before and cleared the quote.
        ReportKind::AmendRejected { .. } | ReportKind::CancelRejected { .. } => q.in_flight = false,
        ReportKind::Fill(f) => {
            let before = strategy.equity_at(f.price);
            strategy.apply(f.side, f.price, f.lots, f.fee, f.liquidity).unwrap();
            assert_eq!(strategy.equity_at(f.price) - before, -f.fee, "cash + position × price moves by −fee");
            fills[f.side as usize] += 1;
            if f.leaves == 0 {
                q.live = None;
            }
        }
        ReportKind::CancelAllDone { .. } => unreachable!("no cancel-all sent"),
    }
}

#[test]
fn a_two_sided_quoter_over_a_real_recording() {
    let (events, spec, rule) = load();
    assert!(events.len() > 50_000);
    for queue in [QueueModel::RiskAverse, QueueModel::Power(2.0)] {
        let o = run(&events, &spec, rule, queue);
        let fills: Vec<_> = o
            .reports
            .iter()
            .filter_map(|r| match r.kind {
                ReportKind::Fill(f) => Some((r, f)),
                _ => None,
            })
            .collect();
        assert!(o.fills_by_side[Buy as usize] > 0 && o.fills_by_side[Sell as usize] > 0, "{:?}", o.fills_by_side);
        assert_eq!(o.strategy, o.exchange, "strategy and exchange books agree");

        // Marked at the final mid M: cash + position × M = Σ side·lots·(M − price) − fees.
        let m = o.final_mid_ticks;
        let sign = |s: Side| if s == Buy { 1 } else { -1 };
        let edge: i128 = fills.iter().map(|(_, f)| notional(m - f.price, sign(f.side) * f.lots)).sum();
        assert_eq!(o.exchange.equity_at(m), edge - o.exchange.fees());

        // Fees are exactly the rates of the fills' notional.
        let want_fees: i128 = fills
            .iter()
            .map(|(_, f)| {
                let ppm = if f.liquidity == Liquidity::Maker { MAKER_PPM } else { TAKER_PPM };
                i128::from(f.price) * i128::from(f.lots) * i128::from(ppm)
            })
            .sum();
        assert_eq!(o.exchange.fees(), want_fees);
        assert!(o.exchange.fees() < 0, "post-only quotes only earn rebates");

        for (r, _) in &fills {
            assert!(r.exchange_ts >= o.sends[&r.client_id] + 5 * MS);
            assert!(r.local_ts >= r.exchange_ts + 5 * MS);
        }
        assert!(o.max_abs_position <= LIMIT + 1, "max |position| {}", o.max_abs_position);

        let crosses = fills.iter().filter(|(_, f)| f.trigger == FillTrigger::BookCross).count();
        eprintln!(
            "{}: {} fills ({} by book crosses; {} buys, {} sells), position {} lots, fees {} USDT, value at the final mid {} USDT",
            queue.name(),
            fills.len(),
            crosses,
            o.fills_by_side[0],
            o.fills_by_side[1],
            o.exchange.position(),
            format_money(&spec, o.exchange.fees()),
            format_money(&spec, o.exchange.equity_at(m)),
        );

        // Determinism: the same input gives the same reports.
        let again = run(&events, &spec, rule, queue);
        assert_eq!(again.reports, o.reports);
    }
}
