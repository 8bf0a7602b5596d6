//! One side of an L2 book, built for one O(1) write per level update.
//!
//! Prices map to *keys* that grow away from the touch (asks: `key = price`; bids:
//! `key = i64::MAX - price`, computed as `price ^ i64::MAX`), so both sides share one code
//! path: the best level has the smallest key and `best_first` walks keys upward.
//!
//! Levels near the touch live in a **window**: every tick at depth `d = key - origin`,
//! `0 <= d < ticks`, has one occupancy bit (one `u64` word per 64-tick *page*) plus one
//! summary bit per page, so the next level from any depth is a couple of word scans even
//! in sparse books. Sizes are stored per occupied page only (64 × `i64`, taken from a pool
//! when a page's word becomes non-zero and returned when it empties), so memory follows
//! the number of occupied pages rather than the window's width. The window starts at 4096
//! ticks when the first level arrives and doubles (up to 2^20 ticks) to take in levels
//! beyond its worse end; levels it cannot take live in an ordered **far map** keyed by
//! key. Invariants between public calls:
//!
//! * every far-map key is beyond the window's worse end (`key - origin >= ticks`), so the
//!   far map continues the window in best-first order, and no level is better than the
//!   window's start (`key >= origin`);
//! * the window is empty only if the far map is empty too, so the best level is always
//!   the window's first occupied tick (cached in `best_d` / `best`).
//!
//! A level better than the window's start shifts the window toward better prices (pages
//! falling off its worse end move to the far map). When the best level retreats past the
//! window's middle, the window shifts the other way and takes in far-map levels; when the
//! window empties, it is re-centred on the far map's best level. Shifts move whole pages
//! (`origin` stays a multiple of 64), costing O(window pages + levels moved); each one
//! leaves the best level 1/8 of the window from the start, so they are rare.

use std::collections::{BTreeMap, btree_map};

use super::{Level, Side};

/// Ticks per page: one occupancy word.
const PAGE: usize = 64;
/// Smallest window, in pages: 4096 ticks. A multiple of 64 so summary words are full.
const MIN_PAGES: usize = 64;
/// Largest window, in pages: 2^20 ticks (128 KiB of occupancy words, 64 KiB of page slots).
const MAX_PAGES: usize = 1 << 14;
/// `best_d` of an empty window.
const NONE: usize = usize::MAX;
/// Sizes an iterator over an empty window points at.
static EMPTY_PAGE: [i64; PAGE] = [0; PAGE];

#[derive(Clone, Debug)]
pub(crate) struct Ladder {
    /// `key = price ^ mask`: 0 for asks, `i64::MAX` for bids (`key = i64::MAX - price`).
    mask: i64,
    /// Key of window depth 0; a multiple of [`PAGE`]. May be slightly negative.
    origin: i64,
    /// Occupancy, one bit per tick of the window; `len` = window pages.
    words: Vec<u64>,
    /// Bit `j % 64` of `summary[j / 64]` is set iff `words[j] != 0`.
    summary: Vec<u64>,
    /// Pool slot holding the sizes of page `j`; meaningful only while `words[j] != 0`.
    slot_of: Vec<u32>,
    /// Sizes of occupied pages.
    pool: Vec<[i64; PAGE]>,
    /// Pool slots not in use.
    free: Vec<u32>,
    /// Levels in the window (set bits in `words`).
    window_len: usize,
    /// Depth of the best level, or [`NONE`] when the window is empty.
    best_d: usize,
    best: Option<Level>,
    /// Levels beyond the window's worse end, by key (ascending = best first).
    far: BTreeMap<i64, i64>,
}

impl Ladder {
    pub fn new(side: Side) -> Self {
        Self {
            mask: match side {
                Side::Sell => 0,
                Side::Buy => i64::MAX,
            },
            origin: 0,
            words: Vec::new(),
            summary: Vec::new(),
            slot_of: Vec::new(),
            pool: Vec::new(),
            free: Vec::new(),
            window_len: 0,
            best_d: NONE,
            best: None,
            far: BTreeMap::new(),
        }
    }

    /// Window width in ticks.
    #[inline]
    fn ticks(&self) -> usize {
        self.words.len() * PAGE
    }

    /// Front headroom a re-centred window leaves before its best level.
    #[inline]
    fn headroom(&self) -> i64 {
        (self.ticks() / 8) as i64
    }

