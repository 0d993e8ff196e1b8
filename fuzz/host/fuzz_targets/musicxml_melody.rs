//! A MusicXML melody through `kantor harmonize`'s reader and what it does before sampling.
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| musicxml_melody(data));
