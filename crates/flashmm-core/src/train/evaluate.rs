//! The model card's numbers: a trained model and naive baselines, per horizon, on the
//! validation split (to choose the default model) and on the held-out test split (to report
//! it; never to choose).
//!
//! * [`metrics`]: accuracy (all, non-flat, directional precision, direction given a move),
//!   log-loss, Brier, ECE and reliability bins — pure functions of probabilities and labels.
//! * [`baselines`]: always flat, persistence of the last mid move, sign of the level-1
//!   imbalance, logistic regression on the imbalance features; all fitted on the training
//!   split only.
//! * Every split is scored pooled and **per market** (recording), and the card's headline
//!   figures are the **means over markets** ([`PredictorMean`]): one busy market does not
//!   outvote five quiet ones.
//! * [`evaluate_model`]: re-derives the run's split from the datasets and the
//!   [`TrainConfig`] (checked against the [`TrainedModel`]), runs the model through a
//!   caller-supplied logits function (candle's [`TrainedModel::predict`], or the served
//!   tract path), and assembles a [`ModelCardReport`] (JSON via serde, fields in declaration
//!   order, no maps: the same inputs serialise to the same bytes).
//! * [`markdown_table`]: the report as the Markdown of the docs' model card;
//!   [`choose_default`]: the default among candidates, by validation log-loss only.

pub mod baselines;
pub mod metrics;

use std::fmt::{Display, Write as _};

use serde::Serialize;

use crate::features::{Dataset, Direction, HORIZONS_NS, N_FEATURES, N_HORIZONS, feature_names};

use super::windows::{Sample, WindowSet, split_samples};
use super::{TrainConfig, TrainError, TrainedModel};

pub use baselines::{Baseline, BaselineFit, Context, IMBALANCE_FEATURE, LOGISTIC_L2, contexts, last_moves};
pub use metrics::{
    Bin, HorizonMetrics, N_BINS, N_CLASSES, PROB_FLOOR, Probs, argmax, argmax_decisions, evaluate_decisions,
    evaluate_probs, probs_from_logits,
};

/// Windows per call of the logits function: bounded memory, large enough for batching.
const CHUNK: usize = 1024;

/// The label definition, as the model card states it.
pub const LABEL_DEFINITION: &str = "sign of m(t + h) − m(t), m = mid in force (last book state stamped ≤ t + h), \
     flat = unchanged mid (no band), h = 100 / 200 / 500 ms of exchange time";

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("model logits: {0}")]
    Logits(String),
    #[error("the datasets or config do not match the training run: {0}")]
    Mismatch(String),
    #[error("fitting the logistic baseline: {0}")]
    Baseline(#[from] crate::train::logistic::LogisticError),
}

/// One recording of the data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordingSummary {
    /// The recording's name (file name without `.gz`).
    pub market: String,
    pub rows: usize,
    /// First and last sample time, exchange ns (0 when empty).
    pub first_ts: i64,
    pub last_ts: i64,
    /// `[horizon][down, flat, up]` over all rows.
    pub class_counts: [[usize; N_CLASSES]; N_HORIZONS],
}

/// The split, as configured and as it came out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitSummary {
    pub train_frac: f64,
    pub val_frac: f64,
    pub embargo_ns: i64,
    pub step_ns: i64,
    pub train: usize,
    pub val: usize,
    pub test: usize,
    pub dropped_boundary: usize,
}

/// What the default model is chosen on: validation figures only.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Selection {
    pub criterion: &'static str,
    pub best_epoch: usize,
    /// The training loop's best validation loss per member (class-weighted if so trained).
    pub best_val_loss: Vec<f64>,
    /// Mean over horizons of the model's validation log-loss.
    pub val_log_loss_mean: f64,
    /// Mean over horizons of the model's validation accuracy.
    pub val_accuracy_mean: f64,
}

/// A baseline's metrics on one split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineEval {
    pub name: &'static str,
    pub rule: &'static str,
    pub metrics: Vec<HorizonMetrics>,
}

/// Model and baselines on one market's part of a split (without reliability bins).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarketEval {
    pub recording: usize,
    pub market: String,
    pub n: usize,
    pub model: Vec<HorizonMetrics>,
    pub baselines: Vec<BaselineEval>,
}

