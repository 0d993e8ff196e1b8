//! Part writing as a teacher marks it: the rules of four-part writing, each defined once,
//! over what a chorale sounds.
//!
//! The sampler's judge ([`crate::sampler::counterpoint`]) and the host's `kantor eval`
//! both ask these functions, so a parallel fifth is the same thing where it is repaired
//! and where it is counted. Everything runs over note-change events without heap:
//!
//! - [`sonority`]: what sounds, event by event ([`events`], [`sonorities`]);
//! - [`consecutives`]: consecutive fifths and octaves between any two voices, in similar
//!   or contrary motion, and hidden fifths and octaves between the outer voices;
//! - [`crossing`]: crossed and overlapping voices;
//! - [`spacing`]: upper voices more than an octave apart, tenor and bass more than a
//!   twelfth;
//! - [`tendency`]: the leading tone doubled or left unresolved, the chordal seventh left
//!   unresolved (the leading tone needs the key, [`crate::key::Key`]);
//! - [`melodic`]: augmented seconds and tritones within a voice;
//! - [`tally`]: all of them counted over a piece.
//!
//! Pitches are MIDI numbers without spelling, so every interval is a number of
//! semitones and compound intervals reduce modulo the octave where a rule says so.

#![forbid(unsafe_code)]

pub mod consecutives;
pub mod crossing;
pub mod melodic;
pub mod sonority;
pub mod spacing;
pub mod tally;
pub mod tendency;

pub use consecutives::{consecutive, hidden, Consecutive, Motion, Perfect};
pub use sonority::{advance, events, sonorities, Sonority, Sounding};
pub use tally::{tally, Tally};

/// Every pair of voices as (upper, lower) indices, soprano–alto first.
pub const PAIRS: [(usize, usize); 6] = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];

#[cfg(test)]
pub(crate) mod test_frames {
    //! Hand-built token rows for the rules' tests.
    use crate::token::Token;
    use crate::voice::VOICES;

    pub const H: Token = Token::Hold;
    pub const R: Token = Token::Rest;

    /// A chord struck on every voice (0 = rest).
    pub fn chord(pitches: [u8; VOICES]) -> [Token; VOICES] {
        pitches.map(|p| if p == 0 { R } else { Token::Pitch(p) })
    }

    /// Sounding pitches (0 = silent).
    pub fn sounding(pitches: [u8; VOICES]) -> [Option<u8>; VOICES] {
        pitches.map(|p| (p != 0).then_some(p))
    }
}
