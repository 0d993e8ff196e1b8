//! From the float graph and calibrated ranges to integer ops (TFLite Micro's scheme).
//!
//! - weights: int8, symmetric, one scale per output channel; biases int32 at scale
//!   s_in·s_w; requantisation multiplier s_in·s_w/s_out as Q31 + shift;
//! - activations: int8, asymmetric, one scale and zero point per tensor from its range;
//!   int16 (symmetric) for the residual stream, input and output when asked (16x8);
//! - a ReLU whose input is used only by it is folded into the producing conv/add's clamp;
//! - σ multiplies next to the graph's input and output move into the f32 quantise and
//!   dequantise steps (exactly what a `score = f(c_in·x)/σ` network needs);
//! - a concat's inputs used nowhere else share the concat's scale (plain copies), and a
//!   resize keeps its input's scale.

use anyhow::{bail, ensure, Context, Result};
use kantor_engine::fixed::quantize_multiplier;
use kantor_engine::quant::Requant;
use kantor_core::NoiseSchedule;

use super::graph::{FGraph, FOp};
use super::qgraph::{Elem, QGraph, QOp, QTensor, ScalarOp};

/// Scale and zero point for real values in `[lo, hi]` (widened to contain 0): int8
/// asymmetric, int16 symmetric (zero point 0).
pub fn tensor_params(lo: f32, hi: f32, elem: Elem) -> (f32, i32) {
    if elem == Elem::I16 {
        let m = lo.abs().max(hi.abs());
        return if m > 1e-12 && m.is_finite() { (m / 32767.0, 0) } else { (1.0 / 32767.0, 0) };
    }
    activation_params(lo, hi)
}

/// Most kernel taps (kernel × input channels) a convolution may have on an int16 input:
/// keeps the int32 accumulator from overflowing (512 · 127 · 32767 < 2³¹).
pub const MAX_TAPS_INT16_INPUT: usize = 512;

/// Scale and zero point of an int8 tensor for real values in `[lo, hi]` (widened to
/// contain 0).
pub fn activation_params(lo: f32, hi: f32) -> (f32, i32) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let span = hi - lo;
    if span.is_nan() || span <= 1e-12 || !span.is_finite() {
        return (1.0 / 255.0, -128);
    }
    let scale = span / 255.0;
    let zp = (-128.0 - lo / scale).round().clamp(-128.0, 127.0) as i32;
    (scale, zp)
}

fn multiplier(real: f64, what: &str) -> Result<Requant> {
    let (multiplier, shift) = quantize_multiplier(real).with_context(|| format!("{what}: multiplier {real} out of the fixed-point range"))?;
    Ok(Requant { multiplier, shift })
}

/// The decisions that turn float values into int8 tensors.
struct Fusion {
    /// `skip[n]`: node n is not emitted (folded into a neighbour).
    skip: Vec<bool>,
    /// For a conv/add whose output is only read by a ReLU: the ReLU's output value.
    relu_into: Vec<Option<usize>>,
    /// Graph input node → (value it quantises into, scalar register).
    input_into: Vec<Option<(usize, Option<u8>)>>,
    /// The value the output op dequantises and its scalar register.
    output: (usize, Option<u8>),
    /// `share[v]`: the value whose quantisation parameters v uses.
    share: Vec<usize>,
}

