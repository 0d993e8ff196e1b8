//! A melody made ready for harmonising: into the soprano's range by whole octaves, cut
//! where it ends, its phrase ends marked. The host's `kantor harmonize` and the
//! WebAssembly page prepare a melody with these, whatever file it was read from.

#![forbid(unsafe_code)]

use super::clamp::end_of_final_note;
use super::plan::PiecePlan;
use crate::frame::FrameMeta;
use crate::meter::TimeSignature;
use crate::token::Token;
use crate::voice::Voice;

/// Lowest and highest pitch of `melody`.
pub fn extent(melody: &[Token]) -> Option<(u8, u8)> {
    let pitches = melody.iter().filter_map(|t| t.pitch());
    Some((pitches.clone().min()?, pitches.max()?))
}

/// Whether `melody` moved by `shift` semitones lies in the soprano's range.
pub fn fits_soprano(melody: &[Token], shift: i32) -> bool {
    let range = Voice::Soprano.range();
    extent(melody).is_some_and(|(lo, hi)| {
        let moved = |p: u8| (p as i32 + shift).clamp(0, 255) as u8;
        range.contains(moved(lo)) && range.contains(moved(hi))
    })
}

/// The shift (0, or whole octaves up to four either way, the smallest) that brings
/// `melody` into the soprano's range; `None` if none does.
pub fn octave_shift(melody: &[Token]) -> Option<i32> {
    (-4..=4).map(|o| o * 12).filter(|&s| fits_soprano(melody, s)).min_by_key(|s: &i32| s.abs())
}

/// Moves every note and the key signatures by `semitones`.
pub fn transpose(melody: &mut [Token], metas: &mut [FrameMeta], semitones: i32) {
    for t in melody.iter_mut() {
        if let Token::Pitch(p) = t {
            *p = (*p as i32 + semitones).clamp(0, 127) as u8;
        }
    }
    for m in metas.iter_mut() {
        m.key = m.key.transposed(semitones);
    }
}

/// Where a harmonisation of `melody` ends: after the bar its final note ends in (the
/// rests that fill that bar are kept), so a file whose music runs on past the melody's
/// last bar (a track that ends later, a short last bar padded by a rest) does not add a
/// bar of rests. `metas` gives the bar lines.
pub fn end_of_piece(melody: &[Token], metas: &[FrameMeta]) -> usize {
    let end = end_of_final_note(melody).max(1);
    (end..melody.len().min(metas.len())).find(|&t| metas[t].position_in_bar == 0).unwrap_or(melody.len())
}

/// Marks phrase ends when `metas` marks none: the last beat of every `fermata_every`-th
/// bar, as [`PiecePlan`] lays them out. The final note always gets a fermata, whether
/// the file marks one there or not.
pub fn ensure_fermatas(melody: &[Token], metas: &mut [FrameMeta], time: TimeSignature, fermata_every: usize) {
    if !metas.iter().any(|m| m.fermata) {
        let bar = time.frames_per_bar().unwrap_or(16) as usize;
        let pickup = metas.first().map(|m| (bar - m.position_in_bar as usize % bar) % bar).unwrap_or(0);
        let body = metas.len().saturating_sub(pickup);
        let plan = PiecePlan { bars: body.div_ceil(bar).max(1), time, key: crate::key::Key::C_MAJOR, pickup, fermata_every };
        for (i, m) in metas.iter_mut().enumerate() {
            m.fermata = plan.meta(i).map(|p| p.fermata).unwrap_or(false);
        }
    }
    // The final note carries a fermata wherever the last bar ends.
    if let Some(last) = melody.iter().rposition(|t| matches!(t, Token::Pitch(_))) {
        for m in metas.iter_mut().skip(last) {
            m.fermata = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Token::{Hold as H, Pitch as P, Rest as R};
    use crate::meter::KeySignature;

    fn metas(n: usize, offset: usize) -> [FrameMeta; 40] {
        let mut m = [FrameMeta::default(); 40];
        for (i, slot) in m.iter_mut().enumerate().take(n) {
            *slot = FrameMeta::on_grid(TimeSignature::COMMON, KeySignature::default(), crate::key::Mode::Major, offset, i);
        }
        m
    }

    #[test]
    fn a_piece_ends_with_the_bar_its_melody_ends_in() {
        // A quarter pickup, one bar, then a last bar cut short: the melody ends two 16ths
        // into bar 3 and the file runs on to 30 frames.
        let mut melody = [H; 30];
        melody[0] = P(67);
        melody[4] = P(72);
        melody[20] = P(71);
        melody[22] = R;
        let m = metas(30, 12);
        assert_eq!(end_of_final_note(&melody), 22);
        assert_eq!(end_of_piece(&melody, &m[..30]), 30, "the rest fills the bar the melody ends in");
        // Past that bar: cut at its bar line.
        let mut longer = [H; 40];
        longer[..30].copy_from_slice(&melody);
        let m = metas(40, 12);
        assert_eq!(end_of_piece(&longer, &m[..40]), 36);
        // A melody that ends on a bar line ends there.
        let mut exact = [R; 20];
        exact[4] = P(72);
        exact[5..20].fill(H);
        exact[16] = R;
        assert_eq!(end_of_piece(&exact, &metas(20, 0)[..20]), 16);
    }

    #[test]
    fn octaves_into_range() {
        assert_eq!(octave_shift(&[P(55), H, P(62)]), Some(12));
        assert_eq!(octave_shift(&[P(67), P(72)]), Some(0));
        assert_eq!(octave_shift(&[P(50), P(80)]), None);
        let mut m = [P(55), P(62)];
        let mut meta = metas(2, 0);
        meta[0].key = KeySignature { fifths: 1 };
        transpose(&mut m, &mut meta[..2], 12);
        assert_eq!(m, [P(67), P(74)]);
        assert_eq!(meta[0].key, KeySignature { fifths: 1 });
    }
}
