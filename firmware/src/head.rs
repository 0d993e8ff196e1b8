//! What the network's last layer means, and how it becomes a score.
//!
//! Every head ends in the same place — the score ∇ₓ log p_σ(x) the sampler follows — but
//! the network can be asked to estimate different things on the way:
//!
//! - [`Head::Score`]: the output *is* the score (NCSN's ε-prediction, `score = f/σ`, the
//!   division done inside the network graph). Every error of `f` is multiplied by σ in the
//!   denoised estimate `D = x + σ²·score`, so at large σ the estimate is poor.
//! - [`Head::Denoised`]: the output `F` is a preconditioned estimate of the clean chorale
//!   (Karras et al. 2022): `D = c_skip·x + c_out·F` with
//!   `c_skip = σ_d²/(σ² + σ_d²)`, `c_out = σ·σ_d/√(σ² + σ_d²)`, [`SIGMA_DATA`] = σ_d.
//! - [`Head::Categorical`]: the output is, per voice and frame, logits over that voice's
//!   classes; `D` is their softmax per voice, the posterior mean of the one-hot chorale
//!   (Dieleman et al. 2022, "score interpolation"). Trained with cross-entropy.
//! - [`Head::Posterior`]: as categorical, but the head adds the evidence of the noisy
//!   state itself, `x/σ²`, to the logits before the softmax: for one class per voice
//!   and frame that is the exact log-likelihood term of Bayes' rule, so the network only
//!   supplies the context's prior and needs no sense of σ to weigh its input.
//!
//! For the last two the score is Tweedie's `(D − x)/σ²`. The conversion runs in f32 on
//! `VOICE_CHANNELS × frames` numbers after the network, on the host and on the device
//! alike (libm's `expf`, so every target computes the same bits).

#![forbid(unsafe_code)]

use crate::onehot::{voice_offset, VOICE_CHANNELS};
use crate::voice::Voice;

/// Standard deviation of a one-hot voice channel over Bach's chorales (about one class
/// in 25 is on), the σ_d of the [`Head::Denoised`] preconditioning.
pub const SIGMA_DATA: f32 = 0.2;

/// What the network's output channels hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Head {
    /// The score itself (ε-prediction divided by σ inside the network).
    #[default]
    Score,
    /// A preconditioned estimate of the clean chorale (EDM's `F`).
    Denoised,
    /// Logits of each voice's classes; the estimate is their softmax per voice.
    Categorical,
    /// Prior logits of each voice's classes; the estimate is softmax(f + x/σ²) per voice.
    Posterior,
}

impl Head {
    /// Every head, in code order.
    pub const ALL: [Head; 4] = [Head::Score, Head::Denoised, Head::Categorical, Head::Posterior];

    /// The number stored in a blob's header.
    pub const fn code(self) -> u32 {
        match self {
            Head::Score => 0,
            Head::Denoised => 1,
            Head::Categorical => 2,
            Head::Posterior => 3,
        }
    }

    /// The head stored as `code`, if there is one.
    pub fn from_code(code: u32) -> Option<Head> {
        Head::ALL.into_iter().find(|h| h.code() == code)
    }

    /// The name used in model metadata and configuration files.
    pub const fn name(self) -> &'static str {
        match self {
            Head::Score => "score",
            Head::Denoised => "denoised",
            Head::Categorical => "categorical",
            Head::Posterior => "posterior",
        }
    }

    /// The head called `name` (see [`Head::name`]).
    pub fn from_name(name: &str) -> Option<Head> {
        Head::ALL.into_iter().find(|h| h.name() == name.trim())
    }

    /// EDM's `(c_skip, c_out)` at `sigma` for [`Head::Denoised`].
    pub fn preconditioning(sigma: f32) -> (f32, f32) {
        let d2 = SIGMA_DATA * SIGMA_DATA;
        let v = sigma * sigma + d2;
        (d2 / v, sigma * SIGMA_DATA / libm::sqrtf(v))
    }

    /// Turns the network's raw output `out` (`VOICE_CHANNELS × frames`, channel-major) for
    /// the noisy state `x` at `sigma` into the score, in place.
    pub fn to_score(self, x: &[f32], out: &mut [f32], frames: usize, sigma: f32) {
        let n = VOICE_CHANNELS * frames;
        let (x, out) = (&x[..n], &mut out[..n]);
        let inv_var = 1.0 / (sigma * sigma);
        match self {
            Head::Score => {}
            Head::Denoised => {
                let (skip, scale) = Head::preconditioning(sigma);
                for (o, &xv) in out.iter_mut().zip(x) {
                    let d = skip * xv + scale * *o;
                    *o = (d - xv) * inv_var;
                }
            }
            Head::Categorical | Head::Posterior => {
                if self == Head::Posterior {
                    for (o, &xv) in out.iter_mut().zip(x) {
                        *o += xv * inv_var;
                    }
                }
                softmax_per_voice(out, frames);
                for (o, &xv) in out.iter_mut().zip(x) {
                    *o = (*o - xv) * inv_var;
                }
            }
        }
    }
}

