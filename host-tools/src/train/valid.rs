//! Validation: fixed windows of the validation split, fixed noise, loss per noise band.

use super::config::TrainConfig;
use super::data::Window;
use super::dsm::{losses, Example};
use crate::network::weights::normal;
use crate::network::Architecture;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use std::borrow::Cow;

/// The validation windows, each noised once at the centre of every noise band.
#[derive(Clone, Debug)]
pub struct ValidationSet {
    pub windows: Vec<Window>,
    /// Representative σ of each band (geometric centre), smallest first.
    pub sigmas: Vec<f32>,
    /// `noise[w * bands + b]`: the noise of window `w` in band `b`.
    noise: Vec<Vec<f32>>,
    frames: usize,
}

/// Validation loss per noise band.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BandLosses {
    pub step: u64,
    pub sigmas: Vec<f32>,
    pub losses: Vec<f64>,
    /// Mean over bands.
    pub mean: f64,
}

/// Centres of `bands` log-spaced bands covering `[min, max]`.
pub fn band_centres(min: f64, max: f64, bands: usize) -> Vec<f32> {
    (0..bands).map(|b| (min.ln() + (b as f64 + 0.5) / bands as f64 * (max.ln() - min.ln())).exp() as f32).collect()
}

impl ValidationSet {
    pub fn new(windows: Vec<Window>, config: &TrainConfig) -> ValidationSet {
        let sigmas = band_centres(config.sigma_min, config.sigma_max, config.valid_bands);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed ^ 0x5641_4c49_4421);
        let noise = (0..windows.len() * sigmas.len())
            .map(|i| (0..windows[i / sigmas.len()].voices.len()).map(|_| normal(&mut rng)).collect())
            .collect();
        ValidationSet { windows, sigmas, noise, frames: config.window }
    }

    /// Loss per band of the network `params`.
    pub fn evaluate(&self, arch: &Architecture, params: &[f32], step: u64, chunk: usize, threads: usize) -> BandLosses {
        let bands = self.sigmas.len();
        let examples: Vec<Example> = self
            .noise
            .iter()
            .enumerate()
            .map(|(i, z)| Example { window: &self.windows[i / bands], sigma: self.sigmas[i % bands], noise: Cow::Borrowed(z), base: None })
            .collect();
        let all = losses(arch, params, &examples, self.frames, chunk, threads);
        let mut per_band = vec![0.0; bands];
        for (i, l) in all.iter().enumerate() {
            per_band[i % bands] += l / self.windows.len() as f64;
        }
        let mean = per_band.iter().sum::<f64>() / bands as f64;
        BandLosses { step, sigmas: self.sigmas.clone(), losses: per_band, mean }
    }
}

impl BandLosses {
    /// One line: `σ 0.08: 0.0123 · σ 0.27: …`.
    pub fn describe(&self) -> String {
        let bands: Vec<String> = self.sigmas.iter().zip(&self.losses).map(|(s, l)| format!("σ {s:.3}: {l:.4}")).collect();
        format!("mean {:.4} | {}", self.mean, bands.join(" · "))
    }
}
