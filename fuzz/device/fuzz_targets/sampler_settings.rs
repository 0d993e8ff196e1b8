//! The sampler settings text (`kantor.sampler` in a model's metadata): see `src/exercise.rs`.
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| sampler_settings(data));
