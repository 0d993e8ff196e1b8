//! Every rule counted over a piece, as a teacher marks it: vertical rules once per
//! sonority they hold in, progression rules once per pair of voices and progression,
//! melodic and tendency rules once per note.

use super::consecutives::{consecutives, hidden, Motion, Perfect};
use super::crossing::{crossed, overlaps};
use super::melodic::{augmented_second, tritone};
use super::sonority::{events, Sounding};
use super::spacing::upper_too_wide;
use super::tendency::{doubled_leading_tone, leading_tone_resolves, leading_tones, seventh_resolves, sevenths, Pending};
use crate::key::Key;
use crate::token::Token;
use crate::voice::VOICES;

/// How often each rule is broken in a piece, with what it is counted against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Frames read.
    pub frames: usize,
    /// Distinct sonorities.
    pub sonorities: usize,
    /// Consecutive fifths in similar motion (parallel fifths), per pair of voices.
    pub parallel_fifths: usize,
    /// Consecutive octaves or unisons in similar motion (parallel octaves).
    pub parallel_octaves: usize,
    /// Consecutive fifths by contrary motion.
    pub contrary_fifths: usize,
    /// Consecutive octaves or unisons by contrary motion (unison to octave included).
    pub contrary_octaves: usize,
    /// Hidden fifths between soprano and bass.
    pub hidden_fifths: usize,
    /// Hidden octaves between soprano and bass.
    pub hidden_octaves: usize,
    /// Sonorities with crossed voices.
    pub crossings: usize,
    /// Overlapping neighbouring voices, per pair and progression.
    pub overlaps: usize,
    /// Sonorities with soprano–alto or alto–tenor beyond an octave.
    pub wide_spacings: usize,
    /// Sonorities of dominant function with the leading tone doubled (needs the key).
    pub doubled_leading_tones: usize,
    /// Leading tones of V/V7 in the outer voices that were judged (needs the key).
    pub leading_tones: usize,
    /// Of those, the ones that did not go to the tonic.
    pub unresolved_leading_tones: usize,
    /// Chordal sevenths judged.
    pub sevenths: usize,
    /// Of those, the ones that did not step down.
    pub unresolved_sevenths: usize,
    /// Melodic intervals (consecutive notes of a voice without a rest between).
    pub melodic_intervals: usize,
    /// Augmented seconds (needs a minor key).
    pub augmented_seconds: usize,
    /// Tritone leaps.
    pub tritones: usize,
}

impl Tally {
    /// Consecutive fifths in either motion.
    pub const fn consecutive_fifths(&self) -> usize {
        self.parallel_fifths + self.contrary_fifths
    }

    /// Consecutive octaves and unisons in either motion.
    pub const fn consecutive_octaves(&self) -> usize {
        self.parallel_octaves + self.contrary_octaves
    }
}

