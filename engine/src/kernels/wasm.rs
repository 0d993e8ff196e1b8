//! The WebAssembly SIMD128 kernel set: convolutions with `i32x4.dot_i16x8_s`, which
//! multiplies four pairs of int16 and adds each pair, what the pair-interleaved weights
//! are laid out for. Each 16-byte group of a block's weights (one pair of taps for its
//! [`CO_BLOCK`] outputs) widens into two vectors of four outputs' pairs; the pair of taps
//! of a frame is broadcast and multiplied with both, four frames at a time (eight
//! accumulators, a vector of weights and one of taps: what a 16-register machine keeps
//! without spilling). Sums of int16 tensors (TFLite's 16x8 scheme) run four lanes at a
//! time, each scale as one 64-bit product, nudge and shift and a rounding right shift;
//! rescales and the f32 edges are the portable set's.
//!
//! A WebAssembly module either has SIMD128 or does not validate, so the set is there
//! whenever the build enables `simd128`. Off WebAssembly (the host's tests) the
//! convolution runs on a plain-Rust model of the five instructions it uses; the sums run
//! only on WebAssembly, where the module checks every set against the portable one
//! (`kantor_check_kernels`, in CI under Node.js and in Chromium).

use super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::format::CO_BLOCK;
use super::super::quant::{Elem, Requant, Q};
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
            add,
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
        // SAFETY: the caller keeps this function's contract (its `# Safety`).
        unsafe {
            let v = v128_load(w.cast());
            (i16x8_extend_low_i8x16(v), i16x8_extend_high_i8x16(v))
        }
    }

    /// A pair of taps broadcast to every lane.
    ///
    /// # Safety
    /// `c` must point to two readable int16 (the load needs no alignment).
    #[inline(always)]
    pub unsafe fn taps(c: *const i16) -> Pairs {
        // SAFETY: the caller keeps this function's contract (its `# Safety`).
        unsafe { v128_load32_splat(c.cast()) }
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
        // SAFETY: the caller keeps this function's contract (its `# Safety`).
        unsafe {
            let w = core::slice::from_raw_parts(w, 16);
            (core::array::from_fn(|i| w[i] as i16), core::array::from_fn(|i| w[8 + i] as i16))
        }
    }

    /// # Safety
    /// As on WebAssembly: two readable int16.
    pub unsafe fn taps(c: *const i16) -> Pairs {
        // SAFETY: the caller keeps this function's contract (its `# Safety`).
        unsafe {
            let c = core::slice::from_raw_parts(c, 2);
            core::array::from_fn(|i| c[i % 2])
        }
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
    reference::conv1d_with(p, w, xq, x, t_in, yq, relu, y, t_out, cols, block, requantize_block);
}

/// [`reference::requantize_block`], four frames of a channel at a time on WebAssembly.
#[allow(clippy::too_many_arguments)]
fn requantize_block(p: &ConvGeometry, w: &ConvParams<'_>, acc: &BlockAcc, co0: usize, t0: usize, t_out: usize, yq: Q, lo: i32, hi: i32, y: &mut [u8]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    sums::requantize_block(p, w, acc, co0, t0, t_out, yq, lo, hi, y);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    reference::requantize_block(p, w, acc, co0, t0, t_out, yq, lo, hi, y);
}

/// [`reference::add`]: int16 inputs and output without zero points four lanes at a time,
/// everything else (and the tail) as the portable set does it.
#[allow(clippy::too_many_arguments)]
fn add(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize) {
    let int16 = |q: Q| q.elem == Elem::I16 && q.zp == 0;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if int16(aq) && int16(bq) && int16(oq) && (0..=16).contains(&left_shift) {
        if let (Some(sa), Some(sb), Some(so)) = (sums::Scale::new(a_rq), sums::Scale::new(b_rq), sums::Scale::new(out_rq)) {
            let done = sums::add16(a, sa, b, sb, left_shift as u32, so, oq.clamp(relu), out, n);
            reference::add(aq, &a[2 * done..], a_rq, bq, &b[2 * done..], b_rq, left_shift, oq, out_rq, relu, &mut out[2 * done..], n - done);
            return;
        }
    }
    let _ = int16;
    reference::add(aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, relu, out, n)
}

