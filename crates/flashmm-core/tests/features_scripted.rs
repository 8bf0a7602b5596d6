//! Features and labels on tiny scripted books, against values computed by hand.

use flashmm_core::book::{ApplyOutcome, DiffHeader, L2Book, Level, SequenceRule, Side};
use flashmm_core::features::{
    DatasetBuilder, DatasetConfig, Direction, FEATURES, Feature as F, FeatureEngine, MidPath, N_FEATURES, NoLabel,
    Sampling, label_mid_direction,
};
use flashmm_core::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};

const MS: i64 = 1_000_000;
const T0: i64 = 1_723_161_255_000 * MS;

fn lv(v: &[(i64, i64)]) -> Vec<Level> {
    v.iter().map(|&(p, s)| Level::new(p, s)).collect()
}

#[track_caller]
fn close(engine: &FeatureEngine, f: F, want: f64) {
    let got = engine.features()[f as usize];
    let tol = 1e-6 * want.abs().max(1.0);
    assert!((f64::from(got) - want).abs() <= tol, "{} = {got}, expected {want}", FEATURES[f as usize].name);
}

/// A book near 10 000 ticks, where 5 bps ≈ 5 ticks, so the bands can be counted by hand.
fn banded_book() -> L2Book {
    let mut book = L2Book::new(SequenceRule::None);
    let bids = lv(&[(10_000, 3), (9_995, 5), (9_993, 2), (9_980, 4), (9_960, 7)]);
    let asks = lv(&[(10_002, 1), (10_004, 4), (10_012, 6), (10_030, 9)]);
    assert_eq!(book.apply_snapshot(1, &bids, &asks), ApplyOutcome::Applied);
    book
}

#[test]
fn touch_imbalance_and_depth_bands_by_hand() {
    let book = banded_book();
    let mut e = FeatureEngine::new();
    e.on_book(&book, T0);
    // Touch 10 000 × 3 / 10 002 × 1: mid 10 001, spread 2 ticks.
    close(&e, F::SpreadTicks, 2.0);
    close(&e, F::SpreadBps, 2e4 / 10_001.0);
    // micro = (10 000·1 + 10 002·3)/4 = 10 001.5.
    close(&e, F::MicroMidTicks, 0.5);
    close(&e, F::MicroMidBps, 0.5e4 / 10_001.0);
    close(&e, F::Imb1, 0.5);
    close(&e, F::Imb3, (10.0 - 11.0) / 21.0);
    close(&e, F::Imb5, (21.0 - 20.0) / 41.0);
    close(&e, F::Imb10, (21.0 - 20.0) / 41.0);
    close(&e, F::LogQBid, 4f64.ln());
    close(&e, F::LogQAsk, 2f64.ln());
    // m2 = 20 002, m = 10 001. 5 bps = 5.0005 ticks: bids ≥ ⌈9 995.9995⌉ = 9 996 → 3; asks ≤
    // ⌊10 006.0005⌋ → 1 + 4. 10 bps: bids ≥ ⌈9 990.999⌉ = 9 991 → 3 + 5 + 2; asks ≤ 10 011 → 5.
    // 25 bps: bids ≥ ⌈9 975.9975⌉ = 9 976 → 14; asks ≤ ⌊10 026.0025⌋ → 11.
    close(&e, F::LogDepthBid5, 4f64.ln());
    close(&e, F::LogDepthAsk5, 6f64.ln());
    close(&e, F::LogDepthBid10, 11f64.ln());
    close(&e, F::LogDepthAsk10, 6f64.ln());
    close(&e, F::LogDepthBid25, 15f64.ln());
    close(&e, F::LogDepthAsk25, 12f64.ln());
    close(&e, F::DepthImb5, -2.0 / 8.0);
    close(&e, F::DepthImb10, 5.0 / 15.0);
    close(&e, F::DepthImb25, 3.0 / 25.0);
    close(&e, F::DepthSlopeBid, (15f64.ln() - 4f64.ln()) / 5f64.ln());
    close(&e, F::DepthSlopeAsk, (12f64.ln() - 6f64.ln()) / 5f64.ln());
    // One state, no history: no return, no flow, spread at its own average.
    for f in [
        F::Ret100ms,
        F::Ret30s,
        F::Mom30s,
        F::Ofi1s,
        F::Tfi1s,
        F::Rv30s,
        F::EwmaVol10s,
        F::SpreadRel30s,
        F::LastMidMove,
    ] {
        close(&e, f, 0.0);
    }
    close(&e, F::QBidRel30s, (4.0f64 / 3.0).ln()); // D̄ = (3 + 1)/2 = 2
    close(&e, F::LogMsSinceMid, 0.0);
    close(&e, F::LogMsSinceTrade, 60_001f64.ln());
}

