//! Choosing the default model among candidates, on the walk-forward **validation** part only
//! (the test part is reported, never read here).
//!
//! **Rule.** A candidate *beats the baselines* at a horizon on a metric when its validation
//! figure (mean over markets) is better than every baseline's: lower log-loss, higher
//! direction given a move. Only candidates that fit the serving budget may become the
//! default ([`Candidate::serves`]). Among those, the default beats the baselines on both
//! metrics at every horizon if any does (lowest validation log-loss averaged over the
//! horizons among them); if none does, it is the one that beats them on the most (horizon,
//! metric) pairs, ties broken by that loss, and the card says plainly that no candidate beat
//! every baseline. It may be the logistic baseline itself, exported through the contract.

use serde::Serialize;

use crate::features::Dataset;

use super::config::{ArchConfig, Combine, LogisticConfig, LstmConfig, MlpConfig, TrainConfig, TransformerConfig};
use super::evaluate::{MeanMetrics, ModelCardReport, PredictorMean};
use super::feature_set::FeatureSet;
use super::recordings::{RunError, train_and_evaluate};
use super::{TrainProgress, TrainedModel};

/// A named training configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub name: &'static str,
    pub config: TrainConfig,
    /// Fits the serving budget (inference p99 ≤ 50 µs at batch 1, DESIGN "The hot path"):
    /// false for the architectures `bench/inference.bench.ts` measured above it (the
    /// transformer, and ensembles holding it or the LSTM with other members); a fixed
    /// property of the candidate, so the choice does not depend on a noisy timing.
    pub serves: bool,
}

fn mlp(hidden: &[usize], dropout: f32) -> ArchConfig {
    ArchConfig::Mlp(MlpConfig { seq: 1, hidden: hidden.to_vec(), dropout })
}

fn logistic(features: FeatureSet, l2: f64) -> ArchConfig {
    ArchConfig::Logistic(LogisticConfig { features, l2 })
}

/// The candidates `flashmm train --select` compares, all with `seed`: the logistic baseline
/// itself, a logistic model on every scale-free feature, the previous default (MLP 64-64 on
/// all features), smaller regularised MLPs on scale-free features, the LSTM and transformer
/// at their reference sizes, and ensembles that include the logistic baseline.
pub fn candidates(seed: u64) -> Vec<Candidate> {
    let base = |arch: ArchConfig, features: FeatureSet, weight_decay: f64| TrainConfig {
        seed,
        features,
        weight_decay,
        ..TrainConfig::new(arch)
    };
    let sf = FeatureSet::ScaleFree;
    let logit_imb = logistic(FeatureSet::Imbalance, 1.0);
    let logit_flow = logistic(FeatureSet::Flow, 1.0);
    let transformer = ArchConfig::Transformer(TransformerConfig::default());
    let ensemble = |members: Vec<ArchConfig>, combine: Combine| ArchConfig::Ensemble { members, combine };
    let c = |name, config, serves| Candidate { name, config, serves };
    vec![
        c("logistic_imbalance", base(logit_imb.clone(), sf, 0.0), true),
        c("logistic_flow", base(logit_flow.clone(), sf, 0.0), true),
        c("logistic_scale_free", base(logistic(sf, 10.0), sf, 0.0), true),
        c("mlp_64_64_all", base(mlp(&[64, 64], 0.0), FeatureSet::All, 0.01), true),
        c("mlp_32_scale_free", base(mlp(&[32], 0.2), sf, 0.1), true),
        c("mlp_16_scale_free", base(mlp(&[16], 0.1), sf, 0.1), true),
        c(
            "ensemble_logistic_mlp",
            base(ensemble(vec![logit_imb.clone(), mlp(&[32], 0.2)], Combine::Mean), sf, 0.1),
            true,
        ),
        c(
            "ensemble_logistic_mlp_logistic_scale_free",
            base(ensemble(vec![logit_imb.clone(), mlp(&[32], 0.2), logistic(sf, 10.0)], Combine::Mean), sf, 0.1),
            true,
        ),
        c("lstm", base(ArchConfig::Lstm(LstmConfig::default()), sf, 0.1), true),
        c(
            "ensemble_logistic_lstm",
            base(ensemble(vec![logit_imb.clone(), ArchConfig::Lstm(LstmConfig::default())], Combine::Mean), sf, 0.1),
            true,
        ),
        c("transformer", base(transformer.clone(), sf, 0.1), false),
        c("ensemble_reference", base(ArchConfig::reference(super::ArchKind::Ensemble), sf, 0.1), false),
        c(
            "move_transformer_direction_logistic",
            base(ensemble(vec![transformer.clone(), logit_imb.clone()], Combine::MoveDirection), sf, 0.1),
            false,
        ),
        c(
            "move_transformer_direction_flow",
            base(ensemble(vec![transformer.clone(), logit_flow.clone()], Combine::MoveDirection), sf, 0.1),
            false,
        ),
        c(
            "move_mlp_direction_flow",
            base(ensemble(vec![mlp(&[32], 0.2), logit_flow], Combine::MoveDirection), sf, 0.1),
            true,
        ),
    ]
}

