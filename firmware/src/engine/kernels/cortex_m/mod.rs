//! The Cortex-M DSP kernel set: convolutions with `SMLAD`, two 16 × 16 multiply-adds in
//! one instruction. The rest of the ops are [`reference`]'s.
//!
//! The blob packs a block's weights as (tap 2p, tap 2p + 1) byte pairs per output, so one
//! word holds two outputs' pairs: `SXTB16` and `SXTB16 ROR #8` widen it and two `PKH`
//! regroup it into one halfword pair per output. The tile's inputs sit in the scratch as
//! halfword pairs, pair-major (all frames of pair p, then pair p + 1), so the inner loop
//! keeps two outputs × three frames of accumulators in registers: per tap pair one weight
//! word, three input words and six `SMLAD`s, twelve multiply-adds.

mod dsp;

use super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::format::CO_BLOCK;
use super::super::quant::{load, Q};
use super::{reference, Kernels};
use dsp::{pkhbt, pkhtb, smlad, sxtb16, sxtb16_ror8};

/// Proof that this core runs the DSP extension (only [`Dsp::detect`] makes one).
#[derive(Clone, Copy, Debug)]
pub struct Dsp {
    _detected: (),
}

impl Dsp {
    /// The DSP extension. A Cortex-M's instruction set is fixed by the build target
    /// (thumbv7em: Cortex-M4 and M7; thumbv8m.main with the `dsp` feature: Cortex-M33 and
    /// M35P), and this set is only compiled there, so it is always present.
    pub fn detect() -> Option<Dsp> {
        Some(Dsp { _detected: () })
    }

    /// The DSP kernel set.
    pub fn kernels(self) -> Kernels {
        Kernels { name: "Cortex-M DSP", conv1d, add: reference::add, rescale: reference::rescale, quantize: reference::quantize, dequantize: reference::dequantize }
    }
}

/// Frames of a tile each pass of the inner loop covers: two outputs × three frames of
/// accumulators, three weight temporaries and three pointers fit the core's registers.
const ROWS: usize = 3;

/// Index in the scratch of tap `i` of tile row `r` (pair-major halfword pairs).
#[inline(always)]
fn slot(i: usize, r: usize) -> usize {
    2 * ((i >> 1) * TILE_T + r) + (i & 1)
}

/// [`reference::gather`] into the pair-major layout.
#[allow(clippy::too_many_arguments)]
fn gather(p: &ConvGeometry, xq: Q, x: &[u8], t_in: usize, t0: usize, t_out: usize, cols: &mut [i16]) {
    let taps = p.taps_padded();
    let row_bytes = p.cin * xq.elem.bytes();
    for r in 0..TILE_T {
        let t = t0 + r;
        if t >= t_out {
            (0..taps).for_each(|i| cols[slot(i, r)] = 0);
            continue;
        }
        for k in 0..p.kernel {
            let base = k * p.cin;
            match p.source_frame(t, k, t_in) {
                Some(ti) => {
                    let src = &x[ti * row_bytes..(ti + 1) * row_bytes];
                    (0..p.cin).for_each(|ci| cols[slot(base + ci, r)] = (load(src, ci, xq.elem) - xq.zp) as i16);
                }
                None => (0..p.cin).for_each(|ci| cols[slot(base + ci, r)] = 0),
            }
        }
        (p.kernel * p.cin..taps).for_each(|i| cols[slot(i, r)] = 0);
    }
}

/// Accumulators of outputs 2j and 2j + 1 of a block (`w`, packed) for `R` frames of
/// the tile from `r0`, as [out 2j, out 2j + 1] per frame.
#[inline(always)]
fn two_outputs<const R: usize>(w: &[i8], j: usize, cols: &[i16], r0: usize, pairs: usize) -> [[i32; 2]; R] {
    assert!(w.len() >= pairs * 2 * CO_BLOCK && 4 * j + 4 <= 2 * CO_BLOCK && cols.len() >= pairs * 2 * TILE_T && r0 + R <= TILE_T);
    let mut a = [[0i32; 2]; R];
    // SAFETY (both pointers): every word read below lies inside `w` and `cols` by the
    // assertion (word p·CO_BLOCK/2 + j of the block, word p·TILE_T + r0 + r of the
    // scratch); unaligned word reads are allowed on every core this set runs on.
    let mut wp = unsafe { w.as_ptr().add(4 * j) } as *const u32;
    let mut cp = unsafe { cols.as_ptr().add(2 * r0) } as *const u32;
    for _ in 0..pairs {
        let x = unsafe { wp.read_unaligned() };
        let (even, odd) = (sxtb16(x), sxtb16_ror8(x));
        let (w0, w1) = (pkhbt(even, odd), pkhtb(odd, even));
        for (r, ar) in a.iter_mut().enumerate() {
            let c = unsafe { cp.add(r).read_unaligned() };
            ar[0] = smlad(w0, c, ar[0]);
            ar[1] = smlad(w1, c, ar[1]);
        }
        // The next pair's words (read only while p < pairs).
        (wp, cp) = (wp.wrapping_add(CO_BLOCK / 2), cp.wrapping_add(TILE_T));
    }
    a
}

/// Accumulators of a whole block for the tile's `rows` frames.
fn block(wb: &[i8], cols: &[i16], pairs: usize, rows: usize, acc: &mut BlockAcc) {
    let mut keep = |r0: usize, j: usize, a: &[[i32; 2]]| {
        for (r, ar) in a.iter().enumerate() {
            acc[r0 + r][2 * j] = ar[0];
            acc[r0 + r][2 * j + 1] = ar[1];
        }
    };
    let mut r0 = 0;
    while r0 < rows {
        for j in 0..CO_BLOCK / 2 {
            if rows - r0 >= ROWS {
                keep(r0, j, &two_outputs::<ROWS>(wb, j, cols, r0, pairs));
            } else {
                keep(r0, j, &two_outputs::<2>(wb, j, cols, r0, pairs));
            }
        }
        r0 += ROWS;
    }
}

/// [`reference::conv1d`] with the DSP extension.
#[allow(clippy::too_many_arguments)]
fn conv1d(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
    let taps = p.taps_padded();
    let pairs = taps / 2;
    let cols = &mut cols[..TILE_T * taps];
    let block_bytes = taps * CO_BLOCK;
    let (lo, hi) = yq.clamp(relu);
    let mut acc: BlockAcc = [[0; CO_BLOCK]; TILE_T];
    for t0 in (0..t_out).step_by(TILE_T) {
        gather(p, xq, x, t_in, t0, t_out, cols);
        let rows = TILE_T.min(t_out - t0);
        for (b, wb) in w.weights.chunks_exact(block_bytes.max(1)).enumerate() {
            block(wb, cols, pairs, rows, &mut acc);
            reference::requantize_block(p, w, &acc, b * CO_BLOCK, t0, t_out, yq, lo, hi, y);
        }
    }
}
