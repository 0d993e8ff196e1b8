//! The integer kernels. Activations are time-major (`frames × channels`) byte buffers of
//! int8 or int16 elements ([`Elem`]; int16 where int8 loses too much, TFLite's "16x8"
//! scheme: weights stay int8). A convolution gathers a few frames of taps into an i16
//! scratch and multiplies them with pair-interleaved weights, what 16-bit dual
//! multiply-accumulate instructions consume.
//!
//! Every function here is integer-only except [`quantize`] and [`dequantize`], which use
//! plain f32 multiplies and `libm::roundf` (no fused operations), so results are the same
//! on every target. The AVX2 twins in [`super::simd`] give identical results.

use super::fixed::{multiply_by_quantized_multiplier, requantize};
use super::format::CO_BLOCK;
use super::model::{i32_at, Requant};

/// Storage type of an activation tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Elem {
    I8,
    I16,
}

impl Elem {
    /// Bytes per element.
    pub const fn bytes(self) -> usize {
        match self {
            Elem::I8 => 1,
            Elem::I16 => 2,
        }
    }
    pub const fn min(self) -> i32 {
        match self {
            Elem::I8 => i8::MIN as i32,
            Elem::I16 => i16::MIN as i32,
        }
    }
    pub const fn max(self) -> i32 {
        match self {
            Elem::I8 => i8::MAX as i32,
            Elem::I16 => i16::MAX as i32,
        }
    }
}

/// How a kernel reads or writes one tensor: element type and zero point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Q {
    pub elem: Elem,
    pub zp: i32,
}

impl Q {
    /// Output clamp: the element's range, from the zero point up with a folded ReLU.
    pub fn clamp(self, relu: bool) -> (i32, i32) {
        (if relu { self.zp } else { self.elem.min() }, self.elem.max())
    }
}

/// Element `i` of a buffer.
#[inline(always)]
pub fn load(b: &[u8], i: usize, e: Elem) -> i32 {
    match e {
        Elem::I8 => b[i] as i8 as i32,
        Elem::I16 => i16::from_le_bytes([b[2 * i], b[2 * i + 1]]) as i32,
    }
}

/// Writes element `i` (already in range).
#[inline(always)]
pub fn store(b: &mut [u8], i: usize, e: Elem, v: i32) {
    match e {
        Elem::I8 => b[i] = v as i8 as u8,
        Elem::I16 => b[2 * i..2 * i + 2].copy_from_slice(&(v as i16).to_le_bytes()),
    }
}

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
/// 0 where that falls in the padding (the real value zero) or past the tile. (Centred
/// int16 inputs are symmetric, zp = 0, so they fit.)
#[allow(clippy::too_many_arguments)]
fn gather(p: &ConvGeometry, xq: Q, x: &[u8], t_in: usize, t0: usize, t_out: usize, cols: &mut [i16], simd: Simd) {
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
            if ti >= t_in {
                seg.fill(0);
                continue;
            }
            let row_bytes = p.cin * xq.elem.bytes();
            widen(&x[ti * row_bytes..(ti + 1) * row_bytes], xq, seg, simd);
        }
        row[p.kernel * p.cin..].fill(0);
    }
}

/// One input frame centred into i16: `dst[i] = src[i] − zp`.
#[allow(unused_mut, unused_variables)]
fn widen(src: &[u8], xq: Q, dst: &mut [i16], simd: Simd) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if simd.avx2() {
        // SAFETY: AVX2 is available.
        done = unsafe { super::simd::widen(src, xq, dst) };
    }
    for (i, d) in dst.iter_mut().enumerate().skip(done) {
        *d = (load(src, i, xq.elem) - xq.zp) as i16;
    }
}

