//! The x86-64 kernel sets: AVX2, and AVX-512 with VNNI (`vpdpwssd`) for the convolutions.
//! A set is reached only through its table ([`Avx2::kernels`], [`Avx512::kernels`]),
//! which takes a token that only detection creates, so no safe path runs an instruction
//! the CPU lacks. Every function mirrors one in [`super::reference`] and is
//! integer-exact, so the sets give identical results (checked by tests).

#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::format::{CO_BLOCK, MAX_KERNEL};
use super::super::quant::{Elem, Q, Requant};
use super::{reference, Kernels};

/// Proof that this CPU runs AVX2 (only [`Avx2::detect`] makes one).
#[derive(Clone, Copy, Debug)]
pub struct Avx2 {
    _detected: (),
}

impl Avx2 {
    /// AVX2, if this CPU has it (asked at run time with `std`; without `std`, what the
    /// build enables).
    pub fn detect() -> Option<Avx2> {
        #[cfg(feature = "std")]
        let found = std::is_x86_feature_detected!("avx2");
        #[cfg(not(feature = "std"))]
        let found = cfg!(target_feature = "avx2");
        found.then_some(Avx2 { _detected: () })
    }

    /// The AVX2 kernel set.
    pub fn kernels(self) -> Kernels {
        Kernels {
            name: "x86-64 AVX2",
            conv1d: conv1d_avx2,
            add: add_avx2,
            rescale: rescale_avx2,
            quantize: reference::quantize,
            dequantize: reference::dequantize,
        }
    }
}

/// Proof that this CPU runs AVX2 and AVX-512 F, BW, VL and VNNI (only [`Avx512::detect`]
/// makes one).
#[derive(Clone, Copy, Debug)]
pub struct Avx512 {
    _detected: (),
}

impl Avx512 {
    /// AVX-512 with VNNI (and AVX2), if this CPU has them.
    pub fn detect() -> Option<Avx512> {
        #[cfg(feature = "std")]
        let found = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512vnni");
        #[cfg(not(feature = "std"))]
        let found = cfg!(all(target_feature = "avx512f", target_feature = "avx512bw", target_feature = "avx512vl", target_feature = "avx512vnni"));
        Avx2::detect().filter(|_| found).map(|_| Avx512 { _detected: () })
    }

    /// The AVX-512 VNNI kernel set.
    pub fn kernels(self) -> Kernels {
        Kernels {
            name: "x86-64 AVX-512 VNNI",
            conv1d: conv1d_avx512,
            add: add_avx512,
            rescale: rescale_avx512,
            quantize: quantize_avx512,
            dequantize: dequantize_avx512,
        }
    }
}

/// Which of the two sets a shared driver runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Width {
    Avx2,
    Avx512,
}

// The safe entry points below are private: only the tables above hold them, and a table
// needs a token, so each runs only where detection found its instructions.

#[allow(clippy::too_many_arguments)]
fn conv1d_avx2(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
    // SAFETY: reached only through `Avx2::kernels`: AVX2 is available.
    unsafe { conv1d(p, w, xq, x, t_in, yq, relu, y, t_out, cols) }
}

#[allow(clippy::too_many_arguments)]
fn conv1d_avx512(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
    // SAFETY: reached only through `Avx512::kernels`: AVX2 and AVX-512 VNNI are available.
    unsafe { conv1d_vnni(p, w, xq, x, t_in, yq, relu, y, t_out, cols) }
}

#[allow(clippy::too_many_arguments)]
fn add_avx2(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize) {
    // SAFETY: reached only through `Avx2::kernels`.
    unsafe { add_x86(Width::Avx2, aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, relu, out, n) }
}

#[allow(clippy::too_many_arguments)]
fn add_avx512(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize) {
    // SAFETY: reached only through `Avx512::kernels`.
    unsafe { add_x86(Width::Avx512, aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, relu, out, n) }
}

fn rescale_avx2(xq: Q, x: &[u8], rq: Option<Requant>, oq: Q, relu: bool, out: &mut [u8], n: usize) {
    // SAFETY: reached only through `Avx2::kernels`.
    unsafe { rescale_x86(Width::Avx2, xq, x, rq, oq, relu, out, n) }
}

fn rescale_avx512(xq: Q, x: &[u8], rq: Option<Requant>, oq: Q, relu: bool, out: &mut [u8], n: usize) {
    // SAFETY: reached only through `Avx512::kernels`.
    unsafe { rescale_x86(Width::Avx512, xq, x, rq, oq, relu, out, n) }
}

fn quantize_avx512(src: &[f32], channels: usize, frames: usize, factor: f32, oq: Q, out: &mut [u8]) {
    // SAFETY: reached only through `Avx512::kernels`.
    unsafe { quantize512(src, channels, frames, factor, oq, out) }
}

fn dequantize_avx512(xq: Q, x: &[u8], channels: usize, frames: usize, factor: f32, out: &mut [f32]) {
    // SAFETY: reached only through `Avx512::kernels`.
    unsafe { dequantize512(xq, x, channels, frames, factor, out) }
}

/// [`reference::conv1d`] with AVX2, one block of outputs at a time.
///
/// # Safety
/// AVX2 must be available.
#[allow(clippy::too_many_arguments)]
unsafe fn conv1d(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let taps = p.taps_padded();
        let cols = &mut cols[..TILE_T * taps];
        let block_bytes = taps * CO_BLOCK;
        let (lo, hi) = yq.clamp(relu);
        let mut acc = [[0i32; CO_BLOCK]; TILE_T];
        for t0 in (0..t_out).step_by(TILE_T) {
            gather_tile(p, xq, x, t_in, t0, t_out, cols);
            for (b, wb) in w.weights.chunks_exact(block_bytes.max(1)).enumerate() {
                block(wb, cols, taps, &mut acc);
                requantize_block(p, w, &acc, b * CO_BLOCK, t0, t_out, yq, lo, hi, y);
            }
        }
    }
}

