//! Tiny ONNX models built in code, whose logits can be computed by hand:
//! `logits = reshape(mean_seq(features) · W + b, [batch, H, C])`.
#![allow(dead_code)] // each test binary uses its own part of this module

use flashmm_core::features::{N_FEATURES, feature_names};
use prost::Message;
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
    attribute_proto::AttributeType,
    tensor_shape_proto::{Dimension, dimension::Value as DimValue},
    type_proto,
};

pub const FLOAT: i32 = 1;
pub const INT64: i32 = 7;

/// One declared dimension.
#[derive(Clone, Debug)]
pub enum D {
    Fixed(i64),
    Param(&'static str),
    Unknown,
}

/// What to build; [`Spec::new`] meets the contract, tests break one thing at a time.
#[derive(Clone, Debug)]
pub struct Spec {
    pub input_name: String,
    pub input_type: i32,
    pub input_dims: Vec<D>,
    /// A second graph input (unused by the nodes).
    pub extra_input: Option<String>,
    pub output_name: String,
    pub horizons: usize,
    pub classes: usize,
    /// Declare the output's shape in the graph (else tract infers it).
    pub declare_output: bool,
    pub metadata: Vec<(String, String)>,
    /// Scales the weights: two models with different `scale` predict differently.
    pub scale: f32,
}

impl Spec {
    /// `[batch, seq, 64]` → `[batch, H, 3]`, full metadata.
    pub fn new(seq: usize, horizons: usize) -> Self {
        Spec {
            input_name: "features".into(),
            input_type: FLOAT,
            input_dims: vec![D::Param("batch"), D::Fixed(seq as i64), D::Fixed(N_FEATURES as i64)],
            extra_input: None,
            output_name: "logits".into(),
            horizons,
            classes: 3,
            declare_output: true,
            metadata: full_metadata(seq, horizons),
            scale: 1.0,
        }
    }

    pub fn feature_dim(&self) -> usize {
        match self.input_dims.last() {
            Some(D::Fixed(n)) => *n as usize,
            _ => N_FEATURES,
        }
    }

    pub fn outputs(&self) -> usize {
        self.horizons * self.classes
    }

    /// `W[i][j]`: multiples of 1/16 (exact in f32, so tract's sums are exact too).
    pub fn weight(&self, i: usize, j: usize) -> f32 {
        self.scale * (((i * 7 + j * 3) % 11) as f32 - 5.0) / 16.0
    }

    pub fn bias(&self, j: usize) -> f32 {
        (j as f32 - 4.0) / 8.0
    }

    /// Logits for one window, by hand (f64, rounded once).
    pub fn expected_logits(&self, window: &[[f32; N_FEATURES]]) -> Vec<f32> {
        let n = window.len() as f64;
        let mean: Vec<f64> = (0..N_FEATURES).map(|i| window.iter().map(|v| v[i] as f64).sum::<f64>() / n).collect();
        (0..self.outputs())
            .map(|j| {
                let s: f64 = (0..N_FEATURES).map(|i| mean[i] * self.weight(i, j) as f64).sum();
                (s + self.bias(j) as f64) as f32
            })
            .collect()
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.proto().encode_to_vec()
    }

