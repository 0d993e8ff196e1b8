//! The reference kernel set: plain Rust for every target, what every optimised set must
//! equal bit for bit. Activations are time-major (`frames × channels`) byte buffers of
//! int8 or int16 elements ([`super::super::quant::Elem`]; int16 where int8 loses too much, TFLite's "16x8"
//! scheme: weights stay int8). A convolution gathers a tile of [`TILE_T`] frames of taps
//! into an i16 scratch and multiplies them with pair-interleaved weights, what 16-bit dual
//! multiply-accumulate instructions consume.
//!
//! Everything here is integer-only except [`quantize`] and [`dequantize`], which use plain
//! f32 multiplies and `libm::roundf` (no fused operations), so results are the same on
//! every target.

#![forbid(unsafe_code)]

use super::super::bytes::i32_at;
use super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::fixed::{multiply_by_quantized_multiplier, requantize};
use super::super::format::CO_BLOCK;
use super::super::quant::{load, store, Q, Requant};

/// Centres one input frame into i16: `dst[i] = src[i] − zp` (int16 inputs are
/// symmetric, zp = 0, so they fit).
pub fn widen(src: &[u8], xq: Q, dst: &mut [i16]) {
    for (i, d) in dst.iter_mut().enumerate() {
        *d = (load(src, i, xq.elem) - xq.zp) as i16;
    }
}

/// Fills the scratch rows for output frames `t0..t0 + TILE_T`: row r holds, for every
/// tap (k, ci), the centred input at frame (t0 + r)·stride + k·dilation − pad, or 0 where
/// that falls in the padding (the real value zero) or past the tile. `widen` centres one
/// input frame.
#[allow(clippy::too_many_arguments)]
pub fn gather(p: &ConvGeometry, xq: Q, x: &[u8], t_in: usize, t0: usize, t_out: usize, cols: &mut [i16], widen: impl Fn(&[u8], Q, &mut [i16])) {
    let taps = p.taps_padded();
    let row_bytes = p.cin * xq.elem.bytes();
    for r in 0..TILE_T {
        let row = &mut cols[r * taps..(r + 1) * taps];
        let t = t0 + r;
        if t >= t_out {
            row.fill(0);
            continue;
        }
        for k in 0..p.kernel {
            let seg = &mut row[k * p.cin..(k + 1) * p.cin];
            match p.source_frame(t, k, t_in) {
                Some(ti) => widen(&x[ti * row_bytes..(ti + 1) * row_bytes], xq, seg),
                None => seg.fill(0),
            }
        }
        row[p.kernel * p.cin..].fill(0);
    }
}

/// Accumulators of one block of [`CO_BLOCK`] outputs (`w`, packed) for the [`TILE_T`]
/// frames of `cols` (rows of `taps`).
pub fn block(w: &[i8], cols: &[i16], taps: usize, acc: &mut BlockAcc) {
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

/// Writes one block of accumulators (outputs `co0..co0 + CO_BLOCK` for the frames of the
/// tile at `t0`) with bias, requantisation and the clamp `lo..=hi`.
#[allow(clippy::too_many_arguments)]
pub fn requantize_block(p: &ConvGeometry, w: &ConvParams<'_>, acc: &BlockAcc, co0: usize, t0: usize, t_out: usize, yq: Q, lo: i32, hi: i32, y: &mut [u8]) {
    let n = CO_BLOCK.min(p.cout - co0);
    for j in 0..n {
        let (bias, m, s) = w.channel(co0 + j);
        for (r, a) in acc.iter().enumerate().take(t_out - t0) {
            store(y, (t0 + r) * p.cout + co0 + j, yq.elem, requantize(a[j].wrapping_add(bias), m, s, yq.zp, lo, hi));
        }
    }
}

/// Convolution: `x` is `t_in × cin`, `y` is `t_out × cout`; `cols` at least
/// [`ConvGeometry::scratch_len`] i16 of scratch.
#[allow(clippy::too_many_arguments)]
pub fn conv1d(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
    conv1d_with(p, w, xq, x, t_in, yq, relu, y, t_out, cols, |wb, cols, taps, _rows, acc| block(wb, cols, taps, acc), requantize_block);
}

/// What writes a block's accumulators ([`requantize_block`]'s arguments).
pub type RequantizeBlock = fn(&ConvGeometry, &ConvParams<'_>, &BlockAcc, usize, usize, usize, Q, i32, i32, &mut [u8]);

/// [`conv1d`] with another multiply-accumulate for a block, `block(weights, cols, taps,
/// rows, acc)`, where only the first `rows` rows of the tile hold frames (the others are
/// zero and must give zero sums), and another [`requantize_block`].
#[allow(clippy::too_many_arguments)]
pub fn conv1d_with(
    p: &ConvGeometry,
    w: &ConvParams<'_>,
    xq: Q,
    x: &[u8],
    t_in: usize,
    yq: Q,
    relu: bool,
    y: &mut [u8],
    t_out: usize,
    cols: &mut [i16],
    block: impl Fn(&[i8], &[i16], usize, usize, &mut BlockAcc),
    requantize: RequantizeBlock,
) {
    let taps = p.taps_padded();
    let cols = &mut cols[..TILE_T * taps];
    let block_bytes = taps * CO_BLOCK;
    let (lo, hi) = yq.clamp(relu);
    let mut acc = [[0i32; CO_BLOCK]; TILE_T];
    for t0 in (0..t_out).step_by(TILE_T) {
        gather(p, xq, x, t_in, t0, t_out, cols, widen);
        let rows = (t_out - t0).min(TILE_T);
        for (b, wb) in w.weights.chunks_exact(block_bytes.max(1)).enumerate() {
            block(wb, cols, taps, rows, &mut acc);
            requantize(p, w, &acc, b * CO_BLOCK, t0, t_out, yq, lo, hi, y);
        }
    }
}

/// Elementwise sum `out = a + b` with TFLite's rescaling: both centred inputs are shifted
/// left by `left_shift`, scaled to a common scale, added, and scaled to the output.
#[allow(clippy::too_many_arguments)]
pub fn add(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize) {
    let (lo, hi) = oq.clamp(relu);
    for i in 0..n {
        let sa = multiply_by_quantized_multiplier((load(a, i, aq.elem) - aq.zp) << left_shift, a_rq.multiplier, a_rq.shift);
        let sb = multiply_by_quantized_multiplier((load(b, i, bq.elem) - bq.zp) << left_shift, b_rq.multiplier, b_rq.shift);
        store(out, i, oq.elem, requantize(sa.wrapping_add(sb), out_rq.multiplier, out_rq.shift, oq.zp, lo, hi));
    }
}

/// Requantises `n` elements of `x` into `out`, clamped; with `None` the scales are equal
/// and values are only moved between the zero points and clamped.
pub fn rescale(xq: Q, x: &[u8], rq: Option<Requant>, oq: Q, relu: bool, out: &mut [u8], n: usize) {
    let (lo, hi) = oq.clamp(relu);
    match rq {
        None if xq == oq && !relu => out[..n * xq.elem.bytes()].copy_from_slice(&x[..n * xq.elem.bytes()]),
        None => {
            for i in 0..n {
                store(out, i, oq.elem, (load(x, i, xq.elem) - xq.zp + oq.zp).clamp(lo, hi));
            }
        }
        Some(r) => {
            for i in 0..n {
                store(out, i, oq.elem, requantize(load(x, i, xq.elem) - xq.zp, r.multiplier, r.shift, oq.zp, lo, hi));
            }
        }
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
