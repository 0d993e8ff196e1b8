//! Spelling a chorale's pitches for notation: which letter and accidental each note gets.
//!
//! Spellings live on the line of fifths (… B♭ −2, F −1, C 0, G 1, D 2, … F♯ 6, C♯ 7, …;
//! every pitch class has two spellings with at most one sharp or flat). At every frame
//! where notes start, the new notes take the spellings that make the sounding chord
//! (with the notes still held) most compact on the line of fifths — chords stacked in
//! thirds are compact — that stray least from the key signature's seven notes, and that
//! write a step to or from a neighbouring note as a step (not A♭ → A or C♭ → A); C♭, F♭, E♯ and B♯ only win
//! when they are better on these counts, not on a tie. So B♭ in a C7 chord is B♭, not
//! A♯; the leading tone of F♯ minor in a C♯ major chord is E♯, not F; a G♯ that rises to A
//! in C major stays G♯.

#![forbid(unsafe_code)]

use crate::frame::Frame;
use crate::meter::KeySignature;
use crate::token::Token;

/// A spelling: position on the line of fifths (C = 0, G = 1, F = −1).
pub type Fifths = i32;

/// Letter and alteration (−1 flat, 0 natural, 1 sharp) of a spelling.
pub fn letter(lof: Fifths) -> (char, i8) {
    const LETTERS: [char; 7] = ['F', 'C', 'G', 'D', 'A', 'E', 'B'];
    (LETTERS[(lof + 1).rem_euclid(7) as usize], (lof + 1).div_euclid(7) as i8)
}

/// Step, alteration and octave of `pitch` (MIDI) spelt as `lof`; B♯3 is MIDI 60.
pub fn step_alter_octave(pitch: u8, lof: Fifths) -> (char, i8, i32) {
    let (step, alter) = letter(lof);
    (step, alter, (pitch as i32 - alter as i32).div_euclid(12) - 1)
}

/// The two spellings of a pitch class with at most one sharp or flat (F♭ … B♯).
fn candidates(pitch: u8) -> impl Iterator<Item = Fifths> + Clone {
    let pc = (pitch % 12) as i32;
    (-8..=12i32).filter(move |l| (l * 7).rem_euclid(12) == pc)
}

/// How far `lof` lies outside the seven notes of `key` (F…B for C major).
fn key_distance(lof: Fifths, key: KeySignature) -> i32 {
    let (lo, hi) = (key.fifths as i32 - 1, key.fifths as i32 + 5);
    (lo - lof).max(lof - hi).max(0)
}

/// C♭, F♭, E♯ or B♯: a white key written with an accidental.
fn awkward(lof: Fifths) -> bool {
    matches!(lof, -8 | -7 | 11 | 12)
}

/// The spelling of `pitch` the key alone suggests.
fn key_spelling(pitch: u8, key: KeySignature) -> Fifths {
    let centre = key.fifths as i32 + 2;
    candidates(pitch).min_by_key(|&l| (key_distance(l, key), (l - centre).abs())).unwrap_or(0)
}

/// Whether the move from `a` (spelt `la`) to `b` (spelt `lb`) is written as it sounds
/// when it is a step: one or two semitones should be one letter apart. Larger moves are
/// not judged.
fn reads_as_step(a: u8, la: Fifths, b: u8, lb: Fifths) -> bool {
    let semitones = (b as i32 - a as i32).abs();
    !(1..=2).contains(&semitones) || (diatonic_step(b, lb) - diatonic_step(a, la)).abs() == 1
}

/// Diatonic step number (letter plus seven per octave) of `pitch` spelt as `lof`.
fn diatonic_step(pitch: u8, lof: Fifths) -> i32 {
    let (step, _, octave) = step_alter_octave(pitch, lof);
    let index = "CDEFGAB".find(step).unwrap_or(0) as i32;
    index + 7 * octave
}

/// The spelling of every frame's notes, per voice, frame after frame: for a frame where a
/// voice has a pitch, or holds one, the line-of-fifths position it is written with (0
/// elsewhere). [`Speller::step`] must see the frames in order from the first.
#[derive(Clone, Debug, Default)]
pub struct Speller {
    sounding: [Option<(u8, Fifths)>; 4],
    /// The last note each voice sang (before a rest too), spelt.
    previous: [Option<(u8, Fifths)>; 4],
}