/// One predictor's figures at one horizon, averaged over markets (each market weighs the
/// same; a ratio undefined on a market, e.g. no move, is left out of its mean).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeanMetrics {
    pub horizon_ms: i64,
    pub markets: usize,
    pub log_loss: f64,
    pub direction_accuracy: Option<f64>,
    pub accuracy_nonflat: Option<f64>,
    pub ece: f64,
    pub accuracy: f64,
    /// Samples and non-flat samples summed over the markets.
    pub n: usize,
    pub n_nonflat: usize,
}

/// A predictor's means over markets, per horizon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictorMean {
    /// `model` or a baseline's name.
    pub name: &'static str,
    pub horizons: Vec<MeanMetrics>,
}

/// Model and baselines on one split: pooled over every sample, per market, and the means
/// over markets (model first, then the baselines in [`Baseline::ALL`] order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitEval {
    pub n: usize,
    pub model: Vec<HorizonMetrics>,
    pub baselines: Vec<BaselineEval>,
    pub markets: Vec<MarketEval>,
    pub mean: Vec<PredictorMean>,
}

impl SplitEval {
    /// The means of predictor `name` (`model` or a baseline).
    pub fn mean_of(&self, name: &str) -> Option<&PredictorMean> {
        self.mean.iter().find(|p| p.name == name)
    }
}

fn mean_opt(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let got: Vec<f64> = v.flatten().collect();
    (!got.is_empty()).then(|| got.iter().sum::<f64>() / got.len() as f64)
}

/// Means over `markets` of each predictor's per-horizon metrics.
pub fn means_over_markets(markets: &[MarketEval]) -> Vec<PredictorMean> {
    let markets: Vec<&MarketEval> = markets.iter().filter(|m| m.n > 0).collect();
    let Some(first) = markets.first() else { return Vec::new() };
    let names = std::iter::once("model").chain(first.baselines.iter().map(|b| b.name));
    names
        .enumerate()
        .map(|(p, name)| {
            let of = |m: &'_ MarketEval| -> Vec<HorizonMetrics> {
                if p == 0 { m.model.clone() } else { m.baselines[p - 1].metrics.clone() }
            };
            let per: Vec<Vec<HorizonMetrics>> = markets.iter().map(|m| of(m)).collect();
            let horizons = (0..first.model.len())
                .map(|k| {
                    let hs: Vec<&HorizonMetrics> = per.iter().map(|v| &v[k]).collect();
                    let avg =
                        |f: &dyn Fn(&HorizonMetrics) -> f64| hs.iter().map(|h| f(h)).sum::<f64>() / hs.len() as f64;
                    MeanMetrics {
                        horizon_ms: hs[0].horizon_ms,
                        markets: hs.len(),
                        log_loss: avg(&|h| h.log_loss),
                        direction_accuracy: mean_opt(hs.iter().map(|h| h.direction_accuracy)),
                        accuracy_nonflat: mean_opt(hs.iter().map(|h| h.accuracy_nonflat)),
                        ece: avg(&|h| h.ece),
                        accuracy: avg(&|h| h.accuracy),
                        n: hs.iter().map(|h| h.n).sum(),
                        n_nonflat: hs.iter().map(|h| h.n_nonflat).sum(),
                    }
                })
                .collect();
            PredictorMean { name, horizons }
        })
        .collect()
}

/// Everything in the model card.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelCardReport {
    pub arch: &'static str,
    pub seq: usize,
    pub config: TrainConfig,
    pub horizons_ms: [i64; N_HORIZONS],
    pub classes: [&'static str; N_CLASSES],
    pub label_definition: &'static str,
    pub features: Vec<&'static str>,
    pub data: Vec<RecordingSummary>,
    pub split: SplitSummary,
    /// The features the model reads (names; the union over an ensemble's members).
    pub feature_set: Vec<&'static str>,
    pub selection: Selection,
    pub baseline_fit: BaselineFit,
    pub validation: SplitEval,
    pub test: SplitEval,
    /// Leave-one-recording-out folds, when run ([`LeaveOneOut`]).
    pub leave_one_out: Option<LeaveOneOut>,
}

