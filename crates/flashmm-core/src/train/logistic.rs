//! Multinomial logistic regression, one per horizon, fitted exactly (Newton's method in
//! f64): the baseline "logistic regression on the imbalance features" and the `logistic`
//! architecture (the same fit, exported through the ONNX contract).
//!
//! Classes down / flat / up; `flat` is the reference (its logit is 0), so each horizon has
//! `2 · (d + 1)` parameters. The fit standardises each input on the fitting rows, minimises
//! `−Σ ln p(y) + l2 · ‖slopes‖²/2 + 1e-3 · ‖intercepts‖²/2` there (strictly convex), and maps the
//! solution back to the input's own coordinates: the result does not depend on how the
//! inputs were scaled, so the baseline on raw imbalances and the architecture on normalised
//! ones are the same model.

use serde::Serialize;

use crate::features::{Direction, N_HORIZONS};

/// Classes with parameters (`flat`, index 1, is the reference).
const FREE: [usize; 2] = [0, 2];
const MAX_ITERS: usize = 100;
/// Newton stops once no parameter (standardised coordinates, so O(1) in size) moves by more:
/// a change that size moves no probability by more than ~1e-8, and smaller steps sit at the
/// rounding floor of an objective summed over ~10⁴ rows.
const STEP_TOL: f64 = 1e-8;
/// A Newton step this small that the objective cannot confirm is rounding, not progress.
const ROUNDING_FLOOR: f64 = 1e-5;
/// Ridge on the intercepts: keeps the optimum finite when a class never occurs in the
/// fitting rows (its intercept would run to −∞); on 10⁴ rows it moves a probability by
/// ~1e-7.
const INTERCEPT_RIDGE: f64 = 1e-3;

/// A fitted model: per horizon, logits `z_c = b_c + Σ_j w_c[j]·x_j` for c = down, flat, up
/// (flat's are zero).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogisticFit {
    /// Inputs per row.
    pub dims: usize,
    /// `[horizon][class]` intercepts.
    pub intercept: [[f64; 3]; N_HORIZONS],
    /// `[horizon][class][input]` slopes.
    pub slopes: Vec<[Vec<f64>; 3]>,
    /// Newton iterations per horizon until the step was below [`STEP_TOL`].
    pub iterations: [usize; N_HORIZONS],
}

/// Why a fit failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogisticError {
    #[error("no rows to fit on")]
    Empty,
    #[error("row {row} has {got} inputs, expected {want}")]
    Ragged { row: usize, got: usize, want: usize },
    #[error("input {input} of row {row} is not finite")]
    NotFinite { row: usize, input: usize },
    #[error("Newton's method did not converge at horizon {horizon} (step {step:e} after {MAX_ITERS} iterations)")]
    NoConvergence { horizon: usize, step: f64 },
}

impl LogisticFit {
    /// Logits `[horizon][class]` of one row.
    pub fn logits(&self, x: &[f64]) -> [[f64; 3]; N_HORIZONS] {
        std::array::from_fn(|k| {
            std::array::from_fn(|c| {
                self.intercept[k][c] + self.slopes[k][c].iter().zip(x).map(|(w, v)| w * v).sum::<f64>()
            })
        })
    }

    /// Probabilities `[horizon][down, flat, up]` of one row.
    pub fn probs(&self, x: &[f64]) -> [[f64; 3]; N_HORIZONS] {
        self.logits(x).map(|z| softmax3(&z))
    }
}

fn softmax3(z: &[f64; 3]) -> [f64; 3] {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = z.map(|v| (v - m).exp());
    let s: f64 = e.iter().sum();
    e.map(|v| v / s)
}

