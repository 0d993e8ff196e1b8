//! A `.kds` dataset through its reader; an accepted one must write back to the same data.
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| dataset(data));
