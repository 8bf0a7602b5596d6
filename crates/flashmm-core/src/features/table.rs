//! The feature table: one macro invocation defines the [`Feature`] index enum and the
//! [`FEATURES`] specs together, so names, order and documentation cannot drift apart.
//! `docs/features.md` holds the same table rendered by [`markdown_table`] (a test keeps it
//! current).

/// One row of the feature table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureSpec {
    pub id: Feature,
    /// snake_case name, stable: stored with models and normalisers.
    pub name: &'static str,
    /// Definition (notation in `docs/features.md`).
    pub formula: &'static str,
    /// Time window, half-life, or `–` for the current book.
    pub window: &'static str,
    pub units: &'static str,
}

macro_rules! feature_table {
    ($( $variant:ident : $name:literal, $formula:literal, $window:literal, $units:literal; )*) => {
        /// Index of each feature in the vector (`features()[Feature::X as usize]`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Feature {
            $( $variant, )*
        }

        /// The 64 features, in vector order.
        pub const FEATURES: [FeatureSpec; N_FEATURES] = [
            $( FeatureSpec { id: Feature::$variant, name: $name, formula: $formula, window: $window, units: $units }, )*
        ];
    };
}

/// Length of the feature vector (the ONNX contract's last dimension).
pub const N_FEATURES: usize = 64;

