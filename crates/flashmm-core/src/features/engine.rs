//! The streaming feature engine. See the module documentation for the clock and the
//! conventions; the feature definitions are the rows of [`FEATURES`](super::FEATURES).

use crate::book::{ApplyOutcome, L2Book, Level, Side};
use crate::replay::{Event, EventKind};

use super::bands::{BANDS_BPS, Bands};
use super::ring::Ring;
use super::table::{Feature as F, N_FEATURES};

/// Window lengths of the windowed features, ns: 100 ms, 500 ms, 1 s, 5 s, 30 s.
pub const WINDOWS_NS: [i64; 5] = [100_000_000, 500_000_000, 1_000_000_000, 5_000_000_000, 30_000_000_000];
const W500MS: usize = 1;
const W1S: usize = 2;
const W5S: usize = 3;
const W30S: usize = 4;
const LONGEST: usize = W30S;

/// Half-lives of the EWMA volatilities, ns: 1 s, 10 s, 60 s.
pub const EWMA_HALF_LIVES_NS: [i64; 3] = [1_000_000_000, 10_000_000_000, 60_000_000_000];

/// Cap of the time-since features (also their value before any trade).
pub const TIME_SINCE_CAP_NS: i64 = 60_000_000_000;

/// Fixed-point scale of squared returns (bps²) in the realised-variance sums: 2³².
pub const R2_SCALE: f64 = 4_294_967_296.0;
/// Largest squared return (bps²) admitted into the sums (a log move of 3.16, a factor of 24).
const R2_MAX: f64 = 1e9;

/// Initial ring sizes (entries); each holds 30 s of the busiest recording with room to spare.
const BOOK_RING_LOG2: u32 = 14;
const TRADE_RING_LOG2: u32 = 15;

/// One two-sided book state (the touch changed). Integrals `i_*` run from the first state
/// to this state's start (exclusive of it); sums `s_*` include this state's event.
#[derive(Clone, Copy, Debug, Default)]
struct BookEntry {
    ts: i64,
    /// best bid + best ask (half-ticks of the mid).
    m2: i64,
    ln_m2: f64,
    /// Qb + Qa.
    qsum: i64,
    spread: i64,
    i_m2: i128,
    i_q: i128,
    i_spread: i128,
    s_ofi: i64,
    s_r2: i64,
    s_moves: i64,
}

/// What an update changed, for `FeatureEngine::refresh`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Changed {
    Book,
    Trade,
    Clock,
}

#[derive(Clone, Copy, Debug, Default)]
struct TradeEntry {
    ts: i64,
    s_buy: i64,
    s_sell: i64,
    s_count: i64,
}

/// Incremental 64-feature engine over one market's book and trades.
#[derive(Clone, Debug)]
pub struct FeatureEngine {
    f: [f32; N_FEATURES],
    /// Engine clock: running max of event timestamps (ns); `None` before the first event.
    now: Option<i64>,
    /// Current touch, if the last book seen was two-sided.
    touch: Option<(Level, Level)>,
    book_ring: Ring<BookEntry>,
    /// Per window: first book entry with `ts > now − w`.
    book_cur: [u64; 5],
    trade_ring: Ring<TradeEntry>,
    trade_cur: [u64; 5],
    bands: Bands,
    /// Decayed Σ r² (bps²) per half-life, as of `ewma_ts`.
    ewma: [f64; 3],
    ewma_ts: i64,
    /// Time of the last mid change (the first state counts) and its sign.
    mid_ts: Option<i64>,
    last_move: f32,
    trade_ts: Option<i64>,
    last_trade: Option<(i64, Side)>,
    /// ln(1 + Qb), ln(1 + Qa) of the current touch.
    ln_q: (f64, f64),
    /// Average touch depth (Qb + Qa)/2 per window (≥ 1 lot; 1 without a book).
    depth: [f64; 5],
    /// Clock of the last refresh.
    refreshed_at: Option<i64>,
    /// Event counts behind the rate features when last computed (trades per window, then
    /// mid changes over 5 s and 30 s): a rate's logarithm is recomputed only when its count
    /// changes. `i64::MIN`: not computed.
    counts: [i64; 7],
}

