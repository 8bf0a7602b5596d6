//! Row kernels shared by the fused tract ops (`fused.rs`) and the batch-1 evaluator
//! (`native/`): a dense product in axpy form with AVX2 FMA when the CPU has it, the LSTM
//! recurrence of one sequence, a layer norm and a softmax of one row. Each computes the ONNX
//! definition in f32; callers own every buffer, so none of them allocates.

use tract_onnx::tract_core::tract_linalg::element_wise::ElementWise;

/// `acc += x · m`, `m` row-major `[x.len()][acc.len()]`: one axpy per element of `x`.
pub(crate) fn gemv_acc(x: &[f32], m: &[f32], acc: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for.
        return unsafe { gemv_acc_fma(x, m, acc) };
    }
    gemv_acc_portable(x, m, acc);
}

fn gemv_acc_portable(x: &[f32], m: &[f32], acc: &mut [f32]) {
    let n = acc.len();
    for (k, &xk) in x.iter().enumerate() {
        for (a, &w) in acc.iter_mut().zip(&m[k * n..(k + 1) * n]) {
            *a += xk * w;
        }
    }
}

/// The product with AVX2 fused multiply-adds (the build targets baseline x86-64): columns
/// in blocks of 32 whose four 8-lane accumulators stay in registers across the `x` loop,
/// then blocks of 8, then single columns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemv_acc_fma(x: &[f32], m: &[f32], acc: &mut [f32]) {
    use std::arch::x86_64::{_mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_storeu_ps};
    let n = acc.len();
    assert!(m.len() >= x.len() * n, "matrix smaller than [x, acc]");
    let blocks = n / 32 * 32;
    for jc in (0..blocks).step_by(32) {
        // SAFETY: every offset read or written is below `jc + 32 ≤ n` within a row of `m`
        // (`k·n + jc + 32 ≤ x.len()·n ≤ m.len()`) and of `acc`; unaligned loads and stores.
        unsafe {
            let p = acc.as_mut_ptr().add(jc);
            let (mut a0, mut a1, mut a2, mut a3) =
                (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)), _mm256_loadu_ps(p.add(16)), _mm256_loadu_ps(p.add(24)));
            for (k, &xk) in x.iter().enumerate() {
                let xv = _mm256_set1_ps(xk);
                let r = m.as_ptr().add(k * n + jc);
                a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r), a0);
                a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r.add(8)), a1);
                a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r.add(16)), a2);
                a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r.add(24)), a3);
            }
            _mm256_storeu_ps(p, a0);
            _mm256_storeu_ps(p.add(8), a1);
            _mm256_storeu_ps(p.add(16), a2);
            _mm256_storeu_ps(p.add(24), a3);
        }
    }
    let eights = blocks + (n - blocks) / 8 * 8;
    for jc in (blocks..eights).step_by(8) {
        // SAFETY: as above with one 8-lane block, `jc + 8 ≤ n`.
        unsafe {
            let p = acc.as_mut_ptr().add(jc);
            let mut a0 = _mm256_loadu_ps(p);
            for (k, &xk) in x.iter().enumerate() {
                a0 = _mm256_fmadd_ps(_mm256_set1_ps(xk), _mm256_loadu_ps(m.as_ptr().add(k * n + jc)), a0);
            }
            _mm256_storeu_ps(p, a0);
        }
    }
    for (k, &xk) in x.iter().enumerate() {
        for j in eights..n {
            acc[j] = xk.mul_add(m[k * n + j], acc[j]);
        }
    }
}

/// The activations of an LSTM: tract-linalg's vectorised sigmoid and tanh (what the fused
/// op and the evaluator both use, so the two agree). Built once: each constructor boxes.
pub(crate) struct LstmActivations {
    sigmoid: Box<dyn ElementWise<f32>>,
    tanh: Box<dyn ElementWise<f32>>,
}

impl std::fmt::Debug for LstmActivations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LstmActivations")
    }
}

impl LstmActivations {
    pub(crate) fn new() -> Self {
        let ops = tract_onnx::tract_core::tract_linalg::ops();
        LstmActivations { sigmoid: (ops.sigmoid_f32)(), tanh: (ops.tanh_f32)() }
    }
}

