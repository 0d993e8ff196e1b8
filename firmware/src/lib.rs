//! Kantor's device core.
//!
//! Everything a board needs to compose a four-part chorale and play it: the chorale
//! encoding ([`voice`], [`token`], [`frame`], [`chorale`], [`onehot`]), the rules of part
//! writing ([`part_writing`], [`chord`]), and on top of them the score network runtime, the
//! annealed Langevin sampler, the MIDI event stream and the written score ([`notation`]:
//! spelling and MusicXML).
//!
//! The int8 engine is its own crate, `kantor-engine` (which knows nothing of music);
//! [`engine`] checks its blobs against the encoding and turns its output into the score.
//!
//! `#![no_std]`; nothing in the sampling or playing path allocates. The crate forbids
//! `unsafe` (only the engine's kernel sets use it, in `kantor-engine`). The optional `std`
//! feature adds error trait impls and the player on an operating system
//! ([`player::live`]: a wall clock, streaming on a thread, a model read at run time) for
//! the Pi and the host tool.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

pub mod chord;
pub mod chorale;
pub mod engine;
pub mod frame;
pub mod head;
pub mod key;
pub mod meter;
pub mod midi;
pub mod noise;
pub mod notation;
pub mod onehot;
pub mod part_writing;
pub mod player;
pub mod sampler;
pub mod score;
pub mod token;
pub mod voice;

#[cfg(test)]
mod error_messages;

pub use chorale::Chorale;
pub use frame::{Frame, FrameMeta};
pub use head::Head;
pub use key::{Key, Mode};
pub use meter::{KeySignature, TimeSignature};
pub use noise::NoiseSchedule;
pub use score::ScoreNet;
pub use token::Token;
pub use voice::{Voice, VoiceRange, VOICE_RANGES};
