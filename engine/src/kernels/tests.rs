//! Every kernel set against the portable reference, on random shapes and data: each
//! must give the same bytes.

#![forbid(unsafe_code)]

extern crate std;

use std::vec;
use std::vec::Vec;

use super::super::conv::{ConvGeometry, ConvParams};
use super::super::format::packed_weight_bytes;
use super::super::quant::{Elem, Requant, Q};
use super::{cortex_m, wasm, Kernels};

/// The optimised sets to check: those this CPU runs, and the Cortex-M DSP and wasm
/// SIMD128 sets (on emulations of their instructions elsewhere).
fn optimised() -> Vec<Kernels> {
    let mut sets: Vec<Kernels> = Kernels::available().into_iter().skip(1).collect();
    if !sets.iter().any(|k| k.name() == "Cortex-M DSP") {
        sets.push(cortex_m::Dsp::detect().expect("always there").kernels());
    }
    if !sets.iter().any(|k| k.name() == "wasm SIMD128") {
        sets.push(wasm::Simd128::detect().expect("always there").kernels());
    }
    sets
}

/// A tiny deterministic generator for test data.
fn lcg(state: &mut u64) -> u32 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (*state >> 33) as u32
}

/// One convolution on random data with every set; panics unless all equal the reference.
#[allow(clippy::too_many_arguments)]
fn check_conv(sets: &[Kernels], g: ConvGeometry, xq: Q, yq: Q, relu: bool, t_in: usize, s: &mut u64) {
    let Some(t_out) = g.out_len(t_in, g.pad_begin) else { return };
    let (cin, cout) = (g.cin, g.cout);
    let taps = g.kernel * cin;
    let weights: Vec<i8> = (0..packed_weight_bytes(cout, taps)).map(|_| lcg(s) as i8).collect();
    let x: Vec<u8> = (0..t_in * cin * xq.elem.bytes()).map(|_| lcg(s) as u8).collect();
    let bias: Vec<u8> = (0..cout).flat_map(|_| (lcg(s) as i32 % 5000).to_le_bytes()).collect();
    // A channel in twelve has a negative multiplier, one in twelve a shift from −1 to 1:
    // the optimised sets may take another path for the blocks that hold them.
    let odd = |s: &mut u64| lcg(s) % 12;
    let mult: Vec<u8> = (0..cout).flat_map(|_| (if odd(s) == 0 { -1 } else { 1 } * ((1 << 30) + (lcg(s) >> 2) as i32)).to_le_bytes()).collect();
    // Large layers sum more products: shift further so that not everything saturates.
    let extra = (taps / 64).max(1).ilog2() as i32;
    let shift: Vec<u8> = (0..cout).flat_map(|_| if odd(s) == 0 { lcg(s) as i32 % 3 - 1 } else { -(8 + extra + lcg(s) as i32 % 6) }.to_le_bytes()).collect();
    let mut cols = vec![0i16; g.scratch_len()];
    let n = t_out * cout * yq.elem.bytes();
    let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
    let w = ConvParams { weights: &weights, bias: &bias, multipliers: &mult, shifts: &shift };
    Kernels::REFERENCE.conv1d(&g, &w, xq, &x, t_in, yq, relu, &mut a, t_out, &mut cols);
    for k in sets {
        b.fill(0x5a);
        k.conv1d(&g, &w, xq, &x, t_in, yq, relu, &mut b, t_out, &mut cols);
        assert_eq!(a, b, "{k:?}: {g:?}, {t_in} frames");
    }
}

#[test]
fn every_set_convolves_as_the_reference() {
    let sets = optimised();
    let mut s = 3u64;
    for _ in 0..300 {
        let cin = 1 + lcg(&mut s) as usize % 40;
        let cout = 1 + lcg(&mut s) as usize % 40;
        let kernel = 1 + lcg(&mut s) as usize % 5;
        let dilation = 1 + lcg(&mut s) as usize % 3;
        let stride = 1 + lcg(&mut s) as usize % 2;
        let pad = lcg(&mut s) as usize % 4;
        let g = ConvGeometry { cin, cout, kernel, dilation, stride, pad_begin: pad };
        let wide = lcg(&mut s).is_multiple_of(2);
        let xq = if wide { Q { elem: Elem::I16, zp: 0 } } else { Q { elem: Elem::I8, zp: lcg(&mut s) as i32 % 50 - 25 } };
        let yq = if lcg(&mut s).is_multiple_of(2) { Q { elem: Elem::I16, zp: 0 } } else { Q { elem: Elem::I8, zp: 3 } };
        let relu = lcg(&mut s).is_multiple_of(2);
        let t_in = 1 + lcg(&mut s) as usize % 30;
        check_conv(&sets, g, xq, yq, relu, t_in, &mut s);
    }
}