#[test]
fn a_diff_moves_the_bands_incrementally_exactly_as_a_walk() {
    let mut book = banded_book();
    let mut inc = FeatureEngine::new();
    inc.on_book(&book, T0);
    // New best bid 10 001 × 2, best ask 10 002 removed: touch 10 001 × 2 / 10 004 × 4.
    let (bids, asks) = (lv(&[(10_001, 2), (9_000, 50)]), lv(&[(10_002, 0), (11_000, 40)]));
    assert_eq!(book.apply_diff(DiffHeader::new(2, 2, None), &bids, &asks), ApplyOutcome::Applied);
    inc.on_diff(&book, &bids, &asks, T0 + 10 * MS);
    let mut walk = FeatureEngine::new();
    walk.on_book(&banded_book(), T0);
    walk.on_book(&book, T0 + 10 * MS);
    assert_eq!(inc.features(), walk.features());
    // m2 = 20 005, m = 10 002.5. 5 bps = 5.00125: bids ≥ ⌈9 997.49875⌉ = 9 998 → 2 + 3; asks ≤
    // 10 007 → 4. 10 bps: bids ≥ 9 993 → 12; asks ≤ 10 012 → 4 + 6. 25 bps: bids ≥ 9 978 → 16;
    // asks ≤ 10 027 → 10. The far levels (9 000, 11 000) are outside every band.
    close(&inc, F::LogDepthBid5, 6f64.ln());
    close(&inc, F::LogDepthAsk5, 5f64.ln());
    close(&inc, F::LogDepthBid10, 13f64.ln());
    close(&inc, F::LogDepthAsk10, 11f64.ln());
    close(&inc, F::LogDepthBid25, 17f64.ln());
    close(&inc, F::LogDepthAsk25, 11f64.ln());
    // OFI: bid up (+Qb = 2), ask up (+Qa' = 1): e = 3; D̄ over (T0, T0+10ms] = (3 + 1)/2.
    close(&inc, F::Ofi100ms, 3.0 / 2.0);
    close(&inc, F::LastMidMove, 1.0);
    close(&inc, F::Ret100ms, 1e4 * (20_005f64 / 20_002.0).ln());
}

/// Two-level book around 100 ticks, for flow features.
fn flow_book() -> L2Book {
    let mut book = L2Book::new(SequenceRule::None);
    book.apply_snapshot(1, &lv(&[(100, 10), (99, 5)]), &lv(&[(101, 10), (102, 5)]));
    book
}

