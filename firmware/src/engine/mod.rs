//! The integer score network engine: loads a quantised `.kq8` blob and runs it with
//! integer arithmetic, without a heap.
//!
//! - [`format`]: the blob layout (shared with `kantor quantize`), its records declared
//!   once through [`record`] so reader and writer cannot disagree;
//! - [`scalar`]: the σ program's instructions ([`ScalarOp`]), evaluated the same way here
//!   and in `kantor quantize`;
//! - [`model`]: loading and checking a blob ([`Model`], [`BlobError`]); every offset,
//!   index and shift is checked once, so running cannot read out of bounds;
//! - [`quant`]: element types, zero points, requantisation parameters;
//! - [`fixed`]: fixed-point requantisation (gemmlowp / TFLite Micro arithmetic);
//! - [`conv`]: the shape of a convolution and its packed parameters;
//! - [`kernels`]: the kernel sets: the portable reference and its bit-identical twins
//!   (AVX2 / AVX-512 VNNI on x86-64, the DSP extension on Cortex-M), one table chosen
//!   when the network is built;
//! - [`arena`]: tensor lengths and arena placement for a frame count;
//! - [`net`]: [`Int8ScoreNet`], the [`crate::ScoreNet`] the sampler drives.
//!
//! Weights are int8 (per output channel, symmetric); activations int8 (per tensor,
//! asymmetric) or int16 where int8 costs too much accuracy (TFLite's 16x8 scheme: the
//! residual stream, the input, the output); accumulators int32. Only quantising the input
//! and dequantising the score use f32, with plain multiplies and `libm::roundf`, so every
//! target computes the same numbers.
//!
//! # Loading a blob and running one evaluation
//!
//! [`Model::load`] checks a blob once; [`Plan::new`] says how much working memory a frame
//! count needs; [`Int8ScoreNet`] runs the network on a noisy chorale at one noise level.
//! On the host both buffers can be `Vec<u8>`. Here the blob is the small test network of
//! the golden vectors, which uses every op:
//!
//! ```
//! use kantor_core::engine::{Aligned, Int8ScoreNet, Model, Plan};
//! use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
//! use kantor_core::ScoreNet;
//!
//! static BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/synthetic.kq8")));
//!
//! # fn main() -> Result<(), kantor_core::engine::EngineError> {
//! let frames = 16; // one bar of 16th notes
//! let model = Model::load(&BLOB.0)?; // every length, offset and index checked once
//! let arena = vec![0u8; Plan::new(&model, frames)?.arena_bytes];
//! let mut net = Int8ScoreNet::new(&BLOB.0, arena, frames)?;
//!
//! // The score of a (here: uniformly) noisy chorale at the smallest noise level.
//! let x = vec![1.0 / 32.0; VOICE_CHANNELS * frames];
//! let meta = vec![0.0; META_CHANNELS * frames];
//! let mut score = vec![0.0; VOICE_CHANNELS * frames];
//! net.score(&x, &meta, frames, model.schedule().sigma_min, &mut score)?;
//! assert!(score.iter().all(|s| s.is_finite()));
//! # Ok(())
//! # }
//! ```
//!
//! # On a board
//!
//! The blob goes into flash with 4-byte alignment through [`Aligned`], the working memory
//! is a static array sized from `model_sizes.rs`, which `kantor quantize` writes next to
//! the blob (`ARENA_BYTES_64` etc.; or compute it in a build script with
//! [`Plan::new`]`(..).arena_bytes` for the board's frame count):
//!
//! ```
//! use kantor_core::engine::{Aligned, Int8ScoreNet};
//!
//! include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model_sizes.rs"));
//! static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model.kq8")));
//! static mut ARENA: [u8; ARENA_BYTES_64] = [0; ARENA_BYTES_64];
//!
//! # fn main() -> Result<(), kantor_core::engine::EngineError> {
//! // SAFETY: the one reference to ARENA, taken once at start-up.
//! let arena = unsafe { &mut *core::ptr::addr_of_mut!(ARENA) };
//! let net = Int8ScoreNet::new(&MODEL.0, &mut arena[..], 64)?; // checks blob and arena
//! // net implements ScoreNet: hand it to kantor_core::sampler::sample.
//! # drop(net);
//! # Ok(())
//! # }
//! ```

pub mod arena;
mod bytes;
pub mod conv;
pub mod fixed;
pub mod format;
pub mod golden;
pub mod kernels;
pub mod model;
pub mod net;
pub mod quant;
pub mod record;
pub mod scalar;

pub use arena::{ArenaPlanError, Plan};
pub use format::Aligned;
pub use kernels::Kernels;
pub use model::{BlobError, Model};
pub use net::{EngineError, Int8ScoreNet};
pub use scalar::ScalarOp;
