//! `kantor eval` from arguments to output: load the reference, gather what to measure
//! (files, generated chorales, calibration sets), measure, and print or write the result.

use super::args::EvalArgs;
use super::copying::TrainingIndex;
use super::evaluation::{evaluate, Candidates, Evaluation};
use super::input::{dataset_pieces, melody_plans, read_chorales, split_label, ReferenceSpec};
use super::metrics::{measure, Piece};
use super::two_sample::{feature_names, feature_rows, TwoSampleReport};
use super::{calibrate, generation, report, table, PER_PIECE};
use crate::compose::Engine;
use crate::dataset::{Dataset, Split};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Runs `kantor eval`.
pub fn run(args: EvalArgs) -> Result<()> {
    // The outputs are checked now, not after the measuring: not an input, not each other.
    let mut plan = crate::outfile::Plan::new();
    plan.inputs(&super::input::midi_files(&args.inputs).unwrap_or_default());
    plan.inputs(args.model.iter().chain([&args.dataset]));
    if let ReferenceSpec::Files(path) = &args.reference {
        plan.inputs(&super::input::midi_files(std::slice::from_ref(path)).unwrap_or_default());
    }
    if let Some(dir) = &args.harmonize_dir {
        let melodies: Vec<std::path::PathBuf> = std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
        plan.inputs(&melodies);
    }
    if let Some(json) = &args.json {
        plan.output("--json", json)?;
    }
    if let Some(dir) = &args.report {
        plan.folder("--report", dir)?;
    }
    let dataset = load_dataset(&args)?;
    let (reference_label, reference) = reference_set(&args, dataset.as_ref())?;
    let candidates = candidates(&args, &reference)?;
    if args.reference == ReferenceSpec::Split(Split::Train) && !args.no_copy && !args.quiet {
        eprintln!("note: the reference is the training split, so its copying figures are trivially 100 % (--no-copy skips them)");
    }
    let training = dataset
        .as_ref()
        .filter(|_| !args.no_copy)
        .map(training_index);
    let mut evaluation = evaluate(
        &reference_label,
        &reference,
        &candidates,
        training.as_ref(),
        !args.quiet,
    );
    evaluation.two_sample = Some(two_sample(&args, dataset.as_ref(), &evaluation, &reference, &candidates));
    write_outputs(&args, &evaluation, &reference, &candidates)
}

/// The classifier two-sample test of every set against the reference. Its floor is
/// another set of Bach: the validation split against the held-out one (or the held-out
/// split against any other split), or, for a reference of files, its two halves (pieces
/// alternately) against each other.
fn two_sample(
    args: &EvalArgs,
    dataset: Option<&Dataset>,
    evaluation: &Evaluation,
    reference: &[Piece],
    candidates: &[Candidates],
) -> TwoSampleReport {
    let base = feature_rows(reference, &evaluation.reference.pieces);
    let names = reference.first().zip(evaluation.reference.pieces.first()).map_or_else(Vec::new, |(p, m)| feature_names(p, m));
    let mut report = TwoSampleReport::new(&evaluation.reference.label, names, args.seed);
    match (&args.reference, dataset) {
        (ReferenceSpec::Split(split), Some(d)) => {
            let other = if *split == Split::Test { Split::Valid } else { Split::Test };
            let pieces = dataset_pieces(d, other);
            let metrics: Vec<_> = pieces.iter().map(|p| measure(p, None)).collect();
            report.add(split_label(other), true, &feature_rows(&pieces, &metrics), &base);
        }
        _ => {
            let (even, odd): (Vec<_>, Vec<_>) = base.iter().cloned().enumerate().partition(|(i, _)| i % 2 == 0);
            let strip = |rows: Vec<(usize, Vec<f64>)>| rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>();
            report.add("the reference's two halves", true, &strip(even), &strip(odd));
        }
    }
    for (c, set) in candidates.iter().zip(&evaluation.sets) {
        report.add(&set.label, false, &feature_rows(&c.pieces, &set.pieces), &base);
    }
    report
}

/// The dataset, when the reference or copy detection needs it. Without it, copy
/// detection is skipped with a warning; a split reference is an error.
fn load_dataset(args: &EvalArgs) -> Result<Option<Dataset>> {
    let split_reference = matches!(args.reference, ReferenceSpec::Split(_));
    if !split_reference && args.no_copy {
        return Ok(None);
    }
    match Dataset::load(&args.dataset) {
        Ok(d) => Ok(Some(d)),
        Err(e) if split_reference => Err(e).context(
            "the reference is a split of the dataset; prepare it with `kantor prepare`, pass --dataset, or give --reference a folder of .mid files",
        ),
        Err(e) => {
            eprintln!("warning: no copy detection ({e:#})");
            Ok(None)
        }
    }
}

