//! The int8 score network engine: loads a quantised blob and runs it with integer
//! arithmetic, without a heap.
//!
//! - [`format`]: the `.kq8` blob layout (shared with `kantor quantize`);
//! - [`model`]: loading and checking a blob ([`Model`], [`BlobError`]);
//! - [`fixed`]: fixed-point requantisation (gemmlowp / TFLite Micro arithmetic);
//! - [`kernels`]: the int8 kernels (portable), [`simd`]: their AVX2 twins on x86-64 hosts;
//! - [`plan`]: tensor lengths and arena placement for a frame count;
//! - [`net`]: [`Int8ScoreNet`], the [`crate::ScoreNet`] the sampler drives.
//!
//! A board includes the blob and sizes a static arena from the constants `kantor
//! quantize` writes next to it (`model_sizes.rs`, e.g. `ARENA_BYTES_64`); the engine
//! checks on load that the arena is large enough.

pub mod fixed;
pub mod format;
pub mod kernels;
pub mod model;
pub mod net;
pub mod plan;
#[cfg(target_arch = "x86_64")]
pub mod simd;

pub use format::Aligned;
pub use model::{BlobError, Model};
pub use net::{EngineError, Int8ScoreNet};
pub use plan::{Plan, PlanError};
