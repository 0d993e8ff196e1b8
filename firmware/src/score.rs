//! The score network as the sampler sees it.

#![forbid(unsafe_code)]

/// A noise-conditional score network: given a noisy voice state `x` and the metadata, it
/// returns the score ∇ₓ log p_σ(x) for noise level `sigma`.
///
/// Shapes follow [`crate::onehot`]: `x` and `score` are `VOICE_CHANNELS × frames`,
/// `meta` is `META_CHANNELS × frames`, all channel-major. Implemented by the f32 network
/// on the host (through ONNX) and by the int8 engine on the device, so one sampler
/// drives both.
pub trait ScoreNet {
    /// Why an evaluation failed; its `Display` is a sentence (no std needed).
    type Error: core::fmt::Debug + core::fmt::Display;

    /// Writes s(x, σ) into `score`.
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), Self::Error>;
}

impl<T: ScoreNet + ?Sized> ScoreNet for &mut T {
    type Error = T::Error;
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), Self::Error> {
        (**self).score(x, meta, frames, sigma, score)
    }
}
