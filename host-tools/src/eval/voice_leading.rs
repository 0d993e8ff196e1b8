//! Voice leading: crossings, parallel fifths and octaves, spacing, ranges, leaps and
//! leading tones.
//!
//! Definitions (the report repeats them):
//! - *Crossing*: a frame where some voice sounds strictly above its upper neighbour
//!   (alto above soprano, tenor above alto or bass above tenor).
//! - *Parallel fifths / octaves*: between two consecutive distinct sonorities (see
//!   [`sonorities`]), a pair of voices (any two of the four) that both sound in both,
//!   both move, in the same direction, and stand a perfect fifth (7 semitones modulo 12)
//!   or an octave or unison (0 modulo 12) apart in both. Compound intervals count, so a
//!   twelfth moving to a fifth is a parallel fifth too. Counted per pair of voices, and
//!   reported per 100 frames and per 100 changes of sonority.
//! - *Spacing*: frames where soprano–alto or alto–tenor exceed an octave (upper), or
//!   tenor–bass exceeds a twelfth (bass).
//! - *Out of range*: notes outside [`VOICE_RANGES`](kantor_core::VOICE_RANGES).
//! - *Large leap*: a melodic interval of more than an octave between consecutive notes of
//!   a voice (a rest breaks the line).
//! - *Unresolved leading tone*: a soprano note on the leading tone of the piece's key not
//!   followed directly by the tonic a semitone above.

use super::key::Key;
use super::notes::{sonorities, sounding_per_frame, voice_notes, Note, Sonority};
use super::summary::pct;
use kantor_core::voice::VOICES;
use kantor_core::{Frame, Voice};
use serde::Serialize;

/// Widest interval (semitones) allowed between soprano and alto, and alto and tenor.
pub const UPPER_SPACING: i32 = 12;
/// Widest interval (semitones) allowed between tenor and bass.
pub const BASS_SPACING: i32 = 19;
/// Widest melodic leap (semitones) that is not a large leap.
pub const LARGE_LEAP: i32 = 12;

/// Counts of parallel perfect intervals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Parallels {
    pub fifths: usize,
    pub octaves: usize,
}

/// Parallel fifths and octaves (compound included, unisons count as octaves) between
/// consecutive sonorities, over all six pairs of voices.
pub fn parallels(sonorities: &[Sonority]) -> Parallels {
    let mut count = Parallels::default();
    for w in sonorities.windows(2) {
        for upper in 0..VOICES {
            for lower in upper + 1..VOICES {
                let (Some(a1), Some(b1), Some(a2), Some(b2)) = (
                    w[0].pitches[upper],
                    w[0].pitches[lower],
                    w[1].pitches[upper],
                    w[1].pitches[lower],
                ) else {
                    continue;
                };
                let (ma, mb) = (a2 as i32 - a1 as i32, b2 as i32 - b1 as i32);
                if ma == 0 || mb == 0 || ma.signum() != mb.signum() {
                    continue;
                }
                let (i1, i2) = (
                    (a1 as i32 - b1 as i32).rem_euclid(12),
                    (a2 as i32 - b2 as i32).rem_euclid(12),
                );
                match (i1, i2) {
                    (7, 7) => count.fifths += 1,
                    (0, 0) => count.octaves += 1,
                    _ => {}
                }
            }
        }
    }
    count
}

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
    /// % of soprano leading tones not resolved to the tonic above.
    pub unresolved_leading_tones_pct: Option<f64>,
}

/// Consecutive notes of one voice not separated by a rest.
fn melodic_pairs(notes: &[Note]) -> impl Iterator<Item = (&Note, &Note)> {
    notes
        .windows(2)
        .filter(|w| w[0].start + w[0].len == w[1].start)
        .map(|w| (&w[0], &w[1]))
}

/// Measures voice leading; `key` (the piece's key) is needed for leading tones.
pub fn voice_leading(frames: &[Frame], key: Option<Key>) -> VoiceLeading {
    let n = frames.len();
    let sounding = sounding_per_frame(frames);
    let gap = |s: &[Option<u8>; VOICES], hi: usize, lo: usize| match (s[hi], s[lo]) {
        (Some(h), Some(l)) => Some(h as i32 - l as i32),
        _ => None,
    };
    let crossing = sounding
        .iter()
        .filter(|s| (0..VOICES - 1).any(|v| gap(s, v, v + 1).is_some_and(|g| g < 0)))
        .count();
    let upper = sounding
        .iter()
        .filter(|s| {
            [(0, 1), (1, 2)]
                .iter()
                .any(|&(h, l)| gap(s, h, l).is_some_and(|g| g > UPPER_SPACING))
        })
        .count();
    let bass = sounding
        .iter()
        .filter(|s| gap(s, 2, 3).is_some_and(|g| g > BASS_SPACING))
        .count();

    let sons = sonorities(frames);
    let p = parallels(&sons);
    let per_100 = |c: usize| (n > 0).then(|| 100.0 * c as f64 / n as f64);
    let changes = sons.len().saturating_sub(1);

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
    let soprano = &lines[Voice::Soprano.index()];
    let (mut leading, mut unresolved) = (0, 0);
    if let Some(k) = key {
        for (i, note) in soprano.iter().enumerate() {
            if note.pitch % 12 == k.leading_tone() {
                leading += 1;
                let resolved = soprano.get(i + 1).is_some_and(|next| {
                    next.start == note.start + note.len && next.pitch == note.pitch + 1
                });
                unresolved += (!resolved) as usize;
            }
        }
    }
    VoiceLeading {
        crossing_pct: pct(crossing, n),
        parallel_fifths_per_100: per_100(p.fifths),
        parallel_octaves_per_100: per_100(p.octaves),
        parallel_fifths_per_100_changes: pct(p.fifths, changes),
        parallel_octaves_per_100_changes: pct(p.octaves, changes),
        spacing_upper_pct: pct(upper, n),
        spacing_bass_pct: pct(bass, n),
        out_of_range_pct: pct(out_of_range, all_notes),
        large_leaps_pct: pct(leaps, intervals),
        unresolved_leading_tones_pct: pct(unresolved, leading),
    }
}
