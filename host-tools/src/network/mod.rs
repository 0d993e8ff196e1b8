//! The f32 score network: architecture, forward and backward passes, parameters.
//!
//! `score(x, meta, σ) = f(concat(c_in(σ)·x, meta)) / σ` with `c_in(σ) = 1/sqrt(1+σ²)` and
//! `f` a fully convolutional residual network (see [`Architecture`]). Training code calls
//! [`Architecture::forward`] / [`Architecture::backward`] on batches; everything else uses
//! [`Network`], which owns a parameter vector and implements [`kantor_core::ScoreNet`].

pub mod architecture;
pub mod conv;
pub mod model;
pub mod weights;

pub use architecture::{Architecture, NetConfig, TensorSpec, INPUT_CHANNELS};
pub use model::{assemble_input, c_in, Activations};

use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};

/// A score network with its parameters.
#[derive(Clone, Debug)]
pub struct Network {
    pub arch: Architecture,
    pub params: Vec<f32>,
}

impl Network {
    /// Wraps `params`, checking their number against the architecture.
    pub fn new(arch: Architecture, params: Vec<f32>) -> anyhow::Result<Network> {
        anyhow::ensure!(
            params.len() == arch.parameters,
            "{} parameters given, the architecture has {}",
            params.len(),
            arch.parameters
        );
        Ok(Network { arch, params })
    }

    /// The score of one sample: `x` (`VOICE_CHANNELS × frames`) and `meta`
    /// (`META_CHANNELS × frames`) channel-major; returns `VOICE_CHANNELS × frames`.
    pub fn score_one(&self, x: &[f32], meta: &[f32], frames: usize, sigma: f32) -> Vec<f32> {
        let input = assemble_input(&[x], &[meta], &[sigma], frames);
        let mut acts = Activations::default();
        self.arch.forward(&self.params, input, 1, frames, &mut acts);
        let mut out = acts.output;
        match self.arch.config.head {
            kantor_core::Head::Score => out.iter_mut().for_each(|v| *v /= sigma),
            head => head.to_score(x, &mut out, frames, sigma),
        }
        out
    }
}

/// Why the native network refused an input.
#[derive(Debug, Clone, PartialEq)]
pub enum ShapeError {
    /// A buffer is shorter than `channels × frames`.
    BufferTooSmall { name: &'static str, needed: usize, got: usize },
    /// σ must be positive and finite.
    BadSigma(f32),
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShapeError::BufferTooSmall { name, needed, got } => write!(f, "buffer {name} holds {got} values but {needed} are needed"),
            ShapeError::BadSigma(sigma) => write!(f, "the noise level σ = {sigma} is not positive and finite"),
        }
    }
}

impl std::error::Error for ShapeError {}

impl kantor_core::ScoreNet for Network {
    type Error = ShapeError;

    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), ShapeError> {
        for (name, len, channels) in [("x", x.len(), VOICE_CHANNELS), ("meta", meta.len(), META_CHANNELS), ("score", score.len(), VOICE_CHANNELS)] {
            if len < channels * frames {
                return Err(ShapeError::BufferTooSmall { name, needed: channels * frames, got: len });
            }
        }
        if !(sigma > 0.0 && sigma.is_finite()) {
            return Err(ShapeError::BadSigma(sigma));
        }
        let out = self.score_one(&x[..VOICE_CHANNELS * frames], &meta[..META_CHANNELS * frames], frames, sigma);
        score[..out.len()].copy_from_slice(&out);
        Ok(())
    }
}
