//! Requantisation with its constants worked out once per channel (or once per op) instead
//! of per element, and element access resolved outside the loops: the same integers as
//! [`fixed::requantize`](super::super::super::fixed::requantize) and
//! [`reference::add`](super::super::reference::add). [`Scale`] takes any multiplier and
//! shift; the [`Exact`] forms ([`Halving`], [`Whole`], [`Fraction`]) round the same way in
//! two to five instructions for the multipliers ≥ 0 a model has. Plain Rust: the host's
//! tests run it as it is (the parent's assembly uses the same constants).

#![forbid(unsafe_code)]

use super::super::super::bytes::i32_at;
use super::super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::super::format::CO_BLOCK;
use super::super::super::quant::{Elem, Q, Requant};
use super::super::reference;
use super::smlal;

/// `x · multiplier · 2^(shift − 31)` as [`multiply_by_quantized_multiplier`] rounds it,
/// with the shifts, mask and rounding threshold prepared.
///
/// [`multiply_by_quantized_multiplier`]: super::super::super::fixed::multiply_by_quantized_multiplier
#[derive(Clone, Copy)]
pub struct Scale {
    multiplier: i32,
    left: u32,
    right: u32,
    mask: i32,
    half: i32,
}

impl Scale {
    /// Multiplies by one half and shifts left once: a stand-in that is never applied.
    const IDENTITY: Scale = Scale { multiplier: 1 << 30, left: 1, right: 0, mask: 0, half: 0 };

    /// `None` where the shortcut would differ from the reference: a multiplier of
    /// `i32::MIN` (the doubling high product saturates there) or a shift out of −31..=30
    /// (a validated model has neither).
    #[inline(always)]
    pub fn new(multiplier: i32, shift: i32) -> Option<Scale> {
        if multiplier == i32::MIN || !(-31..=30).contains(&shift) {
            return None;
        }
        let (left, right) = if shift > 0 { (shift as u32, 0) } else { (0, (-shift) as u32) };
        let mask = ((1i64 << right) - 1) as i32;
        Some(Scale { multiplier, left, right, mask, half: mask >> 1 })
    }

    /// The scaled value. The doubling high product with gemmlowp's nudge is
    /// ⌊(a·b + 2³⁰) / 2³¹⌋ for either sign of a·b (truncating (a·b + 1 − 2³⁰) / 2³¹
    /// towards zero when a·b < 0 gives the same floor), one multiply-accumulate; then the
    /// rounding right shift with ties away from zero.
    #[inline(always)]
    pub fn apply(&self, x: i32) -> i32 {
        let v = x.wrapping_shl(self.left);
        let h = ((v as i64 * self.multiplier as i64 + (1 << 30)) >> 31) as i32;
        let threshold = self.half - (h >> 31);
        (h >> self.right) + ((h & self.mask) > threshold) as i32
    }
}

/// A scale in the shape the core's 32 × 32 + 64-bit multiply-accumulate (`SMLAL`) rounds
/// exactly as [`Scale`] (and so the reference) does, for multipliers ≥ 0: five
/// instructions an element. [`exact`] picks the form for a multiplier and shift.
pub trait Exact: Copy {
    fn apply(self, v: i32) -> i32;
}

/// Shift ≥ 0: `v << shift` times multiplier / 2³¹ as the doubling high product rounds it,
/// ⌊(p + 2³⁰) / 2³¹⌋ of the 64-bit product p (no right shift follows).
#[derive(Clone, Copy)]
pub struct Whole {
    multiplier: i32,
    left: u32,
}

impl Exact for Whole {
    #[inline(always)]
    fn apply(self, v: i32) -> i32 {
        (smlal(1 << 30, v.wrapping_shl(self.left), self.multiplier) >> 31) as i32
    }
}

/// The multiplier 2³⁰ (one half) with shift ≥ 0, TFLite's scale for the larger input of
/// a sum: w = v << shift times one half rounds to ⌈w / 2⌉ = (w >> 1) + (w & 1).
#[derive(Clone, Copy)]
pub struct Halving {
    left: u32,
}

