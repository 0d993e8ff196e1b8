//! The int8 kernels. Activations are time-major (`frames × channels`), so a convolution
//! tap is a dot product of two contiguous int8 rows, which compilers vectorise well.
//!
//! Every function here is integer-only except [`quantize`] and [`dequantize`], which use
//! plain f32 multiplies and `libm::roundf` (no fused operations), so results are the same
//! on every target.

use super::fixed::{multiply_by_quantized_multiplier, requantize};
use super::format::CO_BLOCK;
use super::model::{i32_at, Requant};

/// Output frames computed together by the convolution kernel (rows of its scratch).
pub const TILE_T: usize = 8;

/// Shape of a 1-D convolution.
#[derive(Clone, Copy, Debug)]
pub struct ConvGeometry {
    pub cin: usize,
    pub cout: usize,
    pub kernel: usize,
    pub dilation: usize,
    pub stride: usize,
    pub pad_begin: usize,
    pub in_zero_point: i32,
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

    /// i16 scratch the kernel needs (one row of taps per frame of a tile).
    pub fn scratch_len(&self) -> usize {
        TILE_T * self.taps_padded()
    }
}

/// Fills the scratch rows for output frames `t0..t0 + TILE_T`: row r holds, for every
/// tap (k, ci), the centred input x − zp at frame (t0 + r)·stride + k·dilation − pad, or
/// 0 where that falls in the padding (the real value zero) or past the tile.
fn gather(p: &ConvGeometry, x: &[i8], t_in: usize, t0: usize, t_out: usize, cols: &mut [i16]) {
    let taps = p.taps_padded();
    for r in 0..TILE_T {
        let row = &mut cols[r * taps..(r + 1) * taps];
        let t = t0 + r;
        if t >= t_out {
            row.fill(0);
            continue;
        }
        for k in 0..p.kernel {
            let seg = &mut row[k * p.cin..(k + 1) * p.cin];
            let ti = (t * p.stride + k * p.dilation).wrapping_sub(p.pad_begin);
            if ti < t_in {
                for (c, &q) in seg.iter_mut().zip(&x[ti * p.cin..(ti + 1) * p.cin]) {
                    *c = (q as i32 - p.in_zero_point) as i16;
                }
            } else {
                seg.fill(0);
            }
        }
        row[p.kernel * p.cin..].fill(0);
    }
}

/// Accumulators of one block of [`CO_BLOCK`] outputs for the [`TILE_T`] frames of `cols`
/// (portable: the reference the SIMD version must equal).
fn block_portable(w: &[i8], cols: &[i16], taps: usize, acc: &mut [[i32; CO_BLOCK]; TILE_T]) {
    for (p, wp) in w.chunks_exact(2 * CO_BLOCK).enumerate() {
        for (r, a) in acc.iter_mut().enumerate() {
            let c0 = cols[r * taps + 2 * p] as i32;
            let c1 = cols[r * taps + 2 * p + 1] as i32;
            for (j, aj) in a.iter_mut().enumerate() {
                *aj = aj.wrapping_add(wp[2 * j] as i32 * c0 + wp[2 * j + 1] as i32 * c1);
            }
        }
    }
}

