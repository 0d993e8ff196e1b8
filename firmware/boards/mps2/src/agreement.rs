//! Every kernel set against the portable one on the board itself
//! (`kantor_core::engine::kernels::agreement`): the host's tests check the same paths on
//! an emulation of the instructions; this checks the instructions.

use cortex_m_semihosting::hprintln;
use kantor_core::engine::kernels::agreement::{self, Buffers};

static mut BUFFERS: Buffers = Buffers::new();

/// Runs the comparisons; returns whether every set agreed with the portable one.
pub fn run() -> bool {
    // SAFETY: called once, before anything else uses these buffers.
    let b = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
    agreement::run(b, |a| hprintln!("kernel agreement with {:?} kernels: {} of {} cases differ from the portable set", a.kernels, a.differ, a.cases))
}
