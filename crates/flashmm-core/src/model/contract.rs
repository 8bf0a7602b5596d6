//! The ONNX contract, checked on the decoded protobuf (names, types, declared shapes,
//! metadata) before tract sees the graph, so a rejection names exactly what differs.

use std::collections::HashSet;

use tract_onnx::pb::{self, tensor_shape_proto::dimension::Value as Dim, type_proto::Value as TypeValue};

use super::{DEFAULT_STEP_NS, INPUT_NAME, MAX_HORIZONS, N_CLASSES, OUTPUT_NAME};
use crate::features::{N_FEATURES, feature_names};

/// How the contract was violated. Each message says what was expected and what was found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("the model has no graph")]
    NoGraph,
    #[error("expected an input named `features`, found inputs {found:?}")]
    InputName { found: Vec<String> },
    #[error("expected exactly one input (`features`), found {} inputs: {found:?}", .found.len())]
    InputCount { found: Vec<String> },
    #[error("input `features` must be float32, found {found}")]
    InputDtype { found: String },
    #[error("input `features` declares no shape; expected [batch, seq, 64]")]
    InputShapeMissing,
    #[error("input `features` must have rank 3 [batch, seq, 64], found rank {rank}: {shape}")]
    InputRank { rank: usize, shape: String },
    #[error("input `features` last dimension must be 64 (the feature count), found {found}")]
    InputFeatures { found: String },
    #[error("input `features` sequence dimension must be a fixed positive size, found {found}")]
    InputSeq { found: String },
    #[error("input `features` batch dimension must be dynamic or 1, found {found}")]
    InputBatch { found: String },
    #[error("expected an output named `logits`, found outputs {found:?}")]
    OutputName { found: Vec<String> },
    #[error("output `logits` must be float32, found {found}")]
    OutputDtype { found: String },
    #[error("output `logits` must be [batch, horizons, 3], found {shape}")]
    OutputShape { shape: String },
    #[error("output `logits` must have 3 classes (down, flat, up) in its last dimension, found {found}")]
    OutputClasses { found: String },
    #[error("output `logits` has {found} horizons, at most {max} are supported", max = MAX_HORIZONS)]
    TooManyHorizons { found: usize },
    #[error("metadata `{key}`: {reason}")]
    Metadata { key: &'static str, reason: String },
}

/// What a loaded model declares: from its graph, and from `metadata_props` when present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// `flashmm.arch` (e.g. `mlp`, `lstm`), if the exporter said.
    pub arch: Option<String>,
    /// Feature vectors per window (the input's fixed second dimension).
    pub seq: usize,
    /// Horizons in the output (its second dimension).
    pub horizons: usize,
    /// `flashmm.horizons_ns`: the horizon of each output row, if the exporter said.
    pub horizons_ns: Option<Vec<i64>>,
    /// Exchange-time spacing of the window's vectors (`flashmm.step_ns`, default 100 ms).
    pub step_ns: i64,
    /// The batch dimension is symbolic (true) or fixed at 1 (false).
    pub dynamic_batch: bool,
    /// `flashmm.normalizer`: informational, the normalisation is inside the graph.
    pub normalizer: Option<String>,
    /// Every `metadata_props` entry, in file order.
    pub metadata: Vec<(String, String)>,
}

/// The result of the protobuf-level check: the info minus what only tract can tell
/// (horizons when the output shape is not declared).
pub(crate) struct Checked {
    pub info: ModelInfo,
    /// Horizons declared by the graph's output (None: not declared, tract will tell).
    pub declared_horizons: Option<usize>,
}

fn dim_str(d: &pb::tensor_shape_proto::Dimension) -> String {
    match &d.value {
        Some(Dim::DimValue(v)) => v.to_string(),
        Some(Dim::DimParam(p)) if !p.is_empty() => p.clone(),
        _ => "?".into(),
    }
}

