//! Loading a `.kq8` blob: every length, offset, index and shift is checked once here, so
//! that running the network afterwards cannot read out of bounds.

#![forbid(unsafe_code)]

use super::format::{self, op, scalar, MAX_KERNEL, MAX_SCALARS, MAX_TAPS, MAX_TENSORS, NO_SCALAR};
use super::bytes::{as_i8, f32_at, i32_at, u16_at, u32_at};
use super::quant::{Elem, Q, Requant};
use crate::head::Head;
use crate::noise::NoiseSchedule;
use crate::onehot::{ENCODING_VERSION, META_CHANNELS, VOICE_CHANNELS};
use crate::voice::VOICE_RANGES;

/// Why a blob was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BlobError {
    /// Shorter than its header says (or than a header).
    Truncated { needed: usize, got: usize },
    /// Not a Kantor int8 blob.
    BadMagic,
    /// Written by an incompatible version of `kantor quantize`.
    FormatVersion { found: u32, supported: u32 },
    /// Trained for another chorale encoding.
    EncodingVersion { found: u32, expected: u32 },
    /// Bytes were changed after writing.
    Crc { stored: u32, computed: u32 },
    /// The network's channel layout or voice ranges differ from this build's.
    ForeignLayout,
    /// More tensors, scalars or kernel taps than the engine supports.
    TooLarge { what: &'static str, count: usize, max: usize },
    /// An op code this engine does not know.
    UnknownOp { index: usize, code: u8 },
    /// A scalar instruction this engine does not know.
    UnknownScalarOp { index: usize, code: u8 },
    /// The header names an output head this engine does not know.
    UnknownHead { code: u32 },
    /// An inconsistent record (the op index, or `usize::MAX` outside the op list).
    Malformed { op: usize, reason: &'static str },
}

impl core::fmt::Display for BlobError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            BlobError::Truncated { needed, got } => write!(f, "the file is truncated: {got} bytes, {needed} needed"),
            BlobError::BadMagic => f.write_str("it does not start with the KQ8 header of a blob written by `kantor quantize`"),
            BlobError::FormatVersion { found, supported } => {
                write!(f, "the blob has format version {found}, this build reads version {supported}; quantise the model again")
            }
            BlobError::EncodingVersion { found, expected } => write!(
                f,
                "the network was trained for chorale encoding version {found}, this build uses version {expected}; train and quantise it again"
            ),
            BlobError::Crc { stored, computed } => {
                write!(f, "the checksum does not match (stored {stored:#010x}, computed {computed:#010x}): the file was changed or damaged after it was written")
            }
            BlobError::ForeignLayout => f.write_str("the network's channel layout or voice ranges differ from this build's"),
            BlobError::TooLarge { what, count, max } => write!(f, "the network has {count} {what}, more than the engine's limit of {max}"),
            BlobError::UnknownOp { index, code } => write!(f, "op {index} has code {code}, which this engine does not know"),
            BlobError::UnknownScalarOp { index, code } => {
                write!(f, "scalar instruction {index} has code {code}, which this engine does not know")
            }
            BlobError::UnknownHead { code } => {
                write!(f, "the network's output head has code {code}, which this engine does not know; use a newer build")
            }
            BlobError::Malformed { op: usize::MAX, reason } => write!(f, "the blob is inconsistent: {reason}"),
            BlobError::Malformed { op, reason } => write!(f, "op {op} is inconsistent: {reason}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BlobError {}

/// The fixed header fields.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    pub format_version: u32,
    pub encoding_version: u32,
    pub total_len: usize,
    pub schedule: NoiseSchedule,
    pub tensors: usize,
    pub scalars: usize,
    pub ops: usize,
    pub props: usize,
    /// What the output channels hold.
    pub head: Head,
}

/// Where the sections of a validated blob start (absolute offsets).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub header: Header,
    props: usize,
    scalars: usize,
    tensors: usize,
    ops: usize,
    ops_end: usize,
}

/// Quantisation of one activation tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TensorInfo {
    pub channels: usize,
    pub scale: f32,
    pub zero_point: i32,
    /// int8, or int16 (symmetric: zero point 0).
    pub elem: Elem,
}

