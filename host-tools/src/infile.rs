//! Reading input files with a bound on their size.
//!
//! Every file a command reads has a cap, named in the message when a file is larger: a
//! regular file is measured before it is read; a pipe is read up to the cap and refused
//! beyond it; a device (`/dev/zero`, a terminal) is refused, since it may never end.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

const MIB: u64 = 1 << 20;

/// Largest ONNX model or int8 blob (the shipped ones are well under 2 MiB).
pub const MODEL: Cap = Cap { bytes: 512 * MIB, what: "a model" };
/// Largest prepared dataset (Bach's is under 1 MiB).
pub const DATASET: Cap = Cap { bytes: 512 * MIB, what: "a dataset" };
/// Largest training checkpoint.
pub const CHECKPOINT: Cap = Cap { bytes: 2048 * MIB, what: "a checkpoint" };
/// Largest score or MIDI file (a melody, a chorale to measure, a score to import).
pub const SCORE: Cap = Cap { bytes: 64 * MIB, what: "a score or MIDI file" };
/// Largest SoundFont (General MIDI fonts run to a few hundred MiB).
pub const SOUNDFONT: Cap = Cap { bytes: 2048 * MIB, what: "a SoundFont" };
/// Largest configuration or log text of a training run.
pub const TEXT: Cap = Cap { bytes: 256 * MIB, what: "a configuration or log file" };

/// A size limit and what it is for (in messages).
#[derive(Clone, Copy, Debug)]
pub struct Cap {
    pub bytes: u64,
    pub what: &'static str,
}

impl Cap {
    fn describe(&self) -> String {
        if self.bytes >= MIB && self.bytes % MIB == 0 {
            format!("{} MiB", self.bytes / MIB)
        } else {
            format!("{} bytes", self.bytes)
        }
    }

    fn too_large(&self, path: &Path, size: Option<u64>) -> anyhow::Error {
        let size = size.map_or_else(|| "more".to_string(), |s| format!("{:.1} MiB", s as f64 / MIB as f64));
        anyhow::anyhow!(
            "{} is {size}, larger than {} may be ({}); give the right file",
            path.display(),
            self.what,
            self.describe()
        )
    }
}

/// Opens `path` for reading within `cap`: a regular file no larger than the cap, or a pipe
/// (read at most one byte past the cap, so the caller can tell). A folder or a device is
/// refused.
pub fn open(path: &Path, cap: Cap) -> Result<std::io::Take<std::fs::File>> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let kind = meta.file_type();
    if meta.is_dir() {
        bail!("{} is a folder; give {} file", path.display(), cap.what);
    }
    if kind.is_char_device() || kind.is_block_device() {
        bail!("{} is a device, not a file: it may never end; give {} file", path.display(), cap.what);
    }
    if meta.is_file() && meta.len() > cap.bytes {
        return Err(cap.too_large(path, Some(meta.len())));
    }
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(file.take(cap.bytes + 1))
}

/// The bytes of `path`, at most `cap` of them (see [`open`]).
pub fn read(path: &Path, cap: Cap) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path, cap)?.read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > cap.bytes {
        return Err(cap.too_large(path, None));
    }
    Ok(bytes)
}

/// The UTF-8 text of `path`, at most `cap` bytes of it.
pub fn read_text(path: &Path, cap: Cap) -> Result<String> {
    String::from_utf8(read(path, cap)?).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: Cap = Cap { bytes: 8, what: "a tiny file" };

    #[test]
    fn files_within_the_cap_are_read_and_larger_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, b"12345678").unwrap();
        assert_eq!(read(&small, TINY).unwrap(), b"12345678");
        let large = dir.path().join("large");
        std::fs::write(&large, b"123456789").unwrap();
        let e = read(&large, TINY).unwrap_err().to_string();
        assert!(e.ends_with("is 0.0 MiB, larger than a tiny file may be (8 bytes); give the right file"), "{e}");
        let e = read(dir.path(), TINY).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
    }

    #[test]
    fn devices_are_refused_at_once() {
        let e = read(Path::new("/dev/zero"), MODEL).unwrap_err().to_string();
        assert!(e.contains("is a device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("model.onnx");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read(&link, MODEL).unwrap_err().to_string();
        assert!(e.contains("is a device"), "{e}");
    }

    #[test]
    fn a_pipe_is_read_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        if !std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        for (sent, ok) in [(&b"1234"[..], true), (&b"123456789abcdef"[..], false)] {
            let writer = {
                let (fifo, sent) = (fifo.clone(), sent.to_vec());
                // The writer may see a broken pipe once the reader has had enough.
                std::thread::spawn(move || {
                    use std::io::Write;
                    let _ = std::fs::OpenOptions::new().write(true).open(fifo).and_then(|mut f| f.write_all(&sent));
                })
            };
            let got = read(&fifo, TINY);
            writer.join().unwrap();
            assert_eq!(got.is_ok(), ok, "{got:?}");
        }
    }
}
