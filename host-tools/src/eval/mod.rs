//! Measuring chorales against Bach: `kantor eval`.
//!
//! The metrics work on frames (`&[Frame]`) and are grouped by what they look at:
//! [`voice_leading`], [`harmony`] (with [`key`] finding), [`statistics`] (histogram
//! distances), [`structure`] and [`copying`]. [`metrics`] gathers them per piece and
//! names them; [`evaluation`] measures whole sets against a reference; [`table`] and
//! [`report`] show the result; [`calibrate`] builds the sets that show what the numbers
//! mean.

pub mod calibrate;
pub mod copying;
pub mod evaluation;
pub mod generation;
pub mod harmony;
pub mod input;
pub mod key;
pub mod metrics;
pub mod notes;
pub mod report;
pub mod statistics;
pub mod structure;
pub mod summary;
pub mod table;
pub mod voice_leading;

pub use evaluation::{evaluate, Candidates, Evaluation};
pub use metrics::{measure, Metric, Piece, PieceMetrics, METRICS};

use crate::compose::{ConstraintArg, Engine, EngineKind, SamplerArgs};
use crate::dataset::{Dataset, Split};
use anyhow::{bail, Context, Result};
use input::{dataset_pieces, parse_reference, read_chorales, split_label, ReferenceSpec};
use std::path::PathBuf;

/// Arguments of `kantor eval`.
///
/// Measures chorales (MIDI files, or the calibration sets) against a reference set of
/// Bach chorales: voice leading, harmony, distributions, structure and copying of the
/// training set. Prints a table (mean, median and standard deviation over pieces, one
/// column group per set), and optionally writes JSON and a Markdown report with pictures.
#[derive(clap::Args, Debug)]
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
    /// key signature from a reference chorale in turn.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub generate: Option<u32>,

    /// The score network for --generate: an ONNX model (f32 engine) or a .kq8 blob (int8
    /// engine). Default: models/default/model.onnx, or models/default/model.kq8 with
    /// --engine int8.
    #[arg(long, requires = "generate")]
    pub model: Option<PathBuf>,

    /// Which implementation runs the network for --generate.
    #[arg(long, value_enum, default_value_t = EngineKind::F32)]
    pub engine: EngineKind,

    /// Langevin steps per noise level for --generate, comma separated (e.g. 10,30,100):
    /// one generated set per value, and a quality-against-evaluations curve in the report
    /// when there are several. Default: the model's setting.
    #[arg(long, value_delimiter = ',', requires = "generate")]
    pub steps: Vec<usize>,

    /// Scale of the injected noise for --generate: 1 is true Langevin dynamics, lower
    /// values give safer, plainer music (default: the model's).
    #[arg(long, requires = "generate")]
    pub temperature: Option<f32>,

    /// Take a reverse-diffusion predictor step between noise levels for --generate: on
    /// or off (default: the model's).
    #[arg(long, requires = "generate")]
    pub predictor: Option<bool>,

    /// Constrain the denoised estimate for --generate: none, clip or simplex (default:
    /// the model's).
    #[arg(long, value_enum, requires = "generate")]
    pub constraint: Option<ConstraintArg>,

    /// Seed of the sampler (chorale i uses SEED + i) and of the random-notes calibration
    /// set.
    #[arg(long, default_value_t = 1)]
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

