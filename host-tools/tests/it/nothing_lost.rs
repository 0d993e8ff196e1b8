//! Nothing lost: the sweep of bad and edge inputs a new user tries, kept as a suite.
//!
//! Every case runs the `kantor` command in a folder of its own holding the same files (the
//! shipped model and blob, a melody, a chorale, a training run, earlier outputs, files
//! marked read-only, links to `/dev/zero`, …). A case either must be refused, with an
//! `error:` line that says what to do, and then leave the folder exactly as it was (every
//! name, byte and permission), or must succeed and change nothing but its outputs. No case
//! may leave a temporary file. RELIABILITY.md lists the cases by kind.
//!
//! `KANTOR_SWEEP_BIN=PATH` runs the sweep on another build of the command (an older one,
//! to count what it gets wrong: the table is printed before the test fails), and
//! `KANTOR_SWEEP_MODELS=DIR` takes the shipped model and blob from another folder (that
//! build's own `models/default`).

use crate::train_support;

use kantor_core::TimeSignature;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const KANTOR: &str = env!("CARGO_BIN_EXE_kantor");

/// The command under test: this build's, or `KANTOR_SWEEP_BIN`.
fn kantor() -> String {
    std::env::var("KANTOR_SWEEP_BIN").unwrap_or_else(|_| KANTOR.to_string())
}

/// The cheapest sampler: composing takes a few evaluations.
const FAST: [&str; 9] = ["--levels", "2", "--steps", "1", "--refine", "0", "--quiet", "--seed", "1"];

/// What a case must do.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Fail with an error containing this, and leave the folder as it was.
    Refused(&'static str),
    /// Succeed, making or replacing exactly these files and nothing else; stderr must
    /// contain the text (empty: anything).
    Made(&'static [&'static str], &'static str),
}
use Expect::{Made, Refused};

/// One input tried: the kind it belongs to (a row of RELIABILITY.md's table), the
/// arguments, and what must happen.
struct Case {
    kind: &'static str,
    argv: Vec<String>,
    expect: Expect,
}

fn case(kind: &'static str, argv: &[&str], expect: Expect) -> Case {
    Case { kind, argv: argv.iter().map(|s| s.to_string()).collect(), expect }
}

/// `argv` with the fast sampler after it.
fn fast(kind: &'static str, argv: &[&str], expect: Expect) -> Case {
    let mut c = case(kind, argv, expect);
    c.argv.extend(FAST.iter().map(|s| s.to_string()));
    c
}

const INPUT: &str = "an output that is one of the command's inputs";
const TWICE: &str = "two outputs on one path";
const KEPT: &str = "an existing output, with another output that cannot be written";
const PROTECTED: &str = "a write-protected output";
const ENDLESS: &str = "an input that never ends, or is too long";
const FOLDERS: &str = "folders: missing, asked for, or given for a file";
const PLAY: &str = "`play`: work without end, a device that is not a port";
const MESSAGES: &str = "messages that must say what to do";
const CHECKSUM: &str = "the ONNX model's checksum";

/// A long file name (254 bytes) that fits, though `<name>.tmp` would not.
fn long_png() -> String {
    format!("{}.png", "p".repeat(250))
}

