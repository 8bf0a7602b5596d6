//! Lowering an ONNX graph to a [`Program`] at batch 1: shapes from the input's
//! `[1, seq, 64]`, one buffer per computed value, weights decoded once.
//!
//! Operators and the cases lowered (anything else: `Err`, and tract serves the model):
//! * shapes only, no step: `Identity`, `Dropout` (one output), `Reshape` (constant shape),
//!   `Flatten`, `Squeeze`, `Unsqueeze` (constant axes);
//! * `MatMul` (both operands rank ≥ 2; a constant rank-2 right operand is a dense product),
//!   `Gemm` (constant `B`, no `transA`);
//! * `Add`, `Sub`, `Mul`, `Div`, `Max`, `Min`, `Sum` (broadcasting; an `Add` of a constant
//!   to a dense product's only use joins the product's bias);
//! * `Relu`, `Log`, `Exp`, `Neg`, `Abs`, `Sqrt`, `Sigmoid`, `Tanh`, `Clip` (constant bounds);
//! * `LayerNormalization` over the last axis (f32 statistics, one output, constant scale
//!   and bias), `Softmax` over the last axis;
//! * `Transpose`, `Slice` (constant bounds), `Concat`, `ReduceMean`, `ReduceSum` (constant
//!   axes);
//! * `LSTM`: forward, default activations, no clip, no coupled gate, time-major, no
//!   `sequence_lens`, no peepholes, constant `W`, `R`, `B`;
//! * `Constant` (a `value` tensor).
//!
//! Tensors: float32 values, int64 only as constant shape arguments.

mod lstm;

use std::collections::HashMap;

use tract_onnx::pb::{self, NodeProto, TensorProto};

use super::shape::{self, numel};
use super::{Bcast, BinOp, Opd, Program, Step, UnOp};
use crate::features::N_FEATURES;
use crate::model::kernels::LstmActivations;
use crate::model::{INPUT_NAME, OUTPUT_NAME};

type Lowered<T = ()> = Result<T, String>;

/// A value of the graph at load time.
#[derive(Clone, Debug)]
enum Val {
    F32 {
        opd: Opd,
        shape: Vec<usize>,
    },
    /// A constant int64 tensor: only read as a shape argument.
    I64(Vec<i64>),
}

/// The dense step that wrote a buffer and the value name it goes by: an `Add` of a
/// constant to that name, its only use, joins the step's bias.
struct Producer {
    step: usize,
    name: String,
}

struct Builder {
    opset: i64,
    consts: Vec<Vec<f32>>,
    buf_lens: Vec<usize>,
    steps: Vec<Step>,
    vals: HashMap<String, Val>,
    /// How many nodes (and graph outputs) read each value name.
    uses: HashMap<String, usize>,
    dense: HashMap<usize, Producer>,
}

/// Lowers `proto`'s graph for a `[1, seq, 64]` input; `Err` says what is not supported.
pub(crate) fn lower(proto: &pb::ModelProto, seq: usize) -> Lowered<Program> {
    let graph = proto.graph.as_ref().ok_or("no graph")?;
    let opset =
        proto.opset_import.iter().find(|o| o.domain.is_empty() || o.domain == "ai.onnx").map_or(1, |o| o.version);
    let needed = needed_nodes(graph)?;
    let mut b = Builder {
        opset,
        consts: Vec::new(),
        buf_lens: vec![seq * N_FEATURES],
        steps: Vec::new(),
        vals: HashMap::new(),
        uses: HashMap::new(),
        dense: HashMap::new(),
    };
    for n in needed.iter().map(|&i| &graph.node[i]) {
        n.input.iter().filter(|s| !s.is_empty()).for_each(|s| *b.uses.entry(s.clone()).or_default() += 1);
    }
    *b.uses.entry(OUTPUT_NAME.into()).or_default() += 1;
    for t in &graph.initializer {
        let v = b.tensor(t)?;
        b.vals.insert(t.name.clone(), v);
    }
    b.vals.insert(INPUT_NAME.into(), Val::F32 { opd: Opd::Buf(0), shape: vec![1, seq, N_FEATURES] });
    for n in needed.iter().map(|&i| &graph.node[i]) {
        b.node(n).map_err(|e| format!("{} ({}): {e}", n.op_type, n.name))?;
    }
    let output = match b.vals.get(OUTPUT_NAME) {
        Some(Val::F32 { opd: Opd::Buf(i), .. }) if *i != 0 => *i,
        _ => return Err("`logits` is not a computed float tensor".into()),
    };
    Ok(Program { consts: b.consts, buf_lens: b.buf_lens, steps: b.steps, output, act: LstmActivations::new() })
}

