//! Part writing as a teacher marks it: every rule of [`kantor_core::part_writing`] per 100
//! frames (16ths) of a piece.
//!
//! Definitions (the report and `kantor eval --help` repeat them): see [`DEFINITIONS`].

use super::key::Key;
use kantor_core::part_writing::{tally, Tally};
use kantor_core::Frame;
use serde::Serialize;

/// What each rule means, as the report states it.
pub const DEFINITIONS: &str = "\
- Consecutive fifths / octaves (any two of the four voices, between consecutive sonorities): both voices sound in both sonorities, both move to a new pitch, and stand a perfect fifth (7 semitones modulo 12) or an octave or unison (0 modulo 12) apart in both; compound intervals reduce, so a twelfth to a fifth is consecutive fifths and a unison to an octave consecutive octaves. In similar motion (both up or both down) they are the parallel fifths and octaves of the voice-leading rows; by contrary motion one voice rises and the other falls. A voice that holds or repeats while the other leaps an octave (oblique motion) is not counted. Counted per pair of voices.
- Hidden fifths / octaves: soprano and bass move in similar motion into a perfect fifth or octave (modulo 12) they did not stand at before, with the soprano leaping (more than two semitones).
- Crossed voices: sonorities in which some voice sounds below the voice under it. Overlapping: of two neighbouring voices, the lower moves above the pitch the upper sang before, or the upper below the pitch the lower sang before, without crossing; per pair. Spacing: sonorities with soprano–alto or alto–tenor more than an octave apart.
- Doubled leading tone: sonorities of dominant function (V, V7, or a diminished or half-diminished chord on the leading tone) with two voices on the leading tone (a semitone below the tonic, the raised seventh in minor).
- Unresolved leading tone: a soprano or bass note on the leading tone sounding in a V or V7 chord whose next note of another pitch is not the tonic a semitone above. Unresolved seventh: a note that is the seventh of a seventh chord in a sonority it sounds in, whose next note of another pitch is not a step (one or two semitones) below. A note struck again waits for the next other pitch; one followed by a rest or the end of the piece is not judged.
- Augmented second: in a minor key, a melodic move of three semitones between the sixth degree and the raised seventh (the encoding has no spelling, so this is how it is known). Tritone: a melodic leap of six semitones (augmented fourth or diminished fifth), or eighteen.
- The key is the piece's home key (as the whole piece defines it: the key its frames state); the leading tone, the doubled leading tone and the augmented second need it. Each rule is counted once per mark a teacher would make (per sonority, per progression and pair, or per note) and given per 100 frames (16ths).
";

/// Counts every part-writing rule over a piece, in `key` (the piece's home key).
pub fn tally_piece(frames: &[Frame], key: Option<Key>) -> Tally {
    tally(frames.iter().map(|f| f.tokens), key.map(Into::into))
}

/// How often each rule is broken per 100 frames. `None` for an empty piece, and for the
/// key's rules when there is no key.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PartWriting {
    pub consecutive_fifths_per_100: Option<f64>,
    pub consecutive_octaves_per_100: Option<f64>,
    pub contrary_fifths_per_100: Option<f64>,
    pub contrary_octaves_per_100: Option<f64>,
    pub hidden_fifths_per_100: Option<f64>,
    pub hidden_octaves_per_100: Option<f64>,
    pub crossings_per_100: Option<f64>,
    pub overlaps_per_100: Option<f64>,
    pub wide_spacings_per_100: Option<f64>,
    pub doubled_leading_tones_per_100: Option<f64>,
    pub unresolved_leading_tones_per_100: Option<f64>,
    pub unresolved_sevenths_per_100: Option<f64>,
    pub augmented_seconds_per_100: Option<f64>,
    pub tritones_per_100: Option<f64>,
}

impl PartWriting {
    /// Rates from a piece's tally; `keyed` says whether the key's rules were counted.
    pub fn of(t: &Tally, keyed: bool) -> PartWriting {
        let per_100 = |c: usize| (t.frames > 0).then(|| 100.0 * c as f64 / t.frames as f64);
        let with_key = |c: usize| per_100(c).filter(|_| keyed);
        PartWriting {
            consecutive_fifths_per_100: per_100(t.consecutive_fifths()),
            consecutive_octaves_per_100: per_100(t.consecutive_octaves()),
            contrary_fifths_per_100: per_100(t.contrary_fifths),
            contrary_octaves_per_100: per_100(t.contrary_octaves),
            hidden_fifths_per_100: per_100(t.hidden_fifths),
            hidden_octaves_per_100: per_100(t.hidden_octaves),
            crossings_per_100: per_100(t.crossings),
            overlaps_per_100: per_100(t.overlaps),
            wide_spacings_per_100: per_100(t.wide_spacings),
            doubled_leading_tones_per_100: with_key(t.doubled_leading_tones),
            unresolved_leading_tones_per_100: with_key(t.unresolved_leading_tones),
            unresolved_sevenths_per_100: per_100(t.unresolved_sevenths),
            augmented_seconds_per_100: with_key(t.augmented_seconds),
            tritones_per_100: per_100(t.tritones),
        }
    }
}
