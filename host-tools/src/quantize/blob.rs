//! Writing a [`QGraph`] as a `.kq8` blob (layout in [`kantor_core::engine::format`]), and
//! the small Rust file a board includes to size its arena.

use anyhow::{bail, ensure, Context, Result};
use kantor_core::engine::format::{self, op, scalar, MAX_KERNEL, MAX_SCALARS, MAX_TENSORS, NO_SCALAR};
use kantor_core::engine::quant::Requant;
use kantor_core::onehot::{ENCODING_VERSION, META_CHANNELS, VOICE_CHANNELS};
use kantor_core::VOICE_RANGES;

use super::qgraph::{Elem, GraphInput, QGraph, QOp, ScalarOp};

/// Little-endian byte sink.
#[derive(Default)]
struct Bytes(Vec<u8>);

impl Bytes {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: usize) -> Result<()> {
        let v = u16::try_from(v).context("a field does not fit in 16 bits")?;
        self.0.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn pad4(&mut self) {
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
    }
}

/// Payload arrays collected while writing op records; placed after the op list.
#[derive(Default)]
struct Payload {
    chunks: Vec<Vec<u8>>,
    /// Offset of each chunk relative to the payload start.
    offsets: Vec<usize>,
    len: usize,
}

impl Payload {
    /// Adds a chunk and returns its index (patched into an absolute offset later).
    fn add(&mut self, bytes: Vec<u8>) -> usize {
        self.offsets.push(self.len);
        self.len += format::align4(bytes.len());
        self.chunks.push(bytes);
        self.chunks.len() - 1
    }
    fn i32s(&mut self, v: impl Iterator<Item = i32>) -> usize {
        self.add(v.flat_map(|x| x.to_le_bytes()).collect())
    }
}

fn scalar_reg(s: Option<u8>) -> u8 {
    s.unwrap_or(NO_SCALAR)
}

/// The ReLU flag and its reserved byte.
fn act(b: &mut Bytes, relu: bool) {
    b.u8(relu as u8);
    b.u8(0);
}

fn requant(b: &mut Bytes, r: Requant) {
    b.i32(r.multiplier);
    b.i32(r.shift);
}