/// Leave one recording out: per fold, a model trained (with the same config) on the other
/// recordings, scored on the held-out one, whole; and the means over folds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeaveOneOut {
    pub folds: Vec<MarketEval>,
    /// Best epoch of each fold's (first) member.
    pub best_epochs: Vec<usize>,
    pub mean: Vec<PredictorMean>,
}

/// The samples (recording, row) of `set`'s windows, found by their recording and time.
pub fn sample_rows(datasets: &[Dataset], set: &WindowSet) -> Result<Vec<Sample>, EvalError> {
    set.ts
        .iter()
        .zip(&set.recording)
        .map(|(&t, &r)| {
            let ds = datasets.get(r).ok_or_else(|| EvalError::Mismatch(format!("no recording {r}")))?;
            let end =
                ds.ts.binary_search(&t).map_err(|_| EvalError::Mismatch(format!("recording {r} has no row at {t}")))?;
            Ok(Sample { recording: r, end })
        })
        .collect()
}

/// Metrics of every baseline on samples with contexts `ctx` and labels `labels`.
pub fn evaluate_baselines(fit: &BaselineFit, ctx: &[Context], labels: &[[Direction; N_HORIZONS]]) -> Vec<BaselineEval> {
    Baseline::ALL
        .iter()
        .map(|&b| {
            let (probs, decisions) = fit.predict_all(b, ctx);
            BaselineEval { name: b.name(), rule: b.rule(), metrics: evaluate_decisions(&probs, &decisions, labels) }
        })
        .collect()
}

/// Probabilities of `n` windows; `fill(i, buf)` appends window `i`'s raw features.
fn model_probs<E: Display>(
    logits: &mut impl FnMut(&[f32]) -> Result<Vec<f32>, E>,
    n: usize,
    mut fill: impl FnMut(usize, &mut Vec<f32>),
) -> Result<Vec<Probs>, EvalError> {
    let mut out = Vec::with_capacity(n);
    let mut x = Vec::new();
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        x.clear();
        (start..end).for_each(|i| fill(i, &mut x));
        let l = logits(&x).map_err(|e| EvalError::Logits(e.to_string()))?;
        if l.len() != (end - start) * N_HORIZONS * N_CLASSES {
            return Err(EvalError::Logits(format!("{} values for {} windows", l.len(), end - start)));
        }
        if let Some(i) = l.iter().position(|v| !v.is_finite()) {
            return Err(EvalError::Logits(format!("non-finite logit {} of window {}", l[i], start + i / 9)));
        }
        out.extend(probs_from_logits(&l));
    }
    Ok(out)
}

fn labels_of(datasets: &[Dataset], samples: &[Sample]) -> Vec<[Direction; N_HORIZONS]> {
    samples.iter().map(|s| datasets[s.recording].labels[s.end]).collect()
}

fn mean(v: &[HorizonMetrics], f: impl Fn(&HorizonMetrics) -> f64) -> f64 {
    v.iter().map(f).sum::<f64>() / v.len() as f64
}

