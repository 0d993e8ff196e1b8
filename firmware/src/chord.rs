//! Chords: which triad or seventh chord a set of pitch classes spells.
//!
//! Shared by the evaluation (`kantor eval` counts chords and cadences with it) and the
//! sampler's cadence judge (`sampler::cadence`, which asks for a cadence at every
//! fermata), so both hear the same chords.

#![forbid(unsafe_code)]

/// The kind of chord, named by its intervals above the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Quality {
    Major,
    Minor,
    Diminished,
    Augmented,
    DominantSeventh,
    MinorSeventh,
    MajorSeventh,
    HalfDiminishedSeventh,
    DiminishedSeventh,
}

impl Quality {
    /// The triad or seventh chord has a major third above its root.
    pub const fn major_third(self) -> bool {
        matches!(
            self,
            Quality::Major | Quality::Augmented | Quality::DominantSeventh | Quality::MajorSeventh
        )
    }
}

/// A recognised chord.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Chord {
    /// Pitch class of the root (0 = C).
    pub root: u8,
    pub quality: Quality,
}

/// Chord templates: pitch classes above the root (as a 12-bit set) and the quality.
/// Complete triads and seventh chords, then the same without the fifth (the fifth is
/// the note a four-part texture most often leaves out); a triad without its fifth is
/// the root and third alone. Diminished and augmented chords keep their fifth (it is
/// what makes them diminished or augmented); a diminished seventh without its fifth
/// spells a diminished triad and is recognised as one.
const TEMPLATES: [(&[u8], Quality); 14] = [
    (&[0, 4, 7], Quality::Major),
    (&[0, 3, 7], Quality::Minor),
    (&[0, 3, 6], Quality::Diminished),
    (&[0, 4, 8], Quality::Augmented),
    (&[0, 4, 7, 10], Quality::DominantSeventh),
    (&[0, 3, 7, 10], Quality::MinorSeventh),
    (&[0, 4, 7, 11], Quality::MajorSeventh),
    (&[0, 3, 6, 10], Quality::HalfDiminishedSeventh),
    (&[0, 3, 6, 9], Quality::DiminishedSeventh),
    (&[0, 4, 10], Quality::DominantSeventh),
    (&[0, 3, 10], Quality::MinorSeventh),
    (&[0, 4, 11], Quality::MajorSeventh),
    (&[0, 4], Quality::Major),
    (&[0, 3], Quality::Minor),
];

fn set_of(intervals: &[u8]) -> u16 {
    intervals.iter().fold(0, |s, i| s | 1 << i)
}

fn rotate_down(set: u16, root: u8) -> u16 {
    let r = root as u32 % 12;
    ((set >> r) | (set << (12 - r))) & 0xfff
}

/// The chord a set of pitch classes spells, if it is a triad or seventh chord (with or
/// without the fifth). When several roots fit (the diminished seventh, the augmented
/// triad) the bass note is preferred as root, then the lowest pitch class.
pub fn identify(pitch_classes: u16, bass: Option<u8>) -> Option<Chord> {
    let mut found: Option<Chord> = None;
    for (intervals, quality) in TEMPLATES {
        let template = set_of(intervals);
        for root in 0..12u8 {
            if rotate_down(pitch_classes, root) == template {
                let chord = Chord { root, quality };
                if bass.map(|b| b % 12) == Some(root) {
                    return Some(chord);
                }
                found.get_or_insert(chord);
            }
        }
        if found.is_some() {
            return found;
        }
    }
    found
}

