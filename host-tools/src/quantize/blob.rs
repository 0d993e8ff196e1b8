//! Writing a [`QGraph`] as a `.kq8` blob (layout in [`kantor_engine::format`]), and
//! the small Rust file a board includes to size its arena.

use anyhow::{ensure, Context, Result};
use kantor_engine::format::{
    self, op, Act, AddRecord, ConcatInputRecord, ConcatRecord, ConvRecord, HeaderRecord, MulChannelRecord, MulScalarRecord, OpHead, OutputRecord, PropRecord,
    QuantizeRecord, RescaleRecord, ResizeRecord, TensorRecord, MAX_KERNEL, MAX_SCALARS, MAX_TENSORS, NO_SCALAR,
};
use kantor_engine::quant::Requant;
use kantor_core::onehot::{ENCODING_VERSION, META_CHANNELS, VOICE_CHANNELS};
use kantor_core::VOICE_RANGES;

use super::qgraph::{Elem, GraphInput, QGraph, QOp};

/// A tensor index, length or factor as the 16-bit field that holds it.
fn u16f(v: usize) -> Result<u16> {
    u16::try_from(v).context("a field does not fit in 16 bits")
}

fn pad4(b: &mut Vec<u8>) {
    b.resize(format::align4(b.len()), 0);
}

/// Payload arrays, placed after the op list; op records refer to them by absolute offset.
struct Payload {
    /// Where the payload starts in the blob.
    start: usize,
    bytes: Vec<u8>,
}

