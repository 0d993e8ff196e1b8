//! The four voices of a chorale and their ranges.
//!
//! The ranges are the one place where Kantor says which pitches each voice may sing.
//! They follow DeepBach's encoding (MIDI note numbers, both ends inclusive).

#![forbid(unsafe_code)]

/// One of the four voices, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Voice {
    Soprano = 0,
    Alto = 1,
    Tenor = 2,
    Bass = 3,
}

/// The lowest and highest MIDI note a voice may sing (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VoiceRange {
    pub lowest: u8,
    pub highest: u8,
}

impl VoiceRange {
    /// Number of distinct pitches in the range.
    pub const fn pitches(self) -> usize {
        (self.highest - self.lowest) as usize + 1
    }

    /// Whether `pitch` lies inside the range.
    pub const fn contains(self, pitch: u8) -> bool {
        pitch >= self.lowest && pitch <= self.highest
    }
}

/// Voice ranges in MIDI numbers, indexed by [`Voice::index`]: S 60–79, A 53–74, T 48–69, B 36–64.
pub const VOICE_RANGES: [VoiceRange; 4] = [
    VoiceRange { lowest: 60, highest: 79 },
    VoiceRange { lowest: 53, highest: 74 },
    VoiceRange { lowest: 48, highest: 69 },
    VoiceRange { lowest: 36, highest: 64 },
];

/// Number of voices in a chorale.
pub const VOICES: usize = 4;

impl Voice {
    /// All voices, soprano first.
    pub const ALL: [Voice; VOICES] = [Voice::Soprano, Voice::Alto, Voice::Tenor, Voice::Bass];

    /// Position of the voice, 0 = soprano … 3 = bass.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The voice at `index` (0 = soprano); `None` beyond the bass.
    pub const fn from_index(index: usize) -> Option<Voice> {
        match index {
            0 => Some(Voice::Soprano),
            1 => Some(Voice::Alto),
            2 => Some(Voice::Tenor),
            3 => Some(Voice::Bass),
            _ => None,
        }
    }

    /// The voice's range.
    pub const fn range(self) -> VoiceRange {
        VOICE_RANGES[self as usize]
    }

    /// Size of the voice's token alphabet: hold, rest and every pitch in range.
    pub const fn classes(self) -> usize {
        2 + self.range().pitches()
    }

    /// One-letter name (S, A, T, B).
    pub const fn letter(self) -> char {
        match self {
            Voice::Soprano => 'S',
            Voice::Alto => 'A',
            Voice::Tenor => 'T',
            Voice::Bass => 'B',
        }
    }

    /// Full name.
    pub const fn name(self) -> &'static str {
        match self {
            Voice::Soprano => "soprano",
            Voice::Alto => "alto",
            Voice::Tenor => "tenor",
            Voice::Bass => "bass",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_match_deepbach() {
        assert_eq!(Voice::Soprano.classes(), 22);
        assert_eq!(Voice::Alto.classes(), 24);
        assert_eq!(Voice::Tenor.classes(), 24);
        assert_eq!(Voice::Bass.classes(), 31);
        for v in Voice::ALL {
            assert_eq!(Voice::from_index(v.index()), Some(v));
        }
        assert!(Voice::Bass.range().contains(36) && !Voice::Bass.range().contains(65));
    }
}
