//! The real corpus: Bach's chorales from music21 (set `KANTOR_BACH_CORPUS` to the
//! extracted `music21/corpus/bach` folder, e.g. from `.ci/corpus.sh`).

use kantor_core::chorale::in_range;
use kantor_host::corpus::{prepare, SkipReason, DEFAULT_NEAR_DUPLICATE};
use kantor_host::dataset::{Dataset, Split};
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("KANTOR_BACH_CORPUS") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("KANTOR_BACH_CORPUS is not set: skipping the Bach corpus test");
            None
        }
    }
}

#[test]
fn imports_bach_chorales() {
    let Some(dir) = corpus() else { return };
    let (dataset, report) = prepare(&dir, DEFAULT_NEAR_DUPLICATE, false).unwrap();
    println!("{report}");
    assert!(
        dataset.chorales.len() >= 340,
        "only {} chorales kept",
        dataset.chorales.len()
    );
    assert_eq!(report.kept(), dataset.chorales.len());
    // Known repeats: bwv414 is bwv253 nearly note for note; bwv398 is bwv197.7-a.
    let pair = |a: &str, b: &str| {
        report
            .duplicates
            .iter()
            .any(|d| d.kept == a && d.duplicate == b)
    };
    assert!(pair("bwv253.mxl", "bwv414.mxl"), "{:?}", report.duplicates);
    assert!(report
        .duplicates
        .iter()
        .any(|d| d.duplicate == "bwv398.mxl"));
    assert!(!dataset.chorales.iter().any(|c| c.source == "bwv414.mxl"));
    // bwv1.6 has a horn part above the choir: its four vocal parts are read.
    assert!(report
        .vocal_parts_taken
        .contains(&("bwv1.6.mxl".to_owned(), 5)));
    assert_eq!(dataset.chorales[0].source, "bwv1.6.mxl");
    // The piano piece in the folder is not a chorale.
    assert!(report
        .skipped
        .iter()
        .any(|s| s.source == "bwv846.mxl" && s.reason == SkipReason::NotFourParts));
    for c in &dataset.chorales {
        assert!(in_range(&c.frames), "{} out of range", c.source);
        let bar = c.time.frames_per_bar().unwrap();
        assert!(c.frames.iter().all(|f| f.meta.position_in_bar < bar));
    }
    // A few sources carry no fermatas at all; nearly all mark their phrase ends.
    let with_fermata = dataset
        .chorales
        .iter()
        .filter(|c| c.frames.iter().any(|f| f.meta.fermata))
        .count();
    assert!(
        with_fermata * 10 >= dataset.chorales.len() * 9,
        "only {with_fermata} chorales have fermatas"
    );
    for split in Split::ALL {
        let n = dataset.split(split).count();
        assert!(
            n * 100 >= dataset.chorales.len() * 5,
            "{} has only {n} chorales",
            split.name()
        );
    }
    // bwv1.6 opens on a downbeat; many chorales open with a quarter-note pickup.
    let pickups = dataset
        .chorales
        .iter()
        .filter(|c| c.frames[0].meta.position_in_bar == c.time.frames_per_bar().unwrap() - 4)
        .count();
    assert!(
        pickups > 100,
        "only {pickups} chorales start with a quarter pickup"
    );
    let first = &dataset.chorales[0];
    for f in first.frames.iter().take(24) {
        println!("{:?} {:?}", f.tokens, f.meta);
    }
    // Saved and loaded back unchanged.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bach.kds");
    dataset.save(&path).unwrap();
    assert_eq!(Dataset::load(&path).unwrap(), dataset);
}
