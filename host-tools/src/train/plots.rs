//! Pictures of a run's logs: `loss.png` (training and validation loss) and `bands.png`
//! (validation loss per noise band).

use super::log::{CsvLog, TRAIN_LOG, VALID_LOG};
use crate::plot::line_chart;
use std::path::Path;

/// Means of consecutive groups of `width` training losses, at each group's last step.
fn smoothed(rows: &[Vec<f64>], width: usize) -> Vec<(f64, f64)> {
    rows.chunks(width.max(1))
        .filter(|c| c.iter().all(|r| r.len() >= 4))
        .map(|c| (c[c.len() - 1][0], c.iter().map(|r| r[3]).sum::<f64>() / c.len() as f64))
        .collect()
}

/// Draws both plots from the CSV logs in `run`.
pub fn write_plots(run: &Path) -> anyhow::Result<()> {
    let train = CsvLog::read(&run.join(TRAIN_LOG))?;
    let valid = CsvLog::read(&run.join(VALID_LOG))?;
    let header = crate::infile::read_text(&run.join(VALID_LOG), crate::infile::TEXT)?;
    let bands: Vec<String> = header.lines().next().unwrap_or("").split(',').skip(2).map(|s| s.replace("sigma_", "sigma ")).collect();
    let width = (train.len() / 200).max(1);
    let valid_mean: Vec<(f64, f64)> = valid.iter().filter(|r| r.len() >= 2).map(|r| (r[0], r[1])).collect();
    let train_label = format!("training (mean of {width} steps)");
    let loss = line_chart(
        "Denoising score matching loss (sigma^2-weighted)",
        "step",
        "loss",
        &[(train_label.as_str(), smoothed(&train, width)), ("validation (EMA weights, mean over bands)", valid_mean)],
        true,
    )?;
    let per_band: Vec<(String, Vec<(f64, f64)>)> = bands
        .iter()
        .enumerate()
        .map(|(b, name)| (name.clone(), valid.iter().filter(|r| r.len() > b + 2).map(|r| (r[0], r[b + 2])).collect()))
        .collect();
    let series: Vec<(&str, Vec<(f64, f64)>)> = per_band.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
    let bands = line_chart("Validation loss per noise band", "step", "loss", &series, true)?;
    let mut out = crate::outfile::Staged::new();
    out.add(&run.join("loss.png"), &loss)?;
    out.add(&run.join("bands.png"), &bands)?;
    out.commit()
}
