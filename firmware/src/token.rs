//! What one voice does in one 16th-note frame.

#![forbid(unsafe_code)]

use crate::voice::Voice;

/// One voice's event in one frame: a new note, a held note, or silence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Token {
    /// The previous frame's note (or rest) continues.
    Hold,
    /// Silence starts here.
    Rest,
    /// A note (MIDI number) starts here.
    Pitch(u8),
}

/// Class index of [`Token::Hold`] in every voice's alphabet.
pub const HOLD_CLASS: usize = 0;
/// Class index of [`Token::Rest`] in every voice's alphabet.
pub const REST_CLASS: usize = 1;

impl Token {
    /// Index of this token in `voice`'s alphabet: 0 hold, 1 rest, 2.. pitches from the
    /// lowest up. `None` for a pitch outside the voice's range.
    pub const fn class(self, voice: Voice) -> Option<usize> {
        match self {
            Token::Hold => Some(HOLD_CLASS),
            Token::Rest => Some(REST_CLASS),
            Token::Pitch(p) => {
                let r = voice.range();
                if r.contains(p) {
                    Some(2 + (p - r.lowest) as usize)
                } else {
                    None
                }
            }
        }
    }

    /// The token at class index `class` of `voice`'s alphabet.
    pub const fn from_class(voice: Voice, class: usize) -> Option<Token> {
        match class {
            HOLD_CLASS => Some(Token::Hold),
            REST_CLASS => Some(Token::Rest),
            c if c < voice.classes() => Some(Token::Pitch(voice.range().lowest + (c - 2) as u8)),
            _ => None,
        }
    }

    /// The pitch, if this token starts a note.
    pub const fn pitch(self) -> Option<u8> {
        match self {
            Token::Pitch(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_trip() {
        for v in Voice::ALL {
            for c in 0..v.classes() {
                let t = Token::from_class(v, c).unwrap();
                assert_eq!(t.class(v), Some(c));
            }
            assert_eq!(Token::from_class(v, v.classes()), None);
            assert_eq!(Token::Pitch(v.range().highest + 1).class(v), None);
        }
    }
}
