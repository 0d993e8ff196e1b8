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
//!   sounding classes and the log-odds of its hold channel; `D` is their softmax (and the
//!   hold's sigmoid), the posterior mean of the one-hot chorale (Dieleman et al. 2022,
//!   "score interpolation"). Trained with cross-entropy.
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
use crate::token::HOLD_CLASS;
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
                    // The hold channel is a choice between 0 and 1: its evidence is
                    // (x − ½)/σ² on the log-odds.
                    for v in Voice::ALL {
                        let base = (voice_offset(v) + HOLD_CLASS) * frames;
                        for o in &mut out[base..base + frames] {
                            *o -= 0.5 * inv_var;
                        }
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

/// Replaces logits (`VOICE_CHANNELS × frames`, channel-major) by probabilities, in each
/// voice and frame: a softmax over the sounding classes (rest and pitches) and a logistic
/// sigmoid on the hold channel (tied or struck; see [`crate::onehot`]).
pub fn softmax_per_voice(values: &mut [f32], frames: usize) {
    for v in Voice::ALL {
        let base = voice_offset(v) * frames;
        let k = v.classes();
        for t in 0..frames {
            let at = |c: usize| base + c * frames + t;
            let tie = values[at(HOLD_CLASS)];
            values[at(HOLD_CLASS)] = if tie.is_nan() { 0.5 } else { 1.0 / (1.0 + libm::expf(-tie)) };
            let sounding = (0..k).filter(|&c| c != HOLD_CLASS);
            let mut top = f32::NEG_INFINITY;
            for c in sounding.clone() {
                top = top.max(values[at(c)]);
            }
            if !top.is_finite() {
                // Overflowed or NaN logits: fall back to the uniform distribution.
                for c in sounding {
                    values[at(c)] = 1.0 / (k - 1) as f32;
                }
                continue;
            }
            let mut sum = 0.0;
            for c in sounding.clone() {
                let e = libm::expf(values[at(c)] - top);
                values[at(c)] = e;
                sum += e;
            }
            for c in sounding {
                values[at(c)] /= sum;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// log p_σ(x) of a product over voices of a mixture Σ_k π_k N(x; e_k, σ²I) over the
    /// sounding classes (softmax of `log_pi` there) times a two-point mixture of the hold
    /// channel at 0 and 1 (log-odds `log_pi` at the hold channel).
    fn log_density(x: &[f32], log_pi: &[f32], sigma: f64) -> f64 {
        let mut total = 0.0;
        let var2 = 2.0 * sigma * sigma;
        let logsumexp = |terms: &[f64]| {
            let top = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
        };
        for v in Voice::ALL {
            let (base, k) = (voice_offset(v), v.classes());
            let sounding: std::vec::Vec<usize> = (0..k).filter(|&c| c != HOLD_CLASS).collect();
            let norm = logsumexp(&sounding.iter().map(|&c| log_pi[base + c] as f64).collect::<std::vec::Vec<_>>());
            let terms: std::vec::Vec<f64> = sounding
                .iter()
                .map(|&c| {
                    let d2: f64 = sounding.iter().map(|&j| (x[base + j] as f64 - if j == c { 1.0 } else { 0.0 }).powi(2)).sum();
                    log_pi[base + c] as f64 - norm - d2 / var2
                })
                .collect();
            total += logsumexp(&terms);
            let odds = log_pi[base + HOLD_CLASS] as f64;
            let (on, off) = (-(1.0 + (-odds).exp()).ln(), -(1.0 + odds.exp()).ln());
            let h = x[base + HOLD_CLASS] as f64;
            total += logsumexp(&[on - (h - 1.0).powi(2) / var2, off - h * h / var2]);
        }
        total
    }

    /// The exact posterior logits of that mixture: `log π + x/σ²` for the sounding classes,
    /// log-odds `+ (x − ½)/σ²` for the hold channel.
    fn posterior_logits(x: &[f32], log_pi: &[f32], sigma: f32) -> std::vec::Vec<f32> {
        let inv_var = 1.0 / (sigma * sigma);
        (0..VOICE_CHANNELS)
            .map(|i| {
                let hold = Voice::ALL.iter().any(|&v| i == voice_offset(v) + HOLD_CLASS);
                log_pi[i] + (x[i] - if hold { 0.5 } else { 0.0 }) * inv_var
            })
            .collect()
    }

    #[test]
    fn categorical_score_is_the_mixture_score() {
        // The exact posterior of the mixture: feed its logits to the head and compare with
        // finite differences of log p_σ.
        let sigma = 0.7f32;
        let mut state = 12345u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32
        };
        let log_pi: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|_| 2.0 * next() - 1.0).collect();
        let x: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|_| 1.5 * next() - 0.25).collect();
        let mut out = posterior_logits(&x, &log_pi, sigma);
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
        // For the mixture, the network's part of the posterior logits is the prior log π;
        // the head adds the evidence.
        let sigma = 0.4f32;
        let log_pi: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| ((i * 7) % 5) as f32 * 0.3 - 0.6).collect();
        let x: std::vec::Vec<f32> = (0..VOICE_CHANNELS).map(|i| ((i * 3) % 4) as f32 * 0.3 - 0.2).collect();
        let mut prior = log_pi.clone();
        Head::Posterior.to_score(&x, &mut prior, 1, sigma);
        let mut full = posterior_logits(&x, &log_pi, sigma);
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
                let at = |c: usize| v[(voice_offset(voice) + c) * frames + t];
                let s: f32 = (0..voice.classes()).filter(|&c| c != HOLD_CLASS).map(at).sum();
                assert!((s - 1.0).abs() < 1e-5, "{voice:?} frame {t}: {s}");
                assert!((0.0..=1.0).contains(&at(HOLD_CLASS)));
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
