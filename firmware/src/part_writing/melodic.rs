//! Augmented melodic intervals within a voice.
//!
//! Pitches carry no spelling, so an augmented interval is known by its context:
//! - *Augmented second*: in a minor key, a move of three semitones between the sixth
//!   degree (8 semitones above the tonic) and the raised seventh (11), either way.
//! - *Tritone*: a move of six semitones (augmented fourth or diminished fifth), or a
//!   compound one (18).
//!
//! Melodic intervals are between consecutive notes of a voice with no rest between.

use crate::key::{Key, Mode};

/// Semitones of `pitch`'s pitch class above the tonic of `key`.
const fn degree(key: Key, pitch: u8) -> u8 {
    (pitch % 12 + 12 - key.tonic % 12) % 12
}

/// An augmented second between the sixth degree and the raised seventh of a minor key.
pub const fn augmented_second(from: u8, to: u8, key: Key) -> bool {
    if !matches!(key.mode, Mode::Minor) || from.abs_diff(to) != 3 {
        return false;
    }
    matches!((degree(key, from), degree(key, to)), (8, 11) | (11, 8))
}

/// A tritone leap, simple or compound.
pub const fn tritone(from: u8, to: u8) -> bool {
    from.abs_diff(to) % 12 == 6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmented_seconds_only_between_the_sixth_and_raised_seventh_in_minor() {
        let a_minor = Key { tonic: 9, mode: Mode::Minor };
        // F5 to G#5 and back in A minor.
        assert!(augmented_second(77, 80, a_minor) && augmented_second(68, 65, a_minor));
        // A minor third elsewhere in A minor (A to C) is not.
        assert!(!augmented_second(69, 72, a_minor));
        // In a major key no move is judged an augmented second.
        assert!(!augmented_second(65, 68, Key::C_MAJOR));
        // Six semitones, either way, simple or compound.
        assert!(tritone(65, 71) && tritone(71, 65) && tritone(53, 71));
        assert!(!tritone(65, 72) && !tritone(60, 60));
    }
}