    /// Sets the size at `price`; a size of 0 removes the level. The caller validated it
    /// (`price > 0`); a non-positive price is ignored.
    #[inline]
    pub fn set(&mut self, price: i64, size: i64) {
        let key = price ^ self.mask;
        // Exact for a valid price: key is in [0, i64::MAX] and origin in [-2^18, i64::MAX],
        // so the true difference spans less than 2^64 and no out-of-window key wraps into
        // [0, ticks). An invalid price falls through to `set_outside`, which ignores it.
        let d = key.wrapping_sub(self.origin) as u64;
        if d < self.ticks() as u64 && price > 0 {
            self.set_in_window(d as usize, price, size);
        } else {
            self.set_outside(price, key, size);
        }
    }

    #[inline]
    fn set_in_window(&mut self, d: usize, price: i64, size: i64) {
        let (j, o) = (d / PAGE, d % PAGE);
        let w = self.words[j];
        let nw = if size != 0 { w | (1 << o) } else { w & !(1 << o) };
        if w == 0 || nw == 0 || d <= self.best_d {
            // A page taken or released, or at / before the best level.
            return self.set_in_window_rare(d, price, size);
        }
        // Insert, change or remove inside an occupied page, behind the best: no branch on
        // which (venue flow mixes them unpredictably). A removed level's size is stale
        // but never read.
        self.words[j] = nw;
        self.pool[self.slot_of[j] as usize][o] = size;
        self.window_len = self.window_len + (nw >> o & 1) as usize - (w >> o & 1) as usize;
    }

    #[inline(never)]
    fn set_in_window_rare(&mut self, d: usize, price: i64, size: i64) {
        let (j, o) = (d / PAGE, d % PAGE);
        let bit = 1u64 << o;
        if self.words[j] & bit != 0 {
            if size != 0 {
                let slot = self.slot_of[j] as usize;
                self.pool[slot][o] = size;
                if d == self.best_d {
                    self.best = Some(Level::new(price, size));
                }
            } else {
                self.remove_bit(j, bit);
                if d == self.best_d {
                    self.best_removed(d);
                }
            }
        } else if size != 0 {
            self.insert_bit(j, o, size);
            if d < self.best_d {
                self.best_d = d;
                self.best = Some(Level::new(price, size));
                if d >= self.ticks() / 2 {
                    // First level of an emptied window, deep in it: re-centre.
                    self.settle_best();
                }
            }
        }
    }

    /// Marks tick `o` of page `j` occupied with `size` (taking a pool slot for a new page).
    #[inline]
    fn insert_bit(&mut self, j: usize, o: usize, size: i64) {
        let w = self.words[j];
        let slot = if w == 0 {
            let slot = match self.free.pop() {
                Some(s) => s,
                None => {
                    self.pool.push([0; PAGE]);
                    (self.pool.len() - 1) as u32
                }
            };
            self.slot_of[j] = slot;
            self.summary[j / 64] |= 1 << (j % 64);
            slot
        } else {
            self.slot_of[j]
        };
        self.words[j] = w | (1 << o);
        self.pool[slot as usize][o] = size;
        self.window_len += 1;
    }

    /// Clears an occupied tick (returning the page's slot if it empties).
    #[inline]
    fn remove_bit(&mut self, j: usize, bit: u64) {
        let w = self.words[j] & !bit;
        self.words[j] = w;
        self.window_len -= 1;
        if w == 0 {
            self.summary[j / 64] &= !(1 << (j % 64));
            self.free.push(self.slot_of[j]);
        }
    }

    #[inline]
    fn size_in_window(&self, d: usize) -> i64 {
        self.pool[self.slot_of[d / PAGE] as usize][d % PAGE]
    }

    #[inline]
    fn level_in_window(&self, d: usize) -> Level {
        Level::new(self.origin.wrapping_add(d as i64) ^ self.mask, self.size_in_window(d))
    }

    /// First non-empty page at index `>= j`.
    #[inline]
    fn next_page(&self, j: usize) -> Option<usize> {
        let mut s = j / 64;
        let mut m = *self.summary.get(s)? & (u64::MAX << (j % 64));
        loop {
            if m != 0 {
                return Some(s * 64 + m.trailing_zeros() as usize);
            }
            s += 1;
            m = *self.summary.get(s)?;
        }
    }

    /// First occupied depth `>= d` (`d` inside the window).
    #[inline]
    fn next_occupied(&self, d: usize) -> Option<usize> {
        let j = d / PAGE;
        let w = self.words[j] & (u64::MAX << (d % PAGE));
        if w != 0 {
            return Some(j * PAGE + w.trailing_zeros() as usize);
        }
        let j = self.next_page(j + 1)?;
        Some(j * PAGE + self.words[j].trailing_zeros() as usize)
    }

