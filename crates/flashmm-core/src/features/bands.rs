//! Resting size within 5, 10 and 25 bps of the mid, per side.
//!
//! Band edges are exact integers: a bid at price `p` (ticks) is within `X` bps when
//! `p ≥ m·(1 − X/10⁴)`, i.e. `p ≥ ⌈m2·(10⁴ − X)/(2·10⁴)⌉` with `m2 = bid + ask`; an ask
//! when `p ≤ ⌊m2·(10⁴ + X)/(2·10⁴)⌋`. Sums are integer lots, so every path below gives
//! exactly the same numbers.
//!
//! Walking the book to 25 bps costs thousands of levels on BTC books (~7 µs on USD-M
//! BTCUSDT), so after a depth diff the sums are maintained incrementally in a **mirror**:
//! dense per-side size arrays over a price window of at least four band widths around the
//! mid. A diff's levels update the mirror and the sums in O(1) each (the old size comes
//! from the mirror); a mid move shifts each band edge, adding or removing the sizes between
//! the old and the new edge (O(ticks moved)). When the 25 bps band would leave the window,
//! or after a snapshot, the mirror is rebuilt from the book (O(window)): rare. A market
//! whose 25 bps band spans more than [`MAX_WINDOW`]/4 ticks has no mirror and is walked.

use crate::book::{L2Book, Level, Side};

/// Band widths in bps.
pub const BANDS_BPS: [i64; 3] = [5, 10, 25];
const WIDEST: usize = 2;
/// Largest mirror window in ticks (two arrays of 8-byte sizes: 64 MiB).
pub const MAX_WINDOW: usize = 1 << 22;
const MIN_WINDOW: usize = 256;

/// Band edges for a book whose best bid + best ask is `m2`: (bid edges, ask edges).
#[inline]
pub(crate) fn edges(m2: i64) -> ([i64; 3], [i64; 3]) {
    let m2 = i128::from(m2);
    let mut bid = [0; 3];
    let mut ask = [0; 3];
    for (k, &x) in BANDS_BPS.iter().enumerate() {
        let x = i128::from(x);
        // ⌈n/d⌉ for n, d > 0.
        let n = m2 * (10_000 - x);
        bid[k] = ((n + 19_999) / 20_000) as i64;
        ask[k] = (m2 * (10_000 + x) / 20_000) as i64;
    }
    (bid, ask)
}

/// Adds `d` to each bid band whose edge `price` is at or above.
#[inline]
fn add_bid(sums: &mut [i64; 3], edges: &[i64; 3], price: i64, d: i64) {
    for (s, &e) in sums.iter_mut().zip(edges) {
        if price >= e {
            *s = s.wrapping_add(d);
        }
    }
}

/// Adds `d` to each ask band whose edge `price` is at or below.
#[inline]
fn add_ask(sums: &mut [i64; 3], edges: &[i64; 3], price: i64, d: i64) {
    for (s, &e) in sums.iter_mut().zip(edges) {
        if price <= e {
            *s = s.wrapping_add(d);
        }
    }
}

#[derive(Clone, Debug)]
struct Mirror {
    /// Price of index 0.
    base: i64,
    bid: Vec<i64>,
    ask: Vec<i64>,
    bid_edge: [i64; 3],
    ask_edge: [i64; 3],
}

impl Mirror {
    #[inline]
    fn index(&self, price: i64) -> Option<usize> {
        let d = price.wrapping_sub(self.base);
        (d >= 0 && (d as usize) < self.bid.len()).then_some(d as usize)
    }

    fn covers(&self, bid_edge: i64, ask_edge: i64) -> bool {
        self.index(bid_edge).is_some() && self.index(ask_edge).is_some()
    }
}

/// Band sums, by walk or by mirror.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bands {
    mirror: Option<Mirror>,
    /// The mirror matches the book (false after a walk, a reset, or a one-sided book).
    synced: bool,
    pub bid: [i64; 3],
    pub ask: [i64; 3],
    /// Mirror rebuilds (snapshot, window re-centring).
    pub rebuilds: u64,
}

impl Bands {
    pub fn reset(&mut self) {
        self.synced = false;
        self.bid = [0; 3];
        self.ask = [0; 3];
    }

