//! Writing a chorale as a format-1 Standard MIDI File: the device core's writer
//! ([`kantor_core::midi::smf`]), so a file from the host and one from the WebAssembly
//! board are the same bytes.

use std::path::Path;

use anyhow::Result;
use kantor_core::midi::{smf, Performance};
use kantor_core::{Frame, TimeSignature};

/// Writes `frames` (in `time`) to the file at `path` as a format-1 MIDI file.
pub fn write_smf(path: &Path, frames: &[Frame], time: TimeSignature, performance: &Performance) -> Result<()> {
    crate::outfile::write(path, &smf_bytes(frames, time, performance)?)
}

/// The bytes of the MIDI file [`write_smf`] writes.
pub fn smf_bytes(frames: &[Frame], time: TimeSignature, performance: &Performance) -> Result<Vec<u8>> {
    smf::smf_vec(frames, time, performance).map_err(|e| anyhow::anyhow!("{e}"))
}