    /// The best level (at depth `d`) was just removed: find the next one.
    fn best_removed(&mut self, d: usize) {
        self.best_d = self.next_occupied(d).unwrap_or(NONE);
        self.settle_best();
    }

    /// With `best_d` the first occupied depth (or NONE): re-centre if the window emptied
    /// or the best drifted past its middle, then refresh the cached best level.
    fn settle_best(&mut self) {
        if self.best_d == NONE {
            self.best = None;
            if !self.far.is_empty() {
                self.recentre_on_far();
            }
            return;
        }
        if self.best_d >= self.ticks() / 2 {
            // Shift toward worse prices so the best sits `headroom` ticks in.
            let pages = (self.best_d - self.headroom() as usize) / PAGE;
            self.shift_worse(pages);
        }
        self.best = Some(self.level_in_window(self.best_d));
    }

    /// Slow path: the price is outside the window (or invalid).
    #[inline(never)]
    fn set_outside(&mut self, price: i64, key: i64, size: i64) {
        if price <= 0 {
            return;
        }
        if self.window_len == 0 {
            debug_assert!(self.far.is_empty());
            if size != 0 {
                self.start_window(key);
                self.set(price, size);
            }
            return;
        }
        let d = i128::from(key) - i128::from(self.origin);
        if d < 0 {
            // A new best beyond the window's start (nothing can rest there).
            if size == 0 {
                return;
            }
            let target = (key - self.headroom()) & !(PAGE as i64 - 1);
            let pages = (i128::from(self.origin) - i128::from(target)) / PAGE as i128;
            self.shift_better(usize::try_from(pages).unwrap_or(usize::MAX));
            self.set(price, size);
        } else if size == 0 {
            self.far.remove(&key);
        } else if d < (MAX_PAGES * PAGE) as i128 {
            // Grow the window to reach it.
            let pages = (d as usize + 1).next_power_of_two().div_ceil(PAGE).max(MIN_PAGES);
            self.grow(pages);
            self.set(price, size);
        } else {
            self.far.insert(key, size);
        }
    }

    /// Window is empty (and so is the far map): place it around `key`.
    fn start_window(&mut self, key: i64) {
        if self.words.len() < MIN_PAGES {
            self.resize_window(MIN_PAGES);
        }
        self.pool.clear();
        self.free.clear();
        self.origin = (key - self.headroom()) & !(PAGE as i64 - 1);
    }

    /// Window is empty but the far map is not: re-centre on the far map's best level.
    fn recentre_on_far(&mut self) {
        let Some((&first, _)) = self.far.first_key_value() else { return };
        self.pool.clear();
        self.free.clear();
        self.origin = (first - self.headroom()) & !(PAGE as i64 - 1);
        self.pull_far();
        self.best_d = self.next_page(0).map_or(NONE, |j| j * PAGE + self.words[j].trailing_zeros() as usize);
        self.best = (self.best_d != NONE).then(|| self.level_in_window(self.best_d));
    }

    fn resize_window(&mut self, pages: usize) {
        self.words.resize(pages, 0);
        self.slot_of.resize(pages, 0);
        self.summary.resize(pages / 64, 0);
    }

    /// Widens the window at its worse end to `pages` and takes in far-map levels it covers.
    fn grow(&mut self, pages: usize) {
        if pages > self.words.len() {
            self.resize_window(pages);
            self.pull_far();
        }
    }

    /// Moves far-map levels now inside the window into it (they are all at or past the
    /// window's best, so the best is unchanged unless the window was empty).
    fn pull_far(&mut self) {
        let ticks = self.ticks() as i128;
        while let Some(e) = self.far.first_entry() {
            let d = i128::from(*e.key()) - i128::from(self.origin);
            if !(0..ticks).contains(&d) {
                break;
            }
            let size = e.remove();
            let d = d as usize;
            self.insert_bit(d / PAGE, d % PAGE, size);
        }
    }

    /// Moves all levels of page `j` to the far map.
    fn spill_page(&mut self, j: usize) {
        let mut w = self.words[j];
        let slot = self.slot_of[j];
        let base = self.origin.wrapping_add((j * PAGE) as i64);
        while w != 0 {
            let o = w.trailing_zeros() as usize;
            w &= w - 1;
            self.far.insert(base.wrapping_add(o as i64), self.pool[slot as usize][o]);
            self.window_len -= 1;
        }
        self.words[j] = 0;
        self.free.push(slot);
    }

    fn rebuild_summary(&mut self) {
        for (s, chunk) in self.summary.iter_mut().zip(self.words.chunks_exact(64)) {
            *s = chunk.iter().enumerate().fold(0, |m, (i, &w)| m | (u64::from(w != 0) << i));
        }
    }

