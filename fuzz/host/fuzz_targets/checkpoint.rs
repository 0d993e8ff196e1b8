//! A training checkpoint through the loader of `--resume`, `export-onnx` and `eval`, and an
//! accepted one into the network it describes.
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| checkpoint(data));