impl Default for FeatureEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl FeatureEngine {
    /// A cold engine. Allocates its rings (about 3 MB) now; the band mirror is allocated
    /// at the first depth diff.
    pub fn new() -> Self {
        let mut e = Self {
            f: [0.0; N_FEATURES],
            now: None,
            touch: None,
            book_ring: Ring::with_capacity_pow2(BOOK_RING_LOG2),
            book_cur: [0; 5],
            trade_ring: Ring::with_capacity_pow2(TRADE_RING_LOG2),
            trade_cur: [0; 5],
            bands: Bands::default(),
            ewma: [0.0; 3],
            ewma_ts: 0,
            mid_ts: None,
            last_move: 0.0,
            trade_ts: None,
            last_trade: None,
            ln_q: (0.0, 0.0),
            depth: [1.0; 5],
            refreshed_at: None,
            counts: [i64::MIN; 7],
        };
        e.refresh(Changed::Book);
        e
    }

    /// Forgets all history (after a book resync, a reconnect, a new session); keeps the
    /// allocations.
    pub fn reset(&mut self) {
        self.f = [0.0; N_FEATURES];
        self.now = None;
        self.touch = None;
        self.book_ring.clear();
        self.book_cur = [0; 5];
        self.trade_ring.clear();
        self.trade_cur = [0; 5];
        self.bands.reset();
        self.ewma = [0.0; 3];
        self.ewma_ts = 0;
        self.mid_ts = None;
        self.last_move = 0.0;
        self.trade_ts = None;
        self.last_trade = None;
        self.ln_q = (0.0, 0.0);
        self.depth = [1.0; 5];
        self.refreshed_at = None;
        self.counts = [i64::MIN; 7];
        self.refresh(Changed::Book);
    }

    /// The current feature vector (as of [`FeatureEngine::ts`]).
    #[inline]
    pub fn features(&self) -> &[f32; N_FEATURES] {
        &self.f
    }

    /// The engine clock (ns), 0 before the first event.
    pub fn ts(&self) -> i64 {
        self.now.unwrap_or(0)
    }

    /// Times the rings had to grow (allocate) because a 30 s window held more events than
    /// they had room for. Zero on every recording.
    pub fn ring_growths(&self) -> u32 {
        self.book_ring.growths() + self.trade_ring.growths()
    }

    /// Times the depth-band mirror was rebuilt from the book (snapshots, re-centring).
    pub fn band_rebuilds(&self) -> u64 {
        self.bands.rebuilds
    }

    /// Moves the clock; an earlier time (another stream's later event already seen) counts
    /// as the clock's.
    #[inline]
    fn tick(&mut self, ts_ns: i64) -> i64 {
        let t = match self.now {
            Some(now) if now >= ts_ns => now,
            _ => ts_ns,
        };
        self.now = Some(t);
        t
    }

    /// Advances the clock without an event (a sampling or quote tick): windows slide,
    /// volatilities decay, times since grow. No-op for a time not after the clock.
    pub fn advance_to(&mut self, ts_ns: i64) {
        if self.now.is_some_and(|n| ts_ns <= n) {
            return;
        }
        self.tick(ts_ns);
        self.refresh(Changed::Clock);
    }

    /// After `book` changed in a way the caller cannot describe level by level (a snapshot,
    /// a resync). Recomputes the depth bands by walking the book (O(levels within 25 bps)).
    pub fn on_book(&mut self, book: &L2Book, ts_ns: i64) {
        let t = self.tick(ts_ns);
        self.bands.walk(book);
        self.book_update(book, t);
    }

