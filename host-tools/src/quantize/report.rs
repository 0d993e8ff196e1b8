//! What `kantor quantize` tells about its result, and the files it writes.

use std::path::{Path, PathBuf};

use anyhow::Result;
use kantor_core::NoiseSchedule;
use serde::Serialize;

use super::calibrate::LevelErrors;
use super::qgraph::{Elem, QGraph, QOp};
use super::Candidate;

/// Agreement at one noise level.
#[derive(Clone, Debug, Serialize)]
pub struct LevelAgreement {
    pub level: usize,
    pub sigma: f32,
    /// ‖s_int8 − s_f32‖ / ‖s_f32‖ against tract's f32 run of the ONNX model.
    pub relative_error: f64,
}

/// One candidate tried and its error against the float graph.
#[derive(Clone, Debug, Serialize)]
pub struct MethodResult {
    /// "int8" (every activation int8), "16x8" (residual stream, input, output int16) or
    /// "int16" (every activation int16).
    pub activations: String,
    /// "windows" (noisy dataset windows at every σ) or "windows+chains" (plus the states
    /// of sampler chains).
    pub calibration: String,
    pub method: String,
    pub blob_bytes: usize,
    /// On noisy validation windows: mean over σ levels, and the worst level.
    pub mean_relative_error: f64,
    pub worst_level_relative_error: f64,
    /// On states of held-out sampler chains (mean over the levels they visit).
    pub chain_mean_relative_error: f64,
    pub chosen: bool,
}

/// The chosen model's agreement with tract.
pub struct Agreement<'a> {
    /// On noisy validation windows, per level.
    pub windows: &'a LevelErrors,
    /// On states of held-out sampler chains.
    pub chains: &'a LevelErrors,
    /// The quantiser's own f32 graph against tract (how faithfully the graph was read).
    pub float_graph: &'a LevelErrors,
}