impl Exact for Halving {
    #[inline(always)]
    fn apply(self, v: i32) -> i32 {
        let w = v.wrapping_shl(self.left);
        (w >> 1) + (w & 1)
    }
}

/// Shift −e < 0. The doubling high product h = ⌊(p + 2³⁰) / 2³¹⌋ and the rounding right
/// shift ⌊(h + 2^(e−1) − [h < 0]) / 2^e⌋ (half away from zero) are one floor,
/// ⌊(p + 2³⁰ + 2^(30+e) − [h < 0]·2³¹) / 2^(31+e)⌋. With a multiplier ≥ 0, [h < 0] may
/// be read as [v < 0]: they differ only where −2³⁰ ≤ p < 0, and both give 0 there. So one
/// multiply-accumulate adds the product to a constant chosen by v's sign, and, the
/// shift being 32 or more, the high word shifted right by e − 1 is the result.
#[derive(Clone, Copy)]
pub struct Fraction {
    multiplier: i32,
    constant: i64,
    shift: u32,
}

impl Exact for Fraction {
    #[inline(always)]
    fn apply(self, v: i32) -> i32 {
        let negative = (v as u32 >> 31) as i64;
        let sum = smlal(self.constant - (negative << 31), v, self.multiplier);
        ((sum >> 32) as i32) >> self.shift
    }
}

/// A multiplier and shift in their [`Exact`] form, or `None` for a negative multiplier or
/// a shift out of −31..=30 (the reference's arithmetic applies there).
#[derive(Clone, Copy)]
pub enum Exactly {
    Halving(Halving),
    Whole(Whole),
    Fraction(Fraction),
}

pub fn exact(multiplier: i32, shift: i32) -> Option<Exactly> {
    match shift {
        _ if multiplier < 0 => None,
        0..=30 if multiplier == 1 << 30 => Some(Exactly::Halving(Halving { left: shift as u32 })),
        0..=30 => Some(Exactly::Whole(Whole { multiplier, left: shift as u32 })),
        -31..=-1 => {
            let e = (-shift) as u32;
            Some(Exactly::Fraction(Fraction { multiplier, constant: (1i64 << 30) + (1i64 << (30 + e)), shift: e - 1 }))
        }
        _ => None,
    }
}

/// Calls `$f($args)` with each [`Exactly`] given bound to its name as its [`Exact`] form,
/// one monomorphised call per combination.
macro_rules! with_exact {
    ($f:ident, [$e:expr => $n:ident $(, $re:expr => $rn:ident)*], ($($arg:expr),*)) => {
        match $e {
            Exactly::Halving($n) => with_exact!($f, [$($re => $rn),*], ($($arg),*)),
            Exactly::Whole($n) => with_exact!($f, [$($re => $rn),*], ($($arg),*)),
            Exactly::Fraction($n) => with_exact!($f, [$($re => $rn),*], ($($arg),*)),
        }
    };
    ($f:ident, [], ($($arg:expr),*)) => {
        $f($($arg),*)
    };
}

/// One output channel as the fused convolution requantises it (a [`Fraction`] with a
/// shift of −2 or less, whose constant's low word is always 2³⁰), laid out for the
/// assembly's `LDM`: multiplier, the constant's high word 2^(e−2), e − 1, bias.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct Channel {
    multiplier: i32,
    high: i32,
    shift: u32,
    bias: i32,
}

impl Channel {
    /// A stand-in for a channel past the layer's last (computed, never stored).
    const NONE: Channel = Channel { multiplier: 0, high: 0, shift: 0, bias: 0 };

    /// The int16 output for accumulator `acc`, with `RELU` clamped from zero up:
    /// [`Fraction::apply`] to `acc + bias`, what the assembly computes on the core.
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
    #[inline(always)]
    pub fn output<const RELU: bool>(&self, acc: i32) -> i32 {
        let f = Fraction { multiplier: self.multiplier, constant: ((self.high as i64) << 32) | (1 << 30), shift: self.shift };
        let lo = if RELU { 0 } else { i16::MIN as i32 };
        f.apply(acc.wrapping_add(self.bias)).clamp(lo, i16::MAX as i32)
    }
}

