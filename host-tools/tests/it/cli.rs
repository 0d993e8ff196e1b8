//! The `kantor` command as a user runs it: from a folder that is not the repository, with
//! the built-in model, and with options out of range.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `kantor` with `args` in `dir`.
fn kantor(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kantor")).args(args).current_dir(dir).output().expect("run kantor")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn generate_works_from_any_folder_with_the_built_in_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = kantor(dir.path(), &["generate", "--quiet", "--bars", "2", "--pickup", "0.5", "--seed", "4", "-o", "c.mid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let midi = kantor_host::midi::read_smf(&dir.path().join("c.mid")).unwrap();
    assert_eq!(midi.voices.len(), 4, "four singing voices");
    // Two bars of 4/4 after an eighth-note pickup.
    assert_eq!(midi.len(), 2 * 16 + 2);

    // The int8 blob travels in the binary too.
    let out = kantor(dir.path(), &["generate", "--quiet", "--engine", "int8", "--bars", "1", "--seed", "4", "-o", "q.mid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(kantor_host::midi::read_smf(&dir.path().join("q.mid")).unwrap().len(), 16);

    // --model still picks another file, and a missing one is named.
    let out = kantor(dir.path(), &["generate", "--quiet", "--bars", "1", "--model", "elsewhere/model.onnx"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("elsewhere/model.onnx"), "{}", stderr(&out));
}

#[test]
fn out_of_range_options_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--seed", "-1"], "negative"),
        (&["--seed", "1.5"], "not a seed"),
        (&["--pickup", "0.3"], "16ths"),
        (&["--pickup", "-1"], "out of range"),
        (&["--time", "7/4"], "N/4 for N = 1–6"),
        (&["--levels", "100000000"], "expected 1 to 10000"),
        (&["--steps", "100000000"], "expected 1 to 1000"),
        (&["--refine", "100000000"], "expected 0 to 100"),
        (&["--levels", "10000", "--steps", "1000"], "network evaluations"),
        (&["--epsilon", "1e30"], "out of range"),
        (&["--epsilon", "NaN"], "not a finite number"),
        (&["--temperature", "inf"], "not a finite number"),
        (&["--sigma-max", "-3"], "out of range"),
        (&["--refine-fraction", "2"], "out of range"),
        (&["--bars", "0"], "expected 1 to 256"),
        (&["--pickup", "4"], "shorter than a bar"),
    ];
    for (args, want) in cases {
        let mut argv = vec!["generate", "--quiet", "-o", "x.mid"];
        if !args.contains(&"--bars") {
            argv.extend(["--bars", "1"]);
        }
        argv.extend_from_slice(args);
        let out = kantor(dir.path(), &argv);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
        assert!(!dir.path().join("x.mid").exists(), "{args:?} wrote a file");
    }
}

/// The paragraph of `--help` that describes `option`: its line and the lines after it,
/// up to the next option.
fn help_of(help: &str, option: &str) -> String {
    let mut lines = help.lines().skip_while(|l| !l.trim_start().split([' ', ',']).any(|w| w == option));
    let first = lines.next().unwrap_or_else(|| panic!("{option} not in help"));
    let rest = lines.take_while(|l| !l.trim_start().starts_with('-'));
    std::iter::once(first).chain(rest).collect::<Vec<_>>().join("\n")
}

#[test]
fn help_gives_the_range_of_every_number() {
    let dir = tempfile::tempdir().unwrap();
    let numeric = [
        "--levels", "--steps", "--epsilon", "--step-exponent", "--temperature", "--sigma-max", "--sigma-min", "--refine",
        "--refine-fraction", "--refine-sigma", "--judge-sigma", "--seed", "--count", "--tempo", "--fermata-every",
    ];
    for (command, own) in [("generate", &["--bars", "--pickup"][..]), ("harmonize", &["--transpose"][..])] {
        let out = kantor(dir.path(), &[command, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        for option in numeric.iter().chain(own) {
            let text = help_of(&help, option);
            let ranged = ["–", " to ", "at most", "less than a bar"].iter().any(|w| text.contains(w));
            assert!(ranged, "{command} {option} has no range in --help: {text}");
        }
    }
}

#[test]
fn harmonize_says_once_that_it_moved_the_melody_even_when_quiet() {
    let dir = tempfile::tempdir().unwrap();
    // G3 C4 B3 A3 | G3 (a half note): an octave below the soprano's range.
    let notes: String = [(7, 3, 1), (0, 4, 1), (11, 3, 1), (9, 3, 1), (7, 3, 2)]
        .iter()
        .map(|&(pc, octave, quarters)| {
            let step = ["C", "", "", "", "", "", "", "G", "", "A", "", "B"][pc];
            format!("<note><pitch><step>{step}</step><octave>{octave}</octave></pitch><duration>{quarters}</duration></note>")
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\"?><score-partwise><part-list><score-part id=\"P1\"><part-name>Tune</part-name></score-part></part-list>\
         <part id=\"P1\"><measure number=\"1\"><attributes><divisions>1</divisions><key><fifths>0</fifths></key>\
         <time><beats>3</beats><beat-type>4</beat-type></time></attributes>{notes}</measure></part></score-partwise>"
    );
    std::fs::write(dir.path().join("tune.musicxml"), xml).unwrap();
    let out = kantor(dir.path(), &["harmonize", "--quiet", "--seed", "2", "--melody", "tune.musicxml", "-o", "h.mid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out).matches("moved up 1 octave").count(), 1, "{}", stderr(&out));
    let midi = kantor_host::midi::read_smf(&dir.path().join("h.mid")).unwrap();
    assert_eq!(midi.voices[0][0], kantor_core::Token::Pitch(67));
}
