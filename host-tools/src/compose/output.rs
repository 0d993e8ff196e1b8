//! Writing what was composed (MIDI, MusicXML, PNG, WAV) and showing progress.

use super::ModelArgs;
use crate::outfile::{Plan, Staged};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use kantor_core::midi::Performance;
use kantor_core::{Frame, ScoreNet, TimeSignature};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `path` itself when only one file is written, else `stem-NNN.ext` (from 001).
pub fn numbered(path: &Path, index: usize, count: usize) -> PathBuf {
    if count <= 1 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("chorale");
    let digits = count.to_string().len().max(3);
    let name = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}-{:0digits$}.{ext}", index + 1),
        None => format!("{stem}-{:0digits$}", index + 1),
    };
    path.with_file_name(name)
}

/// The files to write for each chorale.
pub struct Outputs {
    pub midi: PathBuf,
    pub musicxml: Option<PathBuf>,
    pub png: Option<PathBuf>,
    pub wav: Option<PathBuf>,
    /// The SoundFont the WAV files are rendered with (the built-in organ without one).
    pub soundfont: Option<(PathBuf, Arc<rustysynth::SoundFont>)>,
    pub performance: Performance,
}

impl Outputs {
    /// The outputs `common` asks for, each of the `--count` files checked before any work
    /// ([`crate::outfile::Plan`]: not a folder, its folder there and writable, not one of
    /// the inputs — the model, the SoundFont, `melody` — nor another output). A SoundFont
    /// is read here, before any composing.
    pub fn new(midi: &Path, common: &ModelArgs, melody: Option<&Path>) -> Result<Outputs> {
        if common.soundfont.is_some() && common.wav.is_none() {
            anyhow::bail!("--soundfont is for the WAV file: give --wav FILE too");
        }
        let mut plan = Plan::new();
        plan.inputs(common.model.iter().chain(&common.soundfont));
        if let Some(m) = melody {
            plan.input(m);
        }
        let count = common.count as usize;
        let outputs = [("-o", Some(midi)), ("--musicxml", common.musicxml.as_deref()), ("--png", common.png.as_deref()), ("--wav", common.wav.as_deref())];
        for (flag, path) in outputs {
            let Some(path) = path else { continue };
            if count > 1 {
                crate::outfile::not_a_folder(flag, path)?;
            }
            for i in 0..count {
                plan.output(flag, &numbered(path, i, count))?;
            }
        }
        let soundfont = match (&common.soundfont, &common.wav) {
            (Some(path), Some(_)) => Some((path.clone(), crate::audio::soundfont::load(path)?)),
            _ => None,
        };
        Ok(Outputs {
            midi: midi.to_path_buf(),
            musicxml: common.musicxml.clone(),
            png: common.png.clone(),
            wav: common.wav.clone(),
            soundfont,
            performance: Performance { tempo_bpm: common.tempo, ..Performance::default() },
        })
    }

    /// Writes chorale `index` of `count` (in `time`): every file, or none of them; returns
    /// the paths written.
    pub fn write(&self, index: usize, count: usize, frames: &[Frame], time: TimeSignature, title: &str) -> Result<Vec<String>> {
        let mut out = Staged::new();
        let mut written = Vec::new();
        let midi = numbered(&self.midi, index, count);
        out.add(&midi, &crate::midi::smf_bytes(frames, time, &self.performance)?)?;
        written.push(midi.display().to_string());
        if let Some(path) = &self.musicxml {
            let path = numbered(path, index, count);
            out.add(&path, super::musicxml::musicxml_string(frames, time, title, &self.performance).as_bytes())?;
            written.push(path.display().to_string());
        }
        if let Some(path) = &self.png {
            let path = numbered(path, index, count);
            out.add(&path, &crate::plot::piano_roll(frames, title)?)?;
            written.push(path.display().to_string());
        }
        if let Some(path) = &self.wav {
            let path = numbered(path, index, count);
            let font = self.soundfont.as_ref().map(|(_, font)| font);
            out.add_with(&path, |w| crate::audio::write_wav(w, frames, &self.performance, font))?;
            written.push(path.display().to_string());
        }
        out.commit()?;
        Ok(written)
    }
}

/// A progress bar over network evaluations (hidden with `quiet`).
pub fn progress(len: u64, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} evaluations, {elapsed} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// A network that ticks a progress bar on every evaluation.
pub struct Counting<'a, N: ?Sized> {
    pub net: &'a mut N,
    pub bar: &'a ProgressBar,
}

impl<N: ScoreNet + ?Sized> ScoreNet for Counting<'_, N> {
    type Error = N::Error;
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), N::Error> {
        self.bar.inc(1);
        self.net.score(x, meta, frames, sigma, score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering() {
        assert_eq!(numbered(Path::new("out/chorale.mid"), 0, 1), PathBuf::from("out/chorale.mid"));
        assert_eq!(numbered(Path::new("out/chorale.mid"), 4, 12), PathBuf::from("out/chorale-005.mid"));
        assert_eq!(numbered(Path::new("roll"), 0, 2000), PathBuf::from("roll-0001"));
    }
}