feature_table! {
    SpreadTicks: "spread_ticks", "a − b", "–", "ticks";
    SpreadBps: "spread_bps", "10⁴·(a − b)/m", "–", "bps";
    MicroMidTicks: "micro_minus_mid_ticks", "(b·Qa + a·Qb)/(Qb + Qa) − m", "–", "ticks";
    MicroMidBps: "micro_minus_mid_bps", "10⁴·(micro − m)/m", "–", "bps";
    Imb1: "imbalance_l1", "(ΣQb − ΣQa)/(ΣQb + ΣQa) over the best 1 level per side", "–", "[-1, 1]";
    Imb3: "imbalance_l3", "same over the best 3 levels per side", "–", "[-1, 1]";
    Imb5: "imbalance_l5", "same over the best 5 levels per side", "–", "[-1, 1]";
    Imb10: "imbalance_l10", "same over the best 10 levels per side", "–", "[-1, 1]";
    LogQBid: "log_queue_bid", "ln(1 + Qb)", "–", "log lots";
    LogQAsk: "log_queue_ask", "ln(1 + Qa)", "–", "log lots";
    QBidRel30s: "queue_bid_rel_30s", "ln((1 + Qb)/(1 + D̄₃₀ₛ))", "30 s", "log ratio";
    QAskRel30s: "queue_ask_rel_30s", "ln((1 + Qa)/(1 + D̄₃₀ₛ))", "30 s", "log ratio";
    LogDepthBid5: "log_depth_bid_5bps", "ln(1 + Db(5))", "–", "log lots";
    LogDepthAsk5: "log_depth_ask_5bps", "ln(1 + Da(5))", "–", "log lots";
    LogDepthBid10: "log_depth_bid_10bps", "ln(1 + Db(10))", "–", "log lots";
    LogDepthAsk10: "log_depth_ask_10bps", "ln(1 + Da(10))", "–", "log lots";
    LogDepthBid25: "log_depth_bid_25bps", "ln(1 + Db(25))", "–", "log lots";
    LogDepthAsk25: "log_depth_ask_25bps", "ln(1 + Da(25))", "–", "log lots";
    DepthImb5: "depth_imbalance_5bps", "(Db(5) − Da(5))/(Db(5) + Da(5))", "–", "[-1, 1]";
    DepthImb10: "depth_imbalance_10bps", "(Db(10) − Da(10))/(Db(10) + Da(10))", "–", "[-1, 1]";
    DepthImb25: "depth_imbalance_25bps", "(Db(25) − Da(25))/(Db(25) + Da(25))", "–", "[-1, 1]";
    DepthSlopeBid: "depth_slope_bid", "(ln(1 + Db(25)) − ln(1 + Db(5)))/ln 5", "–", "elasticity";
    DepthSlopeAsk: "depth_slope_ask", "(ln(1 + Da(25)) − ln(1 + Da(5)))/ln 5", "–", "elasticity";
    Ret100ms: "ret_100ms", "10⁴·ln(m(t)/m(t − w))", "100 ms", "bps";
    Ret500ms: "ret_500ms", "10⁴·ln(m(t)/m(t − w))", "500 ms", "bps";
    Ret1s: "ret_1s", "10⁴·ln(m(t)/m(t − w))", "1 s", "bps";
    Ret5s: "ret_5s", "10⁴·ln(m(t)/m(t − w))", "5 s", "bps";
    Ret30s: "ret_30s", "10⁴·ln(m(t)/m(t − w))", "30 s", "bps";
    Mom1s: "mom_1s", "10⁴·ln(m(t)/m̄_w), m̄_w = time-average of m", "1 s", "bps";
    Mom5s: "mom_5s", "10⁴·ln(m(t)/m̄_w)", "5 s", "bps";
    Mom30s: "mom_30s", "10⁴·ln(m(t)/m̄_w)", "30 s", "bps";
    LastMidMove: "last_mid_move", "sign of the last change of m", "–", "{-1, 0, 1}";
    Ofi100ms: "ofi_100ms", "Σ eₙ / max(1, D̄_w) (Cont–Kukanov–Stoikov)", "100 ms", "touch depths";
    Ofi500ms: "ofi_500ms", "Σ eₙ / max(1, D̄_w)", "500 ms", "touch depths";
    Ofi1s: "ofi_1s", "Σ eₙ / max(1, D̄_w)", "1 s", "touch depths";
    Ofi5s: "ofi_5s", "Σ eₙ / max(1, D̄_w)", "5 s", "touch depths";
    Ofi30s: "ofi_30s", "Σ eₙ / max(1, D̄_w)", "30 s", "touch depths";
    Tfi100ms: "tfi_100ms", "(B − S)/(B + S), 0 without trades", "100 ms", "[-1, 1]";
    Tfi500ms: "tfi_500ms", "(B − S)/(B + S)", "500 ms", "[-1, 1]";
    Tfi1s: "tfi_1s", "(B − S)/(B + S)", "1 s", "[-1, 1]";
    Tfi5s: "tfi_5s", "(B − S)/(B + S)", "5 s", "[-1, 1]";
    Tfi30s: "tfi_30s", "(B − S)/(B + S)", "30 s", "[-1, 1]";
    TradeRate100ms: "trade_rate_100ms", "ln(1 + N/w)", "100 ms", "log trades/s";
    TradeRate500ms: "trade_rate_500ms", "ln(1 + N/w)", "500 ms", "log trades/s";
    TradeRate1s: "trade_rate_1s", "ln(1 + N/w)", "1 s", "log trades/s";
    TradeRate5s: "trade_rate_5s", "ln(1 + N/w)", "5 s", "log trades/s";
    TradeRate30s: "trade_rate_30s", "ln(1 + N/w)", "30 s", "log trades/s";
    TradeVol500ms: "trade_volume_500ms", "ln(1 + (B + S)/max(1, D̄_w))", "500 ms", "log touch depths";
    TradeVol1s: "trade_volume_1s", "ln(1 + (B + S)/max(1, D̄_w))", "1 s", "log touch depths";
    TradeVol5s: "trade_volume_5s", "ln(1 + (B + S)/max(1, D̄_w))", "5 s", "log touch depths";
    TradeVol30s: "trade_volume_30s", "ln(1 + (B + S)/max(1, D̄_w))", "30 s", "log touch depths";
    Rv1s: "rv_1s", "√(Σ rᵢ² / w)", "1 s", "bps/√s";
    Rv5s: "rv_5s", "√(Σ rᵢ² / w)", "5 s", "bps/√s";
    Rv30s: "rv_30s", "√(Σ rᵢ² / w)", "30 s", "bps/√s";
    EwmaVol1s: "ewma_vol_1s", "√((ln 2/h)·Σ rᵢ²·2^(−(t − tᵢ)/h))", "half-life 1 s", "bps/√s";
    EwmaVol10s: "ewma_vol_10s", "√((ln 2/h)·Σ rᵢ²·2^(−(t − tᵢ)/h))", "half-life 10 s", "bps/√s";
    EwmaVol60s: "ewma_vol_60s", "√((ln 2/h)·Σ rᵢ²·2^(−(t − tᵢ)/h))", "half-life 60 s", "bps/√s";
    LogMsSinceTrade: "log_ms_since_trade", "ln(1 + min(t − t_trade, 60 s)/1 ms); no trade: 60 s", "cap 60 s", "log ms";
    LogMsSinceMid: "log_ms_since_mid_change", "ln(1 + min(t − t_mid, 60 s)/1 ms); first book state counts", "cap 60 s", "log ms";
    LastTradeSign: "last_trade_sign", "+1 buyer aggressor, −1 seller, 0 none", "–", "{-1, 0, 1}";
    LastTradeVsMid: "last_trade_vs_mid_bps", "10⁴·(p_trade − m)/m, 0 without a trade", "–", "bps";
    MidChangeRate5s: "mid_change_rate_5s", "ln(1 + K/w)", "5 s", "log changes/s";
    MidChangeRate30s: "mid_change_rate_30s", "ln(1 + K/w)", "30 s", "log changes/s";
    SpreadRel30s: "spread_rel_30s", "ln((a − b)/s̄_w), s̄_w = time-average spread", "30 s", "log ratio";
}