/// [`reference::gather`] with [`widen`] doing sixteen elements at a time.
///
/// # Safety
/// AVX2 must be available.
#[allow(clippy::too_many_arguments)]
unsafe fn gather_tile(p: &ConvGeometry, xq: Q, x: &[u8], t_in: usize, t0: usize, t_out: usize, cols: &mut [i16]) {
    let widen_avx2 = |src: &[u8], xq: Q, dst: &mut [i16]| {
        // SAFETY: AVX2 is available (this function's contract).
        let done = unsafe { widen(src, xq, dst) };
        reference::widen(&src[done * xq.elem.bytes()..], xq, &mut dst[done..]);
    };
    reference::gather(p, xq, x, t_in, t0, t_out, cols, widen_avx2);
}

/// [`reference::requantize_block`] eight outputs at a time.
///
/// # Safety
/// AVX2 must be available.
#[allow(clippy::too_many_arguments)]
unsafe fn requantize_block(p: &ConvGeometry, w: &ConvParams<'_>, acc: &BlockAcc, co0: usize, t0: usize, t_out: usize, yq: Q, lo: i32, hi: i32, y: &mut [u8]) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let bytes = yq.elem.bytes();
        for (r, a) in acc.iter().enumerate().take(t_out - t0) {
            let base = (t0 + r) * p.cout;
            if co0 + CO_BLOCK <= p.cout {
                let out = &mut y[(base + co0) * bytes..(base + co0 + CO_BLOCK) * bytes];
                // A whole block of outputs and parameters.
                requantize8(a, w.bias, w.multipliers, w.shifts, 4 * co0, yq, lo, hi, out);
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
                requantize8(a, &pad(w.bias), &pad(w.multipliers), &pad(w.shifts), 0, yq, lo, hi, &mut tmp[..CO_BLOCK * bytes]);
                y[(base + co0) * bytes..(base + p.cout) * bytes].copy_from_slice(&tmp[..n * bytes]);
            }
        }
    }
}

/// [`reference::add`], sixteen (AVX-512) then eight (AVX2) lanes at a time.
///
/// # Safety
/// As [`conv1d`].
#[allow(clippy::too_many_arguments)]
unsafe fn add_x86(width: Width, aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let (lo, hi) = oq.clamp(relu);
        let mut done = 0;
        if width == Width::Avx512 {
            done = add512(aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, lo, hi, out, n);
        }
        let (ab, bb, ob) = (aq.elem.bytes(), bq.elem.bytes(), oq.elem.bytes());
        done += add(aq, &a[done * ab..], a_rq, bq, &b[done * bb..], b_rq, left_shift, oq, out_rq, lo, hi, &mut out[done * ob..], n - done);
        reference::add(aq, &a[done * ab..], a_rq, bq, &b[done * bb..], b_rq, left_shift, oq, out_rq, relu, &mut out[done * ob..], n - done);
    }
}

/// [`reference::rescale`], sixteen (AVX-512) then eight (AVX2) lanes at a time.
///
/// # Safety
/// As [`conv1d`].
#[allow(clippy::too_many_arguments)]
unsafe fn rescale_x86(width: Width, xq: Q, x: &[u8], rq: Option<Requant>, oq: Q, relu: bool, out: &mut [u8], n: usize) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let Some(r) = rq else { return reference::rescale(xq, x, rq, oq, relu, out, n) };
        let (lo, hi) = oq.clamp(relu);
        let mut done = 0;
        if width == Width::Avx512 {
            done = rescale512(xq, x, r, oq, lo, hi, out, n);
        }
        let (xb, ob) = (xq.elem.bytes(), oq.elem.bytes());
        done += rescale(xq, &x[done * xb..], r, oq, lo, hi, &mut out[done * ob..], n - done);
        reference::rescale(xq, &x[done * xb..], rq, oq, relu, &mut out[done * ob..], n - done);
    }
}

/// Accumulators of one block of eight outputs over the frames of a tile, with
/// `vpmaddwd` doing a tap pair for eight outputs at once. Mirrors [`reference::block`].
///
/// # Safety
/// AVX2 must be available; `w` holds whole blocks of 16 bytes per tap pair and every row
/// of `cols` holds `taps` ≥ 2 × pairs entries.
#[target_feature(enable = "avx2")]
unsafe fn block(w: &[i8], cols: &[i16], taps: usize, acc: &mut BlockAcc) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let pairs = w.len() / (2 * CO_BLOCK);
        assert!(cols.len() >= TILE_T * taps && 2 * pairs <= taps);
        let mut a = [_mm256_setzero_si256(); TILE_T];
        let wp = w.as_ptr();
        let cp = cols.as_ptr();
        for p in 0..pairs {
            // In bounds by the assertion above.
            let wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(wp.add(p * 2 * CO_BLOCK) as *const __m128i));
            for (r, ar) in a.iter_mut().enumerate() {
                let pair = core::ptr::read_unaligned(cp.add(r * taps + 2 * p) as *const i32);
                *ar = _mm256_add_epi32(*ar, _mm256_madd_epi16(wv, _mm256_set1_epi32(pair)));
            }
        }
        for (r, ar) in a.iter().enumerate() {
            _mm256_storeu_si256(acc[r].as_mut_ptr() as *mut __m256i, *ar);
        }
    }
}

/// `multiply_by_quantized_multiplier` on eight lanes, with per-lane multiplier and shift.
/// Multipliers must not be `i32::MIN` (the loader refuses them), so the doubling high
/// multiply never saturates and equals ⌊(a·b + 2³⁰) / 2³¹⌋.
///
/// # Safety
/// AVX2 must be available.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn mbqm(x: __m256i, m: __m256i, shift: __m256i) -> __m256i {
    let zero = _mm256_setzero_si256();
    let left = _mm256_max_epi32(shift, zero);
    let right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
    let x = _mm256_sllv_epi32(x, left);
    // 64-bit products of the even lanes, then of the odd lanes.
    let nudge = _mm256_set1_epi64x(1 << 30);
    let even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), nudge), 31);
    let odd = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), nudge), 31);
    let high = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0b1010_1010);
    // Rounding division by 2^right, ties away from zero.
    let one = _mm256_set1_epi32(1);
    let mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    let remainder = _mm256_and_si256(high, mask);
    let negative = _mm256_cmpgt_epi32(zero, high); // -1 where negative
    let threshold = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), negative);
    let up = _mm256_cmpgt_epi32(remainder, threshold); // -1 where rounding up
    _mm256_sub_epi32(_mm256_srav_epi32(high, right), up)
}

