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
    /// that stopped after its last checkpoint) are dropped, and so is a last row cut short
    /// by a killed run, so a resumed run's log reads as one run; a new file starts with
    /// `header`. The kept rows are rewritten atomically.
    pub fn open(run: &Path, name: &str, header: &str, keep_through: u64) -> anyhow::Result<CsvLog> {
        let path = run.join(name);
        let mut text = String::new();
        if keep_through > 0 {
            if let Ok(old) = crate::infile::read_text(&path, crate::infile::TEXT) {
                let columns = header.split(',').count();
                // `split_inclusive` keeps each line's newline: a line without one was cut.
                for (i, line) in old.split_inclusive('\n').enumerate() {
                    let Some(line) = line.strip_suffix('\n') else { break };
                    let step: Option<u64> = line.split(',').next().and_then(|s| s.parse().ok());
                    let whole = line.split(',').count() == columns;
                    if (i == 0 && step.is_none()) || (whole && step.is_some_and(|s| s <= keep_through)) {
                        text.push_str(line);
                        text.push('\n');
                    }
                }
            }
        }
        if text.is_empty() {
            text = format!("{header}\n");
        }
        crate::outfile::write(&path, text.as_bytes())?;
        let file = std::fs::OpenOptions::new().append(true).open(&path).with_context(|| format!("opening {}", path.display()))?;
        Ok(CsvLog { path, file })
    }

    /// Appends one row (in a single write, so a kill cuts at most this row short).
    pub fn row(&mut self, fields: &[String]) -> anyhow::Result<()> {
        let line = fields.join(",") + "\n";
        self.file.write_all(line.as_bytes()).with_context(|| format!("writing {}", self.path.display()))
    }

    /// The rows read back as numbers (header skipped).
    pub fn read(path: &Path) -> anyhow::Result<Vec<Vec<f64>>> {
        let text = crate::infile::read_text(path, crate::infile::TEXT)?;
        Ok(text.lines().skip(1).map(|l| l.split(',').filter_map(|v| v.parse().ok()).collect()).collect())
    }
}