/// Little-endian int32 words.
fn words(x: &[u8]) -> impl Iterator<Item = i32> + '_ {
    x.chunks_exact(4).map(|w| i32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// The output channels of one block of a convolution, for int16 outputs (zero point 0).
pub struct Channels {
    pub channel: [Channel; CO_BLOCK],
    /// Channels of the block that exist (fewer than [`CO_BLOCK`] in a layer's last block).
    pub n: usize,
}

impl Channels {
    pub const fn new() -> Channels {
        Channels { channel: [Channel::NONE; CO_BLOCK], n: 0 }
    }

    /// Takes the block of outputs from `co0`; false (and the block unusable) unless every
    /// channel has a multiplier ≥ 0 and a shift from −31 to −2.
    pub fn set(&mut self, p: &ConvGeometry, w: &ConvParams<'_>, co0: usize) -> bool {
        let n = CO_BLOCK.min(p.cout - co0);
        let range = 4 * co0..4 * (co0 + n);
        let (Some(b), Some(m), Some(s)) = (w.bias.get(range.clone()), w.multipliers.get(range.clone()), w.shifts.get(range)) else { return false };
        self.n = n;
        for (c, ((bias, multiplier), shift)) in self.channel.iter_mut().zip(words(b).zip(words(m)).zip(words(s))) {
            // A Fraction of shift −2 or less: its constant's low word is 2³⁰.
            match exact(multiplier, shift) {
                Some(Exactly::Fraction(f)) if f.shift >= 1 => *c = Channel { multiplier, high: (f.constant >> 32) as i32, shift: f.shift, bias },
                _ => return false,
            }
        }
        true
    }
}

/// Whether int16 outputs with zero point 0 are clamped by a ReLU (`Some(true)`), to the
/// type (`Some(false)`), or otherwise (`None`).
pub fn int16_relu(yq: Q, lo: i32, hi: i32) -> Option<bool> {
    match (yq.elem, yq.zp, lo, hi) {
        (Elem::I16, 0, -32768, 32767) => Some(false),
        (Elem::I16, 0, 0, 32767) => Some(true),
        _ => None,
    }
}

/// One element type, read and written without a per-element `match`.
pub trait Lane {
    /// Bytes per element.
    const BYTES: usize;
    /// The element that `bytes` (exactly [`Lane::BYTES`] of them) hold.
    fn read(bytes: &[u8]) -> i32;
    fn write(bytes: &mut [u8], v: i32);
}

pub struct I8;
pub struct I16;

impl Lane for I8 {
    const BYTES: usize = 1;
    #[inline(always)]
    fn read(bytes: &[u8]) -> i32 {
        bytes[0] as i8 as i32
    }
    #[inline(always)]
    fn write(bytes: &mut [u8], v: i32) {
        bytes[0] = v as i8 as u8;
    }
}

impl Lane for I16 {
    const BYTES: usize = 2;
    #[inline(always)]
    fn read(bytes: &[u8]) -> i32 {
        i16::from_le_bytes([bytes[0], bytes[1]]) as i32
    }
    #[inline(always)]
    fn write(bytes: &mut [u8], v: i32) {
        bytes.copy_from_slice(&(v as i16).to_le_bytes());
    }
}

/// Calls `$f::<A, …>` with a [`Lane`] type for each element type given.
macro_rules! with_lanes {
    ($f:ident, [$($e:expr),+], ($($arg:expr),*)) => {
        with_lanes!(@go $f, [$($e),+], [], ($($arg),*))
    };
    (@go $f:ident, [$e:expr $(, $rest:expr)*], [$($t:ty),*], ($($arg:expr),*)) => {
        match $e {
            Elem::I8 => with_lanes!(@go $f, [$($rest),*], [$($t,)* I8], ($($arg),*)),
            Elem::I16 => with_lanes!(@go $f, [$($rest),*], [$($t,)* I16], ($($arg),*)),
        }
    };
    (@go $f:ident, [], [$($t:ty),*], ($($arg:expr),*)) => {
        $f::<$($t),*>($($arg),*)
    };
}

/// [`reference::requantize_block`]: bias, scale, zero point and clamp of one block of
/// accumulators, frame by frame, with each channel's scale prepared once per block.
#[allow(clippy::too_many_arguments)]
pub fn requantize_block(p: &ConvGeometry, w: &ConvParams<'_>, acc: &BlockAcc, co0: usize, t0: usize, t_out: usize, yq: Q, lo: i32, hi: i32, y: &mut [u8]) {
    let n = CO_BLOCK.min(p.cout - co0);
    let mut scales = [None; CO_BLOCK];
    let mut biases = [0i32; CO_BLOCK];
    for j in 0..n {
        let co = co0 + j;
        scales[j] = Scale::new(i32_at(w.multipliers, 4 * co), i32_at(w.shifts, 4 * co));
        biases[j] = i32_at(w.bias, 4 * co);
    }
    let prepared = scales[..n].iter().all(Option::is_some);
    let scales = scales.map(|s| s.unwrap_or(Scale::IDENTITY));
    let relu = match (prepared, yq.elem, yq.zp, lo, hi) {
        // int16 outputs: zero point 0, clamped to the type or from 0 with a ReLU.
        (true, Elem::I16, 0, -32768, 32767) => false,
        (true, Elem::I16, 0, 0, 32767) => true,
        // Anything else: the reference.
        _ => return reference::requantize_block(p, w, acc, co0, t0, t_out, yq, lo, hi, y),
    };
    let rows = TILE_T.min(t_out - t0);
    let out = y[(t0 * p.cout + co0) * 2..].chunks_mut(p.cout * 2).take(rows);
    if relu {
        rows_i16::<true>(out, acc, &scales, &biases, n)
    } else {
        rows_i16::<false>(out, acc, &scales, &biases, n)
    }
}

/// One block's int16 outputs frame by frame, clamped to the type or, with `RELU`, from
/// zero up.
fn rows_i16<'a, const RELU: bool>(out: impl Iterator<Item = &'a mut [u8]>, acc: &BlockAcc, scales: &[Scale; CO_BLOCK], biases: &[i32; CO_BLOCK], n: usize) {
    let lo = if RELU { 0 } else { i16::MIN as i32 };
    for (row, a) in out.zip(acc.iter()) {
        for (((o, &v), s), &bias) in row[..2 * n].chunks_exact_mut(2).zip(a.iter()).zip(scales.iter()).zip(biases.iter()) {
            I16::write(o, s.apply(v.wrapping_add(bias)).clamp(lo, i16::MAX as i32));
        }
    }
}