/// Evaluates `trained` (trained by [`train_model`](super::train_model) on `datasets` with
/// `cfg`) and the baselines. `logits` maps `n` RAW windows (`[n, seq, 64]` row-major) to
/// `n · 9` logits `[n, horizon, class]`; a predictor that yields probabilities can return
/// their logarithms (the softmax of `ln p` is `p`).
///
/// The split is recomputed from `datasets` and `cfg` and must reproduce the model's test
/// windows and split counts exactly (otherwise [`EvalError::Mismatch`]).
pub fn evaluate_model<E: Display>(
    mut logits: impl FnMut(&[f32]) -> Result<Vec<f32>, E>,
    datasets: &[Dataset],
    markets: &[String],
    cfg: &TrainConfig,
    trained: &TrainedModel,
) -> Result<ModelCardReport, EvalError> {
    if markets.len() != datasets.len() {
        return Err(EvalError::Mismatch(format!("{} market names for {} datasets", markets.len(), datasets.len())));
    }
    let seq = trained.seq;
    if cfg.arch.seq() != seq || cfg.arch.kind() != trained.arch {
        return Err(EvalError::Mismatch(format!(
            "config is {:?} seq {}, model {:?} seq {seq}",
            cfg.arch.kind(),
            cfg.arch.seq(),
            trained.arch
        )));
    }
    let splits = split_samples(datasets, seq, cfg.step_ns, &cfg.split)?;
    let c = trained.counts;
    if (splits.train.len(), splits.val.len(), splits.test.len(), splits.dropped_boundary)
        != (c.train, c.val, c.test, c.dropped_boundary)
    {
        return Err(EvalError::Mismatch(format!("split counts differ from the model's {c:?}")));
    }
    if sample_rows(datasets, &trained.test)? != splits.test {
        return Err(EvalError::Mismatch("test windows differ".into()));
    }

    let train_ctx = contexts(datasets, &splits.train, cfg.step_ns);
    let fit = BaselineFit::fit(&train_ctx, &labels_of(datasets, &splits.train))?;
    drop(train_ctx);

    let eval_split = |samples: &[Sample], probs: Vec<Probs>| {
        let labels = labels_of(datasets, samples);
        let ctx = contexts(datasets, samples, cfg.step_ns);
        let per_market = (0..datasets.len())
            .filter_map(|r| {
                let idx: Vec<usize> = (0..samples.len()).filter(|&i| samples[i].recording == r).collect();
                if idx.is_empty() {
                    return None;
                }
                let pick = |v: &dyn Fn(usize) -> Probs| idx.iter().map(|&i| v(i)).collect::<Vec<Probs>>();
                let (p, y): (Vec<Probs>, Vec<_>) = (pick(&|i| probs[i]), idx.iter().map(|&i| labels[i]).collect());
                let c: Vec<Context> = idx.iter().map(|&i| ctx[i]).collect();
                // Reliability bins stay with the pooled figures: per market they are a few
                // samples each and would multiply the card's size.
                let strip = |mut v: Vec<HorizonMetrics>| {
                    v.iter_mut().for_each(|h| h.reliability.clear());
                    v
                };
                let mut baselines = evaluate_baselines(&fit, &c, &y);
                baselines.iter_mut().for_each(|b| b.metrics.iter_mut().for_each(|h| h.reliability.clear()));
                Some(MarketEval {
                    recording: r,
                    market: markets[r].clone(),
                    n: idx.len(),
                    model: strip(evaluate_probs(&p, &y)),
                    baselines,
                })
            })
            .collect::<Vec<_>>();
        SplitEval {
            n: samples.len(),
            model: evaluate_probs(&probs, &labels),
            baselines: evaluate_baselines(&fit, &ctx, &labels),
            mean: means_over_markets(&per_market),
            markets: per_market,
        }
    };
    let val_probs = model_probs(&mut logits, splits.val.len(), |i, x| {
        let s = splits.val[i];
        x.extend_from_slice(datasets[s.recording].features[s.rows(seq)].as_flattened());
    })?;
    let validation = eval_split(&splits.val, val_probs);
    let test_probs = model_probs(&mut logits, trained.test.len(), |i, x| x.extend_from_slice(trained.test.window(i)))?;
    let test = eval_split(&splits.test, test_probs);

    let selection = Selection {
        criterion: "lowest mean validation log-loss over the horizons",
        best_epoch: trained.best_epoch,
        best_val_loss: trained.best_val_loss.clone(),
        val_log_loss_mean: mean(&validation.model, |m| m.log_loss),
        val_accuracy_mean: mean(&validation.model, |m| m.accuracy),
    };
    let data = datasets
        .iter()
        .zip(markets)
        .map(|(d, market)| RecordingSummary {
            market: market.clone(),
            rows: d.len(),
            first_ts: d.ts.first().copied().unwrap_or(0),
            last_ts: d.ts.last().copied().unwrap_or(0),
            class_counts: d.class_counts(),
        })
        .collect();
    Ok(ModelCardReport {
        arch: trained.arch.name(),
        seq,
        config: cfg.clone(),
        horizons_ms: HORIZONS_NS.map(|h| h / 1_000_000),
        classes: ["down", "flat", "up"],
        label_definition: LABEL_DEFINITION,
        features: feature_names().to_vec(),
        data,
        split: SplitSummary {
            train_frac: cfg.split.train_frac,
            val_frac: cfg.split.val_frac,
            embargo_ns: cfg.split.embargo_ns,
            step_ns: cfg.step_ns,
            train: c.train,
            val: c.val,
            test: c.test,
            dropped_boundary: c.dropped_boundary,
        },
        feature_set: {
            let (names, mask) = (feature_names(), cfg.arch.feature_mask(cfg.features));
            (0..N_FEATURES).filter(|&i| mask[i]).map(|i| names[i]).collect()
        },
        selection,
        baseline_fit: fit,
        validation,
        test,
        leave_one_out: None,
    })
}