#[test]
fn order_flow_imbalance_returns_and_time_averages_by_hand() {
    let mut book = flow_book();
    let mut e = FeatureEngine::new();
    let mut w = FeatureEngine::new();
    e.on_book(&book, T0);
    w.on_book(&book, T0);
    let mut id = 2;
    let mut diff = |book: &mut L2Book,
                    e: &mut FeatureEngine,
                    w: &mut FeatureEngine,
                    t: i64,
                    bids: &[(i64, i64)],
                    asks: &[(i64, i64)]| {
        let (b, a) = (lv(bids), lv(asks));
        assert_eq!(book.apply_diff(DiffHeader::new(id, id, None), &b, &a), ApplyOutcome::Applied);
        id += 1;
        e.on_diff(book, &b, &a, T0 + t * MS);
        w.on_book(book, T0 + t * MS);
        assert_eq!(e.features(), w.features(), "on_diff and on_book disagree at {t} ms");
    };
    // 100 ms: bid queue 10 → 14 at the same price: e = 14 − 10 = +4.
    diff(&mut book, &mut e, &mut w, 100, &[(100, 14)], &[]);
    close(&e, F::Ofi100ms, 4.0 / 10.0); // D̄ over (0, 100] = 20/2
    // 200 ms: ask queue 10 → 6: e = −6 + 10 = +4.
    diff(&mut book, &mut e, &mut w, 200, &[], &[(101, 6)]);
    // 300 ms: best bid 100 removed, touch 99 × 5: e = −14 (the old queue left). Mid 100.5 → 100.
    diff(&mut book, &mut e, &mut w, 300, &[(100, 0)], &[]);
    // 400 ms: ask improves to 100 × 3: e = −3. Mid 100 → 99.5.
    diff(&mut book, &mut e, &mut w, 400, &[], &[(100, 3)]);
    // 1 s window (history starts at 0): Σe = 4 + 4 − 14 − 3 = −9; time-average Qb + Qa over
    // (0, 400] = (20 + 24 + 20 + 11)·100/400 = 18.75, so D̄ = 9.375.
    close(&e, F::Ofi1s, -9.0 / 9.375);
    // 100 ms window (300, 400]: only the 400 ms event; D̄ = 11/2.
    close(&e, F::Ofi100ms, -3.0 / 5.5);
    close(&e, F::Ret1s, 1e4 * (99.5f64 / 100.5).ln());
    close(&e, F::Ret100ms, 1e4 * (99.5f64 / 100.0).ln());
    // Time-average mid over (0, 400]: 100.5 for 300 ms, 100 for 100 ms.
    close(&e, F::Mom1s, 1e4 * (99.5f64 / ((100.5 * 300.0 + 100.0 * 100.0) / 400.0)).ln());
    close(&e, F::LastMidMove, -1.0);
    close(&e, F::LogMsSinceMid, 0.0);
    // Spread 1 tick except 2 ticks over (300, 400] ms: average 1.25, now 1.
    close(&e, F::SpreadRel30s, (1.0f64 / 1.25).ln());

    // 50 ms later, no event: (350, 450]. The state of 300 ms was in force at 350 ms.
    e.advance_to(T0 + 450 * MS);
    close(&e, F::Ofi100ms, -3.0 / ((11.0 * 50.0 + 8.0 * 50.0) / 100.0 / 2.0));
    close(&e, F::Ret100ms, 1e4 * (99.5f64 / 100.0).ln());
    close(&e, F::LogMsSinceMid, 51f64.ln());
    // Realised variance over 1 s: the two −½-tick moves.
    let r1 = 1e4 * (200f64 / 201.0).ln();
    let r2 = 1e4 * (199f64 / 200.0).ln();
    close(&e, F::Rv1s, (r1 * r1 + r2 * r2).sqrt());
    close(&e, F::Rv5s, ((r1 * r1 + r2 * r2) / 5.0).sqrt());
    close(&e, F::MidChangeRate5s, (2.0f64 / 5.0).ln_1p());
    // EWMA, half-life 1 s: moves 150 and 50 ms ago.
    let ew = r1 * r1 * 2f64.powf(-0.15) + r2 * r2 * 2f64.powf(-0.05);
    close(&e, F::EwmaVol1s, (ew * 2f64.ln()).sqrt());
    // 1.3 s later the 1 s window (450 ms, 1.45 s] holds no move.
    e.advance_to(T0 + 1_450 * MS);
    close(&e, F::Rv1s, 0.0);
    close(&e, F::Ofi1s, 0.0);
    close(&e, F::Ret1s, 0.0);
    close(&e, F::Rv5s, ((r1 * r1 + r2 * r2) / 5.0).sqrt());
}

