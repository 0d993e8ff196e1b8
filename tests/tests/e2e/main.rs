//! End-to-end tests across Kantor's crates, one module per subject, built as one test
//! binary (each would otherwise link the host tool with tract on its own). Run one subject
//! with a filter: `cargo test -p kantor-e2e --test e2e firmware_board::`.

mod firmware_common;

mod firmware_board;
mod firmware_pi;
mod fuzz_regressions;
mod sampler_onnx;