    /// After `book` applied a depth diff whose levels (new absolute sizes, as given to
    /// [`L2Book::apply_diff`]) are `bids` and `asks`. O(levels in the diff) plus the band
    /// edges' moves; equal to [`FeatureEngine::on_book`] in every feature.
    pub fn on_diff(&mut self, book: &L2Book, bids: &[Level], asks: &[Level], ts_ns: i64) {
        let t = self.tick(ts_ns);
        self.bands.on_diff(book, bids, asks);
        self.book_update(book, t);
    }

    /// Feeds one replayed event with the book's outcome for it: a trade, an applied snapshot
    /// (`on_book`) or an applied diff (`on_diff`). Returns false for events the engine does
    /// not use (book tickers, diffs that were buffered, stale or rejected: on a rejection the
    /// caller resets the engine, as the book is no longer trusted).
    pub fn on_event(&mut self, book: &L2Book, e: &Event<'_>, outcome: Option<&ApplyOutcome>) -> bool {
        match (e.kind, outcome, e.aggressor(), e.bids.first()) {
            (EventKind::Trade, _, Some(side), Some(l)) => self.on_trade(l.price, l.size, side, e.exchange_ts),
            (EventKind::DepthDiff, Some(ApplyOutcome::Applied), ..) => {
                self.on_diff(book, e.bids, e.asks, e.exchange_ts)
            }
            (EventKind::Snapshot, Some(ApplyOutcome::Applied), ..) => self.on_book(book, e.exchange_ts),
            _ => return false,
        }
        true
    }

    /// One public trade: price (ticks), size (lots), aggressor (`Buy` = the buyer lifted the
    /// offer; a Binance trade with `m` = buyer is maker has aggressor `Sell`).
    pub fn on_trade(&mut self, price_ticks: i64, lots: i64, aggressor: Side, ts_ns: i64) {
        let t = self.tick(ts_ns);
        let lots = lots.max(0);
        let prev = self.trade_ring.last().copied().unwrap_or_default();
        let (buy, sell) = match aggressor {
            Side::Buy => (lots, 0),
            Side::Sell => (0, lots),
        };
        self.trade_ring.push(TradeEntry {
            ts: t,
            s_buy: prev.s_buy.wrapping_add(buy),
            s_sell: prev.s_sell.wrapping_add(sell),
            s_count: prev.s_count.wrapping_add(1),
        });
        self.trade_ts = Some(t);
        self.last_trade = Some((price_ticks, aggressor));
        self.refresh(Changed::Trade);
    }

