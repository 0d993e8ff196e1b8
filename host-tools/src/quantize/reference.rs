//! A reference interpreter of a [`QGraph`], written separately from the device engine and
//! as plainly as possible: channel-major tensors, one loop per formula, exact i64
//! arithmetic and explicit rounding rules. The engine must agree with it bit for bit
//! (golden vectors and randomised tests).

use kantor_engine::fixed::quantize_multiplier;
use kantor_engine::quant::Requant;
use kantor_core::onehot::VOICE_CHANNELS;

use super::qgraph::{GraphInput, QGraph, QOp, QTensor};

/// gemmlowp's SaturatingRoundingDoublingHighMul: a·b / 2³¹ rounded half towards +∞.
fn high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    ((a as i64 * b as i64 + (1i64 << 30)).div_euclid(1i64 << 31)) as i32
}

/// x / 2^e rounded half away from zero.
fn divide_pot(x: i32, e: i32) -> i32 {
    let d = 1i64 << e;
    let (q, r) = ((x as i64) / d, (x as i64) % d);
    let q = if 2 * r.abs() >= d { q + r.signum() } else { q };
    q as i32
}

/// x · multiplier · 2^(shift − 31), as TFLite's MultiplyByQuantizedMultiplier.
fn scale(x: i32, r: Requant) -> i32 {
    let (left, right) = if r.shift > 0 { (r.shift, 0) } else { (0, -r.shift) };
    divide_pot(high_mul(x.wrapping_mul(1 << left), r.multiplier), right)
}

/// Clamps a code to the output tensor's range, from its zero point up with a ReLU.
fn clamp(v: i32, out: &QTensor, relu: bool) -> i32 {
    let (lo, hi) = out.code_range();
    v.max(if relu { out.zero_point } else { lo }).min(hi)
}

/// Multiplies by a possibly negative multiplier (negative = negate, then scale).
fn signed_scale(x: i32, r: Requant) -> i32 {
    if r.multiplier < 0 {
        scale(-x, Requant { multiplier: -r.multiplier, shift: r.shift })
    } else {
        scale(x, r)
    }
}

/// A channel-major tensor of codes (int8 or int16 values).
#[derive(Clone, Debug)]
struct T {
    channels: usize,
    frames: usize,
    q: Vec<i32>,
}

impl T {
    fn at(&self, c: usize, t: usize) -> i32 {
        self.q[c * self.frames + t]
    }
}

