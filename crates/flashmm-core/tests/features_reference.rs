//! Every feature against a direct, slow computation on recorded data: the raw history (touch
//! after every book update, every trade) is kept in vectors, and at random checkpoints each
//! feature is recomputed from scratch — loops over the whole history, f64 throughout, depth
//! bands by walking every level of the book — and compared with the incremental engine.
//! A second engine fed only through `on_book` (full walks) must equal the `on_diff` engine
//! bit for bit after every event.

mod common;

use flashmm_core::book::{ApplyOutcome, L2Book, Level, Side};
use flashmm_core::features::{
    BANDS_BPS, EWMA_HALF_LIVES_NS, FEATURES, Feature as F, FeatureEngine, N_FEATURES, TIME_SINCE_CAP_NS, WINDOWS_NS,
};
use flashmm_core::replay::binance::{BinanceReader, sequence_rule};
use flashmm_core::replay::{BookReplay, EventBatch, EventKind, FLAG_BUYER_MAKER};

#[derive(Clone, Copy, Debug)]
struct State {
    ts: i64,
    b: Level,
    a: Level,
}

impl State {
    fn mid(&self) -> f64 {
        (self.b.price + self.a.price) as f64 / 2.0
    }
    fn m2(&self) -> i64 {
        self.b.price + self.a.price
    }
    fn depth(&self) -> f64 {
        (self.b.size + self.a.size) as f64 / 2.0
    }
    fn spread(&self) -> f64 {
        (self.a.price - self.b.price) as f64
    }
}

#[derive(Clone, Copy, Debug)]
struct Trade {
    ts: i64,
    price: i64,
    lots: i64,
    buy: bool,
}

/// The raw history and the obvious formulas.
#[derive(Default)]
struct Reference {
    clock: Option<i64>,
    states: Vec<State>,
    trades: Vec<Trade>,
}

impl Reference {
    fn stamp(&mut self, ts: i64) -> i64 {
        let t = self.clock.map_or(ts, |c| c.max(ts));
        self.clock = Some(t);
        t
    }

    /// Index of the state in force at `x` (the first one if `x` precedes the history).
    fn in_force(&self, x: i64) -> usize {
        let mut j = 0;
        for (i, s) in self.states.iter().enumerate() {
            if s.ts <= x {
                j = i;
            }
        }
        j
    }

    /// Time average of `f(state)` over `(t − w, t]`, over the history if shorter; the
    /// current value if the interval is empty.
    fn time_avg(&self, t: i64, w: i64, f: impl Fn(&State) -> f64) -> f64 {
        let start = (t - w).max(self.states[0].ts);
        if t == start {
            return f(self.states.last().unwrap());
        }
        let mut acc = 0.0;
        for (i, s) in self.states.iter().enumerate() {
            let seg_end = self.states.get(i + 1).map_or(t, |n| n.ts).min(t);
            let seg_start = s.ts.max(start);
            if seg_end > seg_start {
                acc += f(s) * (seg_end - seg_start) as f64;
            }
        }
        acc / (t - start) as f64
    }

    /// Mid changes: (time, return in bps, sign).
    fn moves(&self) -> Vec<(i64, f64, f64)> {
        self.states
            .windows(2)
            .filter(|p| p[1].m2() != p[0].m2())
            .map(|p| (p[1].ts, 1e4 * (p[1].mid() / p[0].mid()).ln(), (p[1].m2() - p[0].m2()).signum() as f64))
            .collect()
    }