/// The name of a path for column titles: its last component.
fn short_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The reference set's column title and chorales.
fn reference_set(args: &EvalArgs, dataset: Option<&Dataset>) -> Result<(String, Vec<Piece>)> {
    let (label, pieces) = match (&args.reference, dataset) {
        (ReferenceSpec::Split(split), Some(d)) => {
            (split_label(*split).to_string(), dataset_pieces(d, *split))
        }
        (ReferenceSpec::Split(_), None) => {
            bail!("the reference is a split of the dataset, but no dataset was loaded")
        }
        (ReferenceSpec::Files(path), _) => (
            format!("reference {}", short_name(path)),
            read_chorales(std::slice::from_ref(path)).context("cannot read the reference")?,
        ),
    };
    if pieces.is_empty() {
        bail!("the reference set is empty");
    }
    Ok((label, pieces))
}

/// Everything to measure against the reference: the given files, the calibration sets,
/// the generated sets.
fn candidates(args: &EvalArgs, reference: &[Piece]) -> Result<Vec<Candidates>> {
    let mut sets = Vec::new();
    if let Some(first) = args.inputs.first() {
        let more = if args.inputs.len() > 1 { " …" } else { "" };
        sets.push(Candidates {
            label: format!("{}{more}", short_name(first)),
            settings: None,
            pieces: read_chorales(&args.inputs)?,
        });
    }
    if args.calibrate {
        sets.push(Candidates {
            label: "shuffled voices".into(),
            settings: None,
            pieces: calibrate::shuffled_voices(reference),
        });
        sets.push(Candidates {
            label: "random notes".into(),
            settings: Some(format!("seed {}", args.seed)),
            pieces: calibrate::random_notes(reference, args.seed),
        });
    }
    if args.generate.is_some() || args.harmonize_held_out.is_some() || args.harmonize_dir.is_some() {
        let mut engine = match &args.model {
            Some(path) => Engine::load(path, args.engine)?,
            None => Engine::builtin(args.engine)?,
        };
        if let Some(text) = &args.sampler {
            engine.defaults.apply_text(text).map_err(|e| anyhow::anyhow!("--sampler: {e}"))?;
            crate::compose::check_settings(&engine.defaults).map_err(|e| anyhow::anyhow!("--sampler {text:?}: {e}"))?;
        }
        let melodies = args.harmonize_dir.as_deref().map(melody_plans).transpose()?;
        let mut tasks: Vec<(usize, generation::Task, &[Piece])> = Vec::new();
        if let Some(n) = args.generate {
            tasks.push((n as usize, generation::Task::Compose, reference));
        }
        if let Some(n) = args.harmonize_held_out {
            tasks.push((n as usize, generation::Task::HarmonizeSoprano, reference));
        }
        if let Some(plans) = &melodies {
            tasks.push((plans.len(), generation::Task::HarmonizeMelody, plans));
        }
        for (count, task, plans) in tasks {
            let generated = generation::generate_sets(
                &mut engine,
                plans,
                count,
                &args.overrides,
                &args.step_settings(),
                args.seed,
                task,
                !args.quiet,
            )?;
            for s in &generated {
                eprintln!("{}: {}", s.label, s.settings.as_deref().unwrap_or(""));
            }
            sets.extend(generated);
        }
    }
    if sets.is_empty() {
        bail!("nothing to evaluate: give .mid files or folders, --generate N, --harmonize-held-out N, --harmonize-dir DIR, or --calibrate");
    }
    Ok(sets)
}

/// The training split, indexed for copy detection.
fn training_index(dataset: &Dataset) -> TrainingIndex {
    TrainingIndex::build(dataset.split(Split::Train).map(|c| c.frames.as_slice())).with_names(
        dataset
            .split(Split::Train)
            .map(|c| c.source.clone())
            .collect(),
    )
}

/// The table on standard output, and the report and JSON when asked for.
fn write_outputs(
    args: &EvalArgs,
    evaluation: &Evaluation,
    reference: &[Piece],
    candidates: &[Candidates],
) -> Result<()> {
    let mut text = table::text_table(&evaluation.columns());
    let separation = if args.calibrate {
        calibrate::separation_table(&evaluation.reference, &evaluation.sets)
    } else {
        String::new()
    };
    if args.calibrate {
        text += &format!("\n{separation}");
    }
    if let Some(c2st) = &evaluation.two_sample {
        text += &format!("\n{}", c2st.text());
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
        let mut extra = if separation.is_empty() {
            String::new()
        } else {
            format!(
                "\n## Separation\n\n{}\n\n```text\n{separation}```\n",
                calibrate::SEPARATION_NOTE
            )
        };
        if let Some(c2st) = &evaluation.two_sample {
            extra += &format!(
                "\n## Can a classifier tell the sets from Bach?\n\n{}\n\n```text\n{}```\n",
                super::two_sample::NOTE,
                c2st.text()
            );
        }
        report::write_report(dir, evaluation, reference, &pieces, &extra)?;
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
