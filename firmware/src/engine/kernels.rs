//! The int8 kernels. Activations are time-major (`frames × channels`), so a convolution
//! tap is a dot product of two contiguous int8 rows, which compilers vectorise well.
//!
//! Every function here is integer-only except [`quantize`] and [`dequantize`], which use
//! plain f32 multiplies and `libm::roundf` (no fused operations), so results are the same
//! on every target.

use super::fixed::{multiply_by_quantized_multiplier, requantize};
use super::format::MAX_KERNEL;
use super::model::{i32_at, Requant};

/// Σ a[i]·b[i] over two int8 rows of the same length.
#[inline(always)]
fn dot_portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).fold(0i32, |acc, (&x, &y)| acc.wrapping_add(x as i32 * y as i32))
}

/// The same dot product compiled for AVX2 (chosen at run time on the host); integer maths,
/// so bit-identical to [`dot_portable`].
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
unsafe fn conv_rows_avx2(p: &ConvGeometry, w: &[i8], x: &[i8], t_in: usize, t: usize, wsum: &[i32; MAX_KERNEL]) -> i32 {
    conv_rows(p, w, x, t_in, t, wsum)
}

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
        let span = self.dilation.checked_mul(self.kernel - 1)?.checked_add(1)?;
        let padded = t_in.checked_add(self.pad_begin)?.checked_add(pad_end)?;
        if padded < span {
            return None;
        }
        Some((padded - span) / self.stride + 1)
    }
}

/// Σ over valid taps of w·(x − zp) for output frame `t` of one output channel.
#[inline(always)]
fn conv_rows(p: &ConvGeometry, w: &[i8], x: &[i8], t_in: usize, t: usize, wsum: &[i32; MAX_KERNEL]) -> i32 {
    let cin = p.cin;
    let mut acc = 0i32;
    for k in 0..p.kernel {
        let ti = (t * p.stride + k * p.dilation).wrapping_sub(p.pad_begin);
        if ti < t_in {
            let d = dot_portable(&w[k * cin..(k + 1) * cin], &x[ti * cin..(ti + 1) * cin]);
            acc = acc.wrapping_add(d.wrapping_sub(p.in_zero_point.wrapping_mul(wsum[k])));
        }
    }
    acc
}

/// Convolution: `x` is `t_in × cin`, `y` is `t_out × cout`, `weights` `[cout][k][cin]`,
/// `bias`/`multipliers`/`shifts` little-endian i32 per output channel.
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
) {
    let taps = p.kernel * p.cin;
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    let avx2 = std::is_x86_feature_detected!("avx2");
    for co in 0..p.cout {
        let w = &weights[co * taps..(co + 1) * taps];
        let mut wsum = [0i32; MAX_KERNEL];
        for (k, s) in wsum.iter_mut().enumerate().take(p.kernel) {
            *s = w[k * p.cin..(k + 1) * p.cin].iter().map(|&v| v as i32).sum();
        }
        let (b, m, s) = (i32_at(bias, 4 * co), i32_at(multipliers, 4 * co), i32_at(shifts, 4 * co));
        for t in 0..t_out {
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            let acc = if avx2 {
                // SAFETY: AVX2 is present (checked above).
                unsafe { conv_rows_avx2(p, w, x, t_in, t, &wsum) }
            } else {
                conv_rows(p, w, x, t_in, t, &wsum)
            };
            #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
            let acc = conv_rows(p, w, x, t_in, t, &wsum);
            y[t * p.cout + co] = requantize(acc.wrapping_add(b), m, s, out_zero_point, lo, hi);
        }
    }
}

/// Elementwise sum `out = a + b` with TFLite's rescaling: both inputs are shifted left by
/// `left_shift`, scaled to a common scale, added, and scaled to the output.
#[allow(clippy::too_many_arguments)]
pub fn add(
    a: &[i8],
    a_zp: i32,
    a_rq: Requant,
    b: &[i8],
    b_zp: i32,
    b_rq: Requant,
    left_shift: i32,
    out_rq: Requant,
    out_zp: i32,
    act: (i8, i8),
    out: &mut [i8],
) {
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    for ((o, &qa), &qb) in out.iter_mut().zip(a).zip(b) {
        let sa = multiply_by_quantized_multiplier((qa as i32 - a_zp) << left_shift, a_rq.multiplier, a_rq.shift);
        let sb = multiply_by_quantized_multiplier((qb as i32 - b_zp) << left_shift, b_rq.multiplier, b_rq.shift);
        *o = requantize(sa.wrapping_add(sb), out_rq.multiplier, out_rq.shift, out_zp, lo, hi);
    }
}

/// Requantises `x` (zero point `in_zp`) into `out` (zero point `out_zp`), clamped; with
/// `None` the scales are equal and values are only shifted by the zero points and clamped.
pub fn rescale(x: &[i8], in_zp: i32, rq: Option<Requant>, out_zp: i32, act: (i8, i8), out: &mut [i8]) {
    let (lo, hi) = (act.0 as i32, act.1 as i32);
    match rq {
        None => {
            for (o, &q) in out.iter_mut().zip(x) {
                *o = (q as i32 - in_zp + out_zp).clamp(lo, hi) as i8;
            }
        }
        Some(r) => {
            for (o, &q) in out.iter_mut().zip(x) {
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
