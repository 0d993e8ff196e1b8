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
use anyhow::Context;
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
}

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
    }
}

/// Exports the run in `run` to `output`; returns the file size in bytes.
pub fn export_run(run: &Path, output: &Path) -> anyhow::Result<usize> {
    let (net, config) = load_network(run)?;
    let bytes = export::export(&net, &model_info(&net, &config)).encode_to_vec();
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::network::weights::write_atomic(output, &bytes)?;
    Ok(bytes.len())
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let output = args.output.unwrap_or_else(|| args.checkpoint.join("model.onnx"));
    let size = export_run(&args.checkpoint, &output)?;
    // Check that the file loads and runs before declaring success.
    let mut model = OnnxScoreNet::load(&output)?;
    let frames = 16;
    model.run(&vec![0.0; kantor_core::onehot::VOICE_CHANNELS * frames], &vec![0.0; kantor_core::onehot::META_CHANNELS * frames], frames, 1.0)?;
    eprintln!("wrote {} ({} bytes, {} parameters)", output.display(), size, model.info().parameters);
    Ok(())
}
