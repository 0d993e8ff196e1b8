//! A chorale's key: a tonic and a mode. The key signature ([`KeySignature`]) is how it is
//! written; the mode says which of the signature's two keys (C major or A minor) the
//! music is in.

#![forbid(unsafe_code)]

use crate::chord::{Chord, Quality};
use crate::meter::KeySignature;

/// Major or minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode {
    #[default]
    Major,
    Minor,
}

impl Mode {
    /// `"major"` or `"minor"`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Major => "major",
            Mode::Minor => "minor",
        }
    }
}

/// A key: the tonic's pitch class (0 = C) and the mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Key {
    pub tonic: u8,
    pub mode: Mode,
}

/// Tonic names as the key signature spells them (Gb and Eb minor rather than F# and D#
/// minor, as [`KeySignature::from_major_tonic`] writes at most six flats or five sharps).
const MAJOR_NAMES: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"];
const MINOR_NAMES: [&str; 12] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"];

impl Key {
    pub const C_MAJOR: Key = Key { tonic: 0, mode: Mode::Major };

    /// The key of `signature` in `mode` (C major or A minor for no sharps or flats).
    pub const fn of_signature(signature: KeySignature, mode: Mode) -> Key {
        let major = signature.major_tonic();
        match mode {
            Mode::Major => Key { tonic: major, mode },
            Mode::Minor => Key { tonic: (major + 9) % 12, mode },
        }
    }

    /// The signature this key is written with.
    pub const fn signature(self) -> KeySignature {
        match self.mode {
            Mode::Major => KeySignature::from_major_tonic(self.tonic % 12),
            Mode::Minor => KeySignature::from_major_tonic((self.tonic + 3) % 12),
        }
    }

    /// The key after transposing the music by `semitones`.
    pub const fn transposed(self, semitones: i32) -> Key {
        Key { tonic: ((self.tonic as i32 + semitones).rem_euclid(12)) as u8, mode: self.mode }
    }

    /// The tonic's name as the signature spells it (`"F#"` for F♯ minor, `"Gb"` for G♭
    /// major).
    pub const fn tonic_name(self) -> &'static str {
        match self.mode {
            Mode::Major => MAJOR_NAMES[(self.tonic % 12) as usize],
            Mode::Minor => MINOR_NAMES[(self.tonic % 12) as usize],
        }
    }

    /// Pitch class of the leading tone (a semitone below the tonic, in minor too).
    pub const fn leading_tone(self) -> u8 {
        (self.tonic + 11) % 12
    }

    /// Pitch class of the dominant.
    pub const fn dominant(self) -> u8 {
        (self.tonic + 7) % 12
    }

    /// Whether `chord` is the tonic triad: major or minor on the tonic, whatever the mode
    /// (a Picardy third closes a minor piece at home too).
    pub fn is_tonic_triad(self, chord: Chord) -> bool {
        chord.root == self.tonic % 12 && matches!(chord.quality, Quality::Major | Quality::Minor)
    }
}

/// Bach's chorales by key: how many of the prepared corpus (`models/bach-chorales.kds`,
/// all 395, every split) are in each, as `kantor prepare` labels them (213 major, 182
/// minor; a chorale transposed into the voice ranges counts in its new key).
/// [`Key::drawn`] follows it.
pub const BACH_KEYS: [(Key, u16); 24] = {
    const fn k(tonic: u8, minor: bool) -> Key {
        Key { tonic, mode: if minor { Mode::Minor } else { Mode::Major } }
    }
    [
        (k(0, false), 28), (k(1, false), 0), (k(2, false), 28), (k(3, false), 9),
        (k(4, false), 9), (k(5, false), 27), (k(6, false), 0), (k(7, false), 53),
        (k(8, false), 1), (k(9, false), 34), (k(10, false), 24), (k(11, false), 0),
        (k(0, true), 9), (k(1, true), 0), (k(2, true), 30), (k(3, true), 0),
        (k(4, true), 23), (k(5, true), 4), (k(6, true), 8), (k(7, true), 38),
        (k(8, true), 0), (k(9, true), 45), (k(10, true), 1), (k(11, true), 24),
    ]
};

