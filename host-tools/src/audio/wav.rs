//! 16-bit stereo WAV files.

use super::Stereo;
use anyhow::{Context, Result};

/// The WAV file of `audio` at `sample_rate`; samples beyond ±1 are clipped.
pub fn bytes(audio: &Stereo, sample_rate: u32) -> Result<Vec<u8>> {
    let spec = hound::WavSpec { channels: 2, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).context("cannot start the WAV file")?;
    let scale = i16::MAX as f32;
    for (l, r) in audio.left.iter().zip(&audio.right) {
        for s in [l, r] {
            writer.write_sample((s.clamp(-1.0, 1.0) * scale).round() as i16).context("cannot write the WAV file")?;
        }
    }
    writer.finalize().context("cannot finish the WAV file")?;
    Ok(out.into_inner())
}
