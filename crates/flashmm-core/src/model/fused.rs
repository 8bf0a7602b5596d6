//! One-node kernels for three standard ONNX operators that tract expands into many small
//! nodes, each paying tract's fixed cost per node (an output allocation, dispatch, shape
//! bookkeeping: about a microsecond at batch 1, more than the arithmetic):
//!
//! * `LSTM`: tract runs a scan whose body is ~30 nodes per time step. Here: the input
//!   projection of every step is one matrix product (tract's, fused with the biases), then
//!   one node runs the recurrence (`h·R` with FMA when the CPU has it, tract-linalg's
//!   vectorised sigmoid and tanh).
//! * `LayerNormalization` over the last axis: nine nodes with generic reducers in tract;
//!   here one pass per row.
//! * `Softmax` over the last axis: tract walks rows through ndarray views; here one pass
//!   per contiguous row.
//!
//! Each computes the ONNX definition for the cases it accepts (listed at each parser) and
//! leaves every other case to tract's own implementation. `tests/model_fused.rs` checks
//! each against tract's expansion on the same inputs.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::kernels;

/// Installs the fused parsers in `reg` (a `tract_onnx::onnx()` register).
pub(crate) fn register(reg: &mut OnnxOpRegister) {
    reg.insert("LSTM", lstm);
    reg.insert("LayerNormalization", layer_norm);
    reg.insert("Softmax", softmax);
}

type Parsed = TractResult<(Box<dyn InferenceOp>, Vec<String>)>;

/// tract's own parser of `op` (for the cases the fused kernels leave to it).
fn tract_parser(op: &str, ctx: &ParsingContext, node: &NodeProto) -> Parsed {
    let builder =
        *tract_onnx::onnx().op_register.0.get(op).ok_or_else(|| format_err!("tract has no parser for {op}"))?;
    builder(ctx, node)
}

fn is_initializer(ctx: &ParsingContext, name: &str) -> bool {
    ctx.model.graph.as_ref().is_some_and(|g| g.initializer.iter().any(|t| t.name == name))
}

// ---------------------------------------------------------------------------------------
// Softmax

/// Opset ≥ 13 (softmax over one axis); the last axis of an f32 tensor runs fused.
fn softmax(ctx: &ParsingContext, node: &NodeProto) -> Parsed {
    if ctx.onnx_operator_set_version < 13 {
        return tract_parser("Softmax", ctx, node);
    }
    let axis: isize = node.get_attr_opt("axis")?.unwrap_or(-1);
    Ok((expand(SoftmaxExpansion { axis }), vec![]))
}

#[derive(Debug, Clone, Hash)]
struct SoftmaxExpansion {
    axis: isize,
}

impl Expansion for SoftmaxExpansion {
    fn name(&self) -> StaticName {
        "FusedSoftmax".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(&self, prefix: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let fact = model.outlet_fact(inputs[0])?.clone();
        let last = fact.rank() as isize - 1;
        if fact.datum_type == f32::datum_type() && (self.axis == -1 || self.axis == last) {
            model.wire_node(prefix, LastAxisSoftmax, inputs)
        } else {
            tract_onnx::tract_hir::ops::nn::Softmax::new(self.axis).wire(prefix, model, inputs)
        }
    }
}

/// Softmax over the last axis of an f32 tensor.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub(crate) struct LastAxisSoftmax;

impl Op for LastAxisSoftmax {
    fn name(&self) -> StaticName {
        "LastAxisSoftmax".into()
    }
    op_as_typed_op!();
}

impl EvalOp for LastAxisSoftmax {
    fn is_stateless(&self) -> bool {
        true
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let mut t = args_1!(inputs).into_tensor();
        let d = *t.shape().last().context("softmax of a scalar")?;
        if d > 0 {
            t.as_slice_mut::<f32>()?.chunks_exact_mut(d).for_each(kernels::softmax_row);
        }
        Ok(tvec!(t.into_tvalue()))
    }
}

impl TypedOp for LastAxisSoftmax {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(inputs[0].without_value()))
    }
    as_op!();
}

// ---------------------------------------------------------------------------------------
// LayerNormalization

/// Fused: `axis` −1, f32 statistics (`stash_type` 1), one output (no mean / inverse std
/// outputs), scale and bias of one value or one per element of the last axis.
fn layer_norm(ctx: &ParsingContext, node: &NodeProto) -> Parsed {
    let axis: isize = node.get_attr_opt("axis")?.unwrap_or(-1);
    let stash: i64 = node.get_attr_opt("stash_type")?.unwrap_or(1);
    let outputs = node.output.iter().filter(|o| !o.is_empty()).count();
    if axis != -1 || stash != 1 || outputs != 1 {
        return tract_parser("LayerNormalization", ctx, node);
    }
    let epsilon: f32 = node.get_attr_opt("epsilon")?.unwrap_or(1e-5);
    let bias = node.input.get(2).is_some_and(|b| !b.is_empty());
    Ok((expand(LayerNormExpansion { epsilon, bias }), vec![]))
}

