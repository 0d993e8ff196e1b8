//! The noise levels of annealed Langevin dynamics.

#![forbid(unsafe_code)]

/// Geometric noise levels σ₁ > σ₂ > … > σ_L from `sigma_max` down to `sigma_min`
/// (NCSN's schedule). Computed on the fly, so it needs no storage.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoiseSchedule {
    pub sigma_max: f32,
    pub sigma_min: f32,
    pub levels: usize,
}

impl NoiseSchedule {
    pub const fn new(sigma_max: f32, sigma_min: f32, levels: usize) -> Self {
        NoiseSchedule { sigma_max, sigma_min, levels }
    }

    /// σ at level `i` (0 = largest). With one level, that level is `sigma_max`.
    pub fn sigma(&self, i: usize) -> f32 {
        if self.levels <= 1 {
            return self.sigma_max;
        }
        let frac = i as f32 / (self.levels - 1) as f32;
        self.sigma_max * libm::powf(self.sigma_min / self.sigma_max, frac)
    }

    /// Ratio between neighbouring levels (σ_{i+1} / σ_i).
    pub fn ratio(&self) -> f32 {
        if self.levels <= 1 {
            1.0
        } else {
            libm::powf(self.sigma_min / self.sigma_max, 1.0 / (self.levels - 1) as f32)
        }
    }

    /// The levels, largest first.
    pub fn iter(&self) -> impl Iterator<Item = f32> + '_ {
        (0..self.levels).map(move |i| self.sigma(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_levels() {
        let s = NoiseSchedule::new(20.0, 0.05, 20);
        assert!((s.sigma(0) - 20.0).abs() < 1e-5);
        assert!((s.sigma(19) - 0.05).abs() < 1e-6);
        let r = s.ratio();
        for i in 0..19 {
            assert!((s.sigma(i + 1) / s.sigma(i) - r).abs() < 1e-4);
        }
        assert_eq!(s.iter().count(), 20);
    }
}
