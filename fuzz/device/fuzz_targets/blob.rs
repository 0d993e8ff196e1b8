//! The int8 blob as a board meets it: load and validate it, read the sampler settings it
//! carries as the player does, and run one evaluation in a fixed arena, checking that nothing
//! is written past the arena (see `src/exercise.rs`).
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| blob(data));
