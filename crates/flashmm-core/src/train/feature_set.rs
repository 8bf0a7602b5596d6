//! Which of the 64 features a network reads. The ONNX input stays `[batch, seq, 64]` (the
//! contract); features outside the set are zeroed after normalisation in training and get
//! zero weights in the exported first layer, so the two compute the same function.

use serde::{Deserialize, Serialize};

use crate::features::{N_FEATURES, feature_index};

/// A named subset of the feature table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureSet {
    /// All 64.
    #[default]
    All,
    /// All but the features measured in lots ([`LOT_FEATURES`]): their level depends on the
    /// market's lot size, so pooled across markets they tell the model which market it is
    /// on rather than what the book is doing. Every other feature is a ratio, an imbalance,
    /// a rate, a return in bps, or counts ticks.
    ScaleFree,
    /// The imbalances only ([`IMBALANCE_FEATURES`]): the logistic baseline's inputs.
    Imbalance,
    /// The imbalances and the order flow ([`FLOW_FEATURES`]): what says which way the mid
    /// goes, without what says how often it moves.
    Flow,
}

/// Features in log lots (raw queue sizes and band depths).
pub const LOT_FEATURES: [&str; 8] = [
    "log_queue_bid",
    "log_queue_ask",
    "log_depth_bid_5bps",
    "log_depth_ask_5bps",
    "log_depth_bid_10bps",
    "log_depth_ask_10bps",
    "log_depth_bid_25bps",
    "log_depth_ask_25bps",
];

/// Order-book imbalances: by level count and by distance from the mid.
pub const IMBALANCE_FEATURES: [&str; 7] = [
    "imbalance_l1",
    "imbalance_l3",
    "imbalance_l5",
    "imbalance_l10",
    "depth_imbalance_5bps",
    "depth_imbalance_10bps",
    "depth_imbalance_25bps",
];

/// Order-flow features added to the imbalances in [`FeatureSet::Flow`].
pub const FLOW_FEATURES: [&str; 12] = [
    "micro_minus_mid_bps",
    "ofi_100ms",
    "ofi_500ms",
    "ofi_1s",
    "ofi_5s",
    "ofi_30s",
    "tfi_100ms",
    "tfi_500ms",
    "tfi_1s",
    "tfi_5s",
    "tfi_30s",
    "last_trade_sign",
];

fn index(name: &str) -> usize {
    feature_index(name).unwrap_or_else(|| panic!("{name} is in the feature table"))
}

impl FeatureSet {
    pub fn name(self) -> &'static str {
        match self {
            FeatureSet::All => "all",
            FeatureSet::ScaleFree => "scale_free",
            FeatureSet::Imbalance => "imbalance",
            FeatureSet::Flow => "flow",
        }
    }

    /// `true` for each feature in the set.
    pub fn mask(self) -> [bool; N_FEATURES] {
        match self {
            FeatureSet::All => [true; N_FEATURES],
            FeatureSet::ScaleFree => {
                let mut m = [true; N_FEATURES];
                LOT_FEATURES.iter().for_each(|f| m[index(f)] = false);
                m
            }
            FeatureSet::Imbalance => {
                let mut m = [false; N_FEATURES];
                IMBALANCE_FEATURES.iter().for_each(|f| m[index(f)] = true);
                m
            }
            FeatureSet::Flow => {
                let mut m = FeatureSet::Imbalance.mask();
                FLOW_FEATURES.iter().for_each(|f| m[index(f)] = true);
                m
            }
        }
    }

    /// Indices of the features in the set, in table order.
    pub fn indices(self) -> Vec<usize> {
        (0..N_FEATURES).filter(|&i| self.mask()[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::feature_names;

    #[test]
    fn sets_select_the_named_features() {
        assert_eq!(FeatureSet::All.indices().len(), 64);
        let sf = FeatureSet::ScaleFree.indices();
        assert_eq!(sf.len(), 56);
        let names = feature_names();
        assert!(sf.iter().all(|&i| !names[i].starts_with("log_queue") && !names[i].starts_with("log_depth")));
        assert_eq!(FeatureSet::Imbalance.indices(), vec![4, 5, 6, 7, 18, 19, 20]);
        assert_eq!(FeatureSet::Flow.indices().len(), 19);
    }
}
