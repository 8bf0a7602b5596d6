//! Shared helpers of the `sim_*` tests: scripted market tapes and a driver.
#![allow(dead_code)] // each test binary uses its own part of this module

use flashmm_core::book::{Level, SequenceRule, Side};
use flashmm_core::ledger::Account;
use flashmm_core::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};
use flashmm_core::sim::{
    ClientId, ConstantLatency, Fill, LatencyModel, QueueModel, Report, ReportKind, Request, SimConfig, SimExchange,
};
use flashmm_core::spec::MarketSpec;

/// Maker rebate 1 bp, taker fee 5 bp.
pub const MAKER_PPM: i64 = -100;
pub const TAKER_PPM: i64 = 500;

pub fn config(queue: QueueModel) -> SimConfig {
    let spec = MarketSpec::new("TEST", "1", "1").unwrap().with_fees(MAKER_PPM, TAKER_PPM).unwrap();
    SimConfig::new(&spec, SequenceRule::None).with_queue(queue)
}

pub fn sim(queue: QueueModel) -> SimExchange<ConstantLatency> {
    SimExchange::new(config(queue), ConstantLatency::ZERO).unwrap()
}

pub fn sim_with<L: LatencyModel>(cfg: SimConfig, latency: L) -> SimExchange<L> {
    SimExchange::new(cfg, latency).unwrap()
}

fn levels(v: &[(i64, i64)]) -> impl Iterator<Item = Level> + '_ {
    v.iter().map(|&(p, s)| Level::new(p, s))
}

/// What a script does next: a market event of its tape, or a request sent at a local time.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Event(usize),
    Send(i64, Request),
}

/// Market events (exchange time = local time) and our requests, in the order written.
#[derive(Clone, Debug, Default)]
pub struct Script {
    pub batch: EventBatch,
    pub steps: Vec<Step>,
    next_id: u64,
    pub last_ts: i64,
}

impl Script {
    pub fn new() -> Self {
        Self::default()
    }

    fn event(&mut self, kind: EventKind, ts: i64, bids: &[(i64, i64)], asks: &[(i64, i64)], flags: u8) -> u64 {
        self.next_id += 1;
        let start = self.batch.levels.len() as u32;
        self.batch.levels.extend(levels(bids));
        self.batch.levels.extend(levels(asks));
        self.batch.push(kind, ts, ts, self.next_id, self.next_id, None, flags, start, bids.len() as u32);
        self.steps.push(Step::Event(self.batch.len() - 1));
        self.last_ts = self.last_ts.max(ts);
        self.next_id
    }

    pub fn snapshot(&mut self, ts: i64, bids: &[(i64, i64)], asks: &[(i64, i64)]) -> &mut Self {
        self.event(EventKind::Snapshot, ts, bids, asks, 0);
        self
    }

    /// Absolute new sizes of the listed levels (0 removes).
    pub fn diff(&mut self, ts: i64, bids: &[(i64, i64)], asks: &[(i64, i64)]) -> &mut Self {
        self.event(EventKind::DepthDiff, ts, bids, asks, 0);
        self
    }

    /// A public trade whose aggressor sold (it hit bids). Returns the trade id.
    pub fn sell(&mut self, ts: i64, price: i64, qty: i64) -> u64 {
        self.event(EventKind::Trade, ts, &[(price, qty)], &[], FLAG_BUYER_MAKER)
    }

    /// A public trade whose aggressor bought (it lifted asks). Returns the trade id.
    pub fn buy(&mut self, ts: i64, price: i64, qty: i64) -> u64 {
        self.event(EventKind::Trade, ts, &[(price, qty)], &[], 0)
    }

    pub fn send(&mut self, ts: i64, req: Request) -> &mut Self {
        self.steps.push(Step::Send(ts, req));
        self.last_ts = self.last_ts.max(ts);
        self
    }

    /// Feeds every step to `sim`, then lets every request arrive and every report be received.
    pub fn run<L: LatencyModel>(&self, sim: &mut SimExchange<L>) -> Vec<Report> {
        self.run_steps(sim, 0..self.steps.len());
        finish(sim)
    }

    /// Feeds some steps (no flushing).
    pub fn run_steps<L: LatencyModel>(&self, sim: &mut SimExchange<L>, range: std::ops::Range<usize>) {
        for step in &self.steps[range] {
            match *step {
                Step::Event(i) => sim.on_event(&self.batch.get(i)),
                Step::Send(ts, req) => {
                    sim.submit(ts, req).expect("time-ordered script");
                }
            }
        }
    }
}

/// Lets every request arrive and returns every report not yet received.
pub fn finish<L: LatencyModel>(sim: &mut SimExchange<L>) -> Vec<Report> {
    sim.advance_to(i64::MAX / 4);
    let mut out = Vec::new();
    sim.drain_reports(i64::MAX, &mut out);
    out
}

/// The report kinds of one order, in order.
pub fn of(reports: &[Report], id: ClientId) -> Vec<ReportKind> {
    reports.iter().filter(|r| r.client_id == id).map(|r| r.kind).collect()
}

pub fn fills(reports: &[Report]) -> Vec<(ClientId, Fill)> {
    reports
        .iter()
        .filter_map(|r| match r.kind {
            ReportKind::Fill(f) => Some((r.client_id, f)),
            _ => None,
        })
        .collect()
}

/// Position and cash rebuilt from fill reports alone.
pub fn account_from(reports: &[Report]) -> Account {
    let mut a = Account::default();
    for (_, f) in fills(reports) {
        a.apply(f.side, f.price, f.lots, f.fee, f.liquidity).unwrap();
    }
    a
}

pub fn side_sign(side: Side) -> i64 {
    if side == Side::Buy { 1 } else { -1 }
}
