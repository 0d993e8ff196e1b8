//! Arena planning: how long each tensor is for a given frame count, when it is alive, and
//! where it sits in the working memory. Tensors whose lifetimes do not overlap share bytes
//! (greedy placement, largest first, as TFLite Micro's planner), so a chain of layers
//! ping-pongs between two buffers and only skip connections cost extra. A small scratch for
//! the convolution kernel (a few frames of taps as i16) follows the tensors.

#![forbid(unsafe_code)]

use super::format::MAX_TENSORS;
use super::conv::ConvGeometry;
use super::model::{Model, Op};

/// Why a network cannot run at a frame count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// Not `#[non_exhaustive]`: the device core's message test (`error_messages`) matches
// every variant, so that a new one cannot go without a checked sentence.
pub enum ArenaPlanError {
    /// A convolution's kernel is wider than its (padded) input.
    TooShort { op: usize },
    /// An add or concat of tensors of different lengths, or an output that is not as long
    /// as the input.
    LengthMismatch { op: usize },
    /// Sizes overflow the address space.
    Overflow,
}

impl core::fmt::Display for ArenaPlanError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            ArenaPlanError::TooShort { op } => write!(f, "the convolution of op {op} is wider than its input: give more frames"),
            ArenaPlanError::LengthMismatch { op } => write!(f, "op {op} combines tensors of different lengths at this frame count"),
            ArenaPlanError::Overflow => f.write_str("the working memory for this frame count overflows the address space"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ArenaPlanError {}

/// Lengths and arena offsets of every tensor for one frame count.
#[derive(Clone, Debug)]
pub struct Plan {
    pub frames: usize,
    /// Frames of each tensor.
    pub len: [u32; MAX_TENSORS],
    /// Byte offset of each tensor in the arena.
    pub offset: [u32; MAX_TENSORS],
    /// Where the convolution scratch starts (after every tensor).
    pub scratch_offset: usize,
    /// i16 elements of convolution scratch.
    pub scratch_len: usize,
    /// Bytes the arena needs: tensors, then the scratch (with one byte of slack to align
    /// it to 2 whatever the arena's own alignment).
    pub arena_bytes: usize,
}

impl Plan {
    /// Plans `model` for `frames` frames.
    pub fn new(model: &Model<'_>, frames: usize) -> Result<Plan, ArenaPlanError> {
        let n = model.header().tensors;
        let mut len = [0u32; MAX_TENSORS];
        let mut first = [usize::MAX; MAX_TENSORS];
        let mut scratch_len = 0usize;
        let mut last = [0usize; MAX_TENSORS];
        for (i, op) in model.ops().enumerate() {
            let l = |t: usize| len[t] as usize;
            let out_len = match op {
                Op::Quantize { .. } => frames,
                Op::Conv(c) => {
                    let g = ConvGeometry {
                        cin: model.tensor(c.input).channels,
                        cout: model.tensor(c.output).channels,
                        kernel: c.kernel,
                        dilation: c.dilation,
                        stride: c.stride,
                        pad_begin: c.pad_begin,
                    };
                    scratch_len = scratch_len.max(g.scratch_len());
                    g.out_len(l(c.input), c.pad_end).ok_or(ArenaPlanError::TooShort { op: i })?
                }
                Op::Add(a) => {
                    if l(a.a) != l(a.b) {
                        return Err(ArenaPlanError::LengthMismatch { op: i });
                    }
                    l(a.a)
                }
                Op::Concat { n, inputs, .. } => {
                    let l0 = l(Op::concat_input(inputs, 0).input);
                    if (1..n).any(|k| l(Op::concat_input(inputs, k).input) != l0) {
                        return Err(ArenaPlanError::LengthMismatch { op: i });
                    }
                    l0
                }
                Op::Rescale { input, .. } | Op::MulChannel { input, .. } | Op::MulScalar { input, .. } => l(input),
                Op::Resize { input, factor, .. } => l(input).checked_mul(factor).ok_or(ArenaPlanError::Overflow)?,
                Op::Output { input, .. } => {
                    if l(input) != frames {
                        return Err(ArenaPlanError::LengthMismatch { op: i });
                    }
                    0
                }
            };
            op.for_each_input(|t| last[t] = i);
            if let Some(o) = op.output() {
                len[o] = u32::try_from(out_len).map_err(|_| ArenaPlanError::Overflow)?;
                first[o] = i;
                last[o] = i;
            }
        }
        let size = |t: usize| -> Result<usize, ArenaPlanError> {
            (len[t] as usize).checked_mul(model.tensor(t).row_bytes()).map(|b| (b + 3) & !3).ok_or(ArenaPlanError::Overflow)
        };
        // Place tensors largest first, each at the lowest offset clear of every placed
        // tensor alive at the same time.
        let mut order = [0u8; MAX_TENSORS];
        let mut placed = 0usize;
        let mut offset = [0u32; MAX_TENSORS];
        let mut arena = 0usize;
        // Tensors never computed take no memory.
        for (t, _) in first.iter().enumerate().take(n).filter(|(_, f)| **f != usize::MAX) {
            order[placed] = t as u8;
            placed += 1;
        }
        let order = &mut order[..placed];
        // Insertion sort by size, descending (ties: earlier tensor first) — at most 128.
        let mut sizes = [0usize; MAX_TENSORS];
        for t in 0..n {
            if first[t] != usize::MAX {
                sizes[t] = size(t)?;
            }
        }
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && sizes[order[j - 1] as usize] < sizes[order[j] as usize] {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        for i in 0..order.len() {
            let t = order[i] as usize;
            let mut at = 0usize;
            // Try candidate offsets in increasing order: 0 and the end of each conflicting tensor.
            loop {
                let mut moved = false;
                for &u in &order[..i] {
                    let u = u as usize;
                    let overlap_time = first[u] <= last[t] && first[t] <= last[u];
                    let (us, ue) = (offset[u] as usize, offset[u] as usize + sizes[u]);
                    if overlap_time && at < ue && us < at + sizes[t] {
                        at = ue;
                        moved = true;
                    }
                }
                if !moved {
                    break;
                }
            }
            offset[t] = u32::try_from(at).map_err(|_| ArenaPlanError::Overflow)?;
            arena = arena.max(at.checked_add(sizes[t]).ok_or(ArenaPlanError::Overflow)?);
        }
        let scratch_offset = arena.checked_add(3).ok_or(ArenaPlanError::Overflow)? & !3;
        let arena_bytes = scratch_len.checked_mul(2).and_then(|b| b.checked_add(scratch_offset + 1)).ok_or(ArenaPlanError::Overflow)?;
        Ok(Plan { frames, len, offset, scratch_offset, scratch_len, arena_bytes })
    }

    /// Multiply-accumulates of every convolution of `model` at this plan's frame count
    /// (`model` must be the one planned).
    pub fn conv_macs(&self, model: &Model<'_>) -> u64 {
        model
            .ops()
            .map(|op| match op {
                Op::Conv(c) => self.len[c.output] as u64 * (model.tensor(c.output).channels * c.kernel * model.tensor(c.input).channels) as u64,
                _ => 0,
            })
            .sum()
    }

    /// Byte range of tensor `t` (`row_bytes` per frame) in the arena.
    pub fn range(&self, t: usize, row_bytes: usize) -> core::ops::Range<usize> {
        let start = self.offset[t] as usize;
        start..start + self.len[t] as usize * row_bytes
    }
}
