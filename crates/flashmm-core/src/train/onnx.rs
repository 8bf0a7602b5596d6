//! ONNX export, written directly as `tract_onnx::pb` protobuf (opset 17, IR 8).
//!
//! Graph: `features` f32 `[batch, seq, 64]` raw → the normalisation of
//! [`Normalizer::apply`] for finite inputs, `clamp((x − mean)/std, ±clip)`, written as a
//! per-feature clip of the raw value to `mean ± clip·std` (`Max`, `Min`) with the affine map
//! folded into the network's first layer (`W/std`, `b − (mean/std)·W`, computed in f64): two
//! cheap nodes instead of four, the same function → the network → `logits` f32
//! `[batch, 3, 3]`. Inputs must be finite (the core refuses others before running a model).
//! Weights are initializers in raw little-endian bytes; node names come from a counter and
//! there is no timestamp, so the bytes are a function of the weights and the config.

use candle_core::Var;
use prost::Message;
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
    attribute_proto::AttributeType,
    tensor_proto::DataType,
    tensor_shape_proto::{Dimension, dimension::Value as Dim},
    type_proto,
};

use crate::features::{HORIZONS_NS, N_FEATURES, N_HORIZONS, Normalizer, feature_names};

use super::config::{Combine, TrainConfig};
use super::nets::{CResult, Linear, Member, Net, Nets};
use super::transformer::{LayerNorm, Transformer};

/// ONNX opset the graph is written for (`LayerNormalization` needs 17).
pub const OPSET: i64 = 17;
/// Input and output names of the model contract.
pub use crate::model::{INPUT_NAME as INPUT, OUTPUT_NAME as OUTPUT};

#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    count: usize,
}

fn attr_i(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

fn attr_f(name: &str, f: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f, ..Default::default() }
}

fn attr_ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: ints.to_vec(), ..Default::default() }
}

impl Graph {
    fn fresh(&mut self, hint: &str) -> String {
        self.count += 1;
        format!("{hint}_{}", self.count)
    }

