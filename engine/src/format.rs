//! The `.kq8` blob format: the contract between `kantor quantize` (which writes it) and
//! the engine (which reads it). Everything is little-endian.
//!
//! Every fixed-size part is a record declared once below ([`HeaderRecord`],
//! [`ScalarRecord`], [`TensorRecord`], the op records); the engine reads and `kantor
//! quantize` writes each through that one declaration.
//!
//! ```text
//! section         what                                   record
//! header          magic, versions, length, layout, σ,    HeaderRecord (64 bytes)
//!                 counts, head
//! properties      key_len, value_len, key, value (UTF-8) PropRecord, text, padding to 4
//! scalar program  one instruction each                   ScalarRecord
//! tensor table    one tensor each                        TensorRecord
//! op list         an op each                             OpHead (code, length), then the
//!                                                        op's record (see `op`)
//! payload         int8 weights, int32 biases and         addressed by absolute offsets
//!                 multipliers, each 4-aligned            from the op records
//! end − 4         CRC-32 (IEEE) of every byte before it
//! ```
//!
//! Tensors are int8 or int16 activations laid out time-major (`frames × channels`), each
//! with one scale and zero point (real = scale · (q − zero_point)). `relu` flags in op
//! records fold a ReLU into the output clamp. Their lengths in time follow
//! from the ops and the frame count, so the blob works for any number of frames.
//!
//! The interface fields (encoding version, channel layout, voice ranges, noise schedule,
//! head) say what the inputs and the output mean; the engine carries them and its user
//! checks them (`kantor_core::engine`, through a [`Check`](super::model::Check)). The head
//! field says what the output channels hold (`kantor_core::Head`): the score itself, or
//! an estimate of the clean chorale that the device core turns into the score in f32
//! after the last op. Version 3 added it (the field was reserved before).
//!
//! The scalar program evaluates the σ-only arithmetic in f32: register 0 holds σ, and
//! instruction `i` writes register `i + 1`.

#![forbid(unsafe_code)]

use super::record::{record, Field};

/// First four bytes of every blob.
pub const MAGIC: [u8; 4] = *b"KQ8\x1a";
/// Version of this layout; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 3;
/// Size of the fixed header.
pub const HEADER_BYTES: usize = HeaderRecord::BYTES;
/// Bytes per scalar instruction.
pub const SCALAR_RECORD: usize = ScalarRecord::BYTES;
/// Bytes per tensor.
pub const TENSOR_RECORD: usize = TensorRecord::BYTES;
/// Element type of an int8 tensor (asymmetric: any zero point).
pub const ELEM_I8: u8 = 0;
/// Element type of an int16 tensor (symmetric: zero point 0), TFLite's "16x8" scheme for
/// the tensors where int8 loses too much (the residual stream, the input).
pub const ELEM_I16: u8 = 1;
/// Bytes of the CRC trailer.
pub const CRC_BYTES: usize = 4;

/// Most tensors, scalar registers and kernel taps a blob may use (bounds for the
/// engine's fixed-size tables).
pub const MAX_TENSORS: usize = 128;
pub const MAX_SCALARS: usize = 63;
pub const MAX_KERNEL: usize = 64;
/// Most weights per output channel of a convolution (kernel × input channels).
pub const MAX_TAPS: usize = 1 << 16;
/// "No scalar" in a scalar-register field.
pub const NO_SCALAR: u8 = 0xFF;

/// Graph input fed by `QUANTIZE`: the noisy one-hot voices.
pub const INPUT_VOICES: u8 = 0;
/// Graph input fed by `QUANTIZE`: the metadata channels.
pub const INPUT_META: u8 = 1;

/// Scalar instruction codes (f32, register 0 = σ, instruction i writes register i + 1);
/// what each computes is [`super::scalar::ScalarOp`].
pub mod scalar {
    /// r = constant.
    pub const CONST: u8 = 0;
    pub const ADD: u8 = 1;
    pub const SUB: u8 = 2;
    pub const MUL: u8 = 3;
    pub const DIV: u8 = 4;
    /// r = ra^rb (libm powf).
    pub const POW: u8 = 5;
    /// r = √ra (libm sqrtf).
    pub const SQRT: u8 = 6;
    pub const NEG: u8 = 7;
    /// r = 1 / ra.
    pub const RECIP: u8 = 8;
    /// r = e^ra (libm expf).
    pub const EXP: u8 = 9;
    /// r = ln ra (libm logf).
    pub const LOG: u8 = 10;
}

/// Op codes and the size of each op record (bytes, [`OpHead`] included); the fields
/// after the head are the record named in each code's documentation.
pub mod op {
    use super::*;

