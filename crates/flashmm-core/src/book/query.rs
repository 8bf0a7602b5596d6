//! Read-only questions a strategy asks of a book. Prices in ticks, sizes in lots;
//! derived prices (mid, micro-price, average fill) are `f64` ticks.

use super::l2::L2Book;
use super::own::{OwnOrder, OwnOrderError, OwnOrders};
use super::{Level, Side};

/// Resting size within a band around the mid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DepthWithin {
    pub bid: i64,
    pub ask: i64,
}

impl L2Book {
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    pub fn best(&self, side: Side) -> Option<Level> {
        self.ladder(side).best()
    }

    fn touch(&self) -> Option<(Level, Level)> {
        Some((self.bids.best()?, self.asks.best()?))
    }

    pub fn spread(&self) -> Option<i64> {
        self.touch().map(|(b, a)| a.price - b.price)
    }

    pub fn mid(&self) -> Option<f64> {
        self.touch().map(|(b, a)| (b.price + a.price) as f64 / 2.0)
    }

    /// Size-weighted mid: leans toward the side with less resting size.
    pub fn micro_price(&self) -> Option<f64> {
        let (b, a) = self.touch()?;
        let (bs, asz) = (b.size as f64, a.size as f64);
        Some((b.price as f64 * asz + a.price as f64 * bs) / (bs + asz))
    }

    /// Up to `n` levels from the touch outward.
    pub fn top_levels(&self, side: Side, n: usize) -> impl Iterator<Item = Level> + '_ {
        self.ladder(side).best_first().take(n)
    }

    pub fn level_count(&self, side: Side) -> usize {
        self.ladder(side).len()
    }

    pub fn size_at(&self, side: Side, price: i64) -> i64 {
        self.ladder(side).size_at(price)
    }

    /// Total size on each side priced within `bps` basis points of the mid (inclusive).
    pub fn depth_within_bps(&self, bps: f64) -> Option<DepthWithin> {
        if !(bps.is_finite() && bps >= 0.0) {
            return None;
        }
        let mid = self.mid()?;
        let band = mid * bps / 10_000.0;
        let sum = |side: Side, inside: &dyn Fn(f64) -> bool| -> i64 {
            self.ladder(side)
                .best_first()
                .take_while(|l| inside(l.price as f64))
                .fold(0i64, |acc, l| acc.saturating_add(l.size))
        };
        Some(DepthWithin { bid: sum(Side::Buy, &|p| p >= mid - band), ask: sum(Side::Sell, &|p| p <= mid + band) })
    }

    /// Average price (ticks) of an order on `side` (`Buy` takes asks) for `lots`,
    /// walking the book; `None` if the book cannot fill it.
    pub fn average_fill_price(&self, side: Side, lots: i64) -> Option<f64> {
        if lots <= 0 {
            return None;
        }
        let mut left = lots;
        let mut notional: i128 = 0;
        for l in self.ladder(side.opposite()).best_first() {
            let take = left.min(l.size);
            notional += i128::from(take) * i128::from(l.price);
            left -= take;
            if left == 0 {
                return Some(notional as f64 / lots as f64);
            }
        }
        None
    }

    /// (bid size − ask size) / (bid size + ask size) over the top `n` levels, in [-1, 1].
    pub fn imbalance(&self, n: usize) -> Option<f64> {
        // i128: sums of many huge levels must not overflow.
        let bid: i128 = self.top_levels(Side::Buy, n).map(|l| i128::from(l.size)).sum();
        let ask: i128 = self.top_levels(Side::Sell, n).map(|l| i128::from(l.size)).sum();
        let total = bid + ask;
        (total > 0).then(|| (bid - ask) as f64 / total as f64)
    }

    // ---- own orders and the public book net of them ----

    pub fn own_orders(&self) -> &OwnOrders {
        &self.own
    }

    pub fn add_own_order(&mut self, order: OwnOrder) -> Result<(), OwnOrderError> {
        self.own.add(order)
    }

    pub fn remove_own_order(&mut self, id: u64) -> Result<OwnOrder, OwnOrderError> {
        self.own.remove(id)
    }

    pub fn fill_own_order(&mut self, id: u64, lots: i64) -> Result<i64, OwnOrderError> {
        self.own.fill(id, lots)
    }

    /// Our size the public book shows at a price: never more than the public size there.
    pub fn own_size_at(&self, side: Side, price: i64) -> i64 {
        self.own.size_at(side, price).min(self.size_at(side, price))
    }

    /// Public size at a price excluding ours.
    pub fn net_size_at(&self, side: Side, price: i64) -> i64 {
        self.size_at(side, price) - self.own_size_at(side, price)
    }

    /// Up to `n` levels of other participants' liquidity, skipping levels that are all ours.
    pub fn net_top_levels(&self, side: Side, n: usize) -> Vec<Level> {
        self.ladder(side)
            .best_first()
            .map(|l| Level::new(l.price, l.size - self.own.size_at(side, l.price).min(l.size)))
            .filter(|l| l.size > 0)
            .take(n)
            .collect()
    }

    /// Prices where we think we rest more than the venue shows: our orders there were
    /// filled or cancelled without our knowing, so the order manager must reconcile.
    pub fn own_overhang(&self) -> Vec<(Side, i64, i64)> {
        let mut v: Vec<(Side, i64, i64)> = self
            .own
            .levels()
            .filter_map(|(side, price, own)| {
                let excess = own - self.size_at(side, price);
                (excess > 0).then_some((side, price, excess))
            })
            .collect();
        v.sort_unstable_by_key(|&(s, p, _)| (s as u8, p));
        v
    }
}
