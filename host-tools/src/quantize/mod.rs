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
pub mod calibrate;
pub mod graph;
pub mod import;
pub mod lower;
pub mod qgraph;
pub mod reference;
pub mod report;
pub mod synthetic;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use kantor_core::engine::{self, Int8ScoreNet, Plan};
use kantor_core::onehot::VOICE_CHANNELS;
use kantor_core::sampler::SamplerSettings;
use kantor_core::{FrameMeta, NoiseSchedule};

use crate::dataset::{Dataset, Split};
use crate::onnx::{ModelInfo, OnnxScoreNet};
use crate::train::data::{fixed_windows, Window};
use calibrate::{noisy_inputs, LevelErrors, NoisyInput, Observer, RangeMethod};
use graph::FGraph;
use qgraph::QGraph;

/// Arguments of `kantor quantize`.
#[derive(clap::Args, Debug)]
pub struct QuantizeArgs {
    /// The float score network to quantise (ONNX, as written by `kantor export-onnx`).
    pub model: PathBuf,
    /// Where to write the int8 blob. `model_sizes.rs` (blob and arena sizes, for a board's
    /// static buffers) and `quantization.json` (the report) are written next to it.
    #[arg(short, long, default_value = "models/default/model.kq8")]
    pub output: PathBuf,
    /// Prepared dataset: its training chorales calibrate the activation ranges, its
    /// validation chorales measure the agreement with the float network.
    #[arg(long, default_value = "models/bach-chorales.kds")]
    pub calibration_data: PathBuf,
    /// How activation ranges are chosen: `auto` tries min/max and several percentiles and
    /// keeps the one closest to the float network on validation data; or `minmax`, or a
    /// central percentage such as `99.99`.
    #[arg(long, default_value = "auto")]
    pub ranges: String,
    /// Calibration windows from the training split (each is noised at every σ level)
    /// [range: 1 to 4096].
    #[arg(long, default_value_t = 24, value_parser = crate::ranges::within(1usize, 4096))]
    pub windows: usize,
    /// Validation windows for choosing ranges and measuring agreement [range: 1 to 4096].
    #[arg(long, default_value_t = 16, value_parser = crate::ranges::within(1usize, 4096))]
    pub eval_windows: usize,
    /// Frames per window [range: 1 to 1024].
    #[arg(long, default_value_t = 64, value_parser = crate::ranges::within(1usize, 1024))]
    pub frames: usize,
    /// Sampler chains (annealed Langevin with the model's own settings, through the float
    /// network) whose visited states also calibrate the ranges [range: 0 to 64].
    #[arg(long, default_value_t = 2, value_parser = crate::ranges::within(0usize, 64))]
    pub trajectories: usize,
    /// Seed of the calibration noise [range: 0 to 18446744073709551615].
    #[arg(long, default_value_t = 1, value_parser = crate::ranges::SEED)]
    pub seed: u64,
    /// Also print how much rounding each tensor alone to int8 costs (slow).
    #[arg(long)]
    pub sensitivity: bool,
    /// Convolutions whose int8 weight rounding alone moves the output by more than this
    /// (relative error, mean over σ) get two-term weights (w ≈ s·hi + s/128·lo: two int8
    /// convolutions and a sum); 1 turns this off [range: 0 to 1].
    #[arg(long, default_value_t = 0.02, value_parser = crate::ranges::within(0.0, 1.0))]
    pub split_threshold: f64,
    /// Keep every activation int8. By default activations are also tried as int16 (the
    /// residual stream, input and output only — "16x8" — or all of them; weights stay
    /// int8), every variant is measured and reported, and the closest to f32 is kept.
    #[arg(long)]
    pub int8_only: bool,
}

/// Range methods `auto` compares.
const CANDIDATES: [RangeMethod; 4] = [RangeMethod::MinMax, RangeMethod::Percentile(99.999), RangeMethod::Percentile(99.99), RangeMethod::Percentile(99.9)];

fn parse_ranges(s: &str) -> Result<Vec<RangeMethod>> {
    Ok(match s {
        "auto" => CANDIDATES.to_vec(),
        "minmax" | "min-max" => vec![RangeMethod::MinMax],
        p => {
            let v: f64 = p.trim_end_matches('%').parse().ok().with_context(|| format!("--ranges {p:?}: expected auto, minmax or a percentage like 99.99"))?;
            ensure!(v > 50.0 && v <= 100.0, "--ranges {v}: the percentage must lie in (50, 100]");
            vec![RangeMethod::Percentile(v)]
        }
    })
}

/// A model read for quantisation: its float graph and metadata.
pub struct FloatModel {
    pub graph: FGraph,
    pub info: ModelInfo,
    pub bytes: Vec<u8>,
}

