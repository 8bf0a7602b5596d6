//! Sei's order matching, as the `seiprotocol.seichain.dex` module of sei-chain v5.5.x runs it at
//! the end of every block, for one pair, in ticks and lots: the one home of that rule in the
//! core. [`SeiBlockBook`] holds every account's resting limit orders; orders and cancels sent
//! during a block are held and applied at [`SeiBlockBook::end_block`] in the chain's order
//! (`x/dex/contract/execution.go`, `ExecutePair`):
//!
//! 1. **Cancels**, in the order sent (a cancel of an order not resting is ignored, as on the
//!    chain: an order placed in the same block is not in the book yet).
//! 2. **New limit orders** join the book, buys then sells, each at the back of its price level
//!    (allocations in FIFO order).
//! 3. **Market orders**, buys then sells, the ones without a worst price first, then by worst
//!    price, best first (`GetSortedMarketOrders`); each walks the opposite side best level
//!    first up to its worst price, and takes each level's orders in FIFO order. Makers settle
//!    at their own price. Every taker settlement of one side in the block gets that side's
//!    **clearing price**: the volume-weighted price of all its market fills in the block
//!    (`totalPrice / totalExecuted`, an `sdk.Dec` quotient). What a market order could not fill
//!    is cancelled at the block's end.
//! 4. **Crossing limit orders**: while the best bid level is at or above the best ask level, the
//!    smaller of the two levels' quantities executes, both sides in FIFO order, paired off
//!    order by order, at the **midpoint** of the two levels' prices (exact to half a tick).
//!
//! The module has no self-trade prevention and no post-only orders. Differences from the chain,
//! all outside what the daemon sends: prices and sizes are whole ticks and lots (the chain's
//! tick checks already require that), and several market orders of one side **without** a worst
//! price in one block keep their sending order here (the chain's comparator is not a strict
//! order for them, so Go's sort decides).

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::book::Side;
use crate::money::FillPrice;
use crate::spec::Quantum;

/// Who sent an order (the chain's bech32 account, numbered by the host).
pub type AccountId = u32;
/// The chain's order id.
pub type SeiOrderId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeiOrderType {
    Limit,
    Market,
}

impl SeiOrderType {
    /// As `GetMatchResult` spells it.
    pub fn name(self) -> &'static str {
        match self {
            SeiOrderType::Limit => "Limit",
            SeiOrderType::Market => "Market",
        }
    }
}

/// One order sent to the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeiOrder {
    pub id: SeiOrderId,
    pub account: AccountId,
    pub side: Side,
    pub lots: i64,
    pub order_type: SeiOrderType,
    /// Ticks: the limit of a limit order; the worst price of a market order (`None`: any; the
    /// chain's price 0).
    pub price: Option<i64>,
}

/// An execution price: exact to half a tick, or a block's clearing price of market orders kept
/// as the exact fraction `notional / lots` ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettlePrice {
    Fill(FillPrice),
    Clearing { notional: i128, lots: i64 },
}

impl SettlePrice {
    /// The price when it is a whole or half tick.
    pub fn fill_price(self) -> Option<FillPrice> {
        match self {
            SettlePrice::Fill(p) => Some(p),
            SettlePrice::Clearing { notional, lots } => {
                let twice = notional.checked_mul(2)?;
                let half = (twice % i128::from(lots) == 0).then(|| twice / i128::from(lots))?;
                i64::try_from(half).ok().map(FillPrice::half_ticks)
            }
        }
    }

    /// The price as the chain writes it (`sdk.Dec`, 18 decimals of the quote currency) for a
    /// tick of `tick_atto` × 10⁻¹⁸: a clearing price is `Dec.Quo` of two Decs, which truncates
    /// the quotient at 36 decimals, then rounds half to even at 18. Returns the scaled integer
    /// (`None` on overflow, far beyond any market).
    pub fn dec_atto(self, tick_atto: i128) -> Option<i128> {
        let (num, den) = match self {
            SettlePrice::Fill(p) => (i128::from(p.as_half_ticks()).checked_mul(tick_atto)?, 2),
            SettlePrice::Clearing { notional, lots } => (notional.checked_mul(tick_atto)?, i128::from(lots)),
        };
        const ATTO: i128 = 1_000_000_000_000_000_000;
        let (whole, rem) = (num.div_euclid(den), num.rem_euclid(den));
        let frac = rem.checked_mul(ATTO)? / den; // the 18 digits below, truncated
        let up = frac > ATTO / 2 || (frac == ATTO / 2 && whole % 2 == 1);
        Some(whole + i128::from(up))
    }
}