#[derive(Debug, Clone)]
struct LayerNormExpansion {
    epsilon: f32,
    bias: bool,
}

impl Expansion for LayerNormExpansion {
    fn name(&self) -> StaticName {
        "FusedLayerNorm".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2 + usize::from(self.bias))?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(&self, prefix: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, LastAxisLayerNorm { epsilon: self.epsilon.to_bits() }, inputs)
    }
}

/// `(x − mean)/√(var + ε) · scale + bias` over the last axis, statistics in f32.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub(crate) struct LastAxisLayerNorm {
    /// ε as bits (ops are hashed).
    epsilon: u32,
}

impl Op for LastAxisLayerNorm {
    fn name(&self) -> StaticName {
        "LastAxisLayerNorm".into()
    }
    op_as_typed_op!();
}

/// A scale or bias: one value for every element, or one per element of a row of `d`.
fn per_element(t: &Tensor, d: usize, what: &str) -> TractResult<Vec<f32>> {
    let v = t.cast_to::<f32>()?.as_slice::<f32>()?.to_vec();
    match v.len() {
        1 => Ok(vec![v[0]; d]),
        n if n == d => Ok(v),
        n => bail!("LayerNormalization {what} has {n} values, the normalised axis {d}"),
    }
}

impl EvalOp for LastAxisLayerNorm {
    fn is_stateless(&self) -> bool {
        true
    }

    fn eval(&self, mut inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        // Taken, not cloned: normalised in place when no other node reads it.
        let mut x = inputs.remove(0).into_tensor();
        let d = *x.shape().last().context("layer norm of a scalar")?;
        if d == 0 {
            return Ok(tvec!(x.into_tvalue()));
        }
        let scale = per_element(&inputs[0], d, "scale")?;
        let bias = match inputs.get(1) {
            Some(b) => per_element(b, d, "bias")?,
            None => vec![0.0; d],
        };
        let eps = f32::from_bits(self.epsilon);
        let mut out = vec![0f32; d];
        for row in x.as_slice_mut::<f32>()?.chunks_exact_mut(d) {
            kernels::layer_norm_row(row, &scale, &bias, eps, &mut out);
            row.copy_from_slice(&out);
        }
        Ok(tvec!(x.into_tvalue()))
    }
}

impl TypedOp for LastAxisLayerNorm {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs[0].datum_type == f32::datum_type(), "fused LayerNormalization runs on f32");
        Ok(tvec!(inputs[0].without_value()))
    }
    as_op!();
}

// ---------------------------------------------------------------------------------------
// LSTM

/// Fused: forward direction, the default activations (sigmoid, tanh, tanh), no clip, no
/// coupled input-forget gate, time-major layout, no `sequence_lens`, no peepholes, and `W`,
/// `R` (and `B`) given as initializers. Optional `initial_h` / `initial_c` inputs and any of
/// the three outputs.
fn lstm(ctx: &ParsingContext, node: &NodeProto) -> Parsed {
    let input = |i: usize| node.input.get(i).map(String::as_str).filter(|s| !s.is_empty());
    let direction: Option<String> = node.get_attr_opt("direction")?;
    let activations: Option<Vec<String>> = node.get_attr_opt_vec("activations")?;
    let default_activations =
        activations.as_ref().is_none_or(|a| a.iter().map(|s| s.to_ascii_lowercase()).eq(["sigmoid", "tanh", "tanh"]));
    let plain = direction.as_deref().is_none_or(|d| d == "forward")
        && default_activations
        && node.get_attr_opt::<f32>("clip")?.is_none()
        && node.get_attr_opt::<i64>("input_forget")?.unwrap_or(0) == 0
        && node.get_attr_opt::<i64>("layout")?.unwrap_or(0) == 0
        && input(4).is_none()
        && input(7).is_none()
        && [1, 2].iter().all(|&i| input(i).is_some_and(|n| is_initializer(ctx, n)))
        && input(3).is_none_or(|n| is_initializer(ctx, n));
    let Some(hidden) = node.get_attr_opt::<i64>("hidden_size")?.filter(|&h| h > 0 && plain) else {
        return tract_onnx::ops::rec::lstm::lstm(ctx, node);
    };
    let output = |i: usize| node.output.get(i).is_some_and(|s| !s.is_empty());
    Ok((
        expand(LstmExpansion {
            hidden: hidden as usize,
            bias: input(3).is_some(),
            initial_h: input(5).is_some(),
            initial_c: input(6).is_some(),
            outputs: [output(0), output(1), output(2)],
        }),
        vec![],
    ))
}