/// Fits on `rows` (each `d` inputs) and their labels with penalty `l2`.
pub fn fit(rows: &[Vec<f64>], labels: &[[Direction; N_HORIZONS]], l2: f64) -> Result<LogisticFit, LogisticError> {
    let d = rows.first().ok_or(LogisticError::Empty)?.len();
    assert_eq!(rows.len(), labels.len(), "one label row per input row");
    for (r, row) in rows.iter().enumerate() {
        if row.len() != d {
            return Err(LogisticError::Ragged { row: r, got: row.len(), want: d });
        }
        if let Some(i) = row.iter().position(|v| !v.is_finite()) {
            return Err(LogisticError::NotFinite { row: r, input: i });
        }
    }
    // Standardise: z = (x − mean)/scale (scale 1 for a constant input).
    let n = rows.len() as f64;
    let mean: Vec<f64> = (0..d).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n).collect();
    let scale: Vec<f64> = (0..d)
        .map(|j| {
            let sd = (rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt();
            if sd > 1e-12 { sd } else { 1.0 }
        })
        .collect();
    // Augmented standardised rows: [1, z_1, …, z_d].
    let z: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| std::iter::once(1.0).chain((0..d).map(|j| (r[j] - mean[j]) / scale[j])).collect())
        .collect();
    let mut fit = LogisticFit {
        dims: d,
        intercept: [[0.0; 3]; N_HORIZONS],
        slopes: vec![std::array::from_fn(|_| vec![0.0; d]); N_HORIZONS],
        iterations: [0; N_HORIZONS],
    };
    for k in 0..N_HORIZONS {
        let y: Vec<usize> = labels.iter().map(|l| l[k].index()).collect();
        let (theta, iters) = newton(&z, &y, l2, k)?;
        fit.iterations[k] = iters;
        // Back to input coordinates: w_j = θ_j/scale_j, b = θ_0 − Σ θ_j·mean_j/scale_j.
        for (a, &c) in FREE.iter().enumerate() {
            let t = &theta[a * (d + 1)..(a + 1) * (d + 1)];
            let w: Vec<f64> = (0..d).map(|j| t[j + 1] / scale[j]).collect();
            fit.intercept[k][c] = t[0] - (0..d).map(|j| w[j] * mean[j]).sum::<f64>();
            fit.slopes[k][c] = w;
        }
    }
    Ok(fit)
}

/// Penalised negative log-likelihood of `theta` (`[down params | up params]`, each
/// `[intercept, slopes…]`) on augmented rows `z`.
fn objective(z: &[Vec<f64>], y: &[usize], l2: f64, theta: &[f64]) -> f64 {
    let p = z[0].len();
    let mut nll = 0.0;
    for (row, &c) in z.iter().zip(y) {
        let logits = logits3(row, theta, p);
        let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + logits.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
        nll += lse - logits[c];
    }
    let penalty: f64 = (0..2).flat_map(|a| (1..p).map(move |j| a * p + j)).map(|i| theta[i] * theta[i]).sum();
    let intercepts = theta[0] * theta[0] + theta[p] * theta[p];
    nll + 0.5 * l2 * penalty + 0.5 * INTERCEPT_RIDGE * intercepts
}

fn logits3(row: &[f64], theta: &[f64], p: usize) -> [f64; 3] {
    let dot = |a: usize| row.iter().zip(&theta[a * p..(a + 1) * p]).map(|(x, t)| x * t).sum::<f64>();
    [dot(0), 0.0, dot(1)]
}

/// Newton's method with backtracking from θ = 0; returns θ and the iterations used.
fn newton(z: &[Vec<f64>], y: &[usize], l2: f64, horizon: usize) -> Result<(Vec<f64>, usize), LogisticError> {
    let p = z[0].len();
    let m = 2 * p;
    let mut theta = vec![0.0; m];
    let mut f = objective(z, y, l2, &theta);
    let mut last_step = f64::INFINITY;
    for it in 1..=MAX_ITERS {
        let mut g = vec![0.0; m];
        let mut h = vec![0.0; m * m];
        for (row, &c) in z.iter().zip(y) {
            let pr = softmax3(&logits3(row, &theta, p));
            for (a, &ca) in FREE.iter().enumerate() {
                let r = pr[ca] - f64::from(u8::from(c == ca));
                for j in 0..p {
                    g[a * p + j] += r * row[j];
                }
                for (b, &cb) in FREE.iter().enumerate() {
                    let wgt = pr[ca] * (f64::from(u8::from(a == b)) - pr[cb]);
                    for j in 0..p {
                        let wj = wgt * row[j];
                        let hrow = &mut h[(a * p + j) * m + b * p..(a * p + j) * m + (b + 1) * p];
                        for (hv, &xk) in hrow.iter_mut().zip(row) {
                            *hv += wj * xk;
                        }
                    }
                }
            }
        }
        for a in 0..2 {
            for j in 1..p {
                let i = a * p + j;
                g[i] += l2 * theta[i];
                h[i * m + i] += l2;
            }
        }
        for a in 0..2 {
            g[a * p] += INTERCEPT_RIDGE * theta[a * p];
            h[a * p * m + a * p] += INTERCEPT_RIDGE;
        }
        let step = cholesky_solve(&h, &g, m);
        last_step = step.iter().fold(0f64, |acc, v| acc.max(v.abs()));
        if last_step < STEP_TOL {
            return Ok((theta, it));
        }
        // Backtracking: halve until the objective does not increase. Near the optimum the
        // objective's rounding (~1e-12 relative) can hide a real but tiny decrease: a step
        // below ROUNDING_FLOOR that no halving accepts means θ is already the optimum.
        let mut t = 1.0;
        loop {
            let cand: Vec<f64> = theta.iter().zip(&step).map(|(a, s)| a - t * s).collect();
            let fc = objective(z, y, l2, &cand);
            if fc <= f {
                theta = cand;
                f = fc;
                break;
            }
            t *= 0.5;
            if t < 1e-3 {
                if last_step < ROUNDING_FLOOR {
                    return Ok((theta, it));
                }
                return Err(LogisticError::NoConvergence { horizon, step: last_step });
            }
        }
    }
    Err(LogisticError::NoConvergence { horizon, step: last_step })
}