fn cases() -> Vec<Case> {
    let long = Box::leak(long_png().into_boxed_str());
    vec![
        // A command never writes over what it reads, by any name.
        case(INPUT, &["generate", "--model", "m.onnx", "-o", "m.onnx"], Refused("is an input, which this command reads")),
        case(INPUT, &["generate", "--model", "m.onnx", "--musicxml", "m.onnx"], Refused("which this command reads")),
        case(INPUT, &["generate", "--model", "m.onnx", "--png", "m.onnx"], Refused("which this command reads")),
        case(INPUT, &["generate", "--model", "m.onnx", "--wav", "m.onnx"], Refused("which this command reads")),
        case(INPUT, &["generate", "--model", "ln.onnx", "-o", "m.onnx"], Refused("is the input ln.onnx")),
        case(INPUT, &["generate", "--model", "m.onnx", "-o", "hard.onnx"], Refused("is the input m.onnx")),
        case(INPUT, &["generate", "--model", "m.onnx", "-o", "d/../m.onnx"], Refused("which this command reads")),
        case(INPUT, &["generate", "--engine", "int8", "--model", "m.kq8", "-o", "m.kq8"], Refused("which this command reads")),
        case(INPUT, &["generate", "--wav", "a.wav", "--soundfont", "font.sf2", "--png", "font.sf2"], Refused("which this command reads")),
        case(INPUT, &["harmonize", "--melody", "tune.musicxml", "-o", "tune.musicxml"], Refused("which this command reads")),
        case(INPUT, &["harmonize", "--melody", "tune.musicxml", "--musicxml", "tune.musicxml"], Refused("which this command reads")),
        case(INPUT, &["harmonize", "--melody", "tune.musicxml", "--png", "tune.musicxml"], Refused("which this command reads")),
        case(INPUT, &["harmonize", "--melody", "tune.musicxml", "--wav", "tune.musicxml"], Refused("which this command reads")),
        case(INPUT, &["harmonize", "--melody", "tune.musicxml", "--engine", "int8", "--model", "m.kq8", "--png", "m.kq8"], Refused("which this command reads")),
        case(INPUT, &["quantize", "m.onnx", "-o", "m.onnx"], Refused("which this command reads")),
        case(INPUT, &["quantize", "m.onnx", "--calibration-data", "data.kds", "-o", "data.kds"], Refused("which this command reads")),
        case(INPUT, &["export-onnx", "--checkpoint", "run", "--output", "run/checkpoint.safetensors"], Refused("which this command reads")),
        case(INPUT, &["export-onnx", "--checkpoint", "run", "--output", "run/config.toml"], Refused("which this command reads")),
        case(INPUT, &["eval", "x.mid", "--json", "x.mid", "--no-copy", "--reference", "x.mid"], Refused("which this command reads")),
        case(INPUT, &["eval", "d", "--json", "d/x.mid", "--no-copy", "--reference", "x.mid"], Refused("which this command reads")),
        case(INPUT, &["eval", "x.mid", "--json", "data.kds", "--dataset", "data.kds"], Refused("which this command reads")),
        case(INPUT, &["prepare", "--input", "scores", "--output", "scores/chorale.xml"], Refused("which this command reads")),
        case(INPUT, &["train", "--data", "data.kds", "--config", "fresh/config.toml", "--out", "fresh"], Refused("which this command reads")),
        case(INPUT, &["train", "--data", "run/train.csv", "--out", "run", "--resume"], Refused("which this command reads")),
        // Two outputs on one path.
        case(TWICE, &["generate", "-o", "a.mid", "--musicxml", "a.mid"], Refused("are the same file")),
        case(TWICE, &["generate", "-o", "a.mid", "--png", "a.mid"], Refused("are the same file")),
        case(TWICE, &["generate", "-o", "a.mid", "--wav", "./a.mid"], Refused("are the same file")),
        case(TWICE, &["generate", "--png", "p.png", "--wav", "p.png"], Refused("are the same file")),
        case(TWICE, &["generate", "--musicxml", "s.xml", "--png", "d/../s.xml"], Refused("are the same file")),
        case(TWICE, &["generate", "-o", "keep.mid", "--png", "keep.mid"], Refused("are the same file")),
        case(TWICE, &["harmonize", "--melody", "tune.musicxml", "-o", "h.mid", "--png", "h.mid"], Refused("are the same file")),
        case(TWICE, &["generate", "--count", "2", "-o", "a.mid", "--png", "a.mid"], Refused("are the same file")),
        // An output that cannot be written stops the command before it writes any other.
        case(KEPT, &["generate", "-o", "keep.mid", "--png", "nodir/x.png"], Refused("the folder nodir does not exist")),
        case(KEPT, &["generate", "-o", "keep.mid", "--musicxml", "ro.musicxml"], Refused("write-protected")),
        case(KEPT, &["generate", "-o", "keep.mid", "--wav", "d"], Refused("is a folder")),
        case(KEPT, &["generate", "-o", "keep.mid", "--wav", "a.wav", "--soundfont", "empty.sf2"], Refused("is not a SoundFont: it is empty")),
        case(KEPT, &["generate", "-o", "keep.mid", "--model", "nothing.onnx"], Refused("no model at nothing.onnx")),
        case(KEPT, &["harmonize", "--melody", "tune.musicxml", "-o", "keep.mid", "--png", "ro.png"], Refused("write-protected")),
        case(KEPT, &["generate", "-o", "keep.mid", "--musicxml", "dead-link.xml"], Refused("symbolic link to nothing")),
        // A write-protected file stays as it is (also for root: its mode says so).
        case(PROTECTED, &["generate", "--png", "ro.png"], Refused("ro.png is write-protected (mode 444)")),
        case(PROTECTED, &["generate", "-o", "ro.mid"], Refused("write-protected")),
        case(PROTECTED, &["generate", "--musicxml", "ro.musicxml"], Refused("write-protected")),
        case(PROTECTED, &["generate", "--wav", "ro.wav"], Refused("write-protected")),
        case(PROTECTED, &["harmonize", "--melody", "tune.musicxml", "--musicxml", "ro.musicxml"], Refused("write-protected")),
        case(PROTECTED, &["harmonize", "--melody", "tune.musicxml", "-o", "ro.mid"], Refused("write-protected")),
        case(PROTECTED, &["prepare", "--input", "scores", "--output", "ro.kds"], Refused("write-protected")),
        case(PROTECTED, &["quantize", "m.onnx", "-o", "ro.kq8"], Refused("write-protected")),
        case(PROTECTED, &["export-onnx", "--checkpoint", "run", "--output", "ro.onnx"], Refused("write-protected")),
        case(PROTECTED, &["eval", "x.mid", "--json", "ro.json", "--no-copy", "--reference", "x.mid"], Refused("write-protected")),
        case(PROTECTED, &["generate", "-o", "ro-link.mid"], Refused("write-protected")),
        fast(PROTECTED, &["generate", "-o", "mode640.mid"], Made(&["mode640.mid"], "")),
        case(PROTECTED, &["prepare", "--quiet", "--input", "scores", "--output", "mode640.kds"], Made(&["mode640.kds"], "")),
        // Inputs that never end, or are too long to set.
        case(ENDLESS, &["generate", "--model", "/dev/zero"], Refused("/dev/zero is a device, not a file")),
        case(ENDLESS, &["generate", "--model", "zero.onnx"], Refused("zero.onnx is a device, not a file")),
        case(ENDLESS, &["generate", "--engine", "int8", "--model", "zero.kq8"], Refused("is a device")),
        case(ENDLESS, &["generate", "--model", "huge.onnx"], Refused("larger than a model may be (512 MiB)")),
        case(ENDLESS, &["harmonize", "--melody", "zero.mid"], Refused("is a device")),
        case(ENDLESS, &["harmonize", "--melody", "zero.musicxml"], Refused("is a device")),
        case(ENDLESS, &["harmonize", "--melody", "long.mid"], Refused("is 6250 bars long; Kantor harmonises at most 256 bars")),
        case(ENDLESS, &["eval", "x.mid", "--dataset", "zero.kds"], Refused("is a device")),
        case(ENDLESS, &["eval", "zero.mid", "--no-copy", "--reference", "x.mid"], Refused("is a device")),
        case(ENDLESS, &["quantize", "zero.onnx", "-o", "q.kq8"], Refused("is a device")),
        case(ENDLESS, &["quantize", "m.onnx", "--calibration-data", "zero.kds", "-o", "q.kq8"], Refused("is a device")),
        case(ENDLESS, &["train", "--data", "zero.kds", "--out", "new-run"], Refused("is a device")),
        case(ENDLESS, &["train", "--data", "data.kds", "--config", "zero.toml", "--out", "new-run"], Refused("is a device")),
        case(ENDLESS, &["prepare", "--input", "zero-scores", "--output", "z.kds"], Refused("no usable chorale")),
        case(ENDLESS, &["generate", "--wav", "a.wav", "--soundfont", "zero.sf2"], Refused("is a device")),
        case(ENDLESS, &["play", "--model", "zero.kq8", "--serial", "nowhere"], Refused("is a device")),
        // `play` keeps every command's limits.
        case(PLAY, &["play", "--steps", "1000", "--levels", "10000", "--serial", "nowhere"], Refused("at most 100000 are allowed")),
        case(PLAY, &["play", "--steps", "1001", "--serial", "nowhere"], Refused("expected 1 to 1000")),
        case(PLAY, &["play", "--levels", "10001", "--serial", "nowhere"], Refused("expected 1 to 10000")),
        case(PLAY, &["play", "--steps", "2", "--levels", "2", "--serial", "/dev/null"], Refused("/dev/null is a device but no terminal, not a serial port")),
        case(PLAY, &["play", "--steps", "2", "--levels", "2", "--serial", "d"], Refused("d is a folder, not a serial port")),
        // Folders: none made unless asked for, a file is not one, a folder is not a file.
        case(FOLDERS, &["generate", "--png", "nodir/x.png"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["generate", "--wav", "nodir/x.wav"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["generate", "-o", "nodir/x.mid"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["generate", "--musicxml", "nodir/x.musicxml"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["eval", "x.mid", "--json", "nodir/x.json", "--no-copy", "--reference", "x.mid"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["export-onnx", "--checkpoint", "run", "--output", "nodir/m.onnx"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["prepare", "--input", "scores", "--output", "nodir/x.kds"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["quantize", "m.onnx", "-o", "nodir/m.kq8"], Refused("the folder nodir does not exist")),
        case(FOLDERS, &["generate", "--count", "2", "-o", "d"], Refused("-o d is a folder; give the name of a file to write")),
        case(FOLDERS, &["generate", "-o", "newdir/"], Refused("newdir/ ends in a slash, so it names a folder")),
        case(FOLDERS, &["generate", "-o", "d"], Refused("d is a folder")),
        case(FOLDERS, &["eval", "x.mid", "--report", "file", "--no-copy", "--reference", "x.mid"], Refused("--report file is a file, not a folder")),
        case(FOLDERS, &["train", "--data", "data.kds", "--out", "file"], Refused("--out file is a file, not a folder")),
        case(FOLDERS, &["eval", "x.mid", "--report", "file/below", "--no-copy", "--reference", "x.mid"], Refused("file is a file")),
        case(FOLDERS, &["eval", "x.mid", "--report", "made/report", "--no-copy", "--reference", "x.mid", "--quiet"], Made(&["made", "made/report"], "")),
        fast(FOLDERS, &["generate", "--png", long], Made(Box::leak(Box::new(["chorale.mid", &*long])), "")),
        // Messages that point the way.
        fast(MESSAGES, &["eval", "--generate", "1", "--reference", "x.mid", "--no-copy"], Made(&[], "")),
        case(MESSAGES, &["generate", "--model", "m.kq8"], Refused("is an int8 blob (.kq8), which the f32 engine cannot run: add --engine int8")),
        case(MESSAGES, &["generate", "--engine", "int8", "--model", "m.onnx"], Refused("leave out --engine int8")),
        case(MESSAGES, &["export-onnx", "--checkpoint", "run", "--sampler", "levels=1000 steps=100"], Refused("at most 100000 are allowed")),
        case(MESSAGES, &["harmonize", "--melody", "zero-beats.musicxml"], Refused("zero-beats.musicxml is in 0/4, a time signature Kantor cannot set")),
        case(MESSAGES, &["eval", "--generate", "1", "--reference", "x.mid", "--no-copy", "--sampler", "levels=abc"], Refused("levels takes a whole number from 1 to 10000")),
        case(MESSAGES, &["train", "--data", "data.kds", "--config", "partial.toml", "--out", "new-run"], Refused("net.channels = 0 is out of range")),
        case(MESSAGES, &["harmonize", "--melody", "two.musicxml"], Refused("has 2 parts (P1, P2)")),
        case(MESSAGES, &["generate", "--bars", "1e308"], Refused("expected 1 to 256")),
        case(MESSAGES, &["generate", "--count", "0"], Refused("expected 1 to 10000")),
        case(MESSAGES, &["generate", "--tempo", "1e9"], Refused("expected 10 to 400")),
        case(MESSAGES, &["generate", "--levels", "2", "--steps", "1", "--sigma-min", "9", "--sigma-max", "1"], Refused("lower --sigma-min or raise --sigma-max")),
        case(MESSAGES, &["generate", "--levels", "10000", "--steps", "11"], Refused("at most 100000 are allowed")),
        // A model Kantor wrote is checked; one from elsewhere is taken with a note.
        case(CHECKSUM, &["generate", "--model", "flipped.onnx"], Refused("the model is damaged")),
        case(CHECKSUM, &["quantize", "flipped.onnx", "--calibration-data", "data.kds", "-o", "q.kq8"], Refused("the model is damaged")),
        fast(CHECKSUM, &["generate", "--model", "unstamped.onnx"], Made(&["chorale.mid"], "carries no kantor.checksum")),
        fast(CHECKSUM, &["generate", "--model", "stamped.onnx", "-o", "s.mid"], Made(&["s.mid"], "")),
    ]
}

/// A single-voice MIDI file of `notes` 16th notes.
fn melody_midi(notes: usize) -> Vec<u8> {
    let mut track = Vec::new();
    for i in 0..notes {
        let key = 60 + (i % 12) as u8;
        track.extend_from_slice(&[0x00, 0x90, key, 80, 0x78, 0x80, key, 0]);
    }
    track.extend_from_slice(&[0x00, 0xFF, 0x2F, 0x00]);
    let mut smf = b"MThd\0\0\0\x06\0\0\0\x01\x01\xE0MTrk".to_vec();
    smf.extend_from_slice(&(track.len() as u32).to_be_bytes());
    smf.extend_from_slice(&track);
    smf
}

/// A one-part melody as MusicXML, with `parts` parts and a time signature of `beats`/4.
fn melody_xml(parts: usize, beats: u32) -> String {
    let notes = "<note><pitch><step>C</step><octave>5</octave></pitch><duration>2</duration></note>\
                 <note><pitch><step>D</step><octave>5</octave></pitch><duration>2</duration></note>";
    let list: String = (1..=parts).map(|p| format!("<score-part id=\"P{p}\"><part-name></part-name></score-part>")).collect();
    let body: String = (1..=parts)
        .map(|p| {
            format!(
                "<part id=\"P{p}\"><measure number=\"1\"><attributes><divisions>1</divisions><key><fifths>0</fifths></key>\
                 <time><beats>{beats}</beats><beat-type>4</beat-type></time></attributes>{notes}{notes}</measure></part>"
            )
        })
        .collect();
    format!("<?xml version=\"1.0\"?><score-partwise><part-list>{list}</part-list>{body}</score-partwise>")
}

/// A smoke training run, trained once for every case.
fn trained_run() -> &'static Path {
    static RUN: OnceLock<tempfile::TempDir> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = kantor_host::train::config::TrainConfig { steps: 2, ..kantor_host::train::config::TrainConfig::smoke() };
        kantor_host::train::train(&train_support::made_up_dataset(), dir.path(), Some(config), kantor_host::train::Limits::default()).unwrap();
        dir
    })
    .path()
}

/// The files every case starts from, made once: the cases copy them.
fn originals() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let models = std::env::var_os("KANTOR_SWEEP_MODELS")
            .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/default"), PathBuf::from);
        std::fs::copy(models.join("model.onnx"), d.join("m.onnx")).unwrap();
        std::fs::copy(models.join("model.kq8"), d.join("m.kq8")).unwrap();
        let stamped = kantor_host::onnx::export_bytes(trained_run(), kantor_core::sampler::RECOMMENDED).unwrap();
        std::fs::write(d.join("stamped.onnx"), &stamped).unwrap();
        // One weight byte flipped, in the middle of the largest initialiser.
        use prost::Message;
        let proto = tract_onnx::pb::ModelProto::decode(&stamped[..]).unwrap();
        let weights = proto.graph.unwrap().initializer.into_iter().map(|t| t.raw_data).max_by_key(|d| d.len()).unwrap();
        let start = stamped.windows(weights.len()).position(|w| w == &weights[..]).unwrap();
        let mut flipped = stamped.clone();
        flipped[start + weights.len() / 2] ^= 0x10;
        std::fs::write(d.join("flipped.onnx"), &flipped).unwrap();
        // The same model as another tool would write it: no checksum.
        let mut unstamped = tract_onnx::pb::ModelProto::decode(&stamped[..]).unwrap();
        unstamped.metadata_props.retain(|p| p.key != kantor_host::onnx::checksum::CHECKSUM_PROP);
        std::fs::write(d.join("unstamped.onnx"), unstamped.encode_to_vec()).unwrap();
        dir
    })
    .path()
}

/// The folder a case runs in, with every file the cases use.
fn world(dir: &Path) {
    let orig = originals();
    // Copies, not links: a build that writes into its input must not spoil the next case.
    for name in ["m.onnx", "m.kq8", "stamped.onnx", "flipped.onnx", "unstamped.onnx"] {
        std::fs::copy(orig.join(name), dir.join(name)).unwrap();
    }
    std::fs::hard_link(dir.join("m.onnx"), dir.join("hard.onnx")).unwrap();
    let link = |target: &str, name: &str| std::os::unix::fs::symlink(target, dir.join(name)).unwrap();
    link("m.onnx", "ln.onnx");
    link("nowhere", "dead-link.xml");
    for name in ["zero.onnx", "zero.kq8", "zero.mid", "zero.musicxml", "zero.kds", "zero.sf2", "zero.toml"] {
        link("/dev/zero", name);
    }
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    write("tune.musicxml", melody_xml(1, 4).as_bytes());
    write("two.musicxml", melody_xml(2, 4).as_bytes());
    write("zero-beats.musicxml", melody_xml(1, 0).as_bytes());
    write("long.mid", &melody_midi(100_000));
    let chorale = train_support::made_up_chorale(3, 4);
    write("x.mid", &kantor_host::midi::smf_bytes(&chorale, TimeSignature::COMMON, &Default::default()).unwrap());
    write("data.kds", &train_support::made_up_dataset().to_bytes().unwrap());
    write("empty.sf2", b"");
    write("font.sf2", b"RIFF\0\0\0\0sfbk");
    write("partial.toml", b"[net]\nchannels = 0\n");
    write("file", b"a file");
    // A sparse file larger than any model may be.
    std::fs::File::create(dir.join("huge.onnx")).unwrap().set_len(600 << 20).unwrap();
    for name in ["keep.mid", "a.wav"] {
        write(name, b"an earlier output");
    }
    for (name, mode) in [("ro.mid", 0o444), ("ro.png", 0o444), ("ro.musicxml", 0o444), ("ro.wav", 0o444), ("ro.kds", 0o444), ("ro.kq8", 0o444), ("ro.onnx", 0o444), ("ro.json", 0o444), ("mode640.mid", 0o640), ("mode640.kds", 0o640)] {
        write(name, b"an earlier output");
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    link("ro.mid", "ro-link.mid");
    for folder in ["d", "scores", "zero-scores", "fresh", "run"] {
        std::fs::create_dir(dir.join(folder)).unwrap();
    }
    std::fs::copy(dir.join("x.mid"), dir.join("d/x.mid")).unwrap();
    let score = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/musicxml/chorale.xml");
    std::fs::copy(score, dir.join("scores/chorale.xml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero-scores/score.xml")).unwrap();
    std::fs::write(dir.join("fresh/config.toml"), kantor_host::train::config::TrainConfig::smoke().to_toml()).unwrap();
    for entry in std::fs::read_dir(trained_run()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("run").join(entry.file_name())).unwrap();
    }
}

/// Every name under `dir` (links not followed) with what it is: its bytes (a checksum), its
/// permissions, or where it points.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("link to {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "folder".to_string()
            } else if meta.len() > (64 << 20) {
                format!("{} bytes, mode {:o}", meta.len(), meta.permissions().mode() & 0o7777)
            } else {
                format!("crc {:08x}, mode {:o}", crc32fast::hash(&std::fs::read(&path).unwrap()), meta.permissions().mode() & 0o7777)
            };
            out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), what);
        }
    }
    out
}