/// Eight elements of `e` from `b` at element index `i`, widened to i32.
///
/// # Safety
/// AVX2; `b` holds elements `i..i + 8`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load8(b: &[u8], i: usize, e: Elem) -> __m256i {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        match e {
            Elem::I8 => {
                assert!(b.len() >= i + 8);
                _mm256_cvtepi8_epi32(_mm_loadl_epi64(b.as_ptr().add(i) as *const __m128i))
            }
            Elem::I16 => {
                assert!(b.len() >= 2 * (i + 8));
                _mm256_cvtepi16_epi32(_mm_loadu_si128(b.as_ptr().add(2 * i) as *const __m128i))
            }
        }
    }
}

/// Stores eight in-range lanes as elements `i..i + 8` of `b` (narrowing with saturating
/// packs, exact for values already clamped to the element's range).
///
/// # Safety
/// AVX2; `b` holds elements `i..i + 8`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn store8(b: &mut [u8], i: usize, e: Elem, v: __m256i) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        // [a0..a3 a0..a3 | a4..a7 a4..a7] as i16, then gather the two useful quarters.
        let w = _mm256_permute4x64_epi64(_mm256_packs_epi32(v, v), 0b1000);
        match e {
            Elem::I8 => {
                let dst = &mut b[i..i + 8];
                let bytes = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_castsi256_si128(w));
                _mm_storel_epi64(dst.as_mut_ptr() as *mut __m128i, bytes);
            }
            Elem::I16 => {
                let dst = &mut b[2 * i..2 * i + 16];
                _mm_storeu_si128(dst.as_mut_ptr() as *mut __m128i, _mm256_castsi256_si128(w));
            }
        }
    }
}

/// Requantises eight accumulators (plus bias) into eight outputs of `oq` (`out` holds
/// exactly those eight).
///
/// # Safety
/// AVX2 must be available; `bias`, `multipliers` and `shifts` hold at least 32 bytes from
/// `at`.
#[inline]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn requantize8(acc: &[i32; CO_BLOCK], bias: &[u8], multipliers: &[u8], shifts: &[u8], at: usize, oq: Q, lo: i32, hi: i32, out: &mut [u8]) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        assert!(bias.len() >= at + 32 && multipliers.len() >= at + 32 && shifts.len() >= at + 32);
        let load = |b: &[u8]| _mm256_loadu_si256(b.as_ptr().add(at) as *const __m256i);
        let a = _mm256_add_epi32(_mm256_loadu_si256(acc.as_ptr() as *const __m256i), load(bias));
        let v = _mm256_add_epi32(mbqm(a, load(multipliers), load(shifts)), _mm256_set1_epi32(oq.zp));
        let v = _mm256_min_epi32(_mm256_max_epi32(v, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
        store8(out, 0, oq.elem, v);
    }
}

/// [`reference::add`] eight lanes at a time over the first `n` elements; returns how many
/// leading elements it handled (the caller finishes the tail).
///
/// # Safety
/// AVX2 must be available; the buffers hold `n` elements.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn add(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, lo: i32, hi: i32, out: &mut [u8], n: usize) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let n8 = n / 8 * 8;
        let set = _mm256_set1_epi32;
        let (am, as_, bm, bs, om, os) = (set(a_rq.multiplier), set(a_rq.shift), set(b_rq.multiplier), set(b_rq.shift), set(out_rq.multiplier), set(out_rq.shift));
        let (azp, bzp, ozp) = (set(aq.zp), set(bq.zp), set(oq.zp));
        let shift = _mm_cvtsi32_si128(left_shift);
        let (vlo, vhi) = (set(lo), set(hi));
        let mut i = 0;
        while i < n8 {
            let sa = mbqm(_mm256_sll_epi32(_mm256_sub_epi32(load8(a, i, aq.elem), azp), shift), am, as_);
            let sb = mbqm(_mm256_sll_epi32(_mm256_sub_epi32(load8(b, i, bq.elem), bzp), shift), bm, bs);
            let v = _mm256_add_epi32(mbqm(_mm256_add_epi32(sa, sb), om, os), ozp);
            store8(out, i, oq.elem, _mm256_min_epi32(_mm256_max_epi32(v, vlo), vhi));
            i += 8;
        }
        n8
    }
}

/// [`reference::rescale`] with a requantisation, eight lanes at a time over the first `n`
/// elements; returns how many leading elements it handled.
///
/// # Safety
/// AVX2 must be available; the buffers hold `n` elements.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn rescale(xq: Q, x: &[u8], rq: Requant, oq: Q, lo: i32, hi: i32, out: &mut [u8], n: usize) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let n8 = n / 8 * 8;
        let set = _mm256_set1_epi32;
        let (vm, vs, izp, ozp, vlo, vhi) = (set(rq.multiplier), set(rq.shift), set(xq.zp), set(oq.zp), set(lo), set(hi));
        let mut i = 0;
        while i < n8 {
            let v = _mm256_add_epi32(mbqm(_mm256_sub_epi32(load8(x, i, xq.elem), izp), vm, vs), ozp);
            store8(out, i, oq.elem, _mm256_min_epi32(_mm256_max_epi32(v, vlo), vhi));
            i += 8;
        }
        n8
    }
}

