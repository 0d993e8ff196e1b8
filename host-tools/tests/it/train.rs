//! `kantor train` on made-up chorales: the loss falls, and a resumed run is the same run.

use crate::train_support;

use kantor_host::train::checkpoint::TrainState;
use kantor_host::train::config::TrainConfig;
use kantor_host::train::{train, Limits};
use train_support::made_up_dataset;

#[test]
fn smoke_training_lowers_the_validation_loss() {
    let dir = tempfile::tempdir().unwrap();
    let summary = train(&made_up_dataset(), dir.path(), Some(TrainConfig::smoke()), Limits::default()).unwrap();
    let first = summary.first_validation.as_ref().unwrap();
    let last = &summary.last_validation;
    assert_eq!(summary.steps, TrainConfig::smoke().steps);
    assert!(last.mean < 0.9 * first.mean, "validation loss {} -> {}", first.mean, last.mean);
    // Largest distance between windows: at most √2 per (voice, frame).
    assert!(summary.sigma_max > 1.0 && summary.sigma_max <= (2.0 * 4.0 * 32.0f64).sqrt());
    for name in ["config.toml", "checkpoint.safetensors", "train.csv", "valid.csv", "summary.json", "loss.png", "bands.png"] {
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

/// Three chords (C, F and G major), one per half note, in random order.
fn three_chord_dataset() -> kantor_host::dataset::Dataset {
    use kantor_core::{Frame, FrameMeta, KeySignature, TimeSignature, Token};
    use kantor_host::dataset::{Dataset, DatasetChorale, Split};
    let chorales = (0..24u64)
        .map(|i| {
            let mut state = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let frames = (0..8 * 16)
                .map(|t| {
                    let meta = FrameMeta { position_in_bar: (t % 16) as u8, fermata: false, key: KeySignature { fifths: 0 }, ..FrameMeta::default() };
                    let tokens = if t % 8 == 0 {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        CHORDS[(state % 3) as usize].map(Token::Pitch)
                    } else {
                        [Token::Hold; 4]
                    };
                    Frame { tokens, meta }
                })
                .collect();
            DatasetChorale { source: format!("chords-{i}"), split: if i % 6 == 5 { Split::Valid } else { Split::Train }, time: TimeSignature::COMMON, frames }
        })
        .collect();
    Dataset { chorales }
}

const CHORDS: [[u8; 4]; 3] = [[72, 64, 55, 48], [72, 65, 57, 41], [71, 62, 55, 43]];

#[test]
fn categorical_head_learns_to_write_only_the_chords_it_saw() {
    use kantor_core::chorale::sounding;
    use kantor_core::sampler::{sample, PiecePlan, SamplerSettings, Workspace};
    use kantor_core::{Head, NoiseSchedule, TimeSignature, Token, Voice};
    use kantor_host::train::checkpoint::load_network;

    let dir = tempfile::tempdir().unwrap();
    let mut config = TrainConfig { steps: 1200, ..TrainConfig::smoke() };
    config.net.head = Head::Categorical;
    train(&three_chord_dataset(), dir.path(), Some(config), Limits::default()).unwrap();
    let (mut net, _) = load_network(dir.path()).unwrap();
    assert_eq!(net.arch.config.head, Head::Categorical);

    let plan = PiecePlan { bars: 2, time: TimeSignature::COMMON, key: kantor_core::Key::C_MAJOR, pickup: 0, fermata_every: 0 };
    let frames = plan.frames().unwrap();
    let metas: Vec<kantor_core::FrameMeta> = (0..frames).map(|t| plan.meta(t).unwrap()).collect();
    // Step to the denoised estimate at every level, as the recommended settings do.
    let mut settings = SamplerSettings::ncsn(NoiseSchedule::new(5.0, 0.05, 20));
    settings.apply_text("method=consistent steps=2 epsilon=0.0025 init=gaussian denoise=on").unwrap();
    let (mut chordal, mut total) = (0, 0);
    for seed in 0..6 {
        let mut buffer = vec![0f32; Workspace::floats_needed(frames)];
        let mut ws = Workspace::split(&mut buffer, frames).unwrap();
        let mut out = vec![[Token::Rest; 4]; frames];
        sample(&mut net, &settings, seed, &metas, &[], &mut ws, &mut out).unwrap();
        let piece: Vec<kantor_core::Frame> = out.iter().zip(&metas).map(|(tokens, meta)| kantor_core::Frame { tokens: *tokens, meta: *meta }).collect();
        for t in 0..frames {
            // Training transposes every window, so the chords come in every key: compare
            // the chord's shape (its voices above the bass).
            let chord = Voice::ALL.map(|v| sounding(&piece, v, t).map_or(-100, i32::from));
            let shape = |c: [i32; 4]| c.map(|p| p - c[3]);
            chordal += CHORDS.iter().any(|c| shape(c.map(i32::from)) == shape(chord)) as usize;
            total += 1;
        }
    }
    // Random notes in range would hit one of three chord shapes in well under 1 % of
    // frames; a network this small, trained this briefly, writes them in most frames.
    assert!(chordal as f64 >= 0.5 * total as f64, "{chordal} of {total} frames sound one of the three chords");
}