impl Speller {
    pub fn new() -> Self {
        Speller::default()
    }

    /// The spelling of frame `t` of `frames` (the frames before it already stepped).
    pub fn step(&mut self, frames: &[Frame], t: usize) -> [Fifths; 4] {
        let frame = &frames[t];
        let key = frame.meta.key;
        let mut new: heapless::Vec<(usize, u8), 4> = heapless::Vec::new();
        for (v, (token, sung)) in frame.tokens.iter().zip(&mut self.sounding).enumerate() {
            match *token {
                Token::Pitch(p) => {
                    *sung = None;
                    let _ = new.push((v, p));
                }
                Token::Rest => *sung = None,
                Token::Hold => {}
            }
        }
        let held: heapless::Vec<Fifths, 4> = self.sounding.iter().flatten().map(|&(_, l)| l).collect();
        let next: heapless::Vec<Option<u8>, 4> = new.iter().map(|&(v, _)| next_pitch(frames, v, t)).collect();
        let previous = self.previous;
        let mut best: Option<((i32, i32), [Fifths; 4])> = None;
        let mut choice = [0; 4];
        for_each_choice(&new, 0, &mut choice[..new.len()], &mut |chosen: &[Fifths]| {
            let all = held.iter().chain(chosen);
            let span = all.clone().max().zip(all.min()).map_or(0, |(hi, lo)| hi - lo);
            // Costs count double so that an awkward spelling (C♭, F♭, E♯, B♯: a white key
            // written with an accidental) only loses ties.
            let mut cost = 2 * span;
            let mut centre = 0;
            for ((&(v, p), &l), n) in new.iter().zip(chosen).zip(&next) {
                cost += 2 * key_distance(l, key) + i32::from(awkward(l));
                centre += (l - key.fifths as i32 - 2).abs();
                // A step (one or two semitones) to or from a neighbour should be written as
                // a step: A♭ → A and C♭ → A read badly.
                if let Some(n) = *n {
                    cost += 2 * i32::from(!reads_as_step(p, l, n, key_spelling(n, key)));
                }
                if let Some(&(q, lq)) = previous[v].as_ref() {
                    cost += 2 * i32::from(!reads_as_step(q, lq, p, l));
                }
            }
            if best.as_ref().is_none_or(|(b, _)| (cost, centre) < *b) {
                let mut kept = [0; 4];
                kept[..chosen.len()].copy_from_slice(chosen);
                best = Some(((cost, centre), kept));
            }
        });
        if let Some((_, chosen)) = best {
            for (&(v, p), &l) in new.iter().zip(&chosen) {
                self.sounding[v] = Some((p, l));
                self.previous[v] = Some((p, l));
            }
        }
        self.sounding.map(|s| s.map_or(0, |(_, l)| l))
    }
}

/// Calls `f` with every combination of spellings of the `notes`.
fn for_each_choice(notes: &[(usize, u8)], i: usize, choice: &mut [Fifths], f: &mut dyn FnMut(&[Fifths])) {
    if i == notes.len() {
        f(choice);
        return;
    }
    for l in candidates(notes[i].1) {
        choice[i] = l;
        for_each_choice(notes, i + 1, choice, f);
    }
}