    /// [`QuantizeRecord`]: quantise a graph input (channel-major f32) into a tensor:
    /// q = clamp(round(v · factor) + zp) with factor = s / scale in f32 (s the scalar
    /// register, or factor = 1 / scale without one).
    pub const QUANTIZE: u8 = 1;
    pub const QUANTIZE_BYTES: usize = OpHead::BYTES + QuantizeRecord::BYTES;
    /// [`ConvRecord`]: 1-D convolution with int8 weights (symmetric, per output channel)
    /// packed as [`super::packed_weight_index`] says, int32 bias, per-channel
    /// requantisation, clamp (ReLU folded in).
    pub const CONV: u8 = 2;
    pub const CONV_BYTES: usize = OpHead::BYTES + ConvRecord::BYTES;
    /// [`AddRecord`]: elementwise sum with rescale (TFLite's scheme).
    pub const ADD: u8 = 3;
    pub const ADD_BYTES: usize = OpHead::BYTES + AddRecord::BYTES;
    /// [`ConcatRecord`], then n × [`ConcatInputRecord`]: channel concatenation, each input
    /// requantised to the output (or copied when `identity` is 1).
    pub const CONCAT: u8 = 4;
    pub const CONCAT_HEAD_BYTES: usize = OpHead::BYTES + ConcatRecord::BYTES;
    pub const CONCAT_INPUT_BYTES: usize = ConcatInputRecord::BYTES;
    /// [`RescaleRecord`]: elementwise requantisation with clamp (a ReLU that was not
    /// folded into a conv).
    pub const RESCALE: u8 = 5;
    pub const RESCALE_BYTES: usize = OpHead::BYTES + RescaleRecord::BYTES;
    /// [`MulChannelRecord`]: multiply by a per-channel constant; a negative multiplier
    /// negates the channel.
    pub const MUL_CHANNEL: u8 = 6;
    pub const MUL_CHANNEL_BYTES: usize = OpHead::BYTES + MulChannelRecord::BYTES;
    /// [`MulScalarRecord`]: multiply by a σ-derived scalar; the multiplier is computed at
    /// run time from f32 (see `fixed`).
    pub const MUL_SCALAR: u8 = 7;
    pub const MUL_SCALAR_BYTES: usize = OpHead::BYTES + MulScalarRecord::BYTES;
    /// [`ResizeRecord`]: nearest-neighbour upsampling in time.
    pub const RESIZE: u8 = 8;
    pub const RESIZE_BYTES: usize = OpHead::BYTES + ResizeRecord::BYTES;
    /// [`OutputRecord`]: dequantise the score (must have voice channels and the input's
    /// frame count): y = (q − zp) · factor, factor = scale · s in f32.
    pub const OUTPUT: u8 = 9;
    pub const OUTPUT_BYTES: usize = OpHead::BYTES + OutputRecord::BYTES;
}

/// A ReLU flag (0 or 1) and the reserved zero byte after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Act {
    pub relu: u8,
    pub reserved: u8,
}

impl Act {
    pub fn new(relu: bool) -> Act {
        Act { relu: relu as u8, reserved: 0 }
    }
}

impl Field for Act {
    const BYTES: usize = 2;
    fn read(b: &[u8]) -> Self {
        Act { relu: b[0], reserved: b[1] }
    }
    fn write(self, b: &mut [u8]) {
        b[0] = self.relu;
        b[1] = self.reserved;
    }
}

record! {
    /// The fixed header at the start of every blob.
    pub struct HeaderRecord {
        pub magic: [u8; 4],
        pub format_version: u32,
        /// The input encoding the network was trained for (`kantor_core::onehot::ENCODING_VERSION`).
        pub encoding_version: u32,
        /// Length of the blob in bytes, CRC included.
        pub total_len: u32,
        pub voice_channels: u32,
        pub meta_channels: u32,
        /// (lowest, highest) MIDI note of S, A, T, B.
        pub voice_ranges: [u8; 8],
        pub sigma_max: f32,
        pub sigma_min: f32,
        pub levels: u32,
        pub tensors: u32,
        pub scalars: u32,
        pub ops: u32,
        pub props: u32,
        /// What the output holds (`kantor_core::Head::code`).
        pub head: u32,
    }

    /// The lengths before a property's key and value (UTF-8, then padding to 4).
    pub struct PropRecord {
        pub key_len: u16,
        pub value_len: u16,
    }

    /// One instruction of the σ program.
    pub struct ScalarRecord {
        pub code: u8,
        pub a: u8,
        pub b: u8,
        pub reserved: u8,
        pub constant: f32,
    }

    /// One activation tensor.
    pub struct TensorRecord {
        pub channels: u32,
        pub scale: f32,
        pub zero_point: i32,
        /// [`ELEM_I8`] or [`ELEM_I16`].
        pub elem: u8,
        pub reserved: [u8; 3],
    }

    /// The start of every op record.
    pub struct OpHead {
        pub code: u8,
        pub reserved: u8,
        /// Bytes of the whole op record, head included (a multiple of 4).
        pub len: u16,
    }

