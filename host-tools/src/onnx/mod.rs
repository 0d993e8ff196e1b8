//! ONNX export of the score network and running ONNX models through tract.
//!
//! [`export::export`] writes a trained [`crate::network::Network`] as an ONNX graph whose
//! metadata ([`ModelInfo`]) carries the encoding and the default sampling schedule;
//! [`OnnxScoreNet`] loads such a file and implements [`kantor_core::ScoreNet`].

pub mod export;
pub mod metadata;
pub mod runner;

pub use metadata::{voice_ranges_text, ModelInfo};
pub use runner::OnnxScoreNet;

use crate::network::Network;
use crate::train::checkpoint::load_network;
use crate::train::config::TrainConfig;
use kantor_core::NoiseSchedule;
use prost::Message;
use std::path::{Path, PathBuf};

/// Arguments of `kantor export-onnx`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Run directory of `kantor train` (its checkpoint's averaged weights are exported).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Where to write the model (default: `model.onnx` inside the run directory).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Default sampler settings written into the model (`kantor.sampler`), as
    /// space-separated key=value pairs over the schedule above (keys: method, levels,
    /// sigma_max, sigma_min, steps, epsilon, step_exponent, temperature, init, predictor,
    /// constraint, denoise, refine, refine_fraction, refine_sigma, judge_sigma, judge,
    /// refine_steps, repeat_guidance). Default: the settings tuned for Kantor's networks; an
    /// empty string writes none. Levels and steps go up to 10000, refine to 1000, and a chorale may take
    /// at most 1000000 network evaluations.
    #[arg(long, default_value = kantor_core::sampler::RECOMMENDED)]
    pub sampler: String,
}

/// Most network evaluations per chorale a model's default sampler settings may ask for.
pub const MAX_EVALUATIONS: usize = kantor_core::sampler::settings::MAX_EVALUATIONS;

/// Metadata key of the default sampler settings (key=value pairs, see
/// [`kantor_core::sampler::text`]), applied over the schedule of [`ModelInfo`].
pub const SAMPLER_PROP: &str = "kantor.sampler";

/// The metadata of a network trained with `config`.
pub fn model_info(net: &Network, config: &TrainConfig) -> ModelInfo {
    ModelInfo {
        encoding_version: kantor_core::onehot::ENCODING_VERSION,
        voice_ranges: voice_ranges_text(),
        schedule: NoiseSchedule::new(config.sigma_max as f32, config.sigma_min as f32, config.sampler.levels),
        steps_per_level: config.sampler.steps_per_level,
        epsilon: config.sampler.epsilon as f32,
        parameters: net.arch.parameters,
        architecture: net.arch.describe(),
        head: net.arch.config.head,
    }
}

/// Exports the run in `run` to `output` with the recommended sampler settings; returns the
/// file size in bytes.
pub fn export_run(run: &Path, output: &Path) -> anyhow::Result<usize> {
    export_run_with(run, output, kantor_core::sampler::RECOMMENDED)
}

/// Exports the run in `run` to `output`, with `sampler` (key=value pairs, empty = none)
/// as the model's default sampler settings; returns the file size in bytes.
pub fn export_run_with(run: &Path, output: &Path, sampler: &str) -> anyhow::Result<usize> {
    let bytes = export_bytes(run, sampler)?;
    crate::outfile::write(output, &bytes)?;
    Ok(bytes.len())
}

/// The ONNX file of the run in `run`, with `sampler` as its default sampler settings.
pub fn export_bytes(run: &Path, sampler: &str) -> anyhow::Result<Vec<u8>> {
    let (net, config) = load_network(run)?;
    let info = model_info(&net, &config);
    let mut model = export::export(&net, &info);
    if !sampler.trim().is_empty() {
        let mut check = kantor_core::sampler::SamplerSettings::ncsn(info.schedule);
        check.apply_text(sampler).map_err(|e| anyhow::anyhow!("--sampler: {e}"))?;
        anyhow::ensure!(check.is_valid(), "--sampler {sampler:?} gives settings that cannot run (levels, steps ≥ 1, 0 < σ_min ≤ σ_max, ε > 0)");
        anyhow::ensure!(
            check.is_bounded(),
            "--sampler {sampler:?} asks for more than {MAX_EVALUATIONS} network evaluations per chorale (levels and steps up to 10000, refine up to 1000)"
        );
        model.metadata_props.push(tract_onnx::pb::StringStringEntryProto { key: SAMPLER_PROP.into(), value: sampler.trim().into() });
    }
    Ok(model.encode_to_vec())
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let output = args.output.unwrap_or_else(|| args.checkpoint.join("model.onnx"));
    crate::outfile::output_kind(&output)?;
    let bytes = export_bytes(&args.checkpoint, &args.sampler)?;
    // Check that the model loads and runs before writing it.
    let mut model = OnnxScoreNet::from_bytes(&bytes)?;
    let frames = 16;
    model.run(&vec![0.0; kantor_core::onehot::VOICE_CHANNELS * frames], &vec![0.0; kantor_core::onehot::META_CHANNELS * frames], frames, 1.0)?;
    crate::outfile::write(&output, &bytes)?;
    eprintln!("wrote {} ({} bytes, {} parameters)", output.display(), bytes.len(), model.info().parameters);
    Ok(())
}
