//! The kernel sets checked against the portable one inside the module, on the
//! instructions the JavaScript engine really runs.

use kantor_core::engine::kernels::agreement::{self, Buffers};

use crate::buffers::set_message;

static mut BUFFERS: Buffers = Buffers::new();

/// Compares every optimised set with the portable one; returns how many cases differ
/// (0: all agree), with a line per set at `kantor_message()` (its length from
/// `kantor_message_len()`).
#[no_mangle]
pub extern "C" fn kantor_check_kernels() -> u32 {
    // SAFETY: one thread; no reference outlives this call.
    let b = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
    let (mut differ, mut cases, mut sets) = (0, 0, 0);
    let mut name = "";
    agreement::run(b, |a| {
        differ += a.differ;
        cases += a.cases;
        sets += 1;
        name = a.kernels.name();
    });
    crate::api::set_last_message(set_message(format_args!("{sets} set(s) ({name}) against the portable one: {differ} of {cases} cases differ")));
    differ as u32
}