    pub struct QuantizeRecord {
        /// [`INPUT_VOICES`] or [`INPUT_META`].
        pub input: u8,
        pub scalar: u8,
        pub reserved: u16,
        pub output: u16,
        pub reserved2: u16,
    }

    pub struct ConvRecord {
        pub input: u16,
        pub output: u16,
        pub kernel: u16,
        pub dilation: u16,
        pub stride: u16,
        pub pad_begin: u16,
        pub pad_end: u16,
        pub act: Act,
        /// Absolute offsets of the payload arrays: packed int8 weights, then int32 bias,
        /// multipliers and shifts per output channel.
        pub weights: u32,
        pub bias: u32,
        pub multipliers: u32,
        pub shifts: u32,
    }

    pub struct AddRecord {
        pub a: u16,
        pub b: u16,
        pub output: u16,
        pub left_shift: u8,
        pub act: Act,
        pub reserved: [u8; 3],
        pub a_mult: i32,
        pub a_shift: i32,
        pub b_mult: i32,
        pub b_shift: i32,
        pub out_mult: i32,
        pub out_shift: i32,
    }

    pub struct ConcatRecord {
        pub output: u16,
        /// Number of [`ConcatInputRecord`]s that follow.
        pub n: u16,
    }

    pub struct ConcatInputRecord {
        pub input: u16,
        pub identity: u8,
        pub reserved: u8,
        pub mult: i32,
        pub shift: i32,
    }

    pub struct RescaleRecord {
        pub input: u16,
        pub output: u16,
        pub identity: u8,
        pub act: Act,
        pub reserved: u8,
        pub mult: i32,
        pub shift: i32,
    }

    pub struct MulChannelRecord {
        pub input: u16,
        pub output: u16,
        pub act: Act,
        pub reserved: u16,
        /// Absolute offsets of int32 multipliers and shifts per channel.
        pub multipliers: u32,
        pub shifts: u32,
    }

    pub struct MulScalarRecord {
        pub input: u16,
        pub output: u16,
        pub scalar: u8,
        pub act: Act,
        pub reserved: u8,
    }

    pub struct ResizeRecord {
        pub input: u16,
        pub output: u16,
        pub factor: u16,
        pub reserved: u16,
    }

    pub struct OutputRecord {
        pub input: u16,
        pub scalar: u8,
        pub reserved: u8,
    }
}

// The sizes this version of the format fixes. A record that changes size changes the
// format: bump FORMAT_VERSION with these. Op records stay multiples of 4 bytes.
const _: () = assert!(
    HeaderRecord::BYTES == 64
        && PropRecord::BYTES == 4
        && ScalarRecord::BYTES == 8
        && TensorRecord::BYTES == 16
        && op::QUANTIZE_BYTES == 12
        && op::CONV_BYTES == 36
        && op::ADD_BYTES == 40
        && op::CONCAT_HEAD_BYTES == 8
        && op::CONCAT_INPUT_BYTES == 12
        && op::RESCALE_BYTES == 20
        && op::MUL_CHANNEL_BYTES == 20
        && op::MUL_SCALAR_BYTES == 12
        && op::RESIZE_BYTES == 12
        && op::OUTPUT_BYTES == 8
);

/// Output channels per block of packed convolution weights.
pub const CO_BLOCK: usize = 8;

/// Bytes of packed weights of a convolution with `cout` outputs and `taps` = kernel × in
/// inputs per output: `cout` rounded up to [`CO_BLOCK`], `taps` rounded up to even.
pub const fn packed_weight_bytes(cout: usize, taps: usize) -> usize {
    cout.div_ceil(CO_BLOCK) * CO_BLOCK * taps.div_ceil(2) * 2
}

/// Position of weight (output `co`, tap `j` = k · in + ci) in the packed layout
/// `[cout / 8][taps / 2][8][2]`: pairs of neighbouring taps for eight outputs side by side,
/// what a 16-bit dual multiply-accumulate (Cortex-M `SMLAD`, x86 `pmaddwd`) consumes.
/// Padding entries are zero.
pub const fn packed_weight_index(co: usize, j: usize, taps: usize) -> usize {
    let pairs = taps.div_ceil(2);
    ((co / CO_BLOCK) * pairs + j / 2) * 2 * CO_BLOCK + (co % CO_BLOCK) * 2 + j % 2
}

/// Rounds `n` up to a multiple of 4.
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and `crc32fast`) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc = !0u32;
    for &b in bytes {
        crc = TABLE[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// A blob with 4-byte alignment, for `include_bytes!` on a board:
///
/// ```
/// use kantor_engine::format::Aligned;
/// use kantor_engine::Model;
///
/// static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model.kq8")));
/// // MODEL.0 is the blob; pass `&MODEL.0` to `Int8Net::new`.
/// assert_eq!(MODEL.0.as_ptr() as usize % 4, 0);
/// assert!(Model::load(&MODEL.0).is_ok());
/// ```
#[repr(C, align(4))]
pub struct Aligned<T: ?Sized>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }
}
