//! The Cortex-M DSP extension instructions the kernels use (Armv7E-M, and Armv8-M
//! Mainline with the DSP extension), one `asm!` each so the compiler still allocates the
//! registers. Elsewhere (the host's tests) each is emulated in plain Rust, to check the
//! kernels' arithmetic bit for bit where no such core is at hand.

#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
mod native {
    use core::arch::asm;

    /// `SMLAD`: acc + a.lo · b.lo + a.hi · b.hi (signed halfwords, wrapping).
    #[inline(always)]
    pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        let r;
        // SAFETY: the build targets a core with the DSP extension; no memory is touched.
        unsafe { asm!("smlad {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a, b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack)) };
        r
    }

    /// `SXTB16`: bytes 0 and 2 sign-extended to the low and high halfwords.
    #[inline(always)]
    pub fn sxtb16(x: u32) -> u32 {
        let r;
        // SAFETY: as above.
        unsafe { asm!("sxtb16 {r}, {x}", r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
        r
    }

    /// `SXTB16 ROR #8`: bytes 1 and 3 sign-extended to the low and high halfwords.
    #[inline(always)]
    pub fn sxtb16_ror8(x: u32) -> u32 {
        let r;
        // SAFETY: as above.
        unsafe { asm!("sxtb16 {r}, {x}, ror #8", r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
        r
    }

    /// `PKHBT`: a's low halfword, b's low halfword above it.
    #[inline(always)]
    pub fn pkhbt(a: u32, b: u32) -> u32 {
        let r;
        // SAFETY: as above.
        unsafe { asm!("pkhbt {r}, {a}, {b}, lsl #16", r = lateout(reg) r, a = in(reg) a, b = in(reg) b, options(pure, nomem, nostack, preserves_flags)) };
        r
    }

    /// `PKHTB`: a's high halfword, b's high halfword below it.
    #[inline(always)]
    pub fn pkhtb(a: u32, b: u32) -> u32 {
        let r;
        // SAFETY: as above.
        unsafe { asm!("pkhtb {r}, {a}, {b}, asr #16", r = lateout(reg) r, a = in(reg) a, b = in(reg) b, options(pure, nomem, nostack, preserves_flags)) };
        r
    }
}

#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
mod emulated {
    fn lo(x: u32) -> i32 {
        x as u16 as i16 as i32
    }

    fn hi(x: u32) -> i32 {
        (x >> 16) as u16 as i16 as i32
    }

    fn halves(lo: i32, hi: i32) -> u32 {
        (lo as u16 as u32) | ((hi as u16 as u32) << 16)
    }

    pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        acc.wrapping_add(lo(a) * lo(b)).wrapping_add(hi(a) * hi(b))
    }

    pub fn sxtb16(x: u32) -> u32 {
        halves(x as u8 as i8 as i32, (x >> 16) as u8 as i8 as i32)
    }

    pub fn sxtb16_ror8(x: u32) -> u32 {
        sxtb16(x.rotate_right(8))
    }

    pub fn pkhbt(a: u32, b: u32) -> u32 {
        (a & 0xffff) | (b << 16)
    }

    pub fn pkhtb(a: u32, b: u32) -> u32 {
        (a & 0xffff_0000) | (b >> 16)
    }
}

#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
pub use native::*;

#[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
pub use emulated::*;
