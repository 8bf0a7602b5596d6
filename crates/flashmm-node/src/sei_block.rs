//! `SeiBlockBook`: the core's replica of Sei's end-of-block matching for one pair, every
//! account's orders (`flashmm_core::sim::sei_block`). Conversions only: orders from plain
//! objects, a block's outcome to plain objects. Prices ticks, sizes lots; a settlement's price
//! also as the chain writes it (an 18-decimal `sdk.Dec`, scaled by 10¹⁸, as a bigint).

use flashmm_core::sim::sei_block::{self as core, BlockOutcome, SeiOrder, SeiOrderType, tick_atto};
use napi_derive::napi;

use crate::convert::{core_err, id, invalid_arg, lots, ticks};
use crate::error::{Result, guard};
use crate::side::{Side, parse_side};
use crate::spec::MarketSpec;

/// A new order of `place`: the chain's order id, who sent it (a number the host gives each
/// account), `'limit' | 'market'`, and the limit (or a market order's worst price; none: any).
#[napi(object)]
pub struct SeiBlockOrder {
    pub id: f64,
    pub account: u32,
    #[napi(ts_type = "Side")]
    pub side: String,
    pub lots: f64,
    #[napi(ts_type = "'limit' | 'market'")]
    pub order_type: String,
    pub price: Option<f64>,
}

/// One settlement as `GetMatchResult` reports it. `price` in ticks when it is a whole or half
/// tick (absent for a clearing price between); `priceAtto` the chain's `executionCostOrProceed`
/// × 10¹⁸; `execTicks` where it executed (the maker's price for a market order's fills).
#[napi(object, object_from_js = false)]
pub struct SeiSettlement {
    pub order_id: f64,
    pub account: u32,
    pub side: Side,
    pub lots: f64,
    /// "Limit" | "Market", as the chain spells it.
    pub order_type: &'static str,
    pub price: Option<f64>,
    pub price_atto: i128,
    pub exec_ticks: f64,
}

/// What one block did: settlements in the chain's order, resting orders cancelled and market
/// orders' unfilled lots (`[orderId, lots]`).
#[napi(object, object_from_js = false)]
pub struct SeiBlockOutcome {
    pub settlements: Vec<SeiSettlement>,
    pub cancelled: Vec<Vec<f64>>,
    pub unfilled: Vec<Vec<f64>>,
}

#[napi]
pub struct SeiBlockBook {
    inner: core::SeiBlockBook,
    tick_atto: i128,
}

#[napi]
impl SeiBlockBook {
    /// A book on `spec`'s grid (its tick size gives the chain's decimal prices).
    #[napi(constructor)]
    pub fn new(spec: &MarketSpec) -> Result<Self> {
        guard(|| {
            let tick = tick_atto(&spec.inner.tick).ok_or_else(|| invalid_arg("tickSize has more than 18 decimals"))?;
            Ok(Self { inner: core::SeiBlockBook::new(), tick_atto: tick })
        })
    }

    /// Holds an order for the end of the block.
    #[napi]
    pub fn place(&mut self, order: SeiBlockOrder) -> Result<()> {
        guard(|| {
            let order_type = match order.order_type.as_str() {
                "limit" => SeiOrderType::Limit,
                "market" => SeiOrderType::Market,
                other => return Err(invalid_arg(format!("orderType = '{other}' must be 'limit' or 'market'"))),
            };
            let o = SeiOrder {
                id: id(order.id, "id")?,
                account: order.account,
                side: parse_side(&order.side, "side")?,
                lots: lots(order.lots, "lots")?,
                order_type,
                price: order.price.map(|p| ticks(p, "price")).transpose()?,
            };
            self.inner.place(o).map_err(core_err)
        })
    }

    /// Holds a cancel for the end of the block.
    #[napi]
    pub fn cancel(&mut self, order_id: f64) -> Result<()> {
        guard(|| {
            self.inner.cancel(id(order_id, "orderId")?);
            Ok(())
        })
    }

    /// Ends the block: cancels, new limits, market orders, crossing limits, as the chain does.
    #[napi]
    pub fn end_block(&mut self) -> Result<SeiBlockOutcome> {
        guard(|| {
            let out = self.inner.end_block();
            outcome(&out, self.tick_atto)
        })
    }
}

fn pairs(v: &[(u64, i64)]) -> Vec<Vec<f64>> {
    v.iter().map(|&(id, lots)| vec![id as f64, lots as f64]).collect()
}

fn outcome(out: &BlockOutcome, tick: i128) -> Result<SeiBlockOutcome> {
    let settlements = out
        .settlements
        .iter()
        .map(|s| {
            let atto = s.price.dec_atto(tick).ok_or_else(|| invalid_arg("settlement price overflows"))?;
            Ok(SeiSettlement {
                order_id: s.order_id as f64,
                account: s.account,
                side: s.side.into(),
                lots: s.lots as f64,
                order_type: s.order_type.name(),
                price: s.price.fill_price().map(|p| p.as_f64()),
                price_atto: atto,
                exec_ticks: s.exec.as_f64(),
            })
        })
        .collect::<Result<Vec<_>>>()?;

    Ok(SeiBlockOutcome { settlements, cancelled: pairs(&out.cancelled), unfilled: pairs(&out.unfilled) })
}