/// Serialises `g`.
pub fn write(g: &QGraph) -> Result<Vec<u8>> {
    ensure!(g.tensors.len() <= MAX_TENSORS, "{} tensors, the engine supports {MAX_TENSORS}", g.tensors.len());
    ensure!(g.scalars.len() <= MAX_SCALARS, "{} scalar instructions, the engine supports {MAX_SCALARS}", g.scalars.len());
    let mut b = Bytes::default();
    b.0.extend_from_slice(&format::MAGIC);
    b.u32(format::FORMAT_VERSION);
    b.u32(ENCODING_VERSION);
    b.u32(0); // total length, patched below
    b.u32(VOICE_CHANNELS as u32);
    b.u32(META_CHANNELS as u32);
    for r in VOICE_RANGES {
        b.u8(r.lowest);
        b.u8(r.highest);
    }
    b.f32(g.schedule.sigma_max);
    b.f32(g.schedule.sigma_min);
    b.u32(g.schedule.levels as u32);
    b.u32(g.tensors.len() as u32);
    b.u32(g.scalars.len() as u32);
    b.u32(g.ops.len() as u32);
    b.u32(g.props.len() as u32);
    b.u32(g.head()?.code());
    debug_assert_eq!(b.0.len(), format::HEADER_BYTES);

    for (k, v) in &g.props {
        b.u16(k.len())?;
        b.u16(v.len())?;
        b.0.extend_from_slice(k.as_bytes());
        b.0.extend_from_slice(v.as_bytes());
        b.pad4();
    }

    for s in &g.scalars {
        let (code, a, c, value) = match *s {
            ScalarOp::Const(v) => (scalar::CONST, 0, 0, v),
            ScalarOp::Add(a, c) => (scalar::ADD, a, c, 0.0),
            ScalarOp::Sub(a, c) => (scalar::SUB, a, c, 0.0),
            ScalarOp::Mul(a, c) => (scalar::MUL, a, c, 0.0),
            ScalarOp::Div(a, c) => (scalar::DIV, a, c, 0.0),
            ScalarOp::Pow(a, c) => (scalar::POW, a, c, 0.0),
            ScalarOp::Sqrt(a) => (scalar::SQRT, a, 0, 0.0),
            ScalarOp::Neg(a) => (scalar::NEG, a, 0, 0.0),
            ScalarOp::Recip(a) => (scalar::RECIP, a, 0, 0.0),
            ScalarOp::Exp(a) => (scalar::EXP, a, 0, 0.0),
            ScalarOp::Log(a) => (scalar::LOG, a, 0, 0.0),
        };
        b.u8(code);
        b.u8(a);
        b.u8(c);
        b.u8(0);
        b.f32(value);
    }

    for t in &g.tensors {
        b.u32(t.channels as u32);
        b.f32(t.scale);
        b.i32(t.zero_point);
        b.u8(match t.elem {
            Elem::I8 => format::ELEM_I8,
            Elem::I16 => format::ELEM_I16,
        });
        b.0.extend_from_slice(&[0, 0, 0]);
    }

    // Op records; payload references are written as chunk indices and patched.
    let mut payload = Payload::default();
    let mut patches: Vec<(usize, usize)> = Vec::new(); // (position in b, chunk index)
    for (index, qop) in g.ops.iter().enumerate() {
        let start = b.0.len();
        let mut reference = |b: &mut Bytes, chunk: usize| {
            patches.push((b.0.len(), chunk));
            b.u32(0);
        };
        match qop {
            QOp::Quantize { input, scalar, output } => {
                b.u8(op::QUANTIZE);
                b.u8(0);
                b.u16(op::QUANTIZE_BYTES)?;
                b.u8(match input {
                    GraphInput::Voices => format::INPUT_VOICES,
                    GraphInput::Meta => format::INPUT_META,
                });
                b.u8(scalar_reg(*scalar));
                b.u16(0)?;
                b.u16(*output)?;
                b.u16(0)?;
            }
            QOp::Conv { input, output, kernel, dilation, stride, pad_begin, pad_end, relu: a, weights, bias, requant: rq } => {
                ensure!(*kernel >= 1 && *kernel <= MAX_KERNEL, "op {index}: kernel width {kernel} (the engine supports 1–{MAX_KERNEL})");
                let (cin, cout) = (g.tensors[*input].channels, g.tensors[*output].channels);
                ensure!(weights.len() == cout * kernel * cin && bias.len() == cout && rq.len() == cout, "op {index}: conv parameter sizes");
                b.u8(op::CONV);
                b.u8(0);
                b.u16(op::CONV_BYTES)?;
                for v in [*input, *output, *kernel, *dilation, *stride, *pad_begin, *pad_end] {
                    b.u16(v)?;
                }
                act(&mut b, *a);
                let taps = kernel * cin;
                let mut packed = vec![0u8; format::packed_weight_bytes(cout, taps)];
                for (i, &v) in weights.iter().enumerate() {
                    let (co, j) = (i / taps, i % taps);
                    packed[format::packed_weight_index(co, j, taps)] = v as u8;
                }
                let w = payload.add(packed);
                let bi = payload.i32s(bias.iter().copied());
                let m = payload.i32s(rq.iter().map(|r| r.multiplier));
                let s = payload.i32s(rq.iter().map(|r| r.shift));
                for chunk in [w, bi, m, s] {
                    reference(&mut b, chunk);
                }
            }
            QOp::Add { a, b: bb, output, left_shift, relu: ac, a_rq, b_rq, out_rq } => {
                b.u8(op::ADD);
                b.u8(0);
                b.u16(op::ADD_BYTES)?;
                b.u16(*a)?;
                b.u16(*bb)?;
                b.u16(*output)?;
                b.u8(u8::try_from(*left_shift).context("add left shift")?);
                act(&mut b, *ac);
                b.0.extend_from_slice(&[0, 0, 0]);
                requant(&mut b, *a_rq);
                requant(&mut b, *b_rq);
                requant(&mut b, *out_rq);
            }
            QOp::Concat { inputs, output } => {
                b.u8(op::CONCAT);
                b.u8(0);
                b.u16(op::CONCAT_HEAD_BYTES + inputs.len() * op::CONCAT_INPUT_BYTES)?;
                b.u16(*output)?;
                b.u16(inputs.len())?;
                for (t, rq) in inputs {
                    b.u16(*t)?;
                    b.u8(rq.is_none() as u8);
                    b.u8(0);
                    requant(&mut b, rq.unwrap_or(Requant { multiplier: 0, shift: 0 }));
                }
            }
            QOp::Rescale { input, output, requant: rq, relu: a } => {
                b.u8(op::RESCALE);
                b.u8(0);
                b.u16(op::RESCALE_BYTES)?;
                b.u16(*input)?;
                b.u16(*output)?;
                b.u8(rq.is_none() as u8);
                act(&mut b, *a);
                b.u8(0);
                requant(&mut b, rq.unwrap_or(Requant { multiplier: 0, shift: 0 }));
            }
            QOp::MulChannel { input, output, relu: a, requant: rq } => {
                ensure!(rq.len() == g.tensors[*input].channels, "op {index}: one multiplier per channel");
                b.u8(op::MUL_CHANNEL);
                b.u8(0);
                b.u16(op::MUL_CHANNEL_BYTES)?;
                b.u16(*input)?;
                b.u16(*output)?;
                act(&mut b, *a);
                b.u16(0)?;
                let m = payload.i32s(rq.iter().map(|r| r.multiplier));
                let s = payload.i32s(rq.iter().map(|r| r.shift));
                reference(&mut b, m);
                reference(&mut b, s);
            }
            QOp::MulScalar { input, output, scalar, relu: a } => {
                b.u8(op::MUL_SCALAR);
                b.u8(0);
                b.u16(op::MUL_SCALAR_BYTES)?;
                b.u16(*input)?;
                b.u16(*output)?;
                b.u8(*scalar);
                act(&mut b, *a);
                b.u8(0);
            }
            QOp::Resize { input, output, factor } => {
                b.u8(op::RESIZE);
                b.u8(0);
                b.u16(op::RESIZE_BYTES)?;
                b.u16(*input)?;
                b.u16(*output)?;
                b.u16(*factor)?;
                b.u16(0)?;
            }
            QOp::Output { input, scalar } => {
                b.u8(op::OUTPUT);
                b.u8(0);
                b.u16(op::OUTPUT_BYTES)?;
                b.u16(*input)?;
                b.u8(scalar_reg(*scalar));
                b.u8(0);
            }
        }
        let written = b.0.len() - start;
        let declared = u16::from_le_bytes([b.0[start + 2], b.0[start + 3]]) as usize;
        if written != declared {
            bail!("op {index} ({}) wrote {written} bytes, declared {declared}", qop.name());
        }
    }

    let payload_start = b.0.len();
    for (pos, chunk) in patches {
        let abs = u32::try_from(payload_start + payload.offsets[chunk]).context("blob larger than 4 GiB")?;
        b.0[pos..pos + 4].copy_from_slice(&abs.to_le_bytes());
    }
    for chunk in &payload.chunks {
        b.0.extend_from_slice(chunk);
        b.pad4();
    }
    let total = u32::try_from(b.0.len() + format::CRC_BYTES).context("blob larger than 4 GiB")?;
    b.0[12..16].copy_from_slice(&total.to_le_bytes());
    let crc = crc32fast::hash(&b.0);
    b.u32(crc);
    Ok(b.0)
}

