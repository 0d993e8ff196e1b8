//! A score network whose answer is known exactly, for testing and calibrating the sampler.
//!
//! The data distribution: every frame independently takes one of a few four-voice chords
//! (token combinations) with given weights. Noised at level σ it is a mixture of Gaussians
//! centred on the chords' one-hot corners, whose score is exact:
//! s(x) = (Σ_k r_k μ_k − x)/σ², with r_k ∝ w_k·exp(⟨x, μ_k⟩/σ²) (every corner has the
//! same norm, so ‖x − μ_k‖² differs between chords only through ⟨x, μ_k⟩).

use crate::onehot::{voice_offset, VOICE_CHANNELS};
use crate::score::ScoreNet;
use crate::token::Token;
use crate::voice::{Voice, VOICES};

/// The chord mixture: `(tokens, weight)` pairs, weights positive (need not sum to one).
#[derive(Clone, Copy, Debug)]
pub struct ChordMixture<'a> {
    pub chords: &'a [([Token; VOICES], f32)],
}

/// A chord with a pitch outside its voice's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadChord(pub usize);

impl core::fmt::Display for BadChord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "chord {} has a pitch outside its voice's range", self.0)
    }
}

impl ChordMixture<'_> {
    /// ⟨x_t, μ_k⟩: the sum of the chord's four channels at frame `t`.
    fn overlap(x: &[f32], frames: usize, t: usize, chord: &[Token; VOICES]) -> Option<f32> {
        let mut sum = 0.0;
        for v in Voice::ALL {
            let c = chord[v.index()].class(v)?;
            sum += x[(voice_offset(v) + c) * frames + t];
        }
        Some(sum)
    }
}

impl ScoreNet for ChordMixture<'_> {
    type Error = BadChord;

    fn score(&mut self, x: &[f32], _meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), BadChord> {
        let inv_var = 1.0 / (sigma * sigma);
        let n = VOICE_CHANNELS * frames;
        for (s, v) in score[..n].iter_mut().zip(&x[..n]) {
            *s = -v * inv_var;
        }
        for t in 0..frames {
            let logit = |k: usize, chord: &[Token; VOICES], w: f32| {
                Self::overlap(x, frames, t, chord).map(|o| libm::logf(w) + o * inv_var).ok_or(BadChord(k))
            };
            let mut max = f32::NEG_INFINITY;
            for (k, (chord, w)) in self.chords.iter().enumerate() {
                max = max.max(logit(k, chord, *w)?);
            }
            let mut total = 0.0;
            for (k, (chord, w)) in self.chords.iter().enumerate() {
                total += libm::expf(logit(k, chord, *w)? - max);
            }
            for (k, (chord, w)) in self.chords.iter().enumerate() {
                let r = libm::expf(logit(k, chord, *w)? - max) / total;
                for v in Voice::ALL {
                    let c = chord[v.index()].class(v).ok_or(BadChord(k))?;
                    score[(voice_offset(v) + c) * frames + t] += r * inv_var;
                }
            }
        }
        Ok(())
    }
}
