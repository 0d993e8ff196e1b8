//! Every hyper-parameter of a training run, stored as `config.toml` in the run directory.

use super::substitution::Substitution;
use crate::network::NetConfig;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A training run's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Seed of the initial weights, the data order, the noise and the validation set.
    pub seed: u64,
    /// Frames per training window (64 = 4 bars of 4/4).
    pub window: usize,
    /// Windows per optimiser step.
    pub batch: usize,
    /// Windows per gradient chunk. Chunks are processed in parallel and their gradients
    /// summed in a fixed order, so results do not depend on the number of threads.
    pub chunk: usize,
    /// Worker threads (0 = all cores). Does not change the results.
    pub threads: usize,
    /// Optimiser steps the learning-rate schedule spans.
    pub steps: u64,
    /// Peak learning rate of Adam.
    pub lr: f64,
    /// Steps of linear warm-up from zero.
    pub warmup_steps: u64,
    /// Final learning rate of the cosine decay, as a fraction of `lr`.
    pub lr_final_fraction: f64,
    pub adam_beta1: f64,
    pub adam_beta2: f64,
    pub adam_eps: f64,
    /// Decay of the exponential moving average of the weights.
    pub ema_decay: f64,
    /// Clip the gradient's global L2 norm to this (0 = no clipping).
    pub clip_norm: f64,
    /// Smallest training noise level.
    pub sigma_min: f64,
    /// Largest training noise level; 0 = measure it on the data (the largest distance
    /// between training windows) before the first step.
    pub sigma_max: f64,
    /// Share of training examples whose σ is drawn log-uniformly from
    /// `[focus_sigma_min, focus_sigma_max]` instead of the whole range (0 = none): more
    /// training where chords and keys are decided. A configuration written before this
    /// setting existed reads as 0, as those runs were trained.
    #[serde(default)]
    pub focus_fraction: f64,
    pub focus_sigma_min: f64,
    pub focus_sigma_max: f64,
    /// Share of each training window's struck notes replaced before the noise is added
    /// (0 = none; [`super::substitution`]): the network learns to restore clear notes
    /// that are wrong. Categorical head only.
    #[serde(default)]
    pub substitution_rate: f64,
    /// What replaces a substituted note.
    #[serde(default)]
    pub substitution: Substitution,
    /// Validate (and log) every this many steps.
    pub eval_every: u64,
    /// Validation windows (fixed, spread over the validation split).
    pub valid_windows: usize,
    /// Log-spaced noise bands the validation loss is reported in.
    pub valid_bands: usize,
    /// Write a checkpoint at least this often (minutes of wall clock; 0 = after every step).
    pub checkpoint_minutes: f64,
    /// The network's shape.
    pub net: NetConfig,
    /// Default sampling schedule for models from this run.
    pub sampler: SamplerConfig,
}

/// The annealed Langevin schedule a sampler should use by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamplerConfig {
    /// Geometric noise levels from σ_max to σ_min (σ's are the training ones);
    /// 0 = choose by NCSNv2's rule for the window's dimension.
    pub levels: usize,
    /// Langevin steps per level.
    pub steps_per_level: usize,
    /// Step size ε; level i steps by α_i = ε·σ_i²/σ_min². 0 = choose by NCSNv2's rule.
    pub epsilon: f64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig { levels: 0, steps_per_level: 5, epsilon: 0.0 }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 1685,
            window: 64,
            batch: 32,
            chunk: 8,
            threads: 0,
            steps: 48_000,
            lr: 3.0e-3,
            warmup_steps: 1000,
            lr_final_fraction: 0.05,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_eps: 1.0e-8,
            ema_decay: 0.999,
            clip_norm: 1.0,
            sigma_min: 0.05,
            sigma_max: 0.0,
            focus_fraction: 0.5,
            focus_sigma_min: 0.1,
            focus_sigma_max: 1.5,
            substitution_rate: 0.0,
            substitution: Substitution::Shift,
            eval_every: 2000,
            valid_windows: 192,
            valid_bands: 6,
            checkpoint_minutes: 3.0,
            net: NetConfig::default(),
            sampler: SamplerConfig::default(),
        }
    }
}

