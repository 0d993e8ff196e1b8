//! The WebAssembly SIMD128 kernel set: convolutions with `i32x4.dot_i16x8_s`, which
//! multiplies four pairs of int16 and adds each pair, what the pair-interleaved weights
//! are laid out for. Each 16-byte group of a block's weights (one pair of taps for its
//! [`CO_BLOCK`] outputs) widens into two vectors of four outputs' pairs; the pair of taps
//! of a frame is broadcast and multiplied with both, four frames at a time (eight
//! accumulators, a vector of weights and one of taps: what a 16-register machine keeps
//! without spilling). Sums, rescales and the f32 edges are the portable set's.
//!
//! A WebAssembly module either has SIMD128 or does not validate, so the set is there
//! whenever the build enables `simd128`. Off WebAssembly (the host's tests) the same code
//! runs on a plain-Rust model of the five instructions it uses.

use super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::format::CO_BLOCK;
use super::super::quant::Q;
use super::{reference, Kernels};

/// Proof that this module runs SIMD128 (only [`Simd128::detect`] makes one).
#[derive(Clone, Copy, Debug)]
pub struct Simd128 {
    _detected: (),
}

impl Simd128 {
    /// SIMD128: always, in a build that enables it (and, for the tests, on the model).
    pub fn detect() -> Option<Simd128> {
        Some(Simd128 { _detected: () })
    }

    /// The SIMD128 kernel set.
    pub fn kernels(self) -> Kernels {
        Kernels {
            name: "wasm SIMD128",
            conv1d,
            add: reference::add,
            rescale: reference::rescale,
            quantize: reference::quantize,
            dequantize: reference::dequantize,
        }
    }
}

/// The instructions, on WebAssembly.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    pub type Acc = v128;
    pub type Pairs = v128;

    /// Four zero sums.
    #[inline(always)]
    pub fn zero() -> Acc {
        i32x4_splat(0)
    }

    /// One group of 16 weights as two vectors of four outputs' pairs, widened to int16.
    ///
    /// # Safety
    /// `w` must point to 16 readable bytes (v128.load needs no alignment).
    #[inline(always)]
    pub unsafe fn weights(w: *const i8) -> (Pairs, Pairs) {
        let v = v128_load(w.cast());
        (i16x8_extend_low_i8x16(v), i16x8_extend_high_i8x16(v))
    }

    /// A pair of taps broadcast to every lane.
    ///
    /// # Safety
    /// `c` must point to two readable int16 (the load needs no alignment).
    #[inline(always)]
    pub unsafe fn taps(c: *const i16) -> Pairs {
        v128_load32_splat(c.cast())
    }

    /// acc + (w · c, pair by pair).
    #[inline(always)]
    pub fn dot_add(acc: Acc, w: Pairs, c: Pairs) -> Acc {
        i32x4_add(acc, i32x4_dot_i16x8(w, c))
    }

    #[inline(always)]
    pub fn lanes(v: Acc) -> [i32; 4] {
        [i32x4_extract_lane::<0>(v), i32x4_extract_lane::<1>(v), i32x4_extract_lane::<2>(v), i32x4_extract_lane::<3>(v)]
    }
}

/// A plain-Rust model of the instructions, for the host's tests.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    pub type Acc = [i32; 4];
    pub type Pairs = [i16; 8];

    pub fn zero() -> Acc {
        [0; 4]
    }

    /// # Safety
    /// As on WebAssembly: 16 readable bytes.
    pub unsafe fn weights(w: *const i8) -> (Pairs, Pairs) {
        let w = core::slice::from_raw_parts(w, 16);
        (core::array::from_fn(|i| w[i] as i16), core::array::from_fn(|i| w[8 + i] as i16))
    }

    /// # Safety
    /// As on WebAssembly: two readable int16.
    pub unsafe fn taps(c: *const i16) -> Pairs {
        let c = core::slice::from_raw_parts(c, 2);
        core::array::from_fn(|i| c[i % 2])
    }

    /// `i32x4.dot_i16x8_s` then `i32x4.add` (both wrap).
    pub fn dot_add(acc: Acc, w: Pairs, c: Pairs) -> Acc {
        core::array::from_fn(|j| {
            let dot = (w[2 * j] as i32 * c[2 * j] as i32).wrapping_add(w[2 * j + 1] as i32 * c[2 * j + 1] as i32);
            acc[j].wrapping_add(dot)
        })
    }

    pub fn lanes(v: Acc) -> [i32; 4] {
        v
    }
}

/// Frames a pass of [`block`] multiplies at once.
const ROWS: usize = 4;

/// [`reference::block`]: the accumulators of one block of outputs for the frames of the
/// tile (`rows` of them hold data; the rest stay zero, as the reference's zero rows give).
fn block(w: &[i8], cols: &[i16], taps: usize, rows: usize, acc: &mut BlockAcc) {
    *acc = [[0; CO_BLOCK]; TILE_T];
    let pairs = w.len() / (2 * CO_BLOCK);
    // Every load below stays inside these bounds, checked once here.
    assert!(w.len() == pairs * 2 * CO_BLOCK && 2 * pairs <= taps && rows <= TILE_T && cols.len() >= rows * taps);
    for r0 in (0..rows).step_by(ROWS) {
        let mut lo = [lanes::zero(); ROWS];
        let mut hi = [lanes::zero(); ROWS];
        let n = ROWS.min(rows - r0);
        let rows_at: [*const i16; ROWS] = core::array::from_fn(|r| cols[(r0 + r.min(n - 1)) * taps..].as_ptr());
        for p in 0..pairs {
            // SAFETY: group p is w[16p..16p + 16] and tap pair p of each row is
            // cols[row + 2p..row + 2p + 2], inside the slices by the assertion above.
            let (w_lo, w_hi) = unsafe { lanes::weights(w.as_ptr().add(2 * CO_BLOCK * p)) };
            for r in 0..ROWS {
                // SAFETY: as above.
                let c = unsafe { lanes::taps(rows_at[r].add(2 * p)) };
                lo[r] = lanes::dot_add(lo[r], w_lo, c);
                hi[r] = lanes::dot_add(hi[r], w_hi, c);
            }
        }
        // Rows past the tile's frames (a partial pass repeats its last row) are not kept.
        for r in 0..n {
            acc[r0 + r][..4].copy_from_slice(&lanes::lanes(lo[r]));
            acc[r0 + r][4..].copy_from_slice(&lanes::lanes(hi[r]));
        }
    }
}

/// [`reference::conv1d`] with the multiply-accumulate of [`block`].
#[allow(clippy::too_many_arguments)]
fn conv1d(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
    reference::conv1d_with(p, w, xq, x, t_in, yq, relu, y, t_out, cols, block);
}
