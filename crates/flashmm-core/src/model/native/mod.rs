//! The batch-1 evaluator: the model's graph lowered once, at load, to a list of steps over
//! buffers of fixed size, run with no allocation and no per-node bookkeeping.
//!
//! tract pays a fixed cost per node and per run (an output tensor per node, dispatch,
//! shape bookkeeping, the run state's reset): at batch 1 on these small networks that cost
//! is larger than the arithmetic, and it is what left the transformer and the ensembles
//! slower than onnxruntime. Here every shape is known at load (batch 1, the contract's fixed
//! `seq`), so each value gets a buffer once, reshapes are free (a new name for the same
//! buffer), a `MatMul` by a weight and the `Add`s of constants after it are one dense
//! product with the sum of the biases as its starting value, and transposes and slices are
//! one precomputed gather each.
//!
//! The operator set is the one the FlashMM exporter writes, plus the obvious neighbours
//! (`lower.rs` lists them with the cases each accepts). A graph using anything else, or a
//! case outside those, is not lowered and tract serves it; so does a graph whose lowering
//! disagrees with tract on the loader's probe windows (see `Model`).

mod lower;
mod shape;

use std::sync::Arc;

use super::kernels::{self, LstmActivations};
pub(crate) use lower::lower;

/// An operand: a buffer of the run (`Buf`) or a weight of the program (`Const`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opd {
    Buf(usize),
    Const(usize),
}

#[derive(Clone, Copy, Debug)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
}

#[derive(Clone, Copy, Debug)]
enum UnOp {
    Relu,
    Log,
    Exp,
    Neg,
    Abs,
    Sqrt,
    Sigmoid,
    Tanh,
    Clip(f32, f32),
}

/// How the two operands of a binary op line up with its output.
#[derive(Clone, Debug)]
enum Bcast {
    /// Same shape.
    Same,
    /// `b` repeats along the output every `b.len()` elements (`a` has the output's shape).
    RowB,
    /// `a` repeats likewise (`b` has the output's shape).
    RowA,
    /// Any other broadcast: the flat index of `a` and of `b` for each output element.
    Index(Vec<u32>, Vec<u32>),
}

#[derive(Clone, Debug)]
enum Step {
    /// `out[r] = bias[r] + x[r] · w` for each of `rows` rows, `w` a `[k, n]` weight, `bias`
    /// `rows · n` values (the biases the graph adds after the product, summed).
    Dense {
        x: Opd,
        w: usize,
        bias: Option<usize>,
        rows: usize,
        k: usize,
        n: usize,
        out: usize,
    },
    /// Batched product of two operands: for each `(a, b, out)` offset, `[m, k] · [k, n]`.
    MatMul {
        a: Opd,
        b: Opd,
        m: usize,
        k: usize,
        n: usize,
        offsets: Vec<[usize; 3]>,
        out: usize,
    },
    Binary {
        op: BinOp,
        a: Opd,
        b: Opd,
        how: Bcast,
        out: usize,
    },
    Unary {
        op: UnOp,
        x: Opd,
        out: usize,
    },
    /// Over rows of `d`; `scale`, `bias`: `d` values each.
    LayerNorm {
        x: Opd,
        scale: usize,
        bias: usize,
        d: usize,
        eps: f32,
        out: usize,
    },
    /// Over rows of `d`.
    Softmax {
        x: Opd,
        d: usize,
        out: usize,
    },
    /// `out[i] = x[idx[i]]`: a transpose or a slice.
    Gather {
        x: Opd,
        idx: Vec<u32>,
        out: usize,
    },
    /// `outer` times, each part's next `len` elements, in order.
    Concat {
        parts: Vec<(Opd, usize)>,
        outer: usize,
        out: usize,
    },
    /// `out[map[i]] += x[i]`, then `out /= div` (a sum, or a mean over `div` elements).
    Reduce {
        x: Opd,
        map: Vec<u32>,
        div: f32,
        out: usize,
    },
    Lstm(Box<Lstm>),
}

/// A forward LSTM at batch 1 (see `lower::lstm` for the cases).
#[derive(Clone, Debug)]
struct Lstm {
    x: Opd,
    /// `Wᵀ` `[input, 4H]`, `R` as `[H][4H]`, `Wb + Rb` `[4H]`.
    wt: usize,
    rt: usize,
    bias: usize,
    h0: Option<Opd>,
    c0: Option<Opd>,
    steps: usize,
    input: usize,
    hidden: usize,
    /// Buffers: `Y` (`[steps, H]`, None when unused), `Y_h`, `Y_c`, the projection
    /// (`[steps, 4H]`) and scratch for the gates (`4H`) and `tanh(c)` (`H`).
    y: Option<usize>,
    yh: usize,
    yc: usize,
    xw: usize,
    gates: usize,
    tc: usize,
}

/// A lowered graph: weights, buffer sizes (buffer 0 is the input), steps in order.
#[derive(Debug)]
pub(crate) struct Program {
    consts: Vec<Vec<f32>>,
    buf_lens: Vec<usize>,
    steps: Vec<Step>,
    output: usize,
    act: LstmActivations,
}

