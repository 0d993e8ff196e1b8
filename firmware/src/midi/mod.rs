//! The MIDI event stream: a chorale as time-stamped MIDI 1.0 messages (no heap).
//!
//! - [`message`]: the channel messages Kantor sends ([`Message`]);
//! - [`performance`]: how a chorale is played: tempo, channels, programs, velocity and
//!   fermata lengthening ([`Performance`]), and tick → microsecond timing;
//! - [`stream`]: frames → [`TimedEvent`]s ([`EventStream`]), and the "all notes off"
//!   panic sequence ([`all_notes_off`]);
//! - [`wire`]: messages → bytes with running status ([`RunningStatus`]);
//! - [`smf`]: a chorale as a Standard MIDI File ([`write_smf`]).
//!
//! Both the serial player and the Standard MIDI File writer are built on
//! [`EventStream`], so a file and a live performance cannot disagree about the notes.

#![forbid(unsafe_code)]

pub mod message;
pub mod performance;
pub mod smf;
pub mod stream;
pub mod wire;

pub use message::Message;
pub use performance::{FermataTiming, Performance, CHOIR_AAHS, CHURCH_ORGAN};
pub use smf::{write_smf, SmfError, FERMATA_END_MARKER, FERMATA_MARKER};
pub use stream::{all_notes_off, frame_tick, EventStream, TimedEvent};
pub use wire::{BufferTooSmall, RunningStatus};

/// Ticks per quarter note in every time stamp Kantor produces (and in its MIDI files).
pub const TICKS_PER_QUARTER: u32 = 480;

/// Ticks per 16th-note frame.
pub const TICKS_PER_FRAME: u32 = TICKS_PER_QUARTER / crate::meter::FRAMES_PER_QUARTER as u32;
