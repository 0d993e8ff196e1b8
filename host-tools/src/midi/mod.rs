//! Standard MIDI Files: writing chorales (through the device core's event stream) and
//! reading melodies and chorales back.
//!
//! - [`write`]: [`write_smf`] / [`smf_bytes`]: a chorale as a format-1 file, built from
//!   [`kantor_core::midi::EventStream`] so a file and the serial player agree note for note;
//! - [`read`]: [`read_smf`] / [`read_smf_bytes`]: one to four voices quantised to 16ths.
//!
//! How a file keeps a chorale exact: every frame is [`TICKS_PER_FRAME`] ticks long. A
//! fermata is not written by stretching ticks (as the live stream does) but by slowing the
//! tempo for the fermata frames, so it sounds just as long while the notes stay on the
//! grid; the fermata frames are also bracketed by the markers [`FERMATA_MARKER`] and
//! [`FERMATA_END_MARKER`], which is what the reader maps back to `FrameMeta::fermata`. A
//! piece starting with an upbeat gets a short first bar (its own time signature), the way
//! notation programs export an anacrusis.

pub mod read;
pub mod write;

pub use kantor_core::midi::{Performance, TICKS_PER_FRAME, TICKS_PER_QUARTER};
pub use read::{read_smf, read_smf_bytes, ReadMidi};
pub use write::{smf_bytes, write_smf};

pub use kantor_core::midi::{FERMATA_END_MARKER, FERMATA_MARKER};