fn shape_str(dims: &[pb::tensor_shape_proto::Dimension]) -> String {
    format!("[{}]", dims.iter().map(dim_str).collect::<Vec<_>>().join(", "))
}

fn fixed(d: &pb::tensor_shape_proto::Dimension) -> Option<i64> {
    match d.value {
        Some(Dim::DimValue(v)) => Some(v),
        _ => None,
    }
}

/// ONNX `TensorProto.DataType` as its name (the common ones; else the number).
fn dtype_name(t: i32) -> String {
    let name = match t {
        0 => "undefined",
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        16 => "bfloat16",
        _ => return format!("data type {t}"),
    };
    name.to_string()
}

const FLOAT: i32 = 1;

fn tensor_type(v: &pb::ValueInfoProto) -> Option<&pb::type_proto::Tensor> {
    match v.r#type.as_ref()?.value.as_ref()? {
        TypeValue::TensorType(t) => Some(t),
    }
}

/// Checks inputs, the output's name and declared shape, and the metadata.
pub(crate) fn check_proto(proto: &pb::ModelProto) -> Result<Checked, ContractError> {
    let graph = proto.graph.as_ref().ok_or(ContractError::NoGraph)?;
    // Exporters before IR 4 list initialisers among the inputs: they are weights, not inputs.
    let inits: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<&pb::ValueInfoProto> = graph.input.iter().filter(|i| !inits.contains(i.name.as_str())).collect();
    let names = || inputs.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    let Some(input) = inputs.iter().find(|i| i.name == INPUT_NAME) else {
        return Err(ContractError::InputName { found: names() });
    };
    if inputs.len() != 1 {
        return Err(ContractError::InputCount { found: names() });
    }
    let tt = tensor_type(input).ok_or_else(|| ContractError::InputDtype { found: "a non-tensor type".into() })?;
    if tt.elem_type != FLOAT {
        return Err(ContractError::InputDtype { found: dtype_name(tt.elem_type) });
    }
    let dims = &tt.shape.as_ref().ok_or(ContractError::InputShapeMissing)?.dim;
    if dims.len() != 3 {
        return Err(ContractError::InputRank { rank: dims.len(), shape: shape_str(dims) });
    }
    if fixed(&dims[2]) != Some(N_FEATURES as i64) {
        return Err(ContractError::InputFeatures { found: dim_str(&dims[2]) });
    }
    let seq = match fixed(&dims[1]) {
        Some(s) if s > 0 => s as usize,
        _ => return Err(ContractError::InputSeq { found: dim_str(&dims[1]) }),
    };
    let dynamic_batch = match fixed(&dims[0]) {
        None => true,
        Some(1) => false,
        Some(_) => return Err(ContractError::InputBatch { found: dim_str(&dims[0]) }),
    };

    let Some(output) = graph.output.iter().find(|o| o.name == OUTPUT_NAME) else {
        return Err(ContractError::OutputName { found: graph.output.iter().map(|o| o.name.clone()).collect() });
    };
    let mut declared_horizons = None;
    if let Some(tt) = tensor_type(output) {
        // elem_type 0: not declared; tract's typing checks it later.
        if tt.elem_type != FLOAT && tt.elem_type != 0 {
            return Err(ContractError::OutputDtype { found: dtype_name(tt.elem_type) });
        }
        if let Some(shape) = &tt.shape {
            let d = &shape.dim;
            if d.len() != 3 {
                return Err(ContractError::OutputShape { shape: shape_str(d) });
            }
            if let Some(c) = fixed(&d[2])
                && c != N_CLASSES as i64
            {
                return Err(ContractError::OutputClasses { found: c.to_string() });
            }
            declared_horizons = fixed(&d[1]).map(|h| h as usize);
        }
    }

    let metadata: Vec<(String, String)> =
        proto.metadata_props.iter().map(|p| (p.key.clone(), p.value.clone())).collect();
    let info = check_metadata(metadata, seq, dynamic_batch)?;
    Ok(Checked { info, declared_horizons })
}