    pub fn proto(&self) -> ModelProto {
        let f = self.feature_dim();
        let o = self.outputs();
        let w: Vec<f32> = (0..f).flat_map(|i| (0..o).map(move |j| (i, j))).map(|(i, j)| self.weight(i, j)).collect();
        let b: Vec<f32> = (0..o).map(|j| self.bias(j)).collect();
        let initializer = vec![
            tensor_f32("W", &[f as i64, o as i64], w),
            tensor_f32("B", &[o as i64], b),
            TensorProto {
                name: "shape".into(),
                dims: vec![3],
                data_type: INT64,
                int64_data: vec![-1, self.horizons as i64, self.classes as i64],
                ..Default::default()
            },
        ];
        let node = vec![
            NodeProto {
                name: "mean".into(),
                op_type: "ReduceMean".into(),
                input: vec![self.input_name.clone()],
                output: vec!["mean".into()],
                attribute: vec![ints_attr("axes", &[1]), int_attr("keepdims", 0)],
                ..Default::default()
            },
            node("matmul", "MatMul", &["mean", "W"], "mm"),
            node("add", "Add", &["mm", "B"], "lin"),
            node("reshape", "Reshape", &["lin", "shape"], &self.output_name),
        ];
        let mut input = vec![value_info(&self.input_name, self.input_type, Some(&self.input_dims))];
        if let Some(x) = &self.extra_input {
            input.push(value_info(x, FLOAT, Some(&[D::Fixed(1)])));
        }
        let out_dims = [D::Param("batch"), D::Fixed(self.horizons as i64), D::Fixed(self.classes as i64)];
        let output = vec![value_info(&self.output_name, FLOAT, self.declare_output.then_some(&out_dims[..]))];
        ModelProto {
            ir_version: 8,
            producer_name: "flashmm-tests".into(),
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
            graph: Some(GraphProto { name: "tiny".into(), node, initializer, input, output, ..Default::default() }),
            metadata_props: self
                .metadata
                .iter()
                .map(|(k, v)| StringStringEntryProto { key: k.clone(), value: v.clone() })
                .collect(),
            ..Default::default()
        }
    }
}

/// The metadata an exporter writes.
pub fn full_metadata(seq: usize, horizons: usize) -> Vec<(String, String)> {
    let hz: Vec<String> = (0..horizons).map(|k| ((k as i64 + 1) * 100_000_000).to_string()).collect();
    vec![
        ("flashmm.arch".into(), "tiny-linear".into()),
        ("flashmm.seq".into(), seq.to_string()),
        ("flashmm.step_ns".into(), "100000000".into()),
        ("flashmm.horizons_ns".into(), hz.join(",")),
        ("flashmm.classes".into(), "down,flat,up".into()),
        ("flashmm.features".into(), feature_names().join(",")),
        ("flashmm.normalizer".into(), "{\"baked\":true}".into()),
    ]
}

/// A window of `seq` vectors with values `k/8` (exact in f32).
pub fn window(seq: usize, salt: usize) -> Vec<[f32; N_FEATURES]> {
    (0..seq).map(|t| std::array::from_fn(|i| (((i * 5 + t * 3 + salt * 7) % 17) as f32 - 8.0) / 8.0)).collect()
}

/// Softmax and confidence by hand, f64.
pub fn softmax_conf(l: &[f32]) -> ([f64; 3], f64) {
    let e: Vec<f64> = l.iter().map(|&x| (x as f64).exp()).collect();
    let s: f64 = e.iter().sum();
    let p = [e[0] / s, e[1] / s, e[2] / s];
    let h: f64 = -p.iter().map(|q| q * q.ln()).sum::<f64>();
    (p, 1.0 - h / 3f64.ln())
}

pub fn tensor_f32(name: &str, dims: &[i64], data: Vec<f32>) -> TensorProto {
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: FLOAT, float_data: data, ..Default::default() }
}

pub fn node(name: &str, op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

pub fn ints_attr(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: v.to_vec(), ..Default::default() }
}

pub fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i: v, ..Default::default() }
}

pub fn float_attr(name: &str, v: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f: v, ..Default::default() }
}

pub fn tensor_i64(name: &str, data: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![data.len() as i64],
        data_type: INT64,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

/// `node` with attributes.
pub fn node_with(name: &str, op: &str, inputs: &[&str], output: &str, attrs: Vec<AttributeProto>) -> NodeProto {
    NodeProto { attribute: attrs, ..node(name, op, inputs, output) }
}

/// A contract-meeting model of `nodes` (reading `features` `[batch, seq, 64]`, writing
/// `logits` `[batch, horizons, 3]`) at opset `opset`.
pub fn graph_bytes(nodes: Vec<NodeProto>, inits: Vec<TensorProto>, seq: usize, horizons: usize, opset: i64) -> Vec<u8> {
    let in_dims = [D::Param("batch"), D::Fixed(seq as i64), D::Fixed(N_FEATURES as i64)];
    let out_dims = [D::Param("batch"), D::Fixed(horizons as i64), D::Fixed(3)];
    ModelProto {
        ir_version: 8,
        producer_name: "flashmm-tests".into(),
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
        graph: Some(GraphProto {
            name: "hand".into(),
            node: nodes,
            initializer: inits,
            input: vec![value_info("features", FLOAT, Some(&in_dims))],
            output: vec![value_info("logits", FLOAT, Some(&out_dims))],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

fn value_info(name: &str, elem_type: i32, dims: Option<&[D]>) -> ValueInfoProto {
    let shape = dims.map(|d| TensorShapeProto {
        dim: d
            .iter()
            .map(|x| Dimension {
                value: match x {
                    D::Fixed(n) => Some(DimValue::DimValue(*n)),
                    D::Param(p) => Some(DimValue::DimParam(p.to_string())),
                    D::Unknown => None,
                },
                ..Default::default()
            })
            .collect(),
    });
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor { elem_type, shape })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Writes `bytes` to a fresh file under the target's tmp dir.
pub fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("model_tests");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(format!("{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).expect("write model");
    p
}
