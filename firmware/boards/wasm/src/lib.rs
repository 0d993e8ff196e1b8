//! Kantor in the browser: the device core as a WebAssembly module.
//!
//! No allocator: the model blob is built in, and every buffer (the engine's arena, the
//! sampler's workspace, the frames, the MIDI file and the MusicXML text) is a static sized
//! for the longest piece ([`sizes::MAX_FRAMES`]). JavaScript calls the exported functions
//! (`kantor_*`, C ABI) and reads the results from the module's memory:
//!
//! - `kantor_compose` / `kantor_harmonize` compose a piece (settings text and melody are
//!   written first into the buffer at `kantor_input()`); they return the frame count, or 0
//!   with a sentence at `kantor_message()`;
//! - `kantor_midi()` / `kantor_midi_len()`: the Standard MIDI File, byte for byte what
//!   `kantor generate --engine int8` writes for the same settings;
//! - `kantor_musicxml()` / `kantor_musicxml_len()`: the score as MusicXML;
//! - `kantor_frames()`: [`FRAME_BYTES`] bytes per frame for drawing and playing;
//! - the endless chorale: `kantor_endless_start` then `kantor_endless_next` per phrase.
//!
//! Progress goes out through the imported `env.kantor_progress(done, total)`, once per
//! network evaluation. The engine runs the wasm SIMD128 kernel set; `kantor_use_kernels`
//! picks another (the portable one), `kantor_check_kernels` runs every set against the
//! portable one on random data; with the `golden` feature (the tests' build),
//! `kantor_golden` runs the engine's golden vectors with every set.
#![no_std]

mod api;
mod buffers;
mod frames;
mod kernels_check;
mod progress;

mod sizes {
    include!(concat!(env!("OUT_DIR"), "/sizes.rs"));
}

pub use frames::FRAME_BYTES;

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
