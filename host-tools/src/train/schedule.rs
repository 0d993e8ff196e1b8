//! The default sampling schedule, chosen by the rules of NCSNv2 (Song & Ermon 2020):
//! technique 2 sets the ratio γ between neighbouring noise levels from the data's
//! dimension, technique 4 sets the step size ε for a given number of steps per level.

/// Standard normal CDF Φ (through erfc, Numerical Recipes' Chebyshev fit, |error| < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06 + t * (0.278_868_07 + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// Finds the root of a decreasing function on `[lo, hi]` by bisection.
pub fn bisect(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// NCSNv2 technique 2: the ratio γ = σ_{i−1}/σ_i with
/// Φ(√(2D)(γ−1) + 3γ) − Φ(√(2D)(γ−1) − 3γ) = ½ for data of `dims` dimensions.
pub fn level_ratio(dims: usize) -> f64 {
    let s = (2.0 * dims as f64).sqrt();
    bisect(1.0, 3.0, |g| normal_cdf(s * (g - 1.0) + 3.0 * g) - normal_cdf(s * (g - 1.0) - 3.0 * g) - 0.5)
}

/// Geometric levels from `sigma_max` to `sigma_min` with neighbours at most `ratio` apart.
pub fn levels(sigma_max: f64, sigma_min: f64, ratio: f64) -> usize {
    1 + ((sigma_max / sigma_min).ln() / ratio.ln()).ceil() as usize
}

/// The chain's second moment after `steps` Langevin steps at the last level relative to
/// its target (NCSNv2 eq. for technique 4):
/// (1 − ε/σ_L²)^{2T}·(γ² − 2ε/(σ_L² − σ_L²(1 − ε/σ_L²)²)) + 2ε/(σ_L² − σ_L²(1 − ε/σ_L²)²).
pub fn final_moment(eps: f64, ratio: f64, sigma_min: f64, steps: usize) -> f64 {
    let s2 = sigma_min * sigma_min;
    let q = 1.0 - eps / s2;
    let c = 2.0 * eps / (s2 - s2 * q * q);
    q.powi(2 * steps as i32) * (ratio * ratio - c) + c
}

/// NCSNv2 technique 4: the step size ε in `(0, σ_L²)` that brings [`final_moment`] as
/// close to 1 as `steps` steps per level allow (it stays above 1; golden-section search
/// for its minimum).
pub fn step_size(ratio: f64, sigma_min: f64, steps: usize) -> f64 {
    let s2 = sigma_min * sigma_min;
    let m = |eps: f64| final_moment(eps, ratio, sigma_min, steps);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (1e-9 * s2, s2 * (1.0 - 1e-9));
    for _ in 0..200 {
        let a = hi - phi * (hi - lo);
        let b = lo + phi * (hi - lo);
        if m(a) < m(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
    }

    #[test]
    fn ratio_approaches_one_in_high_dimension() {
        let small = level_ratio(100);
        let large = level_ratio(10_000);
        assert!(small > large && large > 1.0);
        let s = (2.0f64 * 10_000.0).sqrt();
        let g = large;
        let mass = normal_cdf(s * (g - 1.0) + 3.0 * g) - normal_cdf(s * (g - 1.0) - 3.0 * g);
        assert!((mass - 0.5).abs() < 1e-6);
    }

    #[test]
    fn step_size_minimises_the_moment() {
        let (g, s) = (1.033, 0.05);
        for t in [5, 10, 100] {
            let eps = step_size(g, s, t);
            let m = final_moment(eps, g, s, t);
            assert!(m > 1.0 && m < g * g, "moment {m} at ε {eps}");
            assert!(m <= final_moment(eps * 0.9, g, s, t) && m <= final_moment(eps * 1.1, g, s, t));
        }
        // More steps per level allow a smaller step and a moment closer to 1.
        assert!(step_size(g, s, 100) < step_size(g, s, 5));
        assert!(final_moment(step_size(g, s, 100), g, s, 100) < final_moment(step_size(g, s, 5), g, s, 5));
    }
}
