//! The quantised network in memory: what `kantor quantize` builds, what [`super::blob`]
//! serialises into a `.kq8` file, and what [`super::reference`] runs.

pub use kantor_engine::quant::Elem;
pub use kantor_core::engine::ScalarOp;
use kantor_engine::quant::Requant;
use kantor_core::NoiseSchedule;

/// One activation tensor (time-major on the device): real = scale · (q − zero_point),
/// q int8 (asymmetric) or int16 (symmetric, zero point 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QTensor {
    pub channels: usize,
    pub scale: f32,
    pub zero_point: i32,
    pub elem: Elem,
}

impl QTensor {
    /// The smallest and largest code.
    pub fn code_range(&self) -> (i32, i32) {
        (self.elem.min(), self.elem.max())
    }
}

/// Which f32 graph input a [`QOp::Quantize`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphInput {
    Voices,
    Meta,
}

/// One integer op. Tensor fields are indices into [`QGraph::tensors`].
#[derive(Clone, Debug, PartialEq)]
pub enum QOp {
    /// q = clamp(round(v · s / scale) + zp), s = the scalar register (or 1).
    Quantize { input: GraphInput, scalar: Option<u8>, output: usize },
    /// 1-D convolution; `weights` are `[out][k][in]`, per-channel `requant`.
    Conv {
        input: usize,
        output: usize,
        kernel: usize,
        dilation: usize,
        stride: usize,
        pad_begin: usize,
        pad_end: usize,
        relu: bool,
        weights: Vec<i8>,
        bias: Vec<i32>,
        requant: Vec<Requant>,
    },
    /// out = a + b, TFLite's rescaling.
    Add { a: usize, b: usize, output: usize, left_shift: i32, relu: bool, a_rq: Requant, b_rq: Requant, out_rq: Requant },
    /// Channel concatenation; `None` = the input already has the output's scale.
    Concat { inputs: Vec<(usize, Option<Requant>)>, output: usize },
    /// Requantise with clamp (`None` = same scale).
    Rescale { input: usize, output: usize, requant: Option<Requant>, relu: bool },
    /// Multiply each channel by a constant (negative multiplier negates).
    MulChannel { input: usize, output: usize, relu: bool, requant: Vec<Requant> },
    /// Multiply by a σ-derived scalar register.
    MulScalar { input: usize, output: usize, scalar: u8, relu: bool },
    /// Nearest-neighbour upsampling in time.
    Resize { input: usize, output: usize, factor: usize },
    /// y = (q − zp) · scale · s.
    Output { input: usize, scalar: Option<u8> },
}

impl QOp {
    /// Multiply-accumulates of this op for `frames` output frames (convolutions only).
    pub fn macs(&self, tensors: &[QTensor], out_frames: usize) -> u64 {
        match self {
            QOp::Conv { input, output, kernel, .. } => (tensors[*input].channels * tensors[*output].channels * kernel * out_frames) as u64,
            _ => 0,
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            QOp::Quantize { .. } => "quantize",
            QOp::Conv { .. } => "conv",
            QOp::Add { .. } => "add",
            QOp::Concat { .. } => "concat",
            QOp::Rescale { .. } => "rescale",
            QOp::MulChannel { .. } => "mul-channel",
            QOp::MulScalar { .. } => "mul-scalar",
            QOp::Resize { .. } => "resize",
            QOp::Output { .. } => "output",
        }
    }
}

/// A whole quantised network.
#[derive(Clone, Debug, PartialEq)]
pub struct QGraph {
    pub tensors: Vec<QTensor>,
    pub scalars: Vec<ScalarOp>,
    pub ops: Vec<QOp>,
    /// The `kantor.*` metadata of the ONNX model, copied verbatim.
    pub props: Vec<(String, String)>,
    pub schedule: NoiseSchedule,
}

impl QGraph {
    /// What the output channels hold (the model's `kantor.head`; the score if it has none).
    pub fn head(&self) -> anyhow::Result<kantor_core::Head> {
        crate::onnx::metadata::head_from_props(&self.props)
    }

    /// Evaluates the σ program in f32, exactly as the engine does.
    pub fn eval_scalars(&self, sigma: f32) -> Vec<f32> {
        eval_scalars(&self.scalars, sigma)
    }

    /// Total multiply-accumulates of one evaluation at `frames` frames, assuming every
    /// convolution keeps the frame count (true for stride 1 with "same" padding).
    pub fn macs_per_frame(&self) -> u64 {
        self.ops.iter().map(|op| op.macs(&self.tensors, 1)).sum()
    }

    /// Bytes of weights, biases and multipliers.
    pub fn parameter_bytes(&self) -> usize {
        self.ops
            .iter()
            .map(|op| match op {
                QOp::Conv { weights, bias, requant, .. } => weights.len() + 4 * bias.len() + 8 * requant.len(),
                QOp::MulChannel { requant, .. } => 8 * requant.len(),
                _ => 0,
            })
            .sum()
    }
}

/// Evaluates a σ program in f32 with [`ScalarOp::apply`], as the engine does: register 0
/// is σ, instruction i writes register i + 1.
pub fn eval_scalars(program: &[ScalarOp], sigma: f32) -> Vec<f32> {
    let mut r = vec![sigma];
    for op in program {
        let v = op.apply(&r);
        r.push(v);
    }
    r
}
