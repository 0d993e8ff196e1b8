//! Fixed-point requantisation, as gemmlowp / TFLite Micro / CMSIS-NN do it.
//!
//! A real multiplier m > 0 is stored as a Q31 `multiplier` in [2³⁰, 2³¹) and a power-of-two
//! `shift` (positive = left), m ≈ multiplier · 2^(shift − 31).

#![forbid(unsafe_code)]

/// (a · b · 2) / 2³², rounded to nearest (ties away from zero), saturating the one overflow
/// case (a = b = i32::MIN).
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// x / 2^exponent, rounded to nearest with ties away from zero.
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent));
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + ((x < 0) as i32);
    (x >> exponent) + ((remainder > threshold) as i32)
}

/// x · m with m = (multiplier, shift) as produced by [`quantize_multiplier`].
#[inline(always)]
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift } else { 0 };
    let right = if shift > 0 { 0 } else { -shift };
    rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x.wrapping_shl(left as u32), multiplier), right)
}

/// Splits a real multiplier into (Q31 multiplier, shift). Negative values give a negative
/// multiplier (the kernels negate), zero gives (0, 0), and values too small for the range
/// round to (0, 0). Returns `None` for multipliers ≥ 2³⁰ or non-finite ones.
pub fn quantize_multiplier(real: f64) -> Option<(i32, i32)> {
    if !real.is_finite() {
        return None;
    }
    if real == 0.0 {
        return Some((0, 0));
    }
    let negative = real < 0.0;
    let (fraction, mut exponent) = libm::frexp(if negative { -real } else { real });
    let mut q = libm::round(fraction * (1i64 << 31) as f64) as i64;
    if q == 1i64 << 31 {
        q /= 2;
        exponent += 1;
    }
    if exponent < -31 {
        return Some((0, 0));
    }
    if exponent > 30 {
        return None;
    }
    let q = q as i32;
    Some((if negative { -q } else { q }, exponent))
}

/// Requantises an accumulator: clamp(x · m + zero_point, lo, hi).
#[inline(always)]
pub fn requantize(acc: i32, multiplier: i32, shift: i32, zero_point: i32, lo: i32, hi: i32) -> i32 {
    let v = multiply_by_quantized_multiplier(acc, multiplier, shift).wrapping_add(zero_point);
    v.clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplier_round_trip() {
        for &m in &[0.5f64, 0.25, 0.0031, 1.0, 3.75, 1e-5, 0.999_999_9, 1234.5] {
            let (q, s) = quantize_multiplier(m).unwrap();
            assert!(q >= 1 << 30, "{m}: {q}");
            let back = q as f64 * libm::pow(2.0, (s - 31) as f64);
            assert!((back - m).abs() <= m * 1e-9, "{m} -> {back}");
            for &x in &[0i32, 1, -1, 100, -100, 12345, -99999, 1 << 20] {
                let want = libm::round(x as f64 * m);
                if want.abs() > (1u64 << 30) as f64 {
                    continue; // outside i32 after the left shift: not a supported use
                }
                let got = multiply_by_quantized_multiplier(x, q, s) as f64;
                assert!((got - want).abs() <= 1.0, "{x}·{m}: {got} vs {want}");
            }
        }
        assert_eq!(quantize_multiplier(0.0), Some((0, 0)));
        assert_eq!(quantize_multiplier(f64::NAN), None);
        assert_eq!(quantize_multiplier(1e12), None);
        let (q, _) = quantize_multiplier(-0.3).unwrap();
        assert!(q < 0);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(4, 1), 2);
        assert_eq!(rounding_divide_by_pot(-7, 2), -2);
        assert_eq!(rounding_divide_by_pot(-6, 2), -2);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        // 0.5 in Q31 times ±3: gemmlowp's nudge rounds 1.5 up to 2 but −1.5 to −1.
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
    }
}
