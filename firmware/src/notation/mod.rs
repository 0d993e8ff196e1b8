//! Notation: a chorale as a written score.
//!
//! - [`spelling`]: which letter and accidental each pitch gets, from the key and the
//!   harmony ([`spelling::Speller`]);
//! - [`musicxml`]: the score as MusicXML text ([`write_musicxml`]), into any
//!   `core::fmt::Write`: the host writes files with it, the WebAssembly module the score
//!   its page draws.

pub mod musicxml;
pub mod spelling;

pub use musicxml::write_musicxml;