/// [`reference::add`] with the three scales prepared once.
#[allow(clippy::too_many_arguments)]
pub fn add(aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize) {
    let scales = (Scale::new(a_rq.multiplier, a_rq.shift), Scale::new(b_rq.multiplier, b_rq.shift), Scale::new(out_rq.multiplier, out_rq.shift));
    let (Some(sa), Some(sb), Some(so)) = scales else {
        return reference::add(aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, relu, out, n);
    };
    if !(0..32).contains(&left_shift) {
        return reference::add(aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, relu, out, n);
    }
    let (lo, hi) = oq.clamp(relu);
    let int16 = |q: Q| q.elem == Elem::I16 && q.zp == 0;
    if let (true, true, Some(relu), Some(ea), Some(eb), Some(Exactly::Fraction(fo))) =
        (int16(aq), int16(bq), int16_relu(oq, lo, hi), exact(a_rq.multiplier, a_rq.shift), exact(b_rq.multiplier, b_rq.shift), exact(out_rq.multiplier, out_rq.shift))
    {
        let ls = left_shift as u32;
        let (a, b, out) = (&a[..2 * n], &b[..2 * n], &mut out[..2 * n]);
        // TFLite's int16 sum of inputs whose scales are at most 2× apart: one halved, the
        // other scaled by a fraction with a shift of −1 (the larger input may be either).
        let halving = match (ea, eb, fo.shift) {
            (Exactly::Halving(Halving { left: 0 }), Exactly::Fraction(f), 1..) if f.shift == 0 && ls == 15 => Some((a, b, f)),
            (Exactly::Fraction(f), Exactly::Halving(Halving { left: 0 }), 1..) if f.shift == 0 && ls == 15 => Some((b, a, f)),
            _ => None,
        };
        if let Some((halved, scaled, f)) = halving {
            let sum = HalvingSum { scaled: f.multiplier, multiplier: fo.multiplier, high: (fo.constant >> 32) as i32, shift: fo.shift };
            return match relu {
                true => super::halving_sum::<true>(&sum, halved, scaled, out),
                false => super::halving_sum::<false>(&sum, halved, scaled, out),
            };
        }
        return match relu {
            true => with_exact!(add_i16, [ea => sa, eb => sb], (Sum16::<_, _, true> { a: sa, b: sb, out: fo, left_shift: ls }, a, b, out)),
            false => with_exact!(add_i16, [ea => sa, eb => sb], (Sum16::<_, _, false> { a: sa, b: sb, out: fo, left_shift: ls }, a, b, out)),
        };
    }
    let sum = Sum { a: sa, azp: aq.zp, b: sb, bzp: bq.zp, out: so, ozp: oq.zp, left_shift: left_shift as u32, lo, hi };
    with_lanes!(add_as, [aq.elem, bq.elem, oq.elem], (&sum, a, b, out, n))
}

