//! One-dimensional convolution over a batch of sequences, as im2col + one matrix product.
//!
//! A batch of `samples` sequences of `frames` steps is stored channel-major with the
//! samples side by side: value `(c, s, t)` sits at `c * samples * frames + s * frames + t`.
//! Every convolution is "same" with zero padding (odd kernel, `dilation * (k - 1) / 2`
//! zeros on each side of every sample), so the network is length-agnostic and samples
//! never see each other.

use matrixmultiply::sgemm;

/// The shape of one convolution: `cout` filters over `cin` channels, `kernel` taps spaced
/// `dilation` frames apart. Weights are `[cout, cin, kernel]` row-major, as in ONNX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    pub cin: usize,
    pub cout: usize,
    pub kernel: usize,
    pub dilation: usize,
}

impl ConvShape {
    /// Number of weights (without the bias).
    pub const fn weights(&self) -> usize {
        self.cout * self.cin * self.kernel
    }

    /// Rows of the im2col matrix (`cin * kernel`).
    pub const fn rows(&self) -> usize {
        self.cin * self.kernel
    }

    /// Zeros padded on each side of a sample.
    pub const fn padding(&self) -> usize {
        self.dilation * (self.kernel - 1) / 2
    }

    /// Offset in frames of tap `k` from the output frame.
    fn tap_offset(&self, k: usize) -> isize {
        (k as isize - (self.kernel as isize - 1) / 2) * self.dilation as isize
    }
}

/// `c = beta * c + op(a) · op(b)` for row-major matrices: `op(a)` is `m × k`, `op(b)` is
/// `k × n`, `c` is `m × n`; `ta`/`tb` say that `a`/`b` are stored transposed.
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool, beta: f32, c: &mut [f32]) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "gemm operand too small");
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: the asserts above keep every index the strides reach inside the slices.
    unsafe {
        sgemm(m, k, n, 1.0, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, beta, c.as_mut_ptr(), n as isize, 1);
    }
}

/// Unrolls `input` (`cin × samples·frames`) into `cols` (`cin·kernel × samples·frames`):
/// row `ci * kernel + k` holds channel `ci` shifted by tap `k`, zero outside each sample.
pub fn im2col(shape: &ConvShape, input: &[f32], samples: usize, frames: usize, cols: &mut [f32]) {
    let n = samples * frames;
    for ci in 0..shape.cin {
        let src = &input[ci * n..(ci + 1) * n];
        for k in 0..shape.kernel {
            let off = shape.tap_offset(k);
            let dst = &mut cols[(ci * shape.kernel + k) * n..(ci * shape.kernel + k + 1) * n];
            for s in 0..samples {
                let (lo, hi) = valid_range(off, frames);
                let row = &mut dst[s * frames..(s + 1) * frames];
                row[..lo].fill(0.0);
                row[hi..].fill(0.0);
                if hi == lo {
                    continue;
                }
                let base = s * frames;
                let from = (base as isize + lo as isize + off) as usize;
                row[lo..hi].copy_from_slice(&src[from..from + (hi - lo)]);
            }
        }
    }
}

/// Adds the im2col gradient `cols` back onto the input gradient `grad_input`
/// (the adjoint of [`im2col`]).
pub fn col2im_add(shape: &ConvShape, cols: &[f32], samples: usize, frames: usize, grad_input: &mut [f32]) {
    let n = samples * frames;
    for ci in 0..shape.cin {
        let dst = &mut grad_input[ci * n..(ci + 1) * n];
        for k in 0..shape.kernel {
            let off = shape.tap_offset(k);
            let src = &cols[(ci * shape.kernel + k) * n..(ci * shape.kernel + k + 1) * n];
            let (lo, hi) = valid_range(off, frames);
            if hi == lo {
                continue;
            }
            for s in 0..samples {
                let base = s * frames;
                let to = (base as isize + lo as isize + off) as usize;
                for (d, v) in dst[to..to + (hi - lo)].iter_mut().zip(&src[base + lo..base + hi]) {
                    *d += v;
                }
            }
        }
    }
}

/// Output frames `lo..hi` whose tap at offset `off` falls inside the sample.
fn valid_range(off: isize, frames: usize) -> (usize, usize) {
    let lo = (-off).clamp(0, frames as isize) as usize;
    let hi = (frames as isize - off).clamp(lo as isize, frames as isize) as usize;
    (lo, hi)
}

