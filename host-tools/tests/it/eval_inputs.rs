//! `kantor eval` on files: chorales through MIDI, copies caught end to end, and bad
//! input refused with a reason instead of a panic.

use kantor_core::midi::Performance;
use kantor_core::TimeSignature;
use kantor_host::dataset::{Dataset, Split};
use kantor_host::eval::copying::TrainingIndex;
use kantor_host::eval::input::{read_chorale, read_chorales};
use kantor_host::eval::{evaluate, measure, Candidates, Piece};
use kantor_host::midi::write_smf;
use midly::num::{u15, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use std::path::{Path, PathBuf};
use std::process::Command;

fn dataset_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/bach-chorales.kds")
}

fn dataset() -> Dataset {
    Dataset::load(&dataset_path()).expect("the shipped dataset loads")
}

fn write(dir: &Path, name: &str, frames: &[kantor_core::Frame], time: TimeSignature) -> PathBuf {
    let path = dir.join(name);
    write_smf(&path, frames, time, &Performance::default()).unwrap();
    path
}

#[test]
fn a_chorale_measures_the_same_from_a_midi_file() {
    let d = dataset();
    let dir = tempfile::tempdir().unwrap();
    for c in d.split(Split::Test).take(5) {
        let path = write(dir.path(), "chorale.mid", &c.frames, c.time);
        let read = read_chorale(&path).unwrap();
        let direct = Piece {
            name: "chorale.mid".into(),
            time: c.time,
            frames: c.frames.clone(),
            cost: None,
        };
        let (a, b) = (measure(&direct, None), measure(&read, None));
        assert_eq!(a.voice_leading, b.voice_leading, "{}", c.source);
        assert_eq!(a.harmony, b.harmony, "{}", c.source);
        assert_eq!(a.structure, b.structure, "{}", c.source);
    }
}

#[test]
fn a_copied_training_chorale_is_caught_from_its_midi_file() {
    let d = dataset();
    let training: Vec<&[kantor_core::Frame]> =
        d.split(Split::Train).map(|c| c.frames.as_slice()).collect();
    let index = TrainingIndex::build(training.iter().copied());
    let source = d.split(Split::Train).nth(10).unwrap();
    let mut copy = source.frames.clone();
    let (down, up) = kantor_core::chorale::transposition_span(&copy).unwrap();
    let shift = if up >= 1 { 1 } else { down };
    assert!(shift != 0 && kantor_core::chorale::transpose(&mut copy, shift));

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "copy.mid", &copy, source.time);
    let test: Vec<Piece> = d
        .split(Split::Test)
        .map(|c| Piece {
            name: c.source.clone(),
            time: c.time,
            frames: c.frames.clone(),
            cost: None,
        })
        .collect();
    let given = Candidates {
        label: "given".into(),
        settings: None,
        pieces: read_chorales(&[dir.path().to_path_buf()]).unwrap(),
    };
    let e = evaluate("held-out Bach", &test, &[given], Some(&index), false);
    let copied = e.sets[0].pieces[0].copying.unwrap();
    assert_eq!(copied.longest_run_frames, copy.len());
    assert_eq!(copied.longest_run_source, Some(10));
    assert_eq!(copied.copied_window_pct, Some(100.0));
    // Held-out Bach shares far less with the training set than the copy does.
    let bach = e.reference.mean("longest_copy_frames").unwrap();
    assert!(
        bach < copy.len() as f64 / 3.0,
        "held-out Bach copies {bach} frames on average"
    );
}

fn note(delta: u32, channel: u8, key: u8, vel: u8) -> TrackEvent<'static> {
    TrackEvent {
        delta: u28::new(delta),
        kind: TrackEventKind::Midi {
            channel: u4::new(channel),
            message: MidiMessage::NoteOn {
                key: u7::new(key),
                vel: u7::new(vel),
            },
        },
    }
}

fn end() -> TrackEvent<'static> {
    TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    }
}

/// A format-1 file with one track per key, each sounding its key for a quarter.
fn tracks(dir: &Path, name: &str, keys: &[u8]) -> PathBuf {
    let mut smf = Smf::new(Header::new(
        Format::Parallel,
        Timing::Metrical(u15::new(480)),
    ));
    for (i, &k) in keys.iter().enumerate() {
        smf.tracks.push(vec![
            note(0, i as u8, k, 80),
            note(480, i as u8, k, 0),
            end(),
        ]);
    }
    let path = dir.join(name);
    smf.save(&path).unwrap();
    path
}

/// Runs the `kantor` binary; returns (success, stderr).
fn kantor(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kantor"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_files_give_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let one = tracks(dir.path(), "melody.mid", &[72]);
    let five = tracks(dir.path(), "five.mid", &[72, 67, 64, 55, 48]);
    let empty = dir.path().join("empty.mid");
    std::fs::write(&empty, b"").unwrap();
    let garbage = dir.path().join("garbage.mid");
    std::fs::write(&garbage, b"MThd\0\0\0\x06\0\x01").unwrap();

    let err = |p: &Path| format!("{:#}", read_chorale(p).unwrap_err());
    assert!(err(&one).contains("1 voice;"), "{}", err(&one));
    assert!(err(&five).contains("5 voices"), "{}", err(&five));
    assert!(err(&empty).contains("empty"), "{}", err(&empty));
    assert!(err(&garbage).contains("garbage.mid"), "{}", err(&garbage));
    let none = dir.path().join("missing.mid");
    assert!(err(&none).contains("missing.mid"));

    let dataset = dataset_path();
    let dataset = dataset.to_str().unwrap();
    for bad in [&one, &five, &empty, &garbage, &none] {
        let (ok, stderr) = kantor(&[
            "eval",
            "--quiet",
            "--dataset",
            dataset,
            bad.to_str().unwrap(),
        ]);
        assert!(!ok, "{} accepted", bad.display());
        assert!(
            stderr.starts_with("error:") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    let empty_dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = kantor(&[
        "eval",
        "--quiet",
        "--dataset",
        dataset,
        empty_dir.path().to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("holds no .mid files"), "{stderr}");
    let (ok, stderr) = kantor(&["eval", "--quiet", "--dataset", dataset]);
    assert!(!ok && stderr.contains("nothing to evaluate"), "{stderr}");
    let (ok, stderr) = kantor(&["eval", "--quiet", "--dataset", "no/such.kds", "--calibrate"]);
    assert!(!ok && stderr.contains("no/such.kds"), "{stderr}");
}

#[test]
fn a_folder_of_chorales_is_evaluated_with_json() {
    let d = dataset();
    let dir = tempfile::tempdir().unwrap();
    for (i, c) in d.split(Split::Valid).take(3).enumerate() {
        write(dir.path(), &format!("valid{i}.mid"), &c.frames, c.time);
    }
    let json = dir.path().join("out/metrics.json");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let dataset = dataset_path();
    let (ok, stderr) = kantor(&[
        "eval",
        "--quiet",
        "--dataset",
        dataset.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let sets = v["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0]["label"], "held-out Bach");
    assert_eq!(sets[1]["pieces"].as_array().unwrap().len(), 3);
    assert_eq!(sets[1]["pieces"][0]["name"], "valid0.mid");
    let crossing = sets[1]["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "crossing_pct")
        .unwrap();
    assert_eq!(crossing["summary"]["n"], 3);
}