#[derive(Debug, Clone, Hash)]
struct LstmExpansion {
    hidden: usize,
    bias: bool,
    initial_h: bool,
    initial_c: bool,
    /// Which of `Y`, `Y_h`, `Y_c` the node names.
    outputs: [bool; 3],
}

impl LstmExpansion {
    /// Slot of each ONNX input among the op's (empty optional inputs are not passed).
    fn slots(&self) -> (Option<usize>, Option<usize>, Option<usize>) {
        let mut next = 3;
        let mut take = |present: bool| {
            present.then(|| {
                next += 1;
                next - 1
            })
        };
        (take(self.bias), take(self.initial_h), take(self.initial_c))
    }
}

impl Expansion for LstmExpansion {
    fn name(&self) -> StaticName {
        "FusedLSTM".into()
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(self.outputs.iter().filter(|&&o| o).count())
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        let n_in = 3 + [self.bias, self.initial_h, self.initial_c].iter().filter(|&&b| b).count();
        check_input_arity(inputs, n_in)?;
        check_output_arity(outputs, self.nboutputs()?)?;
        s.equals(&inputs[0].rank, 3)?;
        s.equals(&inputs[0].datum_type, f32::datum_type())?;
        let h = self.hidden.to_dim();
        let mut slot = 0;
        for (k, &present) in self.outputs.iter().enumerate() {
            if !present {
                continue;
            }
            let o = &outputs[slot];
            slot += 1;
            s.equals(&o.datum_type, f32::datum_type())?;
            if k == 0 {
                // Y: [seq, directions, batch, hidden].
                s.equals(&o.rank, 4)?;
                s.equals(&o.shape[0], &inputs[0].shape[0])?;
                s.equals(&o.shape[1], 1.to_dim())?;
                s.equals(&o.shape[2], &inputs[0].shape[1])?;
                s.equals(&o.shape[3], h.clone())?;
            } else {
                // Y_h, Y_c: [directions, batch, hidden].
                s.equals(&o.rank, 3)?;
                s.equals(&o.shape[0], 1.to_dim())?;
                s.equals(&o.shape[1], &inputs[0].shape[1])?;
                s.equals(&o.shape[2], h.clone())?;
            }
        }
        Ok(())
    }

    fn wire(&self, prefix: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let h = self.hidden;
        let konst = |model: &TypedModel, o: OutletId, what: &str| -> TractResult<Arc<Tensor>> {
            model.outlet_fact(o)?.konst.clone().with_context(|| format!("LSTM {what} is not a constant"))
        };
        let w = konst(model, inputs[1], "W")?; // [1, 4H, I], gates i, o, f, c
        let r = konst(model, inputs[2], "R")?; // [1, 4H, H]
        let n_in = *w.shape().get(2).context("LSTM W must be [1, 4·hidden, input]")?;
        ensure!(w.shape() == [1, 4 * h, n_in], "LSTM W is {:?}, expected [1, {}, {n_in}]", w.shape(), 4 * h);
        ensure!(r.shape() == [1, 4 * h, h], "LSTM R is {:?}, expected [1, {}, {h}]", r.shape(), 4 * h);
        let (b_slot, h0_slot, c0_slot) = self.slots();
        // Bias of the projection: Wb + Rb (both add to every step's gates).
        let mut bias = vec![0f32; 4 * h];
        if let Some(b) = b_slot {
            let b = konst(model, inputs[b], "B")?;
            ensure!(b.shape() == [1, 8 * h], "LSTM B is {:?}, expected [1, {}]", b.shape(), 8 * h);
            let b = b.as_slice::<f32>()?;
            bias.iter_mut().enumerate().for_each(|(j, v)| *v = b[j] + b[4 * h + j]);
        }
        // X [S, B, I] · Wᵀ [I, 4H] + bias: one product for every step (tract fuses the add).
        let w = w.as_slice::<f32>()?;
        let wt: Vec<f32> = (0..n_in).flat_map(|i| (0..4 * h).map(move |g| w[g * n_in + i])).collect();
        let wt = model.add_const(format!("{prefix}.wt"), tensor1(&wt).into_shape(&[n_in, 4 * h])?)?;
        let einsum = tract_onnx::tract_core::ops::einsum::EinSum::new("sbi,ig->sbg".parse()?, f32::datum_type());
        let xw = model.wire_node(format!("{prefix}.xw"), einsum, &[inputs[0], wt])?[0];
        let bias = model.add_const(format!("{prefix}.bias"), tensor1(&bias).into_shape(&[1, 1, 4 * h])?)?;
        let xw =
            model.wire_node(format!("{prefix}.xw_bias"), tract_onnx::tract_core::ops::math::add(), &[xw, bias])?[0];
        // R as [H, 4H]: row k holds h_k's contribution to every gate (an axpy per k).
        let r = r.as_slice::<f32>()?;
        let rt: Vec<f32> = (0..h).flat_map(|k| (0..4 * h).map(move |g| r[g * h + k])).collect();
        let op = LstmRecurrence {
            hidden: h,
            r: Arc::new(tensor1(&rt)),
            initial_h: h0_slot.is_some(),
            initial_c: c0_slot.is_some(),
        };
        let mut op_inputs = tvec![xw];
        op_inputs.extend(h0_slot.map(|s| inputs[s]));
        op_inputs.extend(c0_slot.map(|s| inputs[s]));
        let outs = model.wire_node(prefix, op, &op_inputs)?;
        Ok(self.outputs.iter().zip(outs).filter(|(present, _)| **present).map(|(_, o)| o).collect())
    }
}

