//! Voice leading: crossings, parallel fifths and octaves, spacing, ranges, leaps and
//! leading tones.
//!
//! The rules are those of [`kantor_core::part_writing`] (one definition, shared with the
//! sampler's judge); the report repeats them:
//! - *Crossing*: a frame where some voice sounds strictly above its upper neighbour
//!   (alto above soprano, tenor above alto or bass above tenor).
//! - *Parallel fifths / octaves*: consecutive fifths or octaves in similar motion: between
//!   two consecutive distinct sonorities, a pair of voices (any two of the four) that both
//!   sound in both, both move, in the same direction, and stand a perfect fifth (7
//!   semitones modulo 12) or an octave or unison (0 modulo 12) apart in both. Compound
//!   intervals count, so a twelfth moving to a fifth is a parallel fifth too. Counted per
//!   pair of voices, and reported per 100 frames and per 100 changes of sonority. The
//!   same in contrary motion is counted with the other part-writing rules
//!   ([`super::part_writing`]).
//! - *Spacing*: frames where soprano–alto or alto–tenor exceed an octave (upper), or
//!   tenor–bass exceeds a twelfth (bass).
//! - *Out of range*: notes outside [`VOICE_RANGES`](kantor_core::VOICE_RANGES).
//! - *Large leap*: a melodic interval of more than an octave between consecutive notes of
//!   a voice (a rest breaks the line).
//! - *Unresolved leading tone*: a soprano or bass note on the leading tone of the piece's
//!   key, sounding in a V or V7 chord, whose next note of another pitch is not the tonic a
//!   semitone above (one followed by a rest or the end is not judged).

use super::notes::{sounding_per_frame, voice_notes, Note};
use super::summary::pct;
use kantor_core::part_writing::crossing::crossed;
use kantor_core::part_writing::spacing::{bass_too_wide, upper_too_wide};
use kantor_core::part_writing::Tally;
use kantor_core::{Frame, Voice};
use serde::Serialize;

/// Widest melodic leap (semitones) that is not a large leap.
pub const LARGE_LEAP: i32 = 12;

/// Voice-leading metrics of one piece. Percentages are `None` when nothing was counted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VoiceLeading {
    /// % of frames with a voice crossing.
    pub crossing_pct: Option<f64>,
    /// Parallel fifths per 100 frames.
    pub parallel_fifths_per_100: Option<f64>,
    /// Parallel octaves and unisons per 100 frames.
    pub parallel_octaves_per_100: Option<f64>,
    /// Parallel fifths per 100 changes of sonority (moves from one sonority to the next).
    pub parallel_fifths_per_100_changes: Option<f64>,
    /// Parallel octaves and unisons per 100 changes of sonority.
    pub parallel_octaves_per_100_changes: Option<f64>,
    /// % of frames where S–A or A–T is wider than an octave.
    pub spacing_upper_pct: Option<f64>,
    /// % of frames where T–B is wider than a twelfth.
    pub spacing_bass_pct: Option<f64>,
    /// % of notes outside their voice's range.
    pub out_of_range_pct: Option<f64>,
    /// % of melodic intervals larger than an octave.
    pub large_leaps_pct: Option<f64>,
    /// % of the outer voices' leading tones in V/V7 not resolved to the tonic above.
    pub unresolved_leading_tones_pct: Option<f64>,
}

/// Consecutive notes of one voice not separated by a rest.
fn melodic_pairs(notes: &[Note]) -> impl Iterator<Item = (&Note, &Note)> {
    notes
        .windows(2)
        .filter(|w| w[0].start + w[0].len == w[1].start)
        .map(|w| (&w[0], &w[1]))
}

/// Measures voice leading from the piece's frames and its part-writing tally
/// ([`super::part_writing::tally_piece`], which knows the key).
pub fn voice_leading(frames: &[Frame], tally: &Tally) -> VoiceLeading {
    let n = frames.len();
    let sounding = sounding_per_frame(frames);
    let crossing = sounding.iter().filter(|s| crossed(s)).count();
    let upper = sounding.iter().filter(|s| upper_too_wide(s)).count();
    let bass = sounding.iter().filter(|s| bass_too_wide(s)).count();
    let per_100 = |c: usize| (n > 0).then(|| 100.0 * c as f64 / n as f64);
    let changes = tally.sonorities.saturating_sub(1);

    let lines: Vec<Vec<Note>> = Voice::ALL.iter().map(|&v| voice_notes(frames, v)).collect();
    let all_notes = lines.iter().map(Vec::len).sum();
    let out_of_range = lines
        .iter()
        .flatten()
        .filter(|n| !n.voice.range().contains(n.pitch))
        .count();
    let (mut intervals, mut leaps) = (0, 0);
    for line in &lines {
        for (a, b) in melodic_pairs(line) {
            intervals += 1;
            leaps += ((b.pitch as i32 - a.pitch as i32).abs() > LARGE_LEAP) as usize;
        }
    }
    VoiceLeading {
        crossing_pct: pct(crossing, n),
        parallel_fifths_per_100: per_100(tally.parallel_fifths),
        parallel_octaves_per_100: per_100(tally.parallel_octaves),
        parallel_fifths_per_100_changes: pct(tally.parallel_fifths, changes),
        parallel_octaves_per_100_changes: pct(tally.parallel_octaves, changes),
        spacing_upper_pct: pct(upper, n),
        spacing_bass_pct: pct(bass, n),
        out_of_range_pct: pct(out_of_range, all_notes),
        large_leaps_pct: pct(leaps, intervals),
        unresolved_leading_tones_pct: pct(tally.unresolved_leading_tones, tally.leading_tones),
    }
}
