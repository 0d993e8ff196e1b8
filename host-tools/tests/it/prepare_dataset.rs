//! The dataset file: round trip, and refusing damaged files.

use kantor_core::{Frame, FrameMeta, KeySignature, TimeSignature, Token};
use kantor_host::dataset::{Dataset, DatasetChorale, Split};

fn sample() -> Dataset {
    let frame = |tokens: [Token; 4], position_in_bar: u8, fermata: bool, fifths: i8| Frame {
        tokens,
        meta: FrameMeta {
            position_in_bar,
            fermata,
            key: KeySignature { fifths },
            ..FrameMeta::default()
        },
    };
    Dataset {
        chorales: vec![
            DatasetChorale {
                source: "bwv253.mxl".into(),
                split: Split::Train,
                time: TimeSignature::COMMON,
                frames: vec![
                    frame(
                        [
                            Token::Pitch(60),
                            Token::Pitch(53),
                            Token::Pitch(48),
                            Token::Pitch(36),
                        ],
                        12,
                        false,
                        -3,
                    ),
                    frame(
                        [Token::Hold, Token::Rest, Token::Hold, Token::Pitch(64)],
                        13,
                        true,
                        -3,
                    ),
                    frame(
                        [Token::Pitch(79), Token::Hold, Token::Pitch(69), Token::Hold],
                        14,
                        true,
                        7,
                    ),
                ],
            },
            DatasetChorale {
                source: "bwv414.mxl".into(),
                split: Split::Test,
                time: TimeSignature::THREE_TWO,
                frames: vec![frame([Token::Rest; 4], 23, false, 0)],
            },
            DatasetChorale {
                source: "empty".into(),
                split: Split::Valid,
                time: TimeSignature::THREE_FOUR,
                frames: vec![],
            },
        ],
    }
}

#[test]
fn round_trip_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/set.kds");
    let d = sample();
    d.save(&path).unwrap();
    assert_eq!(Dataset::load(&path).unwrap(), d);
    assert!(!dir.path().join("sub/set.kds.tmp").exists());
    assert_eq!(Dataset::load(&path).unwrap().split(Split::Test).count(), 1);
}

#[test]
fn refuses_damage_of_every_kind() {
    let bytes = sample().to_bytes().unwrap();
    let err = |b: &[u8]| format!("{:#}", Dataset::from_bytes(b).unwrap_err());
    assert!(err(b"NOTKANTOR-file").contains("bad magic"));
    // Every truncation is refused without reading out of bounds.
    for n in 0..bytes.len() {
        assert!(
            Dataset::from_bytes(&bytes[..n]).is_err(),
            "accepted {n} of {} bytes",
            bytes.len()
        );
    }
    // Every flipped byte is refused.
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        assert!(
            Dataset::from_bytes(&b).is_err(),
            "accepted a flip at byte {i}"
        );
    }
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 1;
    assert!(err(&b).contains("checksum"));
    let mut v = bytes.clone();
    v[8] = 99;
    assert!(err(&v).contains("format version 99"));
}

#[test]
fn refuses_valid_checksum_with_bad_content() {
    // A class byte beyond the soprano's alphabet, with the checksum made to fit.
    let mut bytes = sample().to_bytes().unwrap();
    let body = bytes.len() - 4;
    // The first chorale's first frame comes after the header (magic, two versions, source
    // count), the three source names, the chorale count and the chorale's own header.
    let header = 8 + 4 + 4 + 4 + (2 + 10) + (2 + 10) + (2 + 5) + 4;
    let frame0 = header + 4 + 3 + 4;
    assert_eq!(bytes[frame0], 2, "soprano C4 is class 2");
    bytes[frame0] = 200;
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    let e = format!("{:#}", Dataset::from_bytes(&bytes).unwrap_err());
    assert!(e.contains("bad soprano token class 200"), "{e}");
}

#[test]
fn refuses_to_save_out_of_range_pitches() {
    let mut d = sample();
    d.chorales[0].frames[0].tokens[0] = Token::Pitch(90);
    assert!(d.to_bytes().is_err());
}

#[test]
fn loads_a_missing_file_with_a_clear_error() {
    let e = Dataset::load(std::path::Path::new("/nonexistent/set.kds")).unwrap_err();
    assert!(format!("{e:#}").contains("cannot read dataset"));
}
