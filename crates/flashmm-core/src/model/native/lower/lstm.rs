//! `LSTM` at batch 1: the cases the fused tract op takes (forward, default activations, no
//! clip, no coupled gate, time-major, no `sequence_lens`, no peepholes, constant weights).

use tract_onnx::pb::NodeProto;

use super::{Builder, Lowered, attr};
use crate::model::native::shape::numel;
use crate::model::native::{Lstm, Opd, Step};

impl Builder {
    pub(super) fn lstm(&mut self, n: &NodeProto) -> Lowered {
        let given = |i: usize| n.input.get(i).is_some_and(|s| !s.is_empty());
        let direction: String = attr(n, "direction", "forward".to_string())?;
        let activations = n.get_attr_opt_vec::<String>("activations").map_err(|e| format!("{e}"))?;
        let default_act =
            activations.is_none_or(|a| a.iter().map(|s| s.to_ascii_lowercase()).eq(["sigmoid", "tanh", "tanh"]));
        let clip = n.get_attr_opt::<f32>("clip").map_err(|e| format!("{e}"))?;
        if direction != "forward"
            || !default_act
            || clip.is_some()
            || attr(n, "input_forget", 0i64)? != 0
            || attr(n, "layout", 0i64)? != 0
            || given(4)
            || given(7)
        {
            return Err("only a plain forward LSTM".into());
        }
        let h = usize::try_from(attr(n, "hidden_size", 0i64)?).ok().filter(|&h| h > 0).ok_or("hidden_size")?;
        let (x, sx) = self.f32_in(n, 0)?;
        let [steps, 1, input] = sx[..] else { return Err(format!("X is {sx:?}, expected [seq, 1, input]")) };
        let (w, sw) = self.const_in(n, 1)?;
        let (r, sr) = self.const_in(n, 2)?;
        if sw != [1, 4 * h, input] || sr != [1, 4 * h, h] {
            return Err(format!("W {sw:?} or R {sr:?} for hidden {h}, input {input}"));
        }
        let mut bias = vec![0f32; 4 * h];
        if given(3) {
            let (b, sb) = self.const_in(n, 3)?;
            if sb != [1, 8 * h] {
                return Err(format!("B is {sb:?}"));
            }
            bias.iter_mut().enumerate().for_each(|(j, v)| *v = b[j] + b[4 * h + j]);
        }
        let state = |b: &Self, i: usize| -> Lowered<Option<Opd>> {
            if !given(i) {
                return Ok(None);
            }
            let (o, s) = b.f32_in(n, i)?;
            if numel(&s) != h {
                return Err(format!("initial state {s:?}"));
            }
            Ok(Some(o))
        };
        let (h0, c0) = (state(self, 5)?, state(self, 6)?);
        // Wᵀ [input][4H] and R as [H][4H]: row k holds one input's contribution to every gate.
        let wt = (0..input).flat_map(|i| (0..4 * h).map(move |g| (i, g))).map(|(i, g)| w[g * input + i]).collect();
        let rt = (0..h).flat_map(|k| (0..4 * h).map(move |g| (k, g))).map(|(k, g)| r[g * h + k]).collect();
        let (wt, rt, bias) = (self.konst(wt), self.konst(rt), self.konst(bias));
        let out = |i: usize| n.output.get(i).filter(|s| !s.is_empty()).cloned();
        let y = out(0).map(|_| self.buf(steps * h));
        let (yh, yc) = (self.buf(h), self.buf(h));
        let (xw, gates, tc) = (self.buf(steps * 4 * h), self.buf(4 * h), self.buf(h));
        let l = Lstm { x, wt, rt, bias, h0, c0, steps, input, hidden: h, y, yh, yc, xw, gates, tc };
        self.steps.push(Step::Lstm(Box::new(l)));
        for (name, buf, shape) in
            [(out(0), y, vec![steps, 1, 1, h]), (out(1), Some(yh), vec![1, 1, h]), (out(2), Some(yc), vec![1, 1, h])]
        {
            if let (Some(name), Some(buf)) = (name, buf) {
                self.vals.insert(name, super::Val::F32 { opd: Opd::Buf(buf), shape });
            }
        }
        Ok(())
    }
}