/// The constants of one [`add`].
struct Sum {
    a: Scale,
    azp: i32,
    b: Scale,
    bzp: i32,
    out: Scale,
    ozp: i32,
    left_shift: u32,
    lo: i32,
    hi: i32,
}

fn add_as<A: Lane, B: Lane, O: Lane>(s: &Sum, a: &[u8], b: &[u8], out: &mut [u8], n: usize) {
    let (a, b, out) = (&a[..n * A::BYTES], &b[..n * B::BYTES], &mut out[..n * O::BYTES]);
    for ((o, x), y) in out.chunks_exact_mut(O::BYTES).zip(a.chunks_exact(A::BYTES)).zip(b.chunks_exact(B::BYTES)) {
        let sa = s.a.apply((A::read(x) - s.azp) << s.left_shift);
        let sb = s.b.apply((B::read(y) - s.bzp) << s.left_shift);
        O::write(o, s.out.apply(sa.wrapping_add(sb)).wrapping_add(s.ozp).clamp(s.lo, s.hi));
    }
}

/// [`reference::rescale`] with the scale prepared once.
pub fn rescale(xq: Q, x: &[u8], rq: Option<Requant>, oq: Q, relu: bool, out: &mut [u8], n: usize) {
    let Some(r) = rq else {
        // Equal scales: int16 to int16 only clamps (a ReLU) or copies.
        let (lo, hi) = oq.clamp(relu);
        return match (xq.elem, xq.zp, int16_relu(oq, lo, hi)) {
            (Elem::I16, 0, Some(true)) => rescale_i16(Clamped16, &x[..2 * n], &mut out[..2 * n]),
            _ => reference::rescale(xq, x, rq, oq, relu, out, n),
        };
    };
    let Some(scale) = Scale::new(r.multiplier, r.shift) else {
        return reference::rescale(xq, x, rq, oq, relu, out, n);
    };
    let (lo, hi) = oq.clamp(relu);
    if let (Elem::I16, 0, Some(relu), Some(e)) = (xq.elem, xq.zp, int16_relu(oq, lo, hi), exact(r.multiplier, r.shift)) {
        let (x, out) = (&x[..2 * n], &mut out[..2 * n]);
        return match relu {
            true => with_exact!(rescale_i16, [e => s], (Rescale16::<_, true>(s), x, out)),
            false => with_exact!(rescale_i16, [e => s], (Rescale16::<_, false>(s), x, out)),
        };
    }
    with_lanes!(rescale_as, [xq.elem, oq.elem], (&scale, xq.zp, oq.zp, lo, hi, x, out, n))
}

