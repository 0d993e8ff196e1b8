//! Keeping the network's denoised estimate where the data can be.
//!
//! The score fixes a denoised estimate D(x) = x + σ²·s(x, σ) (Tweedie's formula), the
//! posterior mean of the clean chorale. Every voice in every frame is one-hot, so that
//! mean lies in the probability simplex of each voice block. A network that is unsure
//! (above all at large σ) can put D far outside, and Langevin dynamics then drifts off to
//! states it never saw in training. Constraining D and using the score it implies,
//! s' = (P(D) − x)/σ², keeps the chain honest — the analogue of clipping the predicted
//! clean image to its valid range in image diffusion.

use crate::onehot::voice_offset;
use crate::voice::Voice;

/// How the denoised estimate is constrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Constraint {
    /// Use the network's score as it is.
    None,
    /// Clip every coordinate of D to [0, 1].
    Clip,
    /// Project each voice block of D onto the probability simplex (Euclidean projection).
    Simplex,
}

/// Largest voice alphabet (the bass: hold, rest and 29 pitches).
const MAX_CLASSES: usize = 31;

/// Euclidean projection of `v` onto the probability simplex, in place (Duchi et al. 2008).
pub fn project_simplex(v: &mut [f32]) {
    let k = v.len();
    debug_assert!(k <= MAX_CLASSES);
    let mut sorted = [0.0f32; MAX_CLASSES];
    sorted[..k].copy_from_slice(v);
    // Insertion sort, descending: blocks are at most 31 long.
    for i in 1..k {
        let mut j = i;
        while j > 0 && sorted[j - 1] < sorted[j] {
            sorted.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut cumulative = 0.0;
    let mut theta = 0.0;
    for (i, &u) in sorted[..k].iter().enumerate() {
        cumulative += u;
        let t = (cumulative - 1.0) / (i + 1) as f32;
        if u - t > 0.0 {
            theta = t;
        }
    }
    for x in v.iter_mut() {
        *x = (*x - theta).max(0.0);
    }
}

/// Replaces `score` by the score of the constrained denoised estimate at `sigma`.
/// `x` and `score` are `VOICE_CHANNELS × frames`, channel-major.
pub fn constrain_score(constraint: Constraint, x: &[f32], score: &mut [f32], frames: usize, sigma: f32) {
    let var = sigma * sigma;
    match constraint {
        Constraint::None => {}
        Constraint::Clip => {
            for (s, &xv) in score.iter_mut().zip(x) {
                let d = (xv + var * *s).clamp(0.0, 1.0);
                *s = (d - xv) / var;
            }
        }
        Constraint::Simplex => {
            let mut block = [0.0f32; MAX_CLASSES];
            for v in Voice::ALL {
                let base = voice_offset(v);
                let k = v.classes();
                for t in 0..frames {
                    for c in 0..k {
                        let i = (base + c) * frames + t;
                        block[c] = x[i] + var * score[i];
                    }
                    project_simplex(&mut block[..k]);
                    for c in 0..k {
                        let i = (base + c) * frames + t;
                        score[i] = (block[c] - x[i]) / var;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplex_projection() {
        let mut v = [0.2, 0.3, 0.5];
        project_simplex(&mut v);
        assert_eq!(v, [0.2, 0.3, 0.5]);
        let mut v = [3.0, 1.0, -2.0];
        project_simplex(&mut v);
        assert_eq!(v, [1.0, 0.0, 0.0]);
        let mut v = [0.6, 0.6, 0.1, -5.0];
        project_simplex(&mut v);
        assert!((v[0] - 0.5).abs() < 1e-6 && (v[1] - 0.5).abs() < 1e-6 && v[2] == 0.0 && v[3] == 0.0);
        let mut v = [0.0; 31];
        v[30] = 0.5;
        project_simplex(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-5 && v.iter().all(|&x| x >= 0.0));
    }

    #[test]
    fn constrained_score_points_at_the_projection() {
        use crate::onehot::VOICE_CHANNELS;
        let frames = 2;
        let x = [0.5f32; VOICE_CHANNELS * 2];
        let mut s = [0.0f32; VOICE_CHANNELS * 2];
        s[0] = 100.0; // soprano hold at frame 0 pulled far up
        constrain_score(Constraint::Simplex, &x, &mut s, frames, 0.5);
        // D = x + σ²s is one-hot on the soprano's hold at frame 0.
        let d = |i: usize| x[i] + 0.25 * s[i];
        assert!((d(0) - 1.0).abs() < 1e-5);
        assert!(d(frames).abs() < 1e-5);
        let mut c = [0.0f32; VOICE_CHANNELS * 2];
        c[0] = 100.0;
        constrain_score(Constraint::Clip, &x, &mut c, frames, 0.5);
        assert!((x[0] + 0.25 * c[0] - 1.0).abs() < 1e-5 && (x[2] + 0.25 * c[2] - 0.5).abs() < 1e-5);
    }
}
