//! Errors a user meets name the file and say in words what is wrong: a damaged int8 model
//! given to `kantor eval --generate`, and numbers out of range on the command line.

use std::path::{Path, PathBuf};
use std::process::Command;

const KANTOR: &str = env!("CARGO_BIN_EXE_kantor");

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)
}

/// The error line of `kantor eval --generate 1 --engine int8 --model <model>`.
fn eval_error(model: &Path) -> String {
    let o = Command::new(KANTOR)
        .args(["eval", "--quiet", "--no-copy", "--generate", "1", "--engine", "int8", "--dataset"])
        .arg(shipped("bach-chorales.kds"))
        .arg("--model")
        .arg(model)
        .output()
        .unwrap();
    assert!(!o.status.success(), "a damaged model was accepted");
    String::from_utf8_lossy(&o.stderr).lines().find(|l| l.starts_with("error:")).unwrap_or_default().to_string()
}

/// No Rust debug structure in a message.
fn assert_words(line: &str) {
    assert!(!line.contains(['{', '}']), "{line}");
    for dump in ["Truncated", "Crc", "BadMagic", "Blob(", "Some(", "stored:"] {
        assert!(!line.contains(dump), "{line}");
    }
}

#[test]
fn a_damaged_int8_model_is_described_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let blob = std::fs::read(shipped("default/model.kq8")).unwrap();

    let trunc = dir.path().join("trunc.kq8");
    std::fs::write(&trunc, &blob[..100_000]).unwrap();
    let line = eval_error(&trunc);
    assert_words(&line);
    assert!(line.contains("trunc.kq8: not a usable int8 model: the file is truncated: 100000 bytes"), "{line}");
    assert!(line.contains(&format!("{} needed", blob.len())), "{line}");

    let flipped = dir.path().join("flipped.kq8");
    let mut bytes = blob.clone();
    let at = bytes.len() - 10;
    bytes[at] ^= 0x40;
    std::fs::write(&flipped, &bytes).unwrap();
    let line = eval_error(&flipped);
    assert_words(&line);
    assert!(line.contains("flipped.kq8") && line.contains("checksum does not match"), "{line}");

    let text = dir.path().join("notes.kq8");
    std::fs::write(&text, "these are not the bytes of a model, only some words").unwrap();
    let line = eval_error(&text);
    assert_words(&line);
    assert!(line.contains("notes.kq8") && line.contains("KQ8 header"), "{line}");
}
