//! Our resting orders, by id and by price, so the public book can be seen net of them.

use std::collections::HashMap;

use super::Side;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnOrder {
    pub id: u64,
    pub side: Side,
    pub price: i64,
    /// Remaining size in lots.
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnOrderError {
    #[error("own order {0} already exists")]
    Duplicate(u64),
    #[error("own order {0} would make our size at its price overflow")]
    TooLarge(u64),
    #[error("own order {0} is unknown")]
    Unknown(u64),
    #[error("own order {id}: {what} must be positive, got {value}")]
    NotPositive { id: u64, what: &'static str, value: i64 },
    #[error("own order {id}: fill of {fill} lots exceeds the remaining {remaining}")]
    Overfill { id: u64, fill: i64, remaining: i64 },
}

#[derive(Clone, Debug, Default)]
pub struct OwnOrders {
    orders: HashMap<u64, OwnOrder>,
    /// Total remaining lots per (side, price).
    at_price: HashMap<(Side, i64), i64>,
}

impl OwnOrders {
    pub fn add(&mut self, order: OwnOrder) -> Result<(), OwnOrderError> {
        for (what, value) in [("price", order.price), ("size", order.size)] {
            if value <= 0 {
                return Err(OwnOrderError::NotPositive { id: order.id, what, value });
            }
        }
        if self.orders.contains_key(&order.id) {
            return Err(OwnOrderError::Duplicate(order.id));
        }
        let total = self.at_price.entry((order.side, order.price)).or_insert(0);
        *total = total.checked_add(order.size).ok_or(OwnOrderError::TooLarge(order.id))?;
        self.orders.insert(order.id, order);
        Ok(())
    }

    pub fn remove(&mut self, id: u64) -> Result<OwnOrder, OwnOrderError> {
        let order = self.orders.remove(&id).ok_or(OwnOrderError::Unknown(id))?;
        self.reduce_level(order.side, order.price, order.size);
        Ok(order)
    }

    /// Records a fill; returns the remaining size. A fully filled order is removed.
    pub fn fill(&mut self, id: u64, lots: i64) -> Result<i64, OwnOrderError> {
        let order = self.orders.get_mut(&id).ok_or(OwnOrderError::Unknown(id))?;
        if lots <= 0 {
            return Err(OwnOrderError::NotPositive { id, what: "fill", value: lots });
        }
        if lots > order.size {
            return Err(OwnOrderError::Overfill { id, fill: lots, remaining: order.size });
        }
        order.size -= lots;
        let (side, price, remaining) = (order.side, order.price, order.size);
        if remaining == 0 {
            self.orders.remove(&id);
        }
        self.reduce_level(side, price, lots);
        Ok(remaining)
    }

    fn reduce_level(&mut self, side: Side, price: i64, lots: i64) {
        if let Some(total) = self.at_price.get_mut(&(side, price)) {
            *total -= lots;
            if *total <= 0 {
                self.at_price.remove(&(side, price));
            }
        }
    }

    pub fn get(&self, id: u64) -> Option<&OwnOrder> {
        self.orders.get(&id)
    }

    /// Our total remaining lots at a price.
    pub fn size_at(&self, side: Side, price: i64) -> i64 {
        self.at_price.get(&(side, price)).copied().unwrap_or(0)
    }

    /// Orders sorted by side, then best price first, then id (deterministic).
    pub fn sorted(&self) -> Vec<OwnOrder> {
        let mut v: Vec<OwnOrder> = self.orders.values().copied().collect();
        v.sort_by_key(|o| (o.side as u8, if o.side == Side::Buy { -o.price } else { o.price }, o.id));
        v
    }

    pub fn levels(&self) -> impl Iterator<Item = (Side, i64, i64)> + '_ {
        self.at_price.iter().map(|(&(side, price), &size)| (side, price, size))
    }

    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    pub fn clear(&mut self) {
        self.orders.clear();
        self.at_price.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64, side: Side, price: i64, size: i64) -> OwnOrder {
        OwnOrder { id, side, price, size }
    }

    #[test]
    fn tracks_orders_by_id_and_price() {
        let mut own = OwnOrders::default();
        own.add(order(1, Side::Buy, 100, 5)).unwrap();
        own.add(order(2, Side::Buy, 100, 3)).unwrap();
        own.add(order(3, Side::Sell, 101, 4)).unwrap();
        assert_eq!(own.size_at(Side::Buy, 100), 8);
        assert_eq!(own.fill(1, 2), Ok(3));
        assert_eq!(own.size_at(Side::Buy, 100), 6);
        assert_eq!(own.fill(1, 3), Ok(0));
        assert!(own.get(1).is_none());
        assert_eq!(own.remove(2).unwrap().size, 3);
        assert_eq!(own.size_at(Side::Buy, 100), 0);
        assert_eq!(own.len(), 1);
    }

    #[test]
    fn rejects_bad_operations() {
        let mut own = OwnOrders::default();
        own.add(order(1, Side::Sell, 100, 5)).unwrap();
        assert_eq!(own.add(order(1, Side::Sell, 100, 5)), Err(OwnOrderError::Duplicate(1)));
        assert!(matches!(own.add(order(2, Side::Sell, 0, 5)), Err(OwnOrderError::NotPositive { .. })));
        assert!(matches!(own.add(order(2, Side::Sell, 10, -1)), Err(OwnOrderError::NotPositive { .. })));
        assert_eq!(own.fill(1, 6), Err(OwnOrderError::Overfill { id: 1, fill: 6, remaining: 5 }));
        assert_eq!(own.fill(9, 1), Err(OwnOrderError::Unknown(9)));
        assert_eq!(own.remove(9), Err(OwnOrderError::Unknown(9)));
        assert_eq!(own.size_at(Side::Sell, 100), 5);
    }
}
