//! Chorales through a Standard MIDI File and back, and files the reader must refuse.

use kantor_core::midi::{Performance, TICKS_PER_FRAME};
use kantor_core::{Frame, FrameMeta, KeySignature, TimeSignature, Token, Token::Hold as H, Token::Pitch as P, Token::Rest as R};
use kantor_host::midi::{read_smf, read_smf_bytes, smf_bytes, write_smf};
use midly::num::{u15, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// A short chorale in 3/4 with an upbeat of one quarter, a repeated pitch, ties across
/// a bar line, rests, a key change and two fermatas (the first held through a tie).
fn chorale() -> (Vec<Frame>, TimeSignature) {
    let time = TimeSignature::THREE_FOUR;
    let g = KeySignature { fifths: 1 };
    let d = KeySignature { fifths: 2 };
    #[rustfmt::skip]
    let voices: [[Token; 4]; 24] = [
        [P(67), P(62), P(59), P(43)], [H, H, H, H], [H, H, H, H], [H, H, H, H],
        [P(67), P(62), P(59), P(47)], [H, H, H, H], [P(69), H, P(60), P(48)], [H, H, H, H],
        [P(71), P(67), P(62), P(43)], [H, H, H, H], [H, H, H, H], [H, H, H, H],
        [H, P(66), P(62), P(50)], [H, H, H, H], [H, H, H, H], [H, H, H, H],
        [R, R, P(57), P(38)], [H, H, H, H], [P(74), P(66), R, P(50)], [H, H, H, H],
        [P(73), P(64), P(57), P(45)], [H, H, H, H], [H, H, H, H], [H, H, H, H],
    ];
    let frames = voices
        .iter()
        .enumerate()
        .map(|(i, tokens)| Frame {
            tokens: *tokens,
            meta: FrameMeta {
                position_in_bar: ((i + 8) % 12) as u8,
                fermata: (8..16).contains(&i) || i >= 20,
                key: if i < 16 { g } else { d },
                ..FrameMeta::default()
            },
        })
        .collect();
    (frames, time)
}

#[test]
fn frames_survive_a_midi_file() {
    let (frames, time) = chorale();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chorale.mid");
    write_smf(&path, &frames, time, &Performance::default()).unwrap();
    let back = read_smf(&path).unwrap();
    assert_eq!(back.voices.len(), 4);
    assert_eq!(back.time, Some(time));
    assert_eq!(back.key, Some(KeySignature { fifths: 1 }));
    assert_eq!(back.len(), frames.len());
    for (i, (a, b)) in frames.iter().zip(back.frames()).enumerate() {
        assert_eq!(*a, b, "frame {i} differs");
    }
}

#[test]
fn fermatas_slow_the_tempo_but_not_the_grid() {
    let (frames, time) = chorale();
    let p = Performance::default();
    let bytes = smf_bytes(&frames, time, &p).unwrap();
    let smf = Smf::parse(&bytes).unwrap();
    assert_eq!(smf.header.format, Format::Parallel);
    assert_eq!(smf.tracks.len(), 5);
    let mut tick = 0;
    let mut tempos = Vec::new();
    for e in &smf.tracks[0] {
        tick += e.delta.as_int();
        if let TrackEventKind::Meta(MetaMessage::Tempo(t)) = e.kind {
            tempos.push((tick / TICKS_PER_FRAME, t.as_int()));
        }
    }
    let (normal, slow) = (p.micros_per_quarter(), p.fermata_micros_per_quarter());
    assert_eq!(slow, 2 * normal);
    assert_eq!(tempos, vec![(0, normal), (8, slow), (16, normal), (20, slow)]);
    // Each voice track ends at the last frame, and its notes are on the 16th grid.
    for track in &smf.tracks[1..] {
        let total: u32 = track.iter().map(|e| e.delta.as_int()).sum();
        assert_eq!(total, 24 * TICKS_PER_FRAME);
        assert!(track.iter().all(|e| e.delta.as_int() % TICKS_PER_FRAME == 0));
    }
}

fn note(delta: u32, channel: u8, key: u8, vel: u8) -> TrackEvent<'static> {
    TrackEvent {
        delta: u28::new(delta),
        kind: TrackEventKind::Midi { channel: u4::new(channel), message: MidiMessage::NoteOn { key: u7::new(key), vel: u7::new(vel) } },
    }
}

fn end() -> TrackEvent<'static> {
    TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::EndOfTrack) }
}

fn encode(smf: &Smf) -> Vec<u8> {
    let mut out = Vec::new();
    smf.write_std(&mut out).unwrap();
    out
}

#[test]
fn a_melody_at_another_resolution_is_quantised_to_16ths() {
    // 96 ticks per quarter, slightly off-grid (humanised) timing, format 0.
    let track = vec![
        note(2, 0, 72, 80),  // quarter, starting a little late
        note(93, 0, 72, 0),
        note(0, 0, 74, 80),  // eighth
        note(47, 0, 74, 0),
        note(49, 0, 76, 80), // after an eighth rest, a half note
        note(192, 0, 76, 0),
        end(),
    ];
    let smf = Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(96))), tracks: vec![track] };
    let read = read_smf_bytes(&encode(&smf)).unwrap();
    assert_eq!(read.voices.len(), 1);
    assert_eq!(read.time, None);
    let expected = [P(72), H, H, H, P(74), H, R, H, P(76), H, H, H, H, H, H, H];
    assert_eq!(read.voices[0], expected);
    let frames = read.frames();
    assert_eq!(frames[0].tokens, [P(72), R, R, R]);
    assert_eq!(frames[1].tokens[1..], [H, H, H]);
    assert_eq!(frames[4].meta.position_in_bar, 4);
}

