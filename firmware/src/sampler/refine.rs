//! Self-judging: the network scores a decoded chorale frame by frame by its own
//! denoising error, and the worst frames are composed again.
//!
//! A chorale the network believes in is one it can denoise: noised at a small σ, its
//! denoised estimate D(x) = x + σ²·s(x, σ) should land back on the chorale's one-hot
//! corners. The squared error ‖D(x) − y‖² per frame is large where the network would have
//! written something else. The worst frames (and a beat around each) are re-noised to a
//! middle level and annealed down again with every other frame held to its tokens
//! (SDEdit, Meng et al. 2022, restricted to a mask).

use super::gauss::Gaussian;
use super::evaluation::{evaluate, SampleError, SampleReport, Shaping};
use super::workspace::Workspace;
use crate::onehot::{voice_offset, Column};
use crate::score::ScoreNet;
use crate::token::Token;
use crate::voice::{Voice, VOICES};

/// Frames on each side of a frame judged bad that are re-sampled with it (half a beat of
/// 16ths: a note rarely begins and ends inside one frame).
pub const REACH: usize = 2;

/// `ws.per_frame` value of a frame picked as one of the worst.
const PICKED: f32 = -2.0;
/// `ws.per_frame` value of a frame re-sampled as a neighbour of a picked one.
const NEAR: f32 = -1.0;

/// Whether `per_frame` marks frame `t` for re-sampling (after [`select_worst`]).
pub fn is_resampled(per_frame: &[f32], t: usize) -> bool {
    per_frame[t] < 0.0
}

/// The one-hot value of channel `(base + class)` of `voice` at frame `t` of `tokens`.
fn one_hot(tokens: &[[Token; VOICES]], t: usize, voice: Voice, class: usize) -> f32 {
    Column::at(tokens, t, voice).value(class)
}

/// Judges `tokens`: noises their one-hot at `sigma`, evaluates the network once and
/// writes each frame's squared denoising error into `ws.per_frame`. Returns the total.
pub fn judge<N: ScoreNet>(
    net: &mut N,
    ws: &mut Workspace<'_>,
    tokens: &[[Token; VOICES]],
    sigma: f32,
    noise: &mut Gaussian,
    report: &mut SampleReport,
) -> Result<f32, SampleError<N::Error>> {
    let frames = tokens.len();
    for v in Voice::ALL {
        let base = voice_offset(v);
        for k in 0..v.classes() {
            for t in 0..tokens.len() {
                ws.x[(base + k) * frames + t] = one_hot(tokens, t, v, k) + sigma * noise.next();
            }
        }
    }
    evaluate(net, ws, frames, sigma, Shaping::NONE, report)?;
    let var = sigma * sigma;
    ws.per_frame[..frames].fill(0.0);
    for v in Voice::ALL {
        let base = voice_offset(v);
        for k in 0..v.classes() {
            for t in 0..tokens.len() {
                let i = (base + k) * frames + t;
                let e = ws.x[i] + var * ws.score[i] - one_hot(tokens, t, v, k);
                ws.per_frame[t] += e * e;
            }
        }
    }
    Ok(ws.per_frame[..frames].iter().sum())
}

/// Marks the `fraction` of frames with the largest values of `per_frame` (at least one),
/// and the [`REACH`] frames on either side of each, for re-sampling
/// ([`is_resampled`]). Values must be non-negative (errors from [`judge`]).
pub fn select_worst(per_frame: &mut [f32], fraction: f32) {
    let frames = per_frame.len();
    let picks = ((fraction * frames as f32) as usize).clamp(1, frames);
    for _ in 0..picks {
        let mut worst = None;
        for (t, &e) in per_frame.iter().enumerate() {
            if e >= 0.0 && worst.is_none_or(|w: usize| e > per_frame[w]) {
                worst = Some(t);
            }
        }
        match worst {
            Some(t) => per_frame[t] = PICKED,
            None => break,
        }
    }
    widen(per_frame);
}

/// Marks every frame with a positive value of `per_frame` (faults marked by
/// [`super::counterpoint`]) and the [`REACH`] frames on either side of each for
/// re-sampling.
pub fn select_marked(per_frame: &mut [f32]) {
    for value in per_frame.iter_mut() {
        if *value > 0.0 {
            *value = PICKED;
        }
    }
    widen(per_frame);
}

