//! Writing output files safely.
//!
//! A regular file (or a path that does not exist yet) is replaced atomically: the bytes go
//! to `<name>.tmp` beside it, are flushed to disk, and the temporary file is renamed over
//! the output, so a reader (or a run killed mid-write) sees the old file or the new one,
//! never half of one. The temporary file is removed again if anything fails.
//!
//! A device, pipe or socket (`/dev/stdout`, a FIFO) is written to directly: renaming over
//! it would replace the device with an ordinary file. A directory is refused.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What an output path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A regular file, or nothing yet: replaced atomically. Holds the file to replace (a
    /// symbolic link's target, so that the link stays a link).
    File(PathBuf),
    /// A device, pipe or socket: written to directly.
    Stream,
}

impl Output {
    /// Side files (reports, size constants) belong beside the output only when it is a
    /// file.
    pub fn is_file(&self) -> bool {
        matches!(self, Output::File(_))
    }
}

/// What `path` names, or an error saying why it cannot be an output (a directory).
/// Commands call this before their work, so a bad `--output` fails at once.
pub fn output_kind(path: &Path) -> Result<Output> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => bail!("{} is a directory; give the name of a file to write", path.display()),
        Ok(m) if m.is_file() => {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|l| l.file_type().is_symlink());
            let target = if is_link { std::fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))? } else { path.to_path_buf() };
            Ok(Output::File(target))
        }
        Ok(_) => Ok(Output::Stream),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                bail!("{} is a symbolic link to nothing; remove it or give another name", path.display());
            }
            Ok(Output::File(path.to_path_buf()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot look at {}", path.display())),
    }
}

/// Writes `bytes` to `path` as [`output_kind`] says (creating missing parent folders of a
/// new file); returns what it wrote to.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<Output> {
    let kind = output_kind(path)?;
    match &kind {
        Output::Stream => {
            let mut f = std::fs::OpenOptions::new().write(true).open(path).with_context(|| format!("cannot open {}", path.display()))?;
            f.write_all(bytes).and_then(|()| f.flush()).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Output::File(file) => {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            replace_file(file, bytes)?;
        }
    }
    Ok(kind)
}

/// [`write_output`] for callers that do not care what the output was.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_output(path, bytes).map(drop)
}

/// The temporary file beside `path`.
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    PathBuf::from(tmp)
}

/// Replaces the regular file (or new path) `path` by `bytes` through a temporary file,
/// which is gone afterwards whether this succeeds or not.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temporary_path(path);
    match std::fs::symlink_metadata(&tmp) {
        // Left by a run that was killed while writing: ours to replace.
        Ok(m) if m.is_file() => std::fs::remove_file(&tmp).with_context(|| format!("cannot remove the old {}", tmp.display()))?,
        Ok(_) => bail!("{} is in the way (it is not a file left by an earlier write); move it away", tmp.display()),
        Err(_) => {}
    }
    let result = write_then_rename(&tmp, path, bytes);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_then_rename(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(f);
    std::fs::rename(tmp, path).with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))?;
    // Make the rename itself survive a power cut (best effort: not every file system
    // lets a folder be synced).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    /// `out` holds `bytes` and no temporary file is beside it.
    fn assert_holds(out: &Path, bytes: &[u8]) {
        assert_eq!(std::fs::read(out).unwrap(), bytes);
        assert!(!temporary_path(out).exists(), "the temporary file was left behind");
    }

    #[test]
    fn a_new_file_and_a_replaced_file_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub/out.bin");
        assert_eq!(write_output(&out, b"one").unwrap(), Output::File(out.clone()));
        assert_eq!(write_output(&out, b"two").unwrap(), Output::File(out.clone()));
        assert_holds(&out, b"two");
    }

    #[test]
    fn a_stale_temporary_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        std::fs::write(temporary_path(&out), b"half a file from a killed run").unwrap();
        write(&out, b"whole").unwrap();
        assert_holds(&out, b"whole");
    }

    #[test]
    fn a_failed_rename_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty folder cannot be renamed over: the write succeeds, the rename fails.
        let out = dir.path().join("full");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("x"), b"x").unwrap();
        let e = replace_file(&out, b"bytes").unwrap_err();
        assert!(format!("{e:#}").contains("cannot move"), "{e:#}");
        assert!(!temporary_path(&out).exists(), "the temporary file was left behind");
        assert!(out.join("x").exists());
    }

    #[test]
    fn a_directory_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let e = write(dir.path(), b"bytes").unwrap_err();
        assert!(format!("{e:#}").contains("is a directory"), "{e:#}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_link_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.bin");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.bin");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_pipe_is_written_to_directly() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        assert_eq!(write_output(&fifo, b"through the pipe").unwrap(), Output::Stream);
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced");
        assert!(!temporary_path(&fifo).exists());
    }
}
