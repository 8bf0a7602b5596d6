//! FIFO profit and loss: exact, in [`Money`] units.
//!
//! Every fill either opens lots (same side as the position, or from flat) or closes the oldest
//! open lots first (first in, first out). Closing `q` lots bought at `b` with a sale at `s`
//! realises `(s − b) × q × 10⁶` money units (the reverse for a short); nothing is divided, so
//! there is no rounding. What is left open is marked at the mid in half-ticks:
//! `(bid + ask − 2·entry) × lots × 500 000` units, again exact (one half-tick × lot is
//! 500 000 units).

use std::collections::VecDeque;

use crate::book::Side;
use crate::sim::{MONEY_PER_TICK_LOT, Money};

/// Money units per half-tick × lot.
pub const MONEY_PER_HALF_TICK_LOT: Money = MONEY_PER_TICK_LOT / 2;

/// Open lots in entry order, all of one sign (the position's), and the realised P&L so far.
#[derive(Clone, Debug, Default)]
pub struct FifoLedger {
    /// `(entry price in ticks, lots)`, lots > 0; long if `position > 0`, short if `< 0`.
    open: VecDeque<(i64, i64)>,
    position: i64,
    realised: Money,
}

impl FifoLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Signed position in lots (positive = long).
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Realised P&L before fees.
    pub fn realised(&self) -> Money {
        self.realised
    }

    /// Books one fill of `lots > 0` at `price` ticks.
    pub fn apply(&mut self, side: Side, price: i64, lots: i64) {
        let dir: i64 = match side {
            Side::Bid => 1,
            Side::Ask => -1,
        };
        let mut left = lots;
        // Close against the oldest open lots while the fill opposes the position.
        while left > 0 && self.position != 0 && self.position.signum() != dir {
            let front = self.open.front_mut().expect("open lots match the position");
            let q = left.min(front.1);
            // Long closed by a sale: (price − entry); short closed by a purchase: (entry − price).
            let per_lot = if dir < 0 { price - front.0 } else { front.0 - price };
            self.realised += i128::from(per_lot) * i128::from(q) * MONEY_PER_TICK_LOT;
            front.1 -= q;
            if front.1 == 0 {
                self.open.pop_front();
            }
            self.position += dir * q;
            left -= q;
        }
        if left > 0 {
            self.open.push_back((price, left));
            self.position += dir * left;
        }
    }

    /// Unrealised P&L of the open lots marked at the mid `mid2 / 2` ticks (`mid2 = bid + ask`).
    pub fn unrealised_at_mid2(&self, mid2: i64) -> Money {
        let sign = i128::from(self.position.signum());
        self.open
            .iter()
            .map(|&(entry, q)| (i128::from(mid2) - 2 * i128::from(entry)) * i128::from(q) * sign)
            .sum::<i128>()
            * MONEY_PER_HALF_TICK_LOT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_closes_oldest_first_and_flips() {
        let mut l = FifoLedger::new();
        l.apply(Side::Bid, 100, 2); // long 2 @100
        l.apply(Side::Bid, 104, 1); // long 2 @100, 1 @104
        l.apply(Side::Ask, 103, 3); // closes 2 @100 (+3 each) and 1 @104 (−1): +5 ticks·lots
        assert_eq!(l.position(), 0);
        assert_eq!(l.realised(), 5 * MONEY_PER_TICK_LOT);
        l.apply(Side::Ask, 110, 1); // short 1 @110
        l.apply(Side::Bid, 108, 3); // closes short (+2), opens long 2 @108
        assert_eq!(l.position(), 2);
        assert_eq!(l.realised(), 7 * MONEY_PER_TICK_LOT);
        // Mid 108.5 (bid 108, ask 109): 2 lots × 0.5 tick = 1 tick·lot.
        assert_eq!(l.unrealised_at_mid2(217), MONEY_PER_TICK_LOT);
        // Short marked: short 1 @110 at mid 109 → +1 tick·lot.
        let mut s = FifoLedger::new();
        s.apply(Side::Ask, 110, 1);
        assert_eq!(s.unrealised_at_mid2(218), MONEY_PER_TICK_LOT);
    }
}