impl Key {
    /// The key of the piece made from `seed` when none is asked for: drawn as Bach's
    /// chorales are distributed ([`BACH_KEYS`]), from the seed alone, so host, boards and
    /// browser give the same key for the same seed.
    pub const fn drawn(seed: u64) -> Key {
        // SplitMix64's finaliser: every bit of the seed moves the draw.
        let mut z = seed ^ 0x6b65_795f_6d6f_6465;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let mut total = 0u64;
        let mut i = 0;
        while i < BACH_KEYS.len() {
            total += BACH_KEYS[i].1 as u64;
            i += 1;
        }
        if total == 0 {
            return Key::C_MAJOR;
        }
        let mut pick = ((z >> 32) * total) >> 32;
        let mut i = 0;
        while i < BACH_KEYS.len() {
            let w = BACH_KEYS[i].1 as u64;
            if pick < w {
                return BACH_KEYS[i].0;
            }
            pick -= w;
            i += 1;
        }
        Key::C_MAJOR
    }
}

/// Krumhansl–Kessler probe-tone profiles, tonic first: major, then minor.
pub const MAJOR_PROFILE: [f32; 12] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
pub const MINOR_PROFILE: [f32; 12] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];

/// Pearson correlation of a pitch-class distribution with `key`'s profile.
pub fn profile_fit(weights: &[f32; 12], key: Key) -> f32 {
    let profile = if key.mode == Mode::Major { &MAJOR_PROFILE } else { &MINOR_PROFILE };
    let mean_w = weights.iter().sum::<f32>() / 12.0;
    let mean_p = profile.iter().sum::<f32>() / 12.0;
    let (mut num, mut sw, mut sp) = (0.0f32, 0.0f32, 0.0f32);
    for pc in 0..12 {
        let dw = weights[pc] - mean_w;
        let dp = profile[(pc + 12 - key.tonic as usize % 12) % 12] - mean_p;
        num += dw * dp;
        sw += dw * dw;
        sp += dp * dp;
    }
    if sw == 0.0 || sp == 0.0 {
        0.0
    } else {
        num / libm::sqrtf(sw * sp)
    }
}

impl Key {
    /// The key of a melody alone (for harmonising it), written with `signature`: of the 24
    /// keys, the one whose Krumhansl–Kessler profile fits its pitch classes (weighted by
    /// how long they sound) best, given a lead where the melody ends on the tonic (+0.25)
    /// or on the third or fifth of the tonic triad (+0.1), and where the key is one of the
    /// signature's two (+0.15): a melody names its key less clearly than four voices, and
    /// hymn tunes end on the tonic. `None` for a melody without notes.
    pub fn of_melody(tokens: &[crate::token::Token], signature: KeySignature) -> Option<Key> {
        use crate::token::Token;
        let mut weights = [0.0f32; 12];
        let (mut current, mut last) = (None, None);
        for &t in tokens {
            match t {
                Token::Pitch(p) => {
                    current = Some(p % 12);
                    last = current;
                }
                Token::Rest => current = None,
                Token::Hold => {}
            }
            if let Some(pc) = current {
                weights[pc as usize] += 1.0;
            }
        }
        let last = last?;
        let written = [Key::of_signature(signature, Mode::Major), Key::of_signature(signature, Mode::Minor)];
        let fit = |k: Key| {
            let third = if k.mode == Mode::Major { 4 } else { 3 };
            let from_tonic = (last + 12 - k.tonic) % 12;
            let ending = if from_tonic == 0 {
                0.25
            } else if from_tonic == third || from_tonic == 7 {
                0.1
            } else {
                0.0
            };
            profile_fit(&weights, k) + ending + if written.contains(&k) { 0.15 } else { 0.0 }
        };
        let mut best: Option<(f32, Key)> = None;
        for i in 0..24u8 {
            let k = Key { tonic: i % 12, mode: if i < 12 { Mode::Major } else { Mode::Minor } };
            let f = fit(k);
            if best.is_none_or(|(b, _)| f > b) {
                best = Some((f, k));
            }
        }
        best.map(|(_, k)| k)
    }
}

