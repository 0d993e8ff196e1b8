//! Denoising score matching with the σ² weighting of NCSN.
//!
//! For clean `x`, noise `z ~ N(0, I)` and level σ the network sees `x̃ = x + σz`; the
//! target score is `−z/σ`, so with `score = f/σ` the σ²-weighted loss of one example is
//! `½ · mean over its 101·T elements of (f(x̃) + z)²`. A batch's loss is the mean over
//! its examples. The trivial `f = 0` scores 0.5 at every σ.

use super::data::Window;
use crate::network::weights::normal;
use crate::network::{assemble_input, Activations, Architecture};
use rand_core::Rng;
use std::borrow::Cow;

/// One noisy training (or validation) example.
#[derive(Clone, Debug)]
pub struct Example<'a> {
    pub window: &'a Window,
    pub sigma: f32,
    /// The noise `z` (`VOICE_CHANNELS × frames`).
    pub noise: Cow<'a, [f32]>,
}

impl<'a> Example<'a> {
    /// `window` with fresh noise at level `sigma`.
    pub fn new(window: &'a Window, sigma: f32, rng: &mut impl Rng) -> Example<'a> {
        let noise = Cow::Owned((0..window.voices.len()).map(|_| normal(rng)).collect());
        Example { window, sigma, noise }
    }

    /// `x + σz`.
    pub fn noisy(&self) -> Vec<f32> {
        self.window.voices.iter().zip(self.noise.iter()).map(|(x, z)| x + self.sigma * z).collect()
    }
}

/// σ drawn log-uniformly from `[min, max]`.
pub fn sample_sigma(rng: &mut impl Rng, min: f64, max: f64) -> f32 {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
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

/// Each example's loss `½·mean((f + z)²)` from a chunk's output, accumulated in f64.
fn chunk_losses(output: &[f32], examples: &[Example], frames: usize) -> Vec<f64> {
    let n = examples.len() * frames;
    examples
        .iter()
        .enumerate()
        .map(|(s, e)| {
            let mut sum = 0.0f64;
            for (c, zrow) in e.noise.chunks_exact(frames).enumerate() {
                for (f, z) in output[c * n + s * frames..c * n + (s + 1) * frames].iter().zip(zrow) {
                    sum += ((f + z) as f64).powi(2);
                }
            }
            0.5 * sum / e.noise.len() as f64
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
    let parts = parallel_map(examples.len().div_ceil(chunk), threads, |i| {
        let part = &examples[i * chunk..((i + 1) * chunk).min(examples.len())];
        let mut acts = forward_chunk(arch, params, part, frames);
        let losses = chunk_losses(&acts.output, part, frames);
        let n = part.len() * frames;
        let mut grad_output = acts.output.clone();
        for (s, e) in part.iter().enumerate() {
            for (c, zrow) in e.noise.chunks_exact(frames).enumerate() {
                for (g, z) in grad_output[c * n + s * frames..c * n + (s + 1) * frames].iter_mut().zip(zrow) {
                    *g = (*g + z) / total_elements;
                }
            }
        }
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
        chunk_losses(&acts.output, part, frames)
    })
    .into_iter()
    .flatten()
    .collect()
}
