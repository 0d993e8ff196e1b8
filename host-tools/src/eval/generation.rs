//! Composing the pieces to evaluate with the sampler, one set per step setting, keeping
//! what each chorale cost.
//!
//! Every generated chorale takes its plan (length, bar positions, fermatas, key
//! signature) from a reference chorale in turn, so generated and reference sets have the
//! same shape and differ only in the notes.

use super::evaluation::Candidates;
use super::metrics::{Cost, Piece};
use crate::compose::{compose_frames, melody_clamps, Engine, SamplerArgs};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use kantor_core::sampler::{Constraint, SamplerSettings};
use kantor_core::sampler::{clamp_voice, Clamp, FREE};
use kantor_core::{FrameMeta, Voice};

/// One line describing sampler settings.
pub fn describe(s: &SamplerSettings) -> String {
    let predictor = if s.predictor { ", predictor steps" } else { "" };
    let constraint = match s.constraint {
        Constraint::None => "",
        Constraint::Clip => ", clipped estimate",
        Constraint::Simplex => ", simplex-projected estimate",
    };
    format!(
        "{} levels σ {}→{} × {} steps, ε {:e}, τ {}{predictor}{constraint}, {} evaluations per chorale",
        s.schedule.levels,
        s.schedule.sigma_max,
        s.schedule.sigma_min,
        s.steps_per_level,
        s.epsilon,
        s.temperature,
        s.evaluations()
    )
}

/// What the sampler is asked to do with each reference chorale's plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Compose all four voices.
    Compose,
    /// Keep the reference chorale's soprano and write alto, tenor and bass.
    HarmonizeSoprano,
    /// Harmonise a melody (the plan's soprano) as `kantor harmonize` does: every other
    /// voice silent after its final note.
    HarmonizeMelody,
}

impl Task {
    /// What the set is called, and what each piece is made from.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Task::Compose => ("generated", "plan"),
            Task::HarmonizeSoprano => ("harmonized Bach sopranos", "soprano"),
            Task::HarmonizeMelody => ("harmonized melodies", "melody"),
        }
    }
}

/// Composes `count` chorales for every entry of `steps` (Langevin steps per noise
/// level; `None` = the model's default), seeds `seed`, `seed + 1`, …, plans
/// taken from `plans` in turn. `base` holds the other overrides of the model's sampler
/// settings.
pub fn generate_sets(
    engine: &mut Engine,
    plans: &[Piece],
    count: usize,
    base: &SamplerArgs,
    steps: &[Option<usize>],
    seed: u64,
    task: Task,
    progress: bool,
) -> Result<Vec<Candidates>> {
    if plans.is_empty() {
        bail!("no reference chorales to take the plans of generated chorales from");
    }
    let settings: Vec<SamplerSettings> = steps
        .iter()
        .map(|&s| {
            let defaults = match task {
                Task::Compose => engine.defaults,
                Task::HarmonizeSoprano | Task::HarmonizeMelody => engine.defaults.harmonizing(),
            };
            base.apply(defaults, s)
        })
        .collect::<Result<_>>()?;
    if settings.iter().any(|s| s.steps_per_level == 0) {
        bail!("--steps must be at least 1");
    }
    let total: u64 = settings
        .iter()
        .map(|s| (s.evaluations() * count) as u64)
        .sum();
    let pb = if progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("composing {msg} {bar:40} {pos}/{len} evaluations ({eta})")
    {
        pb.set_style(style);
    }
    let mut sets = Vec::new();
    for s in &settings {
        let mut pieces = Vec::with_capacity(count);
        for i in 0..count {
            let plan = &plans[i % plans.len()];
            let metas: Vec<FrameMeta> = plan.frames.iter().map(|f| f.meta).collect();
            let chain_seed = seed.wrapping_add(i as u64);
            pb.set_message(format!(
                "{} steps, chorale {}/{count}",
                s.steps_per_level,
                i + 1
            ));
            let mut net = engine.net();
            let soprano: Vec<_> = plan.frames.iter().map(|f| f.tokens[Voice::Soprano.index()]).collect();
            let clamps: Vec<Clamp> = match task {
                Task::Compose => Vec::new(),
                Task::HarmonizeSoprano => {
                    let mut clamps = vec![FREE; plan.frames.len()];
                    clamp_voice(&mut clamps, Voice::Soprano, &soprano);
                    clamps
                }
                Task::HarmonizeMelody => melody_clamps(&soprano),
            };
            let composed =
                compose_frames(&mut net, s, chain_seed, &metas, &clamps).with_context(|| {
                    format!("composing chorale {} (seed {chain_seed}) failed", i + 1)
                })?;
            pb.inc(composed.evaluations as u64);
            pieces.push(Piece {
                name: format!("seed {chain_seed}, {} of {}", task.names().1, plan.name),
                time: plan.time,
                frames: composed.frames,
                cost: Some(Cost {
                    evaluations: composed.evaluations as u64,
                    seconds: composed.seconds,
                }),
            });
        }
        sets.push(Candidates {
            label: format!(
                "{}, {} step{}",
                task.names().0,
                s.steps_per_level,
                if s.steps_per_level == 1 { "" } else { "s" }
            ),
            settings: Some(format!("{}; {}", engine.description, describe(s))),
            pieces,
        });
    }
    pb.finish_and_clear();
    Ok(sets)
}