    /// Recomputes the sums by walking the book (O(levels within 25 bps)); the mirror is
    /// left stale and rebuilt by the next [`Bands::on_diff`].
    pub fn walk(&mut self, book: &L2Book) {
        self.synced = false;
        self.bid = [0; 3];
        self.ask = [0; 3];
        let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) else { return };
        let (be, ae) = edges(b.price + a.price);
        for l in book.top_levels(Side::Buy, usize::MAX) {
            if l.price < be[WIDEST] {
                break;
            }
            add_bid(&mut self.bid, &be, l.price, l.size);
        }
        for l in book.top_levels(Side::Sell, usize::MAX) {
            if l.price > ae[WIDEST] {
                break;
            }
            add_ask(&mut self.ask, &ae, l.price, l.size);
        }
    }

    /// Updates the sums after `book` applied a diff with these (new absolute) levels.
    pub fn on_diff(&mut self, book: &L2Book, bids: &[Level], asks: &[Level]) {
        let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) else {
            self.reset();
            return;
        };
        if !self.synced {
            self.rebuild(book);
            return;
        }
        let Some(m) = self.mirror.as_mut() else {
            self.walk(book);
            return;
        };
        for l in bids {
            if let Some(i) = m.index(l.price) {
                let d = l.size.wrapping_sub(m.bid[i]);
                m.bid[i] = l.size;
                add_bid(&mut self.bid, &m.bid_edge, l.price, d);
            }
        }
        for l in asks {
            if let Some(i) = m.index(l.price) {
                let d = l.size.wrapping_sub(m.ask[i]);
                m.ask[i] = l.size;
                add_ask(&mut self.ask, &m.ask_edge, l.price, d);
            }
        }
        let (be, ae) = edges(b.price + a.price);
        if be == m.bid_edge && ae == m.ask_edge {
            return;
        }
        let quarter = (m.bid.len() / 4) as i64;
        if !m.covers(be[WIDEST], ae[WIDEST]) || (be[0] - m.bid_edge[0]).abs() > quarter {
            self.rebuild(book);
            return;
        }
        for k in 0..3 {
            let (old, new) = (m.bid_edge[k], be[k]);
            // Bid band = prices >= edge.
            if new < old {
                let s: i64 =
                    m.bid[(new - m.base) as usize..(old - m.base) as usize].iter().fold(0, |s, &x| s.wrapping_add(x));
                self.bid[k] = self.bid[k].wrapping_add(s);
            } else if new > old {
                let s: i64 =
                    m.bid[(old - m.base) as usize..(new - m.base) as usize].iter().fold(0, |s, &x| s.wrapping_add(x));
                self.bid[k] = self.bid[k].wrapping_sub(s);
            }
            // Ask band = prices <= edge.
            let (old, new) = (m.ask_edge[k], ae[k]);
            if new > old {
                let s: i64 = m.ask[(old - m.base + 1) as usize..=(new - m.base) as usize]
                    .iter()
                    .fold(0, |s, &x| s.wrapping_add(x));
                self.ask[k] = self.ask[k].wrapping_add(s);
            } else if new < old {
                let s: i64 = m.ask[(new - m.base + 1) as usize..=(old - m.base) as usize]
                    .iter()
                    .fold(0, |s, &x| s.wrapping_add(x));
                self.ask[k] = self.ask[k].wrapping_sub(s);
            }
        }
        m.bid_edge = be;
        m.ask_edge = ae;
    }

    /// Re-centres (and if needed resizes) the mirror on the book's mid and reloads it.
    #[cold]
    fn rebuild(&mut self, book: &L2Book) {
        let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) else {
            self.reset();
            return;
        };
        let m2 = b.price + a.price;
        let (be, ae) = edges(m2);
        let span = (ae[WIDEST] - be[WIDEST]).max(0) as u64;
        let Some(want) = (2 * span + 64).checked_next_power_of_two().map(|w| (w as usize).max(MIN_WINDOW)) else {
            self.mirror = None;
            self.walk(book);
            return;
        };
        if want > MAX_WINDOW {
            self.mirror = None;
            self.walk(book);
            return;
        }
        self.rebuilds += 1;
        let m = self.mirror.get_or_insert_with(|| Mirror {
            base: 0,
            bid: Vec::new(),
            ask: Vec::new(),
            bid_edge: [0; 3],
            ask_edge: [0; 3],
        });
        if m.bid.len() < want {
            m.bid = vec![0; want];
            m.ask = vec![0; want];
        } else {
            m.bid.fill(0);
            m.ask.fill(0);
        }
        let w = m.bid.len() as i64;
        m.base = m2 / 2 - w / 2;
        m.bid_edge = be;
        m.ask_edge = ae;
        self.bid = [0; 3];
        self.ask = [0; 3];
        for l in book.top_levels(Side::Buy, usize::MAX) {
            let Some(i) = m.index(l.price) else { break };
            m.bid[i] = l.size;
            add_bid(&mut self.bid, &be, l.price, l.size);
        }
        for l in book.top_levels(Side::Sell, usize::MAX) {
            let Some(i) = m.index(l.price) else { break };
            m.ask[i] = l.size;
            add_ask(&mut self.ask, &ae, l.price, l.size);
        }
        self.synced = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_exact() {
        // mid 100.0 ticks (m2 = 200): 5 bps of 100 = 0.05 ticks → bid edge ⌈99.95⌉ = 100.
        let (b, a) = edges(200);
        assert_eq!((b[0], a[0]), (100, 100));
        // mid 10_000 (m2 = 20_000): 5 bps = 5 ticks exactly → [9_995, 10_005], inclusive.
        let (b, a) = edges(20_000);
        assert_eq!(b, [9_995, 9_990, 9_975]);
        assert_eq!(a, [10_005, 10_010, 10_025]);
        // mid 10_000.5 (m2 = 20_001): 5 bps = 5.00025 → bid ≥ 9_995.49975 → 9_996; ask ≤ 10_005.50025 → 10_005.
        let (b, a) = edges(20_001);
        assert_eq!((b[0], a[0]), (9_996, 10_005));
    }
}
