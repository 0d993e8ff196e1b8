//! Tendency tones: the leading tone and the chordal seventh.
//!
//! - *Doubled leading tone*: two or more voices on the leading tone (the pitch class a
//!   semitone below the tonic, the raised seventh in minor) in a chord of dominant
//!   function: V or V7 (root on the dominant, major third), or a diminished or
//!   half-diminished chord on the leading tone.
//! - *Unresolved leading tone*: a note of the soprano or the bass on the leading tone that
//!   sounds in a V or V7 chord, whose next note of another pitch is not the tonic a
//!   semitone above. Notes struck again on the same pitch wait for the next other pitch;
//!   a leading tone followed by a rest or by the end of the piece is not judged.
//! - *Unresolved seventh*: a note of any voice that is the seventh of a seventh chord
//!   (dominant, minor, major, half-diminished or diminished seventh) in some sonority it
//!   sounds in, whose next note of another pitch is not a step (one or two semitones)
//!   below; judged like the leading tone.

use super::sonority::{chord_of, Sounding};
use crate::chord::{Chord, Quality};
use crate::key::Key;
use crate::voice::{Voice, VOICES};

/// V or V7 of `key`.
pub fn is_dominant(chord: Chord, key: Key) -> bool {
    chord.root == key.dominant() && matches!(chord.quality, Quality::Major | Quality::DominantSeventh)
}

/// V, V7, or a diminished or half-diminished chord on the leading tone.
fn dominant_function(chord: Chord, key: Key) -> bool {
    is_dominant(chord, key)
        || (chord.root == key.leading_tone()
            && matches!(chord.quality, Quality::Diminished | Quality::DiminishedSeventh | Quality::HalfDiminishedSeventh))
}

/// Semitones from the root to the seventh of a seventh chord; `None` for a triad.
pub const fn seventh(quality: Quality) -> Option<u8> {
    match quality {
        Quality::DominantSeventh | Quality::MinorSeventh | Quality::HalfDiminishedSeventh => Some(10),
        Quality::MajorSeventh => Some(11),
        Quality::DiminishedSeventh => Some(9),
        _ => None,
    }
}

/// The voices (bit `v`) that sound pitch class `pc`.
fn voices_on(s: &Sounding, pc: u8) -> u8 {
    (0..VOICES).filter(|&v| s[v].is_some_and(|p| p % 12 == pc)).fold(0, |m, v| m | 1 << v)
}

/// Two or more voices on the leading tone of `key` in a chord of dominant function.
pub fn doubled_leading_tone(s: &Sounding, key: Key) -> bool {
    chord_of(s).is_some_and(|c| dominant_function(c, key)) && voices_on(s, key.leading_tone()).count_ones() >= 2
}

/// The outer voices (bit `v`) that sound the leading tone of `key` in a V or V7 chord.
pub fn leading_tones(s: &Sounding, key: Key) -> u8 {
    let outer = 1 << Voice::Soprano.index() | 1 << Voice::Bass.index();
    match chord_of(s) {
        Some(c) if is_dominant(c, key) => voices_on(s, key.leading_tone()) & outer,
        _ => 0,
    }
}

/// The voices (bit `v`) that sound the seventh of a seventh chord.
pub fn sevenths(s: &Sounding) -> u8 {
    match chord_of(s) {
        Some(c) => seventh(c.quality).map_or(0, |i| voices_on(s, (c.root + i) % 12)),
        None => 0,
    }
}

/// A leading tone resolves to the tonic a semitone above.
pub const fn leading_tone_resolves(from: u8, to: u8) -> bool {
    to as u16 == from as u16 + 1
}

/// A seventh resolves a step (one or two semitones) down.
pub const fn seventh_resolves(from: u8, to: u8) -> bool {
    to < from && from - to <= 2
}

/// Notes that must resolve, each waiting for its voice's next pitch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    notes: [Option<u8>; VOICES],
}

/// How many notes were judged, and how many of them did not resolve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Judged {
    pub notes: usize,
    pub unresolved: usize,
}

impl Pending {
    /// The notes of the voices in `mask` (bits) sounding in `now` must resolve.
    pub fn mark(&mut self, mask: u8, now: &Sounding) {
        for v in (0..VOICES).filter(|v| mask & 1 << v != 0) {
            if self.notes[v].is_none() {
                self.notes[v] = now[v];
            }
        }
    }

