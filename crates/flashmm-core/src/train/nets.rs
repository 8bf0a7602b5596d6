//! The networks in candle: MLP, LSTM (here), transformer (`transformer.rs`). Every forward
//! maps normalised windows `[batch, seq, 64]` to logits `[batch, 3, 3]`.
//!
//! Parameters are initialised from our own seeded PCG stream (not candle's RNG, whose
//! seeding is device-global), and dropout masks come from a seeded stream too, so a run is
//! a function of data, config and seed.

use candle_core::{D, DType, Device, Tensor, Var};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use crate::features::{N_FEATURES, N_HORIZONS};

use super::config::{LstmConfig, MlpConfig};
use super::transformer::Transformer;

pub(crate) type CResult<T> = candle_core::Result<T>;

/// Outputs per window: 3 horizons × 3 classes.
pub(crate) const N_OUT: usize = N_HORIZONS * 3;

/// Creates named parameters in creation order (the optimiser and the exporter walk them).
pub(crate) struct ParamInit {
    rng: Pcg64,
    pub vars: Vec<Var>,
}

impl ParamInit {
    pub fn new(seed: u64) -> Self {
        Self { rng: Pcg64::seed_from_u64(seed), vars: Vec::new() }
    }

    /// U(−bound, bound), as PyTorch's default for linear and recurrent layers.
    pub fn uniform(&mut self, shape: &[usize], bound: f32) -> CResult<Var> {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|_| (self.rng.random::<f32>() * 2.0 - 1.0) * bound).collect();
        self.push(Tensor::from_vec(data, shape, &Device::Cpu)?)
    }

    pub fn constant(&mut self, shape: &[usize], v: f32) -> CResult<Var> {
        self.push(Tensor::full(v, shape, &Device::Cpu)?)
    }

    fn push(&mut self, t: Tensor) -> CResult<Var> {
        let v = Var::from_tensor(&t)?;
        self.vars.push(v.clone());
        Ok(v)
    }
}

/// Dropout masks from a seeded stream; `None` in evaluation.
pub(crate) struct Dropout {
    pub rng: Pcg64,
}

impl Dropout {
    /// Inverted dropout: zero with probability `p`, scale the rest by 1/(1−p).
    pub fn apply(&mut self, x: &Tensor, p: f32) -> CResult<Tensor> {
        if p <= 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 / (1.0 - p);
        let mask: Vec<f32> =
            (0..x.elem_count()).map(|_| if self.rng.random::<f32>() < p { 0.0 } else { keep }).collect();
        x.mul(&Tensor::from_vec(mask, x.shape(), x.device())?)
    }
}

/// `x · w + b`, `w` stored `[in, out]` (as ONNX MatMul takes it).
#[derive(Clone)]
pub(crate) struct Linear {
    pub w: Var,
    pub b: Var,
}

impl Linear {
    pub fn new(p: &mut ParamInit, n_in: usize, n_out: usize) -> CResult<Self> {
        let bound = 1.0 / (n_in as f32).sqrt();
        Ok(Self { w: p.uniform(&[n_in, n_out], bound)?, b: p.uniform(&[n_out], bound)? })
    }

    pub fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        x.broadcast_matmul(self.w.as_tensor())?.broadcast_add(self.b.as_tensor())
    }
}

/// Flattened window → hidden layers (ReLU, dropout in training) → 9 logits.
pub(crate) struct Mlp {
    pub seq: usize,
    pub layers: Vec<Linear>,
    pub dropout: f32,
}

impl Mlp {
    pub fn new(cfg: &MlpConfig, p: &mut ParamInit) -> CResult<Self> {
        let mut layers = Vec::new();
        let mut n_in = cfg.seq * N_FEATURES;
        for &h in &cfg.hidden {
            layers.push(Linear::new(p, n_in, h)?);
            n_in = h;
        }
        layers.push(Linear::new(p, n_in, N_OUT)?);
        Ok(Self { seq: cfg.seq, layers, dropout: cfg.dropout })
    }