impl Payload {
    /// Appends an array (padded to 4 bytes) and returns its absolute offset.
    fn add(&mut self, chunk: &[u8]) -> Result<u32> {
        let at = u32::try_from(self.start + self.bytes.len()).context("blob larger than 4 GiB")?;
        self.bytes.extend_from_slice(chunk);
        pad4(&mut self.bytes);
        Ok(at)
    }
    fn i32s(&mut self, v: impl Iterator<Item = i32>) -> Result<u32> {
        self.add(&v.flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
    }
}

fn scalar_reg(s: Option<u8>) -> u8 {
    s.unwrap_or(NO_SCALAR)
}

/// The multiplier and shift of a requantisation that may be absent (then 0, 0).
fn requant(r: Option<Requant>) -> (i32, i32) {
    r.map_or((0, 0), |r| (r.multiplier, r.shift))
}

/// The op list, its payload arrays placed at `payload_start`.
fn encode_ops(g: &QGraph, payload_start: usize) -> Result<(Vec<u8>, Payload)> {
    let mut ops = Vec::new();
    let mut payload = Payload { start: payload_start, bytes: Vec::new() };
    for (index, qop) in g.ops.iter().enumerate() {
        let (code, body) = encode_op(g, index, qop, &mut payload)?;
        ops.extend_from_slice(&OpHead { code, reserved: 0, len: u16f(OpHead::BYTES + body.len())? }.to_bytes());
        ops.extend_from_slice(&body);
    }
    Ok((ops, payload))
}

/// The code and the record (after its [`OpHead`]) of one op.
fn encode_op(g: &QGraph, index: usize, qop: &QOp, payload: &mut Payload) -> Result<(u8, Vec<u8>)> {
    Ok(match qop {
        QOp::Quantize { input, scalar, output } => {
            let input = match input {
                GraphInput::Voices => format::INPUT_VOICES,
                GraphInput::Meta => format::INPUT_META,
            };
            let r = QuantizeRecord { input, scalar: scalar_reg(*scalar), reserved: 0, output: u16f(*output)?, reserved2: 0 };
            (op::QUANTIZE, r.to_bytes().to_vec())
        }
        QOp::Conv { input, output, kernel, dilation, stride, pad_begin, pad_end, relu, weights, bias, requant: rq } => {
            ensure!(*kernel >= 1 && *kernel <= MAX_KERNEL, "op {index}: kernel width {kernel} (the engine supports 1–{MAX_KERNEL})");
            let (cin, cout) = (g.tensors[*input].channels, g.tensors[*output].channels);
            ensure!(weights.len() == cout * kernel * cin && bias.len() == cout && rq.len() == cout, "op {index}: conv parameter sizes");
            let taps = kernel * cin;
            let mut packed = vec![0u8; format::packed_weight_bytes(cout, taps)];
            for (i, &v) in weights.iter().enumerate() {
                let (co, j) = (i / taps, i % taps);
                packed[format::packed_weight_index(co, j, taps)] = v as u8;
            }
            let r = ConvRecord {
                input: u16f(*input)?,
                output: u16f(*output)?,
                kernel: u16f(*kernel)?,
                dilation: u16f(*dilation)?,
                stride: u16f(*stride)?,
                pad_begin: u16f(*pad_begin)?,
                pad_end: u16f(*pad_end)?,
                act: Act::new(*relu),
                weights: payload.add(&packed)?,
                bias: payload.i32s(bias.iter().copied())?,
                multipliers: payload.i32s(rq.iter().map(|r| r.multiplier))?,
                shifts: payload.i32s(rq.iter().map(|r| r.shift))?,
            };
            (op::CONV, r.to_bytes().to_vec())
        }
        QOp::Add { a, b, output, left_shift, relu, a_rq, b_rq, out_rq } => {
            let r = AddRecord {
                a: u16f(*a)?,
                b: u16f(*b)?,
                output: u16f(*output)?,
                left_shift: u8::try_from(*left_shift).context("add left shift")?,
                act: Act::new(*relu),
                reserved: [0; 3],
                a_mult: a_rq.multiplier,
                a_shift: a_rq.shift,
                b_mult: b_rq.multiplier,
                b_shift: b_rq.shift,
                out_mult: out_rq.multiplier,
                out_shift: out_rq.shift,
            };
            (op::ADD, r.to_bytes().to_vec())
        }
        QOp::Concat { inputs, output } => {
            let mut body = ConcatRecord { output: u16f(*output)?, n: u16f(inputs.len())? }.to_bytes().to_vec();
            for (t, rq) in inputs {
                let (mult, shift) = requant(*rq);
                body.extend_from_slice(&ConcatInputRecord { input: u16f(*t)?, identity: rq.is_none() as u8, reserved: 0, mult, shift }.to_bytes());
            }
            (op::CONCAT, body)
        }
        QOp::Rescale { input, output, requant: rq, relu } => {
            let (mult, shift) = requant(*rq);
            let r = RescaleRecord { input: u16f(*input)?, output: u16f(*output)?, identity: rq.is_none() as u8, act: Act::new(*relu), reserved: 0, mult, shift };
            (op::RESCALE, r.to_bytes().to_vec())
        }
        QOp::MulChannel { input, output, relu, requant: rq } => {
            ensure!(rq.len() == g.tensors[*input].channels, "op {index}: one multiplier per channel");
            let r = MulChannelRecord {
                input: u16f(*input)?,
                output: u16f(*output)?,
                act: Act::new(*relu),
                reserved: 0,
                multipliers: payload.i32s(rq.iter().map(|r| r.multiplier))?,
                shifts: payload.i32s(rq.iter().map(|r| r.shift))?,
            };
            (op::MUL_CHANNEL, r.to_bytes().to_vec())
        }
        QOp::MulScalar { input, output, scalar, relu } => {
            let r = MulScalarRecord { input: u16f(*input)?, output: u16f(*output)?, scalar: *scalar, act: Act::new(*relu), reserved: 0 };
            (op::MUL_SCALAR, r.to_bytes().to_vec())
        }
        QOp::Resize { input, output, factor } => {
            let r = ResizeRecord { input: u16f(*input)?, output: u16f(*output)?, factor: u16f(*factor)?, reserved: 0 };
            (op::RESIZE, r.to_bytes().to_vec())
        }
        QOp::Output { input, scalar } => {
            let r = OutputRecord { input: u16f(*input)?, scalar: scalar_reg(*scalar), reserved: 0 };
            (op::OUTPUT, r.to_bytes().to_vec())
        }
    })
}

/// Serialises `g`.
pub fn write(g: &QGraph) -> Result<Vec<u8>> {
    ensure!(g.tensors.len() <= MAX_TENSORS, "{} tensors, the engine supports {MAX_TENSORS}", g.tensors.len());
    ensure!(g.scalars.len() <= MAX_SCALARS, "{} scalar instructions, the engine supports {MAX_SCALARS}", g.scalars.len());
    let mut voice_ranges = [0u8; 8];
    for (v, r) in VOICE_RANGES.iter().enumerate() {
        voice_ranges[2 * v] = r.lowest;
        voice_ranges[2 * v + 1] = r.highest;
    }
    let mut header = HeaderRecord {
        magic: format::MAGIC,
        format_version: format::FORMAT_VERSION,
        encoding_version: ENCODING_VERSION,
        total_len: 0, // set when the length is known
        voice_channels: VOICE_CHANNELS as u32,
        meta_channels: META_CHANNELS as u32,
        voice_ranges,
        sigma_max: g.schedule.sigma_max,
        sigma_min: g.schedule.sigma_min,
        levels: g.schedule.levels as u32,
        tensors: g.tensors.len() as u32,
        scalars: g.scalars.len() as u32,
        ops: g.ops.len() as u32,
        props: g.props.len() as u32,
        head: g.head()?.code(),
    };
    let mut b = header.to_bytes().to_vec();

    for (k, v) in &g.props {
        b.extend_from_slice(&PropRecord { key_len: u16f(k.len())?, value_len: u16f(v.len())? }.to_bytes());
        b.extend_from_slice(k.as_bytes());
        b.extend_from_slice(v.as_bytes());
        pad4(&mut b);
    }
    for s in &g.scalars {
        b.extend_from_slice(&s.to_record().to_bytes());
    }
    for t in &g.tensors {
        let elem = match t.elem {
            Elem::I8 => format::ELEM_I8,
            Elem::I16 => format::ELEM_I16,
        };
        b.extend_from_slice(&TensorRecord { channels: t.channels as u32, scale: t.scale, zero_point: t.zero_point, elem, reserved: [0; 3] }.to_bytes());
    }

    // The payload follows the op list, whose records hold its absolute offsets: encode
    // once to learn the list's length, then again with the payload where it will be.
    let ops_len = encode_ops(g, 0)?.0.len();
    let (ops, payload) = encode_ops(g, b.len() + ops_len)?;
    b.extend_from_slice(&ops);
    b.extend_from_slice(&payload.bytes);
    header.total_len = u32::try_from(b.len() + format::CRC_BYTES).context("blob larger than 4 GiB")?;
    b[..HeaderRecord::BYTES].copy_from_slice(&header.to_bytes());
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    Ok(b)
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
    use kantor_core::engine::{self, model::Op, ModelExt};
    use super::qgraph::QTensor;
    let model = engine::load(bytes).map_err(|e| anyhow::anyhow!("not a valid int8 model: {e}"))?;
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
    let scalars = model.scalar_program().collect();
    let props = model.props().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Ok(QGraph { tensors, scalars, ops, props, schedule: model.schedule() })
}
