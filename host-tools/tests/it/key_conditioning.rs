//! The key the user asks for reaches the music: the shipped network, given the same seed
//! and plan in C major, G major and A minor (C major's signature, the other mode), writes
//! different notes, and the key Krumhansl–Schmuckler finds in them is the one asked for:
//! its signature, and its mode.

use kantor_core::sampler::PiecePlan;
use kantor_core::{FrameMeta, Key, Mode, TimeSignature};
use kantor_host::compose::{compose_frames, Engine, EngineKind};
use kantor_host::eval::harmony::key_matches_signature;
use kantor_host::eval::key::{self, find_key};
use std::path::Path;

fn metas(key: Key) -> Vec<FrameMeta> {
    let plan = PiecePlan { bars: 8, time: TimeSignature::COMMON, key, pickup: 0, fermata_every: 2 };
    (0..plan.frames().unwrap()).map(|t| plan.meta(t).unwrap()).collect()
}

#[test]
fn the_asked_key_and_mode_change_the_notes_and_the_music_follows_them() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/default/model.onnx");
    let keys = [Key::C_MAJOR, Key { tonic: 7, mode: Mode::Major }, Key { tonic: 9, mode: Mode::Minor }];
    for kind in [EngineKind::F32, EngineKind::Int8] {
        let path = if kind == EngineKind::Int8 { model.with_extension("kq8") } else { model.clone() };
        let mut engine = Engine::load(&path, kind).unwrap();
        let settings = engine.defaults;
        let (mut signature, mut mode, mut pieces) = (0, 0, 0);
        for seed in 1..=12 {
            let mut notes = Vec::new();
            for key in keys {
                let piece = compose_frames(&mut engine.net(), &settings, seed, &metas(key), &[]).unwrap();
                let found = find_key(&piece.frames).expect("the piece has notes");
                signature += usize::from(key_matches_signature(found, key.signature()));
                let minor = found.mode == key::Mode::Minor;
                mode += usize::from(minor == (key.mode == Mode::Minor));
                pieces += 1;
                notes.push(piece.frames.iter().map(|f| f.tokens).collect::<Vec<_>>());
            }
            assert_ne!(notes[0], notes[1], "{kind:?}, seed {seed}: C major and G major gave the same notes");
            assert_ne!(notes[0], notes[2], "{kind:?}, seed {seed}: C major and A minor gave the same notes");
        }
        // A network deaf to the signature would match it in about half the pieces; one deaf
        // to the mode would write one mode under both, right in at most two pieces of three
        // here (two major keys, one minor).
        eprintln!("{kind:?}: signature followed in {signature} of {pieces} pieces, mode in {mode}");
        assert!(signature * 4 > pieces * 3, "{kind:?}: the signature found matched the one asked in only {signature} of {pieces} pieces");
        assert!(mode * 5 > pieces * 4, "{kind:?}: the mode found matched the one asked in only {mode} of {pieces} pieces");
    }
}