impl TensorInfo {
    /// Element type and zero point, as the kernels take them.
    pub fn q(&self) -> Q {
        Q { elem: self.elem, zp: self.zero_point }
    }

    /// Bytes of one frame.
    pub fn row_bytes(&self) -> usize {
        self.channels * self.elem.bytes()
    }
}

fn elem_of(code: u8) -> Elem {
    if code == format::ELEM_I16 {
        Elem::I16
    } else {
        Elem::I8
    }
}

/// A convolution as stored in the blob.
#[derive(Clone, Copy, Debug)]
pub struct ConvOp<'a> {
    pub input: usize,
    pub output: usize,
    pub kernel: usize,
    pub dilation: usize,
    pub stride: usize,
    pub pad_begin: usize,
    pub pad_end: usize,
    /// ReLU folded into the output clamp.
    pub relu: bool,
    /// Packed as [`format::packed_weight_index`] says.
    pub weights: &'a [i8],
    /// Little-endian i32 per output channel.
    pub bias: &'a [u8],
    pub multipliers: &'a [u8],
    pub shifts: &'a [u8],
}

/// Elementwise sum with rescale (TFLite's scheme).
#[derive(Clone, Copy, Debug)]
pub struct AddOp {
    pub a: usize,
    pub b: usize,
    pub output: usize,
    pub left_shift: i32,
    pub relu: bool,
    pub a_requant: Requant,
    pub b_requant: Requant,
    pub out_requant: Requant,
}

/// One input of a concatenation.
#[derive(Clone, Copy, Debug)]
pub struct ConcatInput {
    pub input: usize,
    /// `None` when the input already has the output's quantisation.
    pub requant: Option<Requant>,
}

/// One decoded op.
#[derive(Clone, Copy, Debug)]
pub enum Op<'a> {
    Quantize { input: u8, scalar: Option<usize>, output: usize },
    Conv(ConvOp<'a>),
    Add(AddOp),
    /// `inputs` holds `n` raw input records; see [`Op::concat_input`].
    Concat { output: usize, n: usize, inputs: &'a [u8] },
    Rescale { input: usize, output: usize, requant: Option<Requant>, relu: bool },
    MulChannel { input: usize, output: usize, relu: bool, multipliers: &'a [u8], shifts: &'a [u8] },
    MulScalar { input: usize, output: usize, scalar: usize, relu: bool },
    Resize { input: usize, output: usize, factor: usize },
    Output { input: usize, scalar: Option<usize> },
}

impl<'a> Op<'a> {
    /// Input `i` of a concatenation.
    pub fn concat_input(inputs: &[u8], i: usize) -> ConcatInput {
        let r = &inputs[i * op::CONCAT_INPUT_BYTES..][..op::CONCAT_INPUT_BYTES];
        let identity = r[2] == 1;
        ConcatInput {
            input: u16_at(r, 0) as usize,
            requant: if identity { None } else { Some(Requant { multiplier: i32_at(r, 4), shift: i32_at(r, 8) }) },
        }
    }

    /// Tensors this op reads, in a fixed-size list (`None` past the end).
    pub fn for_each_input(&self, mut f: impl FnMut(usize)) {
        match *self {
            Op::Quantize { .. } => {}
            Op::Conv(c) => f(c.input),
            Op::Add(a) => {
                f(a.a);
                f(a.b)
            }
            Op::Concat { n, inputs, .. } => (0..n).for_each(|i| f(Op::concat_input(inputs, i).input)),
            Op::Rescale { input, .. }
            | Op::MulChannel { input, .. }
            | Op::MulScalar { input, .. }
            | Op::Resize { input, .. }
            | Op::Output { input, .. } => f(input),
        }
    }

    /// The tensor this op writes (none for the output op).
    pub fn output(&self) -> Option<usize> {
        match *self {
            Op::Quantize { output, .. }
            | Op::Concat { output, .. }
            | Op::Rescale { output, .. }
            | Op::MulChannel { output, .. }
            | Op::MulScalar { output, .. }
            | Op::Resize { output, .. } => Some(output),
            Op::Conv(c) => Some(c.output),
            Op::Add(a) => Some(a.output),
            Op::Output { .. } => None,
        }
    }
}

/// A validated blob.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    bytes: &'a [u8],
    layout: Layout,
}