/// The Rust source a board includes next to the blob: its size and the arena it needs at
/// a few frame counts, as constants usable in array lengths.
pub fn sizes_rs(blob_bytes: usize, arenas: &[(usize, usize)]) -> String {
    let mut s = String::from(
        "// Sizes of the int8 score network next to this file, written by `kantor quantize`.\n\
         // A board sizes its static arena with one of these, e.g.\n\
         //   static mut ARENA: [u8; ARENA_BYTES_64] = [0; ARENA_BYTES_64];\n\
         // and `Int8ScoreNet::new` checks on start-up that it is large enough.\n\n",
    );
    s.push_str(&format!("/// Size of `model.kq8` in bytes.\npub const MODEL_BYTES: usize = {blob_bytes};\n"));
    for (frames, bytes) in arenas {
        s.push_str(&format!("/// Working memory for one evaluation at {frames} frames.\npub const ARENA_BYTES_{frames}: usize = {bytes};\n"));
    }
    s
}

/// Reads a blob back into a [`QGraph`] (through the engine's loader, so everything the
/// device would refuse is refused here too).
pub fn read(bytes: &[u8]) -> Result<QGraph> {
    use kantor_core::engine::model::{Model, Op};
    use super::qgraph::QTensor;
    let model = Model::load(bytes).map_err(|e| anyhow::anyhow!("not a valid int8 model: {e}"))?;
    let h = model.header();
    let tensors = (0..h.tensors)
        .map(|i| {
            let t = model.tensor(i);
            QTensor { channels: t.channels, scale: t.scale, zero_point: t.zero_point, elem: t.elem }
        })
        .collect();
    let i32s = |b: &[u8]| b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect::<Vec<_>>();
    let requants = |m: &[u8], s: &[u8]| i32s(m).into_iter().zip(i32s(s)).map(|(multiplier, shift)| Requant { multiplier, shift }).collect::<Vec<_>>();
    let reg = |s: Option<usize>| s.map(|v| v as u8);
    let ops = model
        .ops()
        .map(|o| match o {
            Op::Quantize { input, scalar, output } => QOp::Quantize {
                input: if input == format::INPUT_VOICES { GraphInput::Voices } else { GraphInput::Meta },
                scalar: reg(scalar),
                output,
            },
            Op::Conv(c) => QOp::Conv {
                input: c.input,
                output: c.output,
                kernel: c.kernel,
                dilation: c.dilation,
                stride: c.stride,
                pad_begin: c.pad_begin,
                pad_end: c.pad_end,
                relu: c.relu,
                weights: {
                    let (cin, cout) = (model.tensor(c.input).channels, model.tensor(c.output).channels);
                    let taps = c.kernel * cin;
                    (0..cout * taps).map(|i| c.weights[format::packed_weight_index(i / taps, i % taps, taps)]).collect()
                },
                bias: i32s(c.bias),
                requant: requants(c.multipliers, c.shifts),
            },
            Op::Add(a) => QOp::Add {
                a: a.a,
                b: a.b,
                output: a.output,
                left_shift: a.left_shift,
                relu: a.relu,
                a_rq: a.a_requant,
                b_rq: a.b_requant,
                out_rq: a.out_requant,
            },
            Op::Concat { output, n, inputs } => QOp::Concat {
                inputs: (0..n).map(|i| Op::concat_input(inputs, i)).map(|c| (c.input, c.requant)).collect(),
                output,
            },
            Op::Rescale { input, output, requant, relu } => QOp::Rescale { input, output, requant, relu },
            Op::MulChannel { input, output, relu, multipliers, shifts } => QOp::MulChannel { input, output, relu, requant: requants(multipliers, shifts) },
            Op::MulScalar { input, output, scalar, relu } => QOp::MulScalar { input, output, scalar: scalar as u8, relu },
            Op::Resize { input, output, factor } => QOp::Resize { input, output, factor },
            Op::Output { input, scalar } => QOp::Output { input, scalar: reg(scalar) },
        })
        .collect();
    let scalars = read_scalars(&model);
    let props = model.props().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Ok(QGraph { tensors, scalars, ops, props, schedule: h.schedule })
}

/// The scalar program of a loaded model, decoded from the raw records.
fn read_scalars(model: &kantor_core::engine::model::Model<'_>) -> Vec<ScalarOp> {
    model
        .scalar_records()
        .map(|r| {
            let (a, c) = (r[1], r[2]);
            match r[0] {
                scalar::CONST => ScalarOp::Const(f32::from_le_bytes([r[4], r[5], r[6], r[7]])),
                scalar::ADD => ScalarOp::Add(a, c),
                scalar::SUB => ScalarOp::Sub(a, c),
                scalar::MUL => ScalarOp::Mul(a, c),
                scalar::DIV => ScalarOp::Div(a, c),
                scalar::POW => ScalarOp::Pow(a, c),
                scalar::SQRT => ScalarOp::Sqrt(a),
                scalar::NEG => ScalarOp::Neg(a),
                scalar::RECIP => ScalarOp::Recip(a),
                scalar::EXP => ScalarOp::Exp(a),
                _ => ScalarOp::Log(a),
            }
        })
        .collect()
}
