//! Every chorale of the shipped dataset through a MIDI file and back, and how much the
//! device core's running status saves on the wire when they are played.

use std::path::Path;

use kantor_core::midi::{EventStream, Performance, RunningStatus};
use kantor_core::{Frame, Token};
use kantor_host::dataset::Dataset;
use kantor_host::midi::{read_smf_bytes, smf_bytes};

fn corpus() -> Dataset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/bach-chorales.kds");
    Dataset::load(&path).expect("the prepared corpus ships in models/")
}

/// The one spelling a MIDI file can give back: silence is a rest on its first frame and
/// holds after it (a leading hold is silence too).
fn canonical(frames: &[Frame]) -> Vec<Frame> {
    let mut out = frames.to_vec();
    for v in 0..4 {
        let mut silent_before = true;
        for f in out.iter_mut() {
            let t = &mut f.tokens[v];
            match *t {
                Token::Pitch(_) => silent_before = false,
                Token::Rest | Token::Hold if silent_before => *t = Token::Hold,
                Token::Rest => silent_before = true,
                Token::Hold => {}
            }
        }
        // A silent first frame is written as a rest.
        if out.first().is_some_and(|f| f.tokens[v] == Token::Hold) {
            out[0].tokens[v] = Token::Rest;
        }
    }
    out
}

#[test]
fn every_corpus_chorale_survives_a_midi_file() {
    let dataset = corpus();
    assert!(dataset.chorales.len() > 300);
    let p = Performance::default();
    for c in &dataset.chorales {
        let bytes = smf_bytes(&c.frames, c.time, &p).unwrap();
        let back = read_smf_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e:#}", c.source));
        assert_eq!(back.time, Some(c.time), "{}", c.source);
        let expected = canonical(&c.frames);
        assert_eq!(back.len(), expected.len(), "{}", c.source);
        for (i, (a, b)) in expected.iter().zip(back.frames()).enumerate() {
            assert_eq!(*a, b, "{}: frame {i}", c.source);
        }
    }
}

/// Bytes on the wire for the whole corpus: (every status byte sent, running status).
fn wire_bytes(dataset: &Dataset, p: &Performance) -> (usize, usize) {
    let (mut plain, mut running) = (0usize, 0usize);
    let mut buf = [0u8; 3];
    for c in &dataset.chorales {
        let mut rs = RunningStatus::new();
        for e in EventStream::new(&c.frames, p) {
            plain += 1 + e.message.data().1;
            running += rs.encode(&e.message, &mut buf).unwrap();
        }
    }
    (plain, running)
}

#[test]
fn running_status_shortens_the_corpus_on_the_wire() {
    let dataset = corpus();
    // One channel per voice: only neighbouring messages of one voice share a status.
    let (plain, running) = wire_bytes(&dataset, &Performance::default());
    let saved = 1.0 - running as f64 / plain as f64;
    eprintln!("four channels: {running} bytes instead of {plain} ({:.1}% saved)", saved * 100.0);
    assert!(running < plain);
    // All voices on one channel: nearly every message drops its status byte.
    let one = Performance { channels: [0; 4], ..Performance::default() };
    let (plain, running) = wire_bytes(&dataset, &one);
    let saved = 1.0 - running as f64 / plain as f64;
    eprintln!("one channel: {running} bytes instead of {plain} ({:.1}% saved)", saved * 100.0);
    assert!(saved > 0.3, "only {:.1}% saved", saved * 100.0);
}