/// Whether the AVX2 kernel may run here.
#[inline]
fn use_avx2() -> bool {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(all(target_arch = "x86_64", not(feature = "std")))]
    {
        cfg!(target_feature = "avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Convolution: `x` is `t_in × cin`, `y` is `t_out × cout`, `weights` packed (see
/// [`super::format::packed_weight_index`]), `bias`/`multipliers`/`shifts` little-endian i32
/// per output channel, `cols` at least [`ConvGeometry::scratch_len`] i16 of scratch.
#[allow(clippy::too_many_arguments)]
pub fn conv1d(
    p: &ConvGeometry,
    weights: &[i8],
    bias: &[u8],
    multipliers: &[u8],
    shifts: &[u8],
    out_zero_point: i32,
    act: (i8, i8),
    x: &[i8],
    t_in: usize,
    y: &mut [i8],
    t_out: usize,
    cols: &mut [i16],
) {
    conv1d_with(p, weights, bias, multipliers, shifts, out_zero_point, act, x, t_in, y, t_out, cols, use_avx2())
}

/// [`conv1d`] with the kernel chosen by the caller (`simd` = AVX2; ignored elsewhere).
#[allow(clippy::too_many_arguments)]
pub fn conv1d_with(
    p: &ConvGeometry,
    weights: &[i8],
    bias: &[u8],
    multipliers: &[u8],
    shifts: &[u8],
    out_zero_point: i32,
    act: (i8, i8),
    x: &[i8],
    t_in: usize,
    y: &mut [i8],
    t_out: usize,
    cols: &mut [i16],
    simd: bool,
) {
    let taps = p.taps_padded();
    let cols = &mut cols[..TILE_T * taps];
    let block_bytes = taps * CO_BLOCK;
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    let simd = simd && cfg!(target_arch = "x86_64");
    for t0 in (0..t_out).step_by(TILE_T) {
        gather(p, x, t_in, t0, t_out, cols);
        for (b, w) in weights.chunks_exact(block_bytes).enumerate() {
            let mut acc = [[0i32; CO_BLOCK]; TILE_T];
            if simd {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: only reached when AVX2 is available (`use_avx2`); `w` is one whole
                // block and `cols` has TILE_T rows of `taps`.
                unsafe {
                    super::simd::block(w, cols, taps, &mut acc)
                };
            } else {
                block_portable(w, cols, taps, &mut acc);
            }
            for (r, a) in acc.iter().enumerate().take(t_out - t0) {
                let row = &mut y[(t0 + r) * p.cout..(t0 + r + 1) * p.cout];
                let co0 = b * CO_BLOCK;
                #[cfg(target_arch = "x86_64")]
                if simd && co0 + CO_BLOCK <= p.cout {
                    // SAFETY: AVX2 is available; a whole block of outputs and parameters.
                    unsafe { super::simd::requantize8(a, bias, multipliers, shifts, 4 * co0, out_zero_point, lo, hi, &mut row[co0..co0 + CO_BLOCK]) };
                    continue;
                }
                for (j, &v) in a.iter().enumerate() {
                    let co = b * CO_BLOCK + j;
                    if co < p.cout {
                        let (bi, m, s) = (i32_at(bias, 4 * co), i32_at(multipliers, 4 * co), i32_at(shifts, 4 * co));
                        row[co] = requantize(v.wrapping_add(bi), m, s, out_zero_point, lo, hi);
                    }
                }
            }
        }
    }
}

/// Elementwise sum `out = a + b` with TFLite's rescaling: both inputs are shifted left by
/// `left_shift`, scaled to a common scale, added, and scaled to the output.
#[allow(clippy::too_many_arguments)]
pub fn add(a: &[i8], a_zp: i32, a_rq: Requant, b: &[i8], b_zp: i32, b_rq: Requant, left_shift: i32, out_rq: Requant, out_zp: i32, act: (i8, i8), out: &mut [i8]) {
    add_with(a, a_zp, a_rq, b, b_zp, b_rq, left_shift, out_rq, out_zp, act, out, use_avx2())
}

/// [`add`] with the kernel chosen by the caller (`simd` = AVX2; ignored elsewhere).
#[allow(clippy::too_many_arguments, unused_mut, unused_variables)]
pub fn add_with(a: &[i8], a_zp: i32, a_rq: Requant, b: &[i8], b_zp: i32, b_rq: Requant, left_shift: i32, out_rq: Requant, out_zp: i32, act: (i8, i8), out: &mut [i8], simd: bool) {
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if simd {
        // SAFETY: the caller only asks for SIMD where AVX2 is available.
        done = unsafe {
            super::simd::add(a, a_zp, a_rq.multiplier, a_rq.shift, b, b_zp, b_rq.multiplier, b_rq.shift, left_shift, out_rq.multiplier, out_rq.shift, out_zp, lo, hi, out)
        };
    }
    for ((o, &qa), &qb) in out.iter_mut().zip(a).zip(b).skip(done) {
        let sa = multiply_by_quantized_multiplier((qa as i32 - a_zp) << left_shift, a_rq.multiplier, a_rq.shift);
        let sb = multiply_by_quantized_multiplier((qb as i32 - b_zp) << left_shift, b_rq.multiplier, b_rq.shift);
        *o = requantize(sa.wrapping_add(sb), out_rq.multiplier, out_rq.shift, out_zp, lo, hi);
    }
}

/// Requantises `x` (zero point `in_zp`) into `out` (zero point `out_zp`), clamped; with
/// `None` the scales are equal and values are only shifted by the zero points and clamped.
pub fn rescale(x: &[i8], in_zp: i32, rq: Option<Requant>, out_zp: i32, act: (i8, i8), out: &mut [i8]) {
    rescale_with(x, in_zp, rq, out_zp, act, out, use_avx2())
}

/// [`rescale`] with the kernel chosen by the caller (`simd` = AVX2; ignored elsewhere).
#[allow(unused_mut, unused_variables)]
pub fn rescale_with(x: &[i8], in_zp: i32, rq: Option<Requant>, out_zp: i32, act: (i8, i8), out: &mut [i8], simd: bool) {
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    match rq {
        None => {
            for (o, &q) in out.iter_mut().zip(x) {
                *o = (q as i32 - in_zp + out_zp).clamp(lo, hi) as i8;
            }
        }
        Some(r) => {
            let mut done = 0;
            #[cfg(target_arch = "x86_64")]
            if simd {
                // SAFETY: the caller only asks for SIMD where AVX2 is available.
                done = unsafe { super::simd::rescale(x, in_zp, r.multiplier, r.shift, out_zp, lo, hi, out) };
            }
            for (o, &q) in out.iter_mut().zip(x).skip(done) {
                *o = requantize(q as i32 - in_zp, r.multiplier, r.shift, out_zp, lo, hi);
            }
        }
    }
}

/// Writes `x` (`frames × c_in`) into channels `offset..offset + c_in` of `out`
/// (`frames × c_out`), requantised as [`rescale`] does.
#[allow(clippy::too_many_arguments)]
pub fn concat_part(x: &[i8], c_in: usize, in_zp: i32, rq: Option<Requant>, out_zp: i32, out: &mut [i8], c_out: usize, offset: usize, frames: usize) {
    for t in 0..frames {
        let src = &x[t * c_in..(t + 1) * c_in];
        let dst = &mut out[t * c_out + offset..t * c_out + offset + c_in];
        if rq.is_none() && in_zp == out_zp {
            dst.copy_from_slice(src);
        } else {
            rescale(src, in_zp, rq, out_zp, (i8::MIN, i8::MAX), dst);
        }
    }
}

/// Multiplies each channel by a constant given as (multiplier, shift) per channel; a
/// negative multiplier negates.
#[allow(clippy::too_many_arguments)]
pub fn mul_channel(x: &[i8], channels: usize, in_zp: i32, multipliers: &[u8], shifts: &[u8], out_zp: i32, act: (i8, i8), out: &mut [i8]) {
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    for (xr, or) in x.chunks_exact(channels).zip(out.chunks_exact_mut(channels)) {
        for c in 0..channels {
            let (m, s) = (i32_at(multipliers, 4 * c), i32_at(shifts, 4 * c));
            let v = xr[c] as i32 - in_zp;
            let (v, m) = if m < 0 { (-v, -m) } else { (v, m) };
            or[c] = requantize(v, m, s, out_zp, lo, hi);
        }
    }
}

/// Multiplies everything by one (run-time) multiplier; negative negates.
pub fn mul_scalar(x: &[i8], in_zp: i32, rq: Requant, out_zp: i32, act: (i8, i8), out: &mut [i8]) {
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    let (sign, m) = if rq.multiplier < 0 { (-1, -rq.multiplier) } else { (1, rq.multiplier) };
    for (o, &q) in out.iter_mut().zip(x) {
        *o = requantize(sign * (q as i32 - in_zp), m, rq.shift, out_zp, lo, hi);
    }
}

/// Nearest-neighbour upsampling in time: output frame t copies input frame t / factor.
pub fn resize(x: &[i8], channels: usize, factor: usize, out: &mut [i8]) {
    for (t, row) in out.chunks_exact_mut(channels).enumerate() {
        let s = t / factor;
        row.copy_from_slice(&x[s * channels..(s + 1) * channels]);
    }
}

/// Quantises a channel-major f32 input (`channels × frames`) into a time-major tensor:
/// q = clamp(roundf(v · factor) + zp, −128, 127).
pub fn quantize(src: &[f32], channels: usize, frames: usize, factor: f32, zp: i32, out: &mut [i8]) {
    for c in 0..channels {
        for t in 0..frames {
            let v = libm::roundf(src[c * frames + t] * factor);
            // NaN becomes 0 through the saturating cast; ±inf saturate.
            let q = (v.clamp(-1.0e6, 1.0e6) as i32).saturating_add(zp);
            out[t * channels + c] = q.clamp(-128, 127) as i8;
        }
    }
}

/// Dequantises a time-major tensor into a channel-major f32 output: y = (q − zp) · factor.
pub fn dequantize(x: &[i8], channels: usize, frames: usize, zp: i32, factor: f32, out: &mut [f32]) {
    for t in 0..frames {
        for c in 0..channels {
            out[c * frames + t] = (x[t * channels + c] as i32 - zp) as f32 * factor;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// AVX2 on this machine (the tests link std even when the crate does not).
    fn avx2() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// A tiny deterministic generator for test data.
    fn lcg(state: &mut u64) -> u32 {
        *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*state >> 33) as u32
    }

    #[test]
    fn simd_and_portable_convolutions_agree() {
        if !avx2() {
            return; // nothing to compare on this machine
        }
        let mut s = 3u64;
        for _ in 0..200 {
            let cin = 1 + lcg(&mut s) as usize % 40;
            let cout = 1 + lcg(&mut s) as usize % 20;
            let kernel = 1 + lcg(&mut s) as usize % 5;
            let dilation = 1 + lcg(&mut s) as usize % 3;
            let stride = 1 + lcg(&mut s) as usize % 2;
            let pad = lcg(&mut s) as usize % 4;
            let g = ConvGeometry { cin, cout, kernel, dilation, stride, pad_begin: pad, in_zero_point: lcg(&mut s) as i32 % 50 - 25 };
            let t_in = 1 + lcg(&mut s) as usize % 30;
            let Some(t_out) = g.out_len(t_in, pad) else { continue };
            let taps = kernel * cin;
            let weights: Vec<i8> = (0..super::super::format::packed_weight_bytes(cout, taps)).map(|_| lcg(&mut s) as i8).collect();
            let x: Vec<i8> = (0..t_in * cin).map(|_| lcg(&mut s) as i8).collect();
            let bias: Vec<u8> = (0..cout).flat_map(|_| (lcg(&mut s) as i32 % 5000).to_le_bytes()).collect();
            let mult: Vec<u8> = (0..cout).flat_map(|_| ((1 << 30) + (lcg(&mut s) >> 2) as i32).to_le_bytes()).collect();
            let shift: Vec<u8> = (0..cout).flat_map(|_| (-(8 + lcg(&mut s) as i32 % 6)).to_le_bytes()).collect();
            let mut cols = vec![0i16; g.scratch_len()];
            let (mut a, mut b) = (vec![0i8; t_out * cout], vec![0i8; t_out * cout]);
            conv1d_with(&g, &weights, &bias, &mult, &shift, 3, (-128, 127), &x, t_in, &mut a, t_out, &mut cols, false);
            conv1d_with(&g, &weights, &bias, &mult, &shift, 3, (-128, 127), &x, t_in, &mut b, t_out, &mut cols, true);
            assert_eq!(a, b, "{g:?}, {t_in} frames");
        }
    }

    #[test]
    fn simd_and_portable_sums_agree() {
        if !avx2() {
            return;
        }
        let mut s = 5u64;
        for _ in 0..200 {
            let n = lcg(&mut s) as usize % 70;
            let a: Vec<i8> = (0..n).map(|_| lcg(&mut s) as i8).collect();
            let b: Vec<i8> = (0..n).map(|_| lcg(&mut s) as i8).collect();
            let rq = |s: &mut u64, lo: i32| Requant { multiplier: (1 << 30) + (lcg(s) >> 2) as i32, shift: lo - (lcg(s) % 4) as i32 };
            let (ra, rb, ro) = (rq(&mut s, -1), rq(&mut s, -1), rq(&mut s, -18));
            let zp = |s: &mut u64| (lcg(s) % 256) as i32 - 128;
            let (za, zb, zo) = (zp(&mut s), zp(&mut s), zp(&mut s));
            let act = if lcg(&mut s) % 2 == 0 { (-128, 127) } else { (zo as i8, 127) };
            let (mut x, mut y) = (vec![0i8; n], vec![0i8; n]);
            add_with(&a, za, ra, &b, zb, rb, 20, ro, zo, act, &mut x, false);
            add_with(&a, za, ra, &b, zb, rb, 20, ro, zo, act, &mut y, true);
            assert_eq!(x, y);
            let lo = 1 - (lcg(&mut s) % 3) as i32;
            let rs = rq(&mut s, lo);
            rescale_with(&a, za, Some(rs), zo, act, &mut x, false);
            rescale_with(&a, za, Some(rs), zo, act, &mut y, true);
            assert_eq!(x, y, "rescale by {rs:?}");
        }
    }
}