#[test]
fn trade_flow_with_out_of_order_stamps_and_window_edges() {
    let book = flow_book();
    let mut e = FeatureEngine::new();
    e.on_book(&book, T0);
    e.on_trade(101, 3, Side::Buy, T0 + 500 * MS);
    // Stamped before the clock (another stream): counted at 500 ms.
    e.on_trade(100, 1, Side::Sell, T0 + 450 * MS);
    assert_eq!(e.ts(), T0 + 500 * MS);
    close(&e, F::Tfi100ms, (3.0 - 1.0) / 4.0);
    close(&e, F::TradeRate100ms, (2.0f64 / 0.1).ln_1p());
    close(&e, F::TradeRate30s, (2.0f64 / 30.0).ln_1p());
    // Volume over 500 ms relative to the touch depth (10 + 10)/2.
    close(&e, F::TradeVol500ms, (4.0f64 / 10.0).ln_1p());
    close(&e, F::LastTradeSign, -1.0);
    close(&e, F::LastTradeVsMid, 1e4 * (100.0 - 100.5) / 100.5);
    close(&e, F::LogMsSinceTrade, 0.0);
    // At exactly 600 ms the 100 ms window is (500, 600]: both trades have left it.
    e.advance_to(T0 + 600 * MS);
    close(&e, F::Tfi100ms, 0.0);
    close(&e, F::TradeRate100ms, 0.0);
    close(&e, F::Tfi500ms, 0.5);
    close(&e, F::LogMsSinceTrade, 101f64.ln());
    e.on_trade(101, 2, Side::Buy, T0 + 1_600 * MS);
    close(&e, F::Tfi1s, 1.0);
    close(&e, F::Tfi5s, (5.0 - 1.0) / 6.0);
    close(&e, F::TradeRate1s, 1f64.ln_1p());
    // 61 s later: capped.
    e.advance_to(T0 + 62_600 * MS);
    close(&e, F::LogMsSinceTrade, 60_001f64.ln());
    close(&e, F::TradeRate30s, 0.0);
    close(&e, F::LastTradeSign, 1.0);
}

#[test]
fn empty_and_one_sided_books_give_finite_fallbacks() {
    let mut e = FeatureEngine::new();
    assert!(e.features().iter().all(|&x| x.is_finite()));
    e.on_trade(100, 5, Side::Buy, T0);
    let mut book = L2Book::new(SequenceRule::None);
    e.on_book(&book, T0 + MS);
    book.apply_snapshot(1, &lv(&[(100, 1)]), &[]);
    e.on_book(&book, T0 + 2 * MS);
    for (i, &x) in e.features().iter().enumerate() {
        assert!(x.is_finite(), "{}", FEATURES[i].name);
    }
    close(&e, F::SpreadTicks, 0.0);
    close(&e, F::Imb1, 0.0);
    close(&e, F::LastTradeVsMid, 0.0);
    close(&e, F::Tfi1s, 1.0);
    // Trade-only engine: every book feature is 0.
    let nonzero: Vec<_> = (0..N_FEATURES).filter(|&i| e.features()[i] != 0.0).map(|i| FEATURES[i].name).collect();
    for name in &nonzero {
        assert!(
            name.starts_with("tfi")
                || name.starts_with("trade_")
                || name.starts_with("log_ms_since")
                || *name == "last_trade_sign",
            "book feature {name} is not 0 without a book"
        );
    }
    e.reset();
    assert_eq!(e.ts(), 0);
    close(&e, F::Tfi1s, 0.0);
}

