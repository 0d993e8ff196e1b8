//! 16-bit stereo WAV files, written as the audio is made: the length is known before the
//! first sample (from the chorale's cues), so the header goes first and the samples follow
//! a block at a time, and nothing of the rendering is held.

use anyhow::{bail, Context, Result};
use std::io::Write;

/// Bytes per stereo frame of 16-bit samples.
const FRAME_BYTES: u64 = 4;
/// Samples buffered before each write.
const BLOCK: usize = 16 * 1024;

/// A WAV file being written: the header, then exactly `frames` stereo frames.
pub struct Writer<'a> {
    out: &'a mut dyn Write,
    frames: usize,
    written: usize,
    buffer: Vec<u8>,
}

impl<'a> Writer<'a> {
    /// Writes the header of a file of `frames` stereo frames at `sample_rate`.
    pub fn new(out: &'a mut dyn Write, sample_rate: u32, frames: usize) -> Result<Writer<'a>> {
        let data = frames as u64 * FRAME_BYTES;
        let Some(riff) = u32::try_from(data + 36).ok() else {
            bail!("the audio would be {:.1} GiB, more than a WAV file can hold (4 GiB); use fewer bars or a faster tempo", data as f64 / (1u64 << 30) as f64)
        };
        let mut header = Vec::with_capacity(44);
        header.extend_from_slice(b"RIFF");
        header.extend_from_slice(&riff.to_le_bytes());
        header.extend_from_slice(b"WAVEfmt ");
        header.extend_from_slice(&16u32.to_le_bytes());
        header.extend_from_slice(&1u16.to_le_bytes()); // PCM
        header.extend_from_slice(&2u16.to_le_bytes()); // stereo
        header.extend_from_slice(&sample_rate.to_le_bytes());
        header.extend_from_slice(&(sample_rate * FRAME_BYTES as u32).to_le_bytes());
        header.extend_from_slice(&(FRAME_BYTES as u16).to_le_bytes());
        header.extend_from_slice(&16u16.to_le_bytes());
        header.extend_from_slice(b"data");
        header.extend_from_slice(&(data as u32).to_le_bytes());
        out.write_all(&header).context("cannot write the WAV file")?;
        Ok(Writer { out, frames, written: 0, buffer: Vec::with_capacity(BLOCK * 2) })
    }

    /// Appends one stereo frame; samples beyond ±1 are clipped.
    pub fn push(&mut self, left: f32, right: f32) -> Result<()> {
        let scale = i16::MAX as f32;
        for s in [left, right] {
            self.buffer.extend_from_slice(&((s.clamp(-1.0, 1.0) * scale).round() as i16).to_le_bytes());
        }
        self.written += 1;
        if self.buffer.len() >= BLOCK * 2 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.out.write_all(&self.buffer).context("cannot write the WAV file")?;
        self.buffer.clear();
        Ok(())
    }

    /// Writes what is buffered; the file must hold as many frames as its header says.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        anyhow::ensure!(self.written == self.frames, "the WAV file got {} frames, its header says {}", self.written, self.frames);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_what_hound_writes() {
        let samples: Vec<(f32, f32)> = (0..40_000).map(|i| ((i as f32 * 0.01).sin() * 1.2, (i as f32 * 0.003).cos() * 0.5)).collect();
        let mut ours = Vec::new();
        let mut w = Writer::new(&mut ours, 44_100, samples.len()).unwrap();
        for &(l, r) in &samples {
            w.push(l, r).unwrap();
        }
        w.finish().unwrap();
        let spec = hound::WavSpec { channels: 2, sample_rate: 44_100, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut theirs = std::io::Cursor::new(Vec::new());
        let mut h = hound::WavWriter::new(&mut theirs, spec).unwrap();
        for &(l, r) in &samples {
            for s in [l, r] {
                h.write_sample((s.clamp(-1.0, 1.0) * i16::MAX as f32).round() as i16).unwrap();
            }
        }
        h.finalize().unwrap();
        assert_eq!(ours, theirs.into_inner());
    }

    #[test]
    fn a_file_too_long_for_wav_is_refused_before_any_sample() {
        let mut out = Vec::new();
        let e = Writer::new(&mut out, 44_100, 1 << 30).err().unwrap();
        assert!(e.to_string().contains("more than a WAV file can hold"), "{e}");
        assert!(out.is_empty());
    }
}