impl Program {
    /// Steps, one name per line (what the evaluator runs).
    pub(crate) fn describe(&self) -> String {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Dense { rows, k, n, bias, .. } => {
                    format!("Dense [{rows}×{k}]·[{k}×{n}]{}\n", if bias.is_some() { " + bias" } else { "" })
                }
                Step::Binary { op, .. } => format!("{op:?}\n"),
                Step::Unary { op, .. } => format!("{op:?}\n"),
                Step::Lstm(l) => format!("Lstm {} steps, hidden {}\n", l.steps, l.hidden),
                other => format!("{}\n", format!("{other:?}").split([' ', '{', '(']).next().unwrap_or("?")),
            })
            .collect()
    }
}

/// One run state of a [`Program`]: every buffer, allocated once.
#[derive(Debug)]
pub(crate) struct Runner {
    prog: Arc<Program>,
    bufs: Vec<Vec<f32>>,
}

impl Runner {
    pub(crate) fn new(prog: Arc<Program>) -> Self {
        let bufs = prog.buf_lens.iter().map(|&n| vec![0f32; n]).collect();
        Runner { prog, bufs }
    }

    /// The input buffer (`seq · 64` raw features, oldest row first).
    pub(crate) fn input_mut(&mut self) -> &mut [f32] {
        &mut self.bufs[0]
    }

    /// Runs every step; the output's values (`[1, horizons, 3]` flat).
    pub(crate) fn run(&mut self) -> Result<&[f32], String> {
        let prog = &*self.prog;
        for step in &prog.steps {
            run_step(prog, step, &mut self.bufs).map_err(|e| format!("{e:#}"))?;
        }
        Ok(&self.bufs[prog.output])
    }
}

type StepResult = tract_onnx::prelude::TractResult<()>;

/// Runs `step`: its output buffer is taken out of `bufs` while its inputs are read (a
/// step never reads the buffer it writes), then put back.
fn run_step(prog: &Program, step: &Step, bufs: &mut [Vec<f32>]) -> StepResult {
    if let Step::Lstm(l) = step {
        return run_lstm(prog, l, bufs);
    }
    let o = out_of(step);
    let mut out = std::mem::take(&mut bufs[o]);
    let get = |op: Opd| -> &[f32] {
        match op {
            Opd::Buf(i) => &bufs[i],
            Opd::Const(i) => &prog.consts[i],
        }
    };
    match step {
        Step::Dense { x, w, bias, rows: _, k, n, out: _ } => {
            let (x, w) = (get(*x), &prog.consts[*w]);
            match bias {
                Some(b) => out.copy_from_slice(&prog.consts[*b]),
                None => out.fill(0.0),
            }
            for (xr, acc) in x.chunks_exact(*k).zip(out.chunks_exact_mut(*n)) {
                kernels::gemv_acc(xr, w, acc);
            }
        }
        Step::MatMul { a, b, m, k, n, offsets, out: _ } => {
            let (a, b) = (get(*a), get(*b));
            out.fill(0.0);
            for &[ao, bo, oo] in offsets {
                let bm = &b[bo..bo + k * n];
                for i in 0..*m {
                    let acc = &mut out[oo + i * n..oo + (i + 1) * n];
                    kernels::gemv_acc(&a[ao + i * k..ao + (i + 1) * k], bm, acc);
                }
            }
        }
        Step::Binary { op, a, b, how, out: _ } => binary(*op, get(*a), get(*b), how, &mut out),
        Step::Unary { op, x, out: _ } => unary(*op, get(*x), &mut out),
        Step::LayerNorm { x, scale, bias, d, eps, out: _ } => {
            let (scale, bias) = (&prog.consts[*scale], &prog.consts[*bias]);
            for (row, o) in get(*x).chunks_exact(*d).zip(out.chunks_exact_mut(*d)) {
                kernels::layer_norm_row(row, scale, bias, *eps, o);
            }
        }
        Step::Softmax { x, d, out: _ } => {
            out.copy_from_slice(get(*x));
            out.chunks_exact_mut(*d).for_each(kernels::softmax_row);
        }
        Step::Gather { x, idx, out: _ } => {
            let x = get(*x);
            out.iter_mut().zip(idx).for_each(|(o, &i)| *o = x[i as usize]);
        }
        Step::Concat { parts, outer, out: _ } => {
            let mut at = 0;
            for r in 0..*outer {
                for &(p, len) in parts {
                    out[at..at + len].copy_from_slice(&get(p)[r * len..(r + 1) * len]);
                    at += len;
                }
            }
        }
        Step::Reduce { x, map, div, out: _ } => {
            out.fill(0.0);
            get(*x).iter().zip(map).for_each(|(&v, &i)| out[i as usize] += v);
            if *div != 1.0 {
                out.iter_mut().for_each(|v| *v /= div);
            }
        }
        Step::Lstm(_) => unreachable!("run above"),
    }
    bufs[o] = out;
    Ok(())
}