fn malformed(op: usize, reason: &'static str) -> BlobError {
    BlobError::Malformed { op, reason }
}

/// Bounds-checked reading position.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BlobError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.end).ok_or(BlobError::Truncated { needed: self.pos.saturating_add(n), got: self.end })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
}

impl<'a> Model<'a> {
    /// Checks `bytes` and returns the model, or why it is refused.
    pub fn load(bytes: &'a [u8]) -> Result<Model<'a>, BlobError> {
        let layout = validate(bytes)?;
        Ok(Model { bytes: &bytes[..layout.header.total_len], layout })
    }

    /// Re-attaches a layout validated earlier to the same bytes.
    pub(crate) fn with_layout(bytes: &'a [u8], layout: Layout) -> Model<'a> {
        Model { bytes, layout }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn header(&self) -> Header {
        self.layout.header
    }

    /// The noise schedule the network was trained with.
    pub fn schedule(&self) -> NoiseSchedule {
        self.layout.header.schedule
    }

    /// The size of the blob in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The `kantor.*` properties copied from the ONNX model, as (key, value).
    pub fn props(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let bytes = self.bytes;
        let mut pos = self.layout.props;
        (0..self.layout.header.props).map(move |_| {
            let kl = u16_at(bytes, pos) as usize;
            let vl = u16_at(bytes, pos + 2) as usize;
            let k = &bytes[pos + 4..pos + 4 + kl];
            let v = &bytes[pos + 4 + kl..pos + 4 + kl + vl];
            pos += format::align4(4 + kl + vl);
            // Validated as UTF-8 on load.
            (core::str::from_utf8(k).unwrap_or(""), core::str::from_utf8(v).unwrap_or(""))
        })
    }

    /// The value of property `key`.
    pub fn prop(&self, key: &str) -> Option<&'a str> {
        self.props().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Quantisation of tensor `i` (< `header().tensors`).
    pub fn tensor(&self, i: usize) -> TensorInfo {
        let at = self.layout.tensors + i * format::TENSOR_RECORD;
        TensorInfo {
            channels: u32_at(self.bytes, at) as usize,
            scale: f32_at(self.bytes, at + 4),
            zero_point: i32_at(self.bytes, at + 8),
            elem: elem_of(self.bytes[at + 12]),
        }
    }

    /// The raw scalar instruction records (`SCALAR_RECORD` bytes each).
    pub fn scalar_records(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (bytes, start) = (self.bytes, self.layout.scalars);
        (0..self.layout.header.scalars).map(move |i| &bytes[start + i * format::SCALAR_RECORD..][..format::SCALAR_RECORD])
    }

    /// Evaluates the scalar program for `sigma` into `regs` (register 0 = σ).
    pub fn eval_scalars(&self, sigma: f32, regs: &mut [f32; MAX_SCALARS + 1]) {
        regs[0] = sigma;
        for i in 0..self.layout.header.scalars {
            let r = &self.bytes[self.layout.scalars + i * format::SCALAR_RECORD..][..format::SCALAR_RECORD];
            let a = regs[r[1] as usize];
            let b = regs[r[2] as usize];
            regs[i + 1] = match r[0] {
                scalar::CONST => f32_at(r, 4),
                scalar::ADD => a + b,
                scalar::SUB => a - b,
                scalar::MUL => a * b,
                scalar::DIV => a / b,
                scalar::POW => libm::powf(a, b),
                scalar::SQRT => libm::sqrtf(a),
                scalar::NEG => -a,
                scalar::RECIP => 1.0 / a,
                scalar::EXP => libm::expf(a),
                scalar::LOG => libm::logf(a),
                _ => f32::NAN, // refused on load
            };
        }
    }

    /// The ops in execution order.
    pub fn ops(&self) -> impl Iterator<Item = Op<'a>> + 'a {
        let bytes = self.bytes;
        let model = *self;
        let mut pos = self.layout.ops;
        (0..self.layout.header.ops).map(move |_| {
            let len = u16_at(bytes, pos + 2) as usize;
            let rec = &bytes[pos..pos + len];
            pos += len;
            // Every record was decoded and checked on load, so this cannot fail.
            decode_op(rec, usize::MAX)
                .and_then(|op| attach_payload(bytes, rec, op, |i| model.tensor(i), usize::MAX))
                .unwrap_or(Op::Output { input: 0, scalar: None })
        })
    }
}

fn scalar_field(v: u8, scalars: usize, index: usize) -> Result<Option<usize>, BlobError> {
    if v == NO_SCALAR {
        Ok(None)
    } else if (v as usize) <= scalars {
        Ok(Some(v as usize))
    } else {
        Err(malformed(index, "scalar register out of range"))
    }
}

/// A payload array of `count` elements of `size` bytes at the absolute offset stored at
/// `rec[at..]`.
fn payload<'a>(bytes: &'a [u8], rec: &[u8], at: usize, count: usize, size: usize, index: usize) -> Result<&'a [u8], BlobError> {
    let start = u32_at(rec, at) as usize;
    let end = count.checked_mul(size).and_then(|n| start.checked_add(n)).ok_or(malformed(index, "payload too large"))?;
    if start < format::HEADER_BYTES || end > bytes.len() - format::CRC_BYTES {
        return Err(malformed(index, "payload out of bounds"));
    }
    Ok(&bytes[start..end])
}

fn check_shifts(shifts: &[u8], multipliers: Option<&[u8]>, index: usize) -> Result<(), BlobError> {
    for i in 0..shifts.len() / 4 {
        let s = i32_at(shifts, 4 * i);
        if !(-31..=30).contains(&s) {
            return Err(malformed(index, "requantisation shift out of range"));
        }
        if let Some(m) = multipliers {
            if i32_at(m, 4 * i) == i32::MIN {
                return Err(malformed(index, "requantisation multiplier out of range"));
            }
        }
    }
    Ok(())
}

fn check_requant(r: Requant, index: usize) -> Result<Requant, BlobError> {
    if !(-31..=30).contains(&r.shift) || r.multiplier == i32::MIN {
        return Err(malformed(index, "requantisation out of range"));
    }
    Ok(r)
}

/// The ReLU flag byte (and the reserved byte after it).
fn act(rec: &[u8], at: usize, index: usize) -> Result<bool, BlobError> {
    if rec[at] > 1 || rec[at + 1] != 0 {
        return Err(malformed(index, "activation flag"));
    }
    Ok(rec[at] == 1)
}

/// Decodes one op record (`index` only labels errors). Payload slices are checked against
/// the blob; tensor and scalar indices are checked by [`validate`].
fn decode_op<'a>(rec: &'a [u8], index: usize) -> Result<Op<'a>, BlobError> {
    let code = rec[0];
    let need = |n: usize| if rec.len() == n { Ok(()) } else { Err(malformed(index, "op record has the wrong length")) };
    let t = |at: usize| u16_at(rec, at) as usize;
    Ok(match code {
        op::QUANTIZE => {
            need(op::QUANTIZE_BYTES)?;
            Op::Quantize { input: rec[4], scalar: if rec[5] == NO_SCALAR { None } else { Some(rec[5] as usize) }, output: t(8) }
        }
        op::CONV => {
            need(op::CONV_BYTES)?;
            let relu = act(rec, 18, index)?;
            let c = ConvOp {
                input: t(4),
                output: t(6),
                kernel: t(8),
                dilation: t(10),
                stride: t(12),
                pad_begin: t(14),
                pad_end: t(16),
                relu,
                weights: &[],
                bias: &[],
                multipliers: &[],
                shifts: &[],
            };
            Op::Conv(c)
        }
        op::ADD => {
            need(op::ADD_BYTES)?;
            let relu = act(rec, 11, index)?;
            let r = |at| check_requant(Requant { multiplier: i32_at(rec, at), shift: i32_at(rec, at + 4) }, index);
            let left_shift = rec[10] as i32;
            if left_shift > 24 {
                return Err(malformed(index, "add left shift too large"));
            }
            Op::Add(AddOp { a: t(4), b: t(6), output: t(8), left_shift, relu, a_requant: r(16)?, b_requant: r(24)?, out_requant: r(32)? })
        }
        op::CONCAT => {
            let n = t(6);
            need(op::CONCAT_HEAD_BYTES + n * op::CONCAT_INPUT_BYTES)?;
            let inputs = &rec[op::CONCAT_HEAD_BYTES..];
            for i in 0..n {
                if let Some(r) = Op::concat_input(inputs, i).requant {
                    check_requant(r, index)?;
                }
            }
            Op::Concat { output: t(4), n, inputs }
        }
        op::RESCALE => {
            need(op::RESCALE_BYTES)?;
            let relu = act(rec, 9, index)?;
            let requant = if rec[8] == 1 { None } else { Some(check_requant(Requant { multiplier: i32_at(rec, 12), shift: i32_at(rec, 16) }, index)?) };
            Op::Rescale { input: t(4), output: t(6), requant, relu }
        }
        op::MUL_CHANNEL => {
            need(op::MUL_CHANNEL_BYTES)?;
            let relu = act(rec, 8, index)?;
            Op::MulChannel { input: t(4), output: t(6), relu, multipliers: &[], shifts: &[] }
        }
        op::MUL_SCALAR => {
            need(op::MUL_SCALAR_BYTES)?;
            let relu = act(rec, 9, index)?;
            Op::MulScalar { input: t(4), output: t(6), scalar: rec[8] as usize, relu }
        }
        op::RESIZE => {
            need(op::RESIZE_BYTES)?;
            Op::Resize { input: t(4), output: t(6), factor: t(8) }
        }
        op::OUTPUT => {
            need(op::OUTPUT_BYTES)?;
            Op::Output { input: t(4), scalar: if rec[6] == NO_SCALAR { None } else { Some(rec[6] as usize) } }
        }
        code => return Err(BlobError::UnknownOp { index, code }),
    })
}