/// The nodes `logits` depends on, in file order (ONNX requires topological order).
fn needed_nodes(graph: &pb::GraphProto) -> Lowered<Vec<usize>> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        if !n.domain.is_empty() && n.domain != "ai.onnx" {
            return Err(format!("operator domain `{}`", n.domain));
        }
        n.output.iter().filter(|o| !o.is_empty()).for_each(|o| {
            producer.insert(o.as_str(), i);
        });
    }
    let mut keep = vec![false; graph.node.len()];
    let mut stack: Vec<&str> = vec![OUTPUT_NAME];
    while let Some(v) = stack.pop() {
        if let Some(&i) = producer.get(v)
            && !keep[i]
        {
            keep[i] = true;
            stack.extend(graph.node[i].input.iter().filter(|s| !s.is_empty()).map(String::as_str));
        }
    }
    Ok((0..graph.node.len()).filter(|&i| keep[i]).collect())
}

/// Attribute `name` of `n`, or `default`.
fn attr<'a, T: tract_onnx::pb_helpers::AttrScalarType<'a>>(n: &'a NodeProto, name: &str, default: T) -> Lowered<T> {
    Ok(n.get_attr_opt(name).map_err(|e| format!("{e}"))?.unwrap_or(default))
}

fn attr_ints(n: &NodeProto, name: &str) -> Lowered<Option<Vec<i64>>> {
    Ok(n.get_attr_opt_tvec::<i64>(name).map_err(|e| format!("{e}"))?.map(|v| v.to_vec()))
}

impl Builder {
    fn tensor(&mut self, t: &TensorProto) -> Lowered<Val> {
        let dims: Vec<usize> =
            t.dims.iter().map(|&d| usize::try_from(d).map_err(|_| "negative dim")).collect::<Result<_, _>>()?;
        if t.data_location == Some(pb::tensor_proto::DataLocation::External as i32) {
            return Err(format!("tensor {} has external data", t.name));
        }
        let n = numel(&dims);
        let raw = |w: usize| -> Lowered<Option<Vec<[u8; 8]>>> {
            if t.raw_data.is_empty() {
                return Ok(None);
            }
            if t.raw_data.len() != n * w {
                return Err(format!("tensor {} has {} bytes for {n} values", t.name, t.raw_data.len()));
            }
            Ok(Some(
                t.raw_data.chunks_exact(w).map(|c| std::array::from_fn(|i| if i < w { c[i] } else { 0 })).collect(),
            ))
        };
        let val = match t.data_type {
            1 => {
                let v: Vec<f32> = match raw(4)? {
                    Some(r) => r.iter().map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
                    None => t.float_data.clone(),
                };
                if v.len() != n {
                    return Err(format!("tensor {} has {} values for {n}", t.name, v.len()));
                }
                Val::F32 { opd: Opd::Const(self.konst(v)), shape: dims }
            }
            7 => {
                let v: Vec<i64> = match raw(8)? {
                    Some(r) => r.iter().map(|b| i64::from_le_bytes(*b)).collect(),
                    None => t.int64_data.clone(),
                };
                if v.len() != n {
                    return Err(format!("tensor {} has {} values for {n}", t.name, v.len()));
                }
                Val::I64(v)
            }
            d => return Err(format!("tensor {} of data type {d}", t.name)),
        };
        Ok(val)
    }

    fn konst(&mut self, v: Vec<f32>) -> usize {
        self.consts.push(v);
        self.consts.len() - 1
    }

