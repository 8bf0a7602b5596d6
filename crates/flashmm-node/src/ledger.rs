//! `Ledger`: the core's one ledger for JS (position, average cost, P&L, fees, exact money as
//! bigint units of tick × lot × 10⁻⁶). Conversions only.

use flashmm_core::ledger::{self as core, LedgerSnapshot as CoreSnapshot};
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::convert::{core_err, lots, money, ticks};
use crate::error::{Result, guard};
use crate::side::parse_side;

/// Money units per tick × lot (money is `tick × lot × 10⁻⁶` of the quote currency).
#[napi]
pub const MONEY_PER_TICK_LOT: u32 = flashmm_core::money::MONEY_PER_TICK_LOT as u32;

/// A ledger's whole state (`Ledger.restore` takes it back after a restart).
#[napi(object)]
pub struct LedgerSnapshot {
    /// Signed lots: > 0 long, < 0 short.
    pub lots: f64,
    /// Entry cost of the open lots, money units (>= 0).
    pub entry_cost: BigInt,
    /// Realised P&L, fees excluded.
    pub realised: BigInt,
    /// Fees paid (negative = net rebate).
    pub fees: BigInt,
    /// Lots traded, both sides.
    pub volume_lots: f64,
}

impl From<CoreSnapshot> for LedgerSnapshot {
    fn from(s: CoreSnapshot) -> Self {
        Self {
            lots: s.lots as f64,
            entry_cost: s.entry_cost.into(),
            realised: s.realised.into(),
            fees: s.fees.into(),
            volume_lots: s.volume_lots as f64,
        }
    }
}

impl TryFrom<&LedgerSnapshot> for CoreSnapshot {
    type Error = crate::error::Error;

    fn try_from(s: &LedgerSnapshot) -> Result<Self> {
        Ok(CoreSnapshot {
            lots: lots(s.lots, "lots")?,
            entry_cost: money(&s.entry_cost, "entryCost")?,
            realised: money(&s.realised, "realised")?,
            fees: money(&s.fees, "fees")?,
            volume_lots: lots(s.volume_lots, "volumeLots")?,
        })
    }
}

/// The P&L split marked at a mid, money units; `net = realised + unrealised − fees`.
#[napi(object, object_from_js = false)]
pub struct Pnl {
    /// Signed position, lots.
    pub lots: f64,
    pub realised: i128,
    pub unrealised: i128,
    pub gross: i128,
    pub fees: i128,
    pub net: i128,
}

/// An exact average entry price: `num / den` ticks.
#[napi(object, object_from_js = false)]
pub struct AverageEntry {
    pub num: i128,
    pub den: i128,
}

/// One market's ledger (docs/market-state.md: average cost, exact).
#[napi]
#[derive(Default)]
pub struct Ledger {
    inner: core::Ledger,
}

#[napi]
impl Ledger {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// A ledger from a saved state; throws `BAD_SNAPSHOT` for a state no ledger can be in.
    #[napi(factory)]
    pub fn restore(snapshot: LedgerSnapshot) -> Result<Self> {
        guard(|| Ok(Self { inner: core::Ledger::restore(&CoreSnapshot::try_from(&snapshot)?).map_err(core_err)? }))
    }

    /// A ledger from `snapshotJson()` text.
    #[napi(factory)]
    pub fn from_json(text: String) -> Result<Self> {
        guard(|| {
            let s = CoreSnapshot::from_json(&text).map_err(core_err)?;
            Ok(Self { inner: core::Ledger::restore(&s).map_err(core_err)? })
        })
    }

    /// Books a fill of `lots > 0` at `price > 0` ticks, `fee` money units (positive = paid);
    /// returns the new state. A refused fill (`BAD_FILL`) changes nothing.
    #[napi]
    pub fn apply_fill(
        &mut self,
        #[napi(ts_arg_type = "Side")] side: String,
        price: f64,
        size: f64,
        fee: BigInt,
    ) -> Result<LedgerSnapshot> {
        guard(|| {
            let side = parse_side(&side, "side")?;
            let (p, l, f) = (ticks(price, "price")?, lots(size, "lots")?, money(&fee, "fee")?);
            self.inner.apply_fill(side, p, l, f).map_err(core_err)?;
            Ok(self.inner.snapshot().into())
        })
    }

    /// Signed position, lots.
    #[napi(getter)]
    pub fn position(&self) -> f64 {
        self.inner.position() as f64
    }

    #[napi]
    pub fn snapshot(&self) -> LedgerSnapshot {
        self.inner.snapshot().into()
    }

    /// The state as the core's JSON (money as decimal strings): what storage keeps.
    #[napi]
    pub fn snapshot_json(&self) -> String {
        self.inner.snapshot().to_json()
    }

    /// The open lots marked at `mid2 / 2` ticks (`mid2` = best bid + best ask), before fees.
    #[napi]
    pub fn unrealised(&self, mid2: f64) -> Result<i128> {
        Ok(self.inner.unrealised(ticks(mid2, "mid2")?))
    }

    /// The P&L split marked at `mid2 / 2` ticks, with the position.
    #[napi]
    pub fn pnl(&self, mid2: f64) -> Result<Pnl> {
        let p = self.inner.pnl(ticks(mid2, "mid2")?);
        Ok(Pnl {
            lots: self.inner.position() as f64,
            realised: p.realised,
            unrealised: p.unrealised,
            gross: p.gross,
            fees: p.fees,
            net: p.net,
        })
    }

    /// Average entry price as an exact fraction of ticks, or null when flat.
    #[napi]
    pub fn average_entry(&self) -> Option<AverageEntry> {
        self.inner.average_entry().map(|(num, den)| AverageEntry { num, den })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_unit_is_the_cores() {
        assert_eq!(i128::from(super::MONEY_PER_TICK_LOT), flashmm_core::money::MONEY_PER_TICK_LOT);
    }
}