    /// Shifts the window `pages` pages toward better prices; pages falling off its worse
    /// end go to the far map.
    fn shift_better(&mut self, pages: usize) {
        let n = self.words.len();
        let k = pages.min(n);
        for j in n - k..n {
            if self.words[j] != 0 {
                self.spill_page(j);
            }
        }
        self.words.copy_within(0..n - k, k);
        self.slot_of.copy_within(0..n - k, k);
        self.words[..k].fill(0);
        self.rebuild_summary();
        // `pages` may exceed the window; `origin - pages * PAGE` is the caller's target,
        // a page-aligned key minus headroom, so it does not overflow.
        self.origin = self.origin.wrapping_sub((pages as i64).wrapping_mul(PAGE as i64));
        if self.window_len == 0 {
            self.best_d = NONE;
            self.pool.clear();
            self.free.clear();
        } else {
            self.best_d += k * PAGE;
        }
    }

    /// Shifts the window `pages` pages toward worse prices (pages before the best are
    /// empty), then takes in far-map levels the window now covers.
    fn shift_worse(&mut self, pages: usize) {
        let n = self.words.len();
        let k = pages.min(n);
        if k == 0 {
            return;
        }
        debug_assert!(self.best_d >= k * PAGE);
        self.words.copy_within(k..n, 0);
        self.slot_of.copy_within(k..n, 0);
        self.words[n - k..].fill(0);
        self.rebuild_summary();
        self.origin = self.origin.wrapping_add((k * PAGE) as i64);
        self.best_d -= k * PAGE;
        self.pull_far();
    }

    /// Replaces every level. Later duplicates of a price win; zero sizes are dropped.
    pub fn load(&mut self, levels: &[Level]) {
        self.words.fill(0);
        self.summary.fill(0);
        self.pool.clear();
        self.free.clear();
        self.far.clear();
        self.window_len = 0;
        self.best_d = NONE;
        self.best = None;

        let mask = self.mask;
        let keys = levels.iter().filter(|l| l.size != 0 && l.price > 0).map(|l| l.price ^ mask);
        let (Some(lo), Some(hi)) = (keys.clone().min(), keys.max()) else { return };
        // Smallest window (never smaller than the current one) covering the span after
        // its front headroom, within the cap.
        let span = i128::from(hi) - i128::from(lo);
        let mut pages = self.words.len().max(MIN_PAGES);
        while pages < MAX_PAGES && span + (pages * PAGE / 8 + PAGE) as i128 >= (pages * PAGE) as i128 {
            pages *= 2;
        }
        self.resize_window(pages);
        self.origin = (lo - self.headroom()) & !(PAGE as i64 - 1);

        let ticks = self.ticks() as i128;
        for l in levels {
            if l.price <= 0 {
                continue;
            }
            let key = l.price ^ mask;
            let d = i128::from(key) - i128::from(self.origin);
            if (0..ticks).contains(&d) {
                let d = d as usize;
                let (j, o) = (d / PAGE, d % PAGE);
                let occupied = self.words[j] & (1 << o) != 0;
                match (occupied, l.size) {
                    (true, 0) => self.remove_bit(j, 1 << o),
                    (true, s) => self.pool[self.slot_of[j] as usize][o] = s,
                    (false, 0) => {}
                    (false, s) => self.insert_bit(j, o, s),
                }
            } else if d >= ticks {
                if l.size == 0 {
                    self.far.remove(&key);
                } else {
                    self.far.insert(key, l.size);
                }
            }
            // d < 0: only zero sizes (lo is the smallest key with a size); nothing rests there.
        }
        self.best_d = self.next_page(0).map_or(NONE, |j| j * PAGE + self.words[j].trailing_zeros() as usize);
        self.settle_best();
    }

    #[inline]
    pub fn best(&self) -> Option<Level> {
        self.best
    }

    #[inline]
    pub fn size_at(&self, price: i64) -> i64 {
        if price <= 0 {
            return 0;
        }
        let key = price ^ self.mask;
        let d = key.wrapping_sub(self.origin) as u64;
        if d < self.ticks() as u64 {
            let d = d as usize;
            if self.words[d / PAGE] >> (d % PAGE) & 1 != 0 { self.size_in_window(d) } else { 0 }
        } else {
            self.far.get(&key).copied().unwrap_or(0)
        }
    }

