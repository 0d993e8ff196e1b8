//! Every kernel set against the portable one, on the machine itself, on random data
//! shaped where the optimised sets leave plain Rust: convolutions (full and partial
//! blocks of outputs, fewer frames than a pass), TFLite's int16 sums (either input halved;
//! small values, so that every intermediate rounding shows in the output) and rescales.
//! The host's tests check the same paths on models of the instructions; a board runs this
//! to check the instructions themselves (the emulated Cortex-M boards with `golden`, the
//! WebAssembly module under Node.js and in the browser). No heap: the caller lends the
//! buffers.

#![forbid(unsafe_code)]

use super::super::conv::{ConvGeometry, ConvParams};
use super::super::format::packed_weight_bytes;
use super::super::quant::{Elem, Requant, Q};
use super::Kernels;

const MAX_WEIGHTS: usize = 4096;
const MAX_VALUES: usize = 1024;
const MAX_SCRATCH: usize = 2048;

/// A tiny deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    /// A little-endian int16 stream: small values, with the type's ends now and then.
    fn int16(&mut self, out: &mut [u8], small: bool) {
        for v in out.chunks_exact_mut(2) {
            let x = match self.next() % 8 {
                0 => i16::MIN,
                1 => i16::MAX,
                _ if small => (self.next() % 41) as i16 - 20,
                _ => self.next() as i16,
            };
            v.copy_from_slice(&x.to_le_bytes());
        }
    }
}

/// The working memory of a check (about 12 KB: a static on a board).
pub struct Buffers {
    weights: [i8; MAX_WEIGHTS],
    x: [u8; MAX_VALUES],
    y: [u8; MAX_VALUES],
    want: [u8; MAX_VALUES],
    got: [u8; MAX_VALUES],
    cols: [i16; MAX_SCRATCH],
    channels: [u8; 3 * 4 * 64],
}

impl Buffers {
    pub const fn new() -> Self {
        Buffers { weights: [0; MAX_WEIGHTS], x: [0; MAX_VALUES], y: [0; MAX_VALUES], want: [0; MAX_VALUES], got: [0; MAX_VALUES], cols: [0; MAX_SCRATCH], channels: [0; 3 * 4 * 64] }
    }
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}

/// How one set compared.
#[derive(Clone, Copy, Debug)]
pub struct Agreement {
    pub kernels: Kernels,
    /// Cases whose output differs from the portable set's.
    pub differ: usize,
    pub cases: usize,
}

/// Compares every optimised set this machine runs with the portable one; `report` hears
/// of each. Returns whether every set agreed.
pub fn run(b: &mut Buffers, mut report: impl FnMut(Agreement)) -> bool {
    let mut all = true;
    for k in Kernels::available().into_iter().skip(1) {
        let a = check(b, k);
        all &= a.differ == 0;
        report(a);
    }
    all
}

/// One set against the portable one.
pub fn check(b: &mut Buffers, k: Kernels) -> Agreement {
    let mut rng = Lcg(17);
    let q16 = Q { elem: Elem::I16, zp: 0 };
    let (mut cases, mut differ) = (0, 0);
    // Convolutions: full and partial blocks, odd channel counts, 1 to 13 frames, int16
    // and int8 inputs.
    for (cin, cout, kernel) in [(24, 16, 3), (10, 19, 3), (32, 8, 1), (6, 5, 2), (7, 9, 5)] {
        for t_in in [1, 3, 4, 5, 9, 13] {
            for relu in [false, true] {
                let g = ConvGeometry { cin, cout, kernel, dilation: 1 + (t_in % 2), stride: 1, pad_begin: kernel / 2 };
                let Some(t_out) = g.out_len(t_in, kernel / 2) else { continue };
                let taps = kernel * cin;
                let nw = packed_weight_bytes(cout, taps);
                b.weights[..nw].iter_mut().for_each(|w| *w = rng.next() as i8);
                rng.int16(&mut b.x[..2 * t_in * cin], false);
                let (bias, rest) = b.channels.split_at_mut(4 * 64);
                let (mult, shift) = rest.split_at_mut(4 * 64);
                for c in 0..cout {
                    bias[4 * c..4 * c + 4].copy_from_slice(&(rng.next() as i32 % 5000).to_le_bytes());
                    mult[4 * c..4 * c + 4].copy_from_slice(&((1 << 30) + (rng.next() >> 2) as i32).to_le_bytes());
                    shift[4 * c..4 * c + 4].copy_from_slice(&(-(9 + (rng.next() % 8) as i32)).to_le_bytes());
                }
                let w = ConvParams { weights: &b.weights[..nw], bias: &bias[..4 * cout], multipliers: &mult[..4 * cout], shifts: &shift[..4 * cout] };
                let xq = if relu { q16 } else { Q { elem: Elem::I8, zp: (rng.next() % 41) as i32 - 20 } };
                let n = 2 * t_out * cout;
                Kernels::REFERENCE.conv1d(&g, &w, xq, &b.x, t_in, q16, relu, &mut b.want[..n], t_out, &mut b.cols);
                k.conv1d(&g, &w, xq, &b.x, t_in, q16, relu, &mut b.got[..n], t_out, &mut b.cols);
                differ += (b.want[..n] != b.got[..n]) as usize;
                cases += 1;
            }
        }
    }
    // Sums in TFLite's int16 shape and rescales, on small and full-range values.
    for case in 0..64 {
        let n = 1 + rng.next() as usize % 200;
        let small = case % 2 == 0;
        rng.int16(&mut b.x[..2 * n], small);
        rng.int16(&mut b.y[..2 * n], small);
        let half = Requant { multiplier: 1 << 30, shift: 0 };
        let fraction = Requant { multiplier: (1 << 30) + (rng.next() >> 2) as i32, shift: -1 };
        let out = Requant { multiplier: (1 << 30) + (rng.next() >> 2) as i32, shift: if small { -2 - (rng.next() % 8) as i32 } else { -14 } };
        let (ra, rb) = if case % 4 < 2 { (half, fraction) } else { (fraction, half) };
        let relu = case % 8 < 4;
        Kernels::REFERENCE.add(q16, &b.x, ra, q16, &b.y, rb, 15, q16, out, relu, &mut b.want, n);
        k.add(q16, &b.x, ra, q16, &b.y, rb, 15, q16, out, relu, &mut b.got, n);
        differ += (b.want[..2 * n] != b.got[..2 * n]) as usize;
        let scale = Requant { multiplier: (1 << 30) + (rng.next() >> 2) as i32, shift: 1 - (rng.next() % 4) as i32 };
        for rq in [Some(scale), None] {
            Kernels::REFERENCE.rescale(q16, &b.x, rq, q16, relu, &mut b.want, n);
            k.rescale(q16, &b.x, rq, q16, relu, &mut b.got, n);
            differ += (b.want[..2 * n] != b.got[..2 * n]) as usize;
        }
        cases += 3;
    }
    Agreement { kernels: k, differ, cases }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn every_set_on_this_machine_agrees_and_a_wrong_one_is_caught() {
        let mut b = std::boxed::Box::new(Buffers::new());
        assert!(run(&mut b, |a| assert!(a.cases > 200 && a.differ == 0, "{a:?}")));
        // A set that rounds one way wrong must be seen.
        #[allow(clippy::too_many_arguments)]
        fn off_by_one(p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
            super::super::reference::conv1d(p, w, xq, x, t_in, yq, relu, y, t_out, cols);
            y[0] ^= 1;
        }
        let wrong = Kernels { name: "wrong", conv1d: off_by_one, ..Kernels::REFERENCE };
        assert!(check(&mut b, wrong).differ > 0);
    }
}