    fn forward(&self, x: &Tensor, mut drop: Option<&mut Dropout>) -> CResult<Tensor> {
        let b = x.dim(0)?;
        let mut h = x.reshape((b, self.seq * N_FEATURES))?;
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(&h)?;
            if i + 1 < self.layers.len() {
                h = h.relu()?;
                if let Some(d) = drop.as_deref_mut() {
                    h = d.apply(&h, self.dropout)?;
                }
            }
        }
        h.reshape((b, N_HORIZONS, 3))
    }
}

/// Multinomial logistic regression on the last row (see [`super::logistic`]): one linear
/// map `[64, 9]` whose columns for `flat` are zero and whose rows outside the member's
/// feature set are zero. Fitted by Newton's method, not by the optimiser.
pub(crate) struct LogisticNet {
    pub linear: Linear,
}

impl LogisticNet {
    /// Zero weights; [`set`](Self::set) installs a fit.
    pub fn new(p: &mut ParamInit) -> CResult<Self> {
        Ok(Self { linear: Linear { w: p.constant(&[N_FEATURES, N_OUT], 0.0)?, b: p.constant(&[N_OUT], 0.0)? } })
    }

    /// Installs `fit`, whose inputs are the features `indices` (normalised) in order.
    pub fn set(&self, fit: &super::logistic::LogisticFit, indices: &[usize]) -> CResult<()> {
        let mut w = vec![0f32; N_FEATURES * N_OUT];
        let mut b = vec![0f32; N_OUT];
        for k in 0..N_HORIZONS {
            for c in 0..3 {
                b[k * 3 + c] = fit.intercept[k][c] as f32;
                for (j, &i) in indices.iter().enumerate() {
                    w[i * N_OUT + k * 3 + c] = fit.slopes[k][c][j] as f32;
                }
            }
        }
        self.linear.w.set(&Tensor::from_vec(w, (N_FEATURES, N_OUT), &Device::Cpu)?)?;
        self.linear.b.set(&Tensor::from_vec(b, N_OUT, &Device::Cpu)?)
    }

    fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        let (b, s, _) = x.dims3()?;
        let last = x.narrow(1, s - 1, 1)?.reshape((b, N_FEATURES))?;
        self.linear.forward(&last)?.reshape((b, N_HORIZONS, 3))
    }
}

/// One-layer LSTM, PyTorch gate order (i, f, g, o) in the fused weights; the last hidden
/// state → linear head. One bias per gate (ONNX's second bias is exported as zeros).
pub(crate) struct Lstm {
    pub seq: usize,
    pub hidden: usize,
    /// `[64, 4H]`, `[H, 4H]`, `[4H]`.
    pub w_ih: Var,
    pub w_hh: Var,
    pub bias: Var,
    pub head: Linear,
}

impl Lstm {
    pub fn new(cfg: &LstmConfig, p: &mut ParamInit) -> CResult<Self> {
        let h = cfg.hidden;
        let bound = 1.0 / (h as f32).sqrt();
        Ok(Self {
            seq: cfg.seq,
            hidden: h,
            w_ih: p.uniform(&[N_FEATURES, 4 * h], bound)?,
            w_hh: p.uniform(&[h, 4 * h], bound)?,
            bias: p.uniform(&[4 * h], bound)?,
            head: Linear::new(p, h, N_OUT)?,
        })
    }

    fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        let (b, s, _) = x.dims3()?;
        let hs = self.hidden;
        // Input projections for all steps at once: [b, s, 4H].
        let xw = x.broadcast_matmul(self.w_ih.as_tensor())?.broadcast_add(self.bias.as_tensor())?;
        let mut h = Tensor::zeros((b, hs), DType::F32, x.device())?;
        let mut c = h.clone();
        for t in 0..s {
            let g = xw.narrow(1, t, 1)?.squeeze(1)?.add(&h.matmul(self.w_hh.as_tensor())?)?;
            let i = candle_nn::ops::sigmoid(&g.narrow(D::Minus1, 0, hs)?)?;
            let f = candle_nn::ops::sigmoid(&g.narrow(D::Minus1, hs, hs)?)?;
            let gg = g.narrow(D::Minus1, 2 * hs, hs)?.tanh()?;
            let o = candle_nn::ops::sigmoid(&g.narrow(D::Minus1, 3 * hs, hs)?)?;
            c = f.mul(&c)?.add(&i.mul(&gg)?)?;
            h = o.mul(&c.tanh()?)?;
        }
        self.head.forward(&h)?.reshape((b, N_HORIZONS, 3))
    }
}

