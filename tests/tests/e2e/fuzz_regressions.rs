//! Every input a fuzz target ever failed on (`fuzz/regressions/TARGET/`), replayed through
//! the same code the target runs (`fuzz/*/src/exercise.rs`): each must now be refused or
//! read without a panic. `.ci/fuzz.sh` also seeds every target with these.

#[allow(dead_code)]
mod host {
    include!("../../../fuzz/host/src/exercise.rs");
}

#[allow(dead_code)]
mod device {
    include!("../../../fuzz/device/src/exercise.rs");
}

use std::path::PathBuf;

/// The saved inputs of `target`, by name.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.sort();
    files.into_iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())).collect()
}

/// Replays the inputs of `target` through `run`, naming the one that panics.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let inputs = inputs(target);
    for (name, bytes) in &inputs {
        if std::panic::catch_unwind(|| run(bytes)).is_err() {
            panic!("fuzz/regressions/{target}/{name} fails again");
        }
    }
    inputs.len()
}

#[test]
fn every_saved_input_is_handled() {
    let targets: [(&str, fn(&[u8])); 9] = [
        ("musicxml_prepare", host::musicxml_prepare),
        ("musicxml_melody", host::musicxml_melody),
        ("midi_melody", host::midi_melody),
        ("midi_eval", host::midi_eval),
        ("onnx_quantize", host::onnx_quantize),
        ("dataset", host::dataset),
        ("checkpoint", host::checkpoint),
        ("blob", device::blob),
        ("sampler_settings", device::sampler_settings),
    ];
    let replayed: usize = targets.iter().map(|&(t, run)| replay(t, run)).sum();
    eprintln!("{replayed} saved inputs replayed");
}

#[test]
fn a_blob_with_endless_noise_levels_is_refused() {
    // Once a board counting this schedule's evaluations on start-up walked four billion
    // noise levels.
    let mut blob = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/blob/endless-schedule.kq8")).unwrap();
    // The saved input predates encoding 3 (and its 24 metadata channels): it is read as
    // this build's encoding, so that the schedule is what is refused.
    blob[8..12].copy_from_slice(&kantor_core::onehot::ENCODING_VERSION.to_le_bytes());
    blob[20..24].copy_from_slice(&(kantor_core::onehot::META_CHANNELS as u32).to_le_bytes());
    let body = blob.len() - 4;
    let crc = kantor_core::engine::format::crc32(&blob[..body]);
    blob[body..].copy_from_slice(&crc.to_le_bytes());
    let e = kantor_core::engine::load(&blob).err().expect("refused");
    assert_eq!(e.to_string(), "the network has 4294967295 noise levels, more than the engine's limit of 10000");
}

#[test]
fn a_midi_file_timed_at_minus_128_frames_a_second_is_refused() {
    // The MIDI parser negates the frame rate byte; −128 overflowed there (a panic in a
    // build with overflow checks, "invalid smpte fps" without them).
    let bytes = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/midi_eval/smpte-minus-128-fps.mid")).unwrap();
    let e = kantor_host::midi::read_smf_bytes(&bytes).err().expect("refused");
    assert!(e.to_string().contains("timed in SMPTE frames"), "{e}");
}
