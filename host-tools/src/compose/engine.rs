//! Which score network composes: the f32 ONNX model or the int8 blob, behind one type.

use crate::onnx::{ModelInfo, OnnxScoreNet, SAMPLER_PROP};
use anyhow::{anyhow, bail, Context, Result};
use kantor_core::engine::{Int8ScoreNet, Model, Plan};
use kantor_core::sampler::SamplerSettings;
use kantor_core::ScoreNet;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
        self.0.score(x, meta, frames, sigma, score).map_err(|e| anyhow::anyhow!("score network: {e}"))
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

impl EngineKind {
    /// Where the shipped model for this engine lives, relative to the current directory.
    pub fn default_model(self) -> PathBuf {
        PathBuf::from(match self {
            EngineKind::F32 => "models/default/model.onnx",
            EngineKind::Int8 => "models/default/model.kq8",
        })
    }
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
            EngineKind::Int8 => load_int8(path),
        }
    }

    /// The network, for the sampler.
    pub fn net(&mut self) -> &mut DynScoreNet {
        &mut *self.net
    }
}

/// The sampler settings a model's metadata recommends: its schedule, steps per level and
/// ε, with the sampler's own defaults for the rest, then the key=value pairs of its
/// `kantor.sampler` entry (`sampler`) when it has one.
pub fn defaults_from(info: &ModelInfo, sampler: Option<&str>) -> Result<SamplerSettings> {
    let mut s = SamplerSettings { steps_per_level: info.steps_per_level, epsilon: info.epsilon, ..SamplerSettings::ncsn(info.schedule) };
    if let Some(text) = sampler {
        s.apply_text(text).map_err(|e| anyhow!("the model's {SAMPLER_PROP}: {e}"))?;
        if !s.is_valid() {
            bail!("the model's {SAMPLER_PROP} ({text:?}) gives sampler settings that cannot run");
        }
    }
    Ok(s)
}

fn describe(kind: &str, path: &Path, info: &ModelInfo) -> String {
    format!("{} ({kind}, {} parameters)", path.display(), info.parameters)
}

fn load_f32(path: &Path) -> Result<Engine> {
    let net = OnnxScoreNet::load(path)?;
    let info = net.info().clone();
    let defaults = defaults_from(&info, net.prop(SAMPLER_PROP)).with_context(|| format!("reading the metadata of {}", path.display()))?;
    Ok(Engine::from_net(net, defaults, describe("f32", path, &info)))
}

fn load_int8(path: &Path) -> Result<Engine> {
    let blob = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let model = Model::load(&blob).map_err(|e| anyhow!("{} is not a usable int8 model: {e}", path.display()))?;
    let props: HashMap<String, String> = model.props().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let info = ModelInfo::from_props(&props).with_context(|| format!("reading the metadata of {}", path.display()))?;
    let defaults = defaults_from(&info, props.get(SAMPLER_PROP).map(String::as_str)).with_context(|| format!("reading the metadata of {}", path.display()))?;
    let net = Int8Host { blob, net: None };
    Ok(Engine::from_net(net, defaults, describe("int8", path, &info)))
}

/// The device's int8 engine on the host: the arena is sized (and the engine rebuilt) for
/// each new frame count.
struct Int8Host {
    blob: Vec<u8>,
    net: Option<(usize, Int8ScoreNet<Vec<u8>, Vec<u8>>)>,
}

impl ScoreNet for Int8Host {
    type Error = anyhow::Error;
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<()> {
        if self.net.as_ref().is_none_or(|(f, _)| *f != frames) {
            let model = Model::load(&self.blob).map_err(|e| anyhow!("int8 model: {e}"))?;
            let bytes = Plan::new(&model, frames).map_err(|e| anyhow!("int8 engine cannot run {frames} frames: {e}"))?.arena_bytes;
            let net = Int8ScoreNet::new(self.blob.clone(), vec![0u8; bytes], frames).map_err(|e| anyhow!("int8 engine: {e}"))?;
            self.net = Some((frames, net));
        }
        let (_, net) = self.net.as_mut().expect("built above");
        net.run(x, meta, frames, sigma, score).map_err(|e| anyhow!("int8 engine: {e}"))
    }
}
