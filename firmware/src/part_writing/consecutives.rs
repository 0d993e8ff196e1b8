//! Consecutive fifths and octaves, and hidden fifths and octaves.
//!
//! - *Consecutive fifths / octaves*: from one sonority to the next, two voices (any two of
//!   the four) that sound in both, **both move** to a new pitch, and stand a perfect fifth
//!   apart in both (7 semitones modulo 12), or an octave or unison in both (0 modulo 12).
//!   Compound intervals reduce, so a twelfth to a fifth is consecutive fifths and a unison
//!   to an octave is consecutive octaves. In *similar* motion (both up or both down) they
//!   are parallels; in *contrary* motion (one up, one down) they are consecutives by
//!   contrary motion. A voice that holds (or strikes its pitch again) while the other
//!   leaps an octave keeps the interval without moving in parallel (oblique motion): not
//!   counted.
//! - *Hidden (direct) fifths / octaves*: soprano and bass move in similar motion into a
//!   perfect fifth or octave (modulo 12) that they did not already stand at, with the
//!   soprano leaping (more than two semitones).

use super::sonority::Sounding;
use super::PAIRS;
use crate::voice::Voice;

/// A perfect interval, reduced modulo the octave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perfect {
    /// 7 semitones modulo 12.
    Fifth,
    /// 0 semitones modulo 12: unisons, octaves and compound octaves.
    Octave,
}

/// How two voices that both move go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    /// Both up or both down.
    Similar,
    /// One up, the other down.
    Contrary,
}

/// Consecutive perfect intervals between two voices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consecutive {
    pub interval: Perfect,
    pub motion: Motion,
}

/// The perfect interval two pitches stand at, if they do.
/// The interval is the one between the two pitches, whichever voice is higher.
pub const fn perfect(a: u8, b: u8) -> Option<Perfect> {
    match a.abs_diff(b) % 12 {
        0 => Some(Perfect::Octave),
        7 => Some(Perfect::Fifth),
        _ => None,
    }
}

/// Consecutive fifths or octaves between voices `upper` and `lower` (indices, soprano 0)
/// from sonority `a` to sonority `b`.
pub fn consecutive(a: &Sounding, b: &Sounding, upper: usize, lower: usize) -> Option<Consecutive> {
    let (Some(a1), Some(a2), Some(b1), Some(b2)) = (a[upper], a[lower], b[upper], b[lower]) else {
        return None;
    };
    let (m1, m2) = (b1 as i32 - a1 as i32, b2 as i32 - a2 as i32);
    if m1 == 0 || m2 == 0 {
        return None;
    }
    let interval = perfect(a1, a2)?;
    if perfect(b1, b2) != Some(interval) {
        return None;
    }
    let motion = if m1.signum() == m2.signum() { Motion::Similar } else { Motion::Contrary };
    Some(Consecutive { interval, motion })
}

/// Every consecutive fifth or octave from `a` to `b`, over the six pairs of voices.
pub fn consecutives<'a>(a: &'a Sounding, b: &'a Sounding) -> impl Iterator<Item = Consecutive> + 'a {
    PAIRS.iter().filter_map(move |&(u, l)| consecutive(a, b, u, l))
}

/// Widest soprano move (semitones) that is a step, not a leap.
pub const STEP: i32 = 2;