/// Reads and checks an ONNX score network.
pub fn read_model(path: &Path) -> Result<FloatModel> {
    let bytes = crate::infile::read(path, crate::infile::MODEL)?;
    model_from_bytes(path, bytes)
}

/// [`read_model`] on a file's bytes already in memory (`path` names it in errors).
pub fn model_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<FloatModel> {
    let proto = import::decode(&bytes).with_context(|| format!("reading {}", path.display()))?;
    if crate::onnx::checksum::verify(&proto).with_context(|| format!("reading {}", path.display()))? == crate::onnx::Checksum::Absent {
        eprintln!("{}", crate::onnx::checksum::absent_note(&path.display().to_string()));
    }
    let props: HashMap<String, String> = proto.metadata_props.iter().map(|p| (p.key.clone(), p.value.clone())).collect();
    let info = ModelInfo::from_props(&props).with_context(|| format!("reading the metadata of {}", path.display()))?;
    let graph = import::import(&proto).with_context(|| format!("cannot quantise {}", path.display()))?;
    Ok(FloatModel { graph, info, bytes })
}

/// Levels at which agreement is measured: about twenty spread over the schedule, both ends
/// included.
pub fn eval_levels(schedule: &NoiseSchedule) -> Vec<usize> {
    let n = schedule.levels.max(1);
    let step = n.div_ceil(20).max(1);
    let mut l: Vec<usize> = (0..n).step_by(step).collect();
    if l.last() != Some(&(n - 1)) {
        l.push(n - 1);
    }
    l
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(ProgressStyle::with_template("{msg:>12} {bar:40} {pos}/{len} [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_bar()));
    pb.set_message(what.to_string());
    pb
}

/// Collects activation statistics of `g` on calibration windows at every σ level.
pub fn calibrate(g: &FGraph, windows: &[Window], schedule: &NoiseSchedule, seed: u64) -> Observer {
    let mut obs = Observer::new(g, 61);
    let pb = bar(schedule.levels as u64, "calibrating");
    for level in 0..schedule.levels {
        for input in noisy_inputs(windows, schedule, &[level], seed.wrapping_mul(1000).wrapping_add(level as u64)) {
            let frames = input.x.len() / VOICE_CHANNELS;
            let values = g.run(&input.x, &input.meta, frames, input.sigma);
            obs.observe(g, &values);
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    obs
}

/// Runs an int8 blob on every input (one plan per frame count).
pub fn run_int8(blob: &[u8], inputs: &[NoisyInput]) -> Result<Vec<Vec<f32>>> {
    let frames = inputs.first().map_or(1, |i| i.x.len() / VOICE_CHANNELS);
    let model = engine::load(blob).map_err(|e| anyhow::anyhow!("the blob is refused: {e}"))?;
    let arena = Plan::new(&model, frames).map_err(|e| anyhow::anyhow!("cannot plan {frames} frames: {e}"))?.arena_bytes;
    let mut net = Int8ScoreNet::new(blob, vec![0u8; arena], frames).map_err(|e| anyhow::anyhow!("int8 engine: {e}"))?;
    inputs
        .iter()
        .map(|i| {
            let mut out = vec![0f32; i.x.len()];
            net.run_raw(&i.x, &i.meta, frames, i.sigma, &mut out).map_err(|e| anyhow::anyhow!("int8 engine: {e}"))?;
            Ok(out)
        })
        .collect()
}

/// Per-level relative error of `got` against `want` over `inputs`.
pub fn compare(inputs: &[NoisyInput], got: &[Vec<f32>], want: &[Vec<f32>], levels: usize) -> LevelErrors {
    let mut e = LevelErrors::new(levels);
    for ((i, g), w) in inputs.iter().zip(got).zip(want) {
        e.add(i.level, g, w);
    }
    e
}

/// One candidate quantisation and how close it came to the float graph.
pub struct Candidate {
    pub method: RangeMethod,
    /// Which activations are int16.
    pub acts: lower::Acts,
    /// Calibrated on sampler chains as well as noisy windows.
    pub chains: bool,
    pub graph: QGraph,
    pub blob: Vec<u8>,
    /// Against the float graph on noisy validation windows.
    pub errors: LevelErrors,
    /// Against the float graph on states of held-out sampler chains.
    pub chain_errors: LevelErrors,
}

impl Candidate {
    /// What the choice minimises: the mean relative error over both evaluation sets.
    pub fn score(&self) -> f64 {
        let c = self.chain_errors.mean();
        if self.chain_errors.per_level().is_empty() {
            self.errors.mean()
        } else {
            (self.errors.mean() + c) / 2.0
        }
    }

    /// "int8" or "16x8", and the calibration data.
    pub fn label(&self) -> String {
        format!("{} {}", self.acts, if self.chains { "windows+chains" } else { "windows" })
    }
}

/// The inputs agreement is measured on, with the float graph's answers.
struct EvalSet {
    inputs: Vec<NoisyInput>,
    float: Vec<Vec<f32>>,
}

impl EvalSet {
    fn new(g: &FGraph, inputs: Vec<NoisyInput>) -> EvalSet {
        let float = inputs
            .iter()
            .map(|i| {
                let frames = i.x.len() / VOICE_CHANNELS;
                g.run(&i.x, &i.meta, frames, i.sigma).swap_remove(g.output)
            })
            .collect();
        EvalSet { inputs, float }
    }

    /// Relative error of an int8 blob against the float graph.
    fn errors(&self, blob: &[u8], levels: usize) -> Result<LevelErrors> {
        if self.inputs.is_empty() {
            return Ok(LevelErrors::new(levels));
        }
        Ok(compare(&self.inputs, &run_int8(blob, &self.inputs)?, &self.float, levels))
    }
}

/// Metadata of the first `count` chorales of `split` that are at least `frames` long.
fn piece_metas(dataset: &Dataset, split: Split, frames: usize, count: usize) -> Vec<Vec<FrameMeta>> {
    dataset.split(split).filter(|c| c.frames.len() >= frames).take(count).map(|c| c.frames[..frames].iter().map(|f| f.meta).collect()).collect()
}

pub fn run(args: QuantizeArgs) -> Result<()> {
    let methods = parse_ranges(&args.ranges)?;
    ensure!(args.frames >= 1 && args.windows >= 1 && args.eval_windows >= 1, "--frames, --windows and --eval-windows must be positive");
    ensure!((0.0..=1.0).contains(&args.split_threshold), "--split-threshold must lie in 0 to 1, got {}", args.split_threshold);
    report::plan_outputs(&args.output, &[&args.model, &args.calibration_data])?;
    let model = read_model(&args.model)?;
    let g = &model.graph;
    let schedule = model.info.schedule;
    let levels = schedule.levels;
    let dataset = Dataset::load(&args.calibration_data)?;
    let train = fixed_windows(dataset.split(Split::Train).map(|c| c.frames.as_slice()), args.frames, args.windows);
    ensure!(!train.is_empty(), "no training chorale in {} has {} frames", args.calibration_data.display(), args.frames);
    let mut valid = fixed_windows(dataset.split(Split::Valid).map(|c| c.frames.as_slice()), args.frames, args.eval_windows);
    if valid.is_empty() {
        eprintln!("warning: no validation chorale is {} frames long; measuring agreement on training windows", args.frames);
        valid = train.clone();
    }
    eprintln!("{}: {} conv MACs per frame; calibrating on {} windows × {} σ levels", args.model.display(), g.macs_per_frame(), train.len(), levels);
    let obs_windows = calibrate(g, &train, &schedule, args.seed);

    // Sampler chains with the model's own settings: some calibrate, held-out ones measure.
    let settings = SamplerSettings { steps_per_level: model.info.steps_per_level, epsilon: model.info.epsilon, ..SamplerSettings::ncsn(schedule) };
    let mut obs_chains = obs_windows.clone();
    let mut chain_eval = Vec::new();
    if args.trajectories > 0 {
        eprintln!("running {} + {} sampler chains of {} evaluations through the f32 graph", args.trajectories, args.trajectories, settings.evaluations());
        let train_metas = piece_metas(&dataset, Split::Train, args.frames, args.trajectories);
        calibrate::run_chains(g, Some(&mut obs_chains), &settings, &train_metas, args.seed, 0)?;
        let valid_metas = piece_metas(&dataset, Split::Valid, args.frames, args.trajectories);
        let keep = (settings.evaluations() / 25).max(1);
        chain_eval = calibrate::run_chains(g, None, &settings, &valid_metas, args.seed ^ 0xc4a1, keep)?;
    }

    let window_set = EvalSet::new(g, noisy_inputs(&valid, &schedule, &eval_levels(&schedule), args.seed ^ 0x5eed));
    let chain_set = EvalSet::new(g, chain_eval);
    let mut split = Vec::new();
    if args.split_threshold < 1.0 {
        for (n, e) in calibrate::weight_sensitivity(g, &window_set.inputs, &window_set.float, levels) {
            if e.mean() > args.split_threshold {
                eprintln!("two-term weights for {}: int8 rounding alone costs {:.4}", g.nodes[n].name, e.mean());
                split.push(n);
            }
        }
    }
    let mut candidates = Vec::new();
    for chains in if args.trajectories > 0 { vec![false, true] } else { vec![false] } {
        let obs = if chains { &obs_chains } else { &obs_windows };
        for acts in [lower::Acts::Int8, lower::Acts::Mixed, lower::Acts::Int16] {
            for &method in &methods {
                let graph = lower::lower_with(g, &obs.ranges(method), schedule, acts, &split)?;
                let blob = blob::write(&graph)?;
                let errors = window_set.errors(&blob, levels)?;
                let chain_errors = chain_set.errors(&blob, levels)?;
                let c = Candidate { method, acts, chains, graph, blob, errors, chain_errors };
                eprintln!("  {:<22} {method:<18} windows {:.4}, chains {:.4}", c.label(), c.errors.mean(), c.chain_errors.mean());
                candidates.push(c);
            }
        }
    }
    if args.sensitivity {
        print_sensitivity(g, &obs_windows, &window_set, &candidates, &schedule);
    }
    let best = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| !args.int8_only || c.acts == lower::Acts::Int8)
        .min_by(|a, b| a.1.score().total_cmp(&b.1.score()))
        .map(|(i, _)| i)
        .expect("at least one method");

    // Agreement with tract's f32 run of the ONNX file itself.
    let mut tract = OnnxScoreNet::from_bytes(&model.bytes).context("running the float model through tract")?;
    let all: Vec<&NoisyInput> = window_set.inputs.iter().chain(&chain_set.inputs).collect();
    let pb = bar(all.len() as u64, "tract f32");
    let tract_out: Vec<Vec<f32>> = all
        .iter()
        .map(|i| {
            pb.inc(1);
            tract.run(&i.x, &i.meta, i.x.len() / VOICE_CHANNELS, i.sigma)
        })
        .collect::<Result<_>>()?;
    pb.finish_and_clear();
    let (tract_windows, tract_chains) = tract_out.split_at(window_set.inputs.len());
    let chosen = &candidates[best];
    let vs_tract = compare(&window_set.inputs, &run_int8(&chosen.blob, &window_set.inputs)?, tract_windows, levels);
    let chains_vs_tract = if chain_set.inputs.is_empty() { LevelErrors::new(levels) } else { compare(&chain_set.inputs, &run_int8(&chosen.blob, &chain_set.inputs)?, tract_chains, levels) };
    let float_vs_tract = compare(&window_set.inputs, &window_set.float, tract_windows, levels);

    let model_ref = engine::load(&chosen.blob).map_err(|e| anyhow::anyhow!("the chosen blob is refused: {e}"))?;
    let arenas: Vec<(usize, usize)> = [16usize, 32, 64, 128, 256]
        .iter()
        .map(|&f| Ok((f, Plan::new(&model_ref, f).map_err(|e| anyhow::anyhow!("planning {f} frames: {e}"))?.arena_bytes)))
        .collect::<Result<_>>()?;
    let agreement = report::Agreement { windows: &vs_tract, chains: &chains_vs_tract, float_graph: &float_vs_tract };
    let rep = report::Report::new(&args.model, &chosen.graph, chosen.blob.len(), &arenas, &candidates, best, &agreement, &schedule, g.macs_per_frame());
    report::write_outputs(&args.output, &chosen.blob, &arenas, &rep)?;
    println!("{}", rep.summary());
    Ok(())
}

/// Prints how much rounding each tensor alone to int8 costs (the best all-int8 ranges).
fn print_sensitivity(g: &FGraph, obs: &Observer, set: &EvalSet, candidates: &[Candidate], schedule: &NoiseSchedule) {
    let method = candidates.iter().filter(|c| c.acts == lower::Acts::Int8 && !c.chains).min_by(|a, b| a.errors.mean().total_cmp(&b.errors.mean())).map_or(RangeMethod::MinMax, |c| c.method);
    let levels = eval_levels(schedule);
    eprintln!("sensitivity ({method}): relative error from rounding one tensor alone to int8, at the largest / middle / smallest σ");
    let ranges = obs.ranges(method);
    let mid = levels[levels.len() / 2];
    for (v, e) in calibrate::sensitivity(g, &ranges, &set.inputs, &set.float, schedule.levels) {
        let at = |l: usize| e.per_level().iter().find(|(k, _)| *k == l).map_or(0.0, |p| p.1);
        let name = g.producer(v).map_or("?", |n| n.name.as_str());
        eprintln!("  {name:<28} {:.4} {:.4} {:.4}", at(levels[0]), at(mid), at(*levels.last().unwrap_or(&0)));
    }
}