    fn buf(&mut self, len: usize) -> usize {
        self.buf_lens.push(len);
        self.buf_lens.len() - 1
    }

    fn get(&self, name: &str) -> Lowered<&Val> {
        self.vals.get(name).ok_or_else(|| format!("input `{name}` is not known (graph not in order?)"))
    }

    fn f32_in(&self, n: &NodeProto, i: usize) -> Lowered<(Opd, Vec<usize>)> {
        match n.input.get(i).filter(|s| !s.is_empty()).map(|s| self.get(s)).transpose()? {
            Some(Val::F32 { opd, shape }) => Ok((*opd, shape.clone())),
            Some(Val::I64(_)) => Err(format!("input {i} is int64")),
            None => Err(format!("input {i} is missing")),
        }
    }

    fn i64_in(&self, n: &NodeProto, i: usize) -> Lowered<Option<Vec<i64>>> {
        match n.input.get(i).filter(|s| !s.is_empty()).map(|s| self.get(s)).transpose()? {
            Some(Val::I64(v)) => Ok(Some(v.clone())),
            Some(Val::F32 { .. }) => Err(format!("input {i} must be a constant int64 tensor")),
            None => Ok(None),
        }
    }

    /// The values of a constant float input.
    fn const_in(&self, n: &NodeProto, i: usize) -> Lowered<(Vec<f32>, Vec<usize>)> {
        match self.f32_in(n, i)? {
            (Opd::Const(c), shape) => Ok((self.consts[c].clone(), shape)),
            _ => Err(format!("input {i} must be a constant")),
        }
    }

    fn set(&mut self, n: &NodeProto, opd: Opd, shape: Vec<usize>) -> Lowered {
        let out = n.output.first().filter(|s| !s.is_empty()).ok_or("no output")?;
        if numel(&shape) == 0 {
            return Err("empty tensor".into());
        }
        self.vals.insert(out.clone(), Val::F32 { opd, shape });
        Ok(())
    }

    /// Adds `step` writing a new buffer of `shape` as `n`'s output.
    fn emit(&mut self, n: &NodeProto, shape: Vec<usize>, step: impl FnOnce(usize) -> Step) -> Lowered<usize> {
        let out = self.buf(numel(&shape));
        self.steps.push(step(out));
        self.set(n, Opd::Buf(out), shape)?;
        Ok(out)
    }

    fn node(&mut self, n: &NodeProto) -> Lowered {
        let one_output = n.output.iter().filter(|o| !o.is_empty()).count() == 1;
        match n.op_type.as_str() {
            "Identity" | "Dropout" if one_output => {
                let (x, s) = self.f32_in(n, 0)?;
                self.set(n, x, s)
            }
            "Reshape" => self.reshape(n),
            "Flatten" => {
                let (x, s) = self.f32_in(n, 0)?;
                let a = attr(n, "axis", 1i64)?;
                let a = if a == s.len() as i64 { s.len() } else { shape::axis(a, s.len()).ok_or("bad axis")? };
                self.set(n, x, vec![numel(&s[..a]), numel(&s[a..])])
            }
            "Squeeze" | "Unsqueeze" => self.squeeze(n),
            "MatMul" => self.matmul(n),
            "Gemm" => self.gemm(n),
            "Add" => self.add(n),
            "Sub" => self.binary_chain(n, BinOp::Sub),
            "Mul" => self.binary_chain(n, BinOp::Mul),
            "Div" => self.binary_chain(n, BinOp::Div),
            "Max" => self.binary_chain(n, BinOp::Max),
            "Min" => self.binary_chain(n, BinOp::Min),
            "Sum" => self.binary_chain(n, BinOp::Add),
            "Relu" => self.unary(n, UnOp::Relu),
            "Log" => self.unary(n, UnOp::Log),
            "Exp" => self.unary(n, UnOp::Exp),
            "Neg" => self.unary(n, UnOp::Neg),
            "Abs" => self.unary(n, UnOp::Abs),
            "Sqrt" => self.unary(n, UnOp::Sqrt),
            "Sigmoid" => self.unary(n, UnOp::Sigmoid),
            "Tanh" => self.unary(n, UnOp::Tanh),
            "Clip" => self.clip(n),
            "LayerNormalization" if one_output => self.layer_norm(n),
            "Softmax" => self.softmax(n),
            "Transpose" => self.transpose(n),
            "Slice" => self.slice(n),
            "Concat" => self.concat(n),
            "ReduceMean" => self.reduce(n, true),
            "ReduceSum" => self.reduce(n, false),
            "LSTM" => self.lstm(n),
            "Constant" => {
                let t =
                    n.attribute.iter().find(|a| a.name == "value").and_then(|a| a.t.as_ref()).ok_or("no `value`")?;
                let v = self.tensor(t)?;
                let out = n.output.first().ok_or("no output")?;
                self.vals.insert(out.clone(), v);
                Ok(())
            }
            op => Err(format!("operator {op} (or this form of it) is not in the evaluator's set")),
        }
    }

