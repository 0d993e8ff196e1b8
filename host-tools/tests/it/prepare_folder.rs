//! `kantor prepare` on a folder of hand-made scores: what is kept, skipped, transposed
//! and removed as a duplicate, and the split.

use kantor_core::chorale::in_range;
use kantor_host::corpus::{prepare, SkipReason, DEFAULT_NEAR_DUPLICATE};
use std::path::Path;

use crate::prepare_support;
use prepare_support::{fixture, write_mxl};

fn copy(dir: &Path, name: &str, as_name: &str) {
    std::fs::copy(fixture(name), dir.join(as_name)).unwrap();
}

#[test]
fn keeps_four_part_chorales_and_says_why_others_go() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "chorale.xml", "a_chorale.xml");
    copy(dir.path(), "chorale_in_d.xml", "b_chorale_in_d.xml");
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    copy(dir.path(), "three_parts.xml", "nested/c_three.xml");
    copy(dir.path(), "malformed.xml", "d_malformed.musicxml");
    copy(dir.path(), "out_of_range.xml", "e_wide.xml");
    write_mxl(
        &dir.path().join("f_packed.mxl"),
        &std::fs::read_to_string(fixture("chorale_in_f.xml")).unwrap(),
    );
    std::fs::write(dir.path().join("g_notes.krn"), "not a score").unwrap();

    let (dataset, report) = prepare(dir.path(), DEFAULT_NEAR_DUPLICATE, false).unwrap();
    assert_eq!(report.files_read, 6, "the .krn file is not a score");
    assert_eq!(dataset.chorales.len(), 1);
    assert_eq!(report.kept(), 1);
    assert_eq!(dataset.chorales[0].source, "a_chorale.xml");
    assert_eq!(dataset.chorales[0].frames.len(), 36);

    let reason = |src: &str| {
        report
            .skipped
            .iter()
            .find(|s| s.source == src)
            .map(|s| s.reason)
    };
    assert_eq!(reason("nested/c_three.xml"), Some(SkipReason::NotFourParts));
    assert_eq!(reason("d_malformed.musicxml"), Some(SkipReason::Unreadable));
    assert_eq!(reason("e_wide.xml"), Some(SkipReason::OutOfRange));
    assert_eq!(report.skipped.len(), 3);

    // The same music in D and (packed) in F is found again and dropped.
    let dups: Vec<(&str, &str, f64)> = report
        .duplicates
        .iter()
        .map(|d| (d.kept.as_str(), d.duplicate.as_str(), d.similarity))
        .collect();
    assert_eq!(
        dups,
        [
            ("a_chorale.xml", "b_chorale_in_d.xml", 1.0),
            ("a_chorale.xml", "f_packed.mxl", 1.0)
        ]
    );
    // The F version needed transposing (its soprano reaches A5) before it could be compared.
    assert_eq!(report.transposed, [("f_packed.mxl".to_owned(), -2)]);

    let text = report.to_string();
    assert!(
        text.contains("skipped nested/c_three.xml: not four parts"),
        "{text}"
    );
    assert!(text.contains("chorales kept:     1"), "{text}");
}

#[test]
fn transposes_into_range_and_splits_the_same_music_the_same_way() {
    let mut splits = Vec::new();
    for (name, shift, top) in [
        ("chorale.xml", 0, 76),
        ("chorale_in_d.xml", 0, 78),
        ("chorale_in_f.xml", -2, 79),
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy(dir.path(), name, name);
        let (dataset, report) = prepare(dir.path(), DEFAULT_NEAR_DUPLICATE, false).unwrap();
        let c = &dataset.chorales[0];
        assert!(in_range(&c.frames));
        assert_eq!(
            report.transposed.iter().map(|t| t.1).sum::<i32>(),
            shift,
            "{name}"
        );
        assert_eq!(report.voice_ranges[0].map(|r| r.1), Some(top), "{name}");
        splits.push(c.split);
    }
    // The split follows the music, not the key.
    assert!(splits.iter().all(|s| *s == splits[0]), "{splits:?}");
}

#[test]
fn near_duplicates_follow_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(fixture("chorale.xml")).unwrap();
    std::fs::write(dir.path().join("a.xml"), &xml).unwrap();
    // One alto note changed: 35 of 36 frames stay equal.
    let changed = xml.replacen(
        "<step>F</step><octave>4</octave>",
        "<step>D</step><octave>4</octave>",
        1,
    );
    assert_ne!(changed, xml);
    std::fs::write(dir.path().join("b.xml"), &changed).unwrap();
    let (kept, report) = prepare(dir.path(), 0.95, false).unwrap();
    assert_eq!(kept.chorales.len(), 1);
    assert!(
        (report.duplicates[0].similarity - 35.0 / 36.0).abs() < 1e-9,
        "{:?}",
        report.duplicates
    );
    let (both, report) = prepare(dir.path(), 0.99, false).unwrap();
    assert_eq!(both.chorales.len(), 2);
    assert!(report.duplicates.is_empty());
}

#[test]
fn missing_folder_is_an_error() {
    assert!(prepare(
        Path::new("/nonexistent/kantor/corpus"),
        DEFAULT_NEAR_DUPLICATE,
        false
    )
    .is_err());
    let empty = tempfile::tempdir().unwrap();
    let (d, r) = prepare(empty.path(), DEFAULT_NEAR_DUPLICATE, false).unwrap();
    assert!(d.chorales.is_empty());
    assert_eq!(r.files_read, 0);
}
