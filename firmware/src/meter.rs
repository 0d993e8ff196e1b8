//! Time and key signatures.

#![forbid(unsafe_code)]

/// Frames (16th notes) per quarter note.
pub const FRAMES_PER_QUARTER: u8 = 4;

/// A time signature. The corpus uses 4/4, 3/4 and 3/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeSignature {
    pub numerator: u8,
    pub denominator: u8,
}

impl TimeSignature {
    pub const COMMON: TimeSignature = TimeSignature { numerator: 4, denominator: 4 };
    pub const THREE_FOUR: TimeSignature = TimeSignature { numerator: 3, denominator: 4 };
    pub const THREE_TWO: TimeSignature = TimeSignature { numerator: 3, denominator: 2 };

    /// 16th-note frames in one bar; `None` when a bar is not a whole number of 16ths or
    /// longer than [`MAX_QUARTERS_PER_BAR`] quarters.
    pub const fn frames_per_bar(self) -> Option<u8> {
        let num = self.numerator as u32;
        let den = self.denominator as u32;
        if num == 0 || den == 0 || den > 16 || 16 % den != 0 {
            return None;
        }
        let frames = num * (16 / den);
        if frames == 0 || frames > (MAX_QUARTERS_PER_BAR as u32) * FRAMES_PER_QUARTER as u32 {
            None
        } else {
            Some(frames as u8)
        }
    }
}

/// Longest bar the encoding can mark (3/2 = six quarters).
pub const MAX_QUARTERS_PER_BAR: u8 = 6;

/// A key signature as a count of sharps (positive) or flats (negative), as in MusicXML's
/// `<fifths>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KeySignature {
    pub fifths: i8,
}

impl KeySignature {
    /// Pitch class (0 = C) of the major key with this signature.
    pub const fn major_tonic(self) -> u8 {
        ((self.fifths as i32 * 7).rem_euclid(12)) as u8
    }

    /// The signature whose major tonic is `pitch_class`, spelled with at most six flats
    /// or five sharps (F# major is written as G♭, six flats).
    pub const fn from_major_tonic(pitch_class: u8) -> KeySignature {
        // 7 is its own inverse modulo 12.
        let f = ((pitch_class as i32 % 12) * 7).rem_euclid(12);
        let fifths = if f > 5 { f - 12 } else { f };
        KeySignature { fifths: fifths as i8 }
    }

    /// The signature after transposing the music by `semitones`.
    pub const fn transposed(self, semitones: i32) -> KeySignature {
        KeySignature::from_major_tonic(((self.major_tonic() as i32 + semitones).rem_euclid(12)) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_lengths() {
        assert_eq!(TimeSignature::COMMON.frames_per_bar(), Some(16));
        assert_eq!(TimeSignature::THREE_FOUR.frames_per_bar(), Some(12));
        assert_eq!(TimeSignature::THREE_TWO.frames_per_bar(), Some(24));
        assert_eq!(TimeSignature { numerator: 3, denominator: 32 }.frames_per_bar(), None);
        assert_eq!(TimeSignature { numerator: 7, denominator: 4 }.frames_per_bar(), None);
    }

    #[test]
    fn keys_transpose() {
        let g = KeySignature { fifths: 1 };
        assert_eq!(g.major_tonic(), 7);
        assert_eq!(g.transposed(2), KeySignature { fifths: 3 }); // A major
        assert_eq!(KeySignature { fifths: -3 }.major_tonic(), 3); // E flat
        for f in -6..=5 {
            let k = KeySignature { fifths: f };
            assert_eq!(KeySignature::from_major_tonic(k.major_tonic()), k);
            assert_eq!(k.transposed(12), k);
        }
    }
}