/// Accumulators of one block of [`CO_BLOCK`] outputs for the [`TILE_T`] frames of `cols`
/// (portable: the reference the SIMD version must equal).
fn block_portable(w: &[i8], cols: &[i16], taps: usize, acc: &mut [[i32; CO_BLOCK]; TILE_T]) {
    *acc = [[0; CO_BLOCK]; TILE_T];
    for (p, wp) in w.chunks_exact(2 * CO_BLOCK).enumerate() {
        for (r, a) in acc.iter_mut().enumerate() {
            let c0 = cols[r * taps + 2 * p] as i32;
            let c1 = cols[r * taps + 2 * p + 1] as i32;
            for (j, aj) in a.iter_mut().enumerate() {
                *aj = aj.wrapping_add((wp[2 * j] as i32 * c0).wrapping_add(wp[2 * j + 1] as i32 * c1));
            }
        }
    }
}

/// Which instruction set the kernels use. All give identical results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    /// Plain Rust (every target; the reference for the others).
    Portable,
    /// x86-64 AVX2.
    Avx2,
    /// x86-64 AVX-512 with VNNI (convolutions; the rest as AVX2).
    Avx512,
}

impl Simd {
    /// The best this machine offers (run-time detection with `std`, otherwise what the
    /// build enables).
    pub fn detect() -> Simd {
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx512vnni") {
                return Simd::Avx512;
            }
        }
        if use_avx2() {
            Simd::Avx2
        } else {
            Simd::Portable
        }
    }

    /// AVX2 (or better) is available.
    pub fn avx2(self) -> bool {
        self >= Simd::Avx2
    }
}

/// Whether the AVX2 kernels may run here.
#[inline]
pub fn use_avx2() -> bool {
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

/// A convolution's parameters: packed weights (see [`super::format::packed_weight_index`])
/// and little-endian i32 bias, multiplier and shift per output channel.
#[derive(Clone, Copy, Debug)]
pub struct ConvParams<'a> {
    pub weights: &'a [i8],
    pub bias: &'a [u8],
    pub multipliers: &'a [u8],
    pub shifts: &'a [u8],
}