/// Longest a case may take (every case takes well under a second here).
const CASE_TIME: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `cmd` to its end, or kills it after `limit` (an error: it did not finish).
fn output_within(cmd: &mut Command, limit: std::time::Duration) -> Result<Output, String> {
    use std::io::Read;
    let mut child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let read = |mut r: Box<dyn Read + Send>| std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    });
    let (out, err) = (read(Box::new(child.stdout.take().unwrap())), read(Box::new(child.stderr.take().unwrap())));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("did not finish in {} s", limit.as_secs()));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    Ok(Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() })
}

/// Runs `case` in a fresh folder; `Err` says how it misbehaved.
fn run(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let before = snapshot(dir.path());
    let o = output_within(Command::new(kantor()).args(&case.argv).current_dir(dir.path()), CASE_TIME)?;
    let after = snapshot(dir.path());
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        return Err(format!("panicked: {err}"));
    }
    if let Some(tmp) = after.keys().find(|p| p.to_string_lossy().ends_with(".tmp")) {
        return Err(format!("left {} behind", tmp.display()));
    }
    match case.expect {
        Refused(says) => {
            if o.status.success() {
                return Err(format!("succeeded; it must be refused with {says:?}"));
            }
            if before != after {
                let changed: Vec<String> = before
                    .keys()
                    .chain(after.keys())
                    .filter(|k| before.get(*k) != after.get(*k))
                    .map(|k| format!("{} ({:?} → {:?})", k.display(), before.get(k), after.get(k)))
                    .collect();
                return Err(format!("refused, but changed {}", changed.join(", ")));
            }
            // Notes may come first; the error is one `error:` line (with its causes).
            let error = err.split_once("error: ").map_or("", |(_, e)| e);
            if !error.contains(says) || error.contains("error: ") {
                return Err(format!("said {:?}, not {says:?}", err.trim()));
            }
        }
        Made(outputs, says) => {
            if !o.status.success() {
                return Err(format!("failed: {}", err.trim()));
            }
            if !err.contains(says) {
                return Err(format!("said {:?}, not {says:?}", err.trim()));
            }
            for k in before.keys().chain(after.keys()) {
                // An output folder covers what is inside it.
                let expected = outputs.iter().any(|o| k.starts_with(o));
                if before.get(k) != after.get(k) && !expected {
                    return Err(format!("changed {} ({:?} → {:?}), which is not one of its outputs", k.display(), before.get(k), after.get(k)));
                }

                if let Some(missing) = outputs.iter().find(|o| !after.contains_key(Path::new(o))) {
                    return Err(format!("did not write {missing}"));
                }
                // A replaced output keeps the permissions of the file it replaced.
                if let (Some(b), Some(a)) = (before.get(k), after.get(k)) {
                    if b.rsplit(", ").next() != a.rsplit(", ").next() {
                        return Err(format!("{} changed its permissions ({b} → {a})", k.display()));
                    }
                }
            }
        }
    }
    Ok(())
}