/// [`reference::widen`] sixteen elements at a time; returns how many leading elements it
/// handled.
///
/// # Safety
/// AVX2 must be available; `src` holds `dst.len()` elements.
#[target_feature(enable = "avx2")]
unsafe fn widen(src: &[u8], xq: Q, dst: &mut [i16]) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let n16 = dst.len() / 16 * 16;
        assert!(src.len() >= dst.len() * xq.elem.bytes());
        let zp = _mm256_set1_epi16(xq.zp as i16);
        let mut i = 0;
        while i < n16 {
            // In bounds by the assertion: elements i..i + 16 of both.
            let v = match xq.elem {
                Elem::I8 => _mm256_cvtepi8_epi16(_mm_loadu_si128(src.as_ptr().add(i) as *const __m128i)),
                Elem::I16 => _mm256_loadu_si256(src.as_ptr().add(2 * i) as *const __m256i),
            };
            // x − zp fits in i16 (|x − zp| ≤ 255 for int8; zp = 0 for int16).
            _mm256_storeu_si256(dst.as_mut_ptr().add(i) as *mut __m256i, _mm256_sub_epi16(v, zp));
            i += 16;
        }
        n16
    }
}

/// `multiply_by_quantized_multiplier` on sixteen lanes (AVX-512); see [`mbqm`].
///
/// # Safety
/// AVX-512 F must be available.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn mbqm16(x: __m512i, m: __m512i, shift: __m512i) -> __m512i {
    let zero = _mm512_setzero_si512();
    let left = _mm512_max_epi32(shift, zero);
    let right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
    let x = _mm512_sllv_epi32(x, left);
    let nudge = _mm512_set1_epi64(1 << 30);
    let even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, m), nudge), 31);
    let odd = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32)), nudge), 31);
    let high = _mm512_mask_blend_epi32(0b1010_1010_1010_1010, even, _mm512_slli_epi64(odd, 32));
    let one = _mm512_set1_epi32(1);
    let mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    let remainder = _mm512_and_si512(high, mask);
    let negative = _mm512_cmplt_epi32_mask(high, zero);
    let threshold = _mm512_mask_add_epi32(_mm512_srai_epi32(mask, 1), negative, _mm512_srai_epi32(mask, 1), one);
    let up = _mm512_cmpgt_epi32_mask(remainder, threshold);
    _mm512_mask_add_epi32(_mm512_srav_epi32(high, right), up, _mm512_srav_epi32(high, right), one)
}

/// Sixteen elements of `e` from `b` at element index `i`, widened to i32.
///
/// # Safety
/// AVX-512 F/BW; `b` holds elements `i..i + 16`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn load16(b: &[u8], i: usize, e: Elem) -> __m512i {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        match e {
            Elem::I8 => {
                assert!(b.len() >= i + 16);
                _mm512_cvtepi8_epi32(_mm_loadu_si128(b.as_ptr().add(i) as *const __m128i))
            }
            Elem::I16 => {
                assert!(b.len() >= 2 * (i + 16));
                _mm512_cvtepi16_epi32(_mm256_loadu_si256(b.as_ptr().add(2 * i) as *const __m256i))
            }
        }
    }
}

/// Stores sixteen in-range lanes as elements `i..i + 16` of `b`.
///
/// # Safety
/// AVX-512 F/BW; `b` holds elements `i..i + 16`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn store16(b: &mut [u8], i: usize, e: Elem, v: __m512i) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        match e {
            Elem::I8 => {
                let dst = &mut b[i..i + 16];
                _mm_storeu_si128(dst.as_mut_ptr() as *mut __m128i, _mm512_cvtepi32_epi8(v));
            }
            Elem::I16 => {
                let dst = &mut b[2 * i..2 * i + 32];
                _mm256_storeu_si256(dst.as_mut_ptr() as *mut __m256i, _mm512_cvtepi32_epi16(v));
            }
        }
    }
}

/// `multiply_by_quantized_multiplier` on sixteen lanes by one multiplier and shift (what
/// the elementwise ops use): [`mbqm16`] with the shift's parts worked out once, and the
/// rounding division left out when there is no right shift (`ROUND` false).
#[derive(Clone, Copy)]
struct Uniform {
    multiplier: __m512i,
    left: __m128i,
    right: __m128i,
    mask: __m512i,
    half: __m512i,
}

impl Uniform {
    /// # Safety
    /// AVX-512 F must be available.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn new(rq: Requant) -> Uniform {
        let (left, right) = (rq.shift.max(0), (-rq.shift).max(0));
        let mask = ((1i64 << right.min(31)) - 1) as i32;
        Uniform {
            multiplier: _mm512_set1_epi32(rq.multiplier),
            left: _mm_cvtsi32_si128(left),
            right: _mm_cvtsi32_si128(right),
            mask: _mm512_set1_epi32(mask),
            half: _mm512_set1_epi32(mask >> 1),
        }
    }

    /// Whether the shift divides (the `ROUND` to use).
    fn rounds(rq: Requant) -> bool {
        rq.shift < 0
    }

    /// # Safety
    /// AVX-512 F must be available.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn apply<const ROUND: bool>(&self, x: __m512i) -> __m512i {
        let x = _mm512_sll_epi32(x, self.left);
        // Doubling high multiply: bits 31..62 of x·m + 2³⁰, even lanes then odd lanes.
        let nudge = _mm512_set1_epi64(1 << 30);
        let even = _mm512_add_epi64(_mm512_mul_epi32(x, self.multiplier), nudge);
        let odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64::<32>(x), self.multiplier), nudge);
        let high = _mm512_mask_blend_epi32(0b1010_1010_1010_1010, _mm512_srli_epi64::<31>(even), _mm512_slli_epi64::<1>(odd));
        if !ROUND {
            return high;
        }
        // Rounding division by 2^right, ties away from zero.
        let one = _mm512_set1_epi32(1);
        let remainder = _mm512_and_si512(high, self.mask);
        let negative = _mm512_cmplt_epi32_mask(high, _mm512_setzero_si512());
        let threshold = _mm512_mask_add_epi32(self.half, negative, self.half, one);
        let up = _mm512_cmpgt_epi32_mask(remainder, threshold);
        let shifted = _mm512_sra_epi32(high, self.right);
        _mm512_mask_add_epi32(shifted, up, shifted, one)
    }
}

