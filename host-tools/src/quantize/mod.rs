//! int8 post-training quantisation: `kantor quantize`.
//!
//! The float network (ONNX) is read into a small graph, calibrated on noisy chorales at
//! every noise level, lowered to integer ops ([`qgraph`]) in the style of TFLite Micro /
//! CMSIS-NN (int8 weights with per-channel scales, int8 activations with a scale and zero
//! point, int32 accumulators, fixed-point requantisation), and written as a `.kq8` blob
//! ([`blob`]) that [`kantor_core::engine::Int8ScoreNet`] runs on the device.
//!
//! [`reference`] is an independent, deliberately plain interpreter of the same integer
//! graph; the engine must match it bit for bit.

pub mod blob;
pub mod qgraph;
pub mod reference;
pub mod synthetic;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

/// Arguments of `kantor quantize`.
#[derive(clap::Args, Debug)]
pub struct QuantizeArgs {
    /// The float score network to quantise (ONNX, as written by `kantor export-onnx`).
    pub model: PathBuf,
    /// Where to write the int8 blob; `model_sizes.rs` (arena sizes for a board) is written
    /// next to it.
    #[arg(short, long, default_value = "models/default/model.kq8")]
    pub output: PathBuf,
    /// Prepared dataset whose training chorales calibrate the activation ranges.
    #[arg(long, default_value = "models/bach-chorales.kds")]
    pub calibration_data: PathBuf,
}

pub fn run(_args: QuantizeArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor quantize: reading ONNX models is not built yet")
}