fn fuse(g: &FGraph, scalars: &mut Vec<ScalarOp>) -> Result<Fusion> {
    let n = g.nodes.len();
    let mut f = Fusion { skip: vec![false; n], relu_into: vec![None; n], input_into: vec![None; n], output: (g.output, None), share: (0..g.values.len()).collect() };
    let node_of = |v: usize| g.nodes.iter().position(|nd| nd.output == v);
    let consumer = |v: usize| -> Option<usize> {
        if g.uses(v) != 1 || v == g.output {
            return None;
        }
        g.nodes.iter().position(|nd| nd.op.inputs().contains(&v))
    };
    let push_mul = |scalars: &mut Vec<ScalarOp>, a: Option<u8>, b: u8| -> Result<u8> {
        Ok(match a {
            None => b,
            Some(a) => {
                scalars.push(ScalarOp::Mul(a, b));
                ensure!(scalars.len() < 255, "σ arithmetic too long");
                scalars.len() as u8
            }
        })
    };
    // Inputs: absorb the σ multiplies right after each graph input.
    for (i, node) in g.nodes.iter().enumerate() {
        if let FOp::Input(_) = node.op {
            let (mut v, mut reg) = (node.output, None);
            while let Some(c) = consumer(v) {
                match g.nodes[c].op {
                    FOp::MulScalar { reg: r, .. } => {
                        reg = Some(push_mul(scalars, reg, r)?);
                        f.skip[c] = true;
                        v = g.nodes[c].output;
                    }
                    _ => break,
                }
            }
            f.input_into[i] = Some((v, reg));
        }
    }
    // Output: absorb the σ multiplies at the end.
    let (mut v, mut reg) = (g.output, None);
    while let Some(p) = node_of(v) {
        match g.nodes[p].op {
            FOp::MulScalar { input, reg: r } if g.uses(input) == 1 && !matches!(g.producer(input).map(|n| &n.op), Some(FOp::Input(_))) => {
                reg = Some(push_mul(scalars, reg, r)?);
                f.skip[p] = true;
                v = input;
            }
            _ => break,
        }
    }
    f.output = (v, reg);
    // ReLU folded into the op before it.
    for (i, node) in g.nodes.iter().enumerate() {
        if let FOp::Relu { input } = node.op {
            if let Some(p) = node_of(input) {
                let foldable = matches!(g.nodes[p].op, FOp::Conv { .. } | FOp::Add { .. }) && g.uses(input) == 1 && input != f.output.0 && !f.skip[p];
                if foldable {
                    f.relu_into[p] = Some(node.output);
                    f.skip[i] = true;
                }
            }
        }
    }
    // Shared parameters: resize keeps its input's; concat inputs used only there take the
    // concat's.
    for node in &g.nodes {
        match &node.op {
            FOp::Resize { input, .. } => f.share[node.output] = *input,
            FOp::Concat { inputs } => {
                for &i in inputs {
                    let materialised = resolve_input(g, &f, i);
                    if g.uses(i) == 1 && materialised == i {
                        f.share[i] = node.output;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(f)
}

/// The value that holds `v` as an int8 tensor (a folded ReLU's output replaces its input's
/// producer's output; a quantised input replaces the graph input).
fn resolve_input(g: &FGraph, f: &Fusion, v: usize) -> usize {
    if let Some(p) = g.nodes.iter().position(|n| n.output == v) {
        if let Some(r) = f.relu_into[p] {
            return r;
        }
    }
    v
}

/// Which tensors are stored as int16 (TFLite's 16x8 scheme, weights stay int8): those
/// where int8 rounding costs the most accuracy in a residual network — the residual stream
/// (sums, and skip inputs of sums), the quantised input, and the dequantised output.
/// With `all`, every value is int16 (except as below).
fn wide_values(g: &FGraph, f: &Fusion, all: bool) -> Vec<bool> {
    let mut wide = vec![all; g.values.len()];
    let node_of = |v: usize| g.nodes.iter().position(|n| n.output == v);
    for (i, node) in g.nodes.iter().enumerate() {
        match &node.op {
            FOp::Input(_) => {
                if let Some((v, _)) = f.input_into[i] {
                    wide[v] = true;
                }
            }
            FOp::Concat { .. } => wide[node.output] = true,
            FOp::Add { a, b } => {
                wide[f.relu_into[i].unwrap_or(node.output)] = true;
                for &v in [a, b] {
                    if g.uses(v) > 1 {
                        wide[resolve_input(g, f, v)] = true;
                    }
                }
            }
            _ => {}
        }
    }
    wide[f.output.0] = true;
    // Convolutions too wide for an int16 input keep an int8 one.
    for node in &g.nodes {
        if let FOp::Conv { input, cin, kernel, .. } = &node.op {
            if cin * kernel > MAX_TAPS_INT16_INPUT {
                let v = resolve_input(g, f, *input);
                wide[v] = false;
                if let Some(p) = node_of(*input) {
                    if let Some(r) = f.relu_into[p] {
                        wide[r] = false;
                    }
                }
            }
        }
    }
    wide
}

/// Symmetric per-output-channel int8 weights `[out][k][in]` of ONNX-ordered `[out][in][k]`
/// float weights: the codes, each channel's scale, and what rounding left over (in the
/// input's layout).
fn int8_weights(weight: &[f32], cin: usize, cout: usize, kernel: usize) -> (Vec<i8>, Vec<f64>, Vec<f32>) {
    let mut codes = vec![0i8; cout * kernel * cin];
    let mut scales = Vec::with_capacity(cout);
    let mut residual = vec![0f32; weight.len()];
    for co in 0..cout {
        let w = &weight[co * cin * kernel..(co + 1) * cin * kernel];
        let wmax = w.iter().fold(0f32, |m, v| m.max(v.abs()));
        let s_w = if wmax > 0.0 { wmax as f64 / 127.0 } else { 1.0 };
        for ci in 0..cin {
            for k in 0..kernel {
                let v = w[ci * kernel + k] as f64;
                let q = (v / s_w).round().clamp(-127.0, 127.0);
                codes[(co * kernel + k) * cin + ci] = q as i8;
                residual[(co * cin + ci) * kernel + k] = (v - q * s_w) as f32;
            }
        }
        scales.push(s_w);
    }
    (codes, scales, residual)
}

/// An elementwise sum with TFLite's rescaling: shift 20 for int8 inputs, 15 when an input
/// is int16.
fn add_op(ta: usize, tb: usize, out: usize, relu: bool, tensors: &[QTensor], what: &str) -> Result<QOp> {
    let (sa, sb, so) = (tensors[ta].scale as f64, tensors[tb].scale as f64, tensors[out].scale as f64);
    let left_shift = if tensors[ta].elem == Elem::I16 || tensors[tb].elem == Elem::I16 { 15 } else { 20 };
    let twice_max = 2.0 * sa.max(sb);
    Ok(QOp::Add {
        a: ta,
        b: tb,
        output: out,
        left_shift,
        relu,
        a_rq: multiplier(sa / twice_max, what)?,
        b_rq: multiplier(sb / twice_max, what)?,
        out_rq: multiplier(twice_max / ((1u64 << left_shift) as f64 * so), what)?,
    })
}

/// Which activations are int16 (weights are int8 in every case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acts {
    /// Every activation int8.
    Int8,
    /// The residual stream, the input and the output int16 (see [`wide_values`]).
    Mixed,
    /// Every activation int16 (except convolution inputs too wide for it).
    Int16,
}

impl std::fmt::Display for Acts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Acts::Int8 => "int8",
            Acts::Mixed => "16x8",
            Acts::Int16 => "int16",
        })
    }
}

