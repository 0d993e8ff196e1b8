//! Activation ranges from the states the sampler visits: dataset windows with Gaussian
//! noise at every σ of the model's schedule, run through the float graph.

use std::fmt;

use kantor_core::sampler::Gaussian;
use kantor_core::NoiseSchedule;

use super::graph::{FGraph, Value};
use crate::train::data::Window;

/// How a tensor's range is chosen from what calibration saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RangeMethod {
    /// Smallest and largest value seen.
    MinMax,
    /// The given central percentage (e.g. 99.99 keeps everything but the 0.005 % tails).
    Percentile(f64),
}

impl fmt::Display for RangeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeMethod::MinMax => write!(f, "min/max"),
            RangeMethod::Percentile(p) => write!(f, "percentile {p}"),
        }
    }
}

/// One noisy calibration or evaluation input.
#[derive(Clone, Debug)]
pub struct NoisyInput {
    pub x: Vec<f32>,
    pub meta: Vec<f32>,
    pub sigma: f32,
    /// Noise level index in the schedule.
    pub level: usize,
}

/// `window.voices + σ·z` for each window at each listed level (seeded).
pub fn noisy_inputs(windows: &[Window], schedule: &NoiseSchedule, levels: &[usize], seed: u64) -> Vec<NoisyInput> {
    let mut rng = Gaussian::new(seed);
    let mut out = Vec::with_capacity(windows.len() * levels.len());
    for &level in levels {
        let sigma = schedule.sigma(level);
        for w in windows {
            let x = w.voices.iter().map(|v| v + sigma * rng.next()).collect();
            out.push(NoisyInput { x, meta: w.meta.clone(), sigma, level });
        }
    }
    out
}

/// Collects, for every tensor value, the extremes and a strided subsample.
#[derive(Clone, Debug)]
pub struct Observer {
    lo: Vec<f32>,
    hi: Vec<f32>,
    samples: Vec<Vec<f32>>,
    stride: usize,
    phase: usize,
}

impl Observer {
    /// An observer for `g`'s values keeping every `stride`-th value for percentiles.
    pub fn new(g: &FGraph, stride: usize) -> Observer {
        let n = g.values.len();
        Observer { lo: vec![f32::INFINITY; n], hi: vec![f32::NEG_INFINITY; n], samples: vec![Vec::new(); n], stride: stride.max(1), phase: 0 }
    }

    /// Records one run's values (as returned by [`FGraph::run`]).
    pub fn observe(&mut self, g: &FGraph, values: &[Vec<f32>]) {
        for (v, data) in values.iter().enumerate() {
            if !matches!(g.values[v], Value::Tensor { .. }) || data.is_empty() {
                continue;
            }
            for &x in data {
                self.lo[v] = self.lo[v].min(x);
                self.hi[v] = self.hi[v].max(x);
            }
            let start = self.phase % self.stride;
            self.samples[v].extend(data.iter().skip(start).step_by(self.stride));
        }
        self.phase += 1;
    }

    /// Adds what `other` saw (same graph).
    pub fn merge(&mut self, other: &Observer) {
        for v in 0..self.lo.len() {
            self.lo[v] = self.lo[v].min(other.lo[v]);
            self.hi[v] = self.hi[v].max(other.hi[v]);
            self.samples[v].extend_from_slice(&other.samples[v]);
        }
    }

    /// `(lo, hi)` per value by `method` (0, 0 for values never seen).
    pub fn ranges(&self, method: RangeMethod) -> Vec<(f32, f32)> {
        (0..self.lo.len())
            .map(|v| {
                if self.lo[v] > self.hi[v] {
                    return (0.0, 0.0);
                }
                match method {
                    RangeMethod::MinMax => (self.lo[v], self.hi[v]),
                    RangeMethod::Percentile(p) => {
                        let mut s = self.samples[v].clone();
                        if s.is_empty() {
                            return (self.lo[v], self.hi[v]);
                        }
                        s.sort_by(f32::total_cmp);
                        let tail = (1.0 - p / 100.0) / 2.0;
                        let at = |q: f64| s[((q * (s.len() - 1) as f64).round() as usize).min(s.len() - 1)];
                        (at(tail), at(1.0 - tail))
                    }
                }
            })
            .collect()
    }
}