/// An elementwise map of int16 tensors (zero points 0) whose outputs are int16 clamped to
/// the type or, with a ReLU, from zero up.
trait Map16: Copy {
    /// The output for input elements `x` and `y` (`y` unused by a one-input map).
    fn output(self, x: i32, y: i32) -> i32;
}

#[inline(always)]
fn clamp16<const RELU: bool>(v: i32) -> i32 {
    v.clamp(if RELU { 0 } else { i16::MIN as i32 }, i16::MAX as i32)
}

/// [`add`]'s scales in [`Exact`] form.
#[derive(Clone, Copy)]
struct Sum16<A, B, const RELU: bool> {
    a: A,
    b: B,
    out: Fraction,
    left_shift: u32,
}

impl<A: Exact, B: Exact, const RELU: bool> Map16 for Sum16<A, B, RELU> {
    #[inline(always)]
    fn output(self, x: i32, y: i32) -> i32 {
        let (x, y) = (self.a.apply(x << self.left_shift), self.b.apply(y << self.left_shift));
        clamp16::<RELU>(self.out.apply(x.wrapping_add(y)))
    }
}

/// A sum of int16 tensors (left shift 15) in which one input is halved ([`Halving`] of
/// shift 0: x · 2¹⁴) and the other scaled by a [`Fraction`] of shift −1 (multiplier
/// `scaled`), the output by a [`Fraction`] of shift −2 or less (`multiplier`, the
/// constant's high word `high`, `shift` e − 1): the constants the core's kernel for it
/// keeps in registers.
pub struct HalvingSum {
    pub scaled: i32,
    pub multiplier: i32,
    pub high: i32,
    pub shift: u32,
}

impl HalvingSum {
    /// The output for the halved input `x` and the scaled `y`, with `RELU` clamped from
    /// zero up: [`Sum16`]'s arithmetic.
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
    #[inline(always)]
    pub fn output<const RELU: bool>(&self, x: i32, y: i32) -> i32 {
        let scaled = Fraction { multiplier: self.scaled, constant: (1 << 30) + (1 << 31), shift: 0 };
        let out = Fraction { multiplier: self.multiplier, constant: ((self.high as i64) << 32) | (1 << 30), shift: self.shift };
        Sum16::<_, _, RELU> { a: Halving { left: 0 }, b: scaled, out, left_shift: 15 }.output(x, y)
    }
}

/// [`rescale`]'s scale in [`Exact`] form.
#[derive(Clone, Copy)]
struct Rescale16<S, const RELU: bool>(S);

impl<S: Exact, const RELU: bool> Map16 for Rescale16<S, RELU> {
    #[inline(always)]
    fn output(self, x: i32, _: i32) -> i32 {
        clamp16::<RELU>(self.0.apply(x))
    }
}

/// A ReLU of int16 values, nothing else.
#[derive(Clone, Copy)]
struct Clamped16;

impl Map16 for Clamped16 {
    #[inline(always)]
    fn output(self, x: i32, _: i32) -> i32 {
        x.max(0)
    }
}

/// [`add`] of int16 tensors.
fn add_i16<M: Map16>(m: M, a: &[u8], b: &[u8], out: &mut [u8]) {
    for ((o, x), y) in out.chunks_exact_mut(2).zip(a.chunks_exact(2)).zip(b.chunks_exact(2)) {
        I16::write(o, m.output(I16::read(x), I16::read(y)));
    }
}

/// [`rescale`] of int16 tensors.
fn rescale_i16<M: Map16>(m: M, x: &[u8], out: &mut [u8]) {
    for (o, x) in out.chunks_exact_mut(2).zip(x.chunks_exact(2)) {
        I16::write(o, m.output(I16::read(x), 0));
    }
}