/// [`add`] sixteen lanes at a time with AVX-512; returns how many leading elements it
/// handled.
///
/// # Safety
/// AVX-512 F/BW must be available; the buffers hold `n` elements.
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(clippy::too_many_arguments)]
unsafe fn add512(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, lo: i32, hi: i32, out: &mut [u8], n: usize) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let (ra, rb, ro) = (Uniform::rounds(a_rq), Uniform::rounds(b_rq), Uniform::rounds(out_rq));
        let ops = (aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, lo, hi, out, n);
        match (ra, rb, ro) {
            (false, false, false) => add512_with::<false, false, false>(ops),
            (false, false, true) => add512_with::<false, false, true>(ops),
            (false, true, false) => add512_with::<false, true, false>(ops),
            (false, true, true) => add512_with::<false, true, true>(ops),
            (true, false, false) => add512_with::<true, false, false>(ops),
            (true, false, true) => add512_with::<true, false, true>(ops),
            (true, true, false) => add512_with::<true, true, false>(ops),
            (true, true, true) => add512_with::<true, true, true>(ops),
        }
    }
}

/// The arguments of [`add512`].
type AddArgs<'a> = (Q, &'a [u8], Requant, Q, &'a [u8], Requant, i32, Q, Requant, i32, i32, &'a mut [u8], usize);

/// [`add512`] with the rounding of each requantisation known (see [`Uniform`]).
///
/// # Safety
/// As [`add512`].
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn add512_with<const RA: bool, const RB: bool, const RO: bool>((aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, lo, hi, out, n): AddArgs<'_>) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let n16 = n / 16 * 16;
        let set = _mm512_set1_epi32;
        let (ma, mb, mo) = (Uniform::new(a_rq), Uniform::new(b_rq), Uniform::new(out_rq));
        let (azp, bzp, ozp) = (set(aq.zp), set(bq.zp), set(oq.zp));
        let shift = _mm_cvtsi32_si128(left_shift);
        let (vlo, vhi) = (set(lo), set(hi));
        let mut i = 0;
        while i < n16 {
            let sa = ma.apply::<RA>(_mm512_sll_epi32(_mm512_sub_epi32(load16(a, i, aq.elem), azp), shift));
            let sb = mb.apply::<RB>(_mm512_sll_epi32(_mm512_sub_epi32(load16(b, i, bq.elem), bzp), shift));
            let v = _mm512_add_epi32(mo.apply::<RO>(_mm512_add_epi32(sa, sb)), ozp);
            store16(out, i, oq.elem, _mm512_min_epi32(_mm512_max_epi32(v, vlo), vhi));
            i += 16;
        }
        n16
    }
}

/// [`rescale`] sixteen lanes at a time with AVX-512; returns how many leading elements it
/// handled.
///
/// # Safety
/// AVX-512 F/BW must be available; the buffers hold `n` elements.
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(clippy::too_many_arguments)]
unsafe fn rescale512(xq: Q, x: &[u8], rq: Requant, oq: Q, lo: i32, hi: i32, out: &mut [u8], n: usize) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        if Uniform::rounds(rq) {
            rescale512_with::<true>(xq, x, rq, oq, lo, hi, out, n)
        } else {
            rescale512_with::<false>(xq, x, rq, oq, lo, hi, out, n)
        }
    }
}

/// [`rescale512`] with the rounding known (see [`Uniform`]).
///
/// # Safety
/// As [`rescale512`].
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(clippy::too_many_arguments)]
unsafe fn rescale512_with<const ROUND: bool>(xq: Q, x: &[u8], rq: Requant, oq: Q, lo: i32, hi: i32, out: &mut [u8], n: usize) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let n16 = n / 16 * 16;
        let set = _mm512_set1_epi32;
        let m = Uniform::new(rq);
        let (izp, ozp, vlo, vhi) = (set(xq.zp), set(oq.zp), set(lo), set(hi));
        let mut i = 0;
        while i < n16 {
            let v = _mm512_add_epi32(m.apply::<ROUND>(_mm512_sub_epi32(load16(x, i, xq.elem), izp)), ozp);
            store16(out, i, oq.elem, _mm512_min_epi32(_mm512_max_epi32(v, vlo), vhi));
            i += 16;
        }
        n16
    }
}

/// Zeros the in-place convolution path points at for taps in the padding.
static ZERO_FRAME: [i16; ZERO_FRAME_LEN] = [0; ZERO_FRAME_LEN];
const ZERO_FRAME_LEN: usize = 1024;

/// One kernel tap's inputs for the frames of a tile: `rows[r]` points at the first
/// element that output frame r reads for it (or at [`ZERO_FRAME`] in the padding), and
/// `pairs` tap pairs from weight pair `first_pair` on are read from there; with `odd`,
/// one more element follows, paired with a padding tap (whatever its weight).
#[derive(Clone, Copy)]
struct Segment {
    rows: [*const i16; TILE_T],
    pairs: usize,
    first_pair: usize,
    odd: bool,
}