    /// Levels from the touch outward.
    #[inline]
    pub fn best_first(&self) -> impl ExactSizeIterator<Item = Level> + '_ {
        let mut it = BestFirst {
            ladder: self,
            page: 0,
            bits: 0,
            sizes: &EMPTY_PAGE,
            base: 0,
            window_left: self.window_len,
            far: self.far.iter(),
        };
        if self.best_d != NONE {
            it.enter(self.best_d / PAGE);
        }
        it
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.window_len + self.far.len()
    }
}

/// Iterator behind [`Ladder::best_first`]: window pages by bit scan, then the far map.
struct BestFirst<'a> {
    ladder: &'a Ladder,
    /// Current window page, its occupied ticks not yet yielded, their sizes, and the key
    /// of its first tick.
    page: usize,
    bits: u64,
    sizes: &'a [i64; PAGE],
    base: i64,
    /// Window levels not yet yielded.
    window_left: usize,
    far: btree_map::Iter<'a, i64, i64>,
}

impl BestFirst<'_> {
    #[inline]
    fn enter(&mut self, page: usize) {
        let l = self.ladder;
        self.page = page;
        self.bits = l.words.get(page).copied().unwrap_or(0);
        let slot = l.slot_of.get(page).copied().unwrap_or(0) as usize;
        self.sizes = l.pool.get(slot).unwrap_or(&EMPTY_PAGE);
        self.base = l.origin.wrapping_add((page * PAGE) as i64);
    }

    /// Moves to the next occupied window page; false when the window is done.
    #[inline]
    fn advance(&mut self) -> bool {
        if self.window_left != 0 {
            if let Some(page) = self.ladder.next_page(self.page + 1) {
                self.enter(page);
                return self.bits != 0;
            }
            self.window_left = 0;
        }
        false
    }
}

