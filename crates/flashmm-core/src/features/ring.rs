//! A FIFO ring addressed by absolute sequence numbers, for time windows over events.
//!
//! Capacity is a power of two fixed at construction; a push into a full ring doubles it
//! (one allocation and copy, counted in [`Ring::growths`]). The engine sizes its rings so
//! that 30 s of the busiest recorded market fit many times over: in steady state nothing
//! is allocated.

#[derive(Clone, Debug)]
pub(crate) struct Ring<T> {
    buf: Vec<T>,
    mask: usize,
    /// Absolute index of the oldest entry kept.
    head: u64,
    /// Absolute index one past the newest entry.
    end: u64,
    growths: u32,
}

impl<T: Copy + Default> Ring<T> {
    pub fn with_capacity_pow2(log2: u32) -> Self {
        let cap = 1usize << log2;
        Self { buf: vec![T::default(); cap], mask: cap - 1, head: 0, end: 0, growths: 0 }
    }

    #[inline]
    pub fn push(&mut self, x: T) {
        if (self.end - self.head) as usize == self.buf.len() {
            self.grow();
        }
        self.buf[self.end as usize & self.mask] = x;
        self.end += 1;
    }

    #[cold]
    fn grow(&mut self) {
        let cap = self.buf.len() * 2;
        let mut buf = vec![T::default(); cap];
        for i in self.head..self.end {
            buf[i as usize & (cap - 1)] = self.buf[i as usize & self.mask];
        }
        self.buf = buf;
        self.mask = cap - 1;
        self.growths += 1;
    }

    /// The entry at absolute index `i`; `head() <= i < end()`.
    #[inline]
    pub fn get(&self, i: u64) -> &T {
        debug_assert!(self.head <= i && i < self.end, "ring index {i} outside {}..{}", self.head, self.end);
        &self.buf[i as usize & self.mask]
    }

    #[inline]
    pub fn last(&self) -> Option<&T> {
        (self.end > self.head).then(|| self.get(self.end - 1))
    }

    #[inline]
    pub fn end(&self) -> u64 {
        self.end
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.end == self.head
    }

    /// Forgets entries before absolute index `i`.
    #[inline]
    pub fn drop_before(&mut self, i: u64) {
        if i > self.head {
            self.head = i.min(self.end);
        }
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.end = 0;
    }

    pub fn growths(&self) -> u32 {
        self.growths
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        (self.end - self.head) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_keeping_order_and_indices() {
        let mut r: Ring<u64> = Ring::with_capacity_pow2(2);
        for i in 0..3 {
            r.push(i);
        }
        r.drop_before(2);
        for i in 3..20 {
            r.push(i);
        }
        assert_eq!(r.len(), 18);
        assert!(r.growths() >= 2);
        for i in 2..20 {
            assert_eq!(*r.get(i), i);
        }
        assert_eq!(r.last(), Some(&19));
        r.drop_before(100);
        assert!(r.is_empty());
    }
}
