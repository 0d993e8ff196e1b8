//! How the sampler anneals: noise levels, step sizes, temperature, final denoising.

use super::constrain::Constraint;
use crate::noise::NoiseSchedule;

/// Where the chain starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Init {
    /// Every coordinate uniform in [0, 1) (NCSN's choice).
    Uniform,
    /// Every coordinate N(0, σ₁²): a draw from the widest noise level around zero.
    Gaussian,
}

/// Settings of annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1).
///
/// At level σ_i the chain takes `steps_per_level` steps
/// `x ← x + α_i·s(x, σ_i) + τ·√(2α_i)·z` with `α_i = ε·(σ_i/σ_L)^p`, where p =
/// `step_exponent` (2 in the paper) and τ = `temperature`. With `final_denoise` one last
/// step `x ← x + σ_L²·s(x, σ_L)` (Tweedie's formula) removes the remaining noise.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SamplerSettings {
    /// The noise levels, largest first.
    pub schedule: NoiseSchedule,
    /// Step size ε at the smallest level.
    pub epsilon: f32,
    /// Langevin steps T at each level.
    pub steps_per_level: usize,
    /// Scale τ of the injected noise (1 = true Langevin; below 1 sharpens).
    pub temperature: f32,
    /// Exponent p of the step size rule α_i = ε·(σ_i/σ_L)^p.
    pub step_exponent: f32,
    /// Take the final denoising step.
    pub final_denoise: bool,
    /// The starting point.
    pub init: Init,
    /// Before each level's Langevin steps (from the second level on), one reverse-diffusion
    /// predictor step from the previous level: `x ← x + (σ_{i−1}² − σ_i²)·s(x, σ_{i−1}) +
    /// τ·√(σ_{i−1}² − σ_i²)·z` (Song et al. 2021, predictor–corrector sampling).
    pub predictor: bool,
    /// How the network's denoised estimate is constrained at every evaluation.
    pub constraint: Constraint,
}

impl SamplerSettings {
    /// NCSN's published settings for a given schedule: ε = 2·10⁻⁵, T = 100, τ = 1,
    /// α ∝ σ², uniform start, with the final denoising step.
    pub const fn ncsn(schedule: NoiseSchedule) -> Self {
        SamplerSettings {
            schedule,
            epsilon: 2e-5,
            steps_per_level: 100,
            temperature: 1.0,
            step_exponent: 2.0,
            final_denoise: true,
            init: Init::Uniform,
            predictor: false,
            constraint: Constraint::None,
        }
    }

    /// Step size α_i at level `i`.
    pub fn step_size(&self, level: usize) -> f32 {
        let sigma_l = self.schedule.sigma(self.schedule.levels.saturating_sub(1));
        let ratio = self.schedule.sigma(level) / sigma_l;
        self.epsilon * libm::powf(ratio, self.step_exponent)
    }

    /// Network evaluations one chain makes with these settings.
    pub fn evaluations(&self) -> usize {
        let predictor = if self.predictor { self.schedule.levels.saturating_sub(1) } else { 0 };
        self.schedule.levels * self.steps_per_level + predictor + usize::from(self.final_denoise)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_sizes_follow_sigma_squared() {
        let s = SamplerSettings::ncsn(NoiseSchedule::new(10.0, 0.1, 3));
        assert!((s.step_size(2) - 2e-5).abs() < 1e-10);
        assert!((s.step_size(1) - 2e-5 * 100.0).abs() < 1e-7);
        assert!((s.step_size(0) - 2e-5 * 10_000.0).abs() < 1e-4);
        assert_eq!(s.evaluations(), 301);
    }
}
