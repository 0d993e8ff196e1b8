//! The engine's golden vectors on the board: the synthetic networks of
//! `firmware/tests/golden` (every op, both heads) run with every kernel set this core
//! has, and each score must equal the host reference's bit for bit. Then one evaluation
//! of the board's model at its frame count with each set, timed by SysTick.

use cortex_m_semihosting::hprintln;
use kantor_board::systick::SysTickClock;
use kantor_core::engine::{golden, Aligned, Int8ScoreNet, Kernels};
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};

static SCORE_BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!("../../../tests/golden/synthetic.kq8"));
static SCORE_CASE: &[u8] = include_bytes!("../../../tests/golden/synthetic.case");
static CATEGORICAL_BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!("../../../tests/golden/synthetic-categorical.kq8"));
static CATEGORICAL_CASE: &[u8] = include_bytes!("../../../tests/golden/synthetic-categorical.case");

/// Most frames a case may have.
const FRAMES: usize = 16;
const ARENA_BYTES: usize = 64 * 1024;

static mut ARENA: [u8; ARENA_BYTES] = [0; ARENA_BYTES];
static mut X: [f32; VOICE_CHANNELS * FRAMES] = [0.0; VOICE_CHANNELS * FRAMES];
static mut META: [f32; META_CHANNELS * FRAMES] = [0.0; META_CHANNELS * FRAMES];
static mut SCORE: [f32; VOICE_CHANNELS * FRAMES] = [0.0; VOICE_CHANNELS * FRAMES];

/// Runs every case with every kernel set; returns whether all matched.
pub fn run(clock: &mut SysTickClock) -> bool {
    // SAFETY: called once, before anything else uses these buffers.
    let mut b = unsafe {
        golden::Buffers {
            arena: &mut *core::ptr::addr_of_mut!(ARENA),
            x: &mut *core::ptr::addr_of_mut!(X),
            meta: &mut *core::ptr::addr_of_mut!(META),
            score: &mut *core::ptr::addr_of_mut!(SCORE),
        }
    };
    let mut all = true;
    for kernels in Kernels::available() {
        for (name, blob, case) in [("score", &SCORE_BLOB.0, SCORE_CASE), ("categorical", &CATEGORICAL_BLOB.0, CATEGORICAL_CASE)] {
            let (mismatches, n) = golden::check(blob, case, kernels, &mut b);
            hprintln!("golden {} with {:?} kernels: {} of {} scores differ", name, kernels, mismatches, n);
            all &= mismatches == 0;
        }
    }
    all &= crate::agreement::run();
    time_model(clock);
    all
}

/// One evaluation of the board's model at `settings::FRAMES` frames with each kernel set:
/// SysTick cycles of the core clock it reports (QEMU with `-icount shift=0` retires one
/// instruction a virtual nanosecond: 10⁹ / core_hz instructions a cycle).
#[cfg(kantor_model)]
fn time_model(clock: &mut SysTickClock) {
    use crate::settings;
    static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/model.kq8")));
    static mut BIG_ARENA: [u8; settings::ARENA_BYTES] = [0; settings::ARENA_BYTES];
    static mut BUFFERS: [f32; (2 * VOICE_CHANNELS + META_CHANNELS) * settings::FRAMES] = [0.0; (2 * VOICE_CHANNELS + META_CHANNELS) * settings::FRAMES];
    // SAFETY: called once; nothing else uses these buffers.
    let (arena, buffers) = unsafe { (&mut *core::ptr::addr_of_mut!(BIG_ARENA), &mut *core::ptr::addr_of_mut!(BUFFERS)) };
    let frames = settings::FRAMES;
    let (x, rest) = buffers.split_at_mut(VOICE_CHANNELS * frames);
    let (meta, score) = rest.split_at_mut(META_CHANNELS * frames);
    // A chorale-like input: one note per voice, plus noise-like ripples.
    x.iter_mut().enumerate().for_each(|(i, v)| *v = ((i * 7919) % 13) as f32 * 0.1 - 0.6);
    for kernels in Kernels::available() {
        let Ok(mut net) = Int8ScoreNet::with_kernels(&MODEL.0[..], &mut arena[..], frames, kernels) else { return };
        let began = clock.cycles();
        let ok = net.run(x, meta, frames, 0.5, score).is_ok();
        let ticks = clock.cycles() - began;
        hprintln!(
            "evaluation with {:?} kernels at {} frames: ok {} ticks {} conv_macs {} core_hz {}",
            kernels,
            frames,
            ok,
            ticks,
            settings::CONV_MACS,
            clock.core_hz()
        );
    }
}

#[cfg(not(kantor_model))]
fn time_model(_: &mut SysTickClock) {}
