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
//!
//! Where a layer's outputs are int16 with fractional scales (every layer of the shipped
//! model), the eight accumulators are requantised before they leave the registers, five
//! instructions an element ([`requant::Fraction`]'s single `SMLAL`), and stored as four
//! words of output pairs. TFLite's int16 sums (one input halved) run in a loop of their
//! own with every constant in a register. Everything else the assembly does not cover goes
//! through [`requant`]'s plain Rust, and from there to the reference.

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

/// `acc + a · b` with a 64-bit accumulator, one `SMLAL`: written as Rust, the compiler may
/// widen a multiplier it knows is ≥ 0 without sign and spend three instructions.
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
#[inline(always)]
fn smlal(acc: i64, a: i32, b: i32) -> i64 {
    let (mut lo, mut hi) = (acc as u32, (acc >> 32) as u32);
    // SAFETY: register arithmetic only.
    unsafe { core::arch::asm!("smlal {lo}, {hi}, {a}, {b}", lo = inout(reg) lo, hi = inout(reg) hi, a = in(reg) a, b = in(reg) b, options(pure, nomem, nostack)) };
    ((hi as u64) << 32 | lo as u64) as i64
}

#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
#[inline(always)]
fn smlal(acc: i64, a: i32, b: i32) -> i64 {
    acc.wrapping_add(a as i64 * b as i64)
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
                    // Two pairs a step: their slots are 2·TILE_T and 4·TILE_T on.
                    let src = &x[ti * row_bytes..(ti + 1) * row_bytes];
                    let dst = &mut cols[slot(base, r)..];
                    let mut quads = src.chunks_exact(8);
                    let mut at = 0;
                    for s in &mut quads {
                        let d = &mut dst[at..at + 2 * TILE_T + 2];
                        d[0] = i16::from_le_bytes([s[0], s[1]]);
                        d[1] = i16::from_le_bytes([s[2], s[3]]);
                        d[2 * TILE_T] = i16::from_le_bytes([s[4], s[5]]);
                        d[2 * TILE_T + 1] = i16::from_le_bytes([s[6], s[7]]);
                        at += 4 * TILE_T;
                    }
                    if let [a, b, c, d] = *quads.remainder() {
                        dst[at] = i16::from_le_bytes([a, b]);
                        dst[at + 1] = i16::from_le_bytes([c, d]);
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

/// The accumulation both assembly kernels share, r0 (weights), r1 (inputs) and r2
/// (pairs) in and the accumulators in r4 to r11 out, r3 saved on the stack on top of r6,
/// r7 and r9: pairs / 4 passes of four pairs each, after one pair when the count is odd
/// and two when its second bit is set.
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
macro_rules! accumulate {
    () => {
        concat!(
            "push {{r6, r7, r9}}\n",
            "push {{r3}}\n",
            "movs r4, #0\n", "movs r5, #0\n", "movs r6, #0\n", "movs r7, #0\n",
            "mov r8, r4\n", "mov r9, r4\n", "mov r10, r4\n", "mov r11, r4\n",
            "lsrs r2, r2, #1\n",
            "bcc 3f\n",
            pair_of_taps!(),
            "3:\n",
            "lsrs r2, r2, #1\n",
            "bcc 5f\n",
            pair_of_taps!(),
            pair_of_taps!(),
            "5:\n",
            // Z from the second shift: no pass of four (the pairs leave the flags alone).
            "beq 4f\n",
            "2:\n",
            pair_of_taps!(),
            pair_of_taps!(),
            pair_of_taps!(),
            pair_of_taps!(),
            "subs r2, r2, #1\n",
            "bne 2b\n",
            "4:\n",
        )
    };
}

/// The `asm!` of a pass of [`accumulate`] for outputs 2j, 2j + 1 and frames r0.. of the
/// tile, followed by `$epilogue` (with r3, what `$r3` is, back in r3 after `pop {r3}`),
/// then r6, r7 and r9 restored.
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
macro_rules! accumulate_then {
    ($w:expr, $j:expr, $cols:expr, $r0:expr, $pairs:expr, $r3:expr, [$($epilogue:expr),* $(,)?]) => {
        core::arch::asm!(
            accumulate!(),
            $($epilogue,)*
            "pop {{r6, r7, r9}}",
            wstride = const 2 * CO_BLOCK,
            cstride = const 4 * TILE_T,
            inout("r0") $w.as_ptr().add(4 * $j) => _,
            inout("r1") $cols.as_ptr().add(2 * $r0) => _,
            inout("r2") $pairs => _,
            inout("r3") $r3 => _,
            out("r4") _, out("r5") _, out("r8") _, out("r10") _, out("r11") _, out("r12") _, out("lr") _,
        )
    };
}

/// [`two_outputs`] for [`ROWS`] frames, in assembly: the compiler's version spills
/// accumulators to the stack at more than two frames. Per pair of taps one weight word
/// (two `SXTB16`, two `PKH`), four input words and eight `SMLAD`s: sixteen
/// multiply-adds in about seventeen instructions with the loop's own ([`accumulate`]).
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
        accumulate_then!(w, j, cols, r0, pairs, out.as_mut_ptr(), ["pop {{r3}}", "stm r3, {{r4-r11}}"]);
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

/// [`quad`] with the outputs requantised ([`requant::Channel::output`]): per frame
/// one word, output 2j's int16 in the low half and 2j + 1's in the high.
#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn quad_requantized<const RELU: bool>(w: &[i8], j: usize, cols: &[i16], r0: usize, pairs: usize, ch: &[requant::Channel; 2], dst: &mut [u8], stride: usize) {
    assert!(dst.len() >= (ROWS - 1) * stride + 4);
    for (r, [a, b]) in two_outputs::<ROWS>(w, j, cols, r0, pairs).into_iter().enumerate() {
        let word = ch[0].output::<RELU>(a) as u16 as u32 | (ch[1].output::<RELU>(b) as u32) << 16;
        dst[r * stride..r * stride + 4].copy_from_slice(&word.to_le_bytes());
    }
}

/// The requantisation after [`quad`]'s loop for one output's four accumulators (`$v`
/// frame 0 to 3) with its [`requant::Channel`] in r0 (multiplier), r1 (the constant's
/// high word), r2 (shift) and r3 (bias), and r3, r12 free: [`requant::Fraction`] in five
/// instructions an element, then the clamp `$sat $v, $bits, $v` (`ssat` to 16 bits, or a
/// ReLU's `usat` to 15).
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
macro_rules! requantize_output {
    ($sat:literal, $bits:literal, $($v:literal),+) => {
        concat!(
            $("add ", $v, ", ", $v, ", r3\n",)+
            $(
                "and r3, ", $v, ", #0x80000000\n",
                // 2³⁰ less 2³¹ where v < 0, the borrow carried into the high word.
                "rsbs r3, r3, #0x40000000\n",
                "sbc r12, r1, #0\n",
                "smlal r3, r12, ", $v, ", r0\n",
                "asr ", $v, ", r12, r2\n",
                $sat, " ", $v, ", ", $bits, ", ", $v, "\n",
            )+
        )
    };
}

/// [`quad`] with the outputs requantised before they leave the registers, for output
/// channels 2j and 2j + 1 (`ch`): per frame one word of two int16, output 2j's low, at
/// `dst` and `stride` bytes apart.
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn quad_requantized<const RELU: bool>(w: &[i8], j: usize, cols: &[i16], r0: usize, pairs: usize, ch: &[requant::Channel; 2], dst: &mut [u8], stride: usize) {
    assert!(pairs > 0 && w.len() >= pairs * 2 * CO_BLOCK && 4 * j + 4 <= 2 * CO_BLOCK && cols.len() >= pairs * 2 * TILE_T && r0 + ROWS <= TILE_T);
    assert!(dst.len() >= (ROWS - 1) * stride + 4);
    /// What r3 points at: the channels' constants, where the outputs go.
    #[repr(C)]
    struct Io {
        channels: *const requant::Channel,
        dst: *mut u8,
        stride: usize,
    }
    let io = Io { channels: ch.as_ptr(), dst: dst.as_mut_ptr(), stride };
    macro_rules! with_clamp {
        ($sat:literal, $bits:literal) => {
            // SAFETY: as in `quad`; after the loop the two channels' 16-byte records are
            // read from `io.channels`, and the four words written lie in `dst` (asserted).
            unsafe {
                accumulate_then!(w, j, cols, r0, pairs, &io as *const Io, [
                    "ldr lr, [sp]",
                    "ldr lr, [lr]",
                    "ldm lr!, {{r0-r3}}",
                    requantize_output!($sat, $bits, "r4", "r6", "r8", "r10"),
                    "ldm lr, {{r0-r3}}",
                    requantize_output!($sat, $bits, "r5", "r7", "r9", "r11"),
                    "pkhbt r4, r4, r5, lsl #16",
                    "pkhbt r6, r6, r7, lsl #16",
                    "pkhbt r8, r8, r9, lsl #16",
                    "pkhbt r10, r10, r11, lsl #16",
                    "pop {{r3}}",
                    "ldrd r0, r1, [r3, #4]",
                    "str r4, [r0]",
                    "str r6, [r0, r1]",
                    "add r0, r0, r1, lsl #1",
                    "str r8, [r0]",
                    "str r10, [r0, r1]",
                ]);
            }
        };
    }
    if RELU {
        with_clamp!("usat", "#15")
    } else {
        with_clamp!("ssat", "#16")
    }
}

/// [`requant::add`] for a [`requant::HalvingSum`]: `out = halved + scaled` elementwise,
/// int16, with `RELU` clamped from zero up.
#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
fn halving_sum<const RELU: bool>(sum: &requant::HalvingSum, halved: &[u8], scaled: &[u8], out: &mut [u8]) {
    for ((o, x), y) in out.chunks_exact_mut(2).zip(halved.chunks_exact(2)).zip(scaled.chunks_exact(2)) {
        let (x, y) = (i16::from_le_bytes([x[0], x[1]]) as i32, i16::from_le_bytes([y[0], y[1]]) as i32);
        o.copy_from_slice(&(sum.output::<RELU>(x, y) as i16).to_le_bytes());
    }
}

/// [`requant::add`] for a [`requant::HalvingSum`] in assembly, seventeen instructions an
/// element with every constant in a register: the halved input is x << 14, folded into
/// the add; the scaled one's [`requant::Fraction`] of shift −1 has the constant
/// 2³⁰ + 2³¹ (less 2³¹ where negative) and no shift after; the output's, as in
/// [`requantize_output`].
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
fn halving_sum<const RELU: bool>(sum: &requant::HalvingSum, halved: &[u8], scaled: &[u8], out: &mut [u8]) {
    let n = out.len() / 2;
    assert!(halved.len() >= 2 * n && scaled.len() >= 2 * n);
    if n == 0 {
        return;
    }
    macro_rules! with_clamp {
        ($sat:literal, $bits:literal) => {
            // SAFETY: n halfwords are read from each input and written to `out`, all
            // inside the slices (asserted); registers only otherwise.
            unsafe {
                core::arch::asm!(
                    "2:",
                    "ldrsh {x}, [{a}], #2",
                    "ldrsh {y}, [{b}], #2",
                    "lsls {y}, {y}, #15",
                    "and {t}, {y}, #0x80000000",
                    "rsb {t}, {t}, #0xC0000000",
                    "mov.w {h}, #0",
                    "smlal {t}, {h}, {y}, {ms}",
                    "add {x}, {h}, {x}, lsl #14",
                    "and {t}, {x}, #0x80000000",
                    "rsbs {t}, {t}, #0x40000000",
                    "sbc {h}, {hi}, #0",
                    "smlal {t}, {h}, {x}, {m}",
                    "asr {h}, {h}, {s}",
                    concat!($sat, " {h}, ", $bits, ", {h}"),
                    "strh {h}, [{o}], #2",
                    "subs {n}, {n}, #1",
                    "bne 2b",
                    a = inout(reg) halved.as_ptr() => _,
                    b = inout(reg) scaled.as_ptr() => _,
                    o = inout(reg) out.as_mut_ptr() => _,
                    n = inout(reg) n => _,
                    ms = in(reg) sum.scaled,
                    m = in(reg) sum.multiplier,
                    hi = in(reg) sum.high,
                    s = in(reg) sum.shift,
                    x = out(reg) _,
                    y = out(reg) _,
                    t = out(reg) _,
                    h = out(reg) _,
                    options(nostack),
                );
            }
        };
    }
    if RELU {
        with_clamp!("usat", "#15")
    } else {
        with_clamp!("ssat", "#16")
    }
}

/// A whole block for the tile's `rows` frames, requantised in each pass of
/// [`quad_requantized`]: `out` is the output from the tile's first frame (`row_bytes` a
/// frame), the block's channels from byte `col`.
#[allow(clippy::too_many_arguments)]
fn block_into<const RELU: bool>(wb: &[i8], cols: &[i16], pairs: usize, rows: usize, ch: &requant::Channels, out: &mut [u8], row_bytes: usize, col: usize) {
    let mut r0 = 0;
    while r0 < rows {
        let live = ROWS.min(rows - r0);
        for j in 0..ch.n.div_ceil(2) {
            let pair = ch.channel[2 * j..2 * j + 2].try_into().expect("two channels");
            let at = r0 * row_bytes + col + 4 * j;
            if live == ROWS && 2 * j + 1 < ch.n {
                // Four frames of both outputs: straight into the tensor.
                quad_requantized::<RELU>(wb, j, cols, r0, pairs, pair, &mut out[at..], row_bytes);
                continue;
            }
            let mut words = [0u8; 4 * ROWS];
            quad_requantized::<RELU>(wb, j, cols, r0, pairs, pair, &mut words, 4);
            let bytes = if 2 * j + 1 < ch.n { 4 } else { 2 };
            for (r, word) in words.chunks_exact(4).enumerate().take(live) {
                let o = at + r * row_bytes;
                out[o..o + bytes].copy_from_slice(&word[..bytes]);
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
    let mut ch = requant::Channels::new();
    for t0 in (0..t_out).step_by(TILE_T) {
        gather(p, xq, x, t_in, t0, t_out, cols);
        let rows = TILE_T.min(t_out - t0);
        let row_bytes = p.cout * 2;
        for (b, wb) in w.weights.chunks_exact(block_bytes.max(1)).enumerate() {
            let co0 = b * CO_BLOCK;
            // int16 outputs with every channel's scale a fraction: requantised in the
            // pass; anything else through the block's accumulators.
            match requant::int16_relu(yq, lo, hi) {
                Some(relu) if ch.set(p, w, co0) => {
                    let out = &mut y[t0 * row_bytes..];
                    match relu {
                        true => block_into::<true>(wb, cols, pairs, rows, &ch, out, row_bytes, 2 * co0),
                        false => block_into::<false>(wb, cols, pairs, rows, &ch, out, row_bytes, 2 * co0),
                    }
                }
                _ => {
                    block(wb, cols, pairs, rows, &mut acc);
                    requant::requantize_block(p, w, &acc, co0, t0, t_out, yq, lo, hi, y);
                }
            }
        }
    }
}
