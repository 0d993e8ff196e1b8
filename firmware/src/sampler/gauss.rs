//! Standard normal noise from a seeded xoshiro generator, by the Box–Muller transform.
//!
//! Everything goes through `libm` in `f32`, so the host and a microcontroller draw the
//! same numbers from the same seed.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// 2⁻²⁴: one step of a 24-bit uniform.
const UNIT: f32 = 1.0 / (1u32 << 24) as f32;

/// A stream of independent N(0, 1) values. One `u64` from the generator gives two
/// 24-bit uniforms and so two normals.
#[derive(Clone, Debug)]
pub struct Gaussian {
    rng: Xoshiro256PlusPlus,
    spare: Option<f32>,
}

impl Gaussian {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Gaussian { rng: Xoshiro256PlusPlus::seed_from_u64(seed), spare: None }
    }

    /// A uniform in [0, 1) with 24 bits of resolution.
    pub fn uniform(&mut self) -> f32 {
        (self.rng.next_u32() >> 8) as f32 * UNIT
    }

    /// The next standard normal value.
    pub fn next(&mut self) -> f32 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let bits = self.rng.next_u64();
        // u1 in (0, 1] keeps the logarithm finite; u2 in [0, 1).
        let u1 = ((bits >> 40) + 1) as f32 * UNIT;
        let u2 = ((bits >> 16) & 0xFF_FFFF) as f32 * UNIT;
        let r = libm::sqrtf(-2.0 * libm::logf(u1));
        let (s, c) = libm::sincosf(core::f32::consts::TAU * u2);
        self.spare = Some(r * s);
        r * c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Gaussian::new(11);
        let mut b = Gaussian::new(11);
        let mut c = Gaussian::new(12);
        let mut differs = false;
        for _ in 0..100 {
            let x = a.next();
            assert_eq!(x.to_bits(), b.next().to_bits());
            differs |= x != c.next();
        }
        assert!(differs);
    }

    #[test]
    fn moments_match_standard_normal() {
        // n = 200 000: the mean's standard error is 1/√n ≈ 0.0022 and the variance's is
        // √(2/n) ≈ 0.0032; allow five of them.
        let n = 200_000;
        let mut g = Gaussian::new(3);
        let (mut s1, mut s2, mut beyond2) = (0.0f64, 0.0f64, 0usize);
        for _ in 0..n {
            let z = g.next() as f64;
            s1 += z;
            s2 += z * z;
            if z.abs() > 2.0 {
                beyond2 += 1;
            }
        }
        let mean = s1 / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 5.0 * 0.0022, "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * 0.0032, "variance {var}");
        // P(|z| > 2) = 0.0455; binomial standard error √(p(1-p)/n) ≈ 0.00047.
        let tail = beyond2 as f64 / n as f64;
        assert!((tail - 0.0455).abs() < 5.0 * 0.00047, "tail {tail}");
    }
}