/// Index of a feature by name.
pub fn feature_index(name: &str) -> Option<usize> {
    FEATURES.iter().position(|f| f.name == name)
}

/// The feature names in vector order (what a normaliser or a model card records).
pub fn feature_names() -> [&'static str; N_FEATURES] {
    std::array::from_fn(|i| FEATURES[i].name)
}

/// The table as Markdown, exactly as it appears in `docs/features.md`.
pub fn markdown_table() -> String {
    let mut s = String::from("| # | name | formula | window | units |\n|---|---|---|---|---|\n");
    for (i, f) in FEATURES.iter().enumerate() {
        s.push_str(&format!(
            "| {i} | `{}` | {} | {} | {} |\n",
            f.name,
            f.formula.replace('|', "\\|"),
            f.window,
            f.units
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_names() {
        for (i, f) in FEATURES.iter().enumerate() {
            assert_eq!(f.id as usize, i, "{}", f.name);
            assert!(f.name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'), "{}", f.name);
            assert_eq!(feature_index(f.name), Some(i), "duplicate name {}", f.name);
        }
    }

    /// The docs carry the table generated from [`FEATURES`]; regenerate with
    /// `FLASHMM_UPDATE_DOCS=1 cargo test -p flashmm-core --lib features::table`.
    #[test]
    fn docs_table_is_generated_from_the_code() {
        const BEGIN: &str = "<!-- BEGIN FEATURE TABLE (generated from crates/flashmm-core/src/features/table.rs) -->\n";
        const END: &str = "<!-- END FEATURE TABLE -->";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/features.md");
        let doc = std::fs::read_to_string(&path).expect("docs/features.md");
        let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
            panic!("docs/features.md lacks the generated-table markers");
        };
        let current = &doc[b + BEGIN.len()..e];
        let table = markdown_table();
        if current != table {
            if std::env::var_os("FLASHMM_UPDATE_DOCS").is_some() {
                let updated = format!("{}{}{}", &doc[..b + BEGIN.len()], table, &doc[e..]);
                std::fs::write(&path, updated).expect("write docs/features.md");
            } else {
                panic!(
                    "docs/features.md's feature table differs from FEATURES; rerun with FLASHMM_UPDATE_DOCS=1 to regenerate"
                );
            }
        }
    }
}
