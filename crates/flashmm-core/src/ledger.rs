//! The one ledger: position, average cost, realised and unrealised P&L, fees, per market, in
//! exact [`Money`]. The daemon's position tracker (through the binding), the backtest
//! statistics and the simulated exchange's [`Account`] all book fills here, so a live run and a
//! backtest of the same fills agree to the unit.
//!
//! # Method: average cost
//!
//! The open position carries its entry cost, the exact sum of `price × lots × 10⁶` of the lots
//! opened. A fill on the position's side (or from flat) adds its notional. A fill against it
//! closes `c = min(lots, |position|)` lots: it removes `entry_cost × c / |position|` from the
//! cost (truncated towards zero; the whole cost when it closes everything) and realises the
//! difference with the exit notional; the rest of a fill that flips the position opens at the
//! fill price. The truncated remainder stays in the basis and is realised when the position
//! reaches zero, so **realised + unrealised is always exactly the cash flow marked at the mid**
//! and every amount is an integer. Unrealised P&L marks the open lots at `mid2 / 2` ticks
//! (`mid2 = bid + ask`): exact, one half-tick × lot being 500 000 units.
//!
//! Average cost rather than FIFO: it is the entry price venues report for a position, its state
//! is four integers (a snapshot is trivial to store and restore), and the split differs from
//! FIFO only when a position built at several prices is partly closed; totals are the same.

use serde::{Deserialize, Serialize};

use crate::book::Side;
use crate::money::{Liquidity, MONEY_PER_HALF_TICK_LOT, Money, notional};

/// Why a fill or a snapshot was refused (nothing is booked then).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("fill of {lots} lots at {price} ticks: lots and price must be > 0")]
    BadFill { lots: i64, price: i64 },
    #[error("fill of {lots} lots would overflow the position of {position} lots")]
    Overflow { position: i64, lots: i64 },
    #[error("not a ledger state: {0}")]
    BadSnapshot(String),
}

impl LedgerError {
    /// The stable code of the error (`docs/market-state.md`).
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::BadFill { .. } | LedgerError::Overflow { .. } => "BAD_FILL",
            LedgerError::BadSnapshot(_) => "BAD_SNAPSHOT",
        }
    }
}

/// P&L of a ledger marked at a mid, money units. `net = realised + unrealised − fees`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Pnl {
    /// Realised on closed lots, before fees.
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub realised: Money,
    /// The open lots marked at the mid, before fees.
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub unrealised: Money,
    /// `realised + unrealised`.
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub gross: Money,
    /// Fees paid (negative = net rebate received).
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub fees: Money,
    /// `gross − fees`.
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub net: Money,
}

/// Position and P&L of one market (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ledger {
    position: i64,
    /// Entry cost of the open lots (>= 0 whichever the direction; 0 when flat).
    entry_cost: Money,
    realised: Money,
    fees: Money,
    volume_lots: i64,
}

/// A ledger's whole state, for storage and crash recovery ([`Ledger::restore`]). In JSON,
/// money amounts are decimal strings of the exact integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LedgerSnapshot {
    /// Signed lots: > 0 long, < 0 short.
    pub lots: i64,
    /// Entry cost of the open lots, money units (>= 0).
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub entry_cost: Money,
    /// Realised P&L, fees excluded.
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub realised: Money,
    #[serde(with = "crate::json::int_str")]
    #[cfg_attr(test, ts(type = "string"))]
    pub fees: Money,
    /// Lots traded, both sides.
    pub volume_lots: i64,
}

impl LedgerSnapshot {
    /// The snapshot as JSON (money as decimal strings): what storage keeps.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot serialises")
    }

    /// A snapshot from [`to_json`](Self::to_json) text (not yet checked: see [`Ledger::restore`]).
    pub fn from_json(text: &str) -> Result<Self, LedgerError> {
        serde_json::from_str(text).map_err(|e| LedgerError::BadSnapshot(e.to_string()))
    }
}

