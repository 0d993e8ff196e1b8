//! Reading MusicXML onto the 16th grid, one construct per fixture.

use kantor_core::{KeySignature, TimeSignature, Token};
use kantor_host::corpus::{parse_musicxml, read_musicxml, ParsedScore};
use Token::{Hold as H, Pitch as P, Rest as R};

use crate::prepare_support;
use prepare_support::{fixture, write_mxl};

fn read(name: &str) -> ParsedScore {
    read_musicxml(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

/// `first` then `len - 1` holds.
fn note(first: Token, len: usize) -> Vec<Token> {
    let mut v = vec![first];
    v.resize(len, H);
    v
}

fn concat(parts: &[Vec<Token>]) -> Vec<Token> {
    parts.concat()
}

#[test]
fn tie_across_the_barline_holds() {
    let s = read("ties.xml");
    assert_eq!(s.parts.len(), 1);
    assert_eq!(s.parts[0].name, "Melody");
    // C5 half, G4 half tied to a quarter, quarter rest, E4 half.
    let want = concat(&[note(P(72), 8), note(P(67), 12), note(R, 4), note(P(64), 8)]);
    assert_eq!(s.parts[0].tokens, want);
    assert_eq!(s.len(), 32);
    assert_eq!(s.time, Some(TimeSignature::COMMON));
    let positions: Vec<u8> = s.meta.iter().map(|m| m.position_in_bar).collect();
    assert_eq!(
        positions,
        (0..32).map(|i| (i % 16) as u8).collect::<Vec<_>>()
    );
    assert!(s.warnings.is_empty());
}

#[test]
fn backup_and_forward_keep_the_first_voice() {
    let s = read("backup.xml");
    // Voice 1: C5 whole | D5 half, then forward (silence) for a half.
    let want = concat(&[note(P(72), 16), note(P(74), 8), note(R, 8)]);
    assert_eq!(s.parts[0].tokens, want);
    assert_eq!(s.warnings.other_voice_notes, 3);
}

#[test]
fn pickup_bar_starts_late_in_three_four() {
    let s = read("pickup_three_four.xml");
    assert_eq!(s.time, Some(TimeSignature::THREE_FOUR));
    // D5 pickup quarter | F#5 half, E5 quarter | D5 dotted half with a fermata.
    let want = concat(&[
        note(P(74), 4),
        note(P(78), 8),
        note(P(76), 4),
        note(P(74), 12),
    ]);
    assert_eq!(s.parts[0].tokens, want);
    let positions: Vec<u8> = s.meta.iter().map(|m| m.position_in_bar).collect();
    let mut expected: Vec<u8> = (8..12).collect();
    expected.extend((0..24).map(|i| (i % 12) as u8));
    assert_eq!(positions, expected);
    assert!(s.meta.iter().all(|m| m.key == KeySignature { fifths: 2 }));
    let fermata: Vec<bool> = s.meta.iter().map(|m| m.fermata).collect();
    assert_eq!(fermata, [vec![false; 16], vec![true; 12]].concat());
}

#[test]
fn fermata_in_any_part_marks_its_frames() {
    let s = read("chorale.xml");
    assert_eq!(s.parts.len(), 4);
    assert_eq!(s.len(), 36);
    // Soprano's E5 half (frames 12..20) and the bass's final C2 half (frames 28..36).
    let marked: Vec<usize> = (0..s.len()).filter(|&i| s.meta[i].fermata).collect();
    assert_eq!(marked, (12..20).chain(28..36).collect::<Vec<_>>());
    // Quarter pickup in 4/4 sits at positions 12..16.
    assert_eq!(s.meta[0].position_in_bar, 12);
    assert_eq!(s.meta[4].position_in_bar, 0);
    let bass = concat(&[
        note(P(48), 4),
        note(P(45), 4),
        note(P(43), 4),
        note(P(48), 8),
        note(P(41), 4),
        note(P(43), 4),
        note(P(36), 8),
    ]);
    assert_eq!(s.parts[3].tokens, bass);
}

#[test]
fn chord_keeps_its_top_note() {
    let s = read("chord.xml");
    let want = concat(&[
        note(P(72), 16),
        note(P(67), 8),
        note(P(65), 4),
        note(P(64), 4),
    ]);
    assert_eq!(s.parts[0].tokens, want);
    assert_eq!(s.warnings.chords, 2);
}

#[test]
fn grace_notes_and_notes_shorter_than_a_sixteenth_are_dropped() {
    let s = read("grace_and_short.xml");
    // C5 quarter, (64th B4 vanishes), C5 again for the rest of the beat, D5 half.
    let want = concat(&[note(P(72), 4), note(P(72), 4), note(P(74), 8)]);
    assert_eq!(s.parts[0].tokens, want);
    assert_eq!(s.warnings.grace_notes, 1);
    assert_eq!(s.warnings.collapsed_notes, 1);
}

#[test]
fn malformed_and_foreign_files_are_errors_not_panics() {
    let e = read_musicxml(&fixture("malformed.xml")).unwrap_err();
    assert!(format!("{e:#}").contains("malformed XML"), "{e:#}");
    assert!(read_musicxml(&fixture("no_such_file.xml")).is_err());
    for text in [
        "",
        "<html/>",
        "<score-timewise/>",
        "<score-partwise/>",
        "<score-partwise><part id='P1'><measure><note><pitch><step>H</step><octave>4</octave></pitch><duration>1</duration></note></measure></part></score-partwise>",
        "<score-partwise><part id='P1'><measure><note><pitch><step>C</step><octave>40</octave></pitch><duration>1</duration></note></measure></part></score-partwise>",
        "<score-partwise><part id='P1'><measure><note><rest/><duration>-3</duration></note></measure></part></score-partwise>",
        "<score-partwise><part id='P1'><measure><attributes><divisions>0</divisions></attributes></measure></part></score-partwise>",
    ] {
        assert!(parse_musicxml(text).is_err(), "accepted {text:?}");
    }
}

#[test]
fn damaged_scores_never_panic() {
    let xml = std::fs::read_to_string(fixture("chorale.xml")).unwrap();
    // Every cut (on a character boundary) parses or errs, never panics.
    for cut in (0..xml.len()).step_by(7).filter(|&c| xml.is_char_boundary(c)) {
        let _ = parse_musicxml(&xml[..cut]);
    }
    // Absurd numbers are refused rather than turned into huge scores.
    let long = xml.replacen("<divisions>2</divisions>", "<divisions>0.000001</divisions>", 1);
    assert!(parse_musicxml(&long).is_err());
    let odd = xml.replace("<duration>4</duration>", "<duration>3</duration>");
    assert!(parse_musicxml(&odd).is_ok());
}

#[test]
fn compressed_mxl_reads_like_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chorale.mxl");
    write_mxl(
        &path,
        &std::fs::read_to_string(fixture("chorale.xml")).unwrap(),
    );
    assert_eq!(read_musicxml(&path).unwrap(), read("chorale.xml"));
    // A broken archive is an error.
    std::fs::write(dir.path().join("broken.mxl"), b"PK\x03\x04 not really").unwrap();
    assert!(read_musicxml(&dir.path().join("broken.mxl")).is_err());
}
