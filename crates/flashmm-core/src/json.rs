//! How the core writes JSON: exact integers that may pass 2⁵³ (money, ns) as decimal strings,
//! so JavaScript reads them with `BigInt` and never through a double.

/// `#[serde(with = "crate::json::int_str")]`: an integer as its decimal string.
pub mod int_str {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer, T: Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(|_| de::Error::custom(format!("expected an integer as a decimal string, got '{text}'")))
    }
}

/// `#[serde(with = "crate::json::opt_int_str")]`: an optional integer as its decimal string or `null`.
pub mod opt_int_str {
    use std::fmt::Display;

    use serde::Serializer;

    pub fn serialize<S: Serializer, T: Display>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }
}

/// TypeScript declarations of the JSON output types, generated from the Rust types (ts-rs) and
/// kept in `crates/flashmm-node/core-json.d.ts` (the binding's `index.d.ts` re-exports them). A
/// change to an output type fails this test until the file is regenerated with
/// `UPDATE_TS_TYPES=1 cargo test -p flashmm-core --lib json::`.
#[cfg(test)]
mod ts_types {
    use ts_rs::{Config, TS};

    use crate::backtest::{
        AccountJson, BacktestCounts, ConfigEcho, ReportRecord, RequestRecord, ResultJsonType, SimStatsJson,
    };
    use crate::book::Side;
    use crate::ledger::{LedgerSnapshot, Pnl};
    use crate::money::Liquidity;
    use crate::stats::{
        AdverseSelection, BacktestStats, Drawdown, EquityPoint, FillRecord, Inventory, OrderCounts, ReturnStats, Span,
        SpreadCaptured, StepRecord, Trading,
    };

    const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../flashmm-node/core-json.d.ts");

    fn decl<T: TS>(cfg: &Config) -> String {
        format!("export {}", T::decl(cfg))
    }

    #[test]
    fn generated_declarations_are_current() {
        // Prices, lots and counts are numbers (< 2^53); money and ns are strings (see above).
        let cfg = Config::new().with_large_int("number");
        let decls = [
            decl::<ResultJsonType>(&cfg),
            decl::<ConfigEcho>(&cfg),
            decl::<BacktestCounts>(&cfg),
            decl::<SimStatsJson>(&cfg),
            decl::<AccountJson>(&cfg),
            decl::<BacktestStats>(&cfg),
            decl::<Span>(&cfg),
            decl::<Pnl>(&cfg),
            decl::<ReturnStats>(&cfg),
            decl::<Drawdown>(&cfg),
            decl::<Trading>(&cfg),
            decl::<OrderCounts>(&cfg),
            decl::<Inventory>(&cfg),
            decl::<SpreadCaptured>(&cfg),
            decl::<AdverseSelection>(&cfg),
            decl::<EquityPoint>(&cfg),
            decl::<StepRecord>(&cfg),
            decl::<FillRecord>(&cfg),
            decl::<RequestRecord>(&cfg),
            decl::<ReportRecord>(&cfg),
            decl::<LedgerSnapshot>(&cfg),
            decl::<Side>(&cfg),
            decl::<Liquidity>(&cfg),
        ];
        let text = format!(
            "// Generated from the core's Rust output types by ts-rs (crates/flashmm-core/src/json.rs). Do not edit.\n\n{}\n",
            decls.join("\n\n")
        );
        if std::env::var_os("UPDATE_TS_TYPES").is_some() {
            std::fs::write(PATH, &text).expect("write core-json.d.ts");
        }
        let committed = std::fs::read_to_string(PATH).unwrap_or_default();
        assert!(committed == text, "crates/flashmm-node/core-json.d.ts is stale: regenerate it with UPDATE_TS_TYPES=1");
    }
}