impl Ledger {
    /// Books one fill of `lots > 0` at `price > 0` ticks with `fee` money units (positive =
    /// paid). A refused fill changes nothing.
    pub fn apply_fill(&mut self, side: Side, price: i64, lots: i64, fee: Money) -> Result<(), LedgerError> {
        if lots <= 0 || price <= 0 {
            return Err(LedgerError::BadFill { lots, price });
        }
        let signed = match side {
            Side::Buy => lots,
            Side::Sell => -lots,
        };
        let (before, after) = match self.position.checked_add(signed) {
            Some(after) if self.volume_lots.checked_add(lots).is_some() => (self.position, after),
            _ => return Err(LedgerError::Overflow { position: self.position, lots }),
        };
        if before == 0 || before.signum() == signed.signum() {
            self.entry_cost += notional(price, lots);
        } else {
            let open = before.abs();
            let closing = lots.min(open);
            let removed = if closing == open {
                self.entry_cost
            } else {
                self.entry_cost * Money::from(closing) / Money::from(open)
            };
            let exit = notional(price, closing);
            // A long closes by selling (exit − entry), a short by buying (entry − exit).
            self.realised += if before > 0 { exit - removed } else { removed - exit };
            self.entry_cost -= removed;
            if lots > closing {
                self.entry_cost = notional(price, lots - closing);
            }
        }
        if after == 0 {
            self.entry_cost = 0;
        }
        self.position = after;
        self.fees += fee;
        self.volume_lots += lots;
        Ok(())
    }

    /// Signed position, lots.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Average entry price as an exact fraction of ticks `(num, den)`, `None` when flat.
    pub fn average_entry(&self) -> Option<(Money, Money)> {
        (self.position != 0)
            .then(|| (self.entry_cost, Money::from(self.position.abs()) * crate::money::MONEY_PER_TICK_LOT))
    }

    pub fn realised(&self) -> Money {
        self.realised
    }

    pub fn fees(&self) -> Money {
        self.fees
    }

    /// The open lots marked at `mid2 / 2` ticks, before fees (exact).
    pub fn unrealised(&self, mid2: i64) -> Money {
        if self.position == 0 {
            return 0;
        }
        let mark = Money::from(self.position) * Money::from(mid2) * MONEY_PER_HALF_TICK_LOT;
        if self.position > 0 { mark - self.entry_cost } else { mark + self.entry_cost }
    }

    /// The P&L split marked at `mid2 / 2` ticks.
    pub fn pnl(&self, mid2: i64) -> Pnl {
        let unrealised = self.unrealised(mid2);
        let gross = self.realised + unrealised;
        Pnl { realised: self.realised, unrealised, gross, fees: self.fees, net: gross - self.fees }
    }

    pub fn snapshot(&self) -> LedgerSnapshot {
        LedgerSnapshot {
            lots: self.position,
            entry_cost: self.entry_cost,
            realised: self.realised,
            fees: self.fees,
            volume_lots: self.volume_lots,
        }
    }

    /// The ledger of a saved state. Checked: flat means no entry cost; an open position costs at
    /// least one tick a lot; lots traded cover the position.
    pub fn restore(s: &LedgerSnapshot) -> Result<Self, LedgerError> {
        if s.lots == 0 && s.entry_cost != 0 {
            return Err(LedgerError::BadSnapshot("a flat position has no entry cost".into()));
        }
        if s.lots != 0 && s.entry_cost < notional(1, s.lots.abs()) {
            return Err(LedgerError::BadSnapshot("an open position costs at least one tick per lot".into()));
        }
        if s.volume_lots < s.lots.checked_abs().unwrap_or(i64::MAX) {
            return Err(LedgerError::BadSnapshot("lots traded must cover the position".into()));
        }
        Ok(Ledger {
            position: s.lots,
            entry_cost: s.entry_cost,
            realised: s.realised,
            fees: s.fees,
            volume_lots: s.volume_lots,
        })
    }
}

/// The simulated exchange's booking of our account: the [`Ledger`] plus cash and trading counts.
///
/// `cash` starts at 0 and counts notional received minus notional paid minus fees. Mark-to-market
/// value at `price`: [`Account::equity_at`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Account {
    pub ledger: Ledger,
    pub cash: Money,
    pub fills: u64,
    pub bought_lots: i64,
    pub sold_lots: i64,
    pub maker_lots: i64,
    pub taker_lots: i64,
    /// Absolute notional traded.
    pub volume: Money,
}

impl Account {
    /// Books one fill. `fee` as computed by [`crate::money::fee`] (positive = paid). The
    /// simulator's fills have `lots > 0` and `price > 0`; anything else is refused and changes
    /// nothing.
    pub fn apply(
        &mut self,
        side: Side,
        price: i64,
        lots: i64,
        fee: Money,
        liquidity: Liquidity,
    ) -> Result<(), LedgerError> {
        self.ledger.apply_fill(side, price, lots, fee)?;
        let value = notional(price, lots);
        match side {
            Side::Buy => {
                self.cash -= value;
                self.bought_lots += lots;
            }
            Side::Sell => {
                self.cash += value;
                self.sold_lots += lots;
            }
        }
        self.cash -= fee;
        self.fills += 1;
        self.volume += value;
        match liquidity {
            Liquidity::Maker => self.maker_lots += lots,
            Liquidity::Taker => self.taker_lots += lots,
        }
        Ok(())
    }

