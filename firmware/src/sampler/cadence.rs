//! Judging a chorale's phrase endings: every fermata should close on a cadence.
//!
//! A fermata closes on a cadence when the chord sounding at it follows, within two
//! quarters, a chord whose root lies a fifth above it with a major third (V–I, in any key)
//! or a fourth above it (IV–I, or I–V of a half close). The key is not needed, so the
//! device can judge without analysing it. The piece's last fermata may be asked to close
//! at home ([`is_home_cadence`]): V–I or IV–I onto the tonic triad of the frames' key
//! and mode, the tonic in the bass. Phrase endings that are not cadences are marked
//! for refinement ([`super::refine`]) from two quarters before the fermata to the fermata.

use crate::chord::{Chord, Quality};
use crate::frame::FrameMeta;
use crate::key::Key;
use crate::part_writing::sonority::chord_of;
use crate::token::Token;
use crate::voice::VOICES;

/// Frames looked back from the fermata for the chord before it (two quarters).
pub const LOOKBACK: usize = 8;

/// Whether the progression from `before` to `last` is a cadence.
pub fn is_cadence(before: Chord, last: Chord) -> bool {
    (before.root == (last.root + 7) % 12 && before.quality.major_third()) || before.root == (last.root + 5) % 12
}

/// Whether the progression from `before` to `last` closes on the tonic of `key`: an
/// authentic (V–I, the V with its major third) or plagal (IV–I) cadence onto the tonic's
/// major or minor triad (a Picardy third is a close in minor too). Not a half close.
pub fn is_home_cadence(before: Chord, last: Chord, key: Key) -> bool {
    let tonic_triad = key.is_tonic_triad(last);
    let authentic = before.root == (last.root + 7) % 12 && before.quality.major_third();
    let plagal = before.root == (last.root + 5) % 12;
    tonic_triad && (authentic || plagal)
}

/// Marks in `per_frame` (not cleared: marks add to those already there) the frames before
/// every fermata that does not close on a cadence; with `home_ending`, the last fermata
/// must close on the home tonic ([`is_home_cadence`]). Returns how many fermatas fail.
pub fn mark_missing_cadences(tokens: &[[Token; VOICES]], metas: &[FrameMeta], home_ending: bool, per_frame: &mut [f32]) -> usize {
    let frames = tokens.len().min(metas.len()).min(per_frame.len());
    let opens = |t: usize| metas[t].fermata && (t == 0 || !metas[t - 1].fermata);
    let last_fermata = if home_ending { (0..frames).rev().find(|&t| opens(t)) } else { None };
    let mut sounding = [None; VOICES];
    let mut chords: [Option<Chord>; LOOKBACK + 1] = [None; LOOKBACK + 1];
    let mut missing = 0;
    for t in 0..frames {
        sounding = crate::part_writing::advance(sounding, &tokens[t]);
        chords.rotate_right(1);
        chords[0] = chord_of(&sounding);
        if !opens(t) {
            continue;
        }
        let home = (last_fermata == Some(t)).then(|| metas[t].home());
        let bass_on_tonic = home.is_none_or(|key| sounding[VOICES - 1].is_some_and(|p| p % 12 == key.tonic));
        let cadence = bass_on_tonic && chords[0].is_some_and(|last| {
            chords[1..].iter().flatten().find(|c| c.root != last.root).is_some_and(|&before| match home {
                Some(key) => is_home_cadence(before, last, key),
                None => is_cadence(before, last),
            })
        });
        if !cadence {
            missing += 1;
            for value in per_frame[t.saturating_sub(LOOKBACK)..=t].iter_mut() {
                *value = super::counterpoint::FAULT;
            }
        }
    }
    missing
}

/// Frames marked when a piece does not open at home: its first quarter.
pub const OPENING: usize = 4;

/// Whether `chord` may open a piece in `key`: the tonic triad, or a triad on the dominant
/// (a piece under an upbeat may open on V).
pub fn is_home_opening(chord: Chord, key: Key) -> bool {
    key.is_tonic_triad(chord) || (chord.root == key.dominant() && matches!(chord.quality, Quality::Major | Quality::Minor))
}