impl TrainConfig {
    /// A tiny configuration that trains in seconds (CI, smoke tests).
    pub fn smoke() -> TrainConfig {
        TrainConfig {
            window: 32,
            batch: 16,
            chunk: 4,
            steps: 300,
            lr: 3.0e-3,
            warmup_steps: 10,
            eval_every: 50,
            valid_windows: 32,
            checkpoint_minutes: 1.0,
            ema_decay: 0.9,
            net: NetConfig { channels: 24, kernel: 3, dilations: vec![1, 2, 4, 1], ..NetConfig::default() },
            ..TrainConfig::default()
        }
    }

    /// Checks that the values make sense together.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.check_ranges()?;
        anyhow::ensure!(self.window >= 1, "window must be at least one frame");
        anyhow::ensure!(self.batch >= 1 && self.chunk >= 1, "batch and chunk must be positive");
        anyhow::ensure!(self.batch.is_multiple_of(self.chunk), "batch ({}) must be a multiple of chunk ({})", self.batch, self.chunk);
        anyhow::ensure!(self.lr > 0.0 && self.steps > 0, "lr and steps must be positive");
        anyhow::ensure!(self.sigma_min > 0.0, "sigma_min must be positive");
        anyhow::ensure!(self.sigma_max == 0.0 || self.sigma_max > self.sigma_min, "sigma_max must exceed sigma_min (or be 0 to measure it)");
        anyhow::ensure!((0.0..1.0).contains(&self.ema_decay), "ema_decay must be in [0, 1)");
        anyhow::ensure!((0.0..=1.0).contains(&self.focus_fraction), "focus_fraction must be in [0, 1]");
        anyhow::ensure!(
            self.focus_fraction == 0.0 || (self.focus_sigma_min > 0.0 && self.focus_sigma_max > self.focus_sigma_min),
            "focus_sigma_min must be positive and below focus_sigma_max"
        );
        anyhow::ensure!(
            self.substitution_rate == 0.0 || self.net.head == kantor_core::Head::Categorical,
            "substitution_rate needs the categorical head (its loss asks for the notes, not the noise)"
        );
        anyhow::ensure!(self.valid_bands >= 1 && self.eval_every >= 1, "valid_bands and eval_every must be positive");
        Ok(())
    }

    /// Checks every number against its range, naming the field and the range.
    pub fn check_ranges(&self) -> anyhow::Result<()> {
        use crate::ranges::{above, within, InRange, Number};
        fn check<T: Number>(name: &str, v: T, range: InRange<T>) -> anyhow::Result<()> {
            range.check_value(v).map(|_| ()).map_err(|why| anyhow::anyhow!("{name} = {why}"))
        }
        const MAX_STEPS: u64 = 10_000_000;
        const MAX_SIGMA: f64 = 1000.0;
        const BELOW_ONE: f64 = 0.999_999_999;
        check("window", self.window, within(1, 4096))?;
        check("batch", self.batch, within(1, 65_536))?;
        check("chunk", self.chunk, within(1, 65_536))?;
        check("threads", self.threads, within(0, 1024))?;
        check("steps", self.steps, within(1, MAX_STEPS))?;
        check("lr", self.lr, above(0.0, 10.0))?;
        check("warmup_steps", self.warmup_steps, within(0, MAX_STEPS))?;
        check("lr_final_fraction", self.lr_final_fraction, within(0.0, 1.0))?;
        check("adam_beta1", self.adam_beta1, within(0.0, BELOW_ONE))?;
        check("adam_beta2", self.adam_beta2, within(0.0, BELOW_ONE))?;
        check("adam_eps", self.adam_eps, above(0.0, 1.0))?;
        check("ema_decay", self.ema_decay, within(0.0, BELOW_ONE))?;
        check("clip_norm", self.clip_norm, within(0.0, 1.0e9))?;
        check("sigma_min", self.sigma_min, above(0.0, MAX_SIGMA))?;
        check("sigma_max", self.sigma_max, within(0.0, MAX_SIGMA))?;
        check("focus_fraction", self.focus_fraction, within(0.0, 1.0))?;
        check("focus_sigma_min", self.focus_sigma_min, within(0.0, MAX_SIGMA))?;
        check("focus_sigma_max", self.focus_sigma_max, within(0.0, MAX_SIGMA))?;
        check("substitution_rate", self.substitution_rate, within(0.0, 1.0))?;
        check("eval_every", self.eval_every, within(1, MAX_STEPS))?;
        check("valid_windows", self.valid_windows, within(1, 100_000))?;
        check("valid_bands", self.valid_bands, within(1, 100))?;
        check("checkpoint_minutes", self.checkpoint_minutes, within(0.0, 525_600.0))?;
        check("sampler.levels", self.sampler.levels, within(0, kantor_core::sampler::settings::MAX_LEVELS))?;
        check("sampler.steps_per_level", self.sampler.steps_per_level, within(1, kantor_core::sampler::settings::MAX_STEPS))?;
        check("sampler.epsilon", self.sampler.epsilon, within(0.0, 1.0))?;
        self.net.check_ranges()
    }

    pub fn load(path: &Path) -> anyhow::Result<TrainConfig> {
        let text = crate::infile::read_text(path, crate::infile::TEXT).with_context(|| format!("reading {}", path.display()))?;
        let config: TrainConfig = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        config.validate().with_context(|| format!("checking {}", path.display()))?;
        Ok(config)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("configuration serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(toml_text: &str) -> String {
        let c: TrainConfig = toml::from_str(toml_text).unwrap();
        format!("{:#}", c.validate().unwrap_err())
    }

    #[test]
    fn fields_out_of_range_are_refused_by_name() {
        assert!(TrainConfig::default().validate().is_ok() && TrainConfig::smoke().validate().is_ok());
        assert_eq!(refusal("window = 0"), "window = 0 is out of range; expected 1 to 4096");
        assert_eq!(refusal("lr = nan"), "lr = NaN is not a finite number; expected more than 0, up to 10");
        assert_eq!(refusal("sigma_min = inf"), "sigma_min = inf is not a finite number; expected more than 0, up to 1000");
        assert_eq!(refusal("steps = 100000000"), "steps = 100000000 is out of range; expected 1 to 10000000");
        assert_eq!(refusal("checkpoint_minutes = -1.0"), "checkpoint_minutes = -1 is out of range; expected 0 to 525600");
        assert_eq!(refusal("[sampler]\nsteps_per_level = 0"), "sampler.steps_per_level = 0 is out of range; expected 1 to 1000");
        assert_eq!(refusal("[net]\nchannels = 100000\nkernel = 3\ndilations = [1]"), "net.channels = 100000 is out of range; expected 1 to 4096");
        // Fields left out of [net] keep their defaults, as for every other table.
        assert_eq!(refusal("[net]\nchannels = 100000"), "net.channels = 100000 is out of range; expected 1 to 4096");
        assert_eq!(refusal("[net]\nchannels = 8\nkernel = 3\ndilations = [1, 0]"), "net.dilations (each) = 0 is out of range; expected 1 to 4096");
        // The relations between fields are still checked once each is in range.
        assert_eq!(refusal("batch = 10\nchunk = 4"), "batch (10) must be a multiple of chunk (4)");
    }

    #[test]
    fn old_configurations_read_as_they_were_trained() {
        // A run's config.toml from before the network head and σ focus existed.
        let mut old = TrainConfig::default().to_toml();
        old = old.lines().filter(|l| !l.starts_with("focus_") && !l.starts_with("head")).collect::<Vec<_>>().join("\n");
        let c: TrainConfig = toml::from_str(&old).unwrap();
        assert_eq!(c.focus_fraction, 0.0);
        assert_eq!(c.net.head, kantor_core::Head::Score);
        // A new run writes every field and reads back the same.
        let new = TrainConfig::default();
        assert_eq!(toml::from_str::<TrainConfig>(&new.to_toml()).unwrap(), new);
        assert_eq!(new.net.head, kantor_core::Head::Categorical);
    }
}