    /// Position in lots (positive = long).
    pub fn position(&self) -> i64 {
        self.ledger.position()
    }

    /// Fees paid (negative: net rebate received).
    pub fn fees(&self) -> Money {
        self.ledger.fees()
    }

    /// `cash + position × price`: the value if the position were marked at `price` ticks.
    pub fn equity_at(&self, price: i64) -> Money {
        self.cash + notional(price, self.position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{MONEY_PER_TICK_LOT as M, fee};

    fn fill(l: &mut Ledger, side: Side, price: i64, lots: i64, fee: Money) {
        l.apply_fill(side, price, lots, fee).unwrap();
    }

    #[test]
    fn closes_flips_and_marks_at_the_mid() {
        let mut l = Ledger::default();
        fill(&mut l, Side::Buy, 100, 2, 0);
        fill(&mut l, Side::Buy, 104, 1, 0); // long 3, cost 304
        fill(&mut l, Side::Sell, 103, 3, 0); // closes all: 309 − 304
        assert_eq!((l.position(), l.realised()), (0, 5 * M));
        fill(&mut l, Side::Sell, 110, 1, 0); // short 1 @110
        fill(&mut l, Side::Buy, 108, 3, 0); // closes the short (+2), opens long 2 @108
        assert_eq!((l.position(), l.realised()), (2, 7 * M));
        // Mid 108.5 (bid 108, ask 109): 2 lots × 0.5 tick.
        assert_eq!(l.unrealised(217), M);
        let mut s = Ledger::default();
        fill(&mut s, Side::Sell, 110, 1, 0);
        assert_eq!(s.unrealised(218), M);
    }

    #[test]
    fn average_cost_with_the_remainder_kept_in_the_basis() {
        let mut l = Ledger::default();
        fill(&mut l, Side::Buy, 100, 1, 0);
        fill(&mut l, Side::Buy, 101, 2, 0); // cost 302e6 over 3 lots does not divide
        fill(&mut l, Side::Sell, 101, 1, 0); // removes trunc(302e6 / 3) = 100_666_666
        assert_eq!(l.realised(), 101 * M - 100_666_666);
        assert_eq!(l.average_entry(), Some((302 * M - 100_666_666, 2 * M)));
        fill(&mut l, Side::Sell, 101, 2, 0);
        assert_eq!(l.snapshot(), LedgerSnapshot { lots: 0, entry_cost: 0, realised: M, fees: 0, volume_lots: 6 });
    }

    #[test]
    fn refuses_bad_fills_and_bad_snapshots_and_round_trips() {
        let mut l = Ledger::default();
        assert_eq!(l.apply_fill(Side::Buy, 100, 0, 0), Err(LedgerError::BadFill { lots: 0, price: 100 }));
        assert_eq!(l.apply_fill(Side::Buy, 0, 1, 0).unwrap_err().code(), "BAD_FILL");
        fill(&mut l, Side::Sell, 200, 3, fee(200, 3, 100));
        let snap = l.snapshot();
        let json = snap.to_json();
        assert_eq!(json, r#"{"lots":-3,"entry_cost":"600000000","realised":"0","fees":"60000","volume_lots":3}"#);
        let back = LedgerSnapshot::from_json(&json).unwrap();
        assert_eq!(LedgerSnapshot::from_json("{}").unwrap_err().code(), "BAD_SNAPSHOT");
        assert_eq!(Ledger::restore(&back), Ok(l));
        let bad = LedgerSnapshot { lots: 0, entry_cost: 5, ..snap };
        assert_eq!(Ledger::restore(&bad).unwrap_err().code(), "BAD_SNAPSHOT");
        assert!(Ledger::restore(&LedgerSnapshot { entry_cost: 2 * M, ..snap }).is_err());
        assert!(Ledger::restore(&LedgerSnapshot { volume_lots: 2, ..snap }).is_err());
    }

    #[test]
    fn account_books_the_ledger_cash_and_counts() {
        let mut a = Account::default();
        a.apply(Side::Buy, 100, 3, fee(100, 3, 200), Liquidity::Taker).unwrap();
        a.apply(Side::Sell, 101, 2, fee(101, 2, -50), Liquidity::Maker).unwrap();
        assert_eq!(a.position(), 1);
        assert_eq!(a.cash, -300 * M - 60_000 + 202 * M + 10_100);
        assert_eq!(a.fees(), 60_000 - 10_100);
        assert_eq!(a.equity_at(101), a.cash + 101 * M);
        assert_eq!((a.maker_lots, a.taker_lots, a.fills), (2, 3, 2));
        assert!(a.apply(Side::Buy, 100, -1, 0, Liquidity::Maker).is_err());
        assert_eq!(a.fills, 2);
    }
}