    fn book_update(&mut self, book: &L2Book, t: i64) {
        let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) else {
            // One-sided or empty: no mid. Book features fall back to 0 (see the docs).
            self.touch = None;
            self.refresh(Changed::Book);
            return;
        };
        self.book_static(book, b, a);
        if self.touch != Some((b, a)) {
            self.push_state(b, a, t);
            self.touch = Some((b, a));
        }
        self.refresh(Changed::Book);
    }

    /// Features of the current book alone.
    fn book_static(&mut self, book: &L2Book, b: Level, a: Level) {
        let f = &mut self.f;
        let (bp, ap, qb, qa) = (b.price as f64, a.price as f64, b.size as f64, a.size as f64);
        let mid = 0.5 * (bp + ap);
        let spread = ap - bp;
        f[F::SpreadTicks as usize] = spread as f32;
        f[F::SpreadBps as usize] = (1e4 * spread / mid) as f32;
        let qt = qb + qa;
        let micro = if qt > 0.0 { (bp * qa + ap * qb) / qt } else { mid };
        f[F::MicroMidTicks as usize] = (micro - mid) as f32;
        f[F::MicroMidBps as usize] = (1e4 * (micro - mid) / mid) as f32;

        // Cumulative sizes of the best 1, 3, 5, 10 levels per side (i128: no overflow).
        const DEPTHS: [usize; 4] = [1, 3, 5, 10];
        let cum = |side: Side| {
            let mut out = [0i128; 4];
            let mut acc = 0i128;
            let mut k = 0;
            for (i, l) in book.top_levels(side, 10).enumerate() {
                acc += i128::from(l.size);
                while k < 4 && DEPTHS[k] == i + 1 {
                    out[k] = acc;
                    k += 1;
                }
            }
            for o in out.iter_mut().skip(k) {
                *o = acc;
            }
            out
        };
        let (cb, ca) = (cum(Side::Buy), cum(Side::Sell));
        for k in 0..4 {
            f[F::Imb1 as usize + k] = ratio(cb[k] - ca[k], cb[k] + ca[k]) as f32;
        }
        self.ln_q = (ln1p(qb), ln1p(qa));
        f[F::LogQBid as usize] = self.ln_q.0 as f32;
        f[F::LogQAsk as usize] = self.ln_q.1 as f32;

        let (db, da) = (self.bands.bid, self.bands.ask);
        let mut ln_b = [0.0f64; 3];
        let mut ln_a = [0.0f64; 3];
        for k in 0..BANDS_BPS.len() {
            ln_b[k] = ln1p(db[k].max(0) as f64);
            ln_a[k] = ln1p(da[k].max(0) as f64);
            f[F::LogDepthBid5 as usize + 2 * k] = ln_b[k] as f32;
            f[F::LogDepthAsk5 as usize + 2 * k] = ln_a[k] as f32;
            f[F::DepthImb5 as usize + k] =
                ratio(i128::from(db[k]) - i128::from(da[k]), i128::from(db[k]) + i128::from(da[k])) as f32;
        }
        let ln5 = 5f64.ln();
        f[F::DepthSlopeBid as usize] = ((ln_b[2] - ln_b[0]) / ln5) as f32;
        f[F::DepthSlopeAsk as usize] = ((ln_a[2] - ln_a[0]) / ln5) as f32;
    }

    /// Appends a new touch state: OFI event, mid change, integrals.
    fn push_state(&mut self, b: Level, a: Level, t: i64) {
        let m2 = b.price + a.price;
        let qsum = b.size.wrapping_add(a.size);
        let spread = a.price - b.price;
        let ln_m2 = (m2 as f64).ln();
        let prev = self.book_ring.last().copied();
        let entry = match prev {
            None => {
                self.mid_ts = Some(t);
                BookEntry { ts: t, m2, ln_m2, qsum, spread, ..Default::default() }
            }
            Some(p) => {
                let dt = i128::from(t - p.ts);
                // Cont–Kukanov–Stoikov: e = Qb·[Pb ≥ Pb'] − Qb'·[Pb ≤ Pb'] − Qa·[Pa ≤ Pa'] + Qa'·[Pa ≥ Pa'].
                let e = match self.touch {
                    Some((pb, pa)) => {
                        let mut e = 0i64;
                        if b.price >= pb.price {
                            e = e.wrapping_add(b.size);
                        }
                        if b.price <= pb.price {
                            e = e.wrapping_sub(pb.size);
                        }
                        if a.price <= pa.price {
                            e = e.wrapping_sub(a.size);
                        }
                        if a.price >= pa.price {
                            e = e.wrapping_add(pa.size);
                        }
                        e
                    }
                    None => 0,
                };
                let (mut r2q, mut moves) = (0i64, 0i64);
                if m2 != p.m2 {
                    let r = 1e4 * (ln_m2 - p.ln_m2);
                    let r2 = (r * r).min(R2_MAX);
                    r2q = (r2 * R2_SCALE).round() as i64;
                    moves = 1;
                    for (k, &h) in EWMA_HALF_LIVES_NS.iter().enumerate() {
                        self.ewma[k] = self.ewma[k] * decay(t - self.ewma_ts, h) + r2;
                    }
                    self.ewma_ts = t;
                    self.mid_ts = Some(t);
                    self.last_move = if m2 > p.m2 { 1.0 } else { -1.0 };
                }
                BookEntry {
                    ts: t,
                    m2,
                    ln_m2,
                    qsum,
                    spread,
                    i_m2: p.i_m2.wrapping_add(i128::from(p.m2).wrapping_mul(dt)),
                    i_q: p.i_q.wrapping_add(i128::from(p.qsum).wrapping_mul(dt)),
                    i_spread: p.i_spread.wrapping_add(i128::from(p.spread).wrapping_mul(dt)),
                    s_ofi: p.s_ofi.wrapping_add(e),
                    s_r2: p.s_r2.wrapping_add(r2q),
                    s_moves: p.s_moves.wrapping_add(moves),
                }
            }
        };
        self.book_ring.push(entry);
    }

    /// Recomputes the features that depend on what changed. Windows only slide when the
    /// clock moved; the book part (returns, OFI, time averages, volatilities) is skipped for
    /// a trade stamped at the clock (most trades on the recordings: they come in bursts
    /// within one millisecond).
    fn refresh(&mut self, changed: Changed) {
        let Some(t) = self.now else {
            self.time_features(0);
            return;
        };
        let moved = self.refreshed_at != Some(t);
        self.refreshed_at = Some(t);
        if moved {
            self.slide(t);
        }
        if moved || changed == Changed::Book {
            self.book_windows(t);
        }
        self.trade_windows();
        self.time_features(t);

        // Belt and braces: every formula above is finite by construction (tested on every
        // recording); never let a non-finite value reach a model. (One vectorised sum; the
        // element-wise pass only if it is not finite.)
        if !self.f.iter().sum::<f32>().is_finite() {
            for x in self.f.iter_mut() {
                if !x.is_finite() {
                    *x = 0.0;
                }
            }
        }
    }

    /// Moves each window's first entry past the entries stamped at or before `t − w`.
    fn slide(&mut self, t: i64) {
        for (k, &w) in WINDOWS_NS.iter().enumerate() {
            let lim = t - w;
            let end = self.book_ring.end();
            let mut c = self.book_cur[k];
            while c < end && self.book_ring.get(c).ts <= lim {
                c += 1;
            }
            self.book_cur[k] = c;
            let end = self.trade_ring.end();
            let mut c = self.trade_cur[k];
            while c < end && self.trade_ring.get(c).ts <= lim {
                c += 1;
            }
            self.trade_cur[k] = c;
        }
        self.book_ring.drop_before(self.book_cur[LONGEST].saturating_sub(1));
        self.trade_ring.drop_before(self.trade_cur[LONGEST].saturating_sub(1));
    }

    /// Windowed book features at `t`, and the average touch depth per window.
    fn book_windows(&mut self, t: i64) {
        let f = &mut self.f;
        let (Some(_), Some(&last)) = (self.touch, self.book_ring.last()) else {
            // No two-sided book: every book feature is 0.
            for i in BOOK_FEATURES {
                f[i as usize] = 0.0;
            }
            self.counts[5..].fill(i64::MIN);
            self.depth = [1.0; 5];
            return;
        };
        let dt_last = i128::from(t - last.ts);
        let c_m2 = last.i_m2.wrapping_add(i128::from(last.m2).wrapping_mul(dt_last));
        let c_q = last.i_q.wrapping_add(i128::from(last.qsum).wrapping_mul(dt_last));
        let c_sp = last.i_spread.wrapping_add(i128::from(last.spread).wrapping_mul(dt_last));
        let mut avg_sp = 0.0f64;
        for k in 0..5 {
            let c = self.book_cur[k];
            // The state in force at the window's start (the first state if the history is
            // shorter than the window: then the window starts there).
            let (j, start) = if c == 0 {
                (self.book_ring.get(0), self.book_ring.get(0).ts)
            } else {
                (self.book_ring.get(c - 1), t - WINDOWS_NS[k])
            };
            let ds = i128::from(start - j.ts);
            let dur = t - start;
            let at = |i: i128, x: i64| i.wrapping_add(i128::from(x).wrapping_mul(ds));
            let mut avg_m2 = last.m2 as f64;
            if dur > 0 {
                let d = dur as f64;
                if k >= W1S {
                    avg_m2 = to_f64(c_m2.wrapping_sub(at(j.i_m2, j.m2))) / d;
                }
                self.depth[k] = (0.5 * to_f64(c_q.wrapping_sub(at(j.i_q, j.qsum))) / d).max(1.0);
                if k == W30S {
                    avg_sp = to_f64(c_sp.wrapping_sub(at(j.i_spread, j.spread))) / d;
                }
            } else {
                self.depth[k] = (0.5 * last.qsum as f64).max(1.0);
                if k == W30S {
                    avg_sp = last.spread as f64;
                }
            }
            f[F::Ret100ms as usize + k] = (1e4 * (last.ln_m2 - j.ln_m2)) as f32;
            // Sums over the events of the window: entries c..end.
            let before = if c == 0 { BookEntry::default() } else { *self.book_ring.get(c - 1) };
            let ofi = last.s_ofi.wrapping_sub(before.s_ofi) as f64;
            f[F::Ofi100ms as usize + k] = (ofi / self.depth[k]) as f32;
            let w_s = WINDOWS_NS[k] as f64 * 1e-9;
            if k >= W1S {
                let r2 = last.s_r2.wrapping_sub(before.s_r2) as f64 / R2_SCALE;
                f[F::Rv1s as usize + (k - W1S)] = (r2 / w_s).sqrt() as f32;
                f[F::Mom1s as usize + (k - W1S)] = (1e4 * ln_ratio(last.m2 as f64, avg_m2)) as f32;
            }
            if k >= W5S {
                let moves = last.s_moves.wrapping_sub(before.s_moves);
                if self.counts[k + 2] != moves {
                    self.counts[k + 2] = moves;
                    f[F::MidChangeRate5s as usize + (k - W5S)] = ln1p_f32(moves as f64 / w_s);
                }
            }
        }
        let ln_d30 = ln1p(self.depth[W30S]);
        f[F::QBidRel30s as usize] = (self.ln_q.0 - ln_d30) as f32;
        f[F::QAskRel30s as usize] = (self.ln_q.1 - ln_d30) as f32;
        f[F::SpreadRel30s as usize] = ln_ratio(last.spread as f64, avg_sp) as f32;
        f[F::LastMidMove as usize] = self.last_move;
        for (k, &h) in EWMA_HALF_LIVES_NS.iter().enumerate() {
            let v = self.ewma[k] * decay(t - self.ewma_ts, h) * std::f64::consts::LN_2 / (h as f64 * 1e-9);
            f[F::EwmaVol1s as usize + k] = v.max(0.0).sqrt() as f32;
        }
    }

    /// Windowed trade features (traded volume relative to the depth of `book_windows`).
    fn trade_windows(&mut self) {
        let f = &mut self.f;
        let last = self.trade_ring.last().copied().unwrap_or_default();
        for k in 0..5 {
            let c = self.trade_cur[k];
            let before = if c == 0 { TradeEntry::default() } else { *self.trade_ring.get(c - 1) };
            let buy = last.s_buy.wrapping_sub(before.s_buy) as f64;
            let sell = last.s_sell.wrapping_sub(before.s_sell) as f64;
            let n = last.s_count.wrapping_sub(before.s_count);
            f[F::Tfi100ms as usize + k] = if buy + sell > 0.0 { ((buy - sell) / (buy + sell)) as f32 } else { 0.0 };
            if self.counts[k] != n {
                self.counts[k] = n;
                f[F::TradeRate100ms as usize + k] = ln1p_f32(n as f64 / (WINDOWS_NS[k] as f64 * 1e-9));
            }
            if k >= W500MS {
                f[F::TradeVol500ms as usize + (k - W500MS)] = ln1p_f32((buy + sell) / self.depth[k]);
            }
        }
        let (sign, vs_mid) = match self.last_trade {
            Some((p, side)) => {
                let vs_mid = self.touch.map_or(0.0, |(b, a)| {
                    let m2 = (b.price + a.price) as f64;
                    (2e4 * (p as f64 - 0.5 * m2) / m2) as f32
                });
                (if side == Side::Buy { 1.0 } else { -1.0 }, vs_mid)
            }
            None => (0.0, 0.0),
        };
        f[F::LastTradeSign as usize] = sign;
        f[F::LastTradeVsMid as usize] = vs_mid;
    }

    fn time_features(&mut self, t: i64) {
        let since = |at: Option<i64>| {
            let dt = at.map_or(TIME_SINCE_CAP_NS, |a| (t - a).clamp(0, TIME_SINCE_CAP_NS));
            ln1p_f32(dt as f64 * 1e-6)
        };
        self.f[F::LogMsSinceTrade as usize] = since(self.trade_ts);
        self.f[F::LogMsSinceMid as usize] = since(if self.touch.is_some() { self.mid_ts } else { None });
    }
}

