//! How the sampler anneals: noise levels, step sizes, temperature, final denoising.

use super::constrain::Constraint;
use crate::noise::NoiseSchedule;

/// The sampler settings recommended for Kantor's score networks (trained on noise levels
/// 0.05–19.6), as [`super::text`] pairs applied over a model's own schedule. Exported
/// models carry them as `kantor.sampler`; how they were chosen is in the model card's
/// "Sampling" section.
pub const RECOMMENDED: &str =
    "method=consistent levels=12 steps=2 sigma_max=5 sigma_min=0.05 epsilon=0.0025 init=gaussian constraint=clip denoise=off refine=8 judge=rules refine_sigma=1.2 refine_steps=1 ending=home opening=home consecutives=any temperature=1.3 repeat_guidance=2";

/// Refinement rounds at least when harmonising a melody ([`SamplerSettings::harmonizing`]).
pub const HARMONIZING_ROUNDS: usize = 24;

/// Where the chain starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Init {
    /// Every coordinate uniform in [0, 1) (NCSN's choice).
    Uniform,
    /// Every coordinate N(0, σ₁²): a draw from the widest noise level around zero.
    Gaussian,
}

/// How each step injects noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Method {
    /// Annealed Langevin dynamics (Song & Ermon 2019): `x ← x + α·s + τ·√(2α)·z`.
    Langevin,
    /// Consistent annealed sampling (Jolicoeur-Martineau et al. 2021):
    /// `x ← x + α·s + τ·β·σ'·z`, where σ' is the level the step lands on (the next level
    /// after a level's last step, the same level otherwise; 0 after the very last step)
    /// and `β = √(1 − (1 − α/σ²)²·σ²/σ'²)` (0 if negative). With an exact score the
    /// noise left in x is then exactly σ', so few levels suffice; with α = σ² a step is
    /// "denoise, then add noise of the next level".
    Consistent,
}

/// Self-judging: after decoding, the network scores the chorale by its own denoising
/// error at a small noise level, and the frames it judges worst are composed again
/// (SDEdit-style: re-noised to `sigma` and annealed down with the rest held), `rounds`
/// times. Costs one evaluation per round for judging plus the levels from `sigma` down.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Refine {
    /// Rounds of judging and re-sampling (0 = off).
    pub rounds: usize,
    /// Share of frames judged worst that are re-sampled each round (with a beat around
    /// each, see [`super::refine::REACH`]).
    pub fraction: f32,
    /// Noise level the re-sampled frames restart from.
    pub sigma: f32,
    /// Noise level at which the chorale is judged.
    pub judge_sigma: f32,
    /// Who judges.
    pub judge: Judge,
    /// Langevin steps per level while re-annealing (0 = as many as the chain's).
    pub steps: usize,
    /// With [`Judge::Rules`]: the last fermata must close on the home tonic (V–I or IV–I
    /// in the frames' own key and mode, a Picardy third allowed), not merely on a cadence
    /// in some key. Set where the frames end the piece; a board clears it for the phrases
    /// before the last.
    pub home_ending: bool,
    /// With [`Judge::Rules`]: a freely composed piece must open on its home tonic or
    /// dominant triad, as Bach's do, the tonic struck in the bass where the first frame is
    /// free ([`super::clamp::clamp_home_opening`]). Set where the frames open the piece;
    /// a board clears it for the phrases after the first.
    pub home_opening: bool,
    /// With [`Judge::Counterpoint`] or [`Judge::Rules`]: consecutive fifths and octaves in
    /// contrary motion are faults too (the textbook rule), not only parallels in similar
    /// motion.
    pub contrary: bool,
}

/// Who picks the frames that refinement composes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Judge {
    /// The network: the frames it denoises worst (`fraction` of them), one evaluation.
    Network,
    /// The rules of part writing: every frame where a parallel fifth or octave begins or
    /// arrives ([`super::counterpoint`]), no evaluation; refinement stops early once there
    /// is none.
    Counterpoint,
    /// As [`Judge::Counterpoint`], and every frame where two voices cross and every
    /// fermata that does not close on a cadence ([`super::cadence`]) with the two quarters
    /// before it.
    Rules,
}

impl Refine {
    /// No refinement.
    pub const OFF: Refine = Refine { rounds: 0, fraction: 0.1, sigma: 1.0, judge_sigma: 0.3, judge: Judge::Network, steps: 0, home_ending: false, home_opening: false, contrary: false };
}

/// Settings of annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1).
///
/// At level σ_i the chain takes `steps_per_level` steps
/// `x ← x + α_i·s(x, σ_i) + τ·√(2α_i)·z` with `α_i = ε·(σ_i/σ_L)^p`, where p =
/// `step_exponent` (2 in the paper) and τ = `temperature` ([`Method::Consistent`] changes
/// the noise term). With `final_denoise` one last step `x ← x + σ_L²·s(x, σ_L)`
/// (Tweedie's formula) removes the remaining noise.
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
    /// How each step injects noise.
    pub method: Method,
    /// Judging and re-sampling the worst frames after the chain.
    pub refine: Refine,
    /// Weight λ of the guidance against repeated notes ([`super::guidance`]): each note
    /// struck again at the pitch before it counts `e^{−λ}` in the density the chain
    /// follows (0 = the network's own).
    pub repeat_guidance: f32,
}