/// Replaces logits (`VOICE_CHANNELS × frames`, channel-major) by their softmax over each
/// voice's classes in each frame.
pub fn softmax_per_voice(values: &mut [f32], frames: usize) {
    for v in Voice::ALL {
        let base = voice_offset(v) * frames;
        let k = v.classes();
        for t in 0..frames {
            let at = |c: usize| base + c * frames + t;
            let mut top = f32::NEG_INFINITY;
            for c in 0..k {
                top = top.max(values[at(c)]);
            }
            if !top.is_finite() {
                // Overflowed or NaN logits: fall back to the uniform distribution.
                for c in 0..k {
                    values[at(c)] = 1.0 / k as f32;
                }
                continue;
            }
            let mut sum = 0.0;
            for c in 0..k {
                let e = libm::expf(values[at(c)] - top);
                values[at(c)] = e;
                sum += e;
            }
            for c in 0..k {
                values[at(c)] /= sum;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// log p_σ(x) of a product over voices of mixtures Σ_k π_k N(x_v; e_k, σ²I).
    fn log_density(x: &[f32], log_pi: &[f32], sigma: f64) -> f64 {
        let mut total = 0.0;
        for v in Voice::ALL {
            let (base, k) = (voice_offset(v), v.classes());
            let terms: std::vec::Vec<f64> = (0..k)
                .map(|c| {
                    let d2: f64 = (0..k).map(|j| (x[base + j] as f64 - if j == c { 1.0 } else { 0.0 }).powi(2)).sum();
                    log_pi[base + c] as f64 - d2 / (2.0 * sigma * sigma)
                })
                .collect();
            let top = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            total += top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln();
        }
        total
    }

    #[test]
    fn categorical_score_is_the_mixture_score() {
        // The exact posterior of the mixture is softmax(log π + x/σ²) per voice: feed
        // those logits to the head and compare with finite differences of log p_σ.
        let sigma = 0.7f32;
        let mut state = 12345u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32
        };
        let log_pi: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|_| 2.0 * next() - 1.0).collect();
        let x: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|_| 1.5 * next() - 0.25).collect();
        let mut out: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| log_pi[i] + x[i] / (sigma * sigma)).collect();
        Head::Categorical.to_score(&x, &mut out, 1, sigma);
        let h = 1e-3;
        for i in 0..VOICE_CHANNELS {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let fd = (log_density(&up, &log_pi, sigma as f64) - log_density(&down, &log_pi, sigma as f64)) / (2.0 * h as f64);
            assert!((fd - out[i] as f64).abs() < 2e-2 * (1.0 + fd.abs()), "channel {i}: head {} vs finite difference {fd}", out[i]);
        }
    }

    #[test]
    fn posterior_head_is_the_mixture_score_from_the_prior_alone() {
        // For the mixture, the posterior's logits are log π + x/σ²: the network's part is
        // the prior log π, the head adds the evidence.
        let sigma = 0.4f32;
        let log_pi: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| ((i * 7) % 5) as f32 * 0.3 - 0.6).collect();
        let x: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| ((i * 3) % 4) as f32 * 0.3 - 0.2).collect();
        let mut prior = log_pi.clone();
        Head::Posterior.to_score(&x, &mut prior, 1, sigma);
        let mut full: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| log_pi[i] + x[i] / (sigma * sigma)).collect();
        Head::Categorical.to_score(&x, &mut full, 1, sigma);
        for i in 0..VOICE_CHANNELS {
            assert!((prior[i] - full[i]).abs() < 1e-3 * (1.0 + full[i].abs()), "channel {i}: {} vs {}", prior[i], full[i]);
        }
    }

    #[test]
    fn denoised_head_recovers_a_perfect_estimate() {
        // If F is exactly the target (x0 − c_skip·x)/c_out, the score points at x0.
        let sigma = 2.0;
        let x0: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| if i % 25 == 3 { 1.0 } else { 0.0 }).collect();
        let x: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| x0[i] + 0.3 * ((i % 7) as f32 - 3.0)).collect();
        let (skip, scale) = Head::preconditioning(sigma);
        let mut out: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| (x0[i] - skip * x[i]) / scale).collect();
        Head::Denoised.to_score(&x, &mut out, 1, sigma);
        for i in 0..VOICE_CHANNELS {
            let d = x[i] + sigma * sigma * out[i];
            assert!((d - x0[i]).abs() < 1e-4, "channel {i}: {d} vs {}", x0[i]);
        }
    }

    #[test]
    fn softmax_sums_to_one_per_voice_and_survives_overflow() {
        let frames = 3;
        let mut v: std::vec::Vec<f32> = (0..VOICE_CHANNELS * frames).map(|i| (i % 11) as f32 * 10.0).collect();
        v[0] = f32::INFINITY;
        softmax_per_voice(&mut v, frames);
        for voice in Voice::ALL {
            for t in 0..frames {
                let s: f32 = (0..voice.classes()).map(|c| v[(voice_offset(voice) + c) * frames + t]).sum();
                assert!((s - 1.0).abs() < 1e-5, "{voice:?} frame {t}: {s}");
            }
        }
        assert!(v.iter().all(|p| p.is_finite() && *p >= 0.0));
    }

    #[test]
    fn codes_and_names_round_trip() {
        for h in Head::ALL {
            assert_eq!(Head::from_code(h.code()), Some(h));
            assert_eq!(Head::from_name(h.name()), Some(h));
        }
        assert_eq!(Head::from_code(4), None);
        assert_eq!(Head::from_name("epsilon"), None);
    }
}
