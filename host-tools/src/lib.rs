//! Kantor's host side: everything the `kantor` command does, as a library so that the
//! end-to-end tests can call it.
//!
//! Rooms, in the order data flows through them:
//! - [`corpus`]: MusicXML import (`kantor prepare`) into a [`dataset`];
//! - [`network`]: the f32 score network (forward, backward, parameters);
//! - [`train`]: denoising score matching on the CPU (`kantor train`);
//! - [`onnx`]: ONNX export and running it through tract (`kantor export-onnx`);
//! - [`quantize`]: int8 post-training quantisation (`kantor quantize`);
//! - [`compose`]: sampling chorales (`kantor generate`, `kantor harmonize`);
//! - [`eval`]: measuring what was made against Bach (`kantor eval`);
//! - [`play`]: the computer as a board, playing live to a synthesiser (`kantor play`);
//! - [`audio`]: rendering a chorale to a WAV file (`--wav`);
//! - [`midi`]: Standard MIDI Files in and out; [`plot`]: PNG pictures;
//! - [`outfile`]: checking every output before the work and writing it whole or not at
//!   all; [`infile`]: reading inputs within a size cap.

pub mod audio;
pub mod compose;
pub mod corpus;
pub mod dataset;
pub mod eval;
pub mod infile;
pub mod midi;
pub mod network;
pub mod onnx;
pub mod outfile;
pub mod play;
pub mod plot;
pub mod quantize;
pub mod ranges;
pub mod train;