/// Convolution: `x` is `t_in × cin`, `y` is `t_out × cout`; `cols` at least
/// [`ConvGeometry::scratch_len`] i16 of scratch; `simd` picks the instruction set (only
/// one the machine has).
#[allow(clippy::too_many_arguments, unused_variables)]
pub fn conv1d(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16], simd: Simd) {
    let taps = p.taps_padded();
    let cols = &mut cols[..TILE_T * taps];
    let block_bytes = taps * CO_BLOCK;
    let blocks = w.weights.len() / block_bytes.max(1);
    let (lo, hi) = yq.clamp(relu);
    let simd = if cfg!(target_arch = "x86_64") { simd } else { Simd::Portable };
    let mut accs = [[[0i32; CO_BLOCK]; TILE_T]; 4];
    for t0 in (0..t_out).step_by(TILE_T) {
        gather(p, xq, x, t_in, t0, t_out, cols, simd);
        let mut b = 0;
        while b < blocks {
            // Four or two blocks at once with AVX-512, else one.
            let n = match simd {
                Simd::Avx512 if b + 3 < blocks => 4,
                Simd::Avx512 if b + 1 < blocks => 2,
                _ => 1,
            };
            let wb = &w.weights[b * block_bytes..(b + n) * block_bytes];
            match (simd, n) {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: AVX-512 VNNI is available (`simd` comes from `Simd::detect`); four
                // whole blocks; `cols` has TILE_T rows of `taps`.
                (Simd::Avx512, 4) => unsafe { super::simd::block_quad512(wb, block_bytes, cols, taps, &mut accs) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above, two whole blocks.
                (Simd::Avx512, 2) => unsafe {
                    let (pair, _) = accs.split_at_mut(2);
                    super::simd::block_pair512(wb, block_bytes, cols, taps, pair.try_into().expect("two blocks"))
                },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: AVX2 is available; one whole block.
                (Simd::Avx2 | Simd::Avx512, _) => unsafe { super::simd::block(wb, cols, taps, &mut accs[0]) },
                _ => block_portable(wb, cols, taps, &mut accs[0]),
            }
            let mut k = 0;
            while k < n {
                let co0 = (b + k) * CO_BLOCK;
                #[cfg(target_arch = "x86_64")]
                if simd == Simd::Avx512 && k + 1 < n && co0 + 2 * CO_BLOCK <= p.cout {
                    let bytes = yq.elem.bytes();
                    for r in 0..TILE_T.min(t_out - t0) {
                        let base = (t0 + r) * p.cout + co0;
                        // SAFETY: AVX-512 is available; two whole blocks of outputs and parameters.
                        unsafe {
                            super::simd::requantize16(&accs[k][r], &accs[k + 1][r], w.bias, w.multipliers, w.shifts, 4 * co0, yq, lo, hi, &mut y[base * bytes..(base + 2 * CO_BLOCK) * bytes])
                        };
                    }
                    k += 2;
                    continue;
                }
                requantize_block(p, w, &accs[k], co0, t0, t_out, yq, lo, hi, y, simd.avx2());
                k += 1;
            }
            b += n;
        }
    }
}

/// Writes one block of accumulators (outputs `co0..co0 + CO_BLOCK` for the frames of the
/// tile at `t0`) with bias, requantisation and clamp.
#[allow(clippy::too_many_arguments, unused_variables)]
fn requantize_block(p: &ConvGeometry, w: &ConvParams<'_>, acc: &[[i32; CO_BLOCK]; TILE_T], co0: usize, t0: usize, t_out: usize, yq: Q, lo: i32, hi: i32, y: &mut [u8], simd: bool) {
    for (r, a) in acc.iter().enumerate().take(t_out - t0) {
        let base = (t0 + r) * p.cout;
        #[cfg(target_arch = "x86_64")]
        if simd {
            let bytes = yq.elem.bytes();
            if co0 + CO_BLOCK <= p.cout {
                let out = &mut y[(base + co0) * bytes..(base + co0 + CO_BLOCK) * bytes];
                // SAFETY: AVX2 is available; a whole block of outputs and parameters.
                unsafe { super::simd::requantize8(a, w.bias, w.multipliers, w.shifts, 4 * co0, yq, lo, hi, out) };
            } else {
                // The last, partial block: parameters padded with zeros, outputs through a
                // scratch block.
                let n = p.cout - co0;
                let pad = |src: &[u8]| {
                    let mut t = [0u8; 4 * CO_BLOCK];
                    t[..4 * n].copy_from_slice(&src[4 * co0..4 * (co0 + n)]);
                    t
                };
                let mut tmp = [0u8; 2 * CO_BLOCK];
                // SAFETY: AVX2 is available; padded parameters and a whole scratch block.
                unsafe { super::simd::requantize8(a, &pad(w.bias), &pad(w.multipliers), &pad(w.shifts), 0, yq, lo, hi, &mut tmp[..CO_BLOCK * bytes]) };
                y[(base + co0) * bytes..(base + p.cout) * bytes].copy_from_slice(&tmp[..n * bytes]);
            }
            continue;
        }
        for (j, &v) in a.iter().enumerate() {
            let co = co0 + j;
            if co < p.cout {
                let (bi, m, s) = (i32_at(w.bias, 4 * co), i32_at(w.multipliers, 4 * co), i32_at(w.shifts, 4 * co));
                store(y, base + co, yq.elem, requantize(v.wrapping_add(bi), m, s, yq.zp, lo, hi));
            }
        }
    }
}

/// Elementwise sum `out = a + b` with TFLite's rescaling: both centred inputs are shifted
/// left by `left_shift`, scaled to a common scale, added, and scaled to the output.
#[allow(clippy::too_many_arguments, unused_mut, unused_variables)]
pub fn add(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize, simd: Simd) {
    let (lo, hi) = oq.clamp(relu);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if simd == Simd::Avx512 {
        // SAFETY: the caller only asks for AVX-512 where it is available.
        done = unsafe { super::simd::add512(aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, lo, hi, out, n) };
    }
    #[cfg(target_arch = "x86_64")]
    if simd.avx2() {
        // SAFETY: the caller only asks for SIMD where AVX2 is available.
        let (a, b, out) = (&a[done * aq.elem.bytes()..], &b[done * bq.elem.bytes()..], &mut out[done * oq.elem.bytes()..]);
        done += unsafe { super::simd::add(aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, lo, hi, out, n - done) };
    }
    for i in done..n {
        let sa = multiply_by_quantized_multiplier((load(a, i, aq.elem) - aq.zp) << left_shift, a_rq.multiplier, a_rq.shift);
        let sb = multiply_by_quantized_multiplier((load(b, i, bq.elem) - bq.zp) << left_shift, b_rq.multiplier, b_rq.shift);
        store(out, i, oq.elem, requantize(sa.wrapping_add(sb), out_rq.multiplier, out_rq.shift, oq.zp, lo, hi));
    }
}

/// Requantises `n` elements of `x` into `out`, clamped; with `None` the scales are equal
/// and values are only moved between the zero points and clamped.
#[allow(clippy::too_many_arguments, unused_mut, unused_variables)]
pub fn rescale(xq: Q, x: &[u8], rq: Option<Requant>, oq: Q, relu: bool, out: &mut [u8], n: usize, simd: Simd) {
    let (lo, hi) = oq.clamp(relu);
    match rq {
        None if xq == oq && !relu => out[..n * xq.elem.bytes()].copy_from_slice(&x[..n * xq.elem.bytes()]),
        None => {
            for i in 0..n {
                store(out, i, oq.elem, (load(x, i, xq.elem) - xq.zp + oq.zp).clamp(lo, hi));
            }
        }
        Some(r) => {
            let mut done = 0;
            #[cfg(target_arch = "x86_64")]
            if simd == Simd::Avx512 {
                // SAFETY: the caller only asks for AVX-512 where it is available.
                done = unsafe { super::simd::rescale512(xq, x, r, oq, lo, hi, out, n) };
            }
            #[cfg(target_arch = "x86_64")]
            if simd.avx2() {
                let (x, out) = (&x[done * xq.elem.bytes()..], &mut out[done * oq.elem.bytes()..]);
                // SAFETY: the caller only asks for SIMD where AVX2 is available.
                done += unsafe { super::simd::rescale(xq, x, r, oq, lo, hi, out, n - done) };
            }
            for i in done..n {
                store(out, i, oq.elem, requantize(load(x, i, xq.elem) - xq.zp, r.multiplier, r.shift, oq.zp, lo, hi));
            }
        }
    }
}

/// Writes `x` (`frames × c_in`) into channels `offset..offset + c_in` of `out`
/// (`frames × c_out`), requantised as [`rescale`] does.
#[allow(clippy::too_many_arguments)]
pub fn concat_part(xq: Q, x: &[u8], c_in: usize, rq: Option<Requant>, oq: Q, out: &mut [u8], c_out: usize, offset: usize, frames: usize, simd: Simd) {
    let (bi, bo) = (xq.elem.bytes(), oq.elem.bytes());
    for t in 0..frames {
        let src = &x[t * c_in * bi..(t + 1) * c_in * bi];
        let dst = &mut out[(t * c_out + offset) * bo..(t * c_out + offset + c_in) * bo];
        rescale(xq, src, rq, oq, false, dst, c_in, simd);
    }
}

/// Multiplies each channel by a constant given as (multiplier, shift) per channel; a
/// negative multiplier negates.
#[allow(clippy::too_many_arguments)]
pub fn mul_channel(xq: Q, x: &[u8], channels: usize, multipliers: &[u8], shifts: &[u8], oq: Q, relu: bool, out: &mut [u8], n: usize) {
    let (lo, hi) = oq.clamp(relu);
    for i in 0..n {
        let c = i % channels;
        let (m, s) = (i32_at(multipliers, 4 * c), i32_at(shifts, 4 * c));
        let v = load(x, i, xq.elem) - xq.zp;
        let (v, m) = if m < 0 { (-v, -m) } else { (v, m) };
        store(out, i, oq.elem, requantize(v, m, s, oq.zp, lo, hi));
    }
}

/// Multiplies everything by one (run-time) multiplier; negative negates.
pub fn mul_scalar(xq: Q, x: &[u8], rq: Requant, oq: Q, relu: bool, out: &mut [u8], n: usize) {
    let (lo, hi) = oq.clamp(relu);
    let (sign, m) = if rq.multiplier < 0 { (-1, -rq.multiplier) } else { (1, rq.multiplier) };
    for i in 0..n {
        store(out, i, oq.elem, requantize(sign * (load(x, i, xq.elem) - xq.zp), m, rq.shift, oq.zp, lo, hi));
    }
}

/// Nearest-neighbour upsampling in time: output frame t copies input frame t / factor
/// (`row_bytes` per frame).
pub fn resize(x: &[u8], row_bytes: usize, factor: usize, out: &mut [u8]) {
    for (t, row) in out.chunks_exact_mut(row_bytes).enumerate() {
        let s = t / factor;
        row.copy_from_slice(&x[s * row_bytes..(s + 1) * row_bytes]);
    }
}

/// Quantises a channel-major f32 input (`channels × frames`) into a time-major tensor:
/// q = clamp(roundf(v · factor) + zp) to the element's range.
pub fn quantize(src: &[f32], channels: usize, frames: usize, factor: f32, oq: Q, out: &mut [u8]) {
    for c in 0..channels {
        for t in 0..frames {
            let v = libm::roundf(src[c * frames + t] * factor);
            // NaN becomes 0 through the saturating cast; ±inf saturate.
            let q = (v.clamp(-1.0e6, 1.0e6) as i32).saturating_add(oq.zp);
            store(out, t * channels + c, oq.elem, q.clamp(oq.elem.min(), oq.elem.max()));
        }
    }
}

/// Dequantises a time-major tensor into a channel-major f32 output: y = (q − zp) · factor.
pub fn dequantize(xq: Q, x: &[u8], channels: usize, frames: usize, factor: f32, out: &mut [f32]) {
    for t in 0..frames {
        for c in 0..channels {
            out[c * frames + t] = (load(x, t * channels + c, xq.elem) - xq.zp) as f32 * factor;
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

    /// AVX-512 with VNNI on this machine.
    fn avx512() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx512vnni")
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
        for _ in 0..300 {
            let cin = 1 + lcg(&mut s) as usize % 40;
            let cout = 1 + lcg(&mut s) as usize % 40;
            let kernel = 1 + lcg(&mut s) as usize % 5;
            let dilation = 1 + lcg(&mut s) as usize % 3;
            let stride = 1 + lcg(&mut s) as usize % 2;
            let pad = lcg(&mut s) as usize % 4;
            let g = ConvGeometry { cin, cout, kernel, dilation, stride, pad_begin: pad };
            let wide = lcg(&mut s).is_multiple_of(2);
            let xq = if wide { Q { elem: Elem::I16, zp: 0 } } else { Q { elem: Elem::I8, zp: lcg(&mut s) as i32 % 50 - 25 } };
            let yq = if lcg(&mut s).is_multiple_of(2) { Q { elem: Elem::I16, zp: 0 } } else { Q { elem: Elem::I8, zp: 3 } };
            let relu = lcg(&mut s).is_multiple_of(2);
            let t_in = 1 + lcg(&mut s) as usize % 30;
            let Some(t_out) = g.out_len(t_in, pad) else { continue };
            let taps = kernel * cin;
            let weights: Vec<i8> = (0..super::super::format::packed_weight_bytes(cout, taps)).map(|_| lcg(&mut s) as i8).collect();
            let x: Vec<u8> = (0..t_in * cin * xq.elem.bytes()).map(|_| lcg(&mut s) as u8).collect();
            let bias: Vec<u8> = (0..cout).flat_map(|_| (lcg(&mut s) as i32 % 5000).to_le_bytes()).collect();
            let mult: Vec<u8> = (0..cout).flat_map(|_| ((1 << 30) + (lcg(&mut s) >> 2) as i32).to_le_bytes()).collect();
            let shift: Vec<u8> = (0..cout).flat_map(|_| (-(8 + lcg(&mut s) as i32 % 6)).to_le_bytes()).collect();
            let mut cols = vec![0i16; g.scratch_len()];
            let n = t_out * cout * yq.elem.bytes();
            let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
            let w = ConvParams { weights: &weights, bias: &bias, multipliers: &mult, shifts: &shift };
            conv1d(&g, &w, xq, &x, t_in, yq, relu, &mut a, t_out, &mut cols, Simd::Portable);
            conv1d(&g, &w, xq, &x, t_in, yq, relu, &mut b, t_out, &mut cols, Simd::Avx2);
            assert_eq!(a, b, "AVX2: {g:?}, {t_in} frames");
            if avx512() {
                conv1d(&g, &w, xq, &x, t_in, yq, relu, &mut b, t_out, &mut cols, Simd::Avx512);
                assert_eq!(a, b, "AVX-512: {g:?}, {t_in} frames");
            }
        }
    }

    #[test]
    fn simd_and_portable_sums_agree() {
        if !avx2() {
            return;
        }
        let mut s = 5u64;
        let elems = [Elem::I8, Elem::I16];
        for _ in 0..300 {
            let n = lcg(&mut s) as usize % 70;
            let q = |s: &mut u64| {
                let elem = elems[lcg(s) as usize % 2];
                Q { elem, zp: if elem == Elem::I8 { (lcg(s) % 256) as i32 - 128 } else { 0 } }
            };
            let (aq, bq, oq) = (q(&mut s), q(&mut s), q(&mut s));
            let a: Vec<u8> = (0..n * 2).map(|_| lcg(&mut s) as u8).collect();
            let b: Vec<u8> = (0..n * 2).map(|_| lcg(&mut s) as u8).collect();
            let rq = |s: &mut u64, lo: i32| Requant { multiplier: (1 << 30) + (lcg(s) >> 2) as i32, shift: lo - (lcg(s) % 4) as i32 };
            let (ra, rb, ro) = (rq(&mut s, -1), rq(&mut s, -1), rq(&mut s, -14));
            let relu = lcg(&mut s).is_multiple_of(2);
            let (mut x, mut y) = (vec![0u8; 2 * n], vec![0u8; 2 * n]);
            add(aq, &a, ra, bq, &b, rb, 15, oq, ro, relu, &mut x, n, Simd::Portable);
            add(aq, &a, ra, bq, &b, rb, 15, oq, ro, relu, &mut y, n, Simd::Avx2);
            assert_eq!(x, y, "add {aq:?} {bq:?} -> {oq:?}");
            if avx512() {
                add(aq, &a, ra, bq, &b, rb, 15, oq, ro, relu, &mut y, n, Simd::Avx512);
                assert_eq!(x, y, "AVX-512 add {aq:?} {bq:?} -> {oq:?}");
            }
            let lo = 1 - (lcg(&mut s) % 3) as i32;
            let rs = rq(&mut s, lo);
            rescale(aq, &a, Some(rs), oq, relu, &mut x, n, Simd::Portable);
            rescale(aq, &a, Some(rs), oq, relu, &mut y, n, Simd::Avx2);
            assert_eq!(x, y, "rescale by {rs:?}");
            if avx512() {
                rescale(aq, &a, Some(rs), oq, relu, &mut y, n, Simd::Avx512);
                assert_eq!(x, y, "AVX-512 rescale by {rs:?}");
            }
        }
    }
}
