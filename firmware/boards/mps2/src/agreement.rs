//! Every kernel set against the portable one on the board itself, on random data shaped
//! where the optimised sets leave plain Rust for assembly: convolutions requantised in
//! the registers (full and partial blocks, fewer frames than a pass), TFLite's int16 sums
//! (either input halved; small values, so that every intermediate rounding shows in the
//! output) and rescales. The host's tests check the same paths on an emulation of the
//! instructions; this checks the instructions.

use cortex_m_semihosting::hprintln;
use kantor_core::engine::conv::{ConvGeometry, ConvParams};
use kantor_core::engine::format::packed_weight_bytes;
use kantor_core::engine::quant::{Elem, Requant, Q};
use kantor_core::engine::Kernels;

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

static mut BUFFERS: Buffers = Buffers {
    weights: [0; MAX_WEIGHTS],
    x: [0; MAX_VALUES],
    y: [0; MAX_VALUES],
    want: [0; MAX_VALUES],
    got: [0; MAX_VALUES],
    cols: [0; MAX_SCRATCH],
    channels: [0; 3 * 4 * 64],
};

struct Buffers {
    weights: [i8; MAX_WEIGHTS],
    x: [u8; MAX_VALUES],
    y: [u8; MAX_VALUES],
    want: [u8; MAX_VALUES],
    got: [u8; MAX_VALUES],
    cols: [i16; MAX_SCRATCH],
    channels: [u8; 3 * 4 * 64],
}

/// Runs the comparisons; returns whether every set agreed with the portable one.
pub fn run() -> bool {
    // SAFETY: called once, before anything else uses these buffers.
    let b = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
    let mut rng = Lcg(17);
    let q = Q { elem: Elem::I16, zp: 0 };
    let mut cases = 0;
    let mut all = true;
    for k in Kernels::available().into_iter().skip(1) {
        let mut differ = 0;
        // Convolutions: full and partial blocks, odd channel counts, 1 to 13 frames.
        for (cin, cout, kernel) in [(24, 16, 3), (10, 19, 3), (32, 8, 1), (6, 5, 2)] {
            for t_in in [1, 3, 4, 5, 13] {
                for relu in [false, true] {
                    let g = ConvGeometry { cin, cout, kernel, dilation: 1, stride: 1, pad_begin: kernel / 2 };
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
                    let n = 2 * t_out * cout;
                    Kernels::REFERENCE.conv1d(&g, &w, q, &b.x, t_in, q, relu, &mut b.want[..n], t_out, &mut b.cols);
                    k.conv1d(&g, &w, q, &b.x, t_in, q, relu, &mut b.got[..n], t_out, &mut b.cols);
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
            Kernels::REFERENCE.add(q, &b.x, ra, q, &b.y, rb, 15, q, out, relu, &mut b.want, n);
            k.add(q, &b.x, ra, q, &b.y, rb, 15, q, out, relu, &mut b.got, n);
            differ += (b.want[..2 * n] != b.got[..2 * n]) as usize;
            let scale = Requant { multiplier: (1 << 30) + (rng.next() >> 2) as i32, shift: 1 - (rng.next() % 4) as i32 };
            for rq in [Some(scale), None] {
                Kernels::REFERENCE.rescale(q, &b.x, rq, q, relu, &mut b.want, n);
                k.rescale(q, &b.x, rq, q, relu, &mut b.got, n);
                differ += (b.want[..2 * n] != b.got[..2 * n]) as usize;
            }
            cases += 3;
        }
        hprintln!("kernel agreement with {:?} kernels: {} of {} cases differ from the portable set", k, differ, cases);
        all &= differ == 0;
        cases = 0;
    }
    all
}