/// `out = conv(input) + bias`. `cols` is scratch for the unrolled input (unused for 1-tap
/// kernels, whose unrolled input is the input itself).
#[allow(clippy::too_many_arguments)]
pub fn forward(
    shape: &ConvShape,
    weight: &[f32],
    bias: &[f32],
    input: &[f32],
    samples: usize,
    frames: usize,
    cols: &mut Vec<f32>,
    out: &mut [f32],
) {
    let n = samples * frames;
    let unrolled: &[f32] = if shape.kernel == 1 && shape.dilation >= 1 {
        input
    } else {
        cols.resize(shape.rows() * n, 0.0);
        im2col(shape, input, samples, frames, cols);
        cols
    };
    gemm(shape.cout, shape.rows(), n, weight, false, unrolled, false, 0.0, out);
    for (co, b) in bias.iter().enumerate() {
        for v in &mut out[co * n..(co + 1) * n] {
            *v += b;
        }
    }
}

/// Backward pass of [`forward`]: adds the weight and bias gradients into `grad_weight` and
/// `grad_bias`, and, if `grad_input` is given, adds the input gradient into it.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    shape: &ConvShape,
    weight: &[f32],
    input: &[f32],
    grad_out: &[f32],
    samples: usize,
    frames: usize,
    cols: &mut Vec<f32>,
    grad_weight: &mut [f32],
    grad_bias: &mut [f32],
    grad_input: Option<&mut [f32]>,
) {
    let n = samples * frames;
    let one_tap = shape.kernel == 1;
    if !one_tap {
        cols.resize(shape.rows() * n, 0.0);
        im2col(shape, input, samples, frames, cols);
    }
    let unrolled: &[f32] = if one_tap { input } else { cols };
    gemm(shape.cout, n, shape.rows(), grad_out, false, unrolled, true, 1.0, grad_weight);
    for (co, gb) in grad_bias.iter_mut().enumerate() {
        *gb += grad_out[co * n..(co + 1) * n].iter().sum::<f32>();
    }
    if let Some(grad_input) = grad_input {
        if one_tap {
            gemm(shape.rows(), shape.cout, n, weight, true, grad_out, false, 1.0, grad_input);
        } else {
            gemm(shape.rows(), shape.cout, n, weight, true, grad_out, false, 0.0, cols);
            col2im_add(shape, cols, samples, frames, grad_input);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct evaluation of the convolution, one output at a time.
    fn naive(shape: &ConvShape, w: &[f32], b: &[f32], x: &[f32], samples: usize, frames: usize) -> Vec<f32> {
        let n = samples * frames;
        let mut out = vec![0.0; shape.cout * n];
        for co in 0..shape.cout {
            for s in 0..samples {
                for t in 0..frames {
                    let mut acc = b[co];
                    for ci in 0..shape.cin {
                        for k in 0..shape.kernel {
                            let tt = t as isize + shape.tap_offset(k);
                            if tt >= 0 && (tt as usize) < frames {
                                acc += w[(co * shape.cin + ci) * shape.kernel + k] * x[ci * n + s * frames + tt as usize];
                            }
                        }
                    }
                    out[co * n + s * frames + t] = acc;
                }
            }
        }
        out
    }

    #[test]
    fn matches_direct_convolution() {
        for (kernel, dilation) in [(3, 1), (3, 4), (1, 1), (3, 9), (5, 2)] {
            let shape = ConvShape { cin: 3, cout: 2, kernel, dilation };
            let (samples, frames) = (2, 7);
            let w: Vec<f32> = (0..shape.weights()).map(|i| ((i * 7 % 11) as f32 - 5.0) / 4.0).collect();
            let b = [0.5, -0.25];
            let x: Vec<f32> = (0..3 * samples * frames).map(|i| ((i * 5 % 13) as f32 - 6.0) / 3.0).collect();
            let mut out = vec![0.0; 2 * samples * frames];
            forward(&shape, &w, &b, &x, samples, frames, &mut Vec::new(), &mut out);
            let want = naive(&shape, &w, &b, &x, samples, frames);
            for (a, e) in out.iter().zip(&want) {
                assert!((a - e).abs() < 1e-5, "k={kernel} d={dilation}: {a} vs {e}");
            }
        }
    }
}