/// [`reference::conv1d`] with AVX-512 VNNI: each `vpdpwssd` multiplies a tap pair for
/// sixteen outputs (two packed blocks) of one frame and adds. A tile of frames is
/// multiplied with up to four blocks (thirty-two outputs) at a time, each broadcast of a
/// tap pair used twice, and the accumulators are requantised in registers. An int16 input
/// whose tap pairs are neighbours in memory (even width, or a one-tap kernel) is read in
/// place, padding from a row of zeros; other tiles are gathered into `cols` first as the
/// reference does.
///
/// # Safety
/// AVX2 and AVX-512 F/BW/VNNI must be available.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vnni")]
unsafe fn conv1d_vnni(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let taps = p.taps_padded();
        let block_bytes = taps * CO_BLOCK;
        let blocks = p.cout.div_ceil(CO_BLOCK);
        let (xb, yb) = (xq.elem.bytes(), yq.elem.bytes());
        assert!(
            w.weights.len() >= blocks * block_bytes
                && w.bias.len() >= 4 * p.cout
                && w.multipliers.len() >= 4 * p.cout
                && w.shifts.len() >= 4 * p.cout
                && x.len() >= t_in * p.cin * xb
                && y.len() >= t_out * p.cout * yb
                && cols.len() >= TILE_T * taps
                && p.kernel <= MAX_KERNEL
        );
        // In place: int16 (centred) inputs whose tap pairs never straddle two kernel taps.
        let clamp = yq.clamp(relu);
        let in_place = xq.elem == Elem::I16 && xq.zp == 0 && (p.cin % 2 == 0 || p.kernel == 1) && p.cin < ZERO_FRAME_LEN;
        let mut segments = [Segment { rows: [core::ptr::null(); TILE_T], pairs: 0, first_pair: 0, odd: false }; MAX_KERNEL];
        let tile = |t0: usize, segments: &mut [Segment; MAX_KERNEL], cols: &mut [i16]| {
            // AVX2 is available (this function's contract).
            tile_segments(p, xq, x, t_in, t0, t_out, in_place, segments, cols)
        };
        // Groups of four blocks (two registers), then of two or one (one register).
        let group = |b: usize| if b + 4 <= blocks { 4 } else { (blocks - b).min(2) };
        let pairs = taps / 2;
        if in_place && 2 * pairs <= WIDE_WEIGHTS {
            // Each group's weights widened once into `wide`, then every tile multiplied.
            let mut wide = core::mem::MaybeUninit::<[__m512i; WIDE_WEIGHTS]>::uninit();
            let wide = wide.as_mut_ptr() as *mut __m512i;
            let mut b = 0;
            while b < blocks {
                let nb = group(b);
                let wb = w.weights.as_ptr().add(b * block_bytes);
                for j in 0..pairs {
                    let at = wb.add(j * 2 * CO_BLOCK);
                    if nb == 4 {
                        core::ptr::write(wide.add(2 * j) as *mut [__m512i; 2], pair_weights::<2>(at, block_bytes, nb));
                    } else {
                        core::ptr::write(wide.add(j), pair_weights::<1>(at, block_bytes, nb)[0]);
                    }
                }
                for t0 in (0..t_out).step_by(TILE_T) {
                    let n = tile(t0, &mut segments, cols);
                    let t = Tile { segments: &segments[..n], block_bytes, t0, frames: TILE_T.min(t_out - t0) };
                    if nb == 4 {
                        let acc = mac::<2, true>(&t, wb, nb, wide);
                        requantize_tile(p, w, &t, &acc, b, nb, yq, clamp, y);
                    } else {
                        let acc = mac::<1, true>(&t, wb, nb, wide);
                        requantize_tile(p, w, &t, &acc, b, nb, yq, clamp, y);
                    }
                }
                b += nb;
            }
            return;
        }
        for t0 in (0..t_out).step_by(TILE_T) {
            let n = tile(t0, &mut segments, cols);
            let t = Tile { segments: &segments[..n], block_bytes, t0, frames: TILE_T.min(t_out - t0) };
            let mut b = 0;
            while b < blocks {
                let nb = group(b);
                let wb = w.weights.as_ptr().add(b * block_bytes);
                if nb == 4 {
                    let acc = mac::<2, false>(&t, wb, nb, core::ptr::null());
                    requantize_tile(p, w, &t, &acc, b, nb, yq, clamp, y);
                } else {
                    let acc = mac::<1, false>(&t, wb, nb, core::ptr::null());
                    requantize_tile(p, w, &t, &acc, b, nb, yq, clamp, y);
                }
                b += nb;
            }
        }
    }
}

/// Fills `segments` with the tile of [`conv1d_vnni`] at `t0` and returns how many: one
/// per kernel tap read in place (`in_place`, a whole tile), else one over `cols`, into
/// which the tile is gathered.
///
/// # Safety
/// AVX2 must be available; `in_place` only as [`conv1d_vnni`] decides it.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2")]
unsafe fn tile_segments(p: &ConvGeometry, xq: Q, x: &[u8], t_in: usize, t0: usize, t_out: usize, in_place: bool, segments: &mut [Segment; MAX_KERNEL], cols: &mut [i16]) -> usize {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let taps = p.taps_padded();
        if in_place && t0 + TILE_T <= t_out {
            let xs = x.as_ptr() as *const i16;
            for (k, s) in segments.iter_mut().enumerate().take(p.kernel) {
                for r in 0..TILE_T {
                    s.rows[r] = match p.source_frame(t0 + r, k, t_in) {
                        Some(ti) => xs.add(ti * p.cin),
                        None => ZERO_FRAME.as_ptr(),
                    };
                }
                // An odd width only with one tap (see `conv1d_vnni`): its last input is paired
                // with the padding tap.
                (s.pairs, s.first_pair, s.odd) = (p.cin / 2, k * p.cin / 2, p.cin % 2 == 1);
            }
            return p.kernel;
        }
        gather_tile(p, xq, x, t_in, t0, t_out, cols);
        let s = &mut segments[0];
        for r in 0..TILE_T {
            s.rows[r] = cols.as_ptr().add(r * taps);
        }
        (s.pairs, s.first_pair, s.odd) = (taps / 2, 0, false);
        1
    }
}

/// Registers of widened weights [`conv1d_vnni`] keeps for a group of blocks (32 KB).
const WIDE_WEIGHTS: usize = 512;

/// What [`mac`] multiplies: the tile's segments and where its frames start.
struct Tile<'a> {
    segments: &'a [Segment],
    block_bytes: usize,
    t0: usize,
    frames: usize,
}