/// Runs `g` on one chorale (channel-major f32 `x`, `meta`), returning the channel-major
/// score, or `None` if some op cannot run at this length or a σ multiplier is out of range.
pub fn run(g: &QGraph, x: &[f32], meta: &[f32], frames: usize, sigma: f32) -> Option<Vec<f32>> {
    let regs = g.eval_scalars(sigma);
    let mut vals: Vec<Option<T>> = vec![None; g.tensors.len()];
    let zp = |i: usize| g.tensors[i].zero_point;
    let mut result = None;
    for op in &g.ops {
        let (out, value) = match op {
            QOp::Quantize { input, scalar, output } => {
                let info = g.tensors[*output];
                let s = scalar.map_or(1.0, |r| regs[r as usize]);
                let factor = s / info.scale;
                let src = match input {
                    GraphInput::Voices => x,
                    GraphInput::Meta => meta,
                };
                let q = src[..info.channels * frames]
                    .iter()
                    .map(|&v| {
                        let r = (v * factor).round();
                        let r = if r.is_nan() { 0 } else { r.clamp(-1e6, 1e6) as i32 };
                        let (lo, hi) = info.code_range();
                        (r + info.zero_point).clamp(lo, hi)
                    })
                    .collect();
                (*output, T { channels: info.channels, frames, q })
            }
            QOp::Conv { input, output, kernel, dilation, stride, pad_begin, pad_end, relu, weights, bias, requant } => {
                let xin = vals[*input].as_ref()?;
                let (cin, cout) = (xin.channels, g.tensors[*output].channels);
                let span = dilation * (kernel - 1) + 1;
                let padded = xin.frames + pad_begin + pad_end;
                if padded < span {
                    return None;
                }
                let t_out = (padded - span) / stride + 1;
                let mut q = vec![0i32; cout * t_out];
                for co in 0..cout {
                    for t in 0..t_out {
                        let mut acc = bias[co] as i64;
                        for ci in 0..cin {
                            for k in 0..*kernel {
                                let pos = (t * stride + k * dilation) as i64 - *pad_begin as i64;
                                if pos < 0 || pos >= xin.frames as i64 {
                                    continue; // zero padding: the real value 0
                                }
                                let w = weights[(co * kernel + k) * cin + ci] as i64;
                                acc += w * (xin.at(ci, pos as usize) - zp(*input)) as i64;
                            }
                        }
                        let v = scale(acc as i32, requant[co]) + zp(*output);
                        q[co * t_out + t] = clamp(v, &g.tensors[*output], *relu);
                    }
                }
                (*output, T { channels: cout, frames: t_out, q })
            }
            QOp::Add { a, b, output, left_shift, relu, a_rq, b_rq, out_rq } => {
                let (ta, tb) = (vals[*a].as_ref()?, vals[*b].as_ref()?);
                if ta.frames != tb.frames {
                    return None;
                }
                let q = ta
                    .q
                    .iter()
                    .zip(&tb.q)
                    .map(|(&qa, &qb)| {
                        let sa = scale((qa - zp(*a)) * (1 << left_shift), *a_rq);
                        let sb = scale((qb - zp(*b)) * (1 << left_shift), *b_rq);
                        clamp(scale(sa + sb, *out_rq) + zp(*output), &g.tensors[*output], *relu)
                    })
                    .collect();
                (*output, T { channels: ta.channels, frames: ta.frames, q })
            }
            QOp::Concat { inputs, output } => {
                let frames0 = vals[inputs[0].0].as_ref()?.frames;
                let mut q = Vec::new();
                for (i, rq) in inputs {
                    let ti = vals[*i].as_ref()?;
                    if ti.frames != frames0 {
                        return None;
                    }
                    for &v in &ti.q {
                        let centred = v - zp(*i);
                        let r = match rq {
                            None => centred,
                            Some(r) => scale(centred, *r),
                        };
                        q.push(clamp(r + zp(*output), &g.tensors[*output], false));
                    }
                }
                (*output, T { channels: g.tensors[*output].channels, frames: frames0, q })
            }
            QOp::Rescale { input, output, requant, relu } => {
                let ti = vals[*input].as_ref()?;
                let q = ti
                    .q
                    .iter()
                    .map(|&v| {
                        let centred = v - zp(*input);
                        let r = requant.map_or(centred, |r| scale(centred, r));
                        clamp(r + zp(*output), &g.tensors[*output], *relu)
                    })
                    .collect();
                (*output, T { channels: ti.channels, frames: ti.frames, q })
            }
            QOp::MulChannel { input, output, relu, requant } => {
                let ti = vals[*input].as_ref()?;
                let mut q = vec![0i32; ti.q.len()];
                for c in 0..ti.channels {
                    for t in 0..ti.frames {
                        let v = signed_scale(ti.at(c, t) - zp(*input), requant[c]);
                        q[c * ti.frames + t] = clamp(v + zp(*output), &g.tensors[*output], *relu);
                    }
                }
                (*output, T { channels: ti.channels, frames: ti.frames, q })
            }
            QOp::MulScalar { input, output, scalar, relu } => {
                let ti = vals[*input].as_ref()?;
                let real = regs[*scalar as usize] as f64 * g.tensors[*input].scale as f64 / g.tensors[*output].scale as f64;
                let (multiplier, shift) = quantize_multiplier(real)?;
                let r = Requant { multiplier, shift };
                let q = ti.q.iter().map(|&v| clamp(signed_scale(v - zp(*input), r) + zp(*output), &g.tensors[*output], *relu)).collect();
                (*output, T { channels: ti.channels, frames: ti.frames, q })
            }
            QOp::Resize { input, output, factor } => {
                let ti = vals[*input].as_ref()?;
                let t_out = ti.frames * factor;
                let mut q = vec![0i32; ti.channels * t_out];
                for c in 0..ti.channels {
                    for t in 0..t_out {
                        q[c * t_out + t] = ti.q[c * ti.frames + t / factor];
                    }
                }
                (*output, T { channels: ti.channels, frames: t_out, q })
            }
            QOp::Output { input, scalar } => {
                let ti = vals[*input].as_ref()?;
                if ti.frames != frames || ti.channels != VOICE_CHANNELS {
                    return None;
                }
                let s = scalar.map_or(1.0, |r| regs[r as usize]);
                let factor = g.tensors[*input].scale * s;
                result = Some(ti.q.iter().map(|&v| (v - zp(*input)) as f32 * factor).collect());
                continue;
            }
        };
        vals[out] = Some(value);
    }
    result
}
