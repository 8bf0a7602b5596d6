//! The training loop of one network: AdamW on minibatches shuffled within the training split,
//! early stopping on the validation loss, best weights restored.

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use crate::features::{N_FEATURES, N_HORIZONS};

use super::config::{ClassWeights, LogisticConfig, TrainConfig};
use super::logistic;
use super::nets::{CResult, Dropout, LogisticNet, Member};
use super::windows::WindowSet;
use super::{TrainError, TrainProgress};

/// Outcome of fitting one network.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// Epoch (1-based) whose weights were kept.
    pub best_epoch: usize,
    pub epochs_run: usize,
    /// Mean training loss per epoch (over its minibatches, dropout on).
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
    /// Training samples per second (forward + backward + step, validation excluded).
    pub samples_per_sec: f64,
}

/// Per-horizon class weights `[horizon][class]` from the training labels.
pub(crate) fn class_weights(train: &WindowSet, mode: ClassWeights) -> [[f32; 3]; N_HORIZONS] {
    match mode {
        ClassWeights::None => [[1.0; 3]; N_HORIZONS],
        ClassWeights::Balanced => {
            let mut n = [[0usize; 3]; N_HORIZONS];
            for l in &train.labels {
                for k in 0..N_HORIZONS {
                    n[k][l[k].index()] += 1;
                }
            }
            let total = train.len() as f32;
            // An absent class gets weight 0: it contributes no term anyway.
            n.map(|row| row.map(|c| if c == 0 { 0.0 } else { total / (3.0 * c as f32) }))
        }
    }
}

/// Windows `idx` of `set`, cut to their last `seq` rows, as a `[b, seq, 64]` tensor.
fn batch_x(set: &WindowSet, idx: &[usize], seq: usize) -> CResult<Tensor> {
    let skip = (set.seq - seq) * N_FEATURES;
    let mut x = Vec::with_capacity(idx.len() * seq * N_FEATURES);
    for &i in idx {
        x.extend_from_slice(&set.window(i)[skip..]);
    }
    Tensor::from_vec(x, (idx.len(), seq, N_FEATURES), &Device::Cpu)
}

/// Weighted cross-entropy, mean over (sample, horizon) pairs by weight; returns the loss
/// tensor (for backward) — see [`ClassWeights`].
fn loss(logits: &Tensor, set: &WindowSet, idx: &[usize], w: &[[f32; 3]; N_HORIZONS]) -> CResult<Tensor> {
    let b = idx.len();
    let logp = candle_nn::ops::log_softmax(&logits.reshape((b * N_HORIZONS, 3))?, 1)?;
    let mut t = vec![0f32; b * N_HORIZONS * 3];
    let mut total = 0f64;
    for (r, &i) in idx.iter().enumerate() {
        for k in 0..N_HORIZONS {
            let c = set.labels[i][k].index();
            t[(r * N_HORIZONS + k) * 3 + c] = w[k][c];
            total += f64::from(w[k][c]);
        }
    }
    let t = Tensor::from_vec(t, (b * N_HORIZONS, 3), &Device::Cpu)?;
    logp.mul(&t)?.sum_all()?.affine(-1.0 / total.max(f64::MIN_POSITIVE), 0.0)
}

/// Mean loss over a whole split (no dropout), in batches.
fn eval_loss(net: &Member, set: &WindowSet, w: &[[f32; 3]; N_HORIZONS], batch: usize) -> CResult<f64> {
    let (mut sum, mut n) = (0f64, 0usize);
    let idx: Vec<usize> = (0..set.len()).collect();
    for chunk in idx.chunks(batch.max(1024)) {
        let l = loss(&net.forward(&batch_x(set, chunk, net.net.seq())?, None)?, set, chunk, w)?;
        sum += f64::from(l.to_scalar::<f32>()?) * chunk.len() as f64;
        n += chunk.len();
    }
    Ok(sum / n.max(1) as f64)
}

