//! Denoising score matching, in the form each network head asks for.
//!
//! For clean `x`, noise `z ~ N(0, I)` and level σ the network sees `x̃ = x + σz`. One
//! example's loss, by head ([`Head`]):
//! - score (NCSN, σ²-weighted): the target score is `−z/σ`, so with `score = f/σ` the loss
//!   is `½ · mean over its 101·T elements of (f(x̃) + z)²`; the trivial `f = 0` scores 0.5;
//! - denoised (EDM): `½ · mean (f − (x − c_skip·x̃)/c_out)²`, i.e. `‖D − x‖²` weighted by
//!   `1/c_out²` so that every σ counts alike;
//! - categorical: the mean over voices and frames of the cross-entropy of each voice's
//!   softmax over its sounding classes against the pitch (or rest) that sounds, plus the
//!   binary cross-entropy of its hold channel's sigmoid against "tied over" (`ln 24 + ln 2`
//!   ≈ 3.9 for a uniform guess).
//!
//! All three are denoising score matching: the score is `(D − x̃)/σ²` for the best
//! estimate `D` of `x`, and each loss is minimised by the posterior mean. A batch's loss is
//! the mean over its examples.

use super::data::Window;
use crate::network::weights::{normal, uniform};
use crate::network::{assemble_input, Activations, Architecture};
use kantor_core::onehot::voice_offset;
use kantor_core::token::HOLD_CLASS;
use kantor_core::{Head, Voice};
use rand_core::Rng;
use std::borrow::Cow;

/// One noisy training (or validation) example.
#[derive(Clone, Debug)]
pub struct Example<'a> {
    pub window: &'a Window,
    pub sigma: f32,
    /// The noise `z` (`VOICE_CHANNELS × frames`).
    pub noise: Cow<'a, [f32]>,
    /// The voices the noise is added to where they are not the window's own (some notes
    /// substituted, [`super::substitution`]); the loss still asks for the window's.
    pub base: Option<Vec<f32>>,
}

impl<'a> Example<'a> {
    /// `window` with fresh noise at level `sigma`.
    pub fn new(window: &'a Window, sigma: f32, rng: &mut impl Rng) -> Example<'a> {
        let noise = Cow::Owned((0..window.voices.len()).map(|_| normal(rng)).collect());
        Example { window, sigma, noise, base: None }
    }

    /// The voices the noise is added to.
    pub fn base(&self) -> &[f32] {
        self.base.as_deref().unwrap_or(&self.window.voices)
    }

    /// `x + σz` (`x` the [`Example::base`]).
    pub fn noisy(&self) -> Vec<f32> {
        self.base().iter().zip(self.noise.iter()).map(|(x, z)| x + self.sigma * z).collect()
    }
}

/// σ drawn log-uniformly from `[min, max]`.
pub fn sample_sigma(rng: &mut impl Rng, min: f64, max: f64) -> f32 {
    let u = uniform(rng);
    (min.ln() + u * (max.ln() - min.ln())).exp() as f32
}

/// Runs `work(i)` for `i` in `0..n` on up to `threads` threads; results in order of `i`.
pub fn parallel_map<R: Send>(n: usize, threads: usize, work: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(&work).collect();
    }
    let mut slots: Vec<Option<R>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = (0..threads)
            .map(|w| scope.spawn(move || (w..n).step_by(threads).map(|i| (i, work(i))).collect::<Vec<_>>()))
            .collect();
        for h in handles {
            for (i, r) in h.join().expect("worker thread panicked") {
                slots[i] = Some(r);
            }
        }
    });
    slots.into_iter().map(|r| r.expect("every chunk ran")).collect()
}

/// Forward pass of a chunk: the network output `f` and the activations.
fn forward_chunk(arch: &Architecture, params: &[f32], examples: &[Example], frames: usize) -> Activations {
    let noisy: Vec<Vec<f32>> = examples.iter().map(Example::noisy).collect();
    let xs: Vec<&[f32]> = noisy.iter().map(Vec::as_slice).collect();
    let metas: Vec<&[f32]> = examples.iter().map(|e| e.window.meta.as_slice()).collect();
    let sigmas: Vec<f32> = examples.iter().map(|e| e.sigma).collect();
    let input = assemble_input(&xs, &metas, &sigmas, frames);
    let mut acts = Activations::default();
    arch.forward(params, input, examples.len(), frames, &mut acts);
    acts
}

