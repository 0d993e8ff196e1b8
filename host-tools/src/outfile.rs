//! Every output of every command, and the rules they follow.
//!
//! **Checked before any work** ([`Plan`]): each output path is looked at before a command
//! reads its model or composes a note. It may not be a folder, nor name one (`out/`); its
//! folder must exist (Kantor makes no folder it was not asked for) and be writable; an
//! existing file must be writable (a write-protected one is refused, as `cp` would, even for
//! root); it may not be any of the command's inputs (the same file by any name: a link, a
//! hard link, `./x`), nor another of its outputs. A folder the user asks for (`--report`,
//! `train --out`) may be made, with its parents; a file is refused there.
//!
//! **Written whole or not at all**: a regular file (or a path that does not exist yet) is
//! replaced atomically. The bytes go to `<name>.tmp` beside it (a shorter name when that
//! would be too long for the file system), are flushed to disk, take the permissions of
//! the file they replace, and are renamed over it, so a reader (or a run killed mid-write,
//! or a full disk) sees the old file or the new one, never half of one. The temporary file
//! is removed again if anything fails, and by [`remove_temporaries`] on Ctrl-C. [`Staged`]
//! writes several outputs and renames them only when all of them were written.
//!
//! A device, pipe or socket (`/dev/stdout`, a FIFO) is written to directly: renaming over
//! it would replace the device with an ordinary file.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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

/// The folder a file path lives in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether the path is spelt as a folder: it ends in `/` (or `/.`, `/..`).
fn names_a_folder(path: &Path) -> bool {
    let text = path.as_os_str().as_encoded_bytes();
    text.ends_with(b"/") || path.file_name().is_none()
}

/// Whether this process may write `path` (the operating system's answer: read-only file
/// systems included).
fn may_write(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
    // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Why the existing regular file `path` may not be replaced, if it may not: it is marked
/// read-only (no write permission for anyone; refused for root too, as a promise the
/// user made), or this process may not write it.
fn write_protected(path: &Path, meta: &std::fs::Metadata) -> Option<String> {
    if meta.permissions().mode() & 0o222 == 0 || !may_write(path) {
        Some(format!(
            "{} is write-protected (mode {:o}); Kantor does not replace it: give another name, or make it writable (chmod u+w) first",
            path.display(),
            meta.permissions().mode() & 0o7777
        ))
    } else {
        None
    }
}

/// What `path` names, or an error saying why it cannot be an output: a folder, a name
/// ending in `/`, a link to nothing, a write-protected file, or a file in a folder that
/// does not exist or cannot be written. Commands check their outputs with a [`Plan`]
/// before their work, so a bad output fails at once.
pub fn output_kind(path: &Path) -> Result<Output> {
    if path.as_os_str().is_empty() {
        bail!("an output file name is empty; give the name of a file to write");
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => bail!("{} is a folder; give the name of a file to write (e.g. inside it: {})", path.display(), example_inside(path)),
        Ok(m) if m.is_file() => {
            if names_a_folder(path) {
                bail!("{} ends in a slash but is a file; give its name without the slash", path.display());
            }
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|l| l.file_type().is_symlink());
            let target = if is_link { std::fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))? } else { path.to_path_buf() };
            if let Some(why) = write_protected(&target, &m) {
                bail!(why);
            }
            check_folder(&target)?;
            Ok(Output::File(target))
        }
        Ok(_) => Ok(Output::Stream),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                bail!("{} is a symbolic link to nothing; remove it or give another name", path.display());
            }
            if names_a_folder(path) {
                bail!("{} ends in a slash, so it names a folder; give the name of a file to write (e.g. {})", path.display(), example_inside(path));
            }
            check_folder(path)?;
            Ok(Output::File(path.to_path_buf()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot look at {}", path.display())),
    }
}

/// Refuses a path that is or names a folder where a file is wanted, for options whose
/// files are named after it (`-o x.mid --count 3` writes `x-001.mid`, …).
pub fn not_a_folder(flag: &str, path: &Path) -> Result<()> {
    if path.is_dir() || names_a_folder(path) {
        bail!("{flag} {} is a folder; give the name of a file to write (e.g. inside it: {})", path.display(), example_inside(path));
    }
    Ok(())
}

