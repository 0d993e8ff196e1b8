//! Kernel sets, chosen once. [`reference`] is the portable set (plain Rust, no `cfg`),
//! the one every other set equals bit for bit; each optimised set lives in its own file
//! ([`x86`]: AVX2 and AVX-512 VNNI; [`cortex_m`]: the Cortex-M DSP extension; `wasm`:
//! WebAssembly SIMD128) and
//! replaces only the hot kernels. A [`Kernels`] table is picked when the network is built:
//! the optimised tables can only be made from a token that detection returns, so no safe
//! path reaches an instruction the CPU lacks.
//!
//! This module is the one room of the engine allowed `unsafe` (the crate denies it, and
//! every other module forbids it): the optimised sets' intrinsics and assembly, and the
//! two byte reinterpretations in [`cast`]. Inside an `unsafe fn` every unsafe operation
//! still needs its own `unsafe` block and `SAFETY` note.

#![deny(unsafe_op_in_unsafe_fn)]

pub(crate) mod cast;
pub mod reference;

// On other hosts the tests run it on an emulation of its instructions.
#[cfg(any(all(target_arch = "arm", target_feature = "dsp"), test))]
pub mod cortex_m;
// Likewise: the tests run it on a model of its instructions.
#[cfg(any(all(target_arch = "wasm32", target_feature = "simd128"), test))]
pub mod wasm;
#[cfg(target_arch = "x86_64")]
pub mod x86;
pub mod agreement;

#[cfg(test)]
mod tests;

use super::conv::{ConvGeometry, ConvParams};
use super::quant::{Q, Requant};

type Conv1d = fn(&ConvGeometry, &ConvParams<'_>, Q, &[u8], usize, Q, bool, &mut [u8], usize, &mut [i16]);
type Add = fn(Q, &[u8], Requant, Q, &[u8], Requant, i32, Q, Requant, bool, &mut [u8], usize);
type Rescale = fn(Q, &[u8], Option<Requant>, Q, bool, &mut [u8], usize);
type Quantize = fn(&[f32], usize, usize, f32, Q, &mut [u8]);
type Dequantize = fn(Q, &[u8], usize, usize, f32, &mut [f32]);

/// One kernel set: the functions the network runs its ops with. Everything not listed
/// here (upsampling, per-channel products) is [`reference`]'s.
#[derive(Clone, Copy)]
pub struct Kernels {
    name: &'static str,
    conv1d: Conv1d,
    add: Add,
    rescale: Rescale,
    quantize: Quantize,
    dequantize: Dequantize,
}

impl core::fmt::Debug for Kernels {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name)
    }
}

impl Kernels {
    /// The portable set (every target).
    pub const REFERENCE: Kernels = Kernels {
        name: "portable",
        conv1d: reference::conv1d,
        add: reference::add,
        rescale: reference::rescale,
        quantize: reference::quantize,
        dequantize: reference::dequantize,
    };

    /// The fastest set this CPU runs.
    pub fn detect() -> Kernels {
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(t) = x86::Avx512::detect() {
                return t.kernels();
            }
            if let Some(t) = x86::Avx2::detect() {
                return t.kernels();
            }
        }
        #[cfg(all(target_arch = "arm", target_feature = "dsp"))]
        if let Some(t) = cortex_m::Dsp::detect() {
            return t.kernels();
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        if let Some(t) = wasm::Simd128::detect() {
            return t.kernels();
        }
        Kernels::REFERENCE
    }

    /// Every set this CPU runs, the portable one first.
    pub fn available() -> heapless::Vec<Kernels, 4> {
        let mut all = heapless::Vec::new();
        let _ = all.push(Kernels::REFERENCE);
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(t) = x86::Avx2::detect() {
                let _ = all.push(t.kernels());
            }
            if let Some(t) = x86::Avx512::detect() {
                let _ = all.push(t.kernels());
            }
        }
        #[cfg(all(target_arch = "arm", target_feature = "dsp"))]
        if let Some(t) = cortex_m::Dsp::detect() {
            let _ = all.push(t.kernels());
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        if let Some(t) = wasm::Simd128::detect() {
            let _ = all.push(t.kernels());
        }
        all
    }

    /// What the set is called ("portable", "x86-64 AVX2", ...).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Convolution: `x` is `t_in × cin`, `y` is `t_out × cout`; `cols` at least
    /// [`ConvGeometry::scratch_len`] i16 of scratch.
    #[allow(clippy::too_many_arguments)]
    pub fn conv1d(&self, p: &ConvGeometry, w: &ConvParams<'_>, xq: Q, x: &[u8], t_in: usize, yq: Q, relu: bool, y: &mut [u8], t_out: usize, cols: &mut [i16]) {
        (self.conv1d)(p, w, xq, x, t_in, yq, relu, y, t_out, cols)
    }

    /// [`reference::add`].
    #[allow(clippy::too_many_arguments)]
    pub fn add(&self, aq: Q, a: &[u8], a_rq: Requant, bq: Q, b: &[u8], b_rq: Requant, left_shift: i32, oq: Q, out_rq: Requant, relu: bool, out: &mut [u8], n: usize) {
        (self.add)(aq, a, a_rq, bq, b, b_rq, left_shift, oq, out_rq, relu, out, n)
    }

    /// [`reference::rescale`].
    pub fn rescale(&self, xq: Q, x: &[u8], rq: Option<Requant>, oq: Q, relu: bool, out: &mut [u8], n: usize) {
        (self.rescale)(xq, x, rq, oq, relu, out, n)
    }

    /// [`reference::quantize`]: a channel-major f32 input into a time-major tensor.
    pub fn quantize(&self, src: &[f32], channels: usize, frames: usize, factor: f32, oq: Q, out: &mut [u8]) {
        (self.quantize)(src, channels, frames, factor, oq, out)
    }

    /// [`reference::dequantize`]: a time-major tensor into a channel-major f32 output.
    pub fn dequantize(&self, xq: Q, x: &[u8], channels: usize, frames: usize, factor: f32, out: &mut [f32]) {
        (self.dequantize)(xq, x, channels, frames, factor, out)
    }

    /// Writes `x` (`frames × c_in`) into channels `offset..offset + c_in` of `out`
    /// (`frames × c_out`), requantised as [`Kernels::rescale`] does.
    #[allow(clippy::too_many_arguments)]
    pub fn concat_part(&self, xq: Q, x: &[u8], c_in: usize, rq: Option<Requant>, oq: Q, out: &mut [u8], c_out: usize, offset: usize, frames: usize) {
        let (bi, bo) = (xq.elem.bytes(), oq.elem.bytes());
        for t in 0..frames {
            let src = &x[t * c_in * bi..(t + 1) * c_in * bi];
            let dst = &mut out[(t * c_out + offset) * bo..(t * c_out + offset + c_in) * bo];
            self.rescale(xq, src, rq, oq, false, dst, c_in);
        }
    }
}