/// Index of the default model among `candidates`: the lowest mean validation log-loss (test
/// figures are never read). `None` if there is none with a finite loss.
pub fn choose_default(candidates: &[ModelCardReport]) -> Option<usize> {
    (0..candidates.len()).filter(|&i| candidates[i].selection.val_log_loss_mean.is_finite()).min_by(|&a, &b| {
        candidates[a].selection.val_log_loss_mean.total_cmp(&candidates[b].selection.val_log_loss_mean)
    })
}

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x:.4}") } else { "–".into() }
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), num)
}

/// A table of means over markets: per horizon, every predictor's log-loss, direction given
/// a move, accuracy on non-flat moves and ECE; the best value per horizon and column in bold.
pub fn mean_table(means: &[PredictorMean]) -> String {
    let mut s = String::from(
        "| horizon | predictor | log-loss | direction given a move | acc. non-flat | ECE | markets · n (non-flat) |\n|---|---|---|---|---|---|---|\n",
    );
    let Some(first) = means.first() else { return s };
    for k in 0..first.horizons.len() {
        let col = |f: &dyn Fn(&MeanMetrics) -> Option<f64>, lower: bool| -> Option<f64> {
            let vals = means.iter().filter_map(|p| f(&p.horizons[k]));
            if lower { vals.reduce(f64::min) } else { vals.reduce(f64::max) }
        };
        let best_ll = col(&|m| Some(m.log_loss), true);
        let best_dir = col(&|m| m.direction_accuracy, false);
        let best_nf = col(&|m| m.accuracy_nonflat, false);
        let best_ece = col(&|m| Some(m.ece), true);
        let cell = |v: Option<f64>, best: Option<f64>| match (v, best) {
            (Some(v), Some(b)) if v == b => format!("**{}**", num(v)),
            (v, _) => opt(v),
        };
        for (i, p) in means.iter().enumerate() {
            let m = &p.horizons[k];
            let h = if i == 0 { format!("{} ms", m.horizon_ms) } else { String::new() };
            let name = if p.name == "model" { "**model**".to_string() } else { p.name.to_string() };
            let _ = writeln!(
                s,
                "| {h} | {name} | {} | {} | {} | {} | {} · {} ({}) |",
                cell(Some(m.log_loss), best_ll),
                cell(m.direction_accuracy, best_dir),
                cell(m.accuracy_nonflat, best_nf),
                cell(Some(m.ece), best_ece),
                m.markets,
                m.n,
                m.n_nonflat
            );
        }
    }
    s
}

/// Per market of `split`: the model's log-loss and direction given a move beside the best
/// baseline's (by that column) at each horizon.
fn market_table(markets: &[MarketEval]) -> String {
    let mut s = String::from(
        "| market | horizon | n (non-flat) | model log-loss | best baseline log-loss | model direction | best baseline direction |\n|---|---|---|---|---|---|---|\n",
    );
    for m in markets {
        for (k, hm) in m.model.iter().enumerate() {
            let best = |f: &dyn Fn(&HorizonMetrics) -> Option<f64>, lower: bool| {
                m.baselines
                    .iter()
                    .filter_map(|b| f(&b.metrics[k]).map(|v| (v, b.name)))
                    .reduce(|a, b| if (b.0 < a.0) == lower && b.0 != a.0 { b } else { a })
                    .map_or_else(|| "–".to_string(), |(v, n)| format!("{} ({n})", num(v)))
            };
            let market = if k == 0 { m.market.as_str() } else { "" };
            let _ = writeln!(
                s,
                "| {market} | {} ms | {} ({}) | {} | {} | {} | {} |",
                hm.horizon_ms,
                hm.n,
                hm.n_nonflat,
                num(hm.log_loss),
                best(&|h| Some(h.log_loss), true),
                opt(hm.direction_accuracy),
                best(&|h| h.direction_accuracy, false)
            );
        }
    }
    s
}