/// A file name inside the folder `dir`, for messages.
fn example_inside(dir: &Path) -> String {
    let text = dir.display().to_string();
    format!("{}/NAME", text.trim_end_matches('/'))
}

/// The folder of the file `path` exists, is a folder, and can be written.
fn check_folder(path: &Path) -> Result<()> {
    let dir = folder_of(path);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            if !may_write(dir) {
                bail!("cannot write into the folder {} (permission denied or read-only); give a file name in a folder you can write", dir.display());
            }
            Ok(())
        }
        Ok(_) => bail!("{} is not a folder, so {} cannot be written", dir.display(), path.display()),
        Err(_) => bail!(
            "the folder {} does not exist, so {} cannot be written; make it first (Kantor makes no folder it was not asked for)",
            dir.display(),
            path.display()
        ),
    }
}

/// The same file, by any name: (device, inode) of what exists, else its folder's real
/// path and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    Existing(u64, u64),
    New(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    match std::fs::metadata(path) {
        Ok(m) => Some(Identity::Existing(m.dev(), m.ino())),
        Err(_) => {
            let dir = std::fs::canonicalize(folder_of(path)).ok()?;
            Some(Identity::New(dir.join(path.file_name()?)))
        }
    }
}

/// The outputs of one command, checked against each other and against its inputs before
/// any work is done.
#[derive(Debug, Default)]
pub struct Plan {
    inputs: Vec<(PathBuf, Identity)>,
    outputs: Vec<(String, PathBuf, Identity)>,
}

impl Plan {
    pub fn new() -> Plan {
        Plan::default()
    }

    /// A file the command reads (a missing one is the reader's to report). Outputs may
    /// not be it.
    pub fn input(&mut self, path: &Path) -> &mut Plan {
        if let Ok(m) = std::fs::metadata(path) {
            if m.is_file() || m.is_dir() {
                self.inputs.push((path.to_path_buf(), Identity::Existing(m.dev(), m.ino())));
            }
        }
        self
    }