/// The LSTM recurrence on projected inputs `xw [S, B, 4H]` (gates i, o, f, c, biases
/// included), optional `h0`, `c0` `[1, B, H]`: outputs `Y [S, 1, B, H]`, `Y_h`, `Y_c`
/// `[1, B, H]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LstmRecurrence {
    hidden: usize,
    /// `[H · 4H]`, row-major `[k][gate]`.
    r: Arc<Tensor>,
    initial_h: bool,
    initial_c: bool,
}

impl std::hash::Hash for LstmRecurrence {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.hidden.hash(state);
        self.initial_h.hash(state);
        self.initial_c.hash(state);
        self.r.as_slice::<f32>().unwrap_or_default().iter().for_each(|v| v.to_bits().hash(state));
    }
}

impl Op for LstmRecurrence {
    fn name(&self) -> StaticName {
        "LstmRecurrence".into()
    }
    op_as_typed_op!();
}

impl EvalOp for LstmRecurrence {
    fn is_stateless(&self) -> bool {
        true
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let h = self.hidden;
        let xw = inputs[0].as_slice::<f32>()?;
        let (steps, batch) = (inputs[0].shape()[0], inputs[0].shape()[1]);
        let state = |slot: Option<usize>| -> TractResult<Option<&[f32]>> {
            slot.map(|s| {
                let t = &inputs[s];
                ensure!(
                    t.shape() == [1, batch, h],
                    "LSTM initial state is {:?}, expected [1, {batch}, {h}]",
                    t.shape()
                );
                t.as_slice::<f32>()
            })
            .transpose()
        };
        let h0 = state(self.initial_h.then_some(1))?;
        let c0 = state(self.initial_c.then_some(1 + usize::from(self.initial_h)))?;
        let r = self.r.as_slice::<f32>()?;
        let act = kernels::LstmActivations::new();
        let mut y = Tensor::zero::<f32>(&[steps, 1, batch, h])?;
        let mut yh = Tensor::zero::<f32>(&[1, batch, h])?;
        let mut yc = Tensor::zero::<f32>(&[1, batch, h])?;
        let (ys, hs, cs) = (y.as_slice_mut::<f32>()?, yh.as_slice_mut::<f32>()?, yc.as_slice_mut::<f32>()?);
        if let Some(h0) = h0 {
            hs.copy_from_slice(h0);
        }
        if let Some(c0) = c0 {
            cs.copy_from_slice(c0);
        }
        let mut g = vec![0f32; 4 * h];
        let mut tc = vec![0f32; h];
        for b in 0..batch {
            let (hb, cb) = (&mut hs[b * h..(b + 1) * h], &mut cs[b * h..(b + 1) * h]);
            let y_at = |t: usize| (t * batch + b) * h;
            let store = |t: usize, ht: &[f32]| ys[y_at(t)..y_at(t) + h].copy_from_slice(ht);
            kernels::lstm_sequence(&act, &xw[b * 4 * h..], batch * 4 * h, steps, r, hb, cb, &mut g, &mut tc, store)?;
        }
        Ok(tvec!(y.into_tvalue(), yh.into_tvalue(), yc.into_tvalue()))
    }
}

impl TypedOp for LstmRecurrence {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let x = inputs[0];
        ensure!(
            x.rank() == 3 && x.datum_type == f32::datum_type(),
            "LSTM projection must be f32 [seq, batch, 4·hidden]"
        );
        let (s, b, h) = (x.shape[0].clone(), x.shape[1].clone(), self.hidden.to_dim());
        Ok(tvec!(
            f32::fact([s, 1.to_dim(), b.clone(), h.clone()]),
            f32::fact([1.to_dim(), b.clone(), h.clone()]),
            f32::fact([1.to_dim(), b, h]),
        ))
    }
    as_op!();
}