#[test]
fn every_input_of_the_sweep_behaves_well() {
    let cases = cases();
    // Two workers: the cases are independent, each in a folder of its own.
    let results: Vec<(usize, Result<(), String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let cases = &cases;
                s.spawn(move || (w..cases.len()).step_by(2).map(|i| (i, run(&cases[i]))).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let mut table: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut bad = Vec::new();
    for (i, r) in &results {
        let c = &cases[*i];
        let row = table.entry(c.kind).or_default();
        row.0 += 1;
        match r {
            Ok(()) => row.1 += 1,
            Err(e) => bad.push(format!("kantor {}: {e}", c.argv.join(" "))),
        }
    }
    for (kind, (tried, well)) in &table {
        eprintln!("| {kind} | {tried} | {well} |");
    }
    eprintln!("{} cases, {} behaved well", results.len(), results.len() - bad.len());
    assert!(bad.is_empty(), "{} of {} cases misbehaved:\n{}", bad.len(), results.len(), bad.join("\n"));
}

/// Runs `kantor args` in `dir` under `ulimit -f 0` (no file may grow: a full disk) and
/// returns its output.
fn with_full_disk(dir: &Path, args: &[&str]) -> Output {
    Command::new("sh").arg("-c").arg("ulimit -f 0 && exec \"$0\" \"$@\"").arg(kantor()).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn a_full_disk_keeps_every_earlier_output() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let before = snapshot(dir.path());
    let mut generate = vec!["generate", "-o", "keep.mid", "--wav", "a.wav", "--musicxml", "ro-free.musicxml"];
    generate.extend(FAST);
    for args in [
        &generate[..],
        &["prepare", "--quiet", "--input", "scores", "--output", "mode640.kds"][..],
        &["eval", "x.mid", "--no-copy", "--reference", "x.mid", "--json", "keep.mid", "--quiet"][..],
        &["export-onnx", "--checkpoint", "run", "--output", "a.wav"][..],
    ] {
        let o = with_full_disk(dir.path(), args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} succeeded on a full disk");
        assert!(err.contains("File too large") && err.starts_with("error: "), "{args:?}: {err}");
        assert_eq!(snapshot(dir.path()), before, "{args:?} changed the folder on a full disk");
    }
}

#[test]
fn a_pipe_that_never_ends_is_read_up_to_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("tune.mid");
    if !Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let mut writer = Command::new("sh").arg("-c").arg("exec cat /dev/zero > tune.mid").current_dir(dir.path()).spawn().unwrap();
    let o = Command::new(kantor()).args(["harmonize", "--melody", "tune.mid"]).current_dir(dir.path()).output().unwrap();
    let _ = writer.kill();
    let _ = writer.wait();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("larger than a score or MIDI file may be (64 MiB)"), "{err}");
}