#[test]
fn labels_at_exact_horizon_boundaries() {
    let mut p = MidPath::new();
    p.push_mid(0, 200);
    p.push_mid(100 * MS, 202);
    p.push_mid(150 * MS, 202); // repeat: not stored
    p.push_mid(300 * MS, 198);
    p.push_mid(1_000 * MS, 199);
    assert_eq!(p.len(), 4);
    let h = [100 * MS, 200 * MS, 500 * MS];
    use Direction::*;
    // A state stamped exactly t + h is in force at t + h.
    assert_eq!(label_mid_direction(&p, 0, 200, &h), [Ok(Up), Ok(Up), Ok(Down)]);
    assert_eq!(label_mid_direction(&p, 1, 200, &h), [Ok(Up), Ok(Up), Ok(Down)]);
    // One ns before the move at 100 ms: still 200 at t + 100 ms − 1.
    assert_eq!(p.label(-1, 200, 100 * MS), Err(NoLabel::NoMid));
    assert_eq!(p.label(0, 200, 100 * MS - 1), Ok(Flat));
    assert_eq!(p.label(200 * MS, 202, 100 * MS), Ok(Down));
    assert_eq!(p.label(300 * MS, 198, 200 * MS), Ok(Flat));
    // The reference is the mid the features saw, not the path's.
    assert_eq!(p.label(300 * MS, 197, 200 * MS), Ok(Up));
    // Horizon ending exactly at the last state: labelled; one ns later: past the end.
    assert_eq!(p.label(500 * MS, 198, 500 * MS), Ok(Up));
    assert_eq!(p.label(500 * MS + 1, 198, 500 * MS), Err(NoLabel::PastEnd));
    // An invalid period: labels touching it are dropped.
    p.push_invalid(2_000 * MS);
    p.push_mid(2_500 * MS, 199);
    p.push_mid(3_000 * MS, 201);
    assert_eq!(p.label(1_800 * MS, 199, 100 * MS), Ok(Flat));
    assert_eq!(p.label(1_900 * MS, 199, 100 * MS), Err(NoLabel::Invalid));
    assert_eq!(p.label(2_100 * MS, 199, 100 * MS), Err(NoLabel::NoMid));
    assert_eq!(p.label(1_000 * MS, 199, 1_500 * MS), Err(NoLabel::Invalid));
    assert_eq!(p.label(2_500 * MS, 199, 500 * MS), Ok(Up));
    assert_eq!(p.m2_at(2_200 * MS), None);
    assert_eq!(p.m2_at(2_700 * MS), Some(199));
}

/// A scripted stream: snapshot, diffs, trades, a sequence gap and a resync.
fn scripted_events() -> EventBatch {
    let mut b = EventBatch::default();
    let push = |b: &mut EventBatch, kind, ts: i64, id: u64, flags, bids: &[(i64, i64)], asks: &[(i64, i64)]| {
        let start = b.levels.len() as u32;
        b.levels.extend(lv(bids));
        b.levels.extend(lv(asks));
        b.push(kind, ts, ts, id, id, None, flags, start, bids.len() as u32);
    };
    push(&mut b, EventKind::Snapshot, T0, 10, 0, &[(100, 10), (99, 5)], &[(101, 10), (102, 5)]);
    push(&mut b, EventKind::Trade, T0 + 40 * MS, 1, 0, &[(101, 2)], &[]);
    push(&mut b, EventKind::DepthDiff, T0 + 150 * MS, 11, 0, &[(100, 12)], &[]);
    push(&mut b, EventKind::DepthDiff, T0 + 250 * MS, 12, 0, &[], &[(101, 0)]); // mid up ½ tick
    push(&mut b, EventKind::Trade, T0 + 260 * MS, 2, FLAG_BUYER_MAKER, &[(100, 1)], &[]);
    push(&mut b, EventKind::DepthDiff, T0 + 420 * MS, 13, 0, &[(100, 0)], &[]); // mid down
    push(&mut b, EventKind::DepthDiff, T0 + 900 * MS, 15, 0, &[(98, 1)], &[]); // gap: 14 missing
    push(&mut b, EventKind::Snapshot, T0 + 1_200 * MS, 20, 0, &[(99, 5)], &[(100, 4), (102, 3)]);
    push(&mut b, EventKind::DepthDiff, T0 + 1_500 * MS, 21, 0, &[(99, 6)], &[]);
    push(&mut b, EventKind::DepthDiff, T0 + 2_000 * MS, 22, 0, &[], &[(100, 0)]); // mid up
    push(&mut b, EventKind::DepthDiff, T0 + 2_700 * MS, 23, 0, &[(97, 1)], &[]); // mid unchanged
    b
}