/// Layers with many taps per output, past what the optimised sets keep at hand (widened
/// weights, a row of zeros for the padding), with int16 inputs read in place.
#[test]
fn every_set_convolves_large_layers_as_the_reference() {
    let sets = optimised();
    let mut s = 11u64;
    let i16q = Q { elem: Elem::I16, zp: 0 };
    for (cin, cout, kernel, dilation, pad) in [(300, 37, 3, 2, 2), (258, 16, 2, 1, 1), (513, 21, 1, 1, 0), (1030, 9, 1, 1, 0), (1024, 40, 1, 1, 0), (64, 101, 5, 3, 6)] {
        let g = ConvGeometry { cin, cout, kernel, dilation, stride: 1, pad_begin: pad };
        for (t_in, relu) in [(19, false), (24, true)] {
            check_conv(&sets, g, i16q, i16q, relu, t_in, &mut s);
            check_conv(&sets, g, i16q, Q { elem: Elem::I8, zp: -5 }, relu, t_in, &mut s);
        }
    }
}

#[test]
fn every_set_adds_and_rescales_as_the_reference() {
    let sets = optimised();
    let mut s = 5u64;
    let elems = [Elem::I8, Elem::I16];
    for _ in 0..300 {
        let n = lcg(&mut s) as usize % 70;
        let q = |s: &mut u64| {
            let elem = elems[lcg(s) as usize % 2];
            Q { elem, zp: if elem == Elem::I8 { (lcg(s) % 256) as i32 - 128 } else { 0 } }
        };
        let (aq, bq, oq) = (q(&mut s), q(&mut s), q(&mut s));
        let a: Vec<u8> = (0..n * 2).map(|_| lcg(&mut s) as u8).collect();
        let b: Vec<u8> = (0..n * 2).map(|_| lcg(&mut s) as u8).collect();
        // One multiplier in four is exactly one half, TFLite's for the larger input of a sum.
        let rq = |s: &mut u64, lo: i32| Requant { multiplier: (1 << 30) + if lcg(s) % 4 == 0 { 0 } else { (lcg(s) >> 2) as i32 }, shift: lo - (lcg(s) % 4) as i32 };
        // Shifts of either sign: without a right shift the optimised sets skip the rounding.
        let (ra, rb) = (rq(&mut s, 1), rq(&mut s, 1));
        let ro = if lcg(&mut s).is_multiple_of(4) { rq(&mut s, 1) } else { rq(&mut s, -14) };
        let relu = lcg(&mut s).is_multiple_of(2);
        let (mut x, mut y) = (vec![0u8; 2 * n], vec![0u8; 2 * n]);
        Kernels::REFERENCE.add(aq, &a, ra, bq, &b, rb, 15, oq, ro, relu, &mut x, n);
        for k in &sets {
            k.add(aq, &a, ra, bq, &b, rb, 15, oq, ro, relu, &mut y, n);
            assert_eq!(x, y, "{k:?} add {aq:?} {bq:?} -> {oq:?}");
        }
        let lo = 1 - (lcg(&mut s) % 3) as i32;
        let rs = rq(&mut s, lo);
        for rq in [Some(rs), None] {
            Kernels::REFERENCE.rescale(aq, &a, rq, oq, relu, &mut x, n);
            for k in &sets {
                k.rescale(aq, &a, rq, oq, relu, &mut y, n);
                assert_eq!(x, y, "{k:?} rescale by {rq:?}");
            }
        }
    }
}

