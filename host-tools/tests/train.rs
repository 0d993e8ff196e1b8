//! `kantor train` on made-up chorales: the loss falls, and a resumed run is the same run.

mod train_support;

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