/// Trains `net` (its parameters `vars`) on normalised `train`, stops on `val`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit(
    net: &Member,
    vars: Vec<candle_core::Var>,
    train: &WindowSet,
    val: &WindowSet,
    cfg: &TrainConfig,
    seed: u64,
    member: (usize, usize),
    progress: &mut dyn FnMut(TrainProgress),
) -> Result<FitReport, TrainError> {
    let w = class_weights(train, cfg.class_weights);
    let params = ParamsAdamW { lr: cfg.lr, weight_decay: cfg.weight_decay, ..Default::default() };
    let mut opt = AdamW::new(vars.clone(), params)?;
    // Separate streams: changing the dropout rate does not reshuffle the batches.
    let mut order_rng = Pcg64::seed_from_u64(seed ^ 0x5348_5546_464c_4521);
    let mut drop = Dropout { rng: Pcg64::seed_from_u64(seed ^ 0x4452_4f50_4f55_5421) };
    let mut order: Vec<usize> = (0..train.len()).collect();
    let batches = train.len().div_ceil(cfg.batch_size);
    let mut best: Option<(f64, usize, Vec<Tensor>)> = None;
    let (mut train_losses, mut val_losses) = (Vec::new(), Vec::new());
    let (mut trained, mut busy) = (0usize, 0f64);
    let mut since_best = 0;
    for epoch in 1..=cfg.max_epochs {
        // Fisher–Yates with our own draws: the order is fixed by the seed alone.
        for i in (1..order.len()).rev() {
            order.swap(i, order_rng.random_range(0..=i));
        }
        let started = Instant::now();
        let mut sum = 0f64;
        for (bi, idx) in order.chunks(cfg.batch_size).enumerate() {
            let x = batch_x(train, idx, net.net.seq())?;
            let l = loss(&net.forward(&x, Some(&mut drop))?, train, idx, &w)?;
            opt.backward_step(&l)?;
            let lv = f64::from(l.to_scalar::<f32>()?);
            if !lv.is_finite() {
                return Err(TrainError::Diverged { epoch, loss: lv });
            }
            sum += lv;
            trained += idx.len();
            let elapsed = busy + started.elapsed().as_secs_f64();
            progress(TrainProgress {
                member: member.0,
                members: member.1,
                epoch,
                epochs: cfg.max_epochs,
                batch: bi + 1,
                batches,
                train_loss: sum / (bi + 1) as f64,
                val_loss: None,
                samples_per_sec: trained as f64 / elapsed.max(1e-9),
            });
        }
        busy += started.elapsed().as_secs_f64();
        let tl = sum / batches as f64;
        let vl = eval_loss(net, val, &w, cfg.batch_size)?;
        train_losses.push(tl);
        val_losses.push(vl);
        progress(TrainProgress {
            member: member.0,
            members: member.1,
            epoch,
            epochs: cfg.max_epochs,
            batch: batches,
            batches,
            train_loss: tl,
            val_loss: Some(vl),
            samples_per_sec: trained as f64 / busy.max(1e-9),
        });
        if !vl.is_finite() {
            return Err(TrainError::Diverged { epoch, loss: vl });
        }
        let improved = best.as_ref().is_none_or(|(b, _, _)| vl < b - cfg.min_delta);
        if improved {
            // Snapshot copies (a Var's storage is updated in place by the optimiser).
            let snap = vars.iter().map(|v| v.as_tensor().copy()).collect::<CResult<Vec<_>>>()?;
            best = Some((vl, epoch, snap));
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                break;
            }
        }
    }
    let (_, best_epoch, snap) = best.expect("max_epochs ≥ 1 gives one evaluated epoch");
    for (v, t) in vars.iter().zip(&snap) {
        v.set(t)?;
    }
    Ok(FitReport {
        best_epoch,
        epochs_run: val_losses.len(),
        train_loss: train_losses,
        val_loss: val_losses,
        samples_per_sec: trained as f64 / busy.max(1e-9),
    })
}

/// Fits a logistic member exactly on the last rows of the normalised training windows
/// (its features only), then reports its losses as the loop does (one "epoch").
pub(crate) fn fit_logistic(
    member: &Member,
    net: &LogisticNet,
    lc: &LogisticConfig,
    train: &WindowSet,
    val: &WindowSet,
    cfg: &TrainConfig,
) -> Result<FitReport, TrainError> {
    let started = Instant::now();
    let idx = lc.features.indices();
    let rows: Vec<Vec<f64>> = (0..train.len())
        .map(|i| {
            let w = train.window(i);
            let last = &w[w.len() - N_FEATURES..];
            idx.iter().map(|&j| f64::from(last[j])).collect()
        })
        .collect();
    let fit = logistic::fit(&rows, &train.labels, lc.l2).map_err(|e| TrainError::Input(e.to_string()))?;
    net.set(&fit, &idx)?;
    let secs = started.elapsed().as_secs_f64();
    let w = class_weights(train, cfg.class_weights);
    let tl = eval_loss(member, train, &w, cfg.batch_size)?;
    let vl = eval_loss(member, val, &w, cfg.batch_size)?;
    Ok(FitReport {
        best_epoch: 1,
        epochs_run: 1,
        train_loss: vec![tl],
        val_loss: vec![vl],
        samples_per_sec: train.len() as f64 / secs.max(1e-9),
    })
}