impl core::fmt::Display for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.tonic_name(), self.mode.name())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::token::Token;

    #[test]
    fn signatures_and_keys_agree() {
        for tonic in 0..12 {
            for mode in [Mode::Major, Mode::Minor] {
                let k = Key { tonic, mode };
                assert_eq!(Key::of_signature(k.signature(), mode), k);
                assert_eq!(k.transposed(12), k);
                assert_eq!(k.transposed(-1).transposed(1), k);
            }
        }
        let a_minor = Key { tonic: 9, mode: Mode::Minor };
        assert_eq!(a_minor.signature(), KeySignature { fifths: 0 });
        assert_eq!(Key { tonic: 2, mode: Mode::Minor }.signature(), KeySignature { fifths: -1 });
        assert_eq!(Key { tonic: 6, mode: Mode::Minor }.signature(), KeySignature { fifths: 3 });
        assert_eq!(Key::of_signature(KeySignature { fifths: -3 }, Mode::Minor).tonic, 0);
    }

    #[test]
    fn drawn_keys_follow_the_corpus() {
        let total: u32 = BACH_KEYS.iter().map(|&(_, n)| n as u32).sum();
        let mut counts = [0u32; 24];
        let draws = 200_000u32;
        for seed in 0..draws as u64 {
            let key = Key::drawn(seed);
            let at = BACH_KEYS.iter().position(|&(k, _)| k == key).unwrap();
            counts[at] += 1;
        }
        for (i, &(key, n)) in BACH_KEYS.iter().enumerate() {
            let want = n as f64 / total as f64;
            let got = counts[i] as f64 / draws as f64;
            assert!((got - want).abs() < 0.005, "{key}: drawn {got:.4}, corpus {want:.4}");
        }
        assert_eq!(Key::drawn(7), Key::drawn(7));
    }

    /// Quarter notes.
    fn tune(pitches: &[u8]) -> std::vec::Vec<Token> {
        pitches.iter().flat_map(|&p| [Token::Pitch(p), Token::Hold, Token::Hold, Token::Hold]).collect()
    }

    #[test]
    fn melodies_find_their_mode() {
        use crate::meter::KeySignature;
        let none = KeySignature { fifths: 0 };
        // A minor with its raised seventh, ending on the tonic.
        let a = tune(&[69, 71, 72, 71, 69, 68, 69, 72, 71, 69, 68, 69]);
        assert_eq!(Key::of_melody(&a, none), Some(Key { tonic: 9, mode: Mode::Minor }));
        // C major up and down the scale.
        let c = tune(&[60, 62, 64, 65, 67, 65, 64, 62, 64, 62, 60]);
        assert_eq!(Key::of_melody(&c, none), Some(Key::C_MAJOR));
        // D minor written with a one-flat signature.
        let d = tune(&[62, 65, 64, 62, 69, 70, 69, 67, 65, 64, 61, 62]);
        assert_eq!(Key::of_melody(&d, KeySignature { fifths: -1 }), Some(Key { tonic: 2, mode: Mode::Minor }));
        assert_eq!(Key::of_melody(&[Token::Rest, Token::Hold], none), None);
    }

    #[test]
    fn names() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Key { tonic: 6, mode: Mode::Minor }.to_string(), "F# minor");
        assert_eq!(Key { tonic: 6, mode: Mode::Major }.to_string(), "Gb major");
        assert_eq!(Key { tonic: 3, mode: Mode::Minor }.to_string(), "Eb minor");
        assert_eq!(Key::C_MAJOR.to_string(), "C major");
    }
}