    /// Judges the notes whose voice now sounds another pitch (`resolves(from, to)`);
    /// forgets those whose voice fell silent; keeps those whose pitch still sounds.
    pub fn follow(&mut self, now: &Sounding, resolves: fn(u8, u8) -> bool) -> Judged {
        let mut judged = Judged::default();
        for (note, next) in self.notes.iter_mut().zip(now) {
            let Some(from) = *note else { continue };
            match *next {
                Some(to) if to == from => {}
                Some(to) => {
                    judged.notes += 1;
                    judged.unresolved += usize::from(!resolves(from, to));
                    *note = None;
                }
                None => *note = None,
            }
        }
        judged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Mode;
    use crate::part_writing::test_frames::sounding;

    const C_MAJOR: Key = Key::C_MAJOR;
    const A_MINOR: Key = Key { tonic: 9, mode: Mode::Minor };

    #[test]
    fn a_doubled_leading_tone_in_the_dominant() {
        // G major with B in soprano and tenor.
        assert!(doubled_leading_tone(&sounding([71, 67, 59, 43]), C_MAJOR));
        // G major with G doubled: fine.
        assert!(!doubled_leading_tone(&sounding([71, 67, 62, 43]), C_MAJOR));
        // B doubled in E minor (iii) is not a leading tone doing its work.
        assert!(!doubled_leading_tone(&sounding([71, 67, 59, 52]), C_MAJOR));
        // In A minor the leading tone is G#: E major with G# doubled.
        assert!(doubled_leading_tone(&sounding([68, 64, 56, 52]), A_MINOR));
        // vii°6 with the leading tone doubled.
        assert!(doubled_leading_tone(&sounding([71, 65, 59, 50]), C_MAJOR));
    }

    #[test]
    fn leading_tones_of_the_dominant_in_the_outer_voices() {
        // V7 of C with B in the soprano and F in the alto.
        assert_eq!(leading_tones(&sounding([71, 65, 62, 43]), C_MAJOR), 0b0001);
        // V6: B in the bass.
        assert_eq!(leading_tones(&sounding([74, 67, 62, 47]), C_MAJOR), 0b1000);
        // B in the alto only: inner voices are free.
        assert_eq!(leading_tones(&sounding([74, 71, 67, 55]), C_MAJOR), 0);
        // B in the soprano over E minor: not a dominant.
        assert_eq!(leading_tones(&sounding([71, 67, 64, 52]), C_MAJOR), 0);
        assert!(leading_tone_resolves(71, 72) && !leading_tone_resolves(71, 67));
    }

    #[test]
    fn sevenths_of_seventh_chords() {
        // G7 with F in the alto; D minor 7 with C in the soprano; a triad has none.
        assert_eq!(sevenths(&sounding([71, 65, 62, 43])), 0b0010);
        assert_eq!(sevenths(&sounding([72, 65, 57, 50])), 0b0001);
        assert_eq!(sevenths(&sounding([72, 67, 64, 48])), 0);
        assert!(seventh_resolves(65, 64) && seventh_resolves(72, 70));
        assert!(!seventh_resolves(65, 67) && !seventh_resolves(65, 62) && !seventh_resolves(65, 65));
    }

    #[test]
    fn pending_notes_wait_through_repeats_and_forget_rests() {
        let mut p = Pending::default();
        p.mark(0b0011, &sounding([71, 65, 62, 43]));
        // The soprano strikes B4 again, the alto steps down: one judged, resolved.
        assert_eq!(p.follow(&sounding([71, 64, 60, 48]), seventh_resolves), Judged { notes: 1, unresolved: 0 });
        // The soprano leaps down to G4: judged, unresolved.
        assert_eq!(p.follow(&sounding([67, 64, 60, 48]), leading_tone_resolves), Judged { notes: 1, unresolved: 1 });
        p.mark(0b0001, &sounding([71, 65, 62, 43]));
        assert_eq!(p.follow(&sounding([0, 65, 62, 43]), leading_tone_resolves), Judged::default());
        assert_eq!(p, Pending::default());
    }
}
