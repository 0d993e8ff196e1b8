//! The shape of a 1-D convolution and how its parameters are laid out for the kernels:
//! what the planner sizes and every kernel set computes.

#![forbid(unsafe_code)]

use super::bytes::i32_at;
use super::format::CO_BLOCK;

/// Output frames computed together by the convolution kernels (rows of their scratch).
pub const TILE_T: usize = 8;

/// Accumulators of one block of [`CO_BLOCK`] outputs over the [`TILE_T`] frames of a tile.
pub type BlockAcc = [[i32; CO_BLOCK]; TILE_T];

/// Shape of a 1-D convolution.
#[derive(Clone, Copy, Debug)]
pub struct ConvGeometry {
    pub cin: usize,
    pub cout: usize,
    pub kernel: usize,
    pub dilation: usize,
    pub stride: usize,
    pub pad_begin: usize,
}

impl ConvGeometry {
    /// Output frames for `t_in` input frames and `pad_end` padding after (None if the
    /// kernel does not fit).
    pub fn out_len(&self, t_in: usize, pad_end: usize) -> Option<usize> {
        let span = self.dilation.checked_mul(self.kernel.checked_sub(1)?)?.checked_add(1)?;
        let padded = t_in.checked_add(self.pad_begin)?.checked_add(pad_end)?;
        if padded < span {
            return None;
        }
        Some((padded - span) / self.stride + 1)
    }

    /// Weights per output channel (kernel × inputs), rounded up to even.
    pub fn taps_padded(&self) -> usize {
        (self.kernel * self.cin).div_ceil(2) * 2
    }

    /// i16 scratch the kernels need (one row of taps per frame of a tile).
    pub fn scratch_len(&self) -> usize {
        TILE_T * self.taps_padded()
    }

    /// The input frame that tap `k` of output frame `t` reads, or `None` in the padding.
    #[inline(always)]
    pub fn source_frame(&self, t: usize, k: usize, t_in: usize) -> Option<usize> {
        let ti = (t * self.stride + k * self.dilation).wrapping_sub(self.pad_begin);
        (ti < t_in).then_some(ti)
    }
}

/// A convolution's parameters: packed weights (see [`super::format::packed_weight_index`])
/// and little-endian i32 bias, multiplier and shift per output channel.
#[derive(Clone, Copy, Debug)]
pub struct ConvParams<'a> {
    pub weights: &'a [i8],
    pub bias: &'a [u8],
    pub multipliers: &'a [u8],
    pub shifts: &'a [u8],
}

impl ConvParams<'_> {
    /// Bias, multiplier and shift of output channel `co`.
    #[inline(always)]
    pub fn channel(&self, co: usize) -> (i32, i32, i32) {
        (i32_at(self.bias, 4 * co), i32_at(self.multipliers, 4 * co), i32_at(self.shifts, 4 * co))
    }
}
