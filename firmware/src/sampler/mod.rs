//! Annealed Langevin dynamics over a [`crate::ScoreNet`] (no heap).
//!
//! The sampler starts from noise and walks down the noise levels of a
//! [`crate::NoiseSchedule`], following the network's score at each (Song & Ermon 2019),
//! then decodes the one-hot state into tokens. The caller supplies every buffer through a
//! [`Workspace`], so the same code runs the f32 network on a host and the int8 engine on
//! a board.
//!
//! - [`PiecePlan`] turns length, metre, key and phrase lengths into per-frame metadata;
//! - [`SamplerSettings`] holds the schedule, step size, steps per level, temperature;
//! - [`sample`] runs one chain (one seed, one chorale), with optional clamped entries
//!   ([`clamp`]) for harmonisation and continuation;
//! - [`guidance`] tilts the network's estimate against repeated notes;
//! - [`refine`] lets the network judge the result and re-sample the frames it likes least;
//! - [`text`] reads and writes settings as `key=value` pairs (model metadata);
//! - [`analytic`] is a network with an exactly known score, for tests and calibration.

#![forbid(unsafe_code)]

pub mod analytic;
pub mod cadence;
pub mod clamp;
pub mod constrain;
pub mod counterpoint;
mod evaluation;
pub mod gauss;
pub mod guidance;
mod langevin;
pub mod plan;
pub mod refine;
pub mod settings;
pub mod text;
pub mod workspace;

pub use clamp::{clamp_continuation, clamp_voice, Clamp, FREE};
pub use constrain::Constraint;
pub use gauss::Gaussian;
pub use evaluation::{SampleError, SampleReport};
pub use langevin::sample;
pub use plan::{PiecePlan, PiecePlanError};
pub use settings::{Init, Judge, Method, Refine, SamplerSettings, HARMONIZING_ROUNDS, RECOMMENDED};
pub use text::BadPair;
pub use workspace::Workspace;


#[cfg(test)]
mod tests;
