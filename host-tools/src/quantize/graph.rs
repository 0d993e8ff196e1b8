//! The float network as the quantiser sees it: tensor ops over `channels × frames` values,
//! the σ-only arithmetic as a scalar program, and a plain f32 interpreter used for
//! calibration (one chorale at a time, channel-major).

use matrixmultiply::sgemm;

use super::qgraph::{GraphInput, ScalarOp};

/// One value of the float graph.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A `channels × frames` activation.
    Tensor { channels: usize },
    /// A σ-derived scalar in register `reg` of the scalar program.
    Scalar { reg: u8 },
    /// A constant (shape, data).
    Const { dims: Vec<usize>, data: Vec<f32> },
}

/// A tensor op of the float graph; fields are value indices.
#[derive(Clone, Debug, PartialEq)]
pub enum FOp {
    Input(GraphInput),
    /// Weights `[out][in][k]` (ONNX order).
    Conv { input: usize, weight: Vec<f32>, bias: Vec<f32>, cin: usize, cout: usize, kernel: usize, dilation: usize, stride: usize, pad_begin: usize, pad_end: usize },
    Relu { input: usize },
    Add { a: usize, b: usize },
    Concat { inputs: Vec<usize> },
    /// Multiply each channel by a constant.
    MulChannel { input: usize, factors: Vec<f32> },
    /// Multiply by a scalar register.
    MulScalar { input: usize, reg: u8 },
    /// Nearest-neighbour upsampling in time by an integer factor.
    Resize { input: usize, factor: usize },
}

impl FOp {
    /// Values this op reads.
    pub fn inputs(&self) -> Vec<usize> {
        match self {
            FOp::Input(_) => vec![],
            FOp::Conv { input, .. } | FOp::Relu { input } | FOp::MulChannel { input, .. } | FOp::MulScalar { input, .. } | FOp::Resize { input, .. } => vec![*input],
            FOp::Add { a, b } => vec![*a, *b],
            FOp::Concat { inputs } => inputs.clone(),
        }
    }
}

/// A tensor op with the ONNX node it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct FNode {
    pub op: FOp,
    pub output: usize,
    /// ONNX node name (or the graph input's name) and index, for messages.
    pub name: String,
    pub index: usize,
}

/// The float network.
#[derive(Clone, Debug, PartialEq)]
pub struct FGraph {
    pub values: Vec<Value>,
    /// Tensor ops in execution order.
    pub nodes: Vec<FNode>,
    /// The σ program (register 0 = σ).
    pub scalars: Vec<ScalarOp>,
    /// The score.
    pub output: usize,
    /// `kantor.*` metadata.
    pub props: Vec<(String, String)>,
}

impl FGraph {
    /// What the output holds (the model's `kantor.head`; the score if it has none).
    pub fn head(&self) -> anyhow::Result<kantor_core::Head> {
        crate::onnx::metadata::head_from_props(&self.props)
    }

    /// Channels of tensor value `v`.
    pub fn channels(&self, v: usize) -> usize {
        match self.values[v] {
            Value::Tensor { channels } => channels,
            _ => 0,
        }
    }

    /// The node producing value `v`.
    pub fn producer(&self, v: usize) -> Option<&FNode> {
        self.nodes.iter().find(|n| n.output == v)
    }

    /// How many ops read value `v` (the graph output counts once).
    pub fn uses(&self, v: usize) -> usize {
        self.nodes.iter().map(|n| n.op.inputs().iter().filter(|&&i| i == v).count()).sum::<usize>() + (v == self.output) as usize
    }

    /// Evaluates the σ program in f32 (same arithmetic as the engine).
    pub fn eval_scalars(&self, sigma: f32) -> Vec<f32> {
        super::qgraph::eval_scalars(&self.scalars, sigma)
    }

    /// Multiply-accumulates per output frame (convolutions).
    pub fn macs_per_frame(&self) -> u64 {
        self.nodes
            .iter()
            .map(|n| match &n.op {
                FOp::Conv { cin, cout, kernel, stride, .. } => (cin * cout * kernel / stride) as u64,
                _ => 0,
            })
            .sum()
    }