/// Where a candidate stands against the best baseline at one horizon (validation means).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HorizonVerdict {
    pub horizon_ms: i64,
    pub log_loss: f64,
    pub best_baseline_log_loss: f64,
    pub best_baseline_log_loss_name: &'static str,
    pub direction_accuracy: Option<f64>,
    pub best_baseline_direction: Option<f64>,
    pub best_baseline_direction_name: &'static str,
    pub log_loss_beats: bool,
    pub direction_beats: bool,
    /// Both.
    pub beats: bool,
}

/// One candidate's validation figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CandidateRow {
    pub name: &'static str,
    pub config: TrainConfig,
    pub verdicts: Vec<HorizonVerdict>,
    pub beats_baselines: bool,
    /// (horizon, metric) pairs where it beats every baseline (of 2 × horizons).
    pub wins: usize,
    pub serves: bool,
    /// Validation log-loss, mean over markets, averaged over the horizons.
    pub val_log_loss: f64,
    pub best_epoch: usize,
    /// Throughput of this run (a timing: not serialised, the report stays reproducible).
    #[serde(skip)]
    pub train_samples_per_sec: f64,
}

/// The comparison and the choice.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectionReport {
    pub rule: &'static str,
    pub candidates: Vec<CandidateRow>,
    /// Index of the default in `candidates`.
    pub chosen: usize,
    /// Every candidate's ONNX model, in `candidates` order (not serialised).
    #[serde(skip)]
    pub models: Vec<Vec<u8>>,
}

pub const RULE: &str = "among the candidates within the serving budget: one that beats every baseline on validation \
     log-loss and direction given a move at every horizon (means over markets), the lowest validation log-loss averaged \
     over horizons among them; if none does, the one beating every baseline on the most (horizon, metric) pairs, ties \
     broken by that loss";