/// Accumulators of `nb` ≤ 2·Z neighbouring blocks (`w` at the first) for the frames of a
/// tile: register z of frame r holds blocks 2z and 2z + 1 (the second zero if missing).
/// With `WIDE`, the weights are read already widened from `wide` (Z registers per tap
/// pair, as [`pair_weights`] makes them) instead of from `w`.
///
/// # Safety
/// AVX-512 F/BW/VNNI; `w` holds `nb` blocks of `tile.block_bytes` (or `wide` their
/// widened pairs), and every segment's rows hold 2 × `pairs` (+ 1 if odd) readable
/// elements whose weights lie in those blocks.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vnni")]
unsafe fn mac<const Z: usize, const WIDE: bool>(tile: &Tile<'_>, w: *const i8, nb: usize, wide: *const __m512i) -> [[__m512i; Z]; TILE_T] {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let mut acc = [[_mm512_setzero_si512(); Z]; TILE_T];
        let bb = tile.block_bytes;
        let weights = |j: usize| -> [__m512i; Z] {
            if WIDE {
                core::ptr::read(wide.add(j * Z) as *const [__m512i; Z])
            } else {
                pair_weights::<Z>(w.add(j * 2 * CO_BLOCK), bb, nb)
            }
        };
        for s in tile.segments {
            let rows = s.rows;
            for j in 0..s.pairs {
                let wv = weights(s.first_pair + j);
                for r in 0..TILE_T {
                    let c = _mm512_set1_epi32(core::ptr::read_unaligned(rows[r].add(2 * j) as *const i32));
                    for z in 0..Z {
                        acc[r][z] = _mm512_dpwssd_epi32(acc[r][z], wv[z], c);
                    }
                }
            }
            if s.odd {
                // The last input alone: its partner tap reads zero.
                let j = s.pairs;
                let wv = weights(s.first_pair + j);
                for r in 0..TILE_T {
                    let c = _mm512_set1_epi32(*rows[r].add(2 * j) as u16 as i32);
                    for z in 0..Z {
                        acc[r][z] = _mm512_dpwssd_epi32(acc[r][z], wv[z], c);
                    }
                }
            }
        }
        acc
    }
}

/// One tap pair's weights of `nb` ≤ 2·Z neighbouring blocks (`w` at the pair in the first,
/// blocks `bb` bytes apart) widened to i16: register z holds blocks 2z and 2z + 1.
///
/// # Safety
/// AVX-512 F/BW; `w` holds the pair in each of the `nb` blocks.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
unsafe fn pair_weights<const Z: usize>(w: *const i8, bb: usize, nb: usize) -> [__m512i; Z] {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let mut wv = [_mm512_setzero_si512(); Z];
        for (z, v) in wv.iter_mut().enumerate() {
            let lo = _mm_loadu_si128(w.add(2 * z * bb) as *const __m128i);
            let both = if 2 * z + 1 < nb {
                _mm256_inserti128_si256(_mm256_castsi128_si256(lo), _mm_loadu_si128(w.add((2 * z + 1) * bb) as *const __m128i), 1)
            } else {
                _mm256_zextsi128_si256(lo)
            };
            *v = _mm512_cvtepi8_epi16(both);
        }
        wv
    }
}

/// Adds bias to the accumulators of [`mac`] (blocks `b..b + nb`), requantises them and
/// writes the tile's frames of those outputs, clamped to `lo..=hi`.
///
/// # Safety
/// AVX-512 F/BW; the parameters hold `p.cout` channels and `y` `t_out × p.cout` elements.
#[inline]
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vnni")]
unsafe fn requantize_tile<const Z: usize>(p: &ConvGeometry, w: &ConvParams<'_>, tile: &Tile<'_>, acc: &[[__m512i; Z]; TILE_T], b: usize, nb: usize, yq: Q, (lo, hi): (i32, i32), y: &mut [u8]) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let (vlo, vhi, zp) = (_mm512_set1_epi32(lo), _mm512_set1_epi32(hi), _mm512_set1_epi32(yq.zp));
        for z in 0..Z {
            let co = (b + 2 * z) * CO_BLOCK;
            let lanes = (p.cout - co).min(CO_BLOCK * (nb - 2 * z).min(2));
            let mask = ((1u32 << lanes) - 1) as __mmask16;
            let param = |b: &[u8]| _mm512_maskz_loadu_epi32(mask, b.as_ptr().add(4 * co) as *const i32);
            let (bias, m, s) = (param(w.bias), param(w.multipliers), param(w.shifts));
            for r in 0..tile.frames {
                let v = _mm512_add_epi32(mbqm16(_mm512_add_epi32(acc[r][z], bias), m, s), zp);
                let v = _mm512_min_epi32(_mm512_max_epi32(v, vlo), vhi);
                let at = (tile.t0 + r) * p.cout + co;
                match yq.elem {
                    Elem::I8 => _mm512_mask_cvtepi32_storeu_epi8(y.as_mut_ptr().add(at) as *mut _, mask, v),
                    Elem::I16 => _mm512_mask_cvtepi32_storeu_epi16(y.as_mut_ptr().add(2 * at) as *mut _, mask, v),
                }
            }
        }
    }
}