/// A hidden fifth or octave between soprano and bass from `a` to `b`.
pub fn hidden(a: &Sounding, b: &Sounding) -> Option<Perfect> {
    let (s, bass) = (Voice::Soprano.index(), Voice::Bass.index());
    let (Some(s1), Some(b1), Some(s2), Some(b2)) = (a[s], a[bass], b[s], b[bass]) else {
        return None;
    };
    let (ms, mb) = (s2 as i32 - s1 as i32, b2 as i32 - b1 as i32);
    if ms == 0 || mb == 0 || ms.signum() != mb.signum() || ms.abs() <= STEP {
        return None;
    }
    let arrival = perfect(s2, b2)?;
    (perfect(s1, b1) != Some(arrival)).then_some(arrival)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::part_writing::test_frames::sounding;

    fn between(a: [u8; 4], b: [u8; 4]) -> heapless::Vec<Consecutive, 6> {
        consecutives(&sounding(a), &sounding(b)).collect()
    }

    const SIMILAR_FIFTHS: Consecutive = Consecutive { interval: Perfect::Fifth, motion: Motion::Similar };
    const SIMILAR_OCTAVES: Consecutive = Consecutive { interval: Perfect::Octave, motion: Motion::Similar };
    const CONTRARY_FIFTHS: Consecutive = Consecutive { interval: Perfect::Fifth, motion: Motion::Contrary };
    const CONTRARY_OCTAVES: Consecutive = Consecutive { interval: Perfect::Octave, motion: Motion::Contrary };

    #[test]
    fn parallel_fifths_and_octaves() {
        // C major (C5 E4 G3 C3) to D minor (D5 F4 A3 D3), every voice up a step: soprano
        // and bass in double octaves, tenor and bass in fifths.
        assert_eq!(&between([72, 64, 55, 48], [74, 65, 57, 50])[..], &[SIMILAR_OCTAVES, SIMILAR_FIFTHS]);
        // Compound: tenor G3 a twelfth over bass C2, both up a step.
        assert_eq!(&between([72, 64, 55, 36], [71, 62, 57, 38])[..], &[SIMILAR_FIFTHS]);
        // Parallel fourths are not fifths: soprano C5 over alto G4 to D5 over A4.
        let (a, b) = (sounding([72, 67, 64, 48]), sounding([74, 69, 65, 50]));
        assert_eq!(consecutive(&a, &b, 0, 1), None);
        // The interval is the one between the pitches, whichever voice sings the higher:
        // G3 and C4 are a fourth apart, C3 and G3 a fifth.
        assert_eq!(perfect(55, 60), None);
        assert_eq!(perfect(48, 55), Some(Perfect::Fifth));
    }

    #[test]
    fn consecutives_by_contrary_motion() {
        // Tenor G3 over bass C3 (a fifth) to tenor D4 over bass G2 (a twelfth).
        assert_eq!(&between([72, 64, 55, 48], [71, 67, 62, 43])[..], &[CONTRARY_FIFTHS]);
        // Soprano C5 over bass C3 to soprano D5 over bass D2: octaves by contrary motion.
        assert_eq!(&between([72, 67, 64, 48], [74, 65, 57, 38])[..], &[CONTRARY_OCTAVES]);
        // Alto and tenor in unison on G4, then alto A4 over tenor A3: unison to octave.
        assert_eq!(&between([76, 67, 67, 48], [77, 69, 57, 53])[..], &[CONTRARY_OCTAVES]);
    }

    #[test]
    fn held_and_oblique_motion_and_silence_are_not_consecutives() {
        // Soprano and bass hold their octave while the inner voices move.
        assert!(between([72, 64, 55, 48], [72, 65, 57, 48]).is_empty());
        // The tenor holds G3 while the bass leaps from C3 to C2: a fifth to a twelfth by
        // oblique motion.
        assert!(between([72, 64, 55, 48], [72, 64, 55, 36]).is_empty());
        // A voice silent in one of the two sonorities.
        let (a, b) = (sounding([72, 0, 55, 48]), sounding([74, 65, 57, 50]));
        assert_eq!(consecutive(&a, &b, 1, 3), None);
        assert_eq!(consecutive(&a, &b, 2, 3), Some(SIMILAR_FIFTHS));
    }

    #[test]
    fn hidden_fifths_and_octaves_need_similar_motion_and_a_soprano_leap() {
        // Soprano E5 leaps to G5 while the bass rises F2 to C3: into a twelfth.
        assert_eq!(hidden(&sounding([76, 72, 65, 41]), &sounding([79, 72, 64, 48])), Some(Perfect::Fifth));
        // Soprano A4 leaps to C5 while the bass rises F3 to C4: into an octave.
        assert_eq!(hidden(&sounding([69, 65, 60, 53]), &sounding([72, 67, 64, 60])), Some(Perfect::Octave));
        // The same with the bass falling to C3: contrary motion, allowed.
        assert_eq!(hidden(&sounding([69, 65, 60, 53]), &sounding([72, 67, 64, 48])), None);
        // The soprano steps B4 to C5 into the octave over G2 to C3: allowed.
        assert_eq!(hidden(&sounding([71, 67, 62, 43]), &sounding([72, 67, 64, 48])), None);
        // A fifth before and after: parallel fifths, not a hidden fifth.
        assert_eq!(hidden(&sounding([67, 64, 60, 48]), &sounding([74, 65, 60, 55])), None);
        // Only soprano and bass are judged: the alto leaps into an octave with the bass.
        assert_eq!(hidden(&sounding([72, 64, 60, 48]), &sounding([72, 69, 62, 45])), None);
    }
}