/// Marks in `per_frame` (not cleared) the first quarter of `tokens` when the chord that
/// sounds at the first frame is not the home tonic or dominant ([`is_home_opening`]) of
/// that frame's key and mode; returns 1 if it marked, 0 otherwise.
pub fn mark_foreign_opening(tokens: &[[Token; VOICES]], metas: &[FrameMeta], per_frame: &mut [f32]) -> usize {
    let frames = tokens.len().min(metas.len()).min(per_frame.len());
    if frames == 0 {
        return 0;
    }
    let sounding = crate::part_writing::advance([None; VOICES], &tokens[0]);
    if chord_of(&sounding).is_some_and(|c| is_home_opening(c, metas[0].home())) {
        return 0;
    }
    for value in per_frame[..OPENING.min(frames)].iter_mut() {
        *value = super::counterpoint::FAULT;
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::KeySignature;

    const P: fn(u8) -> Token = Token::Pitch;
    const H: Token = Token::Hold;

    fn metas(n: usize, fermata_at: usize) -> [FrameMeta; 12] {
        let mut m = [FrameMeta { position_in_bar: 0, fermata: false, key: KeySignature { fifths: 0 }, mode: crate::key::Mode::Major }; 12];
        for (t, meta) in m.iter_mut().enumerate().take(n) {
            meta.position_in_bar = t as u8;
            meta.fermata = t >= fermata_at;
        }
        m
    }

    #[test]
    fn dominant_to_tonic_is_a_cadence_and_tonic_to_supertonic_is_not() {
        // G major (G B D G) for four frames, then C major at the fermata.
        let v = [P(67), P(62), P(59), P(43)];
        let i = [P(72), P(64), P(55), P(48)];
        let ii = [P(74), P(65), P(57), P(50)];
        let mut tokens = [[H; 4]; 12];
        tokens[0] = i;
        tokens[4] = v;
        tokens[8] = i;
        let m = metas(12, 8);
        let mut marks = [0.0f32; 12];
        assert_eq!(mark_missing_cadences(&tokens, &m, false, &mut marks), 0);
        assert!(marks.iter().all(|&x| x == 0.0));
        tokens[4] = i;
        tokens[8] = ii;
        assert_eq!(mark_missing_cadences(&tokens, &m, false, &mut marks), 1);
        assert!(marks[..=8].iter().all(|&x| x > 0.0) && marks[9..].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn the_last_fermata_closes_at_home_only_when_asked() {
        // C major to G major: a half close in C, an authentic close in G.
        let c = [P(72), P(64), P(55), P(48)];
        let d7 = [P(72), P(66), P(57), P(50)];
        let g = [P(71), P(67), P(62), P(43)];
        let mut tokens = [[H; 4]; 12];
        tokens[0] = c;
        tokens[4] = d7;
        tokens[8] = g;
        let mut m = metas(12, 8);
        let mut marks = [0.0f32; 12];
        assert_eq!(mark_missing_cadences(&tokens, &m, false, &mut marks), 0);
        assert_eq!(mark_missing_cadences(&tokens, &m, true, &mut marks), 1, "V–I in G is not home in C major");
        // In G major it is home.
        for meta in m.iter_mut() {
            meta.key = KeySignature { fifths: 1 };
        }
        assert_eq!(mark_missing_cadences(&tokens, &m, true, &mut [0.0; 12]), 0);
        // In E minor (one sharp, minor) G major is not home; E major after B7 is (Picardy).
        for meta in m.iter_mut() {
            meta.mode = crate::key::Mode::Minor;
        }
        assert_eq!(mark_missing_cadences(&tokens, &m, true, &mut [0.0; 12]), 1);
        tokens[4] = [P(71), P(63), P(57), P(47)];
        tokens[8] = [P(71), P(68), P(64), P(52)];
        assert_eq!(mark_missing_cadences(&tokens, &m, true, &mut [0.0; 12]), 0);
        // The tonic chord over its third in the bass is not a close.
        tokens[8] = [P(76), P(64), P(59), P(56)];
        assert_eq!(mark_missing_cadences(&tokens, &m, true, &mut [0.0; 12]), 1);
    }

    #[test]
    fn a_piece_opens_on_its_tonic_or_dominant() {
        let mut m = metas(12, 12);
        let mut tokens = [[H; 4]; 12];
        tokens[0] = [P(72), P(64), P(55), P(48)]; // C major: I in C
        let mut marks = [0.0f32; 12];
        assert_eq!(mark_foreign_opening(&tokens, &m, &mut marks), 0);
        assert!(marks.iter().all(|&x| x == 0.0));
        tokens[0] = [P(71), P(62), P(55), P(43)]; // G major: V in C
        assert_eq!(mark_foreign_opening(&tokens, &m, &mut marks), 0);
        tokens[0] = [P(72), P(64), P(57), P(45)]; // A minor: vi in C, but i in A minor
        assert_eq!(mark_foreign_opening(&tokens, &m, &mut marks), 1);
        assert!(marks[..OPENING].iter().all(|&x| x > 0.0) && marks[OPENING..].iter().all(|&x| x == 0.0));
        for meta in m.iter_mut() {
            meta.mode = crate::key::Mode::Minor;
        }
        assert_eq!(mark_foreign_opening(&tokens, &m, &mut [0.0; 12]), 0);
        tokens[0] = [P(74), P(65), P(57), P(50)]; // D minor: iv in A minor
        assert_eq!(mark_foreign_opening(&tokens, &m, &mut [0.0; 12]), 1);
    }
}