/// The quantisation report (`quantization.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub source: String,
    pub blob_bytes: usize,
    pub parameter_bytes: usize,
    pub tensors: usize,
    pub int16_tensors: usize,
    pub ops: usize,
    /// Conv multiply-accumulates per frame of the integer network (two-term weights count
    /// twice) and of the float one.
    pub macs_per_frame: u64,
    pub float_macs_per_frame: u64,
    /// Working memory (arena) per frame count: the peak activation memory.
    pub arena_bytes: Vec<(usize, usize)>,
    pub methods: Vec<MethodResult>,
    /// ‖s_int8 − s_f32‖ / ‖s_f32‖ against tract's f32 run, per σ level, on noisy
    /// validation windows.
    pub agreement: Vec<LevelAgreement>,
    pub mean_relative_error: f64,
    pub worst_relative_error: f64,
    /// The same on states of held-out sampler chains (mean over levels; 0 without chains).
    pub chain_mean_relative_error: f64,
    /// The importer's own f32 evaluation against tract (worst level).
    pub float_graph_vs_tract: f64,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source: &Path,
        g: &QGraph,
        blob_bytes: usize,
        arenas: &[(usize, usize)],
        candidates: &[Candidate],
        best: usize,
        agreement: &Agreement<'_>,
        schedule: &NoiseSchedule,
        float_macs_per_frame: u64,
    ) -> Report {
        Report {
            source: source.display().to_string(),
            blob_bytes,
            parameter_bytes: g.parameter_bytes(),
            tensors: g.tensors.len(),
            int16_tensors: g.tensors.iter().filter(|t| t.elem == Elem::I16).count(),
            ops: g.ops.iter().filter(|o| !matches!(o, QOp::Output { .. })).count(),
            macs_per_frame: g.macs_per_frame(),
            float_macs_per_frame,
            arena_bytes: arenas.to_vec(),
            methods: candidates
                .iter()
                .enumerate()
                .map(|(i, c)| MethodResult {
                    activations: c.acts.to_string(),
                    calibration: if c.chains { "windows+chains" } else { "windows" }.to_string(),
                    method: c.method.to_string(),
                    blob_bytes: c.blob.len(),
                    mean_relative_error: c.errors.mean(),
                    worst_level_relative_error: c.errors.max(),
                    chain_mean_relative_error: c.chain_errors.mean(),
                    chosen: i == best,
                })
                .collect(),
            agreement: agreement.windows.per_level().into_iter().map(|(level, e)| LevelAgreement { level, sigma: schedule.sigma(level), relative_error: e }).collect(),
            mean_relative_error: agreement.windows.mean(),
            worst_relative_error: agreement.windows.max(),
            chain_mean_relative_error: agreement.chains.mean(),
            float_graph_vs_tract: agreement.float_graph.max(),
        }
    }

    /// The human-readable summary printed at the end.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let arena64 = self.arena_bytes.iter().find(|(f, _)| *f == 64).map_or(0, |a| a.1);
        s += &format!(
            "model: {} bytes ({} of parameters), {} ops over {} tensors ({} int16), {} MACs per frame (f32: {})\n",
            self.blob_bytes, self.parameter_bytes, self.ops, self.tensors, self.int16_tensors, self.macs_per_frame, self.float_macs_per_frame
        );
        s += &format!("peak activation memory (arena) at 64 frames: {arena64} bytes\n");
        s += "relative error against the f32 graph (validation windows: mean, worst level; sampler chains: mean)\n";
        s += "acts  calibration     ranges              windows    worst   chains\n";
        for m in &self.methods {
            s += &format!(
                "{:<5} {:<15} {:<18} {:>8.4} {:>8.4} {:>8.4}{}\n",
                m.activations,
                m.calibration,
                m.method,
                m.mean_relative_error,
                m.worst_level_relative_error,
                m.chain_mean_relative_error,
                if m.chosen { "   <- chosen" } else { "" }
            );
        }
        s += "agreement with tract f32, ‖s_int − s_f32‖ / ‖s_f32‖ per σ (validation windows):\n";
        for a in &self.agreement {
            s += &format!("  level {:>3}  σ = {:>8.4}  {:.4}\n", a.level, a.sigma, a.relative_error);
        }
        s += &format!(
            "mean {:.4}, worst {:.4}; on sampler-chain states {:.4}; f32 graph vs tract {:.1e}",
            self.mean_relative_error, self.worst_relative_error, self.chain_mean_relative_error, self.float_graph_vs_tract
        );
        s
    }
}

/// The side files written beside a blob that goes to a file.
fn side_files(output: &Path) -> [PathBuf; 2] {
    [output.with_file_name("model_sizes.rs"), output.with_file_name("quantization.json")]
}

/// Checks, before any work, that the blob (and, beside a file, its side files) can be
/// written and replaces none of `inputs`.
pub fn plan_outputs(output: &Path, inputs: &[&Path]) -> Result<()> {
    let mut plan = crate::outfile::Plan::new();
    for input in inputs {
        plan.input(input);
    }
    if plan.output("-o", output)?.is_file() {
        for side in side_files(output) {
            plan.output("-o (its side file)", &side)?;
        }
    }
    Ok(())
}

/// Writes the blob and, when it goes to a file, `model_sizes.rs` and `quantization.json`
/// beside it (not beside a device or pipe): all three or none.
pub fn write_outputs(output: &Path, blob: &[u8], arenas: &[(usize, usize)], report: &Report) -> Result<()> {
    if !crate::outfile::output_kind(output)?.is_file() {
        crate::outfile::write(output, blob)?;
        eprintln!("wrote {} (not a file, so model_sizes.rs and quantization.json were not written)", output.display());
        return Ok(());
    }
    let [sizes, json] = side_files(output);
    let mut out = crate::outfile::Staged::new();
    out.add(output, blob)?;
    out.add(&sizes, super::blob::sizes_rs(blob.len(), arenas).as_bytes())?;
    out.add(&json, (serde_json::to_string_pretty(report)? + "\n").as_bytes())?;
    out.commit()?;
    eprintln!("wrote {}, {} and {}", output.display(), sizes.display(), json.display());
    Ok(())
}
