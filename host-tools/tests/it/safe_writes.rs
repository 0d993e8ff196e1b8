//! Outputs that are not regular files: `prepare`, `export-onnx` and `quantize` write a
//! device or a pipe directly (never replacing it with an ordinary file), refuse a
//! directory before doing any work, put side files only beside a regular file, and leave
//! no temporary file behind, also when the write fails.
//!
//! The device nodes are made inside a temporary folder (`mknod DIR/full c 1 7`); the tests
//! that need one say so and pass without checking when `mknod` is not permitted.

use crate::train_support;

use kantor_host::network::{weights, Architecture, NetConfig, Network};
use kantor_host::onnx::{export, voice_ranges_text, ModelInfo};
use kantor_host::train::config::TrainConfig;
use kantor_host::train::{train, Limits};
use prost::Message;
use rand_core::SeedableRng;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KANTOR: &str = env!("CARGO_BIN_EXE_kantor");

/// `DIR/name`, a character device like `/dev/<name>` (full: 1,7; null: 1,3), or `None`
/// when device nodes cannot be made here.
fn device(dir: &Path, name: &str, minor: u32) -> Option<PathBuf> {
    let path = dir.join(name);
    let made = Command::new("mknod").arg(&path).args(["c", "1", &minor.to_string()]).output();
    if made.is_ok_and(|o| o.status.success()) {
        Some(path)
    } else {
        eprintln!("skipped: mknod is not permitted here, so the {name} device is not tested");
        None
    }
}

fn kantor(args: &[&str]) -> Output {
    Command::new(KANTOR).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn is_char_device(p: &Path) -> bool {
    std::fs::symlink_metadata(p).unwrap().file_type().is_char_device()
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// `o` is the failure of writing into the full device `full`, which is still a device and
/// alone in its folder (no temporary or side file beside it).
fn assert_full_refused(o: &Output, full: &Path) {
    assert!(!o.status.success(), "writing into a full device reported success");
    assert!(stderr(o).contains("No space left on device"), "{}", stderr(o));
    assert!(is_char_device(full), "the device was replaced");
    assert_eq!(names(full.parent().unwrap()), ["full"], "something was left beside the device");
}

/// A folder `dev` in `dir` for device nodes.
fn device_folder(dir: &Path) -> PathBuf {
    let devs = dir.join("dev");
    std::fs::create_dir(&devs).unwrap();
    devs
}

fn scores(dir: &Path) -> PathBuf {
    let input = dir.join("scores");
    std::fs::create_dir(&input).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/musicxml/chorale.xml");
    std::fs::copy(fixture, input.join("chorale.xml")).unwrap();
    input
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn prepare_into_a_full_device_fails_and_keeps_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let input = scores(dir.path());
    let devs = device_folder(dir.path());
    let Some(full) = device(&devs, "full", 7) else { return };
    assert_full_refused(&kantor(&["prepare", "--quiet", "--input", s(&input), "--output", s(&full)]), &full);
}

#[test]
fn prepare_into_a_null_device_and_a_pipe_writes_through() {
    let dir = tempfile::tempdir().unwrap();
    let input = scores(dir.path());
    let devs = device_folder(dir.path());
    let reference = dir.path().join("reference.kds");
    assert!(kantor(&["prepare", "--quiet", "--input", s(&input), "--output", s(&reference)]).status.success());
    let bytes = std::fs::read(&reference).unwrap();

    let fifo = devs.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let o = kantor(&["prepare", "--quiet", "--input", s(&input), "--output", s(&fifo)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(reader.join().unwrap(), bytes, "the pipe did not carry the dataset");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced");

    if let Some(null) = device(&devs, "null", 3) {
        let o = kantor(&["prepare", "--quiet", "--input", s(&input), "--output", s(&null)]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(is_char_device(&null), "the device was replaced");
    }
    let mut expected = vec!["pipe".to_string()];
    if devs.join("null").exists() {
        expected.push("null".into());
        expected.sort();
    }
    assert_eq!(names(&devs), expected, "something was left beside the outputs");
}

#[test]
fn a_directory_as_output_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = scores(dir.path());
    let out = dir.path().join("folder");
    std::fs::create_dir(&out).unwrap();
    let o = kantor(&["prepare", "--quiet", "--input", s(&input), "--output", s(&out)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is a folder"), "{}", stderr(&o));
    // Refused before the import: no report was printed.
    assert!(o.stdout.is_empty(), "{}", String::from_utf8_lossy(&o.stdout));
    let model = small_model(dir.path());
    let o = kantor(&["quantize", s(&model), "--output", s(&out), "--windows", "1", "--eval-windows", "1"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is a folder"), "{}", stderr(&o));
    assert_eq!(names(&out), Vec::<String>::new());
}

#[test]
fn export_onnx_into_a_full_device_fails_and_keeps_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train(&train_support::made_up_dataset(), &run, Some(TrainConfig { steps: 2, ..TrainConfig::smoke() }), Limits::default()).unwrap();
    let devs = device_folder(dir.path());
    let Some(full) = device(&devs, "full", 7) else { return };
    assert_full_refused(&kantor(&["export-onnx", "--checkpoint", s(&run), "--output", s(&full)]), &full);
}

/// A small random network as ONNX in `dir`.
fn small_model(dir: &Path) -> PathBuf {
    let arch = Architecture::new(NetConfig { channels: 8, kernel: 3, dilations: vec![1, 2], head: kantor_core::Head::Score }).unwrap();
    let params = weights::initial_params(&arch, &mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9));
    let net = Network::new(arch, params).unwrap();
    let info = ModelInfo {
        encoding_version: kantor_core::onehot::ENCODING_VERSION,
        voice_ranges: voice_ranges_text(),
        schedule: kantor_core::NoiseSchedule::new(10.0, 0.05, 4),
        steps_per_level: 2,
        epsilon: 1e-5,
        parameters: net.arch.parameters,
        architecture: net.arch.describe(),
        head: net.arch.config.head,
    };
    let path = dir.join("model.onnx");
    std::fs::write(&path, export::export(&net, &info).encode_to_vec()).unwrap();
    path
}

fn quantize(model: &Path, output: &Path) -> Output {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/bach-chorales.kds");
    let quick = ["--windows", "1", "--eval-windows", "1", "--frames", "32", "--trajectories", "0", "--ranges", "minmax", "--int8-only"];
    let mut args = vec!["quantize", s(model), "--output", s(output), "--calibration-data", s(&data)];
    args.extend(quick);
    kantor(&args)
}

#[test]
fn quantize_writes_side_files_only_beside_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model(dir.path());
    let devs = device_folder(dir.path());

    let out = dir.path().join("out/model.kq8");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let o = quantize(&model, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(&dir.path().join("out")), ["model.kq8", "model_sizes.rs", "quantization.json"]);

    let Some(full) = device(&devs, "full", 7) else { return };
    assert_full_refused(&quantize(&model, &full), &full);

    let Some(null) = device(&devs, "null", 3) else { return };
    let o = quantize(&model, &null);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("were not written"), "{}", stderr(&o));
    assert!(is_char_device(&null));
    assert_eq!(names(&devs), ["full", "null"], "side files or a temporary file went beside the device");
}
