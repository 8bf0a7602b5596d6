//! One side of an L2 book: levels kept sorted worst-to-best in a `Vec`, so the touch is
//! at the end. Venue updates cluster near the touch, so inserts and removals move few
//! elements, and the whole side stays in one cache-friendly allocation.

use super::{Level, Side};

#[derive(Clone, Debug)]
pub(crate) struct Ladder {
    side: Side,
    levels: Vec<Level>,
}

impl Ladder {
    pub fn new(side: Side) -> Self {
        Self { side, levels: Vec::with_capacity(1024) }
    }

    /// Sort key that grows toward the touch: bids by price, asks by negated price.
    #[inline]
    fn key(&self, price: i64) -> i64 {
        match self.side {
            Side::Bid => price,
            Side::Ask => -price,
        }
    }

    #[inline]
    fn find(&self, price: i64) -> Result<usize, usize> {
        let key = self.key(price);
        // Most updates touch the last few levels: probe the touch before bisecting.
        let n = self.levels.len();
        if n > 0 {
            let best = self.key(self.levels[n - 1].price);
            if key > best {
                return Err(n);
            }
            if key == best {
                return Ok(n - 1);
            }
        }
        self.levels.binary_search_by(|l| self.key(l.price).cmp(&key))
    }

    /// Sets the size at `price`; a size of 0 removes the level. The caller validated it.
    #[inline]
    pub fn set(&mut self, price: i64, size: i64) {
        match (self.find(price), size) {
            (Ok(i), 0) => {
                self.levels.remove(i);
            }
            (Ok(i), s) => self.levels[i].size = s,
            (Err(_), 0) => {}
            (Err(i), s) => self.levels.insert(i, Level::new(price, s)),
        }
    }

    /// Replaces every level. Later duplicates of a price win; zero sizes are dropped.
    pub fn load(&mut self, levels: &[Level]) {
        self.levels.clear();
        self.levels.extend(levels.iter().rev().copied());
        let side = self.side;
        let key = move |p: i64| if side == Side::Bid { p } else { -p };
        // Stable sort keeps the later duplicate first (input was reversed), dedup keeps it.
        self.levels.sort_by_key(|l| key(l.price));
        self.levels.dedup_by_key(|l| l.price);
        self.levels.retain(|l| l.size != 0);
    }

    #[inline]
    pub fn best(&self) -> Option<Level> {
        self.levels.last().copied()
    }

    pub fn size_at(&self, price: i64) -> i64 {
        self.find(price).map_or(0, |i| self.levels[i].size)
    }

    /// Levels from the touch outward.
    pub fn best_first(&self) -> impl ExactSizeIterator<Item = Level> + '_ {
        self.levels.iter().rev().copied()
    }

    pub fn len(&self) -> usize {
        self.levels.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices(l: &Ladder) -> Vec<(i64, i64)> {
        l.best_first().map(|l| (l.price, l.size)).collect()
    }

    #[test]
    fn bids_are_best_first_descending() {
        let mut b = Ladder::new(Side::Bid);
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
    }

    #[test]
    fn asks_are_best_first_ascending() {
        let mut a = Ladder::new(Side::Ask);
        for (p, s) in [(105, 1), (103, 2), (104, 3), (110, 4)] {
            a.set(p, s);
        }
        assert_eq!(prices(&a), vec![(103, 2), (104, 3), (105, 1), (110, 4)]);
        assert_eq!(a.best(), Some(Level::new(103, 2)));
    }

    #[test]
    fn load_sorts_dedups_and_drops_zeros() {
        let mut a = Ladder::new(Side::Ask);
        a.load(&[Level::new(5, 1), Level::new(3, 2), Level::new(5, 9), Level::new(4, 0)]);
        assert_eq!(prices(&a), vec![(3, 2), (5, 9)]);
    }
}
