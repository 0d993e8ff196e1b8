//! Judging a chorale by the rules of part writing: parallel fifths and octaves, crossed
//! voices.
//!
//! The network learns chords and keys from Bach, but its conditionals still move two
//! voices in parallel perfect intervals far more often than Bach does. This judge marks
//! where that happens, without a network evaluation, so that refinement
//! ([`super::refine`]) composes those places again with everything else held.
//!
//! The rules are those of [`crate::part_writing`], which `kantor eval` counts with: the
//! judge marks parallels (consecutive fifths and octaves in similar motion, between any
//! two voices, from one event to the next, where an event is a frame where some voice
//! begins a note or falls silent; with `consecutives=any`, in contrary motion too) and
//! crossed voices.

use crate::part_writing::consecutives::{consecutives, Motion};
use crate::part_writing::crossing::crossed;
use crate::part_writing::{advance, events, Sounding};
use crate::token::Token;
use crate::voice::VOICES;

/// `ws.per_frame` value of a frame where a faulty progression begins or arrives.
pub const FAULT: f32 = 1.0;

/// Whether the progression from sonority `a` to `b` moves some pair of voices in parallel
/// fifths or octaves (with `contrary`, in consecutive fifths or octaves by contrary motion
/// too).
pub fn has_parallels(a: &Sounding, b: &Sounding, contrary: bool) -> bool {
    consecutives(a, b).any(|c| contrary || c.motion == Motion::Similar)
}

/// Marks in `per_frame` (one value per frame, cleared first) the first frame of both
/// sonorities of every parallel progression in `tokens` (with `contrary`, of every
/// consecutive fifth or octave in any motion); returns how many there are.
pub fn mark_parallels(tokens: &[[Token; VOICES]], per_frame: &mut [f32], contrary: bool) -> usize {
    let frames = tokens.len().min(per_frame.len());
    per_frame[..frames].fill(0.0);
    let mut faults = 0;
    let mut previous: Option<(Sounding, usize)> = None;
    for e in events(tokens[..frames].iter().copied()) {
        if let Some((a, ta)) = previous {
            if has_parallels(&a, &e.pitches, contrary) {
                per_frame[ta] = FAULT;
                per_frame[e.start] = FAULT;
                faults += 1;
            }
        }
        previous = Some((e.pitches, e.start));
    }
    faults
}

/// Adds to `per_frame` a mark on every frame where a voice sounds below the voice under
/// it (soprano below alto, alto below tenor, tenor below bass); returns how many crossings
/// there are (a run of crossed frames is one).
pub fn mark_crossings(tokens: &[[Token; VOICES]], per_frame: &mut [f32]) -> usize {
    let frames = tokens.len().min(per_frame.len());
    let mut faults = 0;
    let mut sounding = [None; VOICES];
    let mut crossed_before = false;
    for (t, f) in tokens.iter().enumerate().take(frames) {
        sounding = advance(sounding, f);
        let is_crossed = crossed(&sounding);
        if is_crossed {
            per_frame[t] = FAULT;
            faults += usize::from(!crossed_before);
        }
        crossed_before = is_crossed;
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossed_voices_are_marked_once_per_run() {
        // The alto climbs above the soprano for two frames (one held), then returns.
        let tokens = [
            [P(72), P(67), P(60), P(48)],
            [H, P(74), H, H],
            [H, H, H, H],
            [H, P(69), H, H],
            [P(71), P(72), H, H],
        ];
        let mut marks = [0.0f32; 5];
        assert_eq!(mark_crossings(&tokens, &mut marks), 2);
        assert_eq!(marks, [0.0, FAULT, FAULT, 0.0, FAULT]);
    }

    const P: fn(u8) -> Token = Token::Pitch;
    const H: Token = Token::Hold;

    #[test]
    fn a_textbook_parallel_fifth_is_marked_and_contrary_motion_only_when_asked() {
        // C major (C5 E4 G3 C3) to D minor (D5 F4 A3 D3): every voice up a step, soprano
        // and bass in octaves, tenor and bass in fifths.
        let tokens = [[P(72), P(64), P(55), P(48)], [H; 4], [P(74), P(65), P(57), P(50)], [H; 4]];
        let mut marks = [0.0; 4];
        assert_eq!(mark_parallels(&tokens, &mut marks, false), 1);
        assert_eq!(marks, [FAULT, 0.0, FAULT, 0.0]);
        // The bass moves down instead: no parallel, but octaves (with the soprano) and
        // fifths (with the tenor) by contrary motion, which the textbook rule forbids too.
        let tokens = [[P(72), P(64), P(55), P(48)], [H; 4], [P(74), P(65), P(57), P(38)], [H; 4]];
        assert_eq!(mark_parallels(&tokens, &mut marks, false), 0);
        assert_eq!(marks, [0.0; 4]);
        assert_eq!(mark_parallels(&tokens, &mut marks, true), 1);
        assert_eq!(marks, [FAULT, 0.0, FAULT, 0.0]);
    }

    #[test]
    fn held_and_repeated_octaves_are_not_parallels() {
        // Soprano and bass hold an octave while the inner voices move; then both repeat.
        let tokens = [[P(72), P(64), P(55), P(48)], [H, P(65), P(57), H], [P(72), P(64), P(55), P(48)]];
        let mut marks = [0.0; 3];
        assert_eq!(mark_parallels(&tokens, &mut marks, true), 0);
    }
}