impl Iterator for BestFirst<'_> {
    type Item = Level;

    #[inline(always)]
    fn next(&mut self) -> Option<Level> {
        if self.bits == 0 && !self.advance() {
            let (&key, &size) = self.far.next()?;
            return Some(Level::new(key ^ self.ladder.mask, size));
        }
        // Bits left in the page are window levels not yet yielded.
        let o = self.bits.trailing_zeros() as usize % PAGE;
        self.bits &= self.bits - 1;
        self.window_left = self.window_left.saturating_sub(1);
        Some(Level::new(self.base.wrapping_add(o as i64) ^ self.ladder.mask, self.sizes[o]))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.window_left + self.far.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for BestFirst<'_> {}

#[cfg(test)]
impl Ladder {
    /// Panics unless every internal invariant holds.
    fn check(&self) {
        let ticks = self.ticks() as i128;
        assert_eq!(self.words.len() % 64, 0);
        assert_eq!(self.summary.len() * 64, self.words.len());
        assert_eq!(self.origin % PAGE as i64, 0);
        let mut count = 0;
        // Every pool slot is either free or held by exactly one occupied page.
        let mut held = vec![false; self.pool.len()];
        for &f in &self.free {
            assert!(!std::mem::replace(&mut held[f as usize], true), "slot {f} freed twice");
        }
        for (j, &w) in self.words.iter().enumerate() {
            assert_eq!(self.summary[j / 64] >> (j % 64) & 1, u64::from(w != 0), "summary of page {j}");
            count += w.count_ones() as usize;
            if w != 0 {
                let slot = self.slot_of[j] as usize;
                assert!(!std::mem::replace(&mut held[slot], true), "slot {slot} shared or in use and free");
            }
        }
        assert_eq!(count, self.window_len);
        assert!(held.iter().all(|&h| h), "pool slots leaked");
        for (&k, &s) in &self.far {
            assert!(i128::from(k) - i128::from(self.origin) >= ticks, "far key {k} inside window");
            assert_ne!(s, 0);
        }
        assert!(self.window_len > 0 || self.far.is_empty(), "window empty, far map not");
        let first = self.next_page(0).map(|j| j * PAGE + self.words[j].trailing_zeros() as usize);
        assert_eq!(first.unwrap_or(NONE), self.best_d);
        // The best stays in the window's first half, so the window reaches past it.
        assert!(self.best_d == NONE || self.best_d < self.ticks() / 2, "best at depth {}", self.best_d);
        assert_eq!(self.best, first.map(|d| self.level_in_window(d)));
        assert!(self.best_first().all(|l| l.size != 0 && l.price > 0));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn prices(l: &Ladder) -> Vec<(i64, i64)> {
        l.best_first().map(|l| (l.price, l.size)).collect()
    }

    #[test]
    fn bids_are_best_first_descending() {
        let mut b = Ladder::new(Side::Buy);
        for (p, s) in [(100, 1), (102, 2), (101, 3), (99, 4)] {
            b.set(p, s);
        }
        assert_eq!(prices(&b), vec![(102, 2), (101, 3), (100, 1), (99, 4)]);
        b.set(102, 0);
        b.set(101, 7);
        b.set(500, 0);
        assert_eq!(prices(&b), vec![(101, 7), (100, 1), (99, 4)]);
        assert_eq!(b.size_at(100), 1);
        assert_eq!(b.size_at(98), 0);
        b.check();
    }

    #[test]
    fn asks_are_best_first_ascending() {
        let mut a = Ladder::new(Side::Sell);
        for (p, s) in [(105, 1), (103, 2), (104, 3), (110, 4)] {
            a.set(p, s);
        }
        assert_eq!(prices(&a), vec![(103, 2), (104, 3), (105, 1), (110, 4)]);
        assert_eq!(a.best(), Some(Level::new(103, 2)));
        a.check();
    }

    #[test]
    fn load_sorts_dedups_and_drops_zeros() {
        let mut a = Ladder::new(Side::Sell);
        a.load(&[Level::new(5, 1), Level::new(3, 2), Level::new(5, 9), Level::new(4, 0)]);
        assert_eq!(prices(&a), vec![(3, 2), (5, 9)]);
        a.check();
    }

    #[test]
    fn load_later_duplicate_wins_even_when_zero() {
        for side in [Side::Buy, Side::Sell] {
            let mut l = Ladder::new(side);
            l.set(77, 1);
            let far = 1 << 40;
            l.load(&[
                Level::new(10, 1),
                Level::new(10, 0), // removes the earlier 10 (the best ask)
                Level::new(12, 0),
                Level::new(12, 4), // re-adds 12
                Level::new(far, 3),
                Level::new(far, 0),
                Level::new(far + 1, 2),
                Level::new(11, 5),
                Level::new(11, 6),
            ]);
            l.check();
            let mut want = vec![(11, 6), (12, 4), (far + 1, 2)];
            if side == Side::Buy {
                want.reverse();
            }
            assert_eq!(prices(&l), want, "{side:?}");
            assert_eq!(l.size_at(77), 0);
            assert_eq!(l.len(), 3);
            l.load(&[Level::new(3, 0)]);
            assert_eq!((l.len(), l.best()), (0, None));
            l.check();
        }
    }

    #[test]
    fn sparse_levels_far_apart() {
        // Spot-like: a tiny tick, levels thousands to millions of ticks apart.
        let mut a = Ladder::new(Side::Sell);
        let base = 6_000_000;
        let ps: Vec<i64> = (0..200).map(|i| base + i * i * 997).collect();
        for (i, &p) in ps.iter().enumerate().rev() {
            a.set(p, i as i64 + 1);
        }
        a.check();
        assert_eq!(a.len(), 200);
        assert_eq!(prices(&a), ps.iter().enumerate().map(|(i, &p)| (p, i as i64 + 1)).collect::<Vec<_>>());
        for (i, &p) in ps.iter().enumerate() {
            assert_eq!(a.size_at(p), i as i64 + 1);
            assert_eq!(a.size_at(p + 1), 0);
        }
        assert_eq!(a.best_first().len(), 200);
        assert_eq!(a.best_first().skip(150).len(), 50);
    }

    #[test]
    fn removing_the_best_repeatedly_until_empty() {
        for side in [Side::Buy, Side::Sell] {
            let mut l = Ladder::new(side);
            let mut ps: Vec<i64> = (0..3000).map(|i| 1_000_000 + (i * 7919) % 5_000_000).collect();
            ps.sort_unstable();
            ps.dedup();
            for &p in &ps {
                l.set(p, 1);
            }
            l.check();
            let mut order = ps.clone();
            if side == Side::Buy {
                order.reverse();
            }
            for (n, &p) in order.iter().enumerate() {
                assert_eq!(l.best(), Some(Level::new(p, 1)), "{side:?} step {n}");
                assert_eq!(l.len(), order.len() - n);
                l.set(p, 0);
                if n % 97 == 0 {
                    l.check();
                }
            }
            assert_eq!((l.best(), l.len(), l.best_first().next()), (None, 0, None));
            l.check();
            // Usable again afterwards, anywhere.
            l.set(42, 9);
            assert_eq!(l.best(), Some(Level::new(42, 9)));
            l.check();
        }
    }

    #[test]
    fn recentres_after_big_price_moves() {
        for side in [Side::Buy, Side::Sell] {
            let mut l = Ladder::new(side);
            let mut reference = BTreeMap::new();
            // A dense book around 1e9 that walks 10^7 ticks one way, then back, then jumps.
            let mut mid: i64 = 1_000_000_000;
            for step in 0..4000 {
                let dir = if step < 2000 { 1 } else { -1 };
                mid += dir * 5000;
                if step == 3000 {
                    mid = 1 << 45;
                }
                if step == 3500 {
                    mid = 3_000_000;
                }
                for k in 0..5 {
                    let p = mid + if side == Side::Sell { k * 3 } else { -k * 3 };
                    l.set(p, k + 1);
                    reference.insert(p, k + 1);
                }
                // The stale side of the book is cleared, as a real venue would.
                let stale: Vec<i64> = match side {
                    Side::Sell => reference.range(..mid).map(|(&p, _)| p).collect(),
                    Side::Buy => reference.range(mid + 1..).map(|(&p, _)| p).collect(),
                };
                for p in stale.into_iter().take(7) {
                    l.set(p, 0);
                    reference.remove(&p);
                }
                if step % 50 == 0 {
                    l.check();
                    let want: Vec<(i64, i64)> = match side {
                        Side::Sell => reference.iter().map(|(&p, &s)| (p, s)).collect(),
                        Side::Buy => reference.iter().rev().map(|(&p, &s)| (p, s)).collect(),
                    };
                    assert_eq!(prices(&l), want, "{side:?} step {step}");
                }
            }
            l.check();
        }
    }

    #[test]
    fn emptied_window_refills_deep_inside() {
        for side in [Side::Buy, Side::Sell] {
            let mut l = Ladder::new(side);
            l.set(100_000, 1);
            l.set(100_000, 0);
            // Lands inside the old window, far from its start: the window re-centres.
            let p = if side == Side::Sell { 103_500 } else { 96_500 };
            l.set(p, 2);
            l.check();
            l.set(p + 1, 3);
            l.set(p - 1, 4);
            l.check();
            assert_eq!(l.len(), 3);
            assert_eq!(l.best().map(|b| b.price), Some(if side == Side::Sell { p - 1 } else { p + 1 }));
        }
    }

    #[test]
    fn far_map_levels_follow_window_levels_in_order() {
        let mut b = Ladder::new(Side::Buy);
        let top = 1i64 << 40;
        // Window levels near the touch, far-map levels millions of ticks below, and a few
        // beyond the cap in between, inserted in scrambled order.
        let ps = [top, top - 1, top - 70, top - 5_000, top - 3_000_000, top - 9_000_000, top - 2_000_000, 1, 2, 64];
        for &p in ps.iter().rev() {
            b.set(p, p % 1000 + 1);
        }
        b.check();
        let mut want: Vec<i64> = ps.to_vec();
        want.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(prices(&b).iter().map(|&(p, _)| p).collect::<Vec<_>>(), want);
        // A new best far above everything: the window shifts, the rest spills to the far map.
        b.set(top + 50_000_000, 1);
        b.check();
        assert_eq!(b.best(), Some(Level::new(top + 50_000_000, 1)));
        want.insert(0, top + 50_000_000);
        assert_eq!(prices(&b).iter().map(|&(p, _)| p).collect::<Vec<_>>(), want);
        // Removing it re-centres on the far map.
        b.set(top + 50_000_000, 0);
        b.check();
        want.remove(0);
        assert_eq!(prices(&b).iter().map(|&(p, _)| p).collect::<Vec<_>>(), want);
        for &p in &want {
            assert_eq!(b.size_at(p), p % 1000 + 1);
        }
    }

    #[test]
    fn extreme_prices_do_not_overflow() {
        for side in [Side::Buy, Side::Sell] {
            let mut l = Ladder::new(side);
            for p in [i64::MAX, 1, i64::MAX - 1, 2, 1 << 62, i64::MAX - 5000, 4000, (1 << 62) + 1] {
                l.set(p, 3);
                l.check();
            }
            assert_eq!(l.len(), 8);
            assert_eq!(l.best().map(|b| b.price), Some(if side == Side::Buy { i64::MAX } else { 1 }));
            // Invalid prices are ignored and read as empty.
            for p in [0, -1, i64::MIN] {
                l.set(p, 5);
                assert_eq!(l.size_at(p), 0);
            }
            assert_eq!(l.len(), 8);
            for p in [i64::MAX, 1, 2, i64::MAX - 1] {
                l.set(p, 0);
                l.check();
            }
            assert_eq!(l.len(), 4);
            l.load(&[Level::new(i64::MAX, 1), Level::new(1, 2), Level::new(0, 3), Level::new(-4, 1)]);
            l.check();
            assert_eq!(l.len(), 2);
        }
    }

    // ---- property test against a BTreeMap reference ----

    #[derive(Clone, Debug)]
    enum Op {
        Set(i64, i64),
        Load(Vec<(i64, i64)>),
    }

    fn price() -> impl Strategy<Value = i64> {
        const G: i64 = 1_000_000_000;
        prop_oneof![
            4 => 1i64..=10,
            6 => G..G + 100,
            3 => G - 3_000_000..G + 3_000_000,
            2 => G - 70_000..G + 70_000,
            1 => (1i64 << 40)..(1i64 << 40) + 5,
            1 => i64::MAX - 3..=i64::MAX,
            1 => 1i64..=i64::MAX,
        ]
    }

    fn size() -> impl Strategy<Value = i64> {
        prop_oneof![2 => Just(0i64), 3 => 1i64..1000]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            20 => (price(), size()).prop_map(|(p, s)| Op::Set(p, s)),
            1 => prop::collection::vec((price(), size()), 0..40).prop_map(Op::Load),
        ]
    }

    fn expect(side: Side, m: &BTreeMap<i64, i64>) -> Vec<(i64, i64)> {
        match side {
            Side::Sell => m.iter().map(|(&p, &s)| (p, s)).collect(),
            Side::Buy => m.iter().rev().map(|(&p, &s)| (p, s)).collect(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

        #[test]
        fn ladder_matches_a_btreemap(bid in any::<bool>(), ops in prop::collection::vec(op(), 1..120)) {
            let side = if bid { Side::Buy } else { Side::Sell };
            let mut l = Ladder::new(side);
            let mut m: BTreeMap<i64, i64> = BTreeMap::new();
            for op in &ops {
                match op {
                    &Op::Set(p, s) => {
                        l.set(p, s);
                        if s == 0 { m.remove(&p); } else { m.insert(p, s); }
                        prop_assert_eq!(l.size_at(p), s);
                    }
                    Op::Load(levels) => {
                        let ls: Vec<Level> = levels.iter().map(|&(p, s)| Level::new(p, s)).collect();
                        l.load(&ls);
                        m.clear();
                        for &(p, s) in levels {
                            if s == 0 { m.remove(&p); } else { m.insert(p, s); }
                        }
                    }
                }
                l.check();
                let want = expect(side, &m);
                prop_assert_eq!(l.len(), want.len());
                prop_assert_eq!(l.best(), want.first().map(|&(p, s)| Level::new(p, s)));
                let it = l.best_first();
                prop_assert_eq!(it.len(), want.len());
                prop_assert_eq!(it.map(|x| (x.price, x.size)).collect::<Vec<_>>(), want);
                for (&p, &s) in m.iter().take(20) {
                    prop_assert_eq!(l.size_at(p), s);
                    if let Some(q) = p.checked_add(1) {
                        prop_assert_eq!(l.size_at(q), m.get(&q).copied().unwrap_or(0));
                    }
                }
            }
        }
    }

    proptest! {
        // Wide windows make each step's full invariant check cost O(2^14 pages).
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn ladder_matches_a_btreemap_as_the_price_walks(
            bid in any::<bool>(),
            steps in prop::collection::vec((-400_000i64..400_000, -3_000i64..3_000, 0i64..3), 1..300),
        ) {
            // A market drifting by up to 4e5 ticks a step, updated around its mid: exercises
            // growth, shifts both ways and re-centring far more than the recordings do.
            let side = if bid { Side::Buy } else { Side::Sell };
            let mut l = Ladder::new(side);
            let mut m: BTreeMap<i64, i64> = BTreeMap::new();
            let mut mid: i64 = 5_000_000;
            for (i, &(step, off, size)) in steps.iter().enumerate() {
                mid = (mid + step / (1 + i as i64 % 7)).max(4_000);
                let p = mid + off;
                l.set(p, size);
                if size == 0 { m.remove(&p); } else { m.insert(p, size); }
                // Clear a stale level on the wrong side of the mid, as a venue would.
                let stale = match side {
                    Side::Sell => m.range(..mid - 3_000).next().map(|(&p, _)| p),
                    Side::Buy => m.range(mid + 3_000..).next().map(|(&p, _)| p),
                };
                if let Some(q) = stale {
                    l.set(q, 0);
                    m.remove(&q);
                }
                l.check();
                prop_assert_eq!(l.best_first().map(|x| (x.price, x.size)).collect::<Vec<_>>(), expect(side, &m));
            }
        }
    }
}