/// Features that need a two-sided book (0 without one).
const BOOK_FEATURES: [F; 47] = [
    F::SpreadTicks,
    F::SpreadBps,
    F::MicroMidTicks,
    F::MicroMidBps,
    F::Imb1,
    F::Imb3,
    F::Imb5,
    F::Imb10,
    F::LogQBid,
    F::LogQAsk,
    F::QBidRel30s,
    F::QAskRel30s,
    F::LogDepthBid5,
    F::LogDepthAsk5,
    F::LogDepthBid10,
    F::LogDepthAsk10,
    F::LogDepthBid25,
    F::LogDepthAsk25,
    F::DepthImb5,
    F::DepthImb10,
    F::DepthImb25,
    F::DepthSlopeBid,
    F::DepthSlopeAsk,
    F::Ret100ms,
    F::Ret500ms,
    F::Ret1s,
    F::Ret5s,
    F::Ret30s,
    F::Mom1s,
    F::Mom5s,
    F::Mom30s,
    F::LastMidMove,
    F::Ofi100ms,
    F::Ofi500ms,
    F::Ofi1s,
    F::Ofi5s,
    F::Ofi30s,
    F::Rv1s,
    F::Rv5s,
    F::Rv30s,
    F::EwmaVol1s,
    F::EwmaVol10s,
    F::EwmaVol60s,
    F::LastTradeVsMid,
    F::MidChangeRate5s,
    F::MidChangeRate30s,
    F::SpreadRel30s,
];

