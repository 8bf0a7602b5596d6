//! `MarketSpec`: a market's tick and lot grid, with exact decimal conversion.

use flashmm_core::spec::{self as core, BinanceMarket};
use napi_derive::napi;

use crate::convert::{core_err, invalid_arg, lots, ticks};
use crate::error::{Result, guard};

#[napi(object)]
pub struct MarketSpecInit {
    pub symbol: String,
    /// Decimal string, e.g. "0.01".
    pub tick_size: String,
    pub lot_size: String,
    /// Decimal string; defaults to one lot.
    pub min_size: Option<String>,
    /// The minimum size in lots instead of `minSize` (a venue's market list gives this).
    pub min_size_lots: Option<f64>,
    /// Fee rates in parts per million of notional; negative is a rebate.
    pub maker_fee_ppm: Option<i32>,
    pub taker_fee_ppm: Option<i32>,
}

#[napi]
#[derive(Clone)]
pub struct MarketSpec {
    pub(crate) inner: core::MarketSpec,
}

/// The core spec of a `MarketSpecInit` (also used by options objects that carry one).
pub(crate) fn spec_from_init(init: &MarketSpecInit) -> Result<core::MarketSpec> {
    let mut spec = core::MarketSpec::new(&init.symbol, &init.tick_size, &init.lot_size).map_err(core_err)?;
    if let Some(min) = &init.min_size {
        if init.min_size_lots.is_some() {
            return Err(invalid_arg("give minSize or minSizeLots, not both"));
        }
        spec = spec.with_min_size(min).map_err(core_err)?;
    }
    if let Some(n) = init.min_size_lots {
        let n = lots(n, "minSizeLots")?;
        if n < 1 {
            return Err(invalid_arg(format!("minSizeLots = {n} must be >= 1")));
        }
        spec.min_size_lots = n;
    }
    let maker = i64::from(init.maker_fee_ppm.unwrap_or(0));
    let taker = i64::from(init.taker_fee_ppm.unwrap_or(0));
    spec.with_fees(maker, taker).map_err(core_err)
}

/// The JS name of a Binance market ("spot" | "usdm" | "coinm"), as `parse_binance_market` takes it.
pub(crate) fn binance_market_name(m: BinanceMarket) -> &'static str {
    match m {
        BinanceMarket::Spot => "spot",
        BinanceMarket::UsdM => "usdm",
        BinanceMarket::CoinM => "coinm",
    }
}

pub(crate) fn parse_binance_market(name: &str) -> Result<BinanceMarket> {
    match name {
        "spot" => Ok(BinanceMarket::Spot),
        "usdm" => Ok(BinanceMarket::UsdM),
        "coinm" => Ok(BinanceMarket::CoinM),
        other => Err(invalid_arg(format!("unknown Binance market '{other}' (expected spot, usdm or coinm)"))),
    }
}

#[napi]
impl MarketSpec {
    #[napi(constructor)]
    pub fn new(init: MarketSpecInit) -> Result<Self> {
        guard(|| Ok(Self { inner: spec_from_init(&init)? }))
    }

    /// The built-in grid of a Binance market (`spot`, `usdm` or `coinm`).
    #[napi(factory)]
    pub fn binance(symbol: String, market: String) -> Result<Self> {
        guard(|| {
            let m = parse_binance_market(&market)?;
            core::MarketSpec::binance(&symbol, m)
                .map(|inner| Self { inner })
                .ok_or_else(|| invalid_arg(format!("no built-in spec for Binance {market} symbol '{symbol}'")))
        })
    }

    /// Money (an exact integer string in `tick × lot × 10⁻⁶` units, as in the backtest JSON)
    /// as a decimal string of the quote currency.
    #[napi]
    pub fn format_money(&self, money: String) -> Result<String> {
        guard(|| {
            let m: i128 =
                money.trim().parse().map_err(|_| invalid_arg(format!("money '{money}' is not an integer")))?;
            Ok(flashmm_core::money::format_money(&self.inner, m))
        })
    }

    #[napi(getter, catch_unwind)]
    pub fn symbol(&self) -> String {
        self.inner.symbol.clone()
    }

    #[napi(getter, catch_unwind)]
    pub fn tick_size(&self) -> String {
        self.inner.tick.to_string()
    }

    #[napi(getter, catch_unwind)]
    pub fn lot_size(&self) -> String {
        self.inner.lot.to_string()
    }

    #[napi(getter, catch_unwind)]
    pub fn min_size_lots(&self) -> f64 {
        self.inner.min_size_lots as f64
    }

    #[napi(getter, catch_unwind)]
    pub fn maker_fee_ppm(&self) -> f64 {
        self.inner.maker_fee_ppm as f64
    }

    #[napi(getter, catch_unwind)]
    pub fn taker_fee_ppm(&self) -> f64 {
        self.inner.taker_fee_ppm as f64
    }

    /// "61773.6" → 617736 at tick 0.1; off-grid or malformed strings throw.
    #[napi]
    pub fn price_to_ticks(&self, price: String) -> Result<f64> {
        guard(|| self.inner.price_to_ticks(&price).map(|t| t as f64).map_err(core_err))
    }

    #[napi]
    pub fn size_to_lots(&self, size: String) -> Result<f64> {
        guard(|| self.inner.size_to_lots(&size).map(|l| l as f64).map_err(core_err))
    }

    #[napi]
    pub fn ticks_to_price(&self, price_ticks: f64) -> Result<String> {
        guard(|| Ok(self.inner.ticks_to_price(ticks(price_ticks, "ticks")?)))
    }

    #[napi]
    pub fn lots_to_size(&self, size_lots: f64) -> Result<String> {
        guard(|| Ok(self.inner.lots_to_size(lots(size_lots, "lots")?)))
    }
}