#[test]
fn format_0_channels_are_voices_sorted_by_pitch() {
    // Bass on channel 0, soprano on channel 3, all in one track.
    let track = vec![note(0, 0, 48, 70), note(0, 3, 72, 70), note(480, 0, 48, 0), note(0, 3, 72, 0), end()];
    let smf = Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(480))), tracks: vec![track] };
    let read = read_smf_bytes(&encode(&smf)).unwrap();
    assert_eq!(read.voices.len(), 2);
    assert_eq!(read.voices[0][0], P(72));
    assert_eq!(read.voices[1][0], P(48));
}

#[test]
fn bad_files_are_refused_with_a_reason() {
    let err = |bytes: &[u8]| format!("{:#}", read_smf_bytes(bytes).unwrap_err());
    assert!(err(&[]).contains("empty"));
    assert!(err(b"This is not music at all, just words.").contains("not a Standard MIDI File"));

    let five: Vec<Vec<TrackEvent>> = (0..5).map(|v| vec![note(0, 0, 60 + v, 64), note(480, 0, 60 + v, 0), end()]).collect();
    let smf = Smf { header: Header::new(Format::Parallel, Timing::Metrical(u15::new(480))), tracks: five };
    assert!(err(&encode(&smf)).contains("5 voices"));

    let smpte = Smf {
        header: Header::new(Format::SingleTrack, Timing::Timecode(midly::Fps::Fps25, 40)),
        tracks: vec![vec![note(0, 0, 60, 64), note(100, 0, 60, 0), end()]],
    };
    assert!(err(&encode(&smpte)).contains("SMPTE"));

    let silent = Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(480))), tracks: vec![vec![end()]] };
    assert!(err(&encode(&silent)).contains("zero voices"));

    let dir = tempfile::tempdir().unwrap();
    assert!(read_smf(&dir.path().join("missing.mid")).is_err());
}

#[test]
fn never_panics_on_damaged_files() {
    let (frames, time) = chorale();
    let good = smf_bytes(&frames, time, &Performance::default()).unwrap();
    // Truncations and byte flips of a real file: errors are fine, panics are not.
    for cut in (0..good.len()).step_by(7) {
        let _ = read_smf_bytes(&good[..cut]);
    }
    let mut state = 0x9E37_79B9u32;
    for _ in 0..2000 {
        let mut bytes = good.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let i = state as usize % bytes.len();
            bytes[i] = (state >> 8) as u8;
        }
        let _ = read_smf_bytes(&bytes);
    }
}

fn off(delta: u32, channel: u8, key: u8) -> TrackEvent<'static> {
    TrackEvent {
        delta: u28::new(delta),
        kind: TrackEventKind::Midi { channel: u4::new(channel), message: MidiMessage::NoteOff { key: u7::new(key), vel: u7::new(64) } },
    }
}

#[test]
fn legato_overlaps_chords_and_note_offs_make_one_line() {
    // 120 ticks per quarter (30 per 16th). A legato line whose notes overlap the next
    // by a little, a two-note chord (the upper note is kept), true note-off events, and
    // a note on the percussion channel that is not a voice.
    let track = vec![
        note(0, 0, 60, 80),
        note(0, 9, 36, 100),
        note(118, 0, 62, 80), // starts just before 60 ends
        off(4, 0, 60),
        off(0, 9, 36),
        note(116, 0, 67, 80), // chord 64 + 67 on beat 3
        note(0, 0, 64, 80),
        off(2, 0, 62),
        off(238, 0, 64),
        off(0, 0, 67),
        end(),
    ];
    let header = Header::new(Format::SingleTrack, Timing::Metrical(u15::new(120)));
    let read = read_smf_bytes(&encode(&Smf { header, tracks: vec![track] })).unwrap();
    assert_eq!(read.voices.len(), 1, "percussion is not a voice");
    assert_eq!(read.voices[0], [P(60), H, H, H, P(62), H, H, H, P(67), H, H, H, H, H, H, H]);
}

#[test]
fn slow_and_fast_tempos_are_written_as_stated_or_clamped() {
    let (frames, time) = chorale();
    for (bpm, expected) in [(1u16, 0xFF_FFFF), (40, 1_500_000), (300, 200_000)] {
        let p = Performance { tempo_bpm: bpm, ..Performance::default() };
        let smf_bytes = smf_bytes(&frames, time, &p).unwrap();
        let smf = Smf::parse(&smf_bytes).unwrap();
        let first_tempo = smf.tracks[0].iter().find_map(|e| match e.kind {
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => Some(t.as_int()),
            _ => None,
        });
        assert_eq!(first_tempo, Some(expected), "at {bpm} bpm");
        assert_eq!(read_smf_bytes(&smf_bytes).unwrap().frames(), frames);
    }
}
