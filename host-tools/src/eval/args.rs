//! The command line of `kantor eval`.

use super::input::{parse_reference, ReferenceSpec};
use crate::compose::{EngineKind, SamplerArgs};
use std::path::PathBuf;

/// Arguments of `kantor eval`.
///
/// Measures chorales (MIDI files, or the calibration sets) against a reference set of
/// Bach chorales: voice leading, part writing, harmony, the whole piece, distributions,
/// structure and copying of the training set. Prints a table (mean, median and standard
/// deviation over pieces, one column group per set) and a classifier two-sample test of
/// each set against the reference, and optionally writes JSON and a Markdown report with
/// pictures.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("composing").args(["generate", "harmonize_held_out", "harmonize_dir"]).multiple(true)))]
#[command(after_long_help = super::help_definitions())]
// The sampler overrides only mean something when chorales are composed.
#[command(mut_group("SamplerArgs", |g| g.requires("composing")))]
pub struct EvalArgs {
    /// Chorales to measure: .mid files and/or folders of them. Each needs four voices
    /// (four tracks or four channels; the highest is taken as the soprano).
    pub inputs: Vec<PathBuf>,

    /// The prepared dataset (from `kantor prepare`): its held-out test split is the
    /// default reference and its training split is searched for copied passages.
    #[arg(long, default_value = "models/bach-chorales.kds")]
    pub dataset: PathBuf,

    /// What to measure against: `test`, `valid` or `train` (a split of --dataset), or a
    /// .mid file or folder of them.
    #[arg(long, default_value = "test", value_parser = parse_reference)]
    pub reference: ReferenceSpec,

    /// Do not search the training split for copied passages.
    #[arg(long)]
    pub no_copy: bool,

    /// Calibrate the metrics: measure the reference (held-out Bach), Bach's voices
    /// shuffled across chorales, and random notes in range on Bach's rhythms. The three
    /// must separate clearly.
    #[arg(long)]
    pub calibrate: bool,

    /// Compose this many chorales with the sampler (per --steps setting) and measure
    /// them together with their cost. Each takes its length, bar positions, fermatas and
    /// key signature from a reference chorale in turn [range: 1 to 10000].
    #[arg(long, value_name = "N", value_parser = crate::ranges::within(1u32, 10_000))]
    pub generate: Option<u32>,

    /// Harmonise the sopranos of this many reference chorales (held-out Bach by default):
    /// the soprano is kept note for note and the network writes alto, tenor and bass, as
    /// `kantor harmonize` does; the set is measured like any other [range: 1 to 10000].
    #[arg(long, value_name = "N", value_parser = crate::ranges::within(1u32, 10_000))]
    pub harmonize_held_out: Option<u32>,

    /// Harmonise every melody in this folder (.musicxml, .xml, .mxl, .mid: one voice each,
    /// e.g. the benchmark in models/benchmark/melodies) as `kantor harmonize --melody`
    /// does with its defaults, seeds SEED, SEED+1, … in file-name order, and measure the
    /// set like any other. A melody `kantor harmonize` would refuse is an error.
    #[arg(long, value_name = "DIR")]
    pub harmonize_dir: Option<PathBuf>,

    /// The score network for --generate: an ONNX model (f32 engine) or a .kq8 blob (int8
    /// engine). Default: the shipped model built into this binary (models/default/model.onnx,
    /// or model.kq8 with --engine int8), so no file is needed.
    #[arg(long, requires = "composing")]
    pub model: Option<PathBuf>,

    /// Which implementation runs the network for --generate.
    #[arg(long, value_enum, default_value_t = EngineKind::F32)]
    pub engine: EngineKind,

    /// Langevin steps per noise level for --generate, comma separated (e.g. 10,30,100):
    /// one generated set per value, and a quality-against-evaluations curve in the report
    /// when there are several. Default: the model's setting [range: 1 to 1000].
    #[arg(long, value_delimiter = ',', requires = "composing", value_parser = crate::compose::count_parser("steps"))]
    pub steps: Vec<usize>,

    #[arg(long, value_name = "PAIRS", requires = "composing", help = format!(
        "Sampler settings for --generate over the model's own, as space-separated key=value pairs in the form of the \
         model's `kantor.sampler` (e.g. \"levels=40 epsilon=0.001\"; keys: {}; each within the range of its flag). The \
         sampler flags (--levels, --temperature, …) apply on top.",
        crate::compose::setting_keys()
    ))]
    pub sampler: Option<String>,

    /// Overrides of the sampler settings for --generate and --harmonize-held-out, as
    /// `kantor generate` takes them; they apply on top of --sampler.
    #[command(flatten)]
    pub overrides: SamplerArgs,

    /// Seed of the sampler (chorale i uses SEED + i) and of the random-notes calibration
    /// set [range: 0 to 18446744073709551615].
    #[arg(long, default_value_t = 1, value_parser = crate::ranges::SEED)]
    pub seed: u64,

    /// Also print one row per piece of every evaluated set.
    #[arg(long)]
    pub per_file: bool,

    /// Write every metric of every piece, and the summaries, to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write a Markdown report (REPORT.md) with piano rolls, histograms against the
    /// reference and the metric table into this folder.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,

    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl EvalArgs {
    /// The step settings to compose with (`None` = the model's).
    pub fn step_settings(&self) -> Vec<Option<usize>> {
        if self.steps.is_empty() {
            vec![None]
        } else {
            self.steps.iter().map(|&s| Some(s)).collect()
        }
    }
}
