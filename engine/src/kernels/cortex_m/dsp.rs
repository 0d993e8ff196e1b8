//! The Cortex-M DSP extension instructions the inner loop uses (Armv7E-M, and Armv8-M
//! Mainline with the DSP extension), in plain Rust: on the core the loop is one `asm!`
//! block (`quad` in the parent module); off Arm (the host's tests) the same loop written with these
//! checks the kernels' arithmetic bit for bit where no such core is at hand.

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

pub use emulated::*;