/// The report as Markdown: the walk-forward test means over markets (the headline), the
/// leave-one-recording-out means when run, the validation means (what the default is chosen
/// on), per-market test figures, the pooled test split, the model's reliability bins.
pub fn markdown_table(r: &ModelCardReport) -> String {
    let mut s = String::new();
    let sp = &r.split;
    let _ = writeln!(
        s,
        "Model `{}`, window {} × {N_FEATURES} features on a {} ms grid ({} of the features read). Samples: train {}, \
         validation {}, test {} ({} dropped at split boundaries).\n",
        r.arch,
        r.seq,
        sp.step_ns / 1_000_000,
        r.feature_set.len(),
        sp.train,
        sp.val,
        sp.test,
        sp.dropped_boundary
    );
    let _ = writeln!(
        s,
        "### Walk-forward test: the last {:.0} % of each recording, mean over {} markets\n",
        (1.0 - sp.train_frac - sp.val_frac) * 100.0,
        r.test.markets.len()
    );
    s.push_str(&mean_table(&r.test.mean));
    if let Some(l) = &r.leave_one_out {
        let _ = writeln!(
            s,
            "\n### Leave one recording out: trained on the others, tested on the whole held-out recording, mean over {} folds\n",
            l.folds.len()
        );
        s.push_str(&mean_table(&l.mean));
        s.push_str("\nPer held-out recording:\n\n");
        s.push_str(&market_table(&l.folds));
    }
    s.push_str("\n### Walk-forward validation (the next 15 %), mean over markets: what the default is chosen on\n\n");
    s.push_str(&mean_table(&r.validation.mean));
    s.push_str("\n### Walk-forward test per market\n\n");
    s.push_str(&market_table(&r.test.markets));
    for (k, m) in r.test.model.iter().enumerate() {
        let _ =
            writeln!(s, "\nPooled test split, {} ms ahead (n = {}, non-flat = {}):\n", m.horizon_ms, m.n, m.n_nonflat);
        s.push_str("| predictor | accuracy | acc. non-flat | dir. precision | direction given a move | log-loss | Brier | ECE |\n");
        s.push_str("|---|---|---|---|---|---|---|---|\n");
        let rows = std::iter::once(("model", m)).chain(r.test.baselines.iter().map(|b| (b.name, &b.metrics[k])));
        for (name, m) in rows {
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} | {} | {} | {} | {} |",
                num(m.accuracy),
                opt(m.accuracy_nonflat),
                opt(m.directional_precision),
                opt(m.direction_accuracy),
                num(m.log_loss),
                num(m.brier),
                num(m.ece)
            );
        }
    }
    s.push_str("\nBaselines (fitted on the training split):\n\n");
    for b in &r.test.baselines {
        let _ = writeln!(s, "* `{}`: {}.", b.name, b.rule);
    }
    s.push_str(
        "\nModel calibration on the pooled test split (top-class probability; n · mean probability · accuracy):\n\n",
    );
    s.push_str("| bin |");
    r.test.model.iter().for_each(|m| {
        let _ = write!(s, " {} ms |", m.horizon_ms);
    });
    s.push_str("\n|---|");
    s.push_str(&"---|".repeat(r.test.model.len()));
    s.push('\n');
    for b in 0..N_BINS {
        if r.test.model.iter().all(|m| m.reliability[b].count == 0) {
            continue;
        }
        let bin = &r.test.model[0].reliability[b];
        let _ = write!(s, "| [{:.1}, {:.1}) |", bin.lo, bin.hi);
        for m in &r.test.model {
            let x = &m.reliability[b];
            let _ = write!(s, " {} · {} · {} |", x.count, opt(x.mean_conf), opt(x.accuracy));
        }
        s.push('\n');
    }
    let sel = &r.selection;
    let _ = writeln!(
        s,
        "\nTraining: best epoch {} (validation loss {}), pooled validation log-loss {}, accuracy {}.",
        sel.best_epoch,
        sel.best_val_loss.iter().map(|&v| num(v)).collect::<Vec<_>>().join(", "),
        num(sel.val_log_loss_mean),
        num(sel.val_accuracy_mean)
    );
    s
}