pub fn run(args: EvalArgs) -> Result<()> {
    let needs_dataset = matches!(args.reference, ReferenceSpec::Split(_)) || !args.no_copy;
    let dataset = if needs_dataset {
        match Dataset::load(&args.dataset) {
            Ok(d) => Some(d),
            Err(e) if matches!(args.reference, ReferenceSpec::Split(_)) => {
                return Err(e).context("the reference is a split of the dataset; prepare it with `kantor prepare`, pass --dataset, or give --reference a folder of .mid files")
            }
            Err(e) => {
                eprintln!("warning: no copy detection ({e:#})");
                None
            }
        }
    } else {
        None
    };

    let (reference_label, reference) = match (&args.reference, &dataset) {
        (ReferenceSpec::Split(split), Some(d)) => {
            (split_label(*split).to_string(), dataset_pieces(d, *split))
        }
        (ReferenceSpec::Files(path), _) => (
            format!(
                "reference {}",
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            ),
            read_chorales(std::slice::from_ref(path)).context("cannot read the reference")?,
        ),
        (ReferenceSpec::Split(_), None) => unreachable!("the dataset was loaded above"),
    };
    if reference.is_empty() {
        bail!("the reference set is empty");
    }

    let mut candidates = Vec::new();
    if !args.inputs.is_empty() {
        let pieces = read_chorales(&args.inputs)?;
        candidates.push(Candidates {
            label: "given".into(),
            settings: None,
            pieces,
        });
    }
    if args.calibrate {
        candidates.push(Candidates {
            label: "shuffled voices".into(),
            settings: None,
            pieces: calibrate::shuffled_voices(&reference),
        });
        candidates.push(Candidates {
            label: "random notes".into(),
            settings: Some(format!("seed {}", args.seed)),
            pieces: calibrate::random_notes(&reference, args.seed),
        });
    }
    if let Some(count) = args.generate {
        let path = args
            .model
            .clone()
            .unwrap_or_else(|| args.engine.default_model());
        let mut engine = Engine::load(&path, args.engine)?;
        let steps: Vec<Option<usize>> = if args.steps.is_empty() {
            vec![None]
        } else {
            args.steps.iter().map(|&s| Some(s)).collect()
        };
        let base = SamplerArgs {
            temperature: args.temperature,
            predictor: args.predictor,
            constraint: args.constraint,
            ..SamplerArgs::default()
        };
        let sets = generation::generate_sets(
            &mut engine,
            &reference,
            count as usize,
            &base,
            &steps,
            args.seed,
            !args.quiet,
        )?;
        for s in &sets {
            eprintln!("{}: {}", s.label, s.settings.as_deref().unwrap_or(""));
        }
        candidates.extend(sets);
    }
    if candidates.is_empty() {
        bail!("nothing to evaluate: give .mid files or folders, --generate N, or --calibrate");
    }

    if args.reference == ReferenceSpec::Split(Split::Train) && !args.no_copy && !args.quiet {
        eprintln!("note: the reference is the training split, so its copying figures are trivially 100 % (--no-copy skips them)");
    }
    let training = match (&dataset, args.no_copy) {
        (Some(d), false) => Some(
            copying::TrainingIndex::build(d.split(Split::Train).map(|c| c.frames.as_slice()))
                .with_names(d.split(Split::Train).map(|c| c.source.clone()).collect()),
        ),
        _ => None,
    };
    let evaluation = evaluate(
        &reference_label,
        &reference,
        &candidates,
        training.as_ref(),
        !args.quiet,
    );

    let mut text = table::text_table(&evaluation.columns());
    let separation = if args.calibrate {
        calibrate::separation_table(&evaluation.reference, &evaluation.sets)
    } else {
        String::new()
    };
    if args.calibrate {
        text += &format!("\n{separation}");
    }
    if args.per_file {
        for set in &evaluation.sets {
            text += &format!(
                "\n{}:\n{}",
                set.label,
                table::markdown_pieces(set, PER_PIECE)
            );
        }
    }
    print_out(&text)?;
    if let Some(dir) = &args.report {
        let pieces: Vec<&[Piece]> = candidates.iter().map(|c| c.pieces.as_slice()).collect();
        let extra = if separation.is_empty() {
            String::new()
        } else {
            format!(
                "\n## Separation\n\n{}\n\n```text\n{separation}```\n",
                calibrate::SEPARATION_NOTE
            )
        };
        report::write_report(dir, &evaluation, &reference, &pieces, &extra)?;
        eprintln!("wrote {}", dir.join("REPORT.md").display());
    }
    if let Some(path) = &args.json {
        evaluation.write_json(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Prints to standard output; a closed pipe (`kantor eval | head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("cannot write to standard output"),
    }
}

/// The metrics shown per piece.
pub const PER_PIECE: &[&str] = &[
    "crossing_pct",
    "parallel_fifths_per_100",
    "parallel_octaves_per_100",
    "chordal_pct",
    "in_key_pct",
    "cadence_pct",
    "longest_copy_frames",
];
