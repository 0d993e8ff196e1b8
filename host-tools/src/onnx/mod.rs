//! ONNX export of the score network and running ONNX models through tract.
//!
//! [`export::export`] writes a trained [`crate::network::Network`] as an ONNX graph whose
//! metadata ([`ModelInfo`]) carries the encoding and the default sampling schedule;
//! [`OnnxScoreNet`] loads such a file and implements [`kantor_core::ScoreNet`].

pub mod checksum;
pub mod export;
pub mod metadata;
pub mod runner;

pub use checksum::{Checksum, CHECKSUM_PROP};
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
    #[arg(long, default_value = kantor_core::sampler::RECOMMENDED, help = format!(
        "Default sampler settings written into the model (`kantor.sampler`), as space-separated key=value pairs over the \
         training run's schedule (keys: {}). Default: the settings tuned for Kantor's networks; an empty string writes none. \
         They must be settings `generate` takes: each within the range of its flag there (levels up to {}, steps up to {}, \
         refine up to {}), at most {} network evaluations per chorale.",
        crate::compose::setting_keys(),
        kantor_core::sampler::table::MAX_LEVELS,
        kantor_core::sampler::table::MAX_STEPS,
        kantor_core::sampler::table::MAX_REFINE,
        kantor_core::sampler::table::MAX_EVALUATIONS
    ))]
    pub sampler: String,
}

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
        // The settings as `generate` would take them from the model: the same limits.
        let mut check = kantor_core::sampler::SamplerSettings {
            steps_per_level: info.steps_per_level,
            epsilon: info.epsilon,
            ..kantor_core::sampler::SamplerSettings::ncsn(info.schedule)
        };
        check.apply_text(sampler).map_err(|e| anyhow::anyhow!("--sampler: {e}"))?;
        crate::compose::check_settings(&check).map_err(|e| anyhow::anyhow!("--sampler {sampler:?}: {e}; the model could not compose with them"))?;
        model.metadata_props.push(tract_onnx::pb::StringStringEntryProto { key: SAMPLER_PROP.into(), value: sampler.trim().into() });
    }
    checksum::stamp(&mut model);
    Ok(model.encode_to_vec())
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let output = args.output.unwrap_or_else(|| args.checkpoint.join("model.onnx"));
    // The run's own files are inputs: the export may not replace them.
    let mut plan = crate::outfile::Plan::new();
    plan.input(&crate::train::checkpoint::checkpoint_path(&args.checkpoint));
    plan.input(&args.checkpoint.join(crate::train::checkpoint::CONFIG_FILE));
    plan.output("--output", &output)?;
    let bytes = export_bytes(&args.checkpoint, &args.sampler)?;
    // Check that the model loads and runs before writing it.
    let mut model = OnnxScoreNet::from_bytes(&bytes)?;
    let frames = 16;
    model.run(&vec![0.0; kantor_core::onehot::VOICE_CHANNELS * frames], &vec![0.0; kantor_core::onehot::META_CHANNELS * frames], frames, 1.0)?;
    crate::outfile::write(&output, &bytes)?;
    eprintln!("wrote {} ({} bytes, {} parameters)", output.display(), bytes.len(), model.info().parameters);
    Ok(())
}
