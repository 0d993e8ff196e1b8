//! Stack high-water mark by painting: fill the unused stack with a pattern at boot, later
//! find the deepest word that is no longer the pattern.

use core::ptr::{addr_of, read_volatile, write_volatile};

const PAINT: u32 = 0xC0DE_C0DE;

extern "C" {
    /// End of static RAM (start of the area cortex-m-rt leaves to heap and stack).
    static __sheap: u32;
    /// Initial stack pointer (top of RAM).
    static _stack_start: u32;
}

fn bottom() -> *mut u32 {
    // A linker symbol: only its address is used.
    addr_of!(__sheap) as *mut u32
}

fn top() -> usize {
    addr_of!(_stack_start) as usize
}

/// Paints from the end of statics up to a little below the current stack pointer.
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = bottom();
    while (p as usize) < sp - 256 {
        // SAFETY: the words between the statics and the live stack are unused.
        unsafe { write_volatile(p, PAINT) };
        p = p.wrapping_add(1);
    }
}

/// Bytes of stack ever used: from the top of RAM down to the deepest unpainted word.
pub fn high_water() -> usize {
    let mut p = bottom();
    // SAFETY: reads RAM between the statics and the top of the stack.
    while (p as usize) < top() && unsafe { read_volatile(p) } == PAINT {
        p = p.wrapping_add(1);
    }
    top() - p as usize
}