    fn features(&self, book: &L2Book) -> [f64; N_FEATURES] {
        let t = self.clock.unwrap();
        let mut f = [0f64; N_FEATURES];
        let sec = |w: i64| w as f64 * 1e-9;
        let depth_avg = |w: i64| if self.states.is_empty() { 1.0 } else { self.time_avg(t, w, State::depth).max(1.0) };

        // Trades.
        for (k, &w) in WINDOWS_NS.iter().enumerate() {
            let inw: Vec<&Trade> = self.trades.iter().filter(|x| x.ts > t - w && x.ts <= t).collect();
            let buy: f64 = inw.iter().filter(|x| x.buy).map(|x| x.lots as f64).sum();
            let sell: f64 = inw.iter().filter(|x| !x.buy).map(|x| x.lots as f64).sum();
            f[F::Tfi100ms as usize + k] = if buy + sell > 0.0 { (buy - sell) / (buy + sell) } else { 0.0 };
            f[F::TradeRate100ms as usize + k] = (1.0 + inw.len() as f64 / sec(w)).ln();
            if k >= 1 {
                f[F::TradeVol500ms as usize + k - 1] = (1.0 + (buy + sell) / depth_avg(w)).ln();
            }
        }
        let last_trade = self.trades.last();
        f[F::LastTradeSign as usize] = last_trade.map_or(0.0, |x| if x.buy { 1.0 } else { -1.0 });
        let since = |at: Option<i64>| {
            let dt = at.map_or(TIME_SINCE_CAP_NS, |a| (t - a).min(TIME_SINCE_CAP_NS));
            (1.0 + dt as f64 / 1e6).ln()
        };
        f[F::LogMsSinceTrade as usize] = since(last_trade.map(|x| x.ts));
        let (Some(bb), Some(ba)) = (book.best_bid(), book.best_ask()) else {
            f[F::LogMsSinceMid as usize] = since(None);
            return f;
        };

        // The current book, walked in full.
        let (bp, ap, qb, qa) = (bb.price as f64, ba.price as f64, bb.size as f64, ba.size as f64);
        let mid = (bp + ap) / 2.0;
        f[F::SpreadTicks as usize] = ap - bp;
        f[F::SpreadBps as usize] = 1e4 * (ap - bp) / mid;
        let micro = (bp * qa + ap * qb) / (qb + qa);
        f[F::MicroMidTicks as usize] = micro - mid;
        f[F::MicroMidBps as usize] = 1e4 * (micro - mid) / mid;
        for (k, n) in [1, 3, 5, 10].into_iter().enumerate() {
            f[F::Imb1 as usize + k] = book.imbalance(n).unwrap_or(0.0);
        }
        f[F::LogQBid as usize] = (1.0 + qb).ln();
        f[F::LogQAsk as usize] = (1.0 + qa).ln();
        let m2 = i128::from(bb.price + ba.price);
        let mut d = [[0f64; 3]; 2];
        for (k, &x) in BANDS_BPS.iter().enumerate() {
            let x = i128::from(x);
            // p ≥ m(1 − x/10⁴) ⇔ 2·10⁴·p ≥ m2·(10⁴ − x); likewise for asks.
            d[0][k] = book
                .top_levels(Side::Buy, usize::MAX)
                .filter(|l| 20_000 * i128::from(l.price) >= m2 * (10_000 - x))
                .map(|l| l.size as f64)
                .sum();
            d[1][k] = book
                .top_levels(Side::Sell, usize::MAX)
                .filter(|l| 20_000 * i128::from(l.price) <= m2 * (10_000 + x))
                .map(|l| l.size as f64)
                .sum();
            f[F::LogDepthBid5 as usize + 2 * k] = (1.0 + d[0][k]).ln();
            f[F::LogDepthAsk5 as usize + 2 * k] = (1.0 + d[1][k]).ln();
            let tot = d[0][k] + d[1][k];
            f[F::DepthImb5 as usize + k] = if tot > 0.0 { (d[0][k] - d[1][k]) / tot } else { 0.0 };
        }
        f[F::DepthSlopeBid as usize] = ((1.0 + d[0][2]).ln() - (1.0 + d[0][0]).ln()) / 5f64.ln();
        f[F::DepthSlopeAsk as usize] = ((1.0 + d[1][2]).ln() - (1.0 + d[1][0]).ln()) / 5f64.ln();

        // History of states.
        let last = *self.states.last().unwrap();
        assert_eq!((last.b, last.a), (bb, ba), "reference state is the book's touch");
        let moves = self.moves();
        for (k, &w) in WINDOWS_NS.iter().enumerate() {
            let then = self.states[self.in_force(t - w)];
            f[F::Ret100ms as usize + k] = 1e4 * (mid / then.mid()).ln();
            // OFI events of the states stamped in the window.
            let mut ofi = 0.0;
            for p in self.states.windows(2) {
                let (o, n) = (p[0], p[1]);
                if n.ts > t - w && n.ts <= t {
                    let mut e = 0.0;
                    if n.b.price >= o.b.price {
                        e += n.b.size as f64;
                    }
                    if n.b.price <= o.b.price {
                        e -= o.b.size as f64;
                    }
                    if n.a.price <= o.a.price {
                        e -= n.a.size as f64;
                    }
                    if n.a.price >= o.a.price {
                        e += o.a.size as f64;
                    }
                    ofi += e;
                }
            }
            f[F::Ofi100ms as usize + k] = ofi / depth_avg(w);
            let in_window: Vec<_> = moves.iter().filter(|m| m.0 > t - w && m.0 <= t).collect();
            if k >= 2 {
                let r2: f64 = in_window.iter().map(|m| m.1 * m.1).sum();
                f[F::Rv1s as usize + k - 2] = (r2 / sec(w)).sqrt();
                f[F::Mom1s as usize + k - 2] = 1e4 * (mid / self.time_avg(t, w, State::mid)).ln();
            }
            if k >= 3 {
                f[F::MidChangeRate5s as usize + k - 3] = (1.0 + in_window.len() as f64 / sec(w)).ln();
            }
        }
        for (k, &h) in EWMA_HALF_LIVES_NS.iter().enumerate() {
            let s: f64 = moves.iter().map(|m| m.1 * m.1 * 2f64.powf(-((t - m.0) as f64) / h as f64)).sum();
            f[F::EwmaVol1s as usize + k] = (s * 2f64.ln() / sec(h)).sqrt();
        }
        let d30 = depth_avg(WINDOWS_NS[4]);
        f[F::QBidRel30s as usize] = ((1.0 + qb) / (1.0 + d30)).ln();
        f[F::QAskRel30s as usize] = ((1.0 + qa) / (1.0 + d30)).ln();
        f[F::SpreadRel30s as usize] = ((ap - bp) / self.time_avg(t, WINDOWS_NS[4], State::spread)).ln();
        f[F::LastMidMove as usize] = moves.last().map_or(0.0, |m| m.2);
        f[F::LogMsSinceMid as usize] = since(Some(moves.last().map_or(self.states[0].ts, |m| m.0)));
        f[F::LastTradeVsMid as usize] = last_trade.map_or(0.0, |x| 1e4 * (x.price as f64 - mid) / mid);
        f
    }
}

