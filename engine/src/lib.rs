//! Kantor's int8 network engine: loads a quantised `.kq8` blob and runs it with integer
//! arithmetic, without a heap. It knows nothing of music: what the network's inputs and
//! output mean (the chorale encoding, the noise schedule, the output head) is its user's
//! to check (`kantor_core::engine` does, through a [`Check`]) and to interpret.
//!
//! - [`format`]: the blob layout (shared with `kantor quantize`), its records declared
//!   once through [`record`] so reader and writer cannot disagree;
//! - [`scalar`]: the σ program's instructions ([`ScalarOp`]), evaluated the same way here
//!   and in `kantor quantize`;
//! - [`model`]: loading and checking a blob ([`Model`], [`BlobError`]); every offset,
//!   index and shift is checked once, so running cannot read out of bounds; the caller's
//!   [`Check`] sees the header's interface fields;
//! - [`quant`]: element types, zero points, requantisation parameters;
//! - [`fixed`]: fixed-point requantisation (gemmlowp / TFLite Micro arithmetic);
//! - [`conv`]: the shape of a convolution and its packed parameters;
//! - [`kernels`]: the kernel sets: the portable reference and its bit-identical twins
//!   (AVX2 / AVX-512 VNNI on x86-64, the DSP extension on Cortex-M), one table chosen
//!   when the network is built;
//! - [`arena`]: tensor lengths and arena placement for a frame count;
//! - [`net`]: [`Int8Net`], a blob and its working memory, run on one input at one σ
//!   (`kantor_core` wraps it as the `ScoreNet` the sampler drives).
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
//! count needs; [`Int8Net`] runs the network on an input at one noise level σ. On the
//! host both buffers can be `Vec<u8>`. Here the blob is the small test network of the
//! golden vectors, which uses every op:
//!
//! ```
//! use kantor_engine::{Aligned, Int8Net, Model, Plan};
//!
//! static BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../firmware/tests/golden/synthetic.kq8")));
//!
//! # fn main() -> Result<(), kantor_engine::EngineError> {
//! let frames = 16;
//! let model = Model::load(&BLOB.0)?; // every length, offset and index checked once
//! let arena = vec![0u8; Plan::new(&model, frames)?.arena_bytes];
//! let mut net = Int8Net::new(&BLOB.0, arena, frames)?;
//!
//! // The network's output for a (here: uniform) input at the smallest noise level.
//! let h = model.header();
//! let x = vec![1.0 / 32.0; h.voice_channels * frames];
//! let meta = vec![0.0; h.meta_channels * frames];
//! let mut out = vec![0.0; h.voice_channels * frames];
//! net.run(&x, &meta, frames, h.sigma_min, &mut out)?;
//! assert!(out.iter().all(|s| s.is_finite()));
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
//! use kantor_engine::{Aligned, Int8Net};
//!
//! include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model_sizes.rs"));
//! static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model.kq8")));
//! static mut ARENA: [u8; ARENA_BYTES_64] = [0; ARENA_BYTES_64];
//!
//! # fn main() -> Result<(), kantor_engine::EngineError> {
//! // SAFETY: the one reference to ARENA, taken once at start-up.
//! let arena = unsafe { &mut *core::ptr::addr_of_mut!(ARENA) };
//! let net = Int8Net::new(&MODEL.0, &mut arena[..], 64)?; // checks blob and arena
//! // kantor_core::engine::Int8ScoreNet::new adds the music's checks and the head.
//! # drop(net);
//! # Ok(())
//! # }
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
// Only the kernel sets may use `unsafe` (`kernels` allows it; every other module forbids it).
#![deny(unsafe_code)]

pub mod arena;
mod bytes;
pub mod conv;
pub mod fixed;
pub mod format;
#[allow(unsafe_code)]
pub mod kernels;
pub mod model;
pub mod net;
pub mod quant;
pub mod record;
pub mod scalar;

pub use arena::{ArenaPlanError, Plan};
pub use format::Aligned;
pub use kernels::Kernels;
pub use model::{BlobError, Check, Header, Model};
pub use net::{EngineError, Int8Net};
pub use scalar::ScalarOp;