/// A tick as an `sdk.Dec` scaled by 10¹⁸ (`None` past 18 decimals).
pub fn tick_atto(tick: &Quantum) -> Option<i128> {
    let pow = 18u32.checked_sub(tick.scale())?;
    i128::from(tick.mantissa()).checked_mul(10i128.checked_pow(pow)?)
}

/// One settlement of a block, as `GetMatchResult` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settlement {
    pub order_id: SeiOrderId,
    pub account: AccountId,
    pub side: Side,
    pub lots: i64,
    pub order_type: SeiOrderType,
    /// What the chain reports (`executionCostOrProceed`).
    pub price: SettlePrice,
    /// Where it executed: the midpoint of two crossing limits, the maker's price on both sides
    /// of a market fill (a taker's `price` is the block's clearing price instead).
    pub exec: FillPrice,
}

/// What one block did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockOutcome {
    /// In the chain's order: market buys' makers then takers, market sells' likewise, then the
    /// crossing limit orders in (long, short) pairs.
    pub settlements: Vec<Settlement>,
    /// Resting orders the block's cancels removed, with their lots left.
    pub cancelled: Vec<(SeiOrderId, i64)>,
    /// Market orders' unfilled lots, cancelled at the block's end.
    pub unfilled: Vec<(SeiOrderId, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeiBookError {
    #[error("order {0}: quantity must be > 0 lots")]
    Size(SeiOrderId),
    #[error("order {0}: price must be > 0 ticks")]
    Price(SeiOrderId),
    #[error("order {0}: a limit order needs a price")]
    NoLimit(SeiOrderId),
    #[error("order id {0} is already in use")]
    Duplicate(SeiOrderId),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: SeiOrderId,
    account: AccountId,
    lots: i64,
}

/// One pair's book and the block being collected. See the module documentation.
#[derive(Default)]
pub struct SeiBlockBook {
    levels: [BTreeMap<i64, VecDeque<Entry>>; 2],
    resting: HashMap<SeiOrderId, (Side, i64)>,
    orders: Vec<SeiOrder>,
    cancels: Vec<SeiOrderId>,
}

/// Whether a buy at `buy` meets a sell at `sell`.
fn meets(buy: i64, sell: i64) -> bool {
    buy >= sell
}

impl SeiBlockBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Holds an order for the block's end.
    pub fn place(&mut self, o: SeiOrder) -> Result<(), SeiBookError> {
        if o.lots <= 0 {
            return Err(SeiBookError::Size(o.id));
        }
        match (o.order_type, o.price) {
            (SeiOrderType::Limit, None) => return Err(SeiBookError::NoLimit(o.id)),
            (_, Some(p)) if p <= 0 => return Err(SeiBookError::Price(o.id)),
            _ => {}
        }
        if self.resting.contains_key(&o.id) || self.orders.iter().any(|x| x.id == o.id) {
            return Err(SeiBookError::Duplicate(o.id));
        }
        self.orders.push(o);
        Ok(())
    }

    /// Holds a cancel for the block's end.
    pub fn cancel(&mut self, id: SeiOrderId) {
        self.cancels.push(id);
    }

    /// Total lots resting at a price.
    pub fn level_lots(&self, side: Side, price: i64) -> i64 {
        self.levels[side as usize].get(&price).map_or(0, |q| q.iter().map(|e| e.lots).sum())
    }

    /// A resting order: its side, price and lots left.
    pub fn resting(&self, id: SeiOrderId) -> Option<(Side, i64, i64)> {
        let &(side, price) = self.resting.get(&id)?;
        let lots = self.levels[side as usize].get(&price)?.iter().find(|e| e.id == id)?.lots;
        Some((side, price, lots))
    }

    /// Orders and cancels held for the block's end.
    pub fn pending(&self) -> usize {
        self.orders.len() + self.cancels.len()
    }

    /// Ends the block: applies what was held in the chain's order (module documentation).
    pub fn end_block(&mut self) -> BlockOutcome {
        let mut out = BlockOutcome::default();
        for id in std::mem::take(&mut self.cancels) {
            if let Some(lots) = self.remove(id) {
                out.cancelled.push((id, lots));
            }
        }
        let orders = std::mem::take(&mut self.orders);
        for side in [Side::Buy, Side::Sell] {
            for o in orders.iter().filter(|o| o.order_type == SeiOrderType::Limit && o.side == side) {
                let price = o.price.expect("checked at place");
                self.levels[side as usize].entry(price).or_default().push_back(Entry {
                    id: o.id,
                    account: o.account,
                    lots: o.lots,
                });
                self.resting.insert(o.id, (side, price));
            }
        }
        for side in [Side::Buy, Side::Sell] {
            let mut markets: Vec<&SeiOrder> =
                orders.iter().filter(|o| o.order_type == SeiOrderType::Market && o.side == side).collect();
            // No worst price first, then the best worst price (stable: sending order on ties).
            markets.sort_by_key(|o| match (o.price, side) {
                (None, _) => (0, 0),
                (Some(p), Side::Buy) => (1, -p),
                (Some(p), Side::Sell) => (1, p),
            });
            self.match_market(side, &markets, &mut out);
        }
        self.match_limits(&mut out);
        out
    }

    fn remove(&mut self, id: SeiOrderId) -> Option<i64> {
        let (side, price) = self.resting.remove(&id)?;
        let book = &mut self.levels[side as usize];
        let level = book.get_mut(&price)?;
        let at = level.iter().position(|e| e.id == id)?;
        let e = level.remove(at)?;
        if level.is_empty() {
            book.remove(&price);
        }
        Some(e.lots)
    }

    fn best(&self, side: Side) -> Option<i64> {
        let book = &self.levels[side as usize];
        match side {
            Side::Buy => book.keys().next_back().copied(),
            Side::Sell => book.keys().next().copied(),
        }
    }

    /// Takes `lots` from the level in FIFO order: (order id, account, lots) per order reached.
    fn settle_fifo(&mut self, side: Side, price: i64, mut lots: i64) -> Vec<(SeiOrderId, AccountId, i64)> {
        let book = &mut self.levels[side as usize];
        let level = book.get_mut(&price).expect("a level with lots");
        let mut taken = Vec::new();
        while lots > 0 {
            let Some(e) = level.front_mut() else { break };
            let x = e.lots.min(lots);
            e.lots -= x;
            lots -= x;
            taken.push((e.id, e.account, x));
            if e.lots == 0 {
                let id = e.id;
                level.pop_front();
                self.resting.remove(&id);
            }
        }
        if level.is_empty() {
            book.remove(&price);
        }
        taken
    }

    fn match_market(&mut self, side: Side, markets: &[&SeiOrder], out: &mut BlockOutcome) {
        let opp = side.opposite();
        let (mut notional, mut total): (i128, i64) = (0, 0);
        let mut takers = Vec::new();
        for m in markets {
            let mut left = m.lots;
            while left > 0 {
                let Some(price) = self.best(opp) else { break };
                let within = match side {
                    Side::Buy => m.price.is_none_or(|w| meets(w, price)),
                    Side::Sell => m.price.is_none_or(|w| meets(price, w)),
                };
                if !within {
                    break;
                }
                let x = left.min(self.level_lots(opp, price));
                left -= x;
                notional += i128::from(x) * i128::from(price);
                total += x;
                for (id, account, lots) in self.settle_fifo(opp, price, x) {
                    let exec = FillPrice::ticks(price);
                    let maker_price = SettlePrice::Fill(exec);
                    out.settlements.push(Settlement {
                        order_id: id,
                        account,
                        side: opp,
                        lots,
                        order_type: SeiOrderType::Limit,
                        price: maker_price,
                        exec,
                    });
                    takers.push(Settlement {
                        order_id: m.id,
                        account: m.account,
                        side,
                        lots,
                        order_type: SeiOrderType::Market,
                        price: maker_price,
                        exec,
                    });
                }
            }
            if left > 0 {
                out.unfilled.push((m.id, left));
            }
        }
        let clearing = SettlePrice::Clearing { notional, lots: total };
        out.settlements.extend(takers.into_iter().map(|t| Settlement { price: clearing, ..t }));
    }

    fn match_limits(&mut self, out: &mut BlockOutcome) {
        while let (Some(bid), Some(ask)) = (self.best(Side::Buy), self.best(Side::Sell)) {
            if !meets(bid, ask) {
                break;
            }
            let x = self.level_lots(Side::Buy, bid).min(self.level_lots(Side::Sell, ask));
            let longs = self.settle_fifo(Side::Buy, bid, x);
            let shorts = self.settle_fifo(Side::Sell, ask, x);
            let exec = FillPrice::midpoint(bid, ask);
            let price = SettlePrice::Fill(exec);
            let (mut i, mut j) = (0, 0);
            let (mut long_left, mut short_left) = (longs[0].2, shorts[0].2);
            while i < longs.len() && j < shorts.len() {
                let q = long_left.min(short_left);
                for (side, (id, account, _)) in [(Side::Buy, longs[i]), (Side::Sell, shorts[j])] {
                    out.settlements.push(Settlement {
                        order_id: id,
                        account,
                        side,
                        lots: q,
                        order_type: SeiOrderType::Limit,
                        price,
                        exec,
                    });
                }
                long_left -= q;
                short_left -= q;
                if long_left == 0 {
                    i += 1;
                    long_left = longs.get(i).map_or(0, |l| l.2);
                }
                if short_left == 0 {
                    j += 1;
                    short_left = shorts.get(j).map_or(0, |s| s.2);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: AccountId = 1;
    const B: AccountId = 2;

    fn limit(id: SeiOrderId, account: AccountId, side: Side, price: i64, lots: i64) -> SeiOrder {
        SeiOrder { id, account, side, lots, order_type: SeiOrderType::Limit, price: Some(price) }
    }

    fn market(id: SeiOrderId, account: AccountId, side: Side, worst: Option<i64>, lots: i64) -> SeiOrder {
        SeiOrder { id, account, side, lots, order_type: SeiOrderType::Market, price: worst }
    }

    fn s(id: SeiOrderId, account: AccountId, side: Side, lots: i64, half_ticks: i64) -> Settlement {
        let exec = FillPrice::half_ticks(half_ticks);
        Settlement {
            order_id: id,
            account,
            side,
            lots,
            order_type: SeiOrderType::Limit,
            price: SettlePrice::Fill(exec),
            exec,
        }
    }

    #[test]
    fn crossing_limits_settle_at_the_midpoint_fifo_paired() {
        let mut b = SeiBlockBook::new();
        b.place(limit(1, A, Side::Sell, 11_001, 2)).unwrap();
        b.place(limit(2, A, Side::Sell, 11_001, 1)).unwrap();
        b.place(limit(3, A, Side::Sell, 11_003, 1)).unwrap();
        assert!(b.end_block().settlements.is_empty());
        // B bids 11 004 for 4: 3 against the 11 001 level (midpoint 11 002.5), 1 at 11 003.5.
        b.place(limit(4, B, Side::Buy, 11_004, 4)).unwrap();
        let out = b.end_block();
        assert_eq!(
            out.settlements,
            vec![
                s(4, B, Side::Buy, 2, 22_005),
                s(1, A, Side::Sell, 2, 22_005),
                s(4, B, Side::Buy, 1, 22_005),
                s(2, A, Side::Sell, 1, 22_005),
                s(4, B, Side::Buy, 1, 22_007),
                s(3, A, Side::Sell, 1, 22_007),
            ]
        );
        assert_eq!(b.best(Side::Buy), None);
        assert_eq!(b.best(Side::Sell), None);
    }

    #[test]
    fn a_partly_filled_order_keeps_its_place_and_the_rest() {
        let mut b = SeiBlockBook::new();
        b.place(limit(1, A, Side::Buy, 100, 5)).unwrap();
        b.place(limit(2, B, Side::Buy, 100, 5)).unwrap();
        b.end_block();
        b.place(limit(3, B, Side::Sell, 99, 7)).unwrap();
        let out = b.end_block();
        // Order 1 first (FIFO), then 2 gets 2; the midpoint of 100 and 99 is 99.5.
        assert_eq!(
            out.settlements,
            vec![
                s(1, A, Side::Buy, 5, 199),
                s(3, B, Side::Sell, 5, 199),
                s(2, B, Side::Buy, 2, 199),
                s(3, B, Side::Sell, 2, 199)
            ]
        );
        assert_eq!(b.resting(2), Some((Side::Buy, 100, 3)));
        assert_eq!(b.resting(1), None);
    }

    #[test]
    fn market_orders_clear_at_the_blocks_vwap_and_makers_at_their_price() {
        let mut b = SeiBlockBook::new();
        b.place(limit(1, A, Side::Sell, 100, 1)).unwrap();
        b.place(limit(2, A, Side::Sell, 101, 2)).unwrap();
        b.end_block();
        // Two market buys in one block: the one with the better worst price first.
        b.place(market(3, B, Side::Buy, Some(101), 1)).unwrap();
        b.place(market(4, B, Side::Buy, Some(102), 1)).unwrap();
        b.place(market(5, A, Side::Buy, Some(100), 5)).unwrap();
        let out = b.end_block();
        let clearing = SettlePrice::Clearing { notional: 100 + 101, lots: 2 };
        let taker = |id, lots, ticks| Settlement {
            order_id: id,
            account: B,
            side: Side::Buy,
            lots,
            order_type: SeiOrderType::Market,
            price: clearing,
            exec: FillPrice::ticks(ticks),
        };
        assert_eq!(
            out.settlements,
            vec![s(1, A, Side::Sell, 1, 200), s(2, A, Side::Sell, 1, 202), taker(4, 1, 100), taker(3, 1, 101)]
        );
        assert_eq!(clearing.fill_price(), Some(FillPrice::half_ticks(201)));
        // Order 5's worst price 100 is below the ask left (101): cancelled whole.
        assert_eq!(out.unfilled, vec![(5, 5)]);
        assert_eq!(b.resting(2), Some((Side::Sell, 101, 1)));
    }

    #[test]
    fn market_orders_match_before_crossing_limits_of_the_same_block() {
        let mut b = SeiBlockBook::new();
        b.place(limit(1, A, Side::Sell, 100, 2)).unwrap();
        b.end_block();
        b.place(limit(2, B, Side::Buy, 101, 2)).unwrap();
        b.place(market(3, B, Side::Buy, None, 1)).unwrap();
        let out = b.end_block();
        let taker = Settlement {
            order_id: 3,
            account: B,
            side: Side::Buy,
            lots: 1,
            order_type: SeiOrderType::Market,
            price: SettlePrice::Clearing { notional: 100, lots: 1 },
            exec: FillPrice::ticks(100),
        };
        assert_eq!(
            out.settlements,
            vec![s(1, A, Side::Sell, 1, 200), taker, s(2, B, Side::Buy, 1, 201), s(1, A, Side::Sell, 1, 201)]
        );
        assert_eq!(b.resting(2), Some((Side::Buy, 101, 1)));
    }

    #[test]
    fn cancels_apply_first_and_ignore_orders_of_the_same_block() {
        let mut b = SeiBlockBook::new();
        b.place(limit(1, A, Side::Sell, 100, 2)).unwrap();
        b.cancel(1);
        assert_eq!(b.end_block().cancelled, vec![]);
        assert_eq!(b.resting(1), Some((Side::Sell, 100, 2)));
        b.cancel(1);
        b.place(limit(2, B, Side::Buy, 100, 1)).unwrap();
        let out = b.end_block();
        assert_eq!(out.cancelled, vec![(1, 2)]);
        assert!(out.settlements.is_empty());
        assert_eq!(b.place(limit(2, B, Side::Buy, 100, 1)), Err(SeiBookError::Duplicate(2)));
        assert_eq!(b.place(limit(9, B, Side::Buy, 0, 1)), Err(SeiBookError::Price(9)));
        assert_eq!(b.place(market(9, B, Side::Buy, None, 0)), Err(SeiBookError::Size(9)));
    }

    #[test]
    fn ticks_in_sdk_dec_units() {
        let spec = crate::spec::MarketSpec::new("P", "0.0001", "1").unwrap();
        assert_eq!(tick_atto(&spec.tick), Some(100_000_000_000_000));
    }

    #[test]
    fn clearing_prices_round_as_sdk_dec_quo() {
        // Tick 0.0001 = 10^14 atto. 1.0000 × 1 + 1.0001 × 2 over 3 lots = 1.000066666...67.
        let p = SettlePrice::Clearing { notional: 10_000 + 2 * 10_001, lots: 3 };
        assert_eq!(p.dec_atto(100_000_000_000_000), Some(1_000_066_666_666_666_667));
        assert_eq!(p.fill_price(), None);
        // Half-even at an exact half: 0.5 atto-digits would round to even.
        let half = SettlePrice::Clearing { notional: 1, lots: 2 };
        assert_eq!(half.dec_atto(1), Some(0));
        assert_eq!(SettlePrice::Clearing { notional: 3, lots: 2 }.dec_atto(1), Some(2));
        assert_eq!(
            SettlePrice::Fill(FillPrice::midpoint(11_000, 11_001)).dec_atto(100_000_000_000_000),
            Some(1_100_050_000_000_000_000)
        );
    }
}
