//! A Standard MIDI File through `kantor eval`'s reader and every metric it measures.
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| midi_eval(data));
