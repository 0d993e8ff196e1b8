//! The run's CSV logs: `train.csv` (every step) and `valid.csv` (every validation).

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const TRAIN_LOG: &str = "train.csv";
pub const VALID_LOG: &str = "valid.csv";

/// An append-only CSV log whose first column is the step.
pub struct CsvLog {
    path: PathBuf,
    file: std::fs::File,
}

impl CsvLog {
    /// Opens `run/name` for appending. Rows of steps after `keep_through` (left by a run
    /// that stopped after its last checkpoint) are dropped, so a resumed run's log reads as
    /// one run; a new file starts with `header`.
    pub fn open(run: &Path, name: &str, header: &str, keep_through: u64) -> anyhow::Result<CsvLog> {
        let path = run.join(name);
        let mut text = String::new();
        if keep_through > 0 {
            if let Ok(old) = std::fs::read_to_string(&path) {
                for (i, line) in old.lines().enumerate() {
                    let step: Option<u64> = line.split(',').next().and_then(|s| s.parse().ok());
                    if (i == 0 && step.is_none()) || step.is_some_and(|s| s <= keep_through) {
                        text.push_str(line);
                        text.push('\n');
                    }
                }
            }
        }
        if text.is_empty() {
            text = format!("{header}\n");
        }
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        let file = std::fs::OpenOptions::new().append(true).open(&path).with_context(|| format!("opening {}", path.display()))?;
        Ok(CsvLog { path, file })
    }

    pub fn row(&mut self, fields: &[String]) -> anyhow::Result<()> {
        writeln!(self.file, "{}", fields.join(",")).with_context(|| format!("writing {}", self.path.display()))
    }

    /// The rows read back as numbers (header skipped).
    pub fn read(path: &Path) -> anyhow::Result<Vec<Vec<f64>>> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(text.lines().skip(1).map(|l| l.split(',').filter_map(|v| v.parse().ok()).collect()).collect())
    }
}