/// Marks the [`REACH`] neighbours of every picked frame.
fn widen(per_frame: &mut [f32]) {
    let frames = per_frame.len();
    for t in 0..frames {
        if per_frame[t] != PICKED {
            continue;
        }
        for value in per_frame[t.saturating_sub(REACH)..(t + REACH + 1).min(frames)].iter_mut() {
            if *value != PICKED {
                *value = NEAR;
            }
        }
    }
}

/// Sets `x` to the one-hot of `tokens` plus noise at `sigma`: the starting point of a
/// refinement round (held frames are re-noised at every step anyway).
pub fn restart(x: &mut [f32], per_frame: &[f32], tokens: &[[Token; VOICES]], sigma: f32, noise: &mut Gaussian) {
    let frames = tokens.len();
    for v in Voice::ALL {
        let base = voice_offset(v);
        for k in 0..v.classes() {
            for t in 0..tokens.len() {
                let z = if is_resampled(per_frame, t) { sigma * noise.next() } else { 0.0 };
                x[(base + k) * frames + t] = one_hot(tokens, t, v, k) + z;
            }
        }
    }
}

/// Holds every frame not marked for re-sampling to its tokens, noised at `sigma`. A held
/// note whose beginning is re-sampled keeps only its tie: it goes on sounding whatever
/// pitch the re-sampled frames now begin.
pub(super) fn renoise_kept(
    x: &mut [f32],
    per_frame: &[f32],
    tokens: &[[Token; VOICES]],
    frames: usize,
    sigma: f32,
    noise: &mut Gaussian,
) {
    for t in 0..tokens.len().min(frames) {
        if is_resampled(per_frame, t) {
            continue;
        }
        for v in Voice::ALL {
            let earlier = (0..t).rev().map(|u| (!is_resampled(per_frame, u)).then_some(tokens[u][v.index()]));
            let column = Column::of(tokens[t][v.index()], v, earlier);
            let base = voice_offset(v);
            for k in (0..v.classes()).filter(|&k| column.fixes(k)) {
                let z = if sigma > 0.0 { sigma * noise.next() } else { 0.0 };
                x[(base + k) * frames + t] = column.value(k) + z;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_note_follows_its_resampled_beginning() {
        // Soprano C5 struck at frame 0 and held through frame 2; frame 0 is re-sampled.
        let p = Token::Pitch;
        let tokens = [[p(72), p(67), p(60), p(48)], [Token::Hold; 4], [Token::Hold; 4]];
        let per_frame = [PICKED, 0.0, 0.0];
        let frames = 3;
        let mut x = [9.0f32; crate::onehot::VOICE_CHANNELS * 3];
        renoise_kept(&mut x, &per_frame, &tokens, frames, 0.0, &mut Gaussian::new(1));
        let s = voice_offset(Voice::Soprano);
        let c5 = s + p(72).class(Voice::Soprano).unwrap();
        // Frames 1 and 2 stay tied, their pitch is left to the sampler; frame 0 untouched.
        for t in 1..3 {
            assert_eq!(x[(s + crate::token::HOLD_CLASS) * frames + t], 1.0);
            assert_eq!(x[c5 * frames + t], 9.0);
        }
        assert_eq!(x[c5 * frames], 9.0);
        // Kept in full when its beginning is kept.
        renoise_kept(&mut x, &[0.0, 0.0, PICKED], &tokens, frames, 0.0, &mut Gaussian::new(1));
        assert_eq!((x[c5 * frames], x[c5 * frames + 1], x[c5 * frames + 2]), (1.0, 1.0, 9.0));
    }

    #[test]
    fn worst_frames_and_their_neighbours_are_marked() {
        let mut e = [0.1, 0.2, 5.0, 0.1, 0.0, 0.3, 0.2, 0.1, 0.1, 4.0];
        select_worst(&mut e, 0.2);
        let marked: heapless::Vec<usize, 10> = (0..10).filter(|&t| is_resampled(&e, t)).collect();
        assert_eq!(&marked[..], &[0, 1, 2, 3, 4, 7, 8, 9]);
        let mut one = [0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0, 0.0];
        select_worst(&mut one, 0.01);
        assert!(is_resampled(&one, 0) && is_resampled(&one, 2) && !is_resampled(&one, 3));
    }
}