    /// Runs the float network on one chorale; returns every value (tensors channel-major,
    /// empty for scalars and constants).
    pub fn run(&self, x: &[f32], meta: &[f32], frames: usize, sigma: f32) -> Vec<Vec<f32>> {
        self.run_with(x, meta, frames, sigma, |_, _| {})
    }

    /// [`FGraph::run`], letting `hook` change each tensor value right after it is computed
    /// (e.g. to simulate the rounding of one tensor to int8).
    pub fn run_with(&self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, mut hook: impl FnMut(usize, &mut [f32])) -> Vec<Vec<f32>> {
        let regs = self.eval_scalars(sigma);
        let mut vals: Vec<Vec<f32>> = vec![Vec::new(); self.values.len()];
        let mut lens = vec![0usize; self.values.len()];
        for node in &self.nodes {
            let (v, len) = match &node.op {
                FOp::Input(GraphInput::Voices) => (x.to_vec(), frames),
                FOp::Input(GraphInput::Meta) => (meta.to_vec(), frames),
                FOp::Conv { input, weight, bias, cin, cout, kernel, dilation, stride, pad_begin, pad_end } => {
                    let t_in = lens[*input];
                    let t_out = (t_in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride + 1;
                    conv(&vals[*input], t_in, weight, bias, *cin, *cout, *kernel, *dilation, *stride, *pad_begin, t_out)
                }
                FOp::Relu { input } => (vals[*input].iter().map(|v| v.max(0.0)).collect(), lens[*input]),
                FOp::Add { a, b } => (vals[*a].iter().zip(&vals[*b]).map(|(p, q)| p + q).collect(), lens[*a]),
                FOp::Concat { inputs } => (inputs.iter().flat_map(|i| vals[*i].iter().copied()).collect(), lens[inputs[0]]),
                FOp::MulChannel { input, factors } => {
                    let t = lens[*input];
                    (vals[*input].iter().enumerate().map(|(i, v)| v * factors[i / t]).collect(), t)
                }
                FOp::MulScalar { input, reg } => (vals[*input].iter().map(|v| v * regs[*reg as usize]).collect(), lens[*input]),
                FOp::Resize { input, factor } => {
                    let t = lens[*input];
                    let src = &vals[*input];
                    let c = src.len() / t.max(1);
                    let mut out = vec![0f32; c * t * factor];
                    for ch in 0..c {
                        for s in 0..t * factor {
                            out[ch * t * factor + s] = src[ch * t + s / factor];
                        }
                    }
                    (out, t * factor)
                }
            };
            let mut v = v;
            hook(node.output, &mut v);
            vals[node.output] = v;
            lens[node.output] = len;
        }
        vals
    }
}

/// 1-D convolution by im2col and one sgemm: `x` is `cin × t_in`, result `cout × t_out`.
#[allow(clippy::too_many_arguments)]
fn conv(x: &[f32], t_in: usize, w: &[f32], b: &[f32], cin: usize, cout: usize, k: usize, d: usize, s: usize, pad: usize, t_out: usize) -> (Vec<f32>, usize) {
    let rows = cin * k;
    let mut cols = vec![0f32; rows * t_out];
    for ci in 0..cin {
        for kk in 0..k {
            let row = &mut cols[(ci * k + kk) * t_out..(ci * k + kk + 1) * t_out];
            for (t, r) in row.iter_mut().enumerate() {
                let p = (t * s + kk * d) as isize - pad as isize;
                if p >= 0 && (p as usize) < t_in {
                    *r = x[ci * t_in + p as usize];
                }
            }
        }
    }
    let mut out = vec![0f32; cout * t_out];
    for co in 0..cout {
        out[co * t_out..(co + 1) * t_out].fill(b[co]);
    }
    // SAFETY: the strides describe the row-major buffers just allocated.
    unsafe {
        sgemm(cout, rows, t_out, 1.0, w.as_ptr(), rows as isize, 1, cols.as_ptr(), t_out as isize, 1, 1.0, out.as_mut_ptr(), t_out as isize, 1);
    }
    (out, t_out)
}