/// Solves `A x = b` for symmetric positive definite `A` (`m × m`, row-major).
fn cholesky_solve(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut l = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let s: f64 = a[i * m + j] - (0..j).map(|k| l[i * m + k] * l[j * m + k]).sum::<f64>();
            l[i * m + j] = if i == j { s.max(1e-300).sqrt() } else { s / l[j * m + j] };
        }
    }
    let mut y = vec![0.0; m];
    for i in 0..m {
        y[i] = (b[i] - (0..i).map(|k| l[i * m + k] * y[k]).sum::<f64>()) / l[i * m + i];
    }
    let mut x = vec![0.0; m];
    for i in (0..m).rev() {
        x[i] = (y[i] - (i + 1..m).map(|k| l[k * m + i] * x[k]).sum::<f64>()) / l[i * m + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{Down, Flat, Up};

    #[test]
    fn intercept_only_fit_recovers_the_class_frequencies() {
        // One constant input: slopes carry nothing, the probabilities are the frequencies
        // (up to the intercept ridge: ~1e-6 on 1000 rows).
        let rows = vec![vec![0.5]; 1000];
        let labels: Vec<_> =
            [Down, Down, Flat, Flat, Flat, Flat, Flat, Up, Up, Up].iter().cycle().take(1000).map(|&d| [d; 3]).collect();
        let f = fit(&rows, &labels, 1.0).unwrap();
        let p = f.probs(&[0.5]);
        for pk in p {
            assert!((pk[0] - 0.2).abs() < 1e-5 && (pk[1] - 0.5).abs() < 1e-5 && (pk[2] - 0.3).abs() < 1e-5, "{pk:?}");
        }
    }

    #[test]
    fn the_fit_is_a_stationary_point_and_invariant_to_input_scaling() {
        // x = imbalance-like input; up more likely when x > 0, down when x < 0.
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..300 {
            let x = (i as f64 / 150.0) - 1.0;
            let c = match i % 7 {
                0 | 1 if x > 0.0 => Up,
                0 | 1 => Down,
                2 if x > 0.0 => Down,
                2 => Up,
                _ => Flat,
            };
            rows.push(vec![x, (i % 5) as f64]);
            labels.push([c; 3]);
        }
        let f = fit(&rows, &labels, 1e-3).unwrap();
        assert!(f.slopes[0][2][0] > 0.0 && f.slopes[0][0][0] < 0.0, "{:?}", f.slopes[0]);
        // The likelihood's gradient in the intercepts is the intercept ridge's (tiny).
        let mut grad = [0f64; 2];
        for (r, l) in rows.iter().zip(&labels) {
            let p = f.probs(r)[0];
            grad[0] += p[0] - f64::from(u8::from(l[0] == Down));
            grad[1] += p[2] - f64::from(u8::from(l[0] == Up));
        }
        assert!(grad.iter().all(|g| g.abs() < 1e-2), "{grad:?}");
        // Scaling and shifting an input changes the coordinates, not the model.
        let scaled: Vec<Vec<f64>> = rows.iter().map(|r| vec![r[0] * 40.0 + 3.0, r[1] * 0.01]).collect();
        let g = fit(&scaled, &labels, 1e-3).unwrap();
        for (r, s) in rows.iter().zip(&scaled).step_by(37) {
            let (a, b) = (f.probs(r), g.probs(s));
            for k in 0..3 {
                for c in 0..3 {
                    assert!((a[k][c] - b[k][c]).abs() < 1e-9, "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn bad_rows_are_errors() {
        assert_eq!(fit(&[], &[], 1.0), Err(LogisticError::Empty));
        let labels = vec![[Flat; 3]; 2];
        assert_eq!(
            fit(&[vec![1.0], vec![1.0, 2.0]], &labels, 1.0),
            Err(LogisticError::Ragged { row: 1, got: 2, want: 1 })
        );
        assert_eq!(fit(&[vec![1.0], vec![f64::NAN]], &labels, 1.0), Err(LogisticError::NotFinite { row: 1, input: 0 }));
    }
}
