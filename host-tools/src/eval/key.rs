//! Key finding by the Krumhansl–Schmuckler algorithm: correlate the piece's
//! duration-weighted pitch-class distribution with the Krumhansl–Kessler probe-tone
//! profiles of all 24 major and minor keys and take the best.

use super::notes::voice_notes;
use kantor_core::{Frame, Voice};
use serde::Serialize;

/// Krumhansl–Kessler major-key profile, tonic first.
pub const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
/// Krumhansl–Kessler minor-key profile, tonic first.
pub const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

/// Major or minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Mode {
    Major,
    Minor,
}

/// A key: tonic pitch class (0 = C) and mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Key {
    pub tonic: u8,
    pub mode: Mode,
}

const NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

impl Key {
    /// Scale degrees of the key as semitones above the tonic. Major: the major scale.
    /// Minor: natural minor plus the raised sixth and seventh of the melodic and harmonic
    /// forms (nine pitch classes), as Bach's minor-mode chorales use all of them.
    pub const fn scale(self) -> &'static [u8] {
        match self.mode {
            Mode::Major => &[0, 2, 4, 5, 7, 9, 11],
            Mode::Minor => &[0, 2, 3, 5, 7, 8, 9, 10, 11],
        }
    }

    /// Whether pitch class `pc` belongs to the key's scale.
    pub fn contains(self, pc: u8) -> bool {
        self.scale().contains(&((pc + 12 - self.tonic) % 12))
    }

    /// Pitch class of the leading tone (a semitone below the tonic, in minor too).
    pub const fn leading_tone(self) -> u8 {
        (self.tonic + 11) % 12
    }

    /// Pitch class of the dominant.
    pub const fn dominant(self) -> u8 {
        (self.tonic + 7) % 12
    }

    /// Pitch class of the subdominant.
    pub const fn subdominant(self) -> u8 {
        (self.tonic + 5) % 12
    }

    /// The relative key (A minor for C major and back).
    pub const fn relative(self) -> Key {
        match self.mode {
            Mode::Major => Key {
                tonic: (self.tonic + 9) % 12,
                mode: Mode::Minor,
            },
            Mode::Minor => Key {
                tonic: (self.tonic + 3) % 12,
                mode: Mode::Major,
            },
        }
    }

    /// Name such as "G major" or "F# minor".
    pub fn name(self) -> String {
        let mode = match self.mode {
            Mode::Major => "major",
            Mode::Minor => "minor",
        };
        format!("{} {mode}", NAMES[self.tonic as usize % 12])
    }
}

impl From<Key> for kantor_core::Key {
    fn from(k: Key) -> Self {
        let mode = match k.mode {
            Mode::Major => kantor_core::Mode::Major,
            Mode::Minor => kantor_core::Mode::Minor,
        };
        kantor_core::Key { tonic: k.tonic, mode }
    }
}

impl From<kantor_core::Key> for Key {
    fn from(k: kantor_core::Key) -> Self {
        let mode = match k.mode {
            kantor_core::Mode::Major => Mode::Major,
            kantor_core::Mode::Minor => Mode::Minor,
        };
        Key { tonic: k.tonic, mode }
    }
}

/// The key a piece is judged in: the key its frames state (signature and mode: the key
/// asked of a generated piece, the labelled key of a prepared chorale, the key signature
/// and mode of a MIDI file, C major where a file states none), else `found`.
pub fn home_key(frames: &[Frame], found: Option<Key>) -> Option<Key> {
    frames.last().map_or(found, |f| Some(f.meta.home().into()))
}

/// How long each pitch class sounds over the piece, in frames.
pub fn pitch_class_durations(frames: &[Frame]) -> [f64; 12] {
    let mut w = [0.0; 12];
    for v in Voice::ALL {
        for n in voice_notes(frames, v) {
            w[(n.pitch % 12) as usize] += n.len as f64;
        }
    }
    w
}

/// Pearson correlation of the distribution with `profile` rotated to `tonic`.
pub fn correlation(weights: &[f64; 12], profile: &[f64; 12], tonic: usize) -> f64 {
    let mean_w = weights.iter().sum::<f64>() / 12.0;
    let mean_p = profile.iter().sum::<f64>() / 12.0;
    let (mut num, mut sw, mut sp) = (0.0, 0.0, 0.0);
    for pc in 0..12 {
        let dw = weights[pc] - mean_w;
        let dp = profile[(pc + 12 - tonic) % 12] - mean_p;
        num += dw * dp;
        sw += dw * dw;
        sp += dp * dp;
    }
    if sw == 0.0 || sp == 0.0 {
        0.0
    } else {
        num / (sw * sp).sqrt()
    }
}

/// The best-correlating key for a pitch-class distribution; `None` if it is empty or flat.
/// Ties go to the first key in the order C major, C minor, C# major, …
pub fn key_of_weights(weights: &[f64; 12]) -> Option<Key> {
    let mut best: Option<(f64, Key)> = None;
    for tonic in 0..12 {
        for (mode, profile) in [(Mode::Major, &MAJOR_PROFILE), (Mode::Minor, &MINOR_PROFILE)] {
            let r = correlation(weights, profile, tonic);
            if best.is_none_or(|(b, _)| r > b) {
                best = Some((
                    r,
                    Key {
                        tonic: tonic as u8,
                        mode,
                    },
                ));
            }
        }
    }
    best.filter(|(r, _)| *r > 0.0).map(|(_, k)| k)
}

/// The piece's key by Krumhansl–Schmuckler on duration-weighted pitch classes.
pub fn find_key(frames: &[Frame]) -> Option<Key> {
    key_of_weights(&pitch_class_durations(frames))
}