fn out_of(step: &Step) -> usize {
    match step {
        Step::Dense { out, .. }
        | Step::MatMul { out, .. }
        | Step::Binary { out, .. }
        | Step::Unary { out, .. }
        | Step::LayerNorm { out, .. }
        | Step::Softmax { out, .. }
        | Step::Gather { out, .. }
        | Step::Concat { out, .. }
        | Step::Reduce { out, .. } => *out,
        Step::Lstm(l) => l.yh,
    }
}

fn binary(op: BinOp, a: &[f32], b: &[f32], how: &Bcast, out: &mut [f32]) {
    match op {
        BinOp::Add => zip_with(a, b, how, out, |x, y| x + y),
        BinOp::Sub => zip_with(a, b, how, out, |x, y| x - y),
        BinOp::Mul => zip_with(a, b, how, out, |x, y| x * y),
        BinOp::Div => zip_with(a, b, how, out, |x, y| x / y),
        BinOp::Max => zip_with(a, b, how, out, f32::max),
        BinOp::Min => zip_with(a, b, how, out, f32::min),
    }
}

#[inline(always)]
fn zip_with(a: &[f32], b: &[f32], how: &Bcast, out: &mut [f32], f: impl Fn(f32, f32) -> f32) {
    match how {
        Bcast::Same => out.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&x, &y))| *o = f(x, y)),
        Bcast::RowB => {
            for (o, a) in out.chunks_exact_mut(b.len()).zip(a.chunks_exact(b.len())) {
                o.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&x, &y))| *o = f(x, y));
            }
        }
        Bcast::RowA => {
            for (o, b) in out.chunks_exact_mut(a.len()).zip(b.chunks_exact(a.len())) {
                o.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&x, &y))| *o = f(x, y));
            }
        }
        Bcast::Index(ia, ib) => {
            for ((o, &i), &j) in out.iter_mut().zip(ia).zip(ib) {
                *o = f(a[i as usize], b[j as usize]);
            }
        }
    }
}

fn unary(op: UnOp, x: &[f32], out: &mut [f32]) {
    let map = |f: fn(f32) -> f32, out: &mut [f32]| out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v));
    match op {
        // ONNX Relu is max(0, x); `max` would also map NaN to 0, inputs are finite anyway.
        UnOp::Relu => map(|v| if v > 0.0 { v } else { 0.0 }, out),
        UnOp::Log => map(f32::ln, out),
        UnOp::Exp => map(f32::exp, out),
        UnOp::Neg => map(|v| -v, out),
        UnOp::Abs => map(f32::abs, out),
        UnOp::Sqrt => map(f32::sqrt, out),
        UnOp::Sigmoid => map(|v| 1.0 / (1.0 + (-v).exp()), out),
        UnOp::Tanh => map(f32::tanh, out),
        UnOp::Clip(lo, hi) => out.iter_mut().zip(x).for_each(|(o, &v)| *o = v.max(lo).min(hi)),
    }
}

fn run_lstm(prog: &Program, l: &Lstm, bufs: &mut [Vec<f32>]) -> StepResult {
    let h = l.hidden;
    let take = |bufs: &mut [Vec<f32>], i: usize| std::mem::take(&mut bufs[i]);
    let (mut yh, mut yc, mut xw) = (take(bufs, l.yh), take(bufs, l.yc), take(bufs, l.xw));
    let (mut g, mut tc) = (take(bufs, l.gates), take(bufs, l.tc));
    let mut y = l.y.map(|i| take(bufs, i));
    let get = |op: Opd| -> &[f32] {
        match op {
            Opd::Buf(i) => &bufs[i],
            Opd::Const(i) => &prog.consts[i],
        }
    };
    // Every step's input projection first (X · Wᵀ + both biases), then the recurrence.
    let (wt, bias) = (&prog.consts[l.wt], &prog.consts[l.bias]);
    for (xr, acc) in get(l.x).chunks_exact(l.input).zip(xw.chunks_exact_mut(4 * h)) {
        acc.copy_from_slice(bias);
        kernels::gemv_acc(xr, wt, acc);
    }
    let init = |dst: &mut [f32], src: Option<Opd>| match src {
        Some(s) => dst.copy_from_slice(get(s)),
        None => dst.fill(0.0),
    };
    init(&mut yh, l.h0);
    init(&mut yc, l.c0);
    let store = |t: usize, ht: &[f32]| {
        if let Some(y) = y.as_mut() {
            y[t * h..(t + 1) * h].copy_from_slice(ht);
        }
    };
    let r = &prog.consts[l.rt];
    let result = kernels::lstm_sequence(&prog.act, &xw, 4 * h, l.steps, r, &mut yh, &mut yc, &mut g, &mut tc, store);
    bufs[l.yh] = yh;
    bufs[l.yc] = yc;
    bufs[l.xw] = xw;
    bufs[l.gates] = g;
    bufs[l.tc] = tc;
    if let (Some(i), Some(y)) = (l.y, y) {
        bufs[i] = y;
    }
    result
}