fn meta_err(key: &'static str, reason: impl Into<String>) -> ContractError {
    ContractError::Metadata { key, reason: reason.into() }
}

fn check_metadata(
    metadata: Vec<(String, String)>,
    seq: usize,
    dynamic_batch: bool,
) -> Result<ModelInfo, ContractError> {
    let get = |k: &str| metadata.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string());
    if let Some(s) = get("flashmm.seq") {
        match s.parse::<usize>() {
            Ok(n) if n == seq => {}
            Ok(n) => return Err(meta_err("flashmm.seq", format!("says {n}, the input's sequence dimension is {seq}"))),
            Err(_) => return Err(meta_err("flashmm.seq", format!("`{s}` is not a number"))),
        }
    }
    let step_ns = match get("flashmm.step_ns") {
        None => DEFAULT_STEP_NS,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n > 0 => n,
            _ => return Err(meta_err("flashmm.step_ns", format!("`{s}` is not a positive number of ns"))),
        },
    };
    let horizons_ns = match get("flashmm.horizons_ns") {
        None => None,
        Some(s) => {
            let parsed: Result<Vec<i64>, _> = s.split(',').map(|x| x.trim().parse::<i64>()).collect();
            match parsed {
                Ok(v) if !v.is_empty() && v.iter().all(|&h| h > 0) => Some(v),
                _ => return Err(meta_err("flashmm.horizons_ns", format!("`{s}` is not a comma list of positive ns"))),
            }
        }
    };
    if let Some(c) = get("flashmm.classes") {
        let got: Vec<&str> = c.split(',').map(str::trim).collect();
        if got != ["down", "flat", "up"] {
            return Err(meta_err("flashmm.classes", format!("is `{c}`, the core's classes are `down,flat,up`")));
        }
    }
    if let Some(f) = get("flashmm.features") {
        let got: Vec<&str> = f.split(',').map(str::trim).collect();
        let core = feature_names();
        if let Some(i) = (0..got.len().min(N_FEATURES)).find(|&i| got[i] != core[i]) {
            return Err(meta_err(
                "flashmm.features",
                format!("feature {i} is `{}` in the model, `{}` in the core", got[i], core[i]),
            ));
        }
        if got.len() != N_FEATURES {
            return Err(meta_err("flashmm.features", format!("lists {} names, the core has {N_FEATURES}", got.len())));
        }
    }
    Ok(ModelInfo {
        arch: get("flashmm.arch"),
        seq,
        horizons: 0, // set once the output shape is known
        horizons_ns,
        step_ns,
        dynamic_batch,
        normalizer: get("flashmm.normalizer"),
        metadata,
    })
}

/// Checks the batch-1 output shape tract inferred (`dims`: None = symbolic) and completes
/// the info with the horizon count.
pub(crate) fn check_output_shape(
    info: &mut ModelInfo,
    dims: &[Option<usize>],
    shape: &str,
) -> Result<(), ContractError> {
    if dims.len() != 3 || dims[0] != Some(1) {
        return Err(ContractError::OutputShape { shape: shape.into() });
    }
    match dims[2] {
        Some(N_CLASSES) => {}
        _ => return Err(ContractError::OutputClasses { found: dims[2].map_or("?".into(), |c| c.to_string()) }),
    }
    let h = match dims[1] {
        Some(h) if h > 0 => h,
        _ => return Err(ContractError::OutputShape { shape: shape.into() }),
    };
    if h > MAX_HORIZONS {
        return Err(ContractError::TooManyHorizons { found: h });
    }
    if let Some(ns) = &info.horizons_ns
        && ns.len() != h
    {
        return Err(meta_err("flashmm.horizons_ns", format!("lists {} horizons, the output has {h}", ns.len())));
    }
    info.horizons = h;
    Ok(())
}