/// Counts every rule over a piece's token rows; `key` is needed for the leading tone and
/// the augmented second (without it they are not counted).
pub fn tally<I: IntoIterator<Item = [Token; VOICES]>>(tokens: I, key: Option<Key>) -> Tally {
    let mut t = Tally::default();
    let mut before: Sounding = [None; VOICES];
    let mut last: Option<Sounding> = None;
    let (mut leading, mut sevenths_pending) = (Pending::default(), Pending::default());
    let mut all = events(tokens);
    for e in all.by_ref() {
        let now = e.pitches;
        for v in (0..VOICES).filter(|&v| e.struck[v]) {
            if let (Some(from), Some(to)) = (before[v], now[v]) {
                t.melodic_intervals += 1;
                t.tritones += usize::from(tritone(from, to));
                t.augmented_seconds += usize::from(key.is_some_and(|k| augmented_second(from, to, k)));
            }
        }
        let judged = leading.follow(&now, leading_tone_resolves);
        t.leading_tones += judged.notes;
        t.unresolved_leading_tones += judged.unresolved;
        let judged = sevenths_pending.follow(&now, seventh_resolves);
        t.sevenths += judged.notes;
        t.unresolved_sevenths += judged.unresolved;
        if last != Some(now) {
            t.sonorities += 1;
            if let Some(a) = &last {
                for c in consecutives(a, &now) {
                    let count = match (c.interval, c.motion) {
                        (Perfect::Fifth, Motion::Similar) => &mut t.parallel_fifths,
                        (Perfect::Octave, Motion::Similar) => &mut t.parallel_octaves,
                        (Perfect::Fifth, Motion::Contrary) => &mut t.contrary_fifths,
                        (Perfect::Octave, Motion::Contrary) => &mut t.contrary_octaves,
                    };
                    *count += 1;
                }
                match hidden(a, &now) {
                    Some(Perfect::Fifth) => t.hidden_fifths += 1,
                    Some(Perfect::Octave) => t.hidden_octaves += 1,
                    None => {}
                }
                t.overlaps += overlaps(a, &now);
            }
            t.crossings += usize::from(crossed(&now));
            t.wide_spacings += usize::from(upper_too_wide(&now));
            if let Some(k) = key {
                t.doubled_leading_tones += usize::from(doubled_leading_tone(&now, k));
                leading.mark(leading_tones(&now, k), &now);
            }
            sevenths_pending.mark(sevenths(&now), &now);
            last = Some(now);
        }
        before = now;
    }
    t.frames = all.frames_read();
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::part_writing::test_frames::{chord, H, R};

    const C_MAJOR: Key = Key::C_MAJOR;

    /// Block chords, each held for four frames.
    fn blocks<const N: usize>(chords: [[u8; 4]; N]) -> heapless::Vec<[Token; 4], 64> {
        let mut rows = heapless::Vec::new();
        for c in chords {
            rows.push(chord(c)).unwrap();
            for _ in 0..3 {
                rows.push([H; 4]).unwrap();
            }
        }
        rows
    }

    #[test]
    fn a_clean_cadence_breaks_nothing() {
        // I – IV – V7 – I in C, textbook voicing.
        let t = tally(blocks([[72, 64, 55, 48], [72, 65, 57, 53], [71, 65, 62, 43], [72, 64, 60, 48]]), Some(C_MAJOR));
        assert_eq!((t.frames, t.sonorities, t.melodic_intervals), (16, 4, 12));
        assert_eq!((t.leading_tones, t.unresolved_leading_tones), (1, 0));
        assert_eq!((t.sevenths, t.unresolved_sevenths), (1, 0));
        let faults = Tally { frames: 16, sonorities: 4, melodic_intervals: 12, leading_tones: 1, sevenths: 1, ..Tally::default() };
        assert_eq!(t, faults);
    }

    #[test]
    fn the_same_cadence_written_badly_is_marked() {
        // Consecutives in both motions on the way to a V7 whose leading tone falls and
        // whose seventh rises.
        let t = tally(
            blocks([
                [72, 64, 55, 48], // C: C5 E4 G3 C3
                [74, 65, 57, 50], // D minor, every voice up: S–B octaves, T–B fifths
                [71, 67, 62, 43], // G: tenor A3 → D4 over bass D3 → G2, fifths by contrary motion
                [67, 65, 59, 43], // G7: the soprano's B4 falls to G4; the alto's F4 is the seventh
                [67, 67, 60, 48], // C: the alto's F4 rises to G4
            ]),
            Some(C_MAJOR),
        );
        assert_eq!((t.parallel_octaves, t.parallel_fifths), (1, 1));
        assert_eq!((t.contrary_octaves, t.contrary_fifths), (0, 1));
        assert_eq!((t.consecutive_octaves(), t.consecutive_fifths()), (1, 2));
        assert_eq!((t.leading_tones, t.unresolved_leading_tones), (1, 1));
        assert_eq!((t.sevenths, t.unresolved_sevenths), (1, 1));
    }

    #[test]
    fn contrary_consecutives_hidden_intervals_and_a_held_voice() {
        // Tenor G3 over bass C3 to D4 over G2 (fifths by contrary motion); then the
        // soprano leaps B4 to E5 while the bass rises G2 to A2 (a hidden fifth: E5 over A2
        // is a compound fifth).
        let t = tally(blocks([[72, 64, 55, 48], [71, 67, 62, 43], [76, 67, 60, 45]]), None);
        assert_eq!((t.contrary_fifths, t.contrary_octaves, t.parallel_fifths, t.parallel_octaves), (1, 0, 0, 0));
        assert_eq!((t.hidden_fifths, t.hidden_octaves), (1, 0));
        // Soprano C5 and bass C3; the bass moves to D3 while the soprano holds, then the
        // soprano moves to D5 while the bass holds: octaves one after the other, never
        // both voices moving at once, are not consecutive.
        let p = Token::Pitch;
        let rows = [chord([72, 64, 55, 48]), [H; 4], [H, H, H, p(50)], [H; 4], [p(74), p(65), p(57), H], [H; 4]];
        let t = tally(rows, None);
        assert_eq!(t.consecutive_octaves() + t.consecutive_fifths(), 0);
        assert_eq!(t.sonorities, 3);
    }

    #[test]
    fn vertical_and_melodic_faults() {
        let a_minor = Key { tonic: 9, mode: crate::key::Mode::Minor };
        let t = tally(
            blocks([
                [77, 69, 62, 53], // D minor (iv6)
                [80, 68, 64, 52], // E major with G# in soprano and alto; the soprano F5 → G#5
                [69, 72, 64, 45], // A minor with the alto above the soprano
                [69, 66, 50, 45], // the alto C5 → F#4, a tritone; F#4 over D3 beyond an octave
            ]),
            Some(a_minor),
        );
        assert_eq!(t.augmented_seconds, 1);
        assert_eq!(t.doubled_leading_tones, 1);
        assert_eq!(t.crossings, 1);
        assert_eq!(t.tritones, 1);
        assert_eq!(t.wide_spacings, 1);
        // Without the key the key's rules are not counted; the others are.
        let t = tally(blocks([[77, 69, 62, 53], [80, 68, 64, 52], [69, 72, 64, 45]]), None);
        assert_eq!((t.augmented_seconds, t.doubled_leading_tones, t.crossings), (0, 0, 1));
    }

    #[test]
    fn rests_break_lines_and_leave_tendencies_unjudged() {
        // V7 then every voice rests, then I: nothing to judge and no interval.
        let t = tally(blocks([[71, 65, 62, 43], [0, 0, 0, 0], [72, 64, 60, 48]]), Some(C_MAJOR));
        assert_eq!((t.leading_tones, t.sevenths, t.melodic_intervals), (0, 0, 0));
        // The soprano's leading tone struck again before it resolves is one note.
        let p = Token::Pitch;
        let rows = [chord([71, 65, 62, 43]), [H; 4], [p(71), H, H, H], [H; 4], chord([72, 64, 60, 48]), [R, H, H, H]];
        let t = tally(rows, Some(C_MAJOR));
        assert_eq!((t.leading_tones, t.unresolved_leading_tones), (1, 0));
        assert_eq!(t.melodic_intervals, 5);
    }
}