/// One sequence through the LSTM recurrence (gates in ONNX order i, o, f, c; default
/// activations). `xw`: the projected inputs with both biases added, step `t`'s `4H` gates at
/// `t · stride`; `r`: `R` as `[H][4H]` (row `k`: `h_k`'s contribution to every gate); `h`,
/// `c`: the state, updated in place; `g`: `4H` scratch, `tc`: `H` scratch; `y(t, h)` sees
/// each step's output.
#[allow(clippy::too_many_arguments)] // one recurrence: every buffer is the caller's
pub(crate) fn lstm_sequence(
    act: &LstmActivations,
    xw: &[f32],
    stride: usize,
    steps: usize,
    r: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    g: &mut [f32],
    tc: &mut [f32],
    mut y: impl FnMut(usize, &[f32]),
) -> tract_onnx::prelude::TractResult<()> {
    let n = h.len();
    for t in 0..steps {
        g.copy_from_slice(&xw[t * stride..t * stride + 4 * n]);
        gemv_acc(h, r, g);
        act.sigmoid.run(&mut g[..3 * n])?; // i, o, f
        act.tanh.run(&mut g[3 * n..])?; // c̃
        let (i, rest) = g.split_at(n);
        let (o, rest) = rest.split_at(n);
        let (f, cand) = rest.split_at(n);
        for j in 0..n {
            c[j] = f[j] * c[j] + i[j] * cand[j];
        }
        tc.copy_from_slice(c);
        act.tanh.run(tc)?;
        for j in 0..n {
            h[j] = o[j] * tc[j];
        }
        y(t, h);
    }
    Ok(())
}

/// `(x − mean)/√(var + ε) · scale + bias` over `row` (`scale`, `bias`: one per element),
/// statistics in f32, written to `out`.
pub(crate) fn layer_norm_row(row: &[f32], scale: &[f32], bias: &[f32], eps: f32, out: &mut [f32]) {
    let n = row.len() as f32;
    let mean = row.iter().sum::<f32>() / n;
    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let inv = 1.0 / (var + eps).sqrt();
    for (((o, v), s), b) in out.iter_mut().zip(row).zip(scale).zip(bias) {
        *o = (v - mean) * inv * s + b;
    }
}

/// Softmax of `row` in place, with libm's exp as tract's default softmax: the fast
/// approximations lose the small probabilities an ensemble's log of a mean exposes.
pub(crate) fn softmax_row(row: &mut [f32]) {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for x in row.iter_mut() {
        *x = (*x - m).exp();
        sum += *x;
    }
    let inv = sum.recip();
    row.iter_mut().for_each(|x| *x *= inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemv_matches_the_definition_for_every_column_block() {
        // n = 45: one 32-block, one 8-block, 5 single columns; values k/8 so sums are exact.
        for n in [3, 8, 9, 32, 45, 96] {
            let k = 7;
            let x: Vec<f32> = (0..k).map(|i| (i as f32 - 3.0) / 8.0).collect();
            let m: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 13) as f32 - 6.0) / 8.0).collect();
            let mut acc: Vec<f32> = (0..n).map(|j| j as f32 / 4.0).collect();
            let want: Vec<f32> =
                (0..n).map(|j| j as f32 / 4.0 + (0..k).map(|i| x[i] * m[i * n + j]).sum::<f32>()).collect();
            gemv_acc(&x, &m, &mut acc);
            assert_eq!(acc, want, "n = {n}");
        }
    }

    #[test]
    fn layer_norm_of_a_known_row() {
        // mean 2.5, var 1.25, ε 0.25 → 1/√1.5.
        let mut out = [0f32; 4];
        layer_norm_row(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 1.0, 1.0], &[0.0, 0.0, 0.5, 0.0], 0.25, &mut out);
        let s = 1.0 / 1.5f32.sqrt();
        assert_eq!(out, [-1.5 * s, -0.5 * s * 2.0, 0.5 * s + 0.5, 1.5 * s]);
    }

    #[test]
    fn softmax_of_a_known_row() {
        let mut row = [0.0f32, 2f32.ln(), 0.0];
        softmax_row(&mut row);
        for (p, want) in row.iter().zip([0.25f32, 0.5, 0.25]) {
            assert!((p - want).abs() <= 1e-7, "{row:?}");
        }
    }
}
