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

/// The engine's golden vectors (built with the `golden` feature, for the tests only: the
/// page's module does not carry the test networks).
#[cfg(feature = "golden")]
mod golden_vectors {
use crate::buffers::set_message;

static SCORE_BLOB: &kantor_core::engine::Aligned<[u8]> = &kantor_core::engine::Aligned(*include_bytes!("../../../tests/golden/synthetic.kq8"));
static SCORE_CASE: &[u8] = include_bytes!("../../../tests/golden/synthetic.case");
static CATEGORICAL_BLOB: &kantor_core::engine::Aligned<[u8]> = &kantor_core::engine::Aligned(*include_bytes!("../../../tests/golden/synthetic-categorical.kq8"));
static CATEGORICAL_CASE: &[u8] = include_bytes!("../../../tests/golden/synthetic-categorical.case");

/// Frames a golden case may have.
const GOLDEN_FRAMES: usize = 16;
const GOLDEN_ARENA: usize = 64 * 1024;
const VOICES_LEN: usize = kantor_core::onehot::VOICE_CHANNELS * GOLDEN_FRAMES;
const META_LEN: usize = kantor_core::onehot::META_CHANNELS * GOLDEN_FRAMES;
static mut GOLDEN: ([u8; GOLDEN_ARENA], [f32; VOICES_LEN], [f32; META_LEN], [f32; VOICES_LEN]) =
    ([0; GOLDEN_ARENA], [0.0; VOICES_LEN], [0.0; META_LEN], [0.0; VOICES_LEN]);

/// The engine's golden vectors (`firmware/tests/golden`: both heads, every op) with every
/// kernel set the module has; returns how many scores differ from the host reference's
/// bit for bit (0: none), with a line at `kantor_message()`.
#[no_mangle]
pub extern "C" fn kantor_golden() -> u32 {
    use kantor_core::engine::{golden, Kernels};
    use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
    // SAFETY: one thread; no reference outlives this call.
    let g = unsafe { &mut *core::ptr::addr_of_mut!(GOLDEN) };
    let mut b = golden::Buffers { arena: &mut g.0, x: &mut g.1[..VOICE_CHANNELS * GOLDEN_FRAMES], meta: &mut g.2[..META_CHANNELS * GOLDEN_FRAMES], score: &mut g.3[..VOICE_CHANNELS * GOLDEN_FRAMES] };
    let (mut differ, mut scores, mut runs) = (0, 0, 0);
    for kernels in Kernels::available() {
        for (blob, case) in [(&SCORE_BLOB.0, SCORE_CASE), (&CATEGORICAL_BLOB.0, CATEGORICAL_CASE)] {
            let (d, n) = golden::check(blob, case, kernels, &mut b);
            differ += d;
            scores += n;
            runs += 1;
        }
    }
    crate::api::set_last_message(set_message(format_args!("golden vectors, {runs} runs (2 networks × every kernel set): {differ} of {scores} scores differ")));
    differ as u32
}
}
