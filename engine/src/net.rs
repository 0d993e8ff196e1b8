//! [`Int8Net`]: a loaded blob plus its working memory, run on one input at one σ.

#![forbid(unsafe_code)]

use core::ops::Range;

use super::fixed::quantize_multiplier;
use super::format::{self, MAX_SCALARS};
use super::conv::{ConvGeometry, ConvParams};
use super::kernels::{cast, reference, Kernels};
use super::model::{no_check, BlobError, Check, Layout, Model, Op};
use super::quant::Requant;
use super::arena::{ArenaPlanError, Plan};

/// Why the engine refused to load or to run.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// Not `#[non_exhaustive]`: the device core's message test (`error_messages`) matches
// every variant, so that a new one cannot go without a checked sentence.
pub enum EngineError {
    /// The blob was refused.
    Blob(BlobError),
    /// The network cannot run at this frame count.
    Plan(ArenaPlanError),
    /// The working memory is smaller than the plan needs.
    ArenaTooSmall { needed: usize, available: usize },
    /// A caller's buffer is shorter than `channels × frames`.
    BufferTooSmall { needed: usize, got: usize },
    /// σ must be positive and finite.
    BadSigma,
    /// A σ-dependent multiplier fell outside the fixed-point range.
    ScalarOutOfRange { op: usize },
}

impl From<BlobError> for EngineError {
    fn from(e: BlobError) -> Self {
        EngineError::Blob(e)
    }
}

impl From<ArenaPlanError> for EngineError {
    fn from(e: ArenaPlanError) -> Self {
        EngineError::Plan(e)
    }
}

impl core::fmt::Display for EngineError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            EngineError::Blob(e) => write!(f, "the model is refused: {e}"),
            EngineError::Plan(e) => write!(f, "the network cannot run at this length: {e}"),
            EngineError::ArenaTooSmall { needed, available } => {
                write!(f, "the working memory holds {available} bytes but the network needs {needed}")
            }
            EngineError::BufferTooSmall { needed, got } => write!(f, "a buffer holds {got} values but {needed} are needed"),
            EngineError::BadSigma => f.write_str("the noise level σ must be positive and finite"),
            EngineError::ScalarOutOfRange { op } => {
                write!(f, "at this noise level the σ-dependent multiplier of op {op} leaves the fixed-point range")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EngineError {}

/// The int8 network: a blob `B` (e.g. `&'static [u8]` from `include_bytes!`, or a
/// `Vec<u8>` on the host) and an arena `A` of working memory (e.g. a `static mut` array,
/// or a `Vec<u8>`). The [module documentation](super) shows both: loading a blob and
/// running one evaluation, and a board's static blob and arena.
pub struct Int8Net<B, A> {
    blob: B,
    layout: Layout,
    arena: A,
    plan: Option<Plan>,
    kernels: Kernels,
}

impl<B: AsRef<[u8]>, A: AsMut<[u8]>> Int8Net<B, A> {
    /// Loads `blob` and checks that `arena` is large enough for `max_frames` frames; runs
    /// with the fastest kernel set this CPU has ([`Kernels::detect`]).
    pub fn new(blob: B, arena: A, max_frames: usize) -> Result<Self, EngineError> {
        Self::with_kernels(blob, arena, max_frames, Kernels::detect())
    }

    /// [`Int8Net::new`] with the given kernel set (every set computes the same bits).
    pub fn with_kernels(blob: B, arena: A, max_frames: usize, kernels: Kernels) -> Result<Self, EngineError> {
        Self::checked(blob, arena, max_frames, kernels, no_check)
    }

    /// [`Int8Net::with_kernels`], the blob loaded with the caller's [`Check`]
    /// ([`Model::load_checked`]).
    pub fn checked(blob: B, arena: A, max_frames: usize, kernels: Kernels, check: Check) -> Result<Self, EngineError> {
        let layout = Model::load_checked(blob.as_ref(), check)?.layout();
        let mut net = Int8Net { blob, layout, arena, plan: None, kernels };
        net.prepare(max_frames)?;
        Ok(net)
    }

    /// The kernel set the network runs with.
    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    /// The validated model.
    pub fn model(&self) -> Model<'_> {
        Model::with_layout(&self.blob.as_ref()[..self.layout.header.total_len], self.layout)
    }

    /// Working memory needed for `frames` frames.
    pub fn arena_bytes(&self, frames: usize) -> Result<usize, ArenaPlanError> {
        Ok(Plan::new(&self.model(), frames)?.arena_bytes)
    }

    /// Plans for `frames` frames (done on demand by `score`).
    fn prepare(&mut self, frames: usize) -> Result<(), EngineError> {
        if self.plan.as_ref().is_some_and(|p| p.frames == frames) {
            return Ok(());
        }
        let plan = Plan::new(&self.model(), frames)?;
        let available = self.arena.as_mut().len();
        if plan.arena_bytes > available {
            return Err(EngineError::ArenaTooSmall { needed: plan.arena_bytes, available });
        }
        self.plan = Some(plan);
        Ok(())
    }

    /// Runs the network on one input: `x` (`voice_channels × frames`), `meta`
    /// (`meta_channels × frames`) channel-major, at noise level `sigma`; writes the last
    /// layer's `voice_channels × frames` values (channel counts from the blob's
    /// [`Header`](super::model::Header)).
    pub fn run(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), EngineError> {
        let (voice_channels, meta_channels) = (self.layout.header.voice_channels, self.layout.header.meta_channels);
        for (len, channels) in [(x.len(), voice_channels), (meta.len(), meta_channels), (score.len(), voice_channels)] {
            let needed = channels.checked_mul(frames).ok_or(EngineError::Plan(ArenaPlanError::Overflow))?;
            if len < needed {
                return Err(EngineError::BufferTooSmall { needed, got: len });
            }
        }
        if !(sigma > 0.0 && sigma.is_finite()) {
            return Err(EngineError::BadSigma);
        }
        self.prepare(frames)?;
        let plan = self.plan.as_ref().expect("planned above");
        let model = Model::with_layout(&self.blob.as_ref()[..self.layout.header.total_len], self.layout);
        let arena = self.arena.as_mut();
        let mut regs = [0f32; MAX_SCALARS + 1];
        model.eval_scalars(sigma, &mut regs);
        let kernels = self.kernels;
        for (index, op) in model.ops().enumerate() {
            execute(&model, plan, arena, &regs, index, op, x, meta, score, &kernels)?;
        }
        Ok(())
    }
}