/// The sums on WebAssembly.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod sums {
    use core::arch::wasm32::*;

    use super::super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
    use super::super::super::fixed::requantize;
    use super::super::super::format::CO_BLOCK;
    use super::super::super::quant::{store, Q};
    use super::Requant;

    /// [`super::reference::requantize_block`]: for each channel, its frames four at a
    /// time through one [`Scale`] (a channel whose scale has no such form element by
    /// element, as the reference does).
    #[allow(clippy::too_many_arguments)]
    pub fn requantize_block(p: &ConvGeometry, w: &ConvParams<'_>, acc: &BlockAcc, co0: usize, t0: usize, t_out: usize, yq: Q, lo: i32, hi: i32, y: &mut [u8]) {
        let n = CO_BLOCK.min(p.cout - co0);
        let rows = (t_out - t0).min(TILE_T);
        let (vlo, vhi, zp) = (i32x4_splat(lo), i32x4_splat(hi), i32x4_splat(yq.zp));
        for j in 0..n {
            let (bias, m, s) = w.channel(co0 + j);
            let at = |r: usize| (t0 + r) * p.cout + co0 + j;
            let Some(scale) = Scale::new(Requant { multiplier: m, shift: s }) else {
                for (r, a) in acc.iter().enumerate().take(rows) {
                    store(y, at(r), yq.elem, requantize(a[j].wrapping_add(bias), m, s, yq.zp, lo, hi));
                }
                continue;
            };
            let bias = i32x4_splat(bias);
            for r0 in (0..rows).step_by(4) {
                let v = i32x4(acc[r0][j], acc[r0 + 1][j], acc[r0 + 2][j], acc[r0 + 3][j]);
                let q = i32x4_min(i32x4_max(i32x4_add(scale.apply(i32x4_add(v, bias)), zp), vlo), vhi);
                let q = [i32x4_extract_lane::<0>(q), i32x4_extract_lane::<1>(q), i32x4_extract_lane::<2>(q), i32x4_extract_lane::<3>(q)];
                for (r, &value) in q.iter().enumerate().take(rows - r0) {
                    store(y, at(r0 + r), yq.elem, value);
                }
            }
        }
    }

    /// `x · multiplier · 2^(shift − 31)` rounded as the reference's
    /// `multiply_by_quantized_multiplier`: the doubling high product with gemmlowp's
    /// nudge is ⌊(a·b + 2³⁰) / 2³¹⌋ for either sign (the truncation towards zero of
    /// (a·b + 1 − 2³⁰) / 2³¹ for a·b < 0 is the same floor), then the rounding right shift
    /// with ties away from zero.
    #[derive(Clone, Copy)]
    pub struct Scale {
        multiplier: v128,
        left: u32,
        right: u32,
        mask: v128,
        half: v128,
    }

    impl Scale {
        /// `None` where this form would differ from the reference: a multiplier of
        /// `i32::MIN` (the high product saturates there) or a shift out of −31..=30.
        pub fn new(r: Requant) -> Option<Scale> {
            if r.multiplier == i32::MIN || !(-31..=30).contains(&r.shift) {
                return None;
            }
            let (left, right) = if r.shift > 0 { (r.shift as u32, 0) } else { (0, (-r.shift) as u32) };
            let mask = ((1i64 << right) - 1) as i32;
            Some(Scale { multiplier: i32x4_splat(r.multiplier), left, right, mask: i32x4_splat(mask), half: i32x4_splat(mask >> 1) })
        }

        #[inline(always)]
        pub fn apply(&self, x: v128) -> v128 {
            let v = i32x4_shl(x, self.left);
            let nudge = i64x2_splat(1 << 30);
            let lo = i64x2_shr(i64x2_add(i64x2_extmul_low_i32x4(v, self.multiplier), nudge), 31);
            let hi = i64x2_shr(i64x2_add(i64x2_extmul_high_i32x4(v, self.multiplier), nudge), 31);
            let h = i32x4_shuffle::<0, 2, 4, 6>(lo, hi);
            let threshold = i32x4_sub(self.half, i32x4_shr(h, 31));
            let round = i32x4_gt(v128_and(h, self.mask), threshold);
            // A true comparison is −1: subtracting it adds one.
            i32x4_sub(i32x4_shr(h, self.right), round)
        }
    }

    /// Sums the int16 elements of `a` and `b` eight at a time into `out`, clamped to
    /// `(lo, hi)`; returns how many were done (the rest are fewer than eight).
    #[allow(clippy::too_many_arguments)]
    pub fn add16(a: &[u8], sa: Scale, b: &[u8], sb: Scale, left_shift: u32, so: Scale, (lo, hi): (i32, i32), out: &mut [u8], n: usize) -> usize {
        let groups = n / 8;
        assert!(a.len() >= 16 * groups && b.len() >= 16 * groups && out.len() >= 16 * groups);
        let (lo, hi) = (i32x4_splat(lo), i32x4_splat(hi));
        for g in 0..groups {
            // SAFETY: bytes 16g..16g + 16 of each slice, inside them by the assertion above.
            let (va, vb) = unsafe { (v128_load(a.as_ptr().add(16 * g).cast()), v128_load(b.as_ptr().add(16 * g).cast())) };
            let half = |va: v128, vb: v128| {
                let x = sa.apply(i32x4_shl(va, left_shift));
                let y = sb.apply(i32x4_shl(vb, left_shift));
                i32x4_min(i32x4_max(so.apply(i32x4_add(x, y)), lo), hi)
            };
            let low = half(i32x4_extend_low_i16x8(va), i32x4_extend_low_i16x8(vb));
            let high = half(i32x4_extend_high_i16x8(va), i32x4_extend_high_i16x8(vb));
            // SAFETY: as above; the values are clamped to int16, so narrowing keeps them.
            unsafe { v128_store(out.as_mut_ptr().add(16 * g).cast(), i16x8_narrow_i32x4(low, high)) };
        }
        8 * groups
    }
}