/// The verdicts of `report`'s model against its baselines on validation.
pub fn verdicts(report: &ModelCardReport) -> Vec<HorizonVerdict> {
    let means = &report.validation.mean;
    let Some(model) = means.iter().find(|p| p.name == "model") else { return Vec::new() };
    let baselines: Vec<&PredictorMean> = means.iter().filter(|p| p.name != "model").collect();
    (0..model.horizons.len())
        .map(|k| {
            let m: &MeanMetrics = &model.horizons[k];
            let (ll_name, ll) = baselines
                .iter()
                .map(|b| (b.name, b.horizons[k].log_loss))
                .fold(("–", f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
            let (dir_name, dir) = baselines
                .iter()
                .filter_map(|b| b.horizons[k].direction_accuracy.map(|d| (b.name, d)))
                .fold(("–", f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            let dir = dir.is_finite().then_some(dir);
            let log_loss_beats = m.log_loss < ll;
            let direction_beats = matches!((m.direction_accuracy, dir), (Some(a), Some(b)) if a > b);
            HorizonVerdict {
                horizon_ms: m.horizon_ms,
                log_loss: m.log_loss,
                best_baseline_log_loss: ll,
                best_baseline_log_loss_name: ll_name,
                direction_accuracy: m.direction_accuracy,
                best_baseline_direction: dir,
                best_baseline_direction_name: dir_name,
                log_loss_beats,
                direction_beats,
                beats: log_loss_beats && direction_beats,
            }
        })
        .collect()
}

/// Index of the default among `rows` by [`RULE`]; `None` for no serving row with a finite
/// loss.
pub fn choose(rows: &[CandidateRow]) -> Option<usize> {
    (0..rows.len()).filter(|&i| rows[i].serves && rows[i].val_log_loss.is_finite()).min_by(|&a, &b| {
        let (x, y) = (&rows[a], &rows[b]);
        y.beats_baselines
            .cmp(&x.beats_baselines)
            .then(y.wins.cmp(&x.wins))
            .then(x.val_log_loss.total_cmp(&y.val_log_loss))
    })
}

/// Trains and scores every candidate; returns the comparison and the chosen model with its
/// card. Only the best model so far is kept in memory.
pub fn select(
    datasets: &[Dataset],
    markets: &[String],
    candidates: &[Candidate],
    mut progress: impl FnMut(&str, TrainProgress),
) -> Result<(SelectionReport, TrainedModel, ModelCardReport), RunError> {
    let mut rows: Vec<CandidateRow> = Vec::new();
    let mut models = Vec::new();
    let mut kept: Option<(usize, TrainedModel, ModelCardReport)> = None;
    for c in candidates {
        let (trained, report) = train_and_evaluate(datasets, markets, &c.config, |p| progress(c.name, p))?;
        let v = verdicts(&report);
        let val_log_loss = v.iter().map(|h| h.log_loss).sum::<f64>() / v.len().max(1) as f64;
        let wins = v.iter().map(|h| usize::from(h.log_loss_beats) + usize::from(h.direction_beats)).sum();
        rows.push(CandidateRow {
            name: c.name,
            config: c.config.clone(),
            beats_baselines: !v.is_empty() && v.iter().all(|h| h.beats),
            wins,
            serves: c.serves,
            verdicts: v,
            val_log_loss,
            best_epoch: trained.best_epoch,
            train_samples_per_sec: trained.samples_per_sec,
        });
        models.push(trained.onnx.clone());
        if choose(&rows) == Some(rows.len() - 1) {
            kept = Some((rows.len() - 1, trained, report));
        }
    }
    let (chosen, trained, report) = kept.ok_or_else(|| {
        RunError::Train(super::TrainError::Config("no candidate produced a finite validation loss".into()))
    })?;
    Ok((SelectionReport { rule: RULE, candidates: rows, chosen, models }, trained, report))
}

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x:.4}") } else { "–".into() }
}

/// The comparison as Markdown: one row per candidate and horizon (validation only).
pub fn markdown(s: &SelectionReport) -> String {
    let mut out = format!(
        "Rule: {}.\n\n| candidate | serves | horizon | log-loss | best baseline log-loss | direction given a move | best baseline direction | beats (log-loss, direction) |\n|---|---|---|---|---|---|---|---|\n",
        s.rule
    );
    for (i, r) in s.candidates.iter().enumerate() {
        for (k, v) in r.verdicts.iter().enumerate() {
            let name = match (k, i == s.chosen) {
                (0, true) => format!("**{}** (chosen)", r.name),
                (0, false) => r.name.to_string(),
                _ => String::new(),
            };
            let serves = match (k, r.serves) {
                (0, true) => "yes",
                (0, false) => "no",
                _ => "",
            };
            let yn = |b: bool| if b { "yes" } else { "no" };
            out.push_str(&format!(
                "| {name} | {serves} | {} ms | {} | {} ({}) | {} | {} ({}) | {}, {} |\n",
                v.horizon_ms,
                num(v.log_loss),
                num(v.best_baseline_log_loss),
                v.best_baseline_log_loss_name,
                v.direction_accuracy.map_or("–".into(), num),
                v.best_baseline_direction.map_or("–".into(), num),
                v.best_baseline_direction_name,
                yn(v.log_loss_beats),
                yn(v.direction_beats)
            ));
        }
    }
    let chosen = &s.candidates[s.chosen];
    out.push_str(&if chosen.beats_baselines {
        format!("\nThe default, `{}`, beats every baseline on validation at every horizon on both metrics.\n", chosen.name)
    } else if s.candidates.iter().any(|c| c.beats_baselines) {
        format!("\nThe default, `{}`, is the best within the serving budget; a candidate over the budget beat every baseline.\n", chosen.name)
    } else {
        format!(
            "\n**No candidate beats every baseline on validation at every horizon on both metrics.** The default, `{}`, \
             beats them on {} of the {} (horizon, metric) pairs.\n",
            chosen.name,
            chosen.wins,
            2 * chosen.verdicts.len()
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::ArchKind;

    fn row(name: &'static str, beats: [(bool, bool); 3], loss: f64, serves: bool) -> CandidateRow {
        let verdicts: Vec<HorizonVerdict> = beats
            .iter()
            .map(|&(l, d)| HorizonVerdict {
                horizon_ms: 100,
                log_loss: loss,
                best_baseline_log_loss: 1.0,
                best_baseline_log_loss_name: "b",
                direction_accuracy: Some(0.8),
                best_baseline_direction: Some(0.8),
                best_baseline_direction_name: "b",
                log_loss_beats: l,
                direction_beats: d,
                beats: l && d,
            })
            .collect();
        CandidateRow {
            name,
            config: TrainConfig::tiny(ArchKind::Mlp),
            beats_baselines: verdicts.iter().all(|v| v.beats),
            wins: verdicts.iter().map(|v| usize::from(v.log_loss_beats) + usize::from(v.direction_beats)).sum(),
            verdicts,
            serves,
            val_log_loss: loss,
            best_epoch: 1,
            train_samples_per_sec: 1.0,
        }
    }

    const ALL: [(bool, bool); 3] = [(true, true); 3];
    const FIVE: [(bool, bool); 3] = [(true, true), (true, true), (true, false)];

    #[test]
    fn the_rule_prefers_beating_everything_then_most_wins_then_loss_within_the_budget() {
        // Beating every baseline wins over a lower loss.
        let rows = [row("low", FIVE, 0.1, true), row("all", ALL, 0.5, true)];
        assert_eq!(choose(&rows), Some(1));
        // Over the budget never serves, however good.
        let rows = [row("fast", FIVE, 0.5, true), row("slow", ALL, 0.1, false)];
        assert_eq!(choose(&rows), Some(0));
        // No one beats everything: most wins, then the lower loss.
        let three = [(true, false), (true, false), (true, false)];
        let rows = [row("a", three, 0.1, true), row("b", FIVE, 0.4, true), row("c", FIVE, 0.3, true)];
        assert_eq!(choose(&rows), Some(2));
        assert_eq!(choose(&[row("slow", ALL, 0.1, false)]), None);
        let s = SelectionReport { rule: RULE, candidates: rows.to_vec(), chosen: 2, models: vec![] };
        assert!(markdown(&s).contains("**No candidate beats every baseline on validation"), "{}", markdown(&s));
    }
}
