//! Every numeric option of every command (`prepare`, `train`, `export-onnx`, `quantize`,
//! `generate`, `harmonize`, `eval`, `play`) shows
//! its range in `--help`, and the parser holds to exactly that range: the ends are
//! accepted, values beyond them, NaN and infinities refused with a message naming it.

use crate::train_support;

use clap::{CommandFactory, Parser};
use kantor_host::{compose, corpus, eval, onnx, play, quantize, train};
use std::any::TypeId;

#[derive(Parser)]
#[command(name = "kantor")]
#[allow(clippy::large_enum_variant)]
enum Cli {
    Prepare(corpus::PrepareArgs),
    Train(train::TrainArgs),
    ExportOnnx(onnx::ExportArgs),
    Quantize(quantize::QuantizeArgs),
    Generate(compose::GenerateArgs),
    Harmonize(compose::HarmonizeArgs),
    Eval(eval::EvalArgs),
    Play(play::PlayArgs),
}

/// Arguments each command needs besides the one under test.
fn required(command: &str, option: &str) -> Vec<&'static str> {
    match command {
        "prepare" => vec!["--input", "scores"],
        "train" => vec!["--out", "run"],
        "export-onnx" => vec!["--checkpoint", "run"],
        "quantize" => vec!["model.onnx"],
        "harmonize" => vec!["--melody", "tune.mid"],
        "eval" if option != "generate" => vec!["--generate", "1"],
        _ => vec![],
    }
}

/// A range as the help states it: (low, high, low excluded).
fn stated_range(help: &str) -> Option<(String, String, bool)> {
    let text = help.split("[range: ").nth(1)?.split(']').next()?;
    if let Some(rest) = text.strip_prefix("more than ") {
        let (low, high) = rest.split_once(", up to ")?;
        Some((low.into(), high.into(), true))
    } else {
        let (low, high) = text.split_once(" to ")?;
        Some((low.into(), high.into(), false))
    }
}

fn parses(command: &str, option: &str, value: &str) -> Result<(), String> {
    // `--option=value`, so that a value like -1 is not taken for a flag.
    let pair = format!("--{option}={value}");
    let mut argv = vec!["kantor", command];
    argv.extend(required(command, option));
    argv.push(&pair);
    Cli::try_parse_from(argv).map(drop).map_err(|e| e.to_string())
}

const FLOATS: [TypeId; 2] = [TypeId::of::<f32>(), TypeId::of::<f64>()];

fn integer_types() -> [TypeId; 6] {
    [TypeId::of::<u8>(), TypeId::of::<u16>(), TypeId::of::<u32>(), TypeId::of::<u64>(), TypeId::of::<usize>(), TypeId::of::<i64>()]
}

#[test]
fn every_numeric_option_states_its_range_and_keeps_to_it() {
    let cli = Cli::command();
    let mut checked = 0;
    for sub in cli.get_subcommands() {
        let command = sub.get_name().to_string();
        for arg in sub.get_arguments() {
            let ty = arg.get_value_parser().type_id();
            let float = FLOATS.iter().any(|t| ty == *t);
            if !float && !integer_types().iter().any(|t| ty == *t) {
                continue;
            }
            let option = arg.get_long().expect("numeric options are --long").to_string();
            let help = arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default();
            let (low, high, open) = stated_range(&help).unwrap_or_else(|| panic!("{command} --{option}: no [range: …] in its help {help:?}"));
            let ok = |v: &str| parses(&command, &option, v).unwrap_or_else(|e| panic!("{command} --{option} {v} refused: {e}"));
            let refused = |v: &str| {
                let e = parses(&command, &option, v).err().unwrap_or_else(|| panic!("{command} --{option} {v} accepted"));
                assert!(e.contains(&format!("--{option}")), "{command} --{option} {v}: {e}");
            };
            ok(&high);
            if open {
                refused(&low);
            } else {
                ok(&low);
            }
            if float {
                let (lo, hi): (f64, f64) = (low.parse().unwrap(), high.parse().unwrap());
                refused(&(hi * 2.0 + 1.0).to_string());
                refused(&(lo - 1.0).to_string());
                if open {
                    ok(&(lo + (hi - lo) * 1e-3).to_string());
                }
                for bad in ["nan", "NaN", "inf", "-inf", "infinity"] {
                    refused(bad);
                }
            } else {
                let (lo, hi): (u128, u128) = (low.parse().unwrap(), high.parse().unwrap());
                refused(&(hi + 1).to_string());
                if lo > 0 {
                    refused(&(lo - 1).to_string());
                }
                refused("-1");
                refused("1.5");
            }
            checked += 1;
        }
    }
    eprintln!("{checked} numeric options checked");
    assert!(checked >= 50, "only {checked} numeric options found");
}

#[test]
fn absurd_work_is_refused_with_a_message() {
    for (command, option, value) in [
        ("eval", "steps", "100000000"),
        ("eval", "generate", "100000000"),
        ("quantize", "windows", "100000000"),
        ("quantize", "eval-windows", "100000000"),
        ("quantize", "trajectories", "100000000"),
        ("quantize", "split-threshold", "nan"),
        ("train", "steps", "100000000000"),
        ("train", "minutes", "inf"),
        ("prepare", "near-duplicate", "nan"),
    ] {
        let e = parses(command, option, value).err().unwrap_or_else(|| panic!("{command} --{option} {value} accepted"));
        assert!(e.contains("out of range") || e.contains("finite"), "{command} --{option} {value}: {e}");
    }
}

#[test]
fn the_command_line_exits_with_an_error() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kantor")).args(["quantize", "model.onnx", "--trajectories", "100000000"]).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("invalid value '100000000' for '--trajectories': out of range; expected 0 to 64"), "{err}");
}

#[test]
fn export_onnx_refuses_sampler_settings_without_end() {
    use kantor_host::train::config::TrainConfig;
    let run = tempfile::tempdir().unwrap();
    train::train(&train_support::made_up_dataset(), run.path(), Some(TrainConfig { steps: 2, ..TrainConfig::smoke() }), train::Limits::default()).unwrap();
    let path = run.path().join("model.onnx");
    // Beyond a setting's range, or within every range but more work than any command
    // allows (the "levels=1000 steps=100", which `generate` then refused).
    for (endless, says) in [
        ("levels=100000000 steps=4", "levels takes a whole number from 1 to 10000"),
        ("levels=2000 steps=1000", "at most 100000 are allowed"),
        ("levels=1000 steps=100", "at most 100000 are allowed"),
        ("steps=4 refine=100000000", "refine takes a whole number from 0 to 100"),
    ] {
        let e = onnx::export_run_with(run.path(), &path, endless).unwrap_err();
        assert!(format!("{e:#}").contains(says), "{endless}: {e:#}");
        assert!(!path.exists(), "{endless}: a model was written");
    }
    onnx::export_run_with(run.path(), &path, "levels=100 steps=100").unwrap();
    // What export-onnx accepts, generate composes with.
    let mut engine = kantor_host::compose::Engine::load(&path, kantor_host::compose::EngineKind::F32).unwrap();
    let args = <kantor_host::compose::SamplerArgs as Default>::default();
    args.apply(engine.defaults, None).unwrap();
    let _ = engine.net();
}