    fn reshape(&mut self, n: &NodeProto) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        let spec = self.i64_in(n, 1)?.ok_or("no shape")?;
        let allow_zero = attr(n, "allowzero", 0i64)? != 0;
        let mut out: Vec<i64> = spec
            .iter()
            .enumerate()
            .map(|(i, &d)| if d == 0 && !allow_zero { s.get(i).map_or(-2, |&v| v as i64) } else { d })
            .collect();
        let known: i64 = out.iter().filter(|&&d| d >= 0).product();
        match out.iter().filter(|&&d| d == -1).count() {
            0 => {}
            1 if known > 0 => {
                let i = out.iter().position(|&d| d == -1).ok_or("no -1")?;
                out[i] = numel(&s) as i64 / known;
            }
            _ => return Err(format!("shape {spec:?}")),
        }
        let out: Vec<usize> =
            out.iter().map(|&d| usize::try_from(d).map_err(|_| format!("shape {spec:?}"))).collect::<Result<_, _>>()?;
        if numel(&out) != numel(&s) {
            return Err(format!("shape {spec:?} for {s:?}"));
        }
        self.set(n, x, out)
    }

    fn squeeze(&mut self, n: &NodeProto) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        let axes = if self.opset >= 13 { self.i64_in(n, 1)? } else { attr_ints(n, "axes")? };
        let out = if n.op_type == "Squeeze" {
            let axes: Vec<usize> = match axes {
                Some(a) => a.iter().map(|&a| shape::axis(a, s.len()).ok_or("bad axis")).collect::<Result<_, _>>()?,
                None => (0..s.len()).filter(|&i| s[i] == 1).collect(),
            };
            if axes.iter().any(|&a| s[a] != 1) {
                return Err("squeezing a dimension other than 1".into());
            }
            s.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
        } else {
            let axes = axes.ok_or("no axes")?;
            let r = s.len() + axes.len();
            let axes: Vec<usize> =
                axes.iter().map(|&a| shape::axis(a, r).ok_or("bad axis")).collect::<Result<_, _>>()?;
            let mut rest = s.iter();
            (0..r)
                .map(|i| if axes.contains(&i) { Some(1) } else { rest.next().copied() })
                .collect::<Option<Vec<_>>>()
                .ok_or("bad axes")?
        };
        self.set(n, x, out)
    }

    fn matmul(&mut self, n: &NodeProto) -> Lowered {
        let (a, sa) = self.f32_in(n, 0)?;
        let (b, sb) = self.f32_in(n, 1)?;
        if sa.len() < 2 || sb.len() < 2 || sa[sa.len() - 1] != sb[sb.len() - 2] {
            return Err(format!("shapes {sa:?} · {sb:?}"));
        }
        let (k, nn) = (sb[sb.len() - 2], sb[sb.len() - 1]);
        if let (Opd::Const(w), 2) = (b, sb.len()) {
            let rows = numel(&sa) / k;
            let mut out = sa.clone();
            *out.last_mut().ok_or("rank")? = nn;
            let o = self.emit(n, out, |out| Step::Dense { x: a, w, bias: None, rows, k, n: nn, out })?;
            self.dense.insert(o, Producer { step: self.steps.len() - 1, name: n.output[0].clone() });
            return Ok(());
        }
        let m = sa[sa.len() - 2];
        let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
        let batch = shape::broadcast(ba, bb).ok_or(format!("batch dims {ba:?} {bb:?}"))?;
        let (ia, ib) = (shape::broadcast_index(ba, &batch), shape::broadcast_index(bb, &batch));
        let offsets =
            (0..numel(&batch)).map(|i| [ia[i] as usize * m * k, ib[i] as usize * k * nn, i * m * nn]).collect();
        let mut out = batch;
        out.extend([m, nn]);
        self.emit(n, out, |out| Step::MatMul { a, b, m, k, n: nn, offsets, out })?;
        Ok(())
    }

    fn gemm(&mut self, n: &NodeProto) -> Lowered {
        let (a, sa) = self.f32_in(n, 0)?;
        let (bv, sb) = self.const_in(n, 1)?;
        let (alpha, beta) = (attr(n, "alpha", 1f32)?, attr(n, "beta", 1f32)?);
        if attr(n, "transA", 0i64)? != 0 || sa.len() != 2 || sb.len() != 2 {
            return Err("transA or non-matrix operands".into());
        }
        let trans_b = attr(n, "transB", 0i64)? != 0;
        let (k, nn) = if trans_b { (sb[1], sb[0]) } else { (sb[0], sb[1]) };
        if sa[1] != k {
            return Err(format!("shapes {sa:?} · {sb:?}"));
        }
        let at = |i: usize, j: usize| if trans_b { bv[j * k + i] } else { bv[i * nn + j] };
        let w: Vec<f32> = (0..k).flat_map(|i| (0..nn).map(move |j| (i, j))).map(|(i, j)| alpha * at(i, j)).collect();
        let w = self.konst(w);
        let out = vec![sa[0], nn];
        let bias = match n.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) => {
                let (c, sc) = self.const_in(n, 2)?;
                let full = self.materialise(&c, &sc, &out)?;
                Some(self.konst(full.iter().map(|v| beta * v).collect()))
            }
            None => None,
        };
        let rows = sa[0];
        self.emit(n, out, |out| Step::Dense { x: a, w, bias, rows, k, n: nn, out })?;
        Ok(())
    }

    /// `c` (of shape `sc`) broadcast to `out`, written out whole.
    fn materialise(&self, c: &[f32], sc: &[usize], out: &[usize]) -> Lowered<Vec<f32>> {
        if shape::broadcast(sc, out).as_deref() != Some(out) {
            return Err(format!("{sc:?} does not broadcast to {out:?}"));
        }
        Ok(shape::broadcast_index(sc, out).iter().map(|&i| c[i as usize]).collect())
    }

    /// An `Add` of a constant to a dense product read nowhere else joins its bias.
    fn add(&mut self, n: &NodeProto) -> Lowered {
        if n.input.len() == 2 {
            for (p, c) in [(0, 1), (1, 0)] {
                if self.fuse_bias(n, p, c)? {
                    return Ok(());
                }
            }
        }
        self.binary_chain(n, BinOp::Add)
    }

    fn fuse_bias(&mut self, n: &NodeProto, p: usize, c: usize) -> Lowered<bool> {
        let (Ok((Opd::Buf(buf), sp)), Ok((Opd::Const(ci), sc))) = (self.f32_in(n, p), self.f32_in(n, c)) else {
            return Ok(false);
        };
        let Some(prod) = self.dense.get(&buf) else { return Ok(false) };
        if prod.name != n.input[p] || self.uses.get(&prod.name) != Some(&1) {
            return Ok(false);
        }
        if shape::broadcast(&sp, &sc).as_deref() != Some(&sp[..]) {
            return Ok(false);
        }
        let add = self.materialise(&self.consts[ci].clone(), &sc, &sp)?;
        let step = prod.step;
        let Step::Dense { bias, .. } = &mut self.steps[step] else { return Err("producer is not dense".into()) };
        let total = match *bias {
            Some(b) => self.consts[b].iter().zip(&add).map(|(x, y)| x + y).collect(),
            None => add,
        };
        self.consts.push(total);
        let id = self.consts.len() - 1;
        if let Step::Dense { bias, .. } = &mut self.steps[step] {
            *bias = Some(id);
        }
        self.set(n, Opd::Buf(buf), sp)?;
        self.dense.insert(buf, Producer { step, name: n.output[0].clone() });
        Ok(true)
    }

    /// A binary op, or a variadic one (`Sum`, `Max`, `Min`) as a chain from the left.
    fn binary_chain(&mut self, n: &NodeProto, op: BinOp) -> Lowered {
        let k = n.input.len();
        if k == 0 || (k > 2 && !matches!(n.op_type.as_str(), "Sum" | "Max" | "Min")) {
            return Err(format!("{k} inputs"));
        }
        let (mut acc, mut sacc) = self.f32_in(n, 0)?;
        if k == 1 {
            return self.set(n, acc, sacc);
        }
        for i in 1..k {
            let (b, sb) = self.f32_in(n, i)?;
            let out = shape::broadcast(&sacc, &sb).ok_or(format!("{sacc:?} and {sb:?} do not broadcast"))?;
            let how = if sacc == sb {
                Bcast::Same
            } else if sacc == out && shape::is_row(&sb, &out) {
                Bcast::RowB
            } else if sb == out && shape::is_row(&sacc, &out) {
                Bcast::RowA
            } else {
                Bcast::Index(shape::broadcast_index(&sacc, &out), shape::broadcast_index(&sb, &out))
            };
            let a = acc;
            let o = self.buf(numel(&out));
            self.steps.push(Step::Binary { op, a, b, how, out: o });
            (acc, sacc) = (Opd::Buf(o), out);
        }
        self.set(n, acc, sacc)
    }

    fn unary(&mut self, n: &NodeProto, op: UnOp) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        self.emit(n, s, |out| Step::Unary { op, x, out })?;
        Ok(())
    }

    fn clip(&mut self, n: &NodeProto) -> Lowered {
        let bound = |b: &Self, i: usize, attr_name: &str, default: f32| -> Lowered<f32> {
            if b.opset < 11 {
                return attr(n, attr_name, default);
            }
            match n.input.get(i).filter(|s| !s.is_empty()) {
                None => Ok(default),
                Some(_) => match b.const_in(n, i)?.0.as_slice() {
                    [v] => Ok(*v),
                    _ => Err("bounds must be scalars".into()),
                },
            }
        };
        let lo = bound(self, 1, "min", f32::NEG_INFINITY)?;
        let hi = bound(self, 2, "max", f32::INFINITY)?;
        self.unary(n, UnOp::Clip(lo, hi))
    }

    fn last_axis(&self, n: &NodeProto, s: &[usize], default: i64) -> Lowered<usize> {
        let a = attr(n, "axis", default)?;
        match shape::axis(a, s.len()) {
            Some(a) if a + 1 == s.len() => Ok(s[a]),
            _ => Err(format!("axis {a} of {s:?}: only the last axis")),
        }
    }

    fn layer_norm(&mut self, n: &NodeProto) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        let d = self.last_axis(n, &s, -1)?;
        if attr(n, "stash_type", 1i64)? != 1 {
            return Err("stash_type other than float32".into());
        }
        let eps = attr(n, "epsilon", 1e-5f32)?;
        let per_row = |b: &Self, i: usize| -> Lowered<Vec<f32>> {
            if n.input.get(i).is_none_or(|s| s.is_empty()) {
                return Ok(vec![0.0; d]);
            }
            let (v, sv) = b.const_in(n, i)?;
            b.materialise(&v, &sv, &[d])
        };
        let (scale, bias) = (per_row(self, 1)?, per_row(self, 2)?);
        let (scale, bias) = (self.konst(scale), self.konst(bias));
        self.emit(n, s, |out| Step::LayerNorm { x, scale, bias, d, eps, out })?;
        Ok(())
    }

    fn softmax(&mut self, n: &NodeProto) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        // Before opset 13 the axis flattens the tensor to 2-D from there: the same for the last.
        let d = self.last_axis(n, &s, if self.opset < 13 { 1 } else { -1 })?;
        self.emit(n, s, |out| Step::Softmax { x, d, out })?;
        Ok(())
    }

    fn transpose(&mut self, n: &NodeProto) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        let perm: Vec<usize> = match attr_ints(n, "perm")? {
            Some(p) => p.iter().map(|&a| usize::try_from(a).map_err(|_| "bad perm")).collect::<Result<_, _>>()?,
            None => (0..s.len()).rev().collect(),
        };
        let mut seen = perm.clone();
        seen.sort_unstable();
        if seen != (0..s.len()).collect::<Vec<_>>() {
            return Err(format!("perm {perm:?} of rank {}", s.len()));
        }
        let (out, idx) = shape::transpose(&s, &perm);
        self.emit(n, out, |out| Step::Gather { x, idx, out })?;
        Ok(())
    }

    fn slice(&mut self, n: &NodeProto) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        let (starts, ends, axes, steps) = if self.opset < 10 {
            (attr_ints(n, "starts")?, attr_ints(n, "ends")?, attr_ints(n, "axes")?, None)
        } else {
            (self.i64_in(n, 1)?, self.i64_in(n, 2)?, self.i64_in(n, 3)?, self.i64_in(n, 4)?)
        };
        let (starts, ends) = (starts.ok_or("no starts")?, ends.ok_or("no ends")?);
        let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
        let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
        if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
            return Err("starts, ends, axes and steps differ in length".into());
        }
        let mut ranges: Vec<shape::Range> = s.iter().map(|&d| shape::Range { start: 0, step: 1, len: d }).collect();
        for i in 0..starts.len() {
            let a = shape::axis(axes[i], s.len()).ok_or("bad axis")?;
            ranges[a] = shape::slice_range(s[a], starts[i], ends[i], steps[i]).ok_or("zero step")?;
        }
        let (out, idx) = shape::slice(&s, &ranges);
        self.emit(n, out, |out| Step::Gather { x, idx, out })?;
        Ok(())
    }

    fn concat(&mut self, n: &NodeProto) -> Lowered {
        let ins: Vec<(Opd, Vec<usize>)> = (0..n.input.len()).map(|i| self.f32_in(n, i)).collect::<Result<_, _>>()?;
        let first = &ins.first().ok_or("no inputs")?.1;
        let a = shape::axis(attr(n, "axis", 0i64)?, first.len()).ok_or("bad axis")?;
        let mut out = first.clone();
        out[a] = 0;
        for (_, sh) in &ins {
            if sh.len() != first.len() || (0..sh.len()).any(|i| i != a && sh[i] != first[i]) {
                return Err(format!("shapes {first:?} and {sh:?}"));
            }
            out[a] += sh[a];
        }
        let outer = numel(&first[..a]);
        let parts = ins.iter().map(|(o, sh)| (*o, numel(&sh[a..]))).collect();
        self.emit(n, out, |out| Step::Concat { parts, outer, out })?;
        Ok(())
    }

    fn reduce(&mut self, n: &NodeProto, mean: bool) -> Lowered {
        let (x, s) = self.f32_in(n, 0)?;
        let axes_from_input = if mean { self.opset >= 18 } else { self.opset >= 13 };
        let axes = if axes_from_input { self.i64_in(n, 1)? } else { attr_ints(n, "axes")? };
        let axes: Vec<usize> = match axes {
            Some(a) if !a.is_empty() => {
                a.iter().map(|&a| shape::axis(a, s.len()).ok_or("bad axis")).collect::<Result<_, _>>()?
            }
            _ if attr(n, "noop_with_empty_axes", 0i64)? != 0 => return Err("noop_with_empty_axes".into()),
            _ => (0..s.len()).collect(),
        };
        let (kept, map) = shape::reduce(&s, &axes);
        let count = numel(&s) / numel(&kept);
        let div = if mean { count as f32 } else { 1.0 };
        let out = if attr(n, "keepdims", 1i64)? != 0 {
            kept
        } else {
            s.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
        };
        self.emit(n, out, |out| Step::Reduce { x, map, div, out })?;
        Ok(())
    }
}