/// [`lower_with`] for all-int8 (`int16` false) or [`Acts::Mixed`] activations.
pub fn lower(g: &FGraph, ranges: &[(f32, f32)], schedule: NoiseSchedule, int16: bool, split: &[usize]) -> Result<QGraph> {
    lower_with(g, ranges, schedule, if int16 { Acts::Mixed } else { Acts::Int8 }, split)
}

/// Lowers `g` with per-value ranges `ranges[v] = (lo, hi)` (tensor values), activations
/// as `acts` says.
/// The convolutions at node indices `split` get two-term int8 weights (about 15 bits; for
/// the layers whose weight rounding costs the most, see `calibrate::weight_sensitivity`).
pub fn lower_with(g: &FGraph, ranges: &[(f32, f32)], schedule: NoiseSchedule, acts: Acts, split: &[usize]) -> Result<QGraph> {
    let mut scalars = g.scalars.clone();
    let f = fuse(g, &mut scalars)?;
    let wide = match acts {
        Acts::Int8 => vec![false; g.values.len()],
        Acts::Mixed => wide_values(g, &f, false),
        Acts::Int16 => wide_values(g, &f, true),
    };
    // Ranges of shared groups: the union.
    let root = |mut v: usize| {
        while f.share[v] != v {
            v = f.share[v];
        }
        v
    };
    let mut group = ranges.to_vec();
    let mut group_wide = wide.clone();
    for v in 0..g.values.len() {
        let r = root(v);
        if r != v {
            group[r] = (group[r].0.min(ranges[v].0), group[r].1.max(ranges[v].1));
            group_wide[r] |= wide[v];
        }
    }
    let mut tensors: Vec<QTensor> = Vec::new();
    let mut qt: Vec<Option<usize>> = vec![None; g.values.len()];
    let mut tensor_of = |v: usize, tensors: &mut Vec<QTensor>| -> usize {
        if let Some(t) = qt[v] {
            return t;
        }
        let (lo, hi) = group[root(v)];
        let elem = if group_wide[root(v)] { Elem::I16 } else { Elem::I8 };
        let (scale, zero_point) = tensor_params(lo, hi, elem);
        tensors.push(QTensor { channels: g.channels(v), scale, zero_point, elem });
        qt[v] = Some(tensors.len() - 1);
        tensors.len() - 1
    };

    let mut ops = Vec::new();
    // Where each value lives as an int8 tensor.
    let mut lives: Vec<Option<usize>> = vec![None; g.values.len()];
    for (i, node) in g.nodes.iter().enumerate() {
        let what = || format!("{} (#{})", node.name, node.index);
        if f.skip[i] {
            // A σ multiply folded into an input's quantisation or the output's
            // dequantisation, or a ReLU folded into its producer: nothing to emit.
            continue;
        }
        if let FOp::Input(which) = node.op {
            let (v, reg) = f.input_into[i].expect("every input is planned");
            let t = tensor_of(v, &mut tensors);
            ops.push(QOp::Quantize { input: which, scalar: reg, output: t });
            lives[v] = Some(t);
            lives[node.output] = Some(t);
            continue;
        }
        let input = |v: usize| -> Result<usize> { lives[v].with_context(|| format!("{}: input is not available as int8", what())) };
        let out_value = f.relu_into[i].unwrap_or(node.output);
        let relu = f.relu_into[i].is_some();
        let out_t = tensor_of(out_value, &mut tensors);
        let to = tensors[out_t];
        match &node.op {
            FOp::Input(_) => unreachable!("handled above"),
            FOp::Conv { input: x, weight, bias, cin, cout, kernel, dilation, stride, pad_begin, pad_end } => {
                let ti = input(*x)?;
                let s_in = tensors[ti].scale as f64;
                let (hi, s_w, residual) = int8_weights(weight, *cin, *cout, *kernel);
                let conv = |output: usize, weights: Vec<i8>, scales: &[f64], bias: Option<&[f32]>, relu: bool, tensors: &[QTensor]| -> Result<QOp> {
                    let s_out = tensors[output].scale as f64;
                    let bias = (0..*cout)
                        .map(|co| bias.map_or(0, |b| (b[co] as f64 / (s_in * scales[co])).round().clamp(i32::MIN as f64 / 4.0, i32::MAX as f64 / 4.0) as i32))
                        .collect();
                    let requant = scales.iter().map(|s| multiplier(s_in * s / s_out, &what())).collect::<Result<_>>()?;
                    Ok(QOp::Conv { input: ti, output, kernel: *kernel, dilation: *dilation, stride: *stride, pad_begin: *pad_begin, pad_end: *pad_end, relu, weights, bias, requant })
                };
                if split.contains(&i) {
                    // Two int8 terms: w ≈ s·hi + (s/128)·lo. Each conv writes an int16
                    // partial sum; an add joins them (and takes the ReLU).
                    let (lo, s_lo, _) = int8_weights(&residual, *cin, *cout, *kernel);
                    let t = tensors[ti];
                    let x_max = t.scale as f64 * (t.code_range().1 - t.zero_point).max(t.zero_point - t.code_range().0) as f64;
                    let lo_bound = s_lo.iter().fold(0f64, |m, s| m.max(*s)) * 127.0 * (cin * kernel) as f64 * x_max;
                    let part = |bound: f64| QTensor { channels: *cout, scale: (bound.max(1e-12) / 32767.0) as f32, zero_point: 0, elem: Elem::I16 };
                    let (glo, ghi) = group[root(out_value)];
                    tensors.push(part(glo.abs().max(ghi.abs()) as f64));
                    let t_hi = tensors.len() - 1;
                    tensors.push(part(lo_bound));
                    let t_lo = tensors.len() - 1;
                    ops.push(conv(t_hi, hi, &s_w, Some(bias), false, &tensors)?);
                    ops.push(conv(t_lo, lo, &s_lo, None, false, &tensors)?);
                    ops.push(add_op(t_hi, t_lo, out_t, relu, &tensors, &what())?);
                } else {
                    ops.push(conv(out_t, hi, &s_w, Some(bias), relu, &tensors)?);
                }
            }
            FOp::Add { a, b } => {
                let (ta, tb) = (input(*a)?, input(*b)?);
                ops.push(add_op(ta, tb, out_t, relu, &tensors, &what())?);
            }
            FOp::Relu { input: x } => {
                let ti = input(*x)?;
                let same = tensors[ti] == to;
                let requant = if same { None } else { Some(multiplier(tensors[ti].scale as f64 / to.scale as f64, &what())?) };
                ops.push(QOp::Rescale { input: ti, output: out_t, requant, relu: true });
            }
            FOp::Concat { inputs } => {
                let mut list = Vec::new();
                for &v in inputs {
                    let ti = input(v)?;
                    let t = tensors[ti];
                    let rq = if t.scale == to.scale { None } else { Some(multiplier(t.scale as f64 / to.scale as f64, &what())?) };
                    list.push((ti, rq));
                }
                ops.push(QOp::Concat { inputs: list, output: out_t });
            }
            FOp::MulChannel { input: x, factors } => {
                let ti = input(*x)?;
                let s = tensors[ti].scale as f64 / to.scale as f64;
                let requant = factors.iter().map(|&c| multiplier(c as f64 * s, &what())).collect::<Result<_>>()?;
                ops.push(QOp::MulChannel { input: ti, output: out_t, relu, requant });
            }
            FOp::MulScalar { input: x, reg } => {
                let ti = input(*x)?;
                ops.push(QOp::MulScalar { input: ti, output: out_t, scalar: *reg, relu });
            }
            FOp::Resize { input: x, factor } => {
                let ti = input(*x)?;
                ensure!(tensors[ti] == QTensor { channels: tensors[ti].channels, ..to }, "{}: resize must keep its input's quantisation", what());
                ops.push(QOp::Resize { input: ti, output: out_t, factor: *factor });
            }
        }
        lives[out_value] = Some(out_t);
        lives[node.output] = Some(out_t);
    }
    let (out_v, out_reg) = f.output;
    let Some(t) = lives[out_v] else { bail!("the score is not computed by the integer graph") };
    ops.push(QOp::Output { input: t, scalar: out_reg });
    ensure!(scalars.len() <= kantor_engine::format::MAX_SCALARS, "σ arithmetic needs {} registers", scalars.len());
    Ok(QGraph { tensors, scalars, ops, props: g.props.clone(), schedule })
}
