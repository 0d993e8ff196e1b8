//! Guidance on melodic repeats: the denoised estimate tilted away from notes struck again
//! at the pitch that sounded just before.
//!
//! The score network's categorical estimate `D` gives, per voice and frame, how likely each
//! class sounds and how likely the note is tied over. A repeated note is a pitch that
//! sounds in two neighbouring frames with the second one struck. Guidance multiplies the
//! chorale's density by `e^{−λ}` per repeated note (a product of experts,
//! `p̃(x) ∝ p(x)·e^{−λ·repeats(x)}`), and the sampler follows the tilted estimate's score
//! `(D̃ − x)/σ²`.
//!
//! `D̃` is computed per frame from the marginals, taking the sounding class `c`, the tie `h`
//! and the previous frame's sounding class `q` as independent (mean field): with
//! `r = (1 − e^{−λ})·(1 − h)`,
//!
//! - `D̃(c) = D(c)·(1 − r·q(c)) / Z` for each pitch class `c`, `D̃(rest) = D(rest) / Z`,
//! - `D̃(tie) = h / Z`, with `Z = 1 − r·Σ_c D(c)·q(c)`.
//!
//! Where the estimate is certain (one class, or a sure tie) nothing changes: guidance
//! only moves probability between choices the network leaves open, at the noise levels
//! where the chords and lines are decided. λ = 0 is the network's own estimate.

#![forbid(unsafe_code)]

use crate::onehot::voice_offset;
use crate::token::{HOLD_CLASS, REST_CLASS};
use crate::voice::Voice;

/// Replaces `score` (`VOICE_CHANNELS × frames`, channel-major, for state `x` at `sigma`)
/// by the score of the estimate tilted against repeated notes with weight `weight` (λ ≥ 0;
/// 0 leaves it unchanged). Probabilities are read from `D = x + σ²·score`, clipped to
/// [0, 1].
pub fn discourage_repeats(x: &[f32], score: &mut [f32], frames: usize, sigma: f32, weight: f32) {
    if weight <= 0.0 || frames < 2 {
        return;
    }
    let var = sigma * sigma;
    let keep = libm::expf(-weight);
    let d = |score: &[f32], i: usize| (x[i] + var * score[i]).clamp(0.0, 1.0);
    for v in Voice::ALL {
        let base = voice_offset(v);
        let k = v.classes();
        let at = |c: usize, t: usize| (base + c) * frames + t;
        // Latest frame first, so the previous frame is still the network's own estimate.
        for t in (1..frames).rev() {
            let h = d(score, at(HOLD_CLASS, t));
            let r = (1.0 - keep) * (1.0 - h);
            let mut overlap = 0.0;
            for c in (0..k).filter(|&c| c != HOLD_CLASS && c != REST_CLASS) {
                overlap += d(score, at(c, t)) * d(score, at(c, t - 1));
            }
            let z = 1.0 - r * overlap;
            if z <= 0.0 {
                continue;
            }
            for c in 0..k {
                let i = at(c, t);
                let p = d(score, i);
                let tilted = match c {
                    HOLD_CLASS | REST_CLASS => p / z,
                    _ => p * (1.0 - r * d(score, at(c, t - 1))) / z,
                };
                score[i] = (tilted - x[i]) / var;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::onehot::VOICE_CHANNELS;
    use std::vec;
    use std::vec::Vec;

    /// A state whose estimate is given directly: x = 0 and score = D/σ², so D is exact.
    fn with_estimate(d: &[f32], sigma: f32) -> (Vec<f32>, Vec<f32>) {
        (vec![0.0; d.len()], d.iter().map(|p| p / (sigma * sigma)).collect())
    }

    fn estimate(score: &[f32], sigma: f32) -> Vec<f32> {
        score.iter().map(|s| s * sigma * sigma).collect()
    }

    #[test]
    fn an_open_choice_between_repeating_and_moving_leans_to_moving() {
        let (frames, sigma) = (2, 0.5);
        let s = Voice::Soprano;
        let at = |c: usize, t: usize| (voice_offset(s) + c) * frames + t;
        let mut d = vec![0.0f32; VOICE_CHANNELS * frames];
        // Frame 0 sounds class 5; frame 1 is struck (tie 0) and torn between 5 and 7.
        d[at(5, 0)] = 1.0;
        d[at(5, 1)] = 0.5;
        d[at(7, 1)] = 0.5;
        let (x, mut score) = with_estimate(&d, sigma);
        discourage_repeats(&x, &mut score, frames, sigma, 2.0_f32.ln());
        let tilted = estimate(&score, sigma);
        // Repeating is half as likely: 0.25 : 0.5, normalised to 1/3 : 2/3.
        assert!((tilted[at(5, 1)] - 1.0 / 3.0).abs() < 1e-5, "{}", tilted[at(5, 1)]);
        assert!((tilted[at(7, 1)] - 2.0 / 3.0).abs() < 1e-5, "{}", tilted[at(7, 1)]);
        // The first frame and the other voices are untouched.
        assert!((tilted[at(5, 0)] - 1.0).abs() < 1e-5);
        let sum: f32 = (0..s.classes()).filter(|&c| c != HOLD_CLASS).map(|c| tilted[at(c, 1)]).sum();
        assert!((sum - 1.0).abs() < 1e-5);
    }

    #[test]
    fn ties_and_certain_notes_are_left_alone_and_zero_weight_changes_nothing() {
        let (frames, sigma) = (3, 0.8);
        let a = Voice::Alto;
        let at = |c: usize, t: usize| (voice_offset(a) + c) * frames + t;
        let mut d = vec![0.0f32; VOICE_CHANNELS * frames];
        // A held note (tie sure) and then a certain repeat: nothing is left open.
        d[at(4, 0)] = 1.0;
        d[at(4, 1)] = 1.0;
        d[at(HOLD_CLASS, 1)] = 1.0;
        d[at(4, 2)] = 1.0;
        let (x, score) = with_estimate(&d, sigma);
        let mut tilted = score.clone();
        discourage_repeats(&x, &mut tilted, frames, sigma, 3.0);
        for (a, b) in estimate(&tilted, sigma).iter().zip(&d) {
            assert!((a - b).abs() < 1e-5);
        }
        let mut same = score.clone();
        discourage_repeats(&x, &mut same, frames, sigma, 0.0);
        assert_eq!(same, score);
    }

    #[test]
    fn an_uncertain_tie_becomes_likelier_than_a_repeat() {
        // Same pitch either way, tie open: tilting against a repeat favours the tie.
        let (frames, sigma) = (2, 0.5);
        let t = Voice::Tenor;
        let at = |c: usize, f: usize| (voice_offset(t) + c) * frames + f;
        let mut d = vec![0.0f32; VOICE_CHANNELS * frames];
        d[at(9, 0)] = 1.0;
        d[at(9, 1)] = 1.0;
        d[at(HOLD_CLASS, 1)] = 0.5;
        let (x, mut score) = with_estimate(&d, sigma);
        discourage_repeats(&x, &mut score, frames, sigma, 2.0_f32.ln());
        let tilted = estimate(&score, sigma);
        // Tied 0.5 : repeated 0.25 → tie 2/3, and the pitch stays certain.
        assert!((tilted[at(HOLD_CLASS, 1)] - 2.0 / 3.0).abs() < 1e-5, "{}", tilted[at(HOLD_CLASS, 1)]);
        assert!((tilted[at(9, 1)] - 1.0).abs() < 1e-5);
    }
}