    /// Every file of `paths` as an input.
    pub fn inputs<'a>(&mut self, paths: impl IntoIterator<Item = &'a PathBuf>) -> &mut Plan {
        for p in paths {
            self.input(p);
        }
        self
    }

    /// The output `path` of option `flag` (`-o`, `--png`): checked by [`output_kind`], and
    /// against the inputs and the outputs planned before it.
    pub fn output(&mut self, flag: &str, path: &Path) -> Result<Output> {
        let kind = output_kind(path).with_context(|| flag.to_string())?;
        // A device or pipe may take several outputs, and may be read too (`/dev/stdout`).
        if let Output::File(file) = &kind {
            if let Some(id) = identity(file) {
                if let Some((input, _)) = self.inputs.iter().find(|(_, i)| *i == id) {
                    bail!(
                        "{flag} {} is {}, which this command reads: it would be overwritten; choose another output name",
                        path.display(),
                        if input == path { "an input".to_string() } else { format!("the input {}", input.display()) }
                    );
                }
                if let Some((other, other_path, _)) = self.outputs.iter().find(|(_, _, o)| *o == id) {
                    bail!(
                        "{flag} {} and {other} {} are the same file: one would replace the other; give each output its own name",
                        path.display(),
                        other_path.display()
                    );
                }
                self.outputs.push((flag.to_string(), path.to_path_buf(), id));
            }
        }
        Ok(kind)
    }

    /// A folder the command writes into (`--report DIR`, `train --out DIR`): an existing
    /// folder, or a new one (made, with its parents, when the command writes); not a file,
    /// and not one of the command's inputs.
    pub fn folder(&mut self, flag: &str, dir: &Path) -> Result<()> {
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {
                if !may_write(dir) {
                    bail!("{flag} {}: cannot write into this folder (permission denied or read-only)", dir.display());
                }
            }
            Ok(_) => bail!("{flag} {} is a file, not a folder; {flag} takes a folder (a new name, or an existing folder)", dir.display()),
            Err(_) => {
                // Its nearest existing ancestor must be a writable folder.
                let mut up = dir.parent();
                while let Some(d) = up.filter(|d| !d.as_os_str().is_empty()) {
                    match std::fs::metadata(d) {
                        Ok(m) if m.is_dir() => {
                            if !may_write(d) {
                                bail!("{flag} {}: cannot make it inside {} (permission denied or read-only)", dir.display(), d.display());
                            }
                            break;
                        }
                        Ok(_) => bail!("{flag} {}: {} is a file, so no folder can be made there", dir.display(), d.display()),
                        Err(_) => up = d.parent(),
                    }
                }
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` as [`output_kind`] says; returns what it wrote to.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<Output> {
    let kind = output_kind(path)?;
    match &kind {
        Output::Stream => write_stream(path, |w| w.write_all(bytes).map_err(anyhow::Error::from))?,
        Output::File(file) => {
            let tmp = Temporary::create(file)?;
            tmp.fill(|w| w.write_all(bytes).map_err(anyhow::Error::from))?;
            tmp.rename()?;
        }
    }
    Ok(kind)
}

/// [`write_output`] for callers that do not care what the output was.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_output(path, bytes).map(drop)
}

/// Writes to the device or pipe `path` directly, with `fill`.
fn write_stream(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    fill(&mut w).and_then(|()| w.flush().map_err(anyhow::Error::from)).with_context(|| format!("cannot write {}", path.display()))
}

/// Longest file name most file systems take (bytes).
const NAME_MAX: usize = 255;

/// The temporary file beside `path`: `<name>.tmp`, or, when that name would be too long,
/// the name cut short with a checksum of the whole (so it is still the same each time).
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.as_encoded_bytes().to_vec()).unwrap_or_default();
    if name.len() + 4 <= NAME_MAX {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        return PathBuf::from(tmp);
    }
    let text = String::from_utf8_lossy(&name);
    let mut cut = 200;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let short = format!("{}~{:08x}.tmp", &text[..cut], crc32fast::hash(&name));
    path.with_file_name(short)
}

/// Temporary files being written now, removed by [`remove_temporaries`] on Ctrl-C.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live(f: impl FnOnce(&mut Vec<PathBuf>)) {
    if let Ok(mut v) = LIVE.lock() {
        f(&mut v);
    }
}

/// Removes every temporary file being written (for a Ctrl-C handler: the outputs keep
/// their old contents).
pub fn remove_temporaries() {
    live(|v| {
        for p in v.drain(..) {
            let _ = std::fs::remove_file(p);
        }
    });
}

/// A temporary file beside its output, removed unless renamed into place.
struct Temporary {
    tmp: PathBuf,
    path: PathBuf,
    /// The permissions of the file it replaces.
    mode: Option<u32>,
}

impl Temporary {
    fn create(path: &Path) -> Result<Temporary> {
        let tmp = temporary_path(path);
        match std::fs::symlink_metadata(&tmp) {
            // Left by a run that was killed while writing: ours to replace.
            Ok(m) if m.is_file() => std::fs::remove_file(&tmp).with_context(|| format!("cannot remove the old {}", tmp.display()))?,
            Ok(_) => bail!("{} is in the way (it is not a file left by an earlier write); move it away", tmp.display()),
            Err(_) => {}
        }
        let mode = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.permissions().mode());
        std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        live(|v| v.push(tmp.clone()));
        Ok(Temporary { tmp, path: path.to_path_buf(), mode })
    }

    /// Writes the temporary file with `fill`, flushed to disk.
    fn fill(&self, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
        let f = std::fs::OpenOptions::new().write(true).truncate(true).open(&self.tmp).with_context(|| format!("cannot open {}", self.tmp.display()))?;
        let mut w = std::io::BufWriter::new(f);
        fill(&mut w).and_then(|()| w.flush().map_err(anyhow::Error::from)).with_context(|| format!("cannot write {}", self.tmp.display()))?;
        let f = w.into_inner().map_err(|e| e.into_error()).with_context(|| format!("cannot write {}", self.tmp.display()))?;
        if let Some(mode) = self.mode {
            f.set_permissions(std::fs::Permissions::from_mode(mode)).with_context(|| format!("cannot set the permissions of {}", self.tmp.display()))?;
        }
        f.sync_all().with_context(|| format!("cannot write {}", self.tmp.display()))
    }

    fn rename(self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.path).with_context(|| format!("cannot move {} to {}", self.tmp.display(), self.path.display()))?;
        // Make the rename itself survive a power cut (best effort: not every file system
        // lets a folder be synced).
        if let Ok(d) = std::fs::File::open(folder_of(&self.path)) {
            let _ = d.sync_all();
        }
        live(|v| v.retain(|p| *p != self.tmp));
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
        live(|v| v.retain(|p| *p != self.tmp));
    }
}

/// Several outputs written together: each goes to its temporary file, and only when every
/// one of them has been written are they renamed into place ([`Staged::commit`]). Dropped
/// without committing, it removes what it wrote. Devices and pipes are written when they
/// are added (they cannot wait).
#[derive(Default)]
pub struct Staged {
    files: Vec<Temporary>,
    /// A folder made for these outputs, removed again if they are not committed.
    made: Option<PathBuf>,
}

impl Staged {
    pub fn new() -> Staged {
        Staged::default()
    }

    /// Outputs into the folder `dir` a command was asked to write into: made (with its
    /// parents) if it does not exist, and removed again if nothing is committed into it.
    pub fn into_folder(dir: &Path) -> Result<Staged> {
        let made = if dir.is_dir() {
            None
        } else {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot make the folder {}", dir.display()))?;
            Some(dir.to_path_buf())
        };
        Ok(Staged { files: Vec::new(), made })
    }

    /// Stages `bytes` for `path`.
    pub fn add(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.add_with(path, |w| w.write_all(bytes).map_err(anyhow::Error::from))
    }

    /// Stages what `fill` writes for `path` (as it is made: nothing is held in memory).
    pub fn add_with(&mut self, path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
        match output_kind(path)? {
            Output::Stream => write_stream(path, fill),
            Output::File(file) => {
                let tmp = Temporary::create(&file)?;
                tmp.fill(fill)?;
                self.files.push(tmp);
                Ok(())
            }
        }
    }

    /// Renames every staged file into place.
    pub fn commit(mut self) -> Result<()> {
        self.made = None;
        for tmp in std::mem::take(&mut self.files) {
            tmp.rename()?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        self.files.clear();
        if let Some(dir) = &self.made {
            let _ = std::fs::remove_dir(dir);
        }
    }
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

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_file_and_a_replaced_file_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        assert_eq!(write_output(&out, b"one").unwrap(), Output::File(out.clone()));
        assert_eq!(write_output(&out, b"two").unwrap(), Output::File(out.clone()));
        assert_holds(&out, b"two");
    }

    #[test]
    fn no_folder_is_made_for_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = write(&dir.path().join("sub/out.bin"), b"one").unwrap_err();
        assert!(format!("{e:#}").contains("does not exist"), "{e:#}");
        assert!(names(dir.path()).is_empty());
        let e = write(&dir.path().join("sub/"), b"one").unwrap_err();
        assert!(format!("{e:#}").contains("names a folder"), "{e:#}");
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
        let tmp = Temporary::create(&out).unwrap();
        tmp.fill(|w| w.write_all(b"bytes").map_err(Into::into)).unwrap();
        let e = tmp.rename().unwrap_err();
        assert!(format!("{e:#}").contains("cannot move"), "{e:#}");
        assert!(!temporary_path(&out).exists(), "the temporary file was left behind");
        assert!(out.join("x").exists());
    }

    #[test]
    fn a_directory_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let e = write(dir.path(), b"bytes").unwrap_err();
        assert!(format!("{e:#}").contains("is a folder"), "{e:#}");
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
    fn permissions_are_kept_and_a_write_protected_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("script.sh");
        std::fs::write(&out, b"old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o750)).unwrap();
        write(&out, b"new").unwrap();
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777, 0o750);
        assert_holds(&out, b"new");
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o444)).unwrap();
        let e = write(&out, b"newer").unwrap_err();
        assert!(format!("{e:#}").contains("write-protected"), "{e:#}");
        assert_holds(&out, b"new");
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777, 0o444);
    }

    #[test]
    fn a_long_name_gets_a_short_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // 254 bytes: a valid name, but not with ".tmp" after it.
        let name = &("é".repeat(125) + ".png");
        assert_eq!(name.len(), 254);
        let out = dir.path().join(name);
        let tmp = temporary_path(&out);
        assert!(tmp.file_name().unwrap().len() <= NAME_MAX, "{}", tmp.display());
        assert_eq!(tmp, temporary_path(&out), "the same name each time");
        write(&out, b"picture").unwrap();
        assert_holds(&out, b"picture");
        assert_eq!(names(dir.path()), [name.as_str()]);
    }

    #[test]
    fn inputs_and_other_outputs_are_refused_by_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.onnx");
        std::fs::write(&model, b"model").unwrap();
        let hard = dir.path().join("hard.onnx");
        std::fs::hard_link(&model, &hard).unwrap();
        let link = dir.path().join("link.onnx");
        std::os::unix::fs::symlink(&model, &link).unwrap();
        let dotted = dir.path().join(".").join("m.onnx");
        for out in [&model, &hard, &link, &dotted] {
            let mut plan = Plan::new();
            plan.input(&model);
            let e = plan.output("-o", out).unwrap_err();
            assert!(format!("{e:#}").contains("which this command reads"), "{}: {e:#}", out.display());
        }
        let mut plan = Plan::new();
        plan.output("-o", &dir.path().join("a.mid")).unwrap();
        let e = plan.output("--musicxml", &dir.path().join("./a.mid")).unwrap_err();
        assert!(format!("{e:#}").contains("are the same file"), "{e:#}");
        plan.output("--png", &dir.path().join("a.png")).unwrap();
        assert_eq!(std::fs::read(&model).unwrap(), b"model");
    }

    #[test]
    fn a_folder_output_is_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = Plan::new().folder("--report", &file).unwrap_err();
        assert!(format!("{e:#}").contains("is a file, not a folder"), "{e:#}");
        Plan::new().folder("--report", &dir.path().join("new/deeper")).unwrap();
        Plan::new().folder("--report", dir.path()).unwrap();
        let e = Plan::new().folder("--report", &file.join("below")).unwrap_err();
        assert!(format!("{e:#}").contains("is a file"), "{e:#}");
    }

    #[test]
    fn staged_outputs_appear_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"old a").unwrap();
        {
            let mut staged = Staged::new();
            staged.add(&a, b"new a").unwrap();
            let e = staged.add_with(&b, |_| bail!("the disk is full")).unwrap_err();
            assert!(format!("{e:#}").contains("the disk is full"));
        }
        assert_eq!(names(dir.path()), ["a"]);
        assert_holds(&a, b"old a");
        let mut staged = Staged::new();
        staged.add(&a, b"new a").unwrap();
        staged.add(&b, b"new b").unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"old a", "replaced before the commit");
        assert!(!b.exists(), "made before the commit");
        staged.commit().unwrap();
        assert_holds(&a, b"new a");
        assert_holds(&b, b"new b");
        // A folder made for outputs that never came is gone again.
        let report = dir.path().join("report");
        {
            let mut staged = Staged::into_folder(&report).unwrap();
            staged.add(&report.join("REPORT.md"), b"half").unwrap();
        }
        assert!(!report.exists());
        let mut staged = Staged::into_folder(&report).unwrap();
        staged.add(&report.join("REPORT.md"), b"whole").unwrap();
        staged.commit().unwrap();
        assert_holds(&report.join("REPORT.md"), b"whole");
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