/// Input `ins` and output `out` views of the arena. The planner never places an op's
/// output over a tensor the op reads; this checks it anyway.
fn views<const N: usize>(arena: &mut [u8], ins: [Range<usize>; N], out: Range<usize>) -> Result<([&[u8]; N], &mut [u8]), EngineError> {
    let bad = EngineError::Plan(ArenaPlanError::Overflow);
    if out.end > arena.len() || out.start > out.end {
        return Err(bad);
    }
    for r in &ins {
        if r.end > arena.len() || r.start > r.end || (r.start < out.end && out.start < r.end) {
            return Err(bad);
        }
    }
    // Every input lies wholly before or wholly after the output (checked above).
    let (before, rest) = arena.split_at_mut(out.start);
    let (out_view, after) = rest.split_at_mut(out.end - out.start);
    let (before, after): (&[u8], &[u8]) = (before, after);
    let ins = ins.map(|r| if r.end <= out.start { &before[r] } else { &after[r.start - out.end..r.end - out.end] });
    Ok((ins, out_view))
}

#[allow(clippy::too_many_arguments)]
fn execute(
    model: &Model<'_>,
    plan: &Plan,
    arena: &mut [u8],
    regs: &[f32; MAX_SCALARS + 1],
    index: usize,
    op: Op<'_>,
    x: &[f32],
    meta: &[f32],
    score: &mut [f32],
    kernels: &Kernels,
) -> Result<(), EngineError> {
    // Tensors first, convolution scratch after them (see `Plan`).
    let (arena, scratch) = arena.split_at_mut(plan.scratch_offset.min(arena.len()));
    let tensor = |t: usize| model.tensor(t);
    let range = |t: usize| plan.range(t, tensor(t).row_bytes());
    let elems = |t: usize| plan.len[t] as usize * tensor(t).channels;
    let frames = plan.frames;
    match op {
        Op::Quantize { input, scalar, output } => {
            let info = tensor(output);
            let factor = match scalar {
                Some(s) => regs[s] / info.scale,
                None => 1.0 / info.scale,
            };
            let src = if input == format::INPUT_VOICES { x } else { meta };
            let ([], out) = views(arena, [], range(output))?;
            kernels.quantize(src, info.channels, frames, factor, info.q(), out);
        }
        Op::Conv(c) => {
            let (ti, to) = (tensor(c.input), tensor(c.output));
            let g = ConvGeometry { cin: ti.channels, cout: to.channels, kernel: c.kernel, dilation: c.dilation, stride: c.stride, pad_begin: c.pad_begin };
            let ([xin], out) = views(arena, [range(c.input)], range(c.output))?;
            let (t_in, t_out) = (plan.len[c.input] as usize, plan.len[c.output] as usize);
            let cols = cast::as_i16_mut(scratch);
            if cols.len() < g.scratch_len() {
                return Err(EngineError::ArenaTooSmall { needed: plan.arena_bytes, available: plan.scratch_offset + scratch.len() });
            }
            let params = ConvParams { weights: c.weights, bias: c.bias, multipliers: c.multipliers, shifts: c.shifts };
            kernels.conv1d(&g, &params, ti.q(), xin, t_in, to.q(), c.relu, out, t_out, cols);
        }
        Op::Add(a) => {
            let ([qa, qb], out) = views(arena, [range(a.a), range(a.b)], range(a.output))?;
            let (ta, tb, to) = (tensor(a.a), tensor(a.b), tensor(a.output));
            kernels.add(ta.q(), qa, a.a_requant, tb.q(), qb, a.b_requant, a.left_shift, to.q(), a.out_requant, a.relu, out, elems(a.output));
        }
        Op::Concat { output, n, inputs } => {
            let to = tensor(output);
            let mut offset = 0;
            for i in 0..n {
                let ci = Op::concat_input(inputs, i);
                let ti = tensor(ci.input);
                let ([xin], out) = views(arena, [range(ci.input)], range(output))?;
                kernels.concat_part(ti.q(), xin, ti.channels, ci.requant, to.q(), out, to.channels, offset, plan.len[output] as usize);
                offset += ti.channels;
            }
        }
        Op::Rescale { input, output, requant, relu } => {
            let ([xin], out) = views(arena, [range(input)], range(output))?;
            kernels.rescale(tensor(input).q(), xin, requant, tensor(output).q(), relu, out, elems(output));
        }
        Op::MulChannel { input, output, relu, multipliers, shifts } => {
            let ([xin], out) = views(arena, [range(input)], range(output))?;
            let ti = tensor(input);
            reference::mul_channel(ti.q(), xin, ti.channels, multipliers, shifts, tensor(output).q(), relu, out, elems(output));
        }
        Op::MulScalar { input, output, scalar, relu } => {
            let (ti, to) = (tensor(input), tensor(output));
            let real = regs[scalar] as f64 * ti.scale as f64 / to.scale as f64;
            let (multiplier, shift) = quantize_multiplier(real).ok_or(EngineError::ScalarOutOfRange { op: index })?;
            let ([xin], out) = views(arena, [range(input)], range(output))?;
            reference::mul_scalar(ti.q(), xin, Requant { multiplier, shift }, to.q(), relu, out, elems(output));
        }
        Op::Resize { input, output, factor } => {
            let ([xin], out) = views(arena, [range(input)], range(output))?;
            reference::resize(xin, tensor(input).row_bytes(), factor, out);
        }
        Op::Output { input, scalar } => {
            let ti = tensor(input);
            let factor = match scalar {
                Some(s) => ti.scale * regs[s],
                None => ti.scale,
            };
            let ([xin], _) = views(arena, [range(input)], 0..0)?;
            kernels.dequantize(ti.q(), xin, ti.channels, frames, factor, score);
        }
    }
    Ok(())
}
