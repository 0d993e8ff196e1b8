//! Substitution noise: some of a window's notes are replaced before the Gaussian noise is
//! added, and the network is asked for the notes Bach wrote.
//!
//! Gaussian noise alone never shows the network a clear note that is wrong: at small σ the
//! input is the answer, so the network learns to copy it and cannot repair what the
//! sampler decided badly at larger σ (a voice that moved in parallel fifths with another
//! stays there). With some notes replaced, a clear note may be a wrong one, and the
//! network must judge each note by its context: the chord, the other voices' motion, its
//! own line. Two kinds:
//! - [`Substitution::Shift`]: a struck note moves by a step or a leap (±1–5 or ±7
//!   semitones), as a sampler's near miss does;
//! - [`Substitution::Parallel`]: a struck note moves so that it makes the same fifth or
//!   octave (or unison) with another moving voice as the two made at its previous note,
//!   the fault the network writes most; where no voice allows it, a shift.

use super::data::below;
use crate::network::weights::uniform;
use kantor_core::chorale::sounding;
use kantor_core::{Frame, Token, Voice};
use rand_core::Rng;
use serde::{Deserialize, Serialize};

/// What replaces a substituted note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Substitution {
    /// A step or a leap away.
    #[default]
    Shift,
    /// A consecutive fifth or octave with another voice where one can be made.
    Parallel,
}

const SHIFTS: [i32; 12] = [-7, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 7];

/// The onset frame of the note `voice` sounds at `t` (`t` itself where it strikes there).
fn onset(frames: &[Frame], voice: Voice, t: usize) -> usize {
    let mut s = t;
    while s > 0 && frames[s].tokens[voice.index()] == Token::Hold {
        s -= 1;
    }
    s
}

/// `frames` with each struck note replaced with probability `rate`, by `kind`; a note that
/// cannot move (every candidate out of the voice's range) stays.
pub fn substitute(frames: &[Frame], rate: f64, kind: Substitution, rng: &mut impl Rng) -> Vec<Frame> {
    let mut out = frames.to_vec();
    for t in 0..out.len() {
        for v in Voice::ALL {
            let Token::Pitch(p) = out[t].tokens[v.index()] else { continue };
            if uniform(rng) >= rate {
                continue;
            }
            let parallel = match kind {
                Substitution::Parallel => parallel_pitch(&out, v, t, rng),
                Substitution::Shift => None,
            };
            let moved = parallel.or_else(|| {
                let to = p as i32 + SHIFTS[below(rng, SHIFTS.len())];
                (0..=127).contains(&to).then_some(to as u8)
            });
            if let Some(q) = moved.filter(|&q| q != p && v.range().contains(q)) {
                out[t].tokens[v.index()] = Token::Pitch(q);
            }
        }
    }
    out
}

/// A pitch for `voice` at `t` that makes, with a randomly chosen other voice that also
/// moves there, the same perfect interval (unison, fifth or octave, compound or not) the
/// two made at `voice`'s previous note; `None` where no voice allows one.
fn parallel_pitch(frames: &[Frame], voice: Voice, t: usize, rng: &mut impl Rng) -> Option<u8> {
    if t == 0 {
        return None;
    }
    let before = onset(frames, voice, t - 1);
    let mine_before = sounding(frames, voice, before)?;
    let (mut options, mut found) = ([0u8; 3], 0);
    for other in Voice::ALL.into_iter().filter(|&o| o != voice) {
        let (Some(then), Some(now)) = (sounding(frames, other, before), sounding(frames, other, t)) else { continue };
        let interval = mine_before as i32 - then as i32;
        if then == now || !matches!(interval.rem_euclid(12), 0 | 7) {
            continue;
        }
        let to = now as i32 + interval;
        if (0..=127).contains(&to) && voice.range().contains(to as u8) && to as u8 != mine_before {
            options[found] = to as u8;
            found += 1;
        }
    }
    (found > 0).then(|| options[below(rng, found)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use kantor_core::FrameMeta;
    use rand_xoshiro::rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn frame(s: u8, a: u8, t: u8, b: u8) -> Frame {
        Frame { tokens: [Token::Pitch(s), Token::Pitch(a), Token::Pitch(t), Token::Pitch(b)], meta: FrameMeta::default() }
    }

    #[test]
    fn rate_zero_changes_nothing_and_rate_one_moves_notes_within_range() {
        let frames: Vec<Frame> = (0..32).map(|i| frame(67 + (i % 3) as u8, 62, 55, 48 - (i % 2) as u8)).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        assert_eq!(substitute(&frames, 0.0, Substitution::Shift, &mut rng), frames);
        let moved = substitute(&frames, 1.0, Substitution::Shift, &mut rng);
        let changed = moved.iter().zip(&frames).flat_map(|(m, f)| (0..4).map(move |v| m.tokens[v] != f.tokens[v])).filter(|&c| c).count();
        assert!(changed > 100, "{changed} of 128 notes moved");
        for f in &moved {
            for v in Voice::ALL {
                let Token::Pitch(p) = f.tokens[v.index()] else { panic!("a note became {:?}", f.tokens[v.index()]) };
                assert!(v.range().contains(p));
            }
        }
    }

    #[test]
    fn holds_stay_holds_so_a_substituted_note_keeps_its_length() {
        let mut frames: Vec<Frame> = (0..16).map(|_| frame(67, 62, 55, 48)).collect();
        for f in frames.iter_mut().skip(1) {
            f.tokens = [Token::Hold; 4];
        }
        let moved = substitute(&frames, 1.0, Substitution::Shift, &mut Xoshiro256PlusPlus::seed_from_u64(1));
        assert!(moved[1..].iter().all(|f| f.tokens == [Token::Hold; 4]));
        assert_ne!(moved[0].tokens, frames[0].tokens);
    }

    #[test]
    fn parallel_substitution_writes_the_previous_perfect_interval_again() {
        // Soprano G4 over bass C3 (a compound fifth), then the bass moves to D3 while the
        // soprano moves to F4: the substitution puts the soprano a compound fifth above D.
        let frames = vec![frame(67, 64, 55, 48), frame(65, 62, 57, 50)];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let to = parallel_pitch(&frames, Voice::Soprano, 1, &mut rng);
        assert_eq!(to, Some(69), "A4 makes the fifth over D3 again");
        // Where the other voices do not move, there is nothing to copy.
        let still = vec![frame(67, 64, 55, 48), frame(65, 64, 55, 48)];
        assert_eq!(parallel_pitch(&still, Voice::Soprano, 1, &mut rng), None);
    }
}