/// One trainable network.
pub(crate) enum Net {
    Mlp(Mlp),
    Lstm(Lstm),
    Transformer(Transformer),
    Logistic(LogisticNet),
}

impl Net {
    pub fn seq(&self) -> usize {
        match self {
            Net::Mlp(m) => m.seq,
            Net::Lstm(m) => m.seq,
            Net::Transformer(m) => m.cfg.seq,
            Net::Logistic(_) => 1,
        }
    }

    /// Logits `[b, 3, 3]` of normalised windows `[b, seq, 64]`; dropout only with `drop`.
    pub fn forward(&self, x: &Tensor, drop: Option<&mut Dropout>) -> CResult<Tensor> {
        match self {
            Net::Mlp(m) => m.forward(x, drop),
            Net::Lstm(m) => m.forward(x),
            Net::Transformer(m) => m.forward(x, drop),
            Net::Logistic(m) => m.forward(x),
        }
    }
}

/// One network and the features it reads (others are zeroed after normalisation).
pub(crate) struct Member {
    pub net: Net,
    pub mask: [bool; N_FEATURES],
}

impl Member {
    /// `x` with the features outside the mask zeroed (a no-op for all features).
    pub fn masked(&self, x: &Tensor) -> CResult<Tensor> {
        if self.mask.iter().all(|&m| m) {
            return Ok(x.clone());
        }
        let m: Vec<f32> = self.mask.iter().map(|&on| f32::from(u8::from(on))).collect();
        x.broadcast_mul(&Tensor::from_vec(m, N_FEATURES, x.device())?)
    }

    pub fn forward(&self, x: &Tensor, drop: Option<&mut Dropout>) -> CResult<Tensor> {
        self.net.forward(&self.masked(x)?, drop)
    }
}

/// A trained model: one network, or an ensemble's members.
pub(crate) struct Nets {
    /// Window length of the model's input (the longest member's).
    pub seq: usize,
    /// How an ensemble combines its members; `None` for a single network.
    pub combine: Option<super::config::Combine>,
    pub members: Vec<Member>,
}

impl Nets {
    /// Logits `[b, 3, 3]` of normalised windows `[b, seq, 64]` (evaluation mode). An
    /// ensemble returns `log(mean_i softmax(member_i))` per horizon; each member sees the
    /// last `member.seq()` rows.
    pub fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        let Some(combine) = self.combine else {
            return self.members[0].forward(x, None);
        };
        let mut probs = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let s = m.net.seq();
            let xm = x.narrow(1, self.seq - s, s)?.contiguous()?;
            probs.push(candle_nn::ops::softmax(&m.forward(&xm, None)?, D::Minus1)?);
        }
        let p = match combine {
            super::config::Combine::Mean => (Tensor::stack(&probs, 0)?.sum(0)? * (1.0 / probs.len() as f64))?,
            super::config::Combine::MoveDirection => {
                let (a, b) = (&probs[0], &probs[1]);
                let flat = a.narrow(D::Minus1, 1, 1)?;
                let (down, up) = (b.narrow(D::Minus1, 0, 1)?, b.narrow(D::Minus1, 2, 1)?);
                let moved = flat.affine(-1.0, 1.0)?.div(&(&down + &up)?)?;
                Tensor::cat(&[(&down * &moved)?, flat, (&up * &moved)?], D::Minus1)?
            }
        };
        p.log()
    }
}