/// Each example's loss from a chunk's output and, when `grad` is given, d(loss of the
/// batch)/d(output) into it, for a batch of `batch_elements` voice elements in all (the
/// batch loss is the mean of the examples' losses, each the mean over its elements).
fn chunk_losses(head: Head, output: &[f32], examples: &[Example], frames: usize, batch_elements: f32, mut grad: Option<&mut [f32]>) -> Vec<f64> {
    let n = examples.len() * frames;
    let at = |c: usize, s: usize, t: usize| c * n + s * frames + t;
    examples
        .iter()
        .enumerate()
        .map(|(s, e)| {
            let mut sum = 0.0f64;
            match head {
                Head::Score | Head::Denoised => {
                    let (skip, scale) = Head::preconditioning(e.sigma);
                    for (c, zrow) in e.noise.chunks_exact(frames).enumerate() {
                        let xrow = &e.window.voices[c * frames..(c + 1) * frames];
                        for t in 0..frames {
                            let i = at(c, s, t);
                            let r = match head {
                                Head::Score => output[i] + zrow[t],
                                _ => output[i] - (xrow[t] - skip * (xrow[t] + e.sigma * zrow[t])) / scale,
                            };
                            sum += (r as f64).powi(2);
                            if let Some(g) = grad.as_deref_mut() {
                                g[i] = r / batch_elements;
                            }
                        }
                    }
                    0.5 * sum / e.noise.len() as f64
                }
                Head::Categorical | Head::Posterior => {
                    // Per voice and frame, the cross-entropy of the sounding classes'
                    // softmax plus that of the hold channel's sigmoid; the batch has
                    // `batch_elements / VOICE_CHANNELS · 4` positions.
                    let positions = batch_elements / kantor_core::onehot::VOICE_CHANNELS as f32 * Voice::ALL.len() as f32;
                    let mut count = 0usize;
                    let mut p = [0f32; 32];
                    // The posterior head adds the evidence to the network's logits:
                    // x̃/σ² for the sounding classes, (x̃ − ½)/σ² for the hold channel.
                    let evidence = if head == Head::Posterior { 1.0 / (e.sigma * e.sigma) } else { 0.0 };
                    let noisy = |c: usize, t: usize| e.base()[c * frames + t] + e.sigma * e.noise[c * frames + t];
                    let logit = |c: usize, t: usize| output[at(c, s, t)] + evidence * noisy(c, t);
                    for v in Voice::ALL {
                        let (base, k) = (voice_offset(v), v.classes());
                        let hold = base + HOLD_CLASS;
                        let sounding = || (0..k).filter(|&c| c != HOLD_CLASS);
                        for t in 0..frames {
                            let target = sounding().find(|&c| e.window.voices[(base + c) * frames + t] > 0.5);
                            let top = sounding().map(|c| logit(base + c, t)).fold(f32::NEG_INFINITY, f32::max);
                            let mut total = 0.0f32;
                            for c in sounding() {
                                p[c] = (logit(base + c, t) - top).exp();
                                total += p[c];
                            }
                            let tied = e.window.voices[hold * frames + t];
                            let odds = logit(hold, t) - 0.5 * evidence;
                            let p_tied = 1.0 / (1.0 + (-odds).exp());
                            if let Some(target) = target {
                                sum += (total.ln() - (logit(base + target, t) - top)) as f64;
                                // Binary cross-entropy, written stably: softplus(odds) − tied·odds.
                                sum += (odds.max(0.0) + (-odds.abs()).exp().ln_1p() - tied * odds) as f64;
                                count += 1;
                            }
                            if let Some(g) = grad.as_deref_mut() {
                                // A voice without a token in range teaches nothing.
                                let known = if target.is_some() { 1.0 } else { 0.0 };
                                for c in sounding() {
                                    let want = if Some(c) == target { 1.0 } else { 0.0 };
                                    g[at(base + c, s, t)] = known * (p[c] / total - want) / positions;
                                }
                                g[at(hold, s, t)] = known * (p_tied - tied) / positions;
                            }
                        }
                    }
                    sum / count.max(1) as f64
                }
            }
        })
        .collect()
}

/// The batch loss and its gradient with respect to `params` (written into `grad`).
/// Examples are processed in chunks of `chunk` in parallel; chunk gradients are summed
/// in chunk order, so the result does not depend on `threads`.
pub fn loss_and_gradient(
    arch: &Architecture,
    params: &[f32],
    examples: &[Example],
    frames: usize,
    chunk: usize,
    threads: usize,
    grad: &mut [f32],
) -> f64 {
    let total_elements = examples.iter().map(|e| e.noise.len()).sum::<usize>() as f32;
    let head = arch.config.head;
    let parts = parallel_map(examples.len().div_ceil(chunk), threads, |i| {
        let part = &examples[i * chunk..((i + 1) * chunk).min(examples.len())];
        let mut acts = forward_chunk(arch, params, part, frames);
        let mut grad_output = vec![0.0; acts.output.len()];
        let losses = chunk_losses(head, &acts.output, part, frames, total_elements, Some(&mut grad_output));
        let mut g = vec![0.0; arch.parameters];
        arch.backward(params, &mut acts, &grad_output, &mut g);
        (losses, g)
    });
    grad.fill(0.0);
    let mut loss = 0.0;
    for (losses, g) in parts {
        loss += losses.iter().sum::<f64>();
        for (a, b) in grad.iter_mut().zip(&g) {
            *a += b;
        }
    }
    loss / examples.len() as f64
}

/// Each example's loss (forward passes only).
pub fn losses(arch: &Architecture, params: &[f32], examples: &[Example], frames: usize, chunk: usize, threads: usize) -> Vec<f64> {
    parallel_map(examples.len().div_ceil(chunk), threads, |i| {
        let part = &examples[i * chunk..((i + 1) * chunk).min(examples.len())];
        let acts = forward_chunk(arch, params, part, frames);
        let elements = examples.iter().map(|e| e.noise.len()).sum::<usize>() as f32;
        chunk_losses(arch.config.head, &acts.output, part, frames, elements, None)
    })
    .into_iter()
    .flatten()
    .collect()
}
