//! Which score network composes: the f32 ONNX model or the int8 blob, behind one type.

use anyhow::{bail, Result};
use kantor_core::sampler::SamplerSettings;
use kantor_core::ScoreNet;
use std::path::Path;

/// The network implementation to run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The f32 ONNX model, run by tract.
    #[default]
    F32,
    /// The int8 quantised blob, run by the device engine.
    Int8,
}

/// Any score network, with errors turned into `anyhow::Error`.
pub type DynScoreNet = dyn ScoreNet<Error = anyhow::Error> + Send;

/// Wraps a network so that its errors become `anyhow::Error`.
struct AnyError<N>(N);

impl<N: ScoreNet> ScoreNet for AnyError<N>
where
    N::Error: Send + Sync + 'static,
{
    type Error = anyhow::Error;
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<()> {
        self.0.score(x, meta, frames, sigma, score).map_err(|e| anyhow::anyhow!("score network: {e:?}"))
    }
}

/// A loaded network and the sampler settings its model recommends.
pub struct Engine {
    net: Box<DynScoreNet>,
    /// The model's default sampler settings (before command-line overrides).
    pub defaults: SamplerSettings,
    /// One line about the model, for the terminal.
    pub description: String,
}

impl Engine {
    /// Wraps any network (tests use an analytic one) with its default settings.
    pub fn from_net<N>(net: N, defaults: SamplerSettings, description: impl Into<String>) -> Engine
    where
        N: ScoreNet + Send + 'static,
        N::Error: Send + Sync + 'static,
    {
        Engine { net: Box::new(AnyError(net)), defaults, description: description.into() }
    }

    /// Loads the model at `path` with the chosen engine.
    pub fn load(path: &Path, kind: EngineKind) -> Result<Engine> {
        if !path.exists() {
            bail!(
                "no model at {} (pass --model PATH, or run from the folder that holds models/default/)",
                path.display()
            );
        }
        match kind {
            EngineKind::F32 => load_f32(path),
            EngineKind::Int8 => bail!("the int8 engine is not available in this build yet; use --engine f32"),
        }
    }

    /// The network, for the sampler.
    pub fn net(&mut self) -> &mut DynScoreNet {
        &mut *self.net
    }
}

fn load_f32(path: &Path) -> Result<Engine> {
    bail!("cannot load {}: the ONNX runtime is not available in this build yet", path.display())
}