#[test]
fn dataset_samples_on_the_grid_labels_and_drops_around_a_gap() {
    let events = scripted_events();
    let cfg = DatasetConfig { sampling: Sampling::Interval(100 * MS), warmup_ns: 0, ..Default::default() };
    let mut builder = DatasetBuilder::new(SequenceRule::Strict, cfg);
    for e in events.iter() {
        builder.push(&e);
    }
    let ds = builder.finish();
    assert_eq!(ds.stats.resets, 1);
    // Grid times with a valid book: 0..=800 ms (book valid from T0; invalid 900..1200 ms),
    // then 1 200..=2 600 ms. Labels need t + 500 ms ≤ 2 700 ms and no invalid book within.
    let ms: Vec<i64> = ds.ts.iter().map(|t| (t - T0) / MS).collect();
    let want: Vec<i64> = (0..=3).map(|i| i * 100).chain((12..=22).map(|i| i * 100)).collect();
    assert_eq!(ms, want);
    // 400..=800 ms: the 500 ms horizon reaches the invalid period; 2 300..=2 600: past the end.
    assert_eq!(ds.stats.dropped_invalid, 5);
    assert_eq!(ds.stats.dropped_past_end, 4);
    use Direction::*;
    let at = |t: i64| ds.labels[ms.iter().position(|&x| x == t).unwrap()];
    // Mids (m2): 201 until 250 ms, 202 until 420 ms, 201 until 900 (invalid), 199 from 1 200,
    // 201 from 2 000; the last book state (unchanged mid) is at 2 700 ms.
    assert_eq!(at(0), [Flat, Flat, Flat]);
    assert_eq!(at(100), [Flat, Up, Flat]);
    assert_eq!(at(200), [Up, Up, Flat]);
    assert_eq!(at(300), [Flat, Down, Down]);
    assert_eq!(at(1_500), [Flat, Flat, Up]);
    assert_eq!(at(1_900), [Up, Up, Up]);
    assert_eq!(at(2_000), [Flat, Flat, Flat]);
    assert_eq!(ds.m2[ms.iter().position(|&x| x == 300).unwrap()], 202);

    // A row equals an engine fed by hand up to its time.
    let mut e = FeatureEngine::new();
    let mut book = L2Book::new(SequenceRule::None);
    book.apply_snapshot(10, &lv(&[(100, 10), (99, 5)]), &lv(&[(101, 10), (102, 5)]));
    e.on_book(&book, T0);
    e.on_trade(101, 2, Side::Buy, T0 + 40 * MS);
    let b = lv(&[(100, 12)]);
    book.apply_diff(DiffHeader::new(11, 11, None), &b, &[]);
    e.on_diff(&book, &b, &[], T0 + 150 * MS);
    e.advance_to(T0 + 200 * MS);
    assert_eq!(&ds.features[ms.iter().position(|&x| x == 200).unwrap()], e.features());

    // Every book update sampling: one sample per applied update, labelled the same way.
    let cfg = DatasetConfig { sampling: Sampling::EveryBookUpdate, warmup_ns: 0, ..Default::default() };
    let mut builder = DatasetBuilder::new(SequenceRule::Strict, cfg);
    for e in events.iter() {
        builder.push(&e);
    }
    let ds = builder.finish();
    let ms: Vec<i64> = ds.ts.iter().map(|t| (t - T0) / MS).collect();
    // Updates at 0, 150, 250 (420: 500 ms reaches the gap at 900), 1 200, 1 500, 2 000 (2 700: past end).
    assert_eq!(ms, vec![0, 150, 250, 1_200, 1_500, 2_000]);
    assert_eq!(ds.labels[1], [Up, Up, Flat]);
}

#[test]
fn warm_up_delays_the_first_sample() {
    let events = scripted_events();
    let cfg = DatasetConfig { sampling: Sampling::Interval(100 * MS), warmup_ns: 250 * MS, ..Default::default() };
    let mut builder = DatasetBuilder::new(SequenceRule::Strict, cfg);
    for e in events.iter() {
        builder.push(&e);
    }
    let ds = builder.finish();
    let ms: Vec<i64> = ds.ts.iter().map(|t| (t - T0) / MS).collect();
    // Valid from 0 → samples from 300 ms (but 400.. dropped by the gap); after the resync at
    // 1 200 ms, from 1 500 ms.
    assert_eq!(ms, vec![300, 1_500, 1_600, 1_700, 1_800, 1_900, 2_000, 2_100, 2_200]);
}