/// The next pitch voice `v` sings after frame `t`, unless a rest comes first.
fn next_pitch(frames: &[Frame], v: usize, t: usize) -> Option<u8> {
    frames[t + 1..].iter().map(|f| f.tokens[v]).find(|tok| *tok != Token::Hold).and_then(|tok| tok.pitch())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::frame::FrameMeta;
    use crate::meter::TimeSignature;
    use std::string::String;
    use std::vec::Vec;
    use std::format;

    fn spell(frames: &[Frame]) -> Vec<[Fifths; 4]> {
        let mut s = Speller::new();
        (0..frames.len()).map(|t| s.step(frames, t)).collect()
    }
    use Token::{Hold as H, Pitch as P, Rest as R};

    fn chorale(fifths: i8, chords: &[[Token; 4]]) -> Vec<Frame> {
        let key = KeySignature { fifths };
        chords.iter().enumerate().map(|(i, c)| Frame { tokens: *c, meta: FrameMeta::on_grid(TimeSignature::COMMON, key, crate::key::Mode::Major, 0, i) }).collect()
    }

    fn names(frames: &[Frame]) -> Vec<[String; 4]> {
        let spelled = spell(frames);
        frames
            .iter()
            .zip(spelled)
            .map(|(f, s)| {
                core::array::from_fn(|v| match f.tokens[v] {
                    Token::Pitch(_) => {
                        let (step, alter) = letter(s[v]);
                        format!("{step}{}", ["b", "", "#"][(alter + 1) as usize])
                    }
                    _ => String::new(),
                })
            })
            .collect()
    }

    #[test]
    fn letters_on_the_line_of_fifths() {
        assert_eq!(letter(0), ('C', 0));
        assert_eq!(letter(-2), ('B', -1));
        assert_eq!(letter(6), ('F', 1));
        assert_eq!(letter(11), ('E', 1));
        assert_eq!(letter(-7), ('C', -1));
        assert_eq!(step_alter_octave(60, 12), ('B', 1, 3));
        assert_eq!(step_alter_octave(71, -7), ('C', -1, 5));
        for p in 0..12u8 {
            assert_eq!(candidates(p).count(), if [2, 7, 9].contains(&p) { 1 } else { 2 }, "{p}");
        }
    }

    #[test]
    fn flats_in_flat_harmony_in_c_major() {
        // C7 (C E G B♭) and B♭ major (B♭ D F): B♭, not A♯.
        let n = names(&chorale(0, &[[P(70), P(64), P(55), P(48)], [P(70), P(65), P(62), P(46)]]));
        assert_eq!(n[0][0], "Bb");
        assert_eq!(n[1][0], "Bb");
        assert_eq!(n[1][3], "Bb");
        // A lone B♭ falling to A is a flat too.
        let n = names(&chorale(0, &[[P(70), R, R, R], [P(69), R, R, R]]));
        assert_eq!(n[0][0], "Bb");
    }

    #[test]
    fn raised_leading_tone_in_minor() {
        // F♯ minor (three sharps): the dominant C♯ E♯ G♯ and its resolution.
        let n = names(&chorale(3, &[[P(77), P(68), P(61), P(49)], [P(78), P(69), P(61), P(54)]]));
        assert_eq!(n[0][0], "E#");
        assert_eq!(n[0][1], "G#");
        // Alone, rising to F♯: still E♯.
        let n = names(&chorale(3, &[[P(65), R, R, R], [P(66), R, R, R]]));
        assert_eq!(n[0][0], "E#");
        // A minor: G♯ in E major; the same pitch in F minor's chord is A♭.
        let n = names(&chorale(0, &[[P(68), P(64), P(59), P(52)]]));
        assert_eq!(n[0][0], "G#");
        let n = names(&chorale(-4, &[[P(68), P(65), P(60), P(53)]]));
        assert_eq!(n[0][0], "Ab");
    }

    #[test]
    fn white_keys_keep_their_names_unless_the_harmony_says_otherwise() {
        // E flat major, a G major chord (G B D): B, not C♭.
        let n = names(&chorale(-3, &[[P(71), P(67), P(62), P(43)]]));
        assert_eq!(n[0][0], "B");
        // A♭ minor's chord A♭ C♭ E♭ in seven flats: C♭.
        let n = names(&chorale(-7, &[[P(71), P(68), P(63), P(44)]]));
        assert_eq!(n[0][0], "Cb");
        // A melody in E flat falling D♭, B, A: C♭ would be a step from D♭, B is a step
        // to A; on that tie the white key keeps its name.
        let n = names(&chorale(-3, &[[P(73), R, R, R], [P(71), R, R, R], [P(69), R, R, R]]));
        assert_eq!(n[1][0], "B");
    }

    #[test]
    fn held_notes_shape_the_spelling_of_new_ones() {
        // The melody rises to B♭ over a held D and F♯ (G minor's sixth over its dominant):
        // B♭ keeps the chord compact; the held F♯ keeps its sharp.
        let frames = chorale(0, &[[P(69), P(66), P(62), P(50)], [P(70), H, H, H]]);
        let n = names(&frames);
        assert_eq!(n[0][1], "F#");
        assert_eq!(n[1][0], "Bb");
        assert_eq!(spell(&frames)[1][1], 6);
        // Over a held E and B (E major), the same pitch class as A♭ is G♯.
        let n = names(&chorale(0, &[[P(71), P(64), P(59), P(52)], [P(68), H, H, H]]));
        assert_eq!(n[1][0], "G#");
    }
}