/// Relative error ‖a − b‖ / ‖b‖ accumulated per noise level.
#[derive(Clone, Debug)]
pub struct LevelErrors {
    diff: Vec<f64>,
    norm: Vec<f64>,
}

impl LevelErrors {
    pub fn new(levels: usize) -> LevelErrors {
        LevelErrors { diff: vec![0.0; levels], norm: vec![0.0; levels] }
    }

    /// Adds one comparison of `got` against the reference `want` at `level`.
    pub fn add(&mut self, level: usize, got: &[f32], want: &[f32]) {
        for (g, w) in got.iter().zip(want) {
            self.diff[level] += ((g - w) as f64).powi(2);
            self.norm[level] += (*w as f64).powi(2);
        }
    }

    /// (level, relative error) for every level that was measured.
    pub fn per_level(&self) -> Vec<(usize, f64)> {
        (0..self.diff.len()).filter(|&l| self.norm[l] > 0.0).map(|l| (l, (self.diff[l] / self.norm[l]).sqrt())).collect()
    }

    /// Mean of the per-level relative errors.
    pub fn mean(&self) -> f64 {
        let p = self.per_level();
        p.iter().map(|(_, e)| e).sum::<f64>() / p.len().max(1) as f64
    }

    /// Largest per-level relative error.
    pub fn max(&self) -> f64 {
        self.per_level().iter().map(|(_, e)| *e).fold(0.0, f64::max)
    }
}

/// Rounds `data` in place to the int8 grid of `[lo, hi]` (what one int8 tensor keeps).
pub fn fake_quantize(data: &mut [f32], lo: f32, hi: f32) {
    let (scale, zp) = super::lower::activation_params(lo, hi);
    for v in data.iter_mut() {
        let q = ((*v / scale).round() + zp as f32).clamp(-128.0, 127.0);
        *v = (q - zp as f32) * scale;
    }
}

/// How much rounding each tensor value alone to int8 moves the output: per value, the
/// relative error per level against the float graph.
pub fn sensitivity(g: &FGraph, ranges: &[(f32, f32)], inputs: &[NoisyInput], reference: &[Vec<f32>], levels: usize) -> Vec<(usize, LevelErrors)> {
    let mut out = Vec::new();
    for node in &g.nodes {
        let v = node.output;
        let mut e = LevelErrors::new(levels);
        for (i, want) in inputs.iter().zip(reference) {
            let frames = i.x.len() / kantor_core::onehot::VOICE_CHANNELS;
            let vals = g.run_with(&i.x, &i.meta, frames, i.sigma, |w, data| {
                if w == v {
                    fake_quantize(data, ranges[v].0, ranges[v].1)
                }
            });
            e.add(i.level, &vals[g.output], want);
        }
        out.push((v, e));
    }
    out
}

/// The float graph as a [`ScoreNet`] that records every activation it computes (so that
/// calibration also sees the states the sampler itself visits) and keeps every `keep`-th
/// input it is asked about (states for measuring agreement on sampler trajectories).
pub struct Recorder<'a> {
    pub graph: &'a FGraph,
    pub observer: Option<&'a mut Observer>,
    pub schedule: NoiseSchedule,
    pub keep: usize,
    pub kept: Vec<NoisyInput>,
    head: kantor_core::Head,
    calls: usize,
}

impl<'a> Recorder<'a> {
    pub fn new(graph: &'a FGraph, observer: Option<&'a mut Observer>, schedule: NoiseSchedule, keep: usize) -> Recorder<'a> {
        // An unknown head was refused when the graph was imported.
        let head = graph.head().unwrap_or_default();
        Recorder { graph, observer, schedule, keep, kept: Vec::new(), head, calls: 0 }
    }
}