/// Relative tolerance (to max(1, |value|)): f32 rounding of the engine's value (≤ 6e-8)
/// plus f64 differences in the order of operations; observed worst ≈ 6e-8.
const TOLERANCE: f64 = 1e-6;

/// Features whose incremental value differs from the from-scratch one beyond tolerance.
fn mismatches(engine: &FeatureEngine, want: &[f64; N_FEATURES], worst: &mut [f64; N_FEATURES]) -> Vec<String> {
    let mut bad = Vec::new();
    for i in 0..N_FEATURES {
        let got = f64::from(engine.features()[i]);
        let err = (got - want[i]).abs() / want[i].abs().max(1.0);
        worst[i] = worst[i].max(err);
        if err.is_nan() || err > TOLERANCE {
            bad.push(format!("{} incremental {got} vs from scratch {} (rel err {err:e})", FEATURES[i].name, want[i]));
        }
    }
    bad
}

struct Outcome {
    checked: u64,
    mismatched: u64,
    first_mismatch: Option<String>,
}

/// Replays `name`, comparing at about `checkpoints` random events (and at a random later
/// time after half of them). `sabotage`: the reference alone sees one extra trade at the
/// first checkpoint (the comparison must then fail).
fn check_recording(name: &str, seed: u64, checkpoints: u64, sabotage: bool) -> Outcome {
    let mut reader = BinanceReader::open(&common::data_file(name), None, None).expect("open");
    let mut replay = BookReplay::new(sequence_rule(reader.market()));
    let mut engine = FeatureEngine::new();
    let mut walker = FeatureEngine::new();
    let mut reference = Reference::default();
    let mut batch = EventBatch::default();
    let mut rng = common::Rng(seed);
    // Count the events the engine sees, to spread the checkpoints.
    let total = {
        let mut r = BinanceReader::open(&common::data_file(name), None, None).expect("open");
        let mut b = EventBatch::default();
        let mut n = 0u64;
        while r.next_batch(&mut b, 1 << 14).expect("clean") > 0 {
            n += b.iter().filter(|e| e.kind != EventKind::BookTicker).count() as u64;
        }
        n
    };
    let mut seen = 0u64;
    let mut out = Outcome { checked: 0, mismatched: 0, first_mismatch: None };
    let mut advanced = 0;
    let mut worst = [0f64; N_FEATURES];
    let mut nonzero = [0u32; N_FEATURES];
    let mut check = |engine: &FeatureEngine, reference: &Reference, book: &L2Book, at: String, out: &mut Outcome| {
        let want = reference.features(book);
        for i in 0..N_FEATURES {
            nonzero[i] += u32::from(want[i] != 0.0);
        }
        let bad = mismatches(engine, &want, &mut worst);
        out.checked += 1;
        if !bad.is_empty() {
            out.mismatched += 1;
            out.first_mismatch.get_or_insert_with(|| format!("{name} {at}: {}", bad.join("; ")));
        }
    };
    while reader.next_batch(&mut batch, 4096).expect("clean recording") > 0 {
        for e in batch.iter() {
            let outcome = replay.apply(&e);
            match e.kind {
                EventKind::Trade => {
                    let l = e.bids[0];
                    let buy = e.flags & FLAG_BUYER_MAKER == 0;
                    let side = if buy { Side::Buy } else { Side::Sell };
                    engine.on_trade(l.price, l.size, side, e.exchange_ts);
                    walker.on_trade(l.price, l.size, side, e.exchange_ts);
                    let ts = reference.stamp(e.exchange_ts);
                    reference.trades.push(Trade { ts, price: l.price, lots: l.size, buy });
                }
                EventKind::Snapshot | EventKind::DepthDiff if outcome == Some(ApplyOutcome::Applied) => {
                    let book = &replay.book;
                    if e.kind == EventKind::Snapshot {
                        engine.on_book(book, e.exchange_ts);
                    } else {
                        engine.on_diff(book, e.bids, e.asks, e.exchange_ts);
                    }
                    walker.on_book(book, e.exchange_ts);
                    let ts = reference.stamp(e.exchange_ts);
                    reference.states.push(State { ts, b: book.best_bid().unwrap(), a: book.best_ask().unwrap() });
                    assert_eq!(engine.features(), walker.features(), "{name}: on_diff ≠ on_book at {ts}");
                }
                EventKind::Snapshot | EventKind::DepthDiff => {
                    assert!(!matches!(outcome, Some(ApplyOutcome::Rejected(_))), "{name}: {outcome:?}");
                    continue;
                }
                EventKind::BookTicker => continue,
            }
            seen += 1;
            if rng.below(total) < checkpoints {
                if sabotage && out.checked == 0 {
                    let ts = reference.clock.unwrap();
                    reference.trades.push(Trade { ts, price: 1, lots: 1, buy: true });
                }
                check(&engine, &reference, &replay.book, format!("event {seen}"), &mut out);
                // And somewhat later without an event: windows slide, vols decay.
                if rng.below(2) == 0 {
                    let t = engine.ts() + rng.below(2_000_000_000) as i64;
                    engine.advance_to(t);
                    walker.advance_to(t);
                    reference.stamp(t);
                    check(&engine, &reference, &replay.book, format!("advance to {t}"), &mut out);
                    advanced += 1;
                }
            }
        }
    }
    assert!(out.checked >= checkpoints / 2, "{name}: only {} checkpoints", out.checked);
    assert_eq!(engine.ring_growths(), 0, "{name}");
    if !sabotage {
        // Every feature was non-zero at some checkpoint: no comparison is vacuous.
        let never: Vec<_> = (0..N_FEATURES).filter(|&i| nonzero[i] == 0).map(|i| FEATURES[i].name).collect();
        assert!(never.is_empty(), "{name}: features 0 at every checkpoint: {never:?}");
    }
    let overall = worst.iter().cloned().fold(0.0, f64::max);
    let w: Vec<String> = (0..N_FEATURES)
        .filter(|&i| worst[i] > 1e-7)
        .map(|i| format!("{}={:.1e}", FEATURES[i].name, worst[i]))
        .collect();
    eprintln!(
        "{name}: {} checks ({advanced} after advances) over {seen} events, {} states, {} trades; band rebuilds {}; worst rel error {overall:.1e}; above 1e-7: [{}]",
        out.checked,
        reference.states.len(),
        reference.trades.len(),
        engine.band_rebuilds(),
        w.join(" ")
    );
    out
}

#[track_caller]
fn assert_all_match(o: Outcome) {
    assert_eq!(
        o.mismatched,
        0,
        "{} of {} checks differ; first: {}",
        o.mismatched,
        o.checked,
        o.first_mismatch.unwrap_or_default()
    );
}

#[test]
fn spot_btcusdt_incremental_equals_from_scratch() {
    assert_all_match(check_recording("spot_btcusdt_20240808.gz", 0x5eed_0001, 250, false));
}

#[test]
fn usdm_btcusdt_incremental_equals_from_scratch() {
    assert_all_match(check_recording("usdm_btcusdt_20240808.gz", 0x5eed_0002, 250, false));
}

#[test]
fn coin_m_ethusd_incremental_equals_from_scratch() {
    assert_all_match(check_recording("cm_ethusd_perp_20240808.gz", 0x5eed_0003, 150, false));
}

#[test]
fn the_comparison_catches_a_missed_trade() {
    let o = check_recording("spot_btcusdt_20240808.gz", 0x5eed_0004, 40, true);
    assert!(o.mismatched > 0, "a trade the engine never saw went unnoticed");
    let first = o.first_mismatch.unwrap();
    assert!(first.contains("tfi_30s") && first.contains("last_trade_vs_mid_bps"), "{first}");
}
