//! AVX2 versions of the hot loops (x86-64 hosts only; chosen at run time). Each mirrors
//! a portable function in [`super::kernels`] / [`super::fixed`] and is integer-exact, so
//! both give identical results (checked by tests).

#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::format::CO_BLOCK;
use super::kernels::TILE_T;

/// Accumulators of one block of eight outputs over the frames of a tile, with
/// `vpmaddwd` doing a tap pair for eight outputs at once. Mirrors `block_portable`.
///
/// # Safety
/// AVX2 must be available; `w` holds whole blocks of 16 bytes per tap pair and every row
/// of `cols` holds `taps` ≥ 2 × pairs entries.
#[target_feature(enable = "avx2")]
pub unsafe fn block(w: &[i8], cols: &[i16], taps: usize, acc: &mut [[i32; CO_BLOCK]; TILE_T]) {
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

/// `multiply_by_quantized_multiplier` on eight lanes, with per-lane multiplier and shift.
/// Multipliers must not be `i32::MIN` (the loader refuses them), so the doubling high
/// multiply never saturates and equals ⌊(a·b + 2³⁰) / 2³¹⌋.
#[inline]
#[target_feature(enable = "avx2")]
pub unsafe fn mbqm(x: __m256i, m: __m256i, shift: __m256i) -> __m256i {
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

/// Requantises eight accumulators (plus bias) into eight int8 outputs.
///
/// # Safety
/// AVX2 must be available; `bias`, `multipliers` and `shifts` hold at least 32 bytes from
/// `at`, `out` at least 8.
#[inline]
#[target_feature(enable = "avx2")]
pub unsafe fn requantize8(acc: &[i32; CO_BLOCK], bias: &[u8], multipliers: &[u8], shifts: &[u8], at: usize, zp: i32, lo: i32, hi: i32, out: &mut [i8]) {
    assert!(bias.len() >= at + 32 && multipliers.len() >= at + 32 && shifts.len() >= at + 32 && out.len() >= CO_BLOCK);
    let load = |b: &[u8]| _mm256_loadu_si256(b.as_ptr().add(at) as *const __m256i);
    let a = _mm256_add_epi32(_mm256_loadu_si256(acc.as_ptr() as *const __m256i), load(bias));
    let v = _mm256_add_epi32(mbqm(a, load(multipliers), load(shifts)), _mm256_set1_epi32(zp));
    let v = _mm256_min_epi32(_mm256_max_epi32(v, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
    let mut lanes = [0i32; CO_BLOCK];
    _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, v);
    for (o, l) in out.iter_mut().zip(lanes) {
        *o = l as i8;
    }
}

/// The elementwise sum of `kernels::add` on eight lanes at a time; returns how many
/// leading elements it handled (the caller finishes the tail).
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn add(a: &[i8], a_zp: i32, a_m: i32, a_s: i32, b: &[i8], b_zp: i32, b_m: i32, b_s: i32, left_shift: i32, out_m: i32, out_s: i32, out_zp: i32, lo: i32, hi: i32, out: &mut [i8]) -> usize {
    let n = out.len().min(a.len()).min(b.len()) / 8 * 8;
    let (am, as_, bm, bs, om, os) =
        (_mm256_set1_epi32(a_m), _mm256_set1_epi32(a_s), _mm256_set1_epi32(b_m), _mm256_set1_epi32(b_s), _mm256_set1_epi32(out_m), _mm256_set1_epi32(out_s));
    let (azp, bzp, ozp) = (_mm256_set1_epi32(a_zp), _mm256_set1_epi32(b_zp), _mm256_set1_epi32(out_zp));
    let shift = _mm_cvtsi32_si128(left_shift);
    let (vlo, vhi) = (_mm256_set1_epi32(lo), _mm256_set1_epi32(hi));
    let mut i = 0;
    while i < n {
        // In bounds: i + 8 ≤ n ≤ every length.
        let qa = _mm256_cvtepi8_epi32(_mm_loadl_epi64(a.as_ptr().add(i) as *const __m128i));
        let qb = _mm256_cvtepi8_epi32(_mm_loadl_epi64(b.as_ptr().add(i) as *const __m128i));
        let sa = mbqm(_mm256_sll_epi32(_mm256_sub_epi32(qa, azp), shift), am, as_);
        let sb = mbqm(_mm256_sll_epi32(_mm256_sub_epi32(qb, bzp), shift), bm, bs);
        let v = _mm256_add_epi32(mbqm(_mm256_add_epi32(sa, sb), om, os), ozp);
        let v = _mm256_min_epi32(_mm256_max_epi32(v, vlo), vhi);
        let mut lanes = [0i32; 8];
        _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, v);
        for (o, l) in out[i..i + 8].iter_mut().zip(lanes) {
            *o = l as i8;
        }
        i += 8;
    }
    n
}

/// `kernels::rescale` with a requantisation on eight lanes at a time; returns how many
/// leading elements it handled.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn rescale(x: &[i8], in_zp: i32, m: i32, s: i32, out_zp: i32, lo: i32, hi: i32, out: &mut [i8]) -> usize {
    let n = out.len().min(x.len()) / 8 * 8;
    let (vm, vs, izp, ozp) = (_mm256_set1_epi32(m), _mm256_set1_epi32(s), _mm256_set1_epi32(in_zp), _mm256_set1_epi32(out_zp));
    let (vlo, vhi) = (_mm256_set1_epi32(lo), _mm256_set1_epi32(hi));
    let mut i = 0;
    while i < n {
        // In bounds: i + 8 ≤ n ≤ both lengths.
        let q = _mm256_cvtepi8_epi32(_mm_loadl_epi64(x.as_ptr().add(i) as *const __m128i));
        let v = _mm256_add_epi32(mbqm(_mm256_sub_epi32(q, izp), vm, vs), ozp);
        let v = _mm256_min_epi32(_mm256_max_epi32(v, vlo), vhi);
        let mut lanes = [0i32; 8];
        _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, v);
        for (o, l) in out[i..i + 8].iter_mut().zip(lanes) {
            *o = l as i8;
        }
        i += 8;
    }
    n
}