/// Attaches the payload slices of ops that have them (needs the tensor table for sizes).
pub(crate) fn attach_payload<'a>(bytes: &'a [u8], rec: &[u8], op: Op<'a>, tensor: impl Fn(usize) -> TensorInfo, index: usize) -> Result<Op<'a>, BlobError> {
    Ok(match op {
        Op::Conv(mut c) => {
            let (cin, cout) = (tensor(c.input).channels, tensor(c.output).channels);
            let taps = c.kernel.checked_mul(cin).filter(|&t| t <= MAX_TAPS && cout <= u16::MAX as usize).ok_or(malformed(index, "conv too large"))?;
            c.weights = as_i8(payload(bytes, rec, 20, format::packed_weight_bytes(cout, taps), 1, index)?);
            c.bias = payload(bytes, rec, 24, cout, 4, index)?;
            c.multipliers = payload(bytes, rec, 28, cout, 4, index)?;
            c.shifts = payload(bytes, rec, 32, cout, 4, index)?;
            check_shifts(c.shifts, Some(c.multipliers), index)?;
            Op::Conv(c)
        }
        Op::MulChannel { input, output, relu, .. } => {
            let c = tensor(input).channels;
            let multipliers = payload(bytes, rec, 12, c, 4, index)?;
            let shifts = payload(bytes, rec, 16, c, 4, index)?;
            check_shifts(shifts, Some(multipliers), index)?;
            Op::MulChannel { input, output, relu, multipliers, shifts }
        }
        other => other,
    })
}

