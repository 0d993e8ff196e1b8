//! The host tool's integration tests, one module per subject, built as one test binary:
//! each binary links the whole tool with tract, so one binary instead of one per subject
//! saves most of the build. Run one subject with a filter: `cargo test -p kantor --test it
//! cli::`. Fixtures stay in `host-tools/tests/fixtures/`; the helpers two or more subjects
//! share are `prepare_support` and `train_support`.
//!
//! No test here changes the process's environment or working directory: the binary runs
//! its tests in parallel threads, so those are passed to spawned `kantor` processes instead.

mod prepare_support;
mod train_support;

mod audio;
mod cli;
mod compose;
mod eval_generate;
mod eval_inputs;
mod eval_metrics;
mod key_conditioning;
mod kill_anywhere;
mod midi_corpus;
mod midi_roundtrip;
mod network;
mod nothing_lost;
mod onnx;
mod onnx_default_model;
mod option_ranges;
mod play;
mod prepare_bach;
mod prepare_dataset;
mod prepare_folder;
mod prepare_musicxml;
mod quantize_cli;
mod quantize_onnx;
mod readable_errors;
mod safe_writes;
mod train;
mod train_data;