pub use super::table::{MAX_EVALUATIONS, MAX_LEVELS, MAX_REFINE, MAX_STEPS};

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
            method: Method::Langevin,
            refine: Refine::OFF,
            repeat_guidance: 0.0,
        }
    }

    /// The first level at or below `sigma` (the last level if none is).
    pub fn first_level_below(&self, sigma: f32) -> usize {
        let levels = self.schedule.levels;
        (0..levels).find(|&i| self.schedule.sigma(i) <= sigma).unwrap_or(levels.saturating_sub(1))
    }

    /// Network evaluations of annealing from level `from` to the end.
    fn anneal_evaluations(&self, from: usize) -> usize {
        let levels = self.schedule.levels.saturating_sub(from);
        let predictor = if self.predictor { levels.saturating_sub(1) } else { 0 };
        levels.saturating_mul(self.steps_per_level).saturating_add(predictor).saturating_add(usize::from(self.final_denoise))
    }

    /// Whether the settings ask for a bounded amount of work: every setting within its
    /// range ([`super::table`]: at most [`MAX_LEVELS`] levels, [`MAX_STEPS`] steps per
    /// level, refinement's too, [`MAX_REFINE`] rounds) and at most [`MAX_EVALUATIONS`]
    /// network evaluations. Settings read from a model's metadata or a command line must
    /// be, or a device would compose for ever.
    pub fn is_bounded(&self) -> bool {
        self.out_of_range().is_none() && self.evaluations() <= MAX_EVALUATIONS
    }

    /// The first setting whose value is outside its range, if any.
    pub fn out_of_range(&self) -> Option<&'static super::table::Setting> {
        super::table::SETTINGS.iter().find(|s| !s.kind.holds((s.get)(self)))
    }

    /// Step size α_i at level `i`.
    pub fn step_size(&self, level: usize) -> f32 {
        let sigma_l = self.schedule.sigma(self.schedule.levels.saturating_sub(1));
        let ratio = self.schedule.sigma(level) / sigma_l;
        self.epsilon * libm::powf(ratio, self.step_exponent)
    }

    /// Network evaluations one chain makes with these settings (at most: refinement
    /// judged by the rules stops early once nothing is left to repair).
    pub fn evaluations(&self) -> usize {
        let judging = match self.refine.judge {
            Judge::Network => 1,
            Judge::Counterpoint | Judge::Rules => 0,
        };
        if self.refine.rounds == 0 {
            return self.anneal_evaluations(0);
        }
        // Where refinement starts is found level by level: beyond MAX_LEVELS the settings
        // are unbounded anyway, and counting up to that many levels must not take for ever.
        let from = if self.schedule.levels <= MAX_LEVELS { self.first_level_below(self.refine.sigma) } else { 0 };
        let round = self.refining().anneal_evaluations(from).saturating_add(judging);
        self.anneal_evaluations(0).saturating_add(self.refine.rounds.saturating_mul(round))
    }

    /// These settings for harmonising a given melody: refinement judged by the rules gets
    /// at least [`HARMONIZING_ROUNDS`] rounds. With the melody held, every repair must be
    /// found in the three lower voices, and rounds stop early once nothing is left.
    pub fn harmonizing(self) -> SamplerSettings {
        let mut s = self;
        if s.refine.rounds > 0 && s.refine.judge != Judge::Network {
            s.refine.rounds = s.refine.rounds.max(HARMONIZING_ROUNDS);
        }
        s
    }

    /// The settings refinement rounds anneal with: these, with the refinement's steps per
    /// level when it sets its own.
    pub fn refining(&self) -> SamplerSettings {
        let steps = if self.refine.steps > 0 { self.refine.steps } else { self.steps_per_level };
        SamplerSettings { steps_per_level: steps, ..*self }
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

    #[test]
    fn endless_settings_are_counted_at_once_and_refused() {
        let mut s = SamplerSettings::ncsn(NoiseSchedule::new(6.0, 0.1, 12));
        assert!(s.is_bounded());
        // Once these overflowed the count, and finding where refinement starts walked
        // every one of 2^64 levels. The text form now refuses them, but a program can
        // still set them.
        assert!(s.apply_text("levels=18446744073709551615").is_err());
        s.schedule.levels = usize::MAX;
        s.steps_per_level = usize::MAX;
        s.refine.rounds = 3;
        s.refine.sigma = 0.5;
        assert!(s.is_valid());
        assert_eq!(s.evaluations(), usize::MAX);
        assert!(!s.is_bounded());
        for (text, bounded) in [
            ("levels=10000 steps=9 refine=0", true),
            ("levels=10000 steps=10 refine=0", false),
            ("levels=1000 steps=100 refine=0", false),
            ("levels=100 steps=1000 refine=0", false),
            ("levels=99 steps=1000 refine=0", true),
            ("levels=10 steps=1 refine=100 refine_steps=10", true),
            ("levels=100 steps=10 refine=100 refine_sigma=6 refine_steps=10", false),
        ] {
            let mut s = SamplerSettings::ncsn(NoiseSchedule::new(6.0, 0.1, 12));
            s.apply_text(text).unwrap();
            assert_eq!(s.is_bounded(), bounded, "{text}: {} evaluations", s.evaluations());
        }
        for beyond in ["levels=10001", "steps=1001", "refine=101", "refine_steps=1001"] {
            let mut s = SamplerSettings::ncsn(NoiseSchedule::new(6.0, 0.1, 12));
            assert!(s.apply_text(beyond).is_err(), "{beyond} was read");
        }
    }
}
