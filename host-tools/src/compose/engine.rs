//! Which score network composes: the f32 ONNX model or the int8 blob, behind one type.
//!
//! The shipped default model (`models/default/model.onnx` and its int8 blob
//! `models/default/model.kq8`) is built into the binary, whatever those files hold when it
//! is compiled, so `kantor generate` composes in any folder; `--model PATH` loads another.

use crate::onnx::{ModelInfo, OnnxScoreNet, SAMPLER_PROP};
use anyhow::{anyhow, bail, Context, Result};
use kantor_core::engine::{self, Int8ScoreNet, Plan};
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
    /// What an ONNX model's checksum said (a blob checks its own CRC).
    pub checksum: Option<crate::onnx::Checksum>,
}

/// The shipped f32 model, as it was when this binary was built.
static BUILTIN_ONNX: &[u8] = include_bytes!("../../../models/default/model.onnx");
/// The shipped int8 blob, as it was when this binary was built.
static BUILTIN_KQ8: &[u8] = include_bytes!("../../../models/default/model.kq8");

impl EngineKind {
    /// Where the shipped model for this engine lives in the repository, relative to its
    /// root (the binary carries a copy: see [`Engine::builtin`]).
    pub fn default_model(self) -> PathBuf {
        PathBuf::from(match self {
            EngineKind::F32 => "models/default/model.onnx",
            EngineKind::Int8 => "models/default/model.kq8",
        })
    }

    /// The bytes of the shipped model for this engine, built into the binary.
    pub fn builtin_model(self) -> &'static [u8] {
        match self {
            EngineKind::F32 => BUILTIN_ONNX,
            EngineKind::Int8 => BUILTIN_KQ8,
        }
    }
}

impl Engine {
    /// Wraps any network (tests use an analytic one) with its default settings.
    pub fn from_net<N>(net: N, defaults: SamplerSettings, description: impl Into<String>) -> Engine
    where
        N: ScoreNet + Send + 'static,
        N::Error: Send + Sync + 'static,
    {
        Engine { net: Box::new(AnyError(net)), defaults, description: description.into(), checksum: None }
    }

    /// Loads the model at `path` with the chosen engine.
    pub fn load(path: &Path, kind: EngineKind) -> Result<Engine> {
        if !path.exists() {
            bail!("no model at {} (pass --model PATH with an existing model, or leave --model out to use the built-in one)", path.display());
        }
        if path.is_dir() {
            bail!("{} is a folder, not a model file (pass --model PATH/model.onnx or a .kq8 blob)", path.display());
        }
        let bytes = crate::infile::read(path, crate::infile::MODEL)?;
        let name = path.display().to_string();
        let blob = bytes.starts_with(&kantor_engine::format::MAGIC);
        match (kind, blob) {
            (EngineKind::F32, true) => bail!("{name} is an int8 blob (.kq8), which the f32 engine cannot run: add --engine int8"),
            (EngineKind::Int8, false) if looks_like_onnx(&bytes) => {
                bail!("{name} is an ONNX model, not an int8 blob (.kq8): leave out --engine int8 to run it with the f32 engine, or quantise it with `kantor quantize`")
            }
            _ => {}
        }
        let engine = match kind {
            EngineKind::F32 => load_f32(&bytes, &name),
            EngineKind::Int8 => load_int8(bytes, &name),
        }
        .with_context(|| format!("loading model {name}"))?;
        if engine.checksum == Some(crate::onnx::Checksum::Absent) {
            eprintln!("{}", crate::onnx::checksum::absent_note(&name));
        }
        Ok(engine)
    }

    /// The shipped default model for `kind`, from the copy built into the binary.
    pub fn builtin(kind: EngineKind) -> Result<Engine> {
        let name = format!("built-in {}", kind.default_model().display());
        match kind {
            EngineKind::F32 => load_f32(kind.builtin_model(), &name),
            EngineKind::Int8 => load_int8(kind.builtin_model().to_vec(), &name),
        }
        .with_context(|| format!("loading the {name}"))
    }

    /// The network, for the sampler.
    pub fn net(&mut self) -> &mut DynScoreNet {
        &mut *self.net
    }
}

/// Whether `bytes` read as an ONNX model with a graph.
fn looks_like_onnx(bytes: &[u8]) -> bool {
    <tract_onnx::pb::ModelProto as prost::Message>::decode(bytes).is_ok_and(|m| m.graph.is_some())
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
    // The limits of every command: a model's own settings may not ask for more.
    super::options::check(&s).map_err(|e| anyhow!("the model's sampler settings cannot be used: {e}"))?;
    Ok(s)
}

fn describe(kind: &str, name: &str, info: &ModelInfo) -> String {
    format!("{name} ({kind}, {} parameters)", info.parameters)
}

/// An f32 engine from the bytes of an ONNX model called `name` (for messages).
fn load_f32(bytes: &[u8], name: &str) -> Result<Engine> {
    let net = OnnxScoreNet::from_bytes(bytes)?;
    let info = net.info().clone();
    let checksum = net.checksum;
    let defaults = defaults_from(&info, net.prop(SAMPLER_PROP)).context("reading the model's metadata")?;
    Ok(Engine { checksum: Some(checksum), ..Engine::from_net(net, defaults, describe("f32", name, &info)) })
}

/// An int8 engine from a `.kq8` blob called `name` (for messages).
fn load_int8(blob: Vec<u8>, name: &str) -> Result<Engine> {
    let model = engine::load(&blob).map_err(|e| anyhow!("not a usable int8 model: {e}"))?;
    let props: HashMap<String, String> = model.props().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let info = ModelInfo::from_props(&props).context("reading the model's metadata")?;
    let defaults = defaults_from(&info, props.get(SAMPLER_PROP).map(String::as_str)).context("reading the model's metadata")?;
    let net = Int8Host { blob, net: None };
    Ok(Engine::from_net(net, defaults, describe("int8", name, &info)))
}

/// The device's int8 engine on the host: the arena is sized (and the engine rebuilt) for
/// each new frame count.
struct Int8Host {
    blob: Vec<u8>,
    /// The engine and the frame count its arena is sized for.
    net: Option<(usize, HeapInt8Net)>,
}

/// The int8 engine with its blob and arena on the heap.
type HeapInt8Net = Int8ScoreNet<Vec<u8>, Vec<u8>>;

impl ScoreNet for Int8Host {
    type Error = anyhow::Error;
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<()> {
        if self.net.as_ref().is_none_or(|(f, _)| *f != frames) {
            let model = engine::load(&self.blob).map_err(|e| anyhow!("int8 model: {e}"))?;
            let bytes = Plan::new(&model, frames).map_err(|e| anyhow!("int8 engine cannot run {frames} frames: {e}"))?.arena_bytes;
            let net = Int8ScoreNet::new(self.blob.clone(), vec![0u8; bytes], frames).map_err(|e| anyhow!("int8 engine: {e}"))?;
            self.net = Some((frames, net));
        }
        let (_, net) = self.net.as_mut().expect("built above");
        net.run(x, meta, frames, sigma, score).map_err(|e| anyhow!("int8 engine: {e}"))
    }
}