#[allow(clippy::too_many_arguments)]
fn rescale_as<X: Lane, O: Lane>(scale: &Scale, xzp: i32, ozp: i32, lo: i32, hi: i32, x: &[u8], out: &mut [u8], n: usize) {
    let (x, out) = (&x[..n * X::BYTES], &mut out[..n * O::BYTES]);
    for (o, v) in out.chunks_exact_mut(O::BYTES).zip(x.chunks_exact(X::BYTES)) {
        O::write(o, scale.apply(X::read(v) - xzp).wrapping_add(ozp).clamp(lo, hi));
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::super::super::super::fixed::multiply_by_quantized_multiplier;
    use super::{exact, Exact, Exactly, Scale};

    /// The prepared scale against the reference on the edges of its arithmetic: extreme
    /// inputs, ties in both directions, every shift.
    #[test]
    fn scale_rounds_as_the_reference() {
        let mut s = 11u64;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 32) as u32 as i32
        };
        let xs = [0, 1, -1, 2, -2, 3, -3, i32::MAX, i32::MIN, i32::MIN + 1, 1 << 30, -(1 << 30), 12345, -12345];
        let ms = [0, 1, -1, 1 << 30, i32::MAX, -i32::MAX, (1 << 30) + 12345, -(1 << 30)];
        for shift in -31..=30 {
            for &m in &ms {
                let scale = Scale::new(m, shift).unwrap();
                for &x in &xs {
                    assert_eq!(scale.apply(x), multiply_by_quantized_multiplier(x, m, shift), "{x} · {m} at shift {shift}");
                }
            }
            for _ in 0..2000 {
                let (x, m) = (next(), next());
                let x = x >> (next() as u32 % 32);
                if let Some(scale) = Scale::new(m, shift) {
                    assert_eq!(scale.apply(x), multiply_by_quantized_multiplier(x, m, shift), "{x} · {m} at shift {shift}");
                }
            }
        }
        assert!(Scale::new(i32::MIN, 0).is_none());
        assert!(Scale::new(1 << 30, 31).is_none());
        assert!(Scale::new(1 << 30, -32).is_none());
    }

    /// The multiply-accumulate forms against the reference: every shift, multipliers from
    /// 0 to the largest, inputs at the ends of the range, ties and the values around
    /// −2³⁰ ≤ p < 0 where the sign test reads v instead of the product.
    #[test]
    fn exact_forms_round_as_the_reference() {
        let mut s = 29u64;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 32) as u32 as i32
        };
        let xs = [0, 1, -1, 2, -2, 3, -3, i32::MAX, i32::MIN, i32::MIN + 1, 1 << 30, -(1 << 30), 12345, -12345, 32767 << 15, -32768 << 15];
        let ms = [0, 1, 2, 1 << 30, (1 << 30) + 1, i32::MAX, i32::MAX - 1, (1 << 30) + 12345, 1581883514];
        for shift in -31..=30 {
            let check = |x: i32, m: i32| {
                let want = multiply_by_quantized_multiplier(x, m, shift);
                let got = match exact(m, shift).expect("a multiplier ≥ 0 with a shift in range") {
                    Exactly::Halving(h) => h.apply(x),
                    Exactly::Whole(w) => w.apply(x),
                    Exactly::Fraction(f) => f.apply(x),
                };
                assert_eq!(got, want, "{x} · {m} at shift {shift}");
            };
            for &m in &ms {
                xs.iter().for_each(|&x| check(x, m));
                // Products just below zero: −2³⁰ ≤ x·m < 0.
                if m > 0 {
                    for x in [-(1i64 << 30) / m as i64, -(1i64 << 30) / m as i64 - 1, -1] {
                        check(x as i32, m);
                    }
                }
                // Ties of the right shift: x·m/2³¹ lands on k + ½ (m = 2³⁰ halves exactly).
                if m == 1 << 30 && shift < 0 {
                    let e = -shift as u32;
                    for k in [-3i64, -2, -1, 0, 1, 2] {
                        let x = (2 * k + 1) << (e - 1) << 1;
                        if let Ok(x) = i32::try_from(x) {
                            check(x, m);
                        }
                    }
                }
            }
            for _ in 0..3000 {
                let (x, m) = (next() >> (next() as u32 % 32), next() & i32::MAX);
                check(x, m);
            }
        }
        assert!(exact(-1, -3).is_none());
        assert!(exact(i32::MIN, 0).is_none());
        assert!(exact(1 << 30, 31).is_none());
        assert!(exact(1 << 30, -32).is_none());
    }
}
