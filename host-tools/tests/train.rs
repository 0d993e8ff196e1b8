//! `kantor train` on made-up chorales: the loss falls, and a resumed run is the same run.

use kantor_core::{Frame, FrameMeta, KeySignature, TimeSignature, Token};
use kantor_host::dataset::{Dataset, DatasetChorale, Split};
use kantor_host::train::checkpoint::TrainState;
use kantor_host::train::config::TrainConfig;
use kantor_host::train::{train, Limits};

/// A chorale-like piece: the soprano walks in quarter notes, alto, tenor and bass follow
/// at fixed intervals below in half notes, a fermata every two bars.
fn made_up_chorale(seed: u64, bars: usize) -> Vec<Frame> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as i32
    };
    let key = KeySignature { fifths: (seed % 5) as i8 - 2 };
    let mut soprano = 67;
    (0..bars * 16)
        .map(|t| {
            let meta = FrameMeta { position_in_bar: (t % 16) as u8, fermata: t % 32 >= 28, key };
            let mut tokens = [Token::Hold; 4];
            if t % 4 == 0 {
                soprano = (soprano + next() % 5 - 2).clamp(62, 76);
                tokens[0] = Token::Pitch(soprano as u8);
            }
            if t % 8 == 0 {
                tokens[1] = Token::Pitch((soprano - 5) as u8);
                tokens[2] = Token::Pitch((soprano - 12) as u8);
                tokens[3] = Token::Pitch((soprano - 19) as u8);
            }
            Frame { tokens, meta }
        })
        .collect()
}

fn made_up_dataset() -> Dataset {
    let chorales = (0..24)
        .map(|i| DatasetChorale {
            source: format!("made-up-{i}"),
            split: if i % 6 == 5 { Split::Valid } else { Split::Train },
            time: TimeSignature::COMMON,
            frames: made_up_chorale(i, 6 + (i as usize % 4)),
        })
        .collect();
    Dataset { chorales }
}

#[test]
fn smoke_training_lowers_the_validation_loss() {
    let dir = tempfile::tempdir().unwrap();
    let summary = train(&made_up_dataset(), dir.path(), Some(TrainConfig::smoke()), Limits::default()).unwrap();
    let first = summary.first_validation.as_ref().unwrap();
    let last = &summary.last_validation;
    assert_eq!(summary.steps, TrainConfig::smoke().steps);
    assert!(last.mean < 0.8 * first.mean, "validation loss {} -> {}", first.mean, last.mean);
    // Largest distance between windows: at most √2 per (voice, frame).
    assert!(summary.sigma_max > 1.0 && summary.sigma_max <= (2.0 * 4.0 * 32.0f64).sqrt());
    for name in ["config.toml", "checkpoint.safetensors", "train.csv", "valid.csv", "summary.json"] {
        assert!(dir.path().join(name).exists(), "{name} missing");
    }
}

#[test]
fn resuming_reproduces_an_uninterrupted_run() {
    let config = TrainConfig { steps: 12, eval_every: 4, ..TrainConfig::smoke() };
    let data = made_up_dataset();
    let straight = tempfile::tempdir().unwrap();
    train(&data, straight.path(), Some(config.clone()), Limits::default()).unwrap();
    let split = tempfile::tempdir().unwrap();
    train(&data, split.path(), Some(config.clone()), Limits { steps: Some(5), ..Limits::default() }).unwrap();
    // A fresh run refuses to overwrite the stopped one.
    assert!(train(&data, split.path(), Some(config), Limits::default()).is_err());
    train(&data, split.path(), None, Limits::default()).unwrap();
    let (_, a) = TrainState::load(straight.path()).unwrap();
    let (_, b) = TrainState::load(split.path()).unwrap();
    assert_eq!(a.step, 12);
    assert_eq!(a.params, b.params);
    assert_eq!(a.ema, b.ema);
    assert_eq!(a.adam, b.adam);
    let log = std::fs::read_to_string(split.path().join("train.csv")).unwrap();
    assert_eq!(log.lines().count(), 13, "one header and one row per step");
}

#[test]
fn thread_count_does_not_change_the_result() {
    let data = made_up_dataset();
    let run = |threads| {
        let dir = tempfile::tempdir().unwrap();
        let config = TrainConfig { steps: 3, threads, ..TrainConfig::smoke() };
        train(&data, dir.path(), Some(config), Limits::default()).unwrap();
        TrainState::load(dir.path()).unwrap().1.params
    };
    assert_eq!(run(1), run(2));
}
