//! The Cortex-M DSP kernel set: convolutions with `SMLAD`, two 16 × 16 multiply-adds in
//! one instruction; requantisation, sums and rescales with their constants prepared once
//! ([`requant`]). The rest of the ops are [`reference`]'s.
//!
//! The blob packs a block's weights as (tap 2p, tap 2p + 1) byte pairs per output, so one
//! word holds two outputs' pairs: `SXTB16` and `SXTB16 ROR #8` widen it and two `PKH`
//! regroup it into one halfword pair per output. The tile's inputs sit in the scratch as
//! halfword pairs, pair-major (all frames of pair p, then pair p + 1), so the inner loop
//! keeps two outputs × four frames of accumulators in registers: per tap pair one weight
//! word, four input words and eight `SMLAD`s, sixteen multiply-adds.

#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
mod dsp;
mod requant;

use super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::format::CO_BLOCK;
use super::super::quant::{load, Elem, Q};
use super::{reference, Kernels};
#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
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
        Kernels { name: "Cortex-M DSP", conv1d, add: requant::add, rescale: requant::rescale, quantize: reference::quantize, dequantize: reference::dequantize }
    }
}

/// Frames of a tile each pass of the inner loop covers: two outputs × four frames of
/// accumulators, three weight temporaries, two pointers and a count take all fourteen of
/// the core's general registers ([`quad`]).
const ROWS: usize = 4;

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
    // Every tap's segment starts on a pair when the inputs per tap are even.
    let pairwise = xq.elem == Elem::I16 && xq.zp == 0 && p.cin % 2 == 0;
    for r in 0..TILE_T {
        let t = t0 + r;
        if t >= t_out {
            (0..taps).for_each(|i| cols[slot(i, r)] = 0);
            continue;
        }
        for k in 0..p.kernel {
            let base = k * p.cin;
            match p.source_frame(t, k, t_in) {
                Some(ti) if pairwise => {
                    // Two int16 inputs (zero point 0) fill one halfword pair of the scratch,
                    // TILE_T pairs apart from one pair of taps to the next.
                    let src = &x[ti * row_bytes..(ti + 1) * row_bytes];
                    let dst = cols[slot(base, r)..].chunks_mut(2 * TILE_T);
                    for (d, s) in dst.zip(src.chunks_exact(4)) {
                        d[0] = i16::from_le_bytes([s[0], s[1]]);
                        d[1] = i16::from_le_bytes([s[2], s[3]]);
                    }
                }
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
/// the tile from `r0`, as [out 2j, out 2j + 1] per frame: the inner loop in Rust, what
/// [`quad`] does in assembly on the core itself.
#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
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

/// One pair of taps of [`quad`]: the weight word widened and regrouped into output 2j's
/// pair (lr) and output 2j + 1's (r12), then four frames' input words, each into two
/// accumulators (r4/r5 frame 0, r6/r7 frame 1, r8/r9 frame 2, r10/r11 frame 3).
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
macro_rules! pair_of_taps {
    () => {
        concat!(
            "ldr r3, [r0], #{wstride}\n",
            "sxtb16 r12, r3\n",
            "sxtb16 r3, r3, ror #8\n",
            "pkhbt lr, r12, r3, lsl #16\n",
            "pkhtb r12, r3, r12, asr #16\n",
            "ldr r3, [r1, #4]\n",
            "smlad r6, lr, r3, r6\n",
            "smlad r7, r12, r3, r7\n",
            "ldr r3, [r1, #8]\n",
            "smlad r8, lr, r3, r8\n",
            "smlad r9, r12, r3, r9\n",
            "ldr r3, [r1, #12]\n",
            "smlad r10, lr, r3, r10\n",
            "smlad r11, r12, r3, r11\n",
            "ldr r3, [r1], #{cstride}\n",
            "smlad r4, lr, r3, r4\n",
            "smlad r5, r12, r3, r5\n",
        )
    };
}

/// [`two_outputs`] for [`ROWS`] frames, in assembly: the compiler's version spills
/// accumulators to the stack at more than two frames. Per pair of taps one weight word
/// (two `SXTB16`, two `PKH`), four input words and eight `SMLAD`s: sixteen
/// multiply-adds in eighteen instructions with the loop's own, unrolled over two pairs.
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
#[inline(always)]
fn quad(w: &[i8], j: usize, cols: &[i16], r0: usize, pairs: usize) -> [[i32; 2]; ROWS] {
    assert!(pairs > 0 && w.len() >= pairs * 2 * CO_BLOCK && 4 * j + 4 <= 2 * CO_BLOCK && cols.len() >= pairs * 2 * TILE_T && r0 + ROWS <= TILE_T);
    let mut out = [[0i32; 2]; ROWS];
    // Weight words are CO_BLOCK/2 words apart from one pair of taps to the next, input
    // words TILE_T words apart; the loop reads `pairs` of each, inside the slices by the
    // assertion. r6, r7 (frame pointer) and r9 are not ours to allocate: they are saved
    // on the stack and restored, with the output's address, around the loop.
    // SAFETY: the reads are in bounds (above), the eight words written are `out`, the
    // stack is left as found, and the core has the DSP extension (this build's target).
    unsafe {
        core::arch::asm!(
            "push {{r6, r7, r9}}",
            "push {{r3}}",
            "movs r4, #0", "movs r5, #0", "movs r6, #0", "movs r7, #0",
            "mov r8, r4", "mov r9, r4", "mov r10, r4", "mov r11, r4",
            // pairs / 2 iterations of two pairs each, after one pair alone when odd.
            "lsrs r2, r2, #1",
            "bcc 3f",
            pair_of_taps!(),
            "3:",
            "cbz r2, 4f",
            "2:",
            pair_of_taps!(),
            pair_of_taps!(),
            "subs r2, r2, #1",
            "bne 2b",
            "4:",
            "pop {{r3}}",
            "stm r3, {{r4-r11}}",
            "pop {{r6, r7, r9}}",
            wstride = const 2 * CO_BLOCK,
            cstride = const 4 * TILE_T,
            inout("r0") w.as_ptr().add(4 * j) => _,
            inout("r1") cols.as_ptr().add(2 * r0) => _,
            inout("r2") pairs => _,
            inout("r3") out.as_mut_ptr() => _,
            out("r4") _, out("r5") _, out("r8") _, out("r10") _, out("r11") _, out("r12") _, out("lr") _,
        );
    }
    out
}

#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
#[inline(always)]
fn quad(w: &[i8], j: usize, cols: &[i16], r0: usize, pairs: usize) -> [[i32; 2]; ROWS] {
    two_outputs::<ROWS>(w, j, cols, r0, pairs)
}

/// Accumulators of a whole block for the tile's `rows` frames (a pass of [`ROWS`] frames
/// may run past them into the scratch's zeroed rows; those sums are not used).
fn block(wb: &[i8], cols: &[i16], pairs: usize, rows: usize, acc: &mut BlockAcc) {
    let mut r0 = 0;
    while r0 < rows {
        for j in 0..CO_BLOCK / 2 {
            let a = quad(wb, j, cols, r0, pairs);
            for (r, ar) in a.iter().enumerate() {
                acc[r0 + r][2 * j] = ar[0];
                acc[r0 + r][2 * j + 1] = ar[1];
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
            requant::requantize_block(p, w, &acc, b * CO_BLOCK, t0, t_out, yq, lo, hi, y);
        }
    }
}