    fn f32(&mut self, hint: &str, dims: &[usize], data: &[f32]) -> String {
        let name = self.fresh(hint);
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.inits.push(TensorProto {
            name: name.clone(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            raw_data: raw,
            ..Default::default()
        });
        name
    }

    fn i64(&mut self, hint: &str, dims: &[usize], data: &[i64]) -> String {
        let name = self.fresh(hint);
        self.inits.push(TensorProto {
            name: name.clone(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Int64 as i32,
            raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
        name
    }

    fn var(&mut self, hint: &str, v: &Var) -> CResult<String> {
        let data = v.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        Ok(self.f32(hint, v.dims(), &data))
    }

    /// Adds a node with one output; `out` names it, else a fresh name.
    fn op_to(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>, out: Option<&str>) -> String {
        let output = out.map_or_else(|| self.fresh(&op.to_lowercase()), str::to_string);
        self.count += 1;
        self.nodes.push(NodeProto {
            name: format!("{op}_{}", self.count),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            attribute: attrs,
            ..Default::default()
        });
        output
    }

    fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        self.op_to(op, inputs, attrs, None)
    }

    fn reshape(&mut self, x: &str, shape: &[i64], out: Option<&str>) -> String {
        let s = self.i64("shape", &[shape.len()], shape);
        self.op_to("Reshape", &[x, &s], vec![], out)
    }

    fn linear(&mut self, x: &str, l: &Linear) -> CResult<String> {
        let w = self.var("w", &l.w)?;
        let b = self.var("b", &l.b)?;
        let y = self.op("MatMul", &[x, &w], vec![]);
        Ok(self.op("Add", &[&y, &b], vec![]))
    }

    /// The first layer of a network, on clipped raw inputs: `l` with the normaliser and the
    /// feature mask folded in (see [`fold`]).
    fn linear_folded(&mut self, x: &str, l: &Linear, n: &Fold) -> CResult<String> {
        let (w, b) = fold(&l.w.as_tensor().to_vec2::<f32>()?, &l.b.as_tensor().to_vec1::<f32>()?, n);
        let w = self.f32("w", l.w.dims(), &w);
        let b = self.f32("b", l.b.dims(), &b);
        let y = self.op("MatMul", &[x, &w], vec![]);
        Ok(self.op("Add", &[&y, &b], vec![]))
    }

    fn layer_norm(&mut self, x: &str, ln: &LayerNorm, eps: f32) -> CResult<String> {
        let g = self.var("gamma", &ln.gamma)?;
        let b = self.var("beta", &ln.beta)?;
        Ok(self.op("LayerNormalization", &[x, &g, &b], vec![attr_i("axis", -1), attr_f("epsilon", eps)]))
    }

    /// Raw inputs clipped to `mean ± clip·std` per feature: the normaliser's clip, before
    /// its affine map (which the first layers fold in).
    fn clip_raw(&mut self, x: &str, n: &Normalizer) -> String {
        let bound = |sign: f64| -> Vec<f32> {
            (0..N_FEATURES)
                .map(|i| (f64::from(n.mean[i]) + sign * f64::from(n.clip) * f64::from(n.std[i])) as f32)
                .collect()
        };
        let lo = self.f32("clip_lo", &[N_FEATURES], &bound(-1.0));
        let hi = self.f32("clip_hi", &[N_FEATURES], &bound(1.0));
        let x = self.op("Max", &[x, &lo], vec![]);
        self.op("Min", &[&x, &hi], vec![])
    }

    /// Network on clipped raw windows `x [batch, seq, 64]` → logits `[batch, 3, 3]`; its
    /// first layer folds in the normaliser `n`.
    fn net(&mut self, x: &str, m: &Member, n: &Normalizer, out: Option<&str>) -> CResult<String> {
        let n = &Fold { norm: n, mask: m.mask };
        let logits9 = match &m.net {
            Net::Mlp(m) => {
                let mut h = self.reshape(x, &[-1, (m.seq * N_FEATURES) as i64], None);
                for (i, l) in m.layers.iter().enumerate() {
                    h = if i == 0 { self.linear_folded(&h, l, n)? } else { self.linear(&h, l)? };
                    if i + 1 < m.layers.len() {
                        h = self.op("Relu", &[&h], vec![]);
                    }
                }
                h
            }
            Net::Lstm(m) => self.lstm(x, m, n)?,
            Net::Transformer(t) => self.transformer(x, t, n)?,
            Net::Logistic(l) => {
                let last = self.reshape(x, &[-1, N_FEATURES as i64], None);
                self.linear_folded(&last, &l.linear, n)?
            }
        };
        Ok(self.reshape(&logits9, &[-1, N_HORIZONS as i64, 3], out))
    }

    fn lstm(&mut self, x: &str, m: &super::nets::Lstm, n: &Fold) -> CResult<String> {
        let h = m.hidden;
        // Ours: columns in PyTorch gate order (i, f, g, o); ONNX rows in (i, o, f, c).
        let onnx_gates = [0usize, 3, 1, 2];
        let reorder = |w: &[f32], rows: usize| -> Vec<f32> {
            // `w` is [rows, 4H] row-major.
            let mut out = Vec::with_capacity(4 * h * rows);
            for g in onnx_gates {
                for j in 0..h {
                    out.extend((0..rows).map(|r| w[r * 4 * h + g * h + j]));
                }
            }
            out
        };
        let (w_ih, bias) = fold(&m.w_ih.as_tensor().to_vec2::<f32>()?, &m.bias.as_tensor().to_vec1::<f32>()?, n);
        let w = self.f32("lstm_w", &[1, 4 * h, N_FEATURES], &reorder(&w_ih, N_FEATURES));
        let w_hh = m.w_hh.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        let r = self.f32("lstm_r", &[1, 4 * h, h], &reorder(&w_hh, h));
        let mut b: Vec<f32> = onnx_gates.iter().flat_map(|&g| bias[g * h..(g + 1) * h].to_vec()).collect();
        b.resize(8 * h, 0.0);
        let b = self.f32("lstm_b", &[1, 8 * h], &b);
        let xt = self.op("Transpose", &[x], vec![attr_ints("perm", &[1, 0, 2])]);
        // Explicit zero initial states [1, batch, H]: without them tract needs a fixed batch.
        // Built as (first step) · 0-matrix, so they follow the dynamic batch; exact zeros
        // because the normalised input is always finite.
        let st = self.i64("start", &[1], &[0]);
        let en = self.i64("end", &[1], &[1]);
        let ax = self.i64("axes", &[1], &[0]);
        let x0 = self.op("Slice", &[&xt, &st, &en, &ax], vec![]);
        let zeros = self.f32("lstm_zero", &[N_FEATURES, h], &vec![0.0; N_FEATURES * h]);
        let h0 = self.op("MatMul", &[&x0, &zeros], vec![]);
        let (y, yh) = (self.fresh("lstm_y"), self.fresh("lstm_yh"));
        self.count += 1;
        self.nodes.push(NodeProto {
            name: format!("LSTM_{}", self.count),
            op_type: "LSTM".into(),
            input: vec![xt, w, r, b, String::new(), h0.clone(), h0],
            output: vec![y, yh.clone()],
            attribute: vec![attr_i("hidden_size", h as i64)],
            ..Default::default()
        });
        let last = self.reshape(&yh, &[-1, h as i64], None);
        self.linear(&last, &m.head)
    }

    /// Slice of `x` along `axis`, `[start, end)`.
    fn slice(&mut self, x: &str, axis: i64, start: i64, end: i64) -> String {
        let st = self.i64("start", &[1], &[start]);
        let en = self.i64("end", &[1], &[end]);
        let ax = self.i64("axes", &[1], &[axis]);
        self.op("Slice", &[x, &st, &en, &ax], vec![])
    }

    /// The encoder as candle computes it, with three savings that change no output: Q, K and
    /// V in one product (`[d, 3d]`, the attention scale folded into Q's columns), and the last
    /// block computed for the last position only (the head reads nothing else; its keys and
    /// values still cover every position).
    fn transformer(&mut self, x: &str, t: &Transformer, n: &Fold) -> CResult<String> {
        let c = &t.cfg;
        let (s, d, nh) = (c.seq as i64, c.d_model as i64, c.heads as i64);
        let du = c.d_model;
        let p = self.linear_folded(x, &t.input, n)?;
        let pos = self.var("pos", &t.pos)?;
        let mut h = self.op("Add", &[&p, &pos], vec![]);
        let scale = 1.0 / ((c.d_model / c.heads) as f64).sqrt();
        for (li, blk) in t.blocks.iter().enumerate() {
            let last = li + 1 == t.blocks.len();
            let a = self.layer_norm(&h, &blk.ln1, c.ln_eps)?;
            // [d, 3d] = [Wq·scale | Wk | Wv], bias likewise.
            let (wq, wk, wv) = (
                blk.q.w.as_tensor().to_vec2::<f32>()?,
                blk.k.w.as_tensor().to_vec2::<f32>()?,
                blk.v.w.as_tensor().to_vec2::<f32>()?,
            );
            let (bq, bk, bv) = (
                blk.q.b.as_tensor().to_vec1::<f32>()?,
                blk.k.b.as_tensor().to_vec1::<f32>()?,
                blk.v.b.as_tensor().to_vec1::<f32>()?,
            );
            let w: Vec<f32> = (0..du)
                .flat_map(|i| {
                    let q = wq[i].iter().map(|&v| (f64::from(v) * scale) as f32);
                    q.chain(wk[i].iter().copied()).chain(wv[i].iter().copied()).collect::<Vec<_>>()
                })
                .collect();
            let b: Vec<f32> = bq.iter().map(|&v| (f64::from(v) * scale) as f32).chain(bk).chain(bv).collect();
            let w = self.f32("wqkv", &[du, 3 * du], &w);
            let b = self.f32("bqkv", &[3 * du], &b);
            let qkv = self.op("MatMul", &[&a, &w], vec![]);
            let qkv = self.op("Add", &[&qkv, &b], vec![]);
            let (sq, q_from) = if last { (1, s - 1) } else { (s, 0) };
            let q = self.slice(&qkv, 1, q_from, s);
            let q = self.slice(&q, 2, 0, d);
            let k = self.slice(&qkv, 2, d, 2 * d);
            let v = self.slice(&qkv, 2, 2 * d, 3 * d);
            let mut heads = Vec::new();
            for (y, rows, perm) in [(q, sq, [0, 2, 1, 3]), (k, s, [0, 2, 3, 1]), (v, s, [0, 2, 1, 3])] {
                let y = self.reshape(&y, &[-1, rows, nh, d / nh], None);
                heads.push(self.op("Transpose", &[&y], vec![attr_ints("perm", &perm)]));
            }
            let sc = self.op("MatMul", &[&heads[0], &heads[1]], vec![]);
            let att = self.op("Softmax", &[&sc], vec![attr_i("axis", -1)]);
            let y = self.op("MatMul", &[&att, &heads[2]], vec![]);
            let y = self.op("Transpose", &[&y], vec![attr_ints("perm", &[0, 2, 1, 3])]);
            let y = self.reshape(&y, &[-1, sq, d], None);
            let y = self.linear(&y, &blk.o)?;
            if last {
                h = self.slice(&h, 1, s - 1, s);
            }
            h = self.op("Add", &[&h, &y], vec![]);
            let f = self.layer_norm(&h, &blk.ln2, c.ln_eps)?;
            let f = self.linear(&f, &blk.ff1)?;
            let f = self.op("Relu", &[&f], vec![]);
            let f = self.linear(&f, &blk.ff2)?;
            h = self.op("Add", &[&h, &f], vec![]);
        }
        let h = self.layer_norm(&h, &t.ln_f, c.ln_eps)?;
        let last = self.reshape(&h, &[-1, d], None);
        self.linear(&last, &t.head)
    }
}

/// What a first layer absorbs: the normaliser's affine map and the member's feature mask.
struct Fold<'a> {
    norm: &'a Normalizer,
    mask: [bool; N_FEATURES],
}

/// A first layer `x·W + b` on normalised, masked inputs, as a layer on raw inputs: rows of
/// `W` (`[n_in, n_out]`, row `r` reads feature `r mod 64`) divided by the feature's std (zero
/// for a masked feature: training saw it as 0), and `b` minus `Σ_r (mean/std)·W[r]` over the
/// unmasked rows, in f64. Returns `W` flattened row-major and `b`.
fn fold(w: &[Vec<f32>], b: &[f32], f: &Fold) -> (Vec<f32>, Vec<f32>) {
    let n = f.norm;
    let mut bias: Vec<f64> = b.iter().map(|&v| f64::from(v)).collect();
    let mut out = Vec::with_capacity(w.len() * b.len());
    for (r, row) in w.iter().enumerate() {
        let i = r % N_FEATURES;
        let (mean, std) = (f64::from(n.mean[i]), f64::from(n.std[i]));
        for (j, &v) in row.iter().enumerate() {
            let v = if f.mask[i] { f64::from(v) } else { 0.0 };
            out.push((v / std) as f32);
            bias[j] -= mean / std * v;
        }
    }
    (out, bias.into_iter().map(|v| v as f32).collect())
}

fn tensor_type(dims: &[Dim]) -> Option<TypeProto> {
    Some(TypeProto {
        denotation: String::new(),
        value: Some(type_proto::Value::TensorType(type_proto::Tensor {
            elem_type: DataType::Float as i32,
            shape: Some(TensorShapeProto {
                dim: dims.iter().map(|d| Dimension { denotation: String::new(), value: Some(d.clone()) }).collect(),
            }),
        })),
    })
}

/// The whole model as ONNX bytes, with the metadata of the contract.
pub(crate) fn export(nets: &Nets, norm: &Normalizer, cfg: &TrainConfig) -> CResult<Vec<u8>> {
    let mut g = Graph::default();
    let x = g.clip_raw(INPUT, norm);
    if let Some(combine) = nets.combine {
        let mut probs = Vec::new();
        for m in &nets.members {
            let ms = m.net.seq();
            let xm = if ms == nets.seq { x.clone() } else { g.slice(&x, 1, (nets.seq - ms) as i64, nets.seq as i64) };
            let l = g.net(&xm, m, norm, None)?;
            probs.push(g.op("Softmax", &[&l], vec![attr_i("axis", -1)]));
        }
        let p = match combine {
            Combine::Mean => {
                let refs: Vec<&str> = probs.iter().map(String::as_str).collect();
                let sum = g.op("Sum", &refs, vec![]);
                let inv = g.f32("inv_n", &[], &[(1.0 / nets.members.len() as f64) as f32]);
                g.op("Mul", &[&sum, &inv], vec![])
            }
            Combine::MoveDirection => {
                let flat = g.slice(&probs[0], 2, 1, 2);
                let down = g.slice(&probs[1], 2, 0, 1);
                let up = g.slice(&probs[1], 2, 2, 3);
                let one = g.f32("one", &[], &[1.0]);
                let moved = g.op("Sub", &[&one, &flat], vec![]);
                let either = g.op("Add", &[&down, &up], vec![]);
                let moved = g.op("Div", &[&moved, &either], vec![]);
                let down = g.op("Mul", &[&down, &moved], vec![]);
                let up = g.op("Mul", &[&up, &moved], vec![]);
                g.op("Concat", &[&down, &flat, &up], vec![attr_i("axis", 2)])
            }
        };
        g.op_to("Log", &[&p], vec![], Some(OUTPUT));
    } else {
        g.net(&x, &nets.members[0], norm, Some(OUTPUT))?;
    }
    let batch = Dim::DimParam("batch".into());
    let graph = GraphProto {
        name: "flashmm".into(),
        node: g.nodes,
        initializer: g.inits,
        input: vec![ValueInfoProto {
            name: INPUT.into(),
            r#type: tensor_type(&[batch.clone(), Dim::DimValue(nets.seq as i64), Dim::DimValue(N_FEATURES as i64)]),
            doc_string: String::new(),
        }],
        output: vec![ValueInfoProto {
            name: OUTPUT.into(),
            r#type: tensor_type(&[batch, Dim::DimValue(N_HORIZONS as i64), Dim::DimValue(3)]),
            doc_string: String::new(),
        }],
        ..Default::default()
    };
    let meta = |k: &str, v: String| StringStringEntryProto { key: format!("flashmm.{k}"), value: v };
    let horizons: Vec<String> = HORIZONS_NS.iter().map(i64::to_string).collect();
    let model = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET }],
        producer_name: "flashmm".into(),
        producer_version: crate::VERSION.into(),
        graph: Some(graph),
        metadata_props: vec![
            meta("arch", cfg.arch.kind().name().into()),
            meta("seq", nets.seq.to_string()),
            meta("step_ns", cfg.step_ns.to_string()),
            meta("horizons_ns", horizons.join(",")),
            meta("classes", "down,flat,up".into()),
            meta("features", feature_names().join(",")),
            meta("normalizer", norm.to_json()),
            meta("seed", cfg.seed.to_string()),
            meta("train_config", serde_json::to_string(cfg).expect("a config serialises")),
        ],
        ..Default::default()
    };
    Ok(model.encode_to_vec())
}