fn validate(bytes: &[u8]) -> Result<Layout, BlobError> {
    let min = format::HEADER_BYTES + format::CRC_BYTES;
    if bytes.len() < 4 || bytes[..4] != format::MAGIC {
        return Err(if bytes.len() < 4 { BlobError::Truncated { needed: min, got: bytes.len() } } else { BlobError::BadMagic });
    }
    if bytes.len() < min {
        return Err(BlobError::Truncated { needed: min, got: bytes.len() });
    }
    let format_version = u32_at(bytes, 4);
    if format_version != format::FORMAT_VERSION {
        return Err(BlobError::FormatVersion { found: format_version, supported: format::FORMAT_VERSION });
    }
    let total_len = u32_at(bytes, 12) as usize;
    if total_len > bytes.len() {
        return Err(BlobError::Truncated { needed: total_len, got: bytes.len() });
    }
    if total_len < min {
        return Err(malformed(usize::MAX, "length field smaller than a header"));
    }
    // Trailing bytes past the stated length (e.g. flash padding) are ignored.
    let bytes = &bytes[..total_len];
    let body = total_len - format::CRC_BYTES;
    let stored = u32_at(bytes, body);
    let computed = format::crc32(&bytes[..body]);
    if stored != computed {
        return Err(BlobError::Crc { stored, computed });
    }
    let encoding_version = u32_at(bytes, 8);
    if encoding_version != ENCODING_VERSION {
        return Err(BlobError::EncodingVersion { found: encoding_version, expected: ENCODING_VERSION });
    }
    if u32_at(bytes, 16) as usize != VOICE_CHANNELS || u32_at(bytes, 20) as usize != META_CHANNELS {
        return Err(BlobError::ForeignLayout);
    }
    for (v, r) in VOICE_RANGES.iter().enumerate() {
        if bytes[24 + 2 * v] != r.lowest || bytes[25 + 2 * v] != r.highest {
            return Err(BlobError::ForeignLayout);
        }
    }
    let schedule = NoiseSchedule::new(f32_at(bytes, 32), f32_at(bytes, 36), u32_at(bytes, 40) as usize);
    if !(schedule.sigma_max.is_finite() && schedule.sigma_min.is_finite() && schedule.sigma_min > 0.0 && schedule.sigma_max >= schedule.sigma_min) {
        return Err(malformed(usize::MAX, "noise schedule is not positive and decreasing"));
    }
    if schedule.levels > crate::sampler::settings::MAX_LEVELS {
        return Err(BlobError::TooLarge { what: "noise levels", count: schedule.levels, max: crate::sampler::settings::MAX_LEVELS });
    }
    let count = |at: usize, what: &'static str, max: usize| {
        let n = u32_at(bytes, at) as usize;
        if n > max {
            Err(BlobError::TooLarge { what, count: n, max })
        } else {
            Ok(n)
        }
    };
    let header = Header {
        format_version,
        encoding_version,
        total_len,
        schedule,
        tensors: count(44, "tensors", MAX_TENSORS)?,
        scalars: count(48, "scalar instructions", MAX_SCALARS)?,
        ops: count(52, "ops", u16::MAX as usize)?,
        props: count(56, "properties", u16::MAX as usize)?,
        head: Head::from_code(u32_at(bytes, 60)).ok_or(BlobError::UnknownHead { code: u32_at(bytes, 60) })?,
    };
    let mut cur = Cursor { bytes, pos: format::HEADER_BYTES, end: body };

    let props = cur.pos;
    for _ in 0..header.props {
        let lens = cur.take(4)?;
        let (kl, vl) = (u16_at(lens, 0) as usize, u16_at(lens, 2) as usize);
        let text = cur.take(kl + vl)?;
        if core::str::from_utf8(&text[..kl]).is_err() || core::str::from_utf8(&text[kl..]).is_err() {
            return Err(malformed(usize::MAX, "property is not UTF-8"));
        }
        cur.take(format::align4(4 + kl + vl) - (4 + kl + vl))?;
    }

    let scalars = cur.pos;
    for i in 0..header.scalars {
        let r = cur.take(format::SCALAR_RECORD)?;
        if r[0] > scalar::LOG {
            return Err(BlobError::UnknownScalarOp { index: i, code: r[0] });
        }
        if r[1] as usize > i || r[2] as usize > i {
            return Err(malformed(usize::MAX, "scalar instruction reads a later register"));
        }
    }

    let tensors = cur.pos;
    for _ in 0..header.tensors {
        let r = cur.take(format::TENSOR_RECORD)?;
        let (c, scale, zp, elem) = (u32_at(r, 0), f32_at(r, 4), i32_at(r, 8), r[12]);
        let zp_ok = match elem {
            format::ELEM_I8 => (-128..=127).contains(&zp),
            format::ELEM_I16 => zp == 0,
            _ => false,
        };
        if c == 0 || c > u16::MAX as u32 || !(scale.is_finite() && scale > 0.0) || !zp_ok || r[13..16] != [0, 0, 0] {
            return Err(malformed(usize::MAX, "tensor has no channels, a bad scale, element type or zero point"));
        }
    }
    let tensor_at = |i: usize| {
        let at = tensors + i * format::TENSOR_RECORD;
        TensorInfo { channels: u32_at(bytes, at) as usize, scale: f32_at(bytes, at + 4), zero_point: i32_at(bytes, at + 8), elem: elem_of(bytes[at + 12]) }
    };

    let ops = cur.pos;
    let mut produced = [false; MAX_TENSORS];
    let mut outputs = 0;
    for index in 0..header.ops {
        let head = cur.take(4)?;
        let len = u16_at(head, 2) as usize;
        if len < 4 || !len.is_multiple_of(4) {
            return Err(malformed(index, "op record length"));
        }
        cur.pos -= 4;
        let rec = cur.take(len)?;
        let decoded = decode_op(rec, index)?;
        // Indices before payloads: payload sizes depend on the tensors' channels.
        let mut bad = false;
        decoded.for_each_input(|t| bad |= t >= header.tensors || !produced[t]);
        if bad {
            return Err(malformed(index, "op reads a tensor that is not computed before it"));
        }
        if let Some(o) = decoded.output() {
            if o >= header.tensors || produced[o] {
                return Err(malformed(index, "op writes a missing or already computed tensor"));
            }
        }
        let decoded = attach_payload(bytes, rec, decoded, tensor_at, index)?;
        let ch = |t: usize| tensor_at(t).channels;
        match decoded {
            Op::Quantize { input, scalar, output } => {
                scalar_field(scalar.map_or(NO_SCALAR, |s| s as u8), header.scalars, index)?;
                let want = match input {
                    format::INPUT_VOICES => VOICE_CHANNELS,
                    format::INPUT_META => META_CHANNELS,
                    _ => return Err(malformed(index, "unknown graph input")),
                };
                if ch(output) != want {
                    return Err(malformed(index, "quantised input has the wrong channels"));
                }
            }
            Op::Conv(c) => {
                if c.kernel == 0 || c.kernel > MAX_KERNEL || c.dilation == 0 || c.stride == 0 {
                    return Err(malformed(index, "conv kernel, dilation or stride out of range"));
                }
            }
            Op::Add(a) => {
                if ch(a.a) != ch(a.output) || ch(a.b) != ch(a.output) {
                    return Err(malformed(index, "add of tensors with different channels"));
                }
            }
            Op::Concat { output, n, inputs } => {
                let sum: usize = (0..n).map(|i| ch(Op::concat_input(inputs, i).input)).sum();
                if n == 0 || sum != ch(output) {
                    return Err(malformed(index, "concat channels do not add up"));
                }
            }
            Op::Rescale { input, output, .. } | Op::MulChannel { input, output, .. } | Op::MulScalar { input, output, .. } => {
                if ch(input) != ch(output) {
                    return Err(malformed(index, "elementwise op changes the channels"));
                }
                if let Op::MulScalar { scalar, .. } = decoded {
                    if scalar_field(scalar as u8, header.scalars, index)?.is_none() {
                        return Err(malformed(index, "scalar multiply without a scalar"));
                    }
                }
            }
            Op::Resize { input, output, factor } => {
                if factor == 0 || ch(input) != ch(output) || tensor_at(input).elem != tensor_at(output).elem {
                    return Err(malformed(index, "resize factor or channels"));
                }
            }
            Op::Output { input, scalar } => {
                scalar_field(scalar.map_or(NO_SCALAR, |s| s as u8), header.scalars, index)?;
                if ch(input) != VOICE_CHANNELS {
                    return Err(malformed(index, "output does not have the voice channels"));
                }
                outputs += 1;
            }
        }
        if let Some(o) = decoded.output() {
            produced[o] = true;
        }
    }
    if outputs != 1 {
        return Err(malformed(usize::MAX, "the network must have exactly one output"));
    }
    Ok(Layout { header, props, scalars, tensors, ops, ops_end: cur.pos })
}

impl Layout {
    /// End of the op list (start of the payload).
    pub fn payload_start(&self) -> usize {
        self.ops_end
    }
}
