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
//! - [`melody`] makes a melody ready for harmonising;
//! - [`refine`] lets the network judge the result and re-sample the frames it likes least;
//! - [`text`] reads and writes settings as `key=value` pairs (model metadata);
//! - [`analytic`] is a network with an exactly known score, for tests and calibration.
//!
//! `evaluation` holds the one network evaluation that annealing and refinement share, and
//! what a chain reports ([`SampleReport`]) or fails with ([`SampleError`]).
//!
//! # Sampling a phrase
//!
//! One bar of 4/4 from the small test network of the engine's golden vectors, with a
//! short schedule so that it is quick (a board takes its settings from the model, see
//! `player::model_settings`):
//!
//! ```
//! use kantor_core::engine::{Aligned, Int8ScoreNet, Model, ModelExt, Plan};
//! use kantor_core::sampler::{sample, PiecePlan, SamplerSettings, Workspace};
//! use kantor_core::{FrameMeta, NoiseSchedule, Token, Voice};
//!
//! static BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/synthetic.kq8")));
//!
//! let mut metas = [FrameMeta::default(); 16];
//! let frames = PiecePlan::new(1).fill(&mut metas).expect("one bar of 4/4 is a valid plan");
//!
//! let model = Model::load(&BLOB.0).expect("a valid blob");
//! let arena = vec![0u8; Plan::new(&model, frames).expect("the network runs at 16 frames").arena_bytes];
//! let mut net = Int8ScoreNet::new(&BLOB.0, arena, frames).expect("blob and arena fit");
//!
//! let schedule = model.schedule();
//! let mut settings = SamplerSettings::ncsn(NoiseSchedule::new(schedule.sigma_max, schedule.sigma_min, 8));
//! settings.steps_per_level = 2;
//! let mut buffer = vec![0.0; Workspace::floats_needed(frames)];
//! let mut ws = Workspace::split(&mut buffer, frames).expect("the buffer holds 16 frames");
//! let mut tokens = [[Token::Rest; 4]; 16];
//! let report = sample(&mut net, &settings, 7, &metas[..frames], &[], &mut ws, &mut tokens).expect("sampled");
//!
//! assert_eq!(report.evaluations, settings.evaluations());
//! // Whatever the network says, every note lies in its voice's range.
//! for frame in &tokens {
//!     for (v, token) in frame.iter().enumerate() {
//!         if let Token::Pitch(p) = token {
//!             assert!(Voice::ALL[v].range().contains(*p));
//!         }
//!     }
//! }
//! ```

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
pub mod melody;
pub mod plan;
pub mod refine;
pub mod settings;
pub mod table;
pub mod text;
pub mod workspace;

pub use clamp::{clamp_continuation, clamp_home, clamp_home_bass, clamp_home_opening, clamp_melody, clamp_voice, end_of_final_note, Clamp, FREE};
pub use constrain::Constraint;
pub use gauss::Gaussian;
pub use evaluation::{SampleError, SampleReport};
pub use langevin::sample;
pub use plan::{PiecePlan, PiecePlanError};
pub use settings::{Init, Judge, Method, Refine, SamplerSettings, HARMONIZING_ROUNDS, RECOMMENDED};
pub use table::{Kind, Setting, Value, SETTINGS};
pub use text::{BadPair, Problem};
pub use workspace::Workspace;


#[cfg(test)]
mod tests;
