//! Loading a `.kq8` blob: every length, offset, index and shift is checked once here, so
//! that running the network afterwards cannot read out of bounds.

#![forbid(unsafe_code)]

use super::bytes::i32_at;
use super::format::{
    self, op, AddRecord, ConcatInputRecord, ConcatRecord, ConvRecord, HeaderRecord, MulChannelRecord, MulScalarRecord, OpHead, OutputRecord, PropRecord,
    QuantizeRecord, RescaleRecord, ResizeRecord, ScalarRecord, TensorRecord, MAX_KERNEL, MAX_SCALARS, MAX_TAPS, MAX_TENSORS, NO_SCALAR,
};
use super::kernels::cast::as_i8;
use super::quant::{Elem, Q, Requant};
use super::scalar::ScalarOp;

/// Why a blob was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// Not `#[non_exhaustive]`: the device core's message test (`error_messages`) matches
// every variant, so that a new one cannot go without a checked sentence.
pub enum BlobError {
    /// Shorter than its header says (or than a header).
    Truncated { needed: usize, got: usize },
    /// Not a Kantor int8 blob.
    BadMagic,
    /// Written by an incompatible version of `kantor quantize`.
    FormatVersion { found: u32, supported: u32 },
    /// Trained for another encoding of the inputs (found by the caller's [`Check`]).
    EncodingVersion { found: u32, expected: u32 },
    /// Bytes were changed after writing.
    Crc { stored: u32, computed: u32 },
    /// The network's channel layout or voice ranges differ from the caller's (found by
    /// its [`Check`]).
    ForeignLayout,
    /// More tensors, scalars or kernel taps than the engine supports (or noise levels than
    /// the caller's [`Check`] allows).
    TooLarge { what: &'static str, count: usize, max: usize },
    /// An op code this engine does not know.
    UnknownOp { index: usize, code: u8 },
    /// A scalar instruction this engine does not know.
    UnknownScalarOp { index: usize, code: u8 },
    /// The header names an output head the caller does not know (found by its [`Check`]).
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

/// The checks a caller makes of the header fields that say what the network's inputs and
/// output mean (encoding version, channel layout, noise schedule, output head): the engine
/// carries them but gives them no meaning. Run on load right after the checksum, before
/// the engine reads the rest. [`no_check`] accepts every header.
pub type Check = fn(&HeaderRecord) -> Result<(), BlobError>;

/// The [`Check`] that accepts every header: the engine's own checks alone.
pub fn no_check(_: &HeaderRecord) -> Result<(), BlobError> {
    Ok(())
}

/// The fixed header fields.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    pub format_version: u32,
    /// The encoding of the inputs the network was trained for (the caller's to check).
    pub encoding_version: u32,
    pub total_len: usize,
    /// Channels of graph input [`format::INPUT_VOICES`], which the output has too.
    pub voice_channels: usize,
    /// Channels of graph input [`format::INPUT_META`].
    pub meta_channels: usize,
    /// The noise schedule the network was trained with: largest and smallest σ, levels.
    pub sigma_max: f32,
    pub sigma_min: f32,
    pub levels: usize,
    pub tensors: usize,
    pub scalars: usize,
    pub ops: usize,
    pub props: usize,
    /// What the output channels hold (a code the caller's [`Check`] knows).
    pub head: u32,
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

fn tensor_info(r: &TensorRecord) -> TensorInfo {
    let elem = if r.elem == format::ELEM_I16 { Elem::I16 } else { Elem::I8 };
    TensorInfo { channels: r.channels as usize, scale: r.scale, zero_point: r.zero_point, elem }
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
        let r = ConcatInputRecord::read(&inputs[i * ConcatInputRecord::BYTES..]);
        ConcatInput {
            input: r.input as usize,
            requant: if r.identity == 1 { None } else { Some(Requant { multiplier: r.mult, shift: r.shift }) },
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
    /// Checks `bytes` and returns the model, or why it is refused: the engine's own
    /// checks alone ([`Model::load_checked`] adds the caller's).
    pub fn load(bytes: &'a [u8]) -> Result<Model<'a>, BlobError> {
        Self::load_checked(bytes, no_check)
    }

    /// [`Model::load`], with `check` run on the header's interface fields.
    pub fn load_checked(bytes: &'a [u8], check: Check) -> Result<Model<'a>, BlobError> {
        let layout = validate(bytes, check)?;
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

    /// The size of the blob in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The `kantor.*` properties copied from the ONNX model, as (key, value).
    pub fn props(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let bytes = self.bytes;
        let mut pos = self.layout.props;
        (0..self.layout.header.props).map(move |_| {
            let r = PropRecord::read(&bytes[pos..]);
            let (kl, vl, at) = (r.key_len as usize, r.value_len as usize, pos + PropRecord::BYTES);
            let k = &bytes[at..at + kl];
            let v = &bytes[at + kl..at + kl + vl];
            pos += format::align4(PropRecord::BYTES + kl + vl);
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
        tensor_info(&TensorRecord::read(&self.bytes[self.layout.tensors + i * TensorRecord::BYTES..]))
    }

    /// The σ program, in order (checked on load).
    pub fn scalar_program(&self) -> impl Iterator<Item = ScalarOp> + 'a {
        let (bytes, start) = (self.bytes, self.layout.scalars);
        (0..self.layout.header.scalars).map(move |i| {
            // Every code was checked on load.
            ScalarOp::from_record(&ScalarRecord::read(&bytes[start + i * ScalarRecord::BYTES..])).unwrap_or(ScalarOp::Const(f32::NAN))
        })
    }

    /// Evaluates the scalar program for `sigma` into `regs` (register 0 = σ).
    pub fn eval_scalars(&self, sigma: f32, regs: &mut [f32; MAX_SCALARS + 1]) {
        regs[0] = sigma;
        for (i, s) in self.scalar_program().enumerate() {
            regs[i + 1] = s.apply(&regs[..i + 1]);
        }
    }

    /// The ops in execution order.
    pub fn ops(&self) -> impl Iterator<Item = Op<'a>> + 'a {
        let bytes = self.bytes;
        let model = *self;
        let mut pos = self.layout.ops;
        (0..self.layout.header.ops).map(move |_| {
            let len = OpHead::read(&bytes[pos..]).len as usize;
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

/// A payload array of `count` elements of `size` bytes at the absolute offset `start`.
fn payload(bytes: &[u8], start: u32, count: usize, size: usize, index: usize) -> Result<&[u8], BlobError> {
    let start = start as usize;
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

/// The ReLU flag (and the reserved byte after it).
fn act(a: format::Act, index: usize) -> Result<bool, BlobError> {
    if a.relu > 1 || a.reserved != 0 {
        return Err(malformed(index, "activation flag"));
    }
    Ok(a.relu == 1)
}

fn scalar_reg(v: u8) -> Option<usize> {
    if v == NO_SCALAR {
        None
    } else {
        Some(v as usize)
    }
}

/// Decodes one op record (`index` only labels errors). Payload slices are checked against
/// the blob; tensor and scalar indices are checked by [`validate`].
fn decode_op<'a>(rec: &'a [u8], index: usize) -> Result<Op<'a>, BlobError> {
    let code = OpHead::read(rec).code;
    let body = &rec[OpHead::BYTES..];
    let need = |n: usize| if rec.len() == n { Ok(()) } else { Err(malformed(index, "op record has the wrong length")) };
    let t = |v: u16| v as usize;
    Ok(match code {
        op::QUANTIZE => {
            need(op::QUANTIZE_BYTES)?;
            let r = QuantizeRecord::read(body);
            Op::Quantize { input: r.input, scalar: scalar_reg(r.scalar), output: t(r.output) }
        }
        op::CONV => {
            need(op::CONV_BYTES)?;
            let r = ConvRecord::read(body);
            let relu = act(r.act, index)?;
            let c = ConvOp {
                input: t(r.input),
                output: t(r.output),
                kernel: t(r.kernel),
                dilation: t(r.dilation),
                stride: t(r.stride),
                pad_begin: t(r.pad_begin),
                pad_end: t(r.pad_end),
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
            let r = AddRecord::read(body);
            let relu = act(r.act, index)?;
            let rq = |multiplier, shift| check_requant(Requant { multiplier, shift }, index);
            let left_shift = r.left_shift as i32;
            if left_shift > 24 {
                return Err(malformed(index, "add left shift too large"));
            }
            let (a_requant, b_requant, out_requant) = (rq(r.a_mult, r.a_shift)?, rq(r.b_mult, r.b_shift)?, rq(r.out_mult, r.out_shift)?);
            Op::Add(AddOp { a: t(r.a), b: t(r.b), output: t(r.output), left_shift, relu, a_requant, b_requant, out_requant })
        }
        op::CONCAT => {
            if rec.len() < op::CONCAT_HEAD_BYTES {
                return Err(malformed(index, "op record has the wrong length"));
            }
            let r = ConcatRecord::read(body);
            let n = t(r.n);
            need(op::CONCAT_HEAD_BYTES + n * op::CONCAT_INPUT_BYTES)?;
            let inputs = &rec[op::CONCAT_HEAD_BYTES..];
            for i in 0..n {
                if let Some(r) = Op::concat_input(inputs, i).requant {
                    check_requant(r, index)?;
                }
            }
            Op::Concat { output: t(r.output), n, inputs }
        }
        op::RESCALE => {
            need(op::RESCALE_BYTES)?;
            let r = RescaleRecord::read(body);
            let relu = act(r.act, index)?;
            let requant = if r.identity == 1 { None } else { Some(check_requant(Requant { multiplier: r.mult, shift: r.shift }, index)?) };
            Op::Rescale { input: t(r.input), output: t(r.output), requant, relu }
        }
        op::MUL_CHANNEL => {
            need(op::MUL_CHANNEL_BYTES)?;
            let r = MulChannelRecord::read(body);
            let relu = act(r.act, index)?;
            Op::MulChannel { input: t(r.input), output: t(r.output), relu, multipliers: &[], shifts: &[] }
        }
        op::MUL_SCALAR => {
            need(op::MUL_SCALAR_BYTES)?;
            let r = MulScalarRecord::read(body);
            let relu = act(r.act, index)?;
            Op::MulScalar { input: t(r.input), output: t(r.output), scalar: r.scalar as usize, relu }
        }
        op::RESIZE => {
            need(op::RESIZE_BYTES)?;
            let r = ResizeRecord::read(body);
            Op::Resize { input: t(r.input), output: t(r.output), factor: t(r.factor) }
        }
        op::OUTPUT => {
            need(op::OUTPUT_BYTES)?;
            let r = OutputRecord::read(body);
            Op::Output { input: t(r.input), scalar: scalar_reg(r.scalar) }
        }
        code => return Err(BlobError::UnknownOp { index, code }),
    })
}

/// Attaches the payload slices of ops that have them (needs the tensor table for sizes).
pub(crate) fn attach_payload<'a>(bytes: &'a [u8], rec: &[u8], op: Op<'a>, tensor: impl Fn(usize) -> TensorInfo, index: usize) -> Result<Op<'a>, BlobError> {
    let body = &rec[OpHead::BYTES..];
    Ok(match op {
        Op::Conv(mut c) => {
            let r = ConvRecord::read(body);
            let (cin, cout) = (tensor(c.input).channels, tensor(c.output).channels);
            let taps = c.kernel.checked_mul(cin).filter(|&t| t <= MAX_TAPS && cout <= u16::MAX as usize).ok_or(malformed(index, "conv too large"))?;
            c.weights = as_i8(payload(bytes, r.weights, format::packed_weight_bytes(cout, taps), 1, index)?);
            c.bias = payload(bytes, r.bias, cout, 4, index)?;
            c.multipliers = payload(bytes, r.multipliers, cout, 4, index)?;
            c.shifts = payload(bytes, r.shifts, cout, 4, index)?;
            check_shifts(c.shifts, Some(c.multipliers), index)?;
            Op::Conv(c)
        }
        Op::MulChannel { input, output, relu, .. } => {
            let r = MulChannelRecord::read(body);
            let c = tensor(input).channels;
            let multipliers = payload(bytes, r.multipliers, c, 4, index)?;
            let shifts = payload(bytes, r.shifts, c, 4, index)?;
            check_shifts(shifts, Some(multipliers), index)?;
            Op::MulChannel { input, output, relu, multipliers, shifts }
        }
        other => other,
    })
}

fn validate(bytes: &[u8], check: Check) -> Result<Layout, BlobError> {
    let min = format::HEADER_BYTES + format::CRC_BYTES;
    if bytes.len() < 4 || bytes[..4] != format::MAGIC {
        return Err(if bytes.len() < 4 { BlobError::Truncated { needed: min, got: bytes.len() } } else { BlobError::BadMagic });
    }
    if bytes.len() < min {
        return Err(BlobError::Truncated { needed: min, got: bytes.len() });
    }
    let h = HeaderRecord::read(bytes);
    let format_version = h.format_version;
    if format_version != format::FORMAT_VERSION {
        return Err(BlobError::FormatVersion { found: format_version, supported: format::FORMAT_VERSION });
    }
    let total_len = h.total_len as usize;
    if total_len > bytes.len() {
        return Err(BlobError::Truncated { needed: total_len, got: bytes.len() });
    }
    if total_len < min {
        return Err(malformed(usize::MAX, "length field smaller than a header"));
    }
    // Trailing bytes past the stated length (e.g. flash padding) are ignored.
    let bytes = &bytes[..total_len];
    let body = total_len - format::CRC_BYTES;
    let stored = u32::from_le_bytes([bytes[body], bytes[body + 1], bytes[body + 2], bytes[body + 3]]);
    let computed = format::crc32(&bytes[..body]);
    if stored != computed {
        return Err(BlobError::Crc { stored, computed });
    }
    check(&h)?;
    let count = |n: u32, what: &'static str, max: usize| {
        let n = n as usize;
        if n > max {
            Err(BlobError::TooLarge { what, count: n, max })
        } else {
            Ok(n)
        }
    };
    let header = Header {
        format_version,
        encoding_version: h.encoding_version,
        total_len,
        voice_channels: h.voice_channels as usize,
        meta_channels: h.meta_channels as usize,
        sigma_max: h.sigma_max,
        sigma_min: h.sigma_min,
        levels: h.levels as usize,
        tensors: count(h.tensors, "tensors", MAX_TENSORS)?,
        scalars: count(h.scalars, "scalar instructions", MAX_SCALARS)?,
        ops: count(h.ops, "ops", u16::MAX as usize)?,
        props: count(h.props, "properties", u16::MAX as usize)?,
        head: h.head,
    };
    let mut cur = Cursor { bytes, pos: format::HEADER_BYTES, end: body };

    let props = cur.pos;
    for _ in 0..header.props {
        let lens = PropRecord::read(cur.take(PropRecord::BYTES)?);
        let (kl, vl) = (lens.key_len as usize, lens.value_len as usize);
        let text = cur.take(kl + vl)?;
        if core::str::from_utf8(&text[..kl]).is_err() || core::str::from_utf8(&text[kl..]).is_err() {
            return Err(malformed(usize::MAX, "property is not UTF-8"));
        }
        let used = PropRecord::BYTES + kl + vl;
        cur.take(format::align4(used) - used)?;
    }

    let scalars = cur.pos;
    for i in 0..header.scalars {
        let r = ScalarRecord::read(cur.take(ScalarRecord::BYTES)?);
        if ScalarOp::from_record(&r).is_none() {
            return Err(BlobError::UnknownScalarOp { index: i, code: r.code });
        }
        if r.a as usize > i || r.b as usize > i {
            return Err(malformed(usize::MAX, "scalar instruction reads a later register"));
        }
    }

    let tensors = cur.pos;
    for _ in 0..header.tensors {
        let r = TensorRecord::read(cur.take(TensorRecord::BYTES)?);
        let (c, scale, zp, elem) = (r.channels, r.scale, r.zero_point, r.elem);
        let zp_ok = match elem {
            format::ELEM_I8 => (-128..=127).contains(&zp),
            format::ELEM_I16 => zp == 0,
            _ => false,
        };
        if c == 0 || c > u16::MAX as u32 || !(scale.is_finite() && scale > 0.0) || !zp_ok || r.reserved != [0, 0, 0] {
            return Err(malformed(usize::MAX, "tensor has no channels, a bad scale, element type or zero point"));
        }
    }
    let tensor_at = |i: usize| tensor_info(&TensorRecord::read(&bytes[tensors + i * TensorRecord::BYTES..]));

    let ops = cur.pos;
    let mut produced = [false; MAX_TENSORS];
    let mut outputs = 0;
    for index in 0..header.ops {
        let head = OpHead::read(cur.take(OpHead::BYTES)?);
        let len = head.len as usize;
        if len < OpHead::BYTES || !len.is_multiple_of(4) {
            return Err(malformed(index, "op record length"));
        }
        cur.pos -= OpHead::BYTES;
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
                    format::INPUT_VOICES => header.voice_channels,
                    format::INPUT_META => header.meta_channels,
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
                if ch(input) != header.voice_channels {
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
