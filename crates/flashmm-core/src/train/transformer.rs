//! Transformer encoder in candle (see [`TransformerConfig`] for the design). Uses only
//! differentiable composite ops (candle's fused softmax / layer-norm kernels have no
//! backward pass).

use candle_core::{D, Tensor, Var};

use crate::features::{N_FEATURES, N_HORIZONS};

use super::config::TransformerConfig;
use super::nets::{CResult, Dropout, Linear, N_OUT, ParamInit};

/// LayerNorm over the last axis: `(x − mean)/√(var + eps) · gamma + beta`, as ONNX
/// `LayerNormalization`.
pub(crate) struct LayerNorm {
    pub gamma: Var,
    pub beta: Var,
}

impl LayerNorm {
    fn new(p: &mut ParamInit, d: usize) -> CResult<Self> {
        Ok(Self { gamma: p.constant(&[d], 1.0)?, beta: p.constant(&[d], 0.0)? })
    }

    pub fn forward(&self, x: &Tensor, eps: f32) -> CResult<Tensor> {
        candle_nn::ops::layer_norm_slow(x, self.gamma.as_tensor(), self.beta.as_tensor(), eps)
    }
}

/// One pre-norm block.
pub(crate) struct Block {
    pub ln1: LayerNorm,
    pub q: Linear,
    pub k: Linear,
    pub v: Linear,
    pub o: Linear,
    pub ln2: LayerNorm,
    pub ff1: Linear,
    pub ff2: Linear,
}

pub(crate) struct Transformer {
    pub cfg: TransformerConfig,
    pub input: Linear,
    /// Learned positions `[seq, d_model]`.
    pub pos: Var,
    pub blocks: Vec<Block>,
    pub ln_f: LayerNorm,
    pub head: Linear,
}

impl Transformer {
    pub fn new(cfg: &TransformerConfig, p: &mut ParamInit) -> CResult<Self> {
        let d = cfg.d_model;
        let input = Linear::new(p, N_FEATURES, d)?;
        // Small positions: about the scale of the projected inputs' noise.
        let pos = p.uniform(&[cfg.seq, d], 0.02)?;
        let mut blocks = Vec::with_capacity(cfg.layers);
        for _ in 0..cfg.layers {
            blocks.push(Block {
                ln1: LayerNorm::new(p, d)?,
                q: Linear::new(p, d, d)?,
                k: Linear::new(p, d, d)?,
                v: Linear::new(p, d, d)?,
                o: Linear::new(p, d, d)?,
                ln2: LayerNorm::new(p, d)?,
                ff1: Linear::new(p, d, cfg.ff)?,
                ff2: Linear::new(p, cfg.ff, d)?,
            });
        }
        let ln_f = LayerNorm::new(p, d)?;
        let head = Linear::new(p, d, N_OUT)?;
        Ok(Self { cfg: cfg.clone(), input, pos, blocks, ln_f, head })
    }

    /// `x [b, s, d]` → heads `[b, h, s, dh]`.
    fn split_heads(&self, x: &Tensor) -> CResult<Tensor> {
        let (b, s, d) = x.dims3()?;
        let h = self.cfg.heads;
        x.reshape((b, s, h, d / h))?.transpose(1, 2)?.contiguous()
    }

    fn attention(&self, blk: &Block, x: &Tensor) -> CResult<Tensor> {
        let (b, s, d) = x.dims3()?;
        let scale = 1.0 / ((d / self.cfg.heads) as f64).sqrt();
        let q = self.split_heads(&blk.q.forward(x)?)?;
        let k = self.split_heads(&blk.k.forward(x)?)?;
        let v = self.split_heads(&blk.v.forward(x)?)?;
        let scores = (q.matmul(&k.transpose(2, 3)?.contiguous()?)? * scale)?;
        let att = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let y = att.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b, s, d))?;
        blk.o.forward(&y)
    }

    pub fn forward(&self, x: &Tensor, mut drop: Option<&mut Dropout>) -> CResult<Tensor> {
        let (b, s, _) = x.dims3()?;
        let p = self.cfg.dropout;
        let eps = self.cfg.ln_eps;
        let dr = |t: Tensor, drop: &mut Option<&mut Dropout>| match drop {
            Some(d) => d.apply(&t, p),
            None => Ok(t),
        };
        let h = self.input.forward(x)?.broadcast_add(self.pos.as_tensor())?;
        let mut h = dr(h, &mut drop)?;
        for blk in &self.blocks {
            let a = self.attention(blk, &blk.ln1.forward(&h, eps)?)?;
            h = h.add(&dr(a, &mut drop)?)?;
            let f = blk.ff2.forward(&blk.ff1.forward(&blk.ln2.forward(&h, eps)?)?.relu()?)?;
            h = h.add(&dr(f, &mut drop)?)?;
        }
        let last = self.ln_f.forward(&h, eps)?.narrow(1, s - 1, 1)?.squeeze(1)?;
        self.head.forward(&last)?.reshape((b, N_HORIZONS, 3))
    }
}
