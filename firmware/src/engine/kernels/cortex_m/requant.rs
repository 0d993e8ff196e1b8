//! Requantisation with its constants worked out once per channel (or once per op) instead
//! of per element, and element access resolved outside the loops: the same integers as
//! [`fixed::requantize`](super::super::super::fixed::requantize) and
//! [`reference::add`](super::super::reference::add), in about a third of the instructions.
//! Plain Rust: the host's tests run it as it is.

#![forbid(unsafe_code)]

use super::super::super::bytes::i32_at;
use super::super::super::conv::{BlockAcc, ConvGeometry, ConvParams, TILE_T};
use super::super::super::format::CO_BLOCK;
use super::super::super::quant::{Elem, Q, Requant};
use super::super::reference;

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
        return reference::rescale(xq, x, rq, oq, relu, out, n);
    };
    let Some(scale) = Scale::new(r.multiplier, r.shift) else {
        return reference::rescale(xq, x, rq, oq, relu, out, n);
    };
    let (lo, hi) = oq.clamp(relu);
    with_lanes!(rescale_as, [xq.elem, oq.elem], (&scale, xq.zp, oq.zp, lo, hi, x, out, n))
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
    use super::Scale;

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
}