#[test]
fn every_command_takes_the_same_sampler_limits() {
    use clap::CommandFactory;
    use kantor_core::sampler::table::{Kind, SETTINGS};
    #[derive(clap::Parser)]
    #[allow(clippy::large_enum_variant)]
    enum Cli {
        Generate(kantor_host::compose::GenerateArgs),
        Harmonize(kantor_host::compose::HarmonizeArgs),
        Eval(kantor_host::eval::EvalArgs),
        Play(kantor_host::play::PlayArgs),
    }
    let cli = Cli::command();
    let mut seen = 0;
    for sub in cli.get_subcommands() {
        for s in SETTINGS.iter().filter(|s| matches!(s.kind, Kind::Count { .. } | Kind::Number { .. })) {
            let long = s.name.replace('_', "-");
            let Some(arg) = sub.get_arguments().find(|a| a.get_long() == Some(long.as_str())) else {
                assert_eq!(sub.get_name(), "play", "{} has no --{long}", sub.get_name());
                continue;
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(help.contains(&format!("[range: {}]", s.kind)), "{} --{long}: {help}", sub.get_name());
            seen += 1;
        }
    }
    // Every number on generate, harmonize and eval, and play's levels and steps.
    let numbers = SETTINGS.iter().filter(|s| matches!(s.kind, Kind::Count { .. } | Kind::Number { .. })).count();
    assert_eq!(seen, 3 * numbers + 2);
    // The text form (a model's `kantor.sampler`, `export-onnx --sampler`, `eval --sampler`)
    // refuses what the flags refuse.
    for s in &SETTINGS {
        if let Kind::Count { high, .. } = s.kind {
            let mut settings = kantor_core::sampler::SamplerSettings::ncsn(kantor_core::NoiseSchedule::new(5.0, 0.05, 12));
            assert!(settings.apply_text(&format!("{}={}", s.name, high + 1)).is_err(), "{}={} read", s.name, high + 1);
            settings.apply_text(&format!("{}={high}", s.name)).unwrap();
        }
    }
}

#[test]
fn ctrl_c_stops_at_once_and_keeps_the_old_outputs() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let before = snapshot(dir.path());
    // Sixteen bars at 10 beats a minute: about seven minutes of audio, rendered for many
    // seconds, while the MIDI file waits to be renamed beside it.
    let mut args = vec!["generate", "--bars", "16", "--tempo", "10", "-o", "keep.mid", "--wav", "a.wav"];
    args.extend(FAST);
    let mut child = Command::new(kantor()).args(&args).current_dir(dir.path()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let tmp = dir.path().join("a.wav.tmp");
    let started = Instant::now();
    while !tmp.exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(tmp.exists(), "the WAV file was never begun");
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "the rendering ended before Ctrl-C");
    let asked = Instant::now();
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = child.wait().unwrap();
    let took = asked.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(took < Duration::from_secs(1), "took {took:?} to stop");
    assert!(err.contains("interrupted: nothing more was written"), "{err}");
    assert_eq!(snapshot(dir.path()), before, "Ctrl-C left the folder changed");
}