/// The schedule level closest to `sigma` (geometrically).
pub fn level_of(schedule: &NoiseSchedule, sigma: f32) -> usize {
    (0..schedule.levels).min_by(|&a, &b| (schedule.sigma(a) / sigma).ln().abs().total_cmp(&(schedule.sigma(b) / sigma).ln().abs())).unwrap_or(0)
}

impl kantor_core::ScoreNet for Recorder<'_> {
    type Error = std::convert::Infallible;

    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), Self::Error> {
        let n = kantor_core::onehot::VOICE_CHANNELS * frames;
        let meta = &meta[..kantor_core::onehot::META_CHANNELS * frames];
        let values = self.graph.run(&x[..n], meta, frames, sigma);
        score[..n].copy_from_slice(&values[self.graph.output]);
        self.head.to_score(x, score, frames, sigma);
        if let Some(obs) = self.observer.as_deref_mut() {
            obs.observe(self.graph, &values);
        }
        if self.keep > 0 && self.calls.is_multiple_of(self.keep) {
            self.kept.push(NoisyInput { x: x[..n].to_vec(), meta: meta.to_vec(), sigma, level: level_of(&self.schedule, sigma) });
        }
        self.calls += 1;
        Ok(())
    }
}

/// Runs one annealed Langevin chain per entry of `metas` (each a piece's frame metadata)
/// through the float graph; records its activations into `observer` (if any) and returns
/// every `keep`-th state it scored.
pub fn run_chains(
    graph: &FGraph,
    mut observer: Option<&mut Observer>,
    settings: &kantor_core::sampler::SamplerSettings,
    metas: &[Vec<kantor_core::FrameMeta>],
    seed: u64,
    keep: usize,
) -> anyhow::Result<Vec<NoisyInput>> {
    use kantor_core::sampler::{sample, Workspace};
    let mut kept = Vec::new();
    for (k, m) in metas.iter().enumerate() {
        let frames = m.len();
        let mut buffer = vec![0f32; Workspace::floats_needed(frames)];
        let mut ws = Workspace::split(&mut buffer, frames).expect("sized above");
        let mut out = vec![[kantor_core::Token::Rest; kantor_core::voice::VOICES]; frames];
        let mut rec = Recorder::new(graph, observer.as_deref_mut(), settings.schedule, keep);
        sample(&mut rec, settings, seed + k as u64, m, &[], &mut ws, &mut out).map_err(|e| anyhow::anyhow!("sampling a calibration chain: {e}"))?;
        kept.append(&mut rec.kept);
    }
    Ok(kept)
}

/// How much rounding each convolution's weights alone to int8 (per output channel) moves
/// the output: per conv node index, the relative error per level against the float graph.
pub fn weight_sensitivity(g: &FGraph, inputs: &[NoisyInput], reference: &[Vec<f32>], levels: usize) -> Vec<(usize, LevelErrors)> {
    use super::graph::FOp;
    let mut out = Vec::new();
    for (n, node) in g.nodes.iter().enumerate() {
        let FOp::Conv { cout, .. } = node.op else { continue };
        let mut rounded = g.clone();
        if let FOp::Conv { weight, .. } = &mut rounded.nodes[n].op {
            let per_channel = weight.len() / cout.max(1);
            for w in weight.chunks_mut(per_channel.max(1)) {
                let s = w.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
                if s > 0.0 {
                    w.iter_mut().for_each(|v| *v = (*v / s).round() * s);
                }
            }
        }
        let mut e = LevelErrors::new(levels);
        for (i, want) in inputs.iter().zip(reference) {
            let frames = i.x.len() / kantor_core::onehot::VOICE_CHANNELS;
            e.add(i.level, &rounded.run(&i.x, &i.meta, frames, i.sigma)[g.output], want);
        }
        out.push((n, e));
    }
    out
}