/// [`reference::quantize`] in blocks of sixteen channels by sixteen frames: each channel's
/// run of frames is quantised (rounded half away from zero as `roundf` does: truncate,
/// then step away from zero where the dropped fraction is at least a half, both exact in
/// f32), the block transposed in registers, and each frame's run of channels stored.
///
/// # Safety
/// AVX-512 F/BW/VL must be available.
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl")]
unsafe fn quantize512(src: &[f32], channels: usize, frames: usize, factor: f32, oq: Q, out: &mut [u8]) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        assert!(src.len() >= channels * frames && out.len() >= channels * frames * oq.elem.bytes());
        let (f, half, one, limit) = (_mm512_set1_ps(factor), _mm512_set1_ps(0.5), _mm512_set1_ps(1.0), _mm512_set1_ps(1.0e6));
        let sign = _mm512_set1_epi32(i32::MIN);
        let (zp, lo, hi) = (_mm512_set1_epi32(oq.zp), _mm512_set1_epi32(oq.elem.min()), _mm512_set1_epi32(oq.elem.max()));
        for c0 in (0..channels).step_by(16) {
            let nc = (channels - c0).min(16);
            for t0 in (0..frames).step_by(16) {
                let nt = (frames - t0).min(16);
                let mut rows = [_mm512_setzero_si512(); 16];
                for (i, row) in rows.iter_mut().enumerate().take(nc) {
                    // In bounds: frames t0..t0 + nt of channel c0 + i.
                    let v = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes(nt), src.as_ptr().add((c0 + i) * frames + t0)), f);
                    let whole = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
                    let up = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_abs_ps(_mm512_sub_ps(v, whole)), half);
                    let away = _mm512_or_si512(_mm512_castps_si512(one), _mm512_and_si512(_mm512_castps_si512(v), sign));
                    let r = _mm512_mask_add_ps(whole, up, whole, _mm512_castsi512_ps(away));
                    // NaN becomes 0, as the saturating cast makes it; the rest is clamped first.
                    let finite = _mm512_cmp_ps_mask::<_CMP_ORD_Q>(r, r);
                    let r = _mm512_min_ps(_mm512_max_ps(r, _mm512_sub_ps(_mm512_setzero_ps(), limit)), limit);
                    let q = _mm512_add_epi32(_mm512_maskz_cvttps_epi32(finite, r), zp);
                    *row = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
                }
                let cols = transpose16(rows);
                for (j, q) in cols.iter().enumerate().take(nt) {
                    let at = (t0 + j) * channels + c0;
                    match oq.elem {
                        Elem::I8 => _mm512_mask_cvtepi32_storeu_epi8(out.as_mut_ptr().add(at) as *mut _, lanes(nc), *q),
                        Elem::I16 => _mm512_mask_cvtepi32_storeu_epi16(out.as_mut_ptr().add(2 * at) as *mut _, lanes(nc), *q),
                    }
                }
            }
        }
    }
}

/// [`reference::dequantize`] in blocks of sixteen frames by sixteen channels: each
/// frame's run of channels is converted, the block transposed in registers, and each
/// channel's run of frames stored.
///
/// # Safety
/// AVX-512 F/BW/VL must be available.
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl")]
unsafe fn dequantize512(xq: Q, x: &[u8], channels: usize, frames: usize, factor: f32, out: &mut [f32]) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        assert!(x.len() >= channels * frames * xq.elem.bytes() && out.len() >= channels * frames);
        let (f, zp) = (_mm512_set1_ps(factor), _mm512_set1_epi32(xq.zp));
        for t0 in (0..frames).step_by(16) {
            let nt = (frames - t0).min(16);
            for c0 in (0..channels).step_by(16) {
                let nc = (channels - c0).min(16);
                let mut rows = [_mm512_setzero_si512(); 16];
                for (j, row) in rows.iter_mut().enumerate().take(nt) {
                    // In bounds: channels c0..c0 + nc of frame t0 + j.
                    let at = (t0 + j) * channels + c0;
                    let q = match xq.elem {
                        Elem::I8 => _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(lanes(nc), x.as_ptr().add(at) as *const i8)),
                        Elem::I16 => _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(lanes(nc), x.as_ptr().add(2 * at) as *const i16)),
                    };
                    *row = _mm512_castps_si512(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, zp)), f));
                }
                let cols = transpose16(rows);
                for (i, v) in cols.iter().enumerate().take(nc) {
                    _mm512_mask_storeu_ps(out.as_mut_ptr().add((c0 + i) * frames + t0), lanes(nt), _mm512_castsi512_ps(*v));
                }
            }
        }
    }
}

/// The first `n` ≤ 16 lanes.
#[inline]
fn lanes(n: usize) -> __mmask16 {
    ((1u32 << n) - 1) as __mmask16
}

/// Transposes sixteen rows of sixteen 32-bit lanes: lane i of row j becomes lane j of
/// row i.
///
/// # Safety
/// AVX-512 F must be available.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn transpose16(r: [__m512i; 16]) -> [__m512i; 16] {
    // Pairs of rows interleaved within each 128-bit lane.
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        let (a, b) = (_mm512_castsi512_ps(r[2 * i]), _mm512_castsi512_ps(r[2 * i + 1]));
        t[2 * i] = _mm512_unpacklo_ps(a, b);
        t[2 * i + 1] = _mm512_unpackhi_ps(a, b);
    }
    // u[4i + k], lane L: column 4L + k of rows 4i..4i + 4.
    let mut u = [_mm512_setzero_ps(); 16];
    for i in 0..4 {
        u[4 * i] = _mm512_shuffle_ps::<0x44>(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_shuffle_ps::<0xEE>(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_shuffle_ps::<0x44>(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_shuffle_ps::<0xEE>(t[4 * i + 1], t[4 * i + 3]);
    }
    // Gather the 128-bit lanes: column 4L + k from lane L of u[k], u[4 + k], u[8 + k], u[12 + k].
    let mut out = [_mm512_setzero_si512(); 16];
    for k in 0..4 {
        let a = _mm512_shuffle_f32x4::<0x88>(u[k], u[4 + k]);
        let b = _mm512_shuffle_f32x4::<0x88>(u[8 + k], u[12 + k]);
        let c = _mm512_shuffle_f32x4::<0xDD>(u[k], u[4 + k]);
        let d = _mm512_shuffle_f32x4::<0xDD>(u[8 + k], u[12 + k]);
        out[k] = _mm512_castps_si512(_mm512_shuffle_f32x4::<0x88>(a, b));
        out[8 + k] = _mm512_castps_si512(_mm512_shuffle_f32x4::<0xDD>(a, b));
        out[4 + k] = _mm512_castps_si512(_mm512_shuffle_f32x4::<0x88>(c, d));
        out[12 + k] = _mm512_castps_si512(_mm512_shuffle_f32x4::<0xDD>(c, d));
    }
    out
}
