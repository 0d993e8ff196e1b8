//! An ONNX file through `kantor quantize`'s importer: protobuf, `kantor.*` metadata, graph.
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| onnx_quantize(data));