/// `num/den`, 0 when `den` is 0.
#[inline]
fn ratio(num: i128, den: i128) -> f64 {
    if den == 0 { 0.0 } else { to_f64(num) / to_f64(den) }
}

/// `i128 as f64` through `i64` when it fits (the general conversion is a slow library call).
#[inline]
fn to_f64(x: i128) -> f64 {
    match i64::try_from(x) {
        Ok(v) => v as f64,
        Err(_) => x as f64,
    }
}

/// ln(1 + x) for x ≥ 0 as `ln` of the sum: much cheaper than `log1p`; the absolute error
/// (≤ 2⁻⁵²) is far below what an `f32` feature resolves.
#[inline]
fn ln1p(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { (1.0 + x).ln() }
}

/// [`ln1p`] in single precision (`logf` is about three times cheaper than `log`): for
/// features that are one logarithm of a magnitude, where `f32` is the output precision.
#[inline]
fn ln1p_f32(x: f64) -> f32 {
    if x == 0.0 { 0.0 } else { (1.0 + x as f32).ln() }
}

/// ln(a/b) for a, b > 0: a series when the ratio is within 0.1 % of 1 (mid against its own
/// average: the usual case; truncation error < 2·10⁻¹⁶), else `ln`.
#[inline]
fn ln_ratio(a: f64, b: f64) -> f64 {
    let x = (a - b) / b;
    if x.abs() < 1e-3 { x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))) } else { (a / b).ln() }
}

/// 2^(−dt/h).
#[inline]
fn decay(dt: i64, h: i64) -> f64 {
    (-(dt.max(0) as f64) / h as f64).exp2()
}