/// Sums in the shape TFLite gives int16 models: left shift 15, one input's scale exactly
/// one half, the other's a fraction with a shift of −1, the output's a small fraction;
/// either input the halved one, on values that reach the ends of the type and on small
/// ones whose roundings show in the output.
#[test]
fn every_set_adds_tflite_int16_sums_as_the_reference() {
    let sets = optimised();
    let mut s = 13u64;
    let q = Q { elem: Elem::I16, zp: 0 };
    for _ in 0..200 {
        let n = lcg(&mut s) as usize % 70;
        // Small sums keep the intermediate roundings visible in the output.
        let small = lcg(&mut s).is_multiple_of(2);
        let value = |s: &mut u64| match lcg(s) % 8 {
            0 => [0x00, 0x80],
            1 => [0xff, 0x7f],
            _ if small => ((lcg(s) % 41) as i16 - 20).to_le_bytes(),
            _ => (lcg(s) as u16).to_le_bytes(),
        };
        let a: Vec<u8> = (0..n).flat_map(|_| value(&mut s)).collect();
        let b: Vec<u8> = (0..n).flat_map(|_| value(&mut s)).collect();
        let half = Requant { multiplier: 1 << 30, shift: 0 };
        let fraction = Requant { multiplier: (1 << 30) + (lcg(&mut s) >> 2) as i32, shift: -1 };
        let out_rq = Requant { multiplier: (1 << 30) + (lcg(&mut s) >> 2) as i32, shift: if small { -2 - (lcg(&mut s) % 8) as i32 } else { -13 - (lcg(&mut s) % 3) as i32 } };
        let (ra, rb) = if lcg(&mut s).is_multiple_of(2) { (half, fraction) } else { (fraction, half) };
        let relu = lcg(&mut s).is_multiple_of(2);
        let (mut x, mut y) = (vec![0u8; 2 * n], vec![0u8; 2 * n]);
        Kernels::REFERENCE.add(q, &a, ra, q, &b, rb, 15, q, out_rq, relu, &mut x, n);
        for k in &sets {
            y.fill(0x5a);
            k.add(q, &a, ra, q, &b, rb, 15, q, out_rq, relu, &mut y, n);
            assert_eq!(x, y, "{k:?} add {ra:?} + {rb:?} -> {out_rq:?}");
        }
    }
}

#[test]
fn every_set_quantizes_and_dequantizes_as_the_reference() {
    let sets = optimised();
    let mut s = 7u64;
    // Ties, values past the clamps and the element ranges, infinities and NaN among
    // ordinary values.
    let special = [0.5f32, -0.5, 1.5, -2.5, 0.49999997, -0.49999997, 8388607.5, 3.0e6, -3.0e6, 40000.0, -40000.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -0.0, 1.0e-30];
    for _ in 0..200 {
        let channels = 1 + lcg(&mut s) as usize % 40;
        let frames = 1 + lcg(&mut s) as usize % 40;
        let n = channels * frames;
        let src: Vec<f32> = (0..n)
            .map(|_| match lcg(&mut s) % 4 {
                0 => special[lcg(&mut s) as usize % special.len()],
                1 => (lcg(&mut s) % 512) as f32 * 0.25 - 64.0,
                _ => f32::from_bits(lcg(&mut s) & 0x3fff_ffff | (lcg(&mut s) & 1) << 31),
            })
            .collect();
        let factor = [1.0f32, 0.37, 130.0, 9000.0][lcg(&mut s) as usize % 4];
        let q = if lcg(&mut s).is_multiple_of(2) { Q { elem: Elem::I16, zp: 0 } } else { Q { elem: Elem::I8, zp: lcg(&mut s) as i32 % 50 - 25 } };
        let (mut a, mut b) = (vec![0u8; n * q.elem.bytes()], vec![0u8; n * q.elem.bytes()]);
        Kernels::REFERENCE.quantize(&src, channels, frames, factor, q, &mut a);
        let (mut fa, mut fb) = (vec![0f32; n], vec![0f32; n]);
        Kernels::REFERENCE.dequantize(q, &a, channels, frames, 0.013, &mut fa);
        for k in &sets {
            b.fill(0x5a);
            k.quantize(&src, channels, frames, factor, q, &mut b);
            assert_eq!(a, b, "{k:?}: quantize {channels} × {frames} by {factor} to {q:?}");
            k.dequantize(q, &a, channels, frames, 0.013, &mut fb);
            assert!(fa.iter().zip(&fb).all(|(x, y)| x.to_bits() == y.to_bits()), "{k:?}: dequantize {channels} × {frames} from {q:?}");
        }
    }
}
