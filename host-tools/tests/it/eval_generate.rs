//! `kantor eval` driving the sampler: cost is recorded per chorale and per step setting,
//! and a "network" that has memorised a training chorale is caught copying it.

use kantor_core::onehot::{encode_voices, VOICE_CHANNELS};
use kantor_core::sampler::SamplerSettings;
use kantor_core::{Frame, NoiseSchedule, ScoreNet};
use kantor_host::compose::{Engine, SamplerArgs};
use kantor_host::dataset::{Dataset, Split};
use kantor_host::eval::copying::TrainingIndex;
use kantor_host::eval::generation::generate_sets;
use kantor_host::eval::report::write_report;
use kantor_host::eval::{evaluate, Piece};
use std::path::Path;

/// The exact score of a data distribution that is a single chorale: (x₀ − x)/σ².
struct Memorised {
    target: Vec<Frame>,
}

impl ScoreNet for Memorised {
    type Error = core::convert::Infallible;
    fn score(
        &mut self,
        x: &[f32],
        _meta: &[f32],
        frames: usize,
        sigma: f32,
        score: &mut [f32],
    ) -> Result<(), Self::Error> {
        let mut x0 = vec![0.0; VOICE_CHANNELS * frames];
        encode_voices(&self.target[..frames], &mut x0);
        for ((s, x), t) in score.iter_mut().zip(x).zip(&x0) {
            *s = (t - x) / (sigma * sigma);
        }
        Ok(())
    }
}

fn dataset() -> Dataset {
    Dataset::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/bach-chorales.kds"))
        .unwrap()
}

fn piece(name: &str, frames: &[Frame], time: kantor_core::TimeSignature) -> Piece {
    Piece {
        name: name.into(),
        time,
        frames: frames.to_vec(),
        cost: None,
    }
}

#[test]
fn a_network_that_memorised_bach_is_caught_and_costs_are_kept() {
    let d = dataset();
    let train: Vec<_> = d.split(Split::Train).collect();
    let index = TrainingIndex::build(train.iter().map(|c| c.frames.as_slice()));
    let source = train[42];
    let plan = piece(&source.source, &source.frames, source.time);

    let defaults = SamplerSettings {
        steps_per_level: 2,
        ..SamplerSettings::ncsn(NoiseSchedule::new(1.0, 0.01, 4))
    };
    let mut engine = Engine::from_net(
        Memorised {
            target: source.frames.clone(),
        },
        defaults,
        "memorised chorale",
    );
    let sets = generate_sets(
        &mut engine,
        std::slice::from_ref(&plan),
        2,
        &SamplerArgs::default(),
        &[Some(1), Some(3)],
        7,
        kantor_host::eval::generation::Task::Compose,
        false,
    )
    .unwrap();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0].pieces.len(), 2);
    // 4 levels × steps, plus the final denoising step.
    let evals: Vec<u64> = sets
        .iter()
        .map(|s| s.pieces[0].cost.unwrap().evaluations)
        .collect();
    assert_eq!(evals, vec![5, 13]);
    assert!(sets[1].settings.as_deref().unwrap().contains("× 3 steps"));

    let reference: Vec<Piece> = d
        .split(Split::Test)
        .map(|c| piece(&c.source, &c.frames, c.time))
        .collect();
    let e = evaluate("held-out Bach", &reference, &sets, Some(&index), false);
    for set in &e.sets {
        assert_eq!(
            set.mean("evaluations"),
            Some(set.pieces[0].cost.unwrap().evaluations as f64)
        );
        assert!(set.mean("seconds").unwrap() >= 0.0);
        for p in &set.pieces {
            let c = p.copying.unwrap();
            assert_eq!(c.longest_run_frames, source.frames.len(), "{}", p.name);
            assert_eq!(c.longest_run_source, Some(42));
        }
    }
    assert!(e.reference.mean("longest_copy_frames").unwrap() < source.frames.len() as f64 / 3.0);

    // The report puts quality and cost side by side, with a curve over the step settings.
    let dir = tempfile::tempdir().unwrap();
    let pieces: Vec<&[Piece]> = sets.iter().map(|s| s.pieces.as_slice()).collect();
    write_report(dir.path(), &e, &reference, &pieces, "").unwrap();
    let md = std::fs::read_to_string(dir.path().join("REPORT.md")).unwrap();
    assert!(md.contains("## Quality and cost"));
    assert!(md.contains("quality-vs-evaluations.png"));
    assert!(md.contains("| generated, 3 steps | memorised chorale; 4 levels σ 1→0.01 × 3 steps, ε 2e-5, τ 1, 13 evaluations per chorale | 13 |"), "{md}");
    assert!(
        md.contains("| network evaluations | – | 5 (5, ±0) | 13 (13, ±0) |"),
        "{md}"
    );
    for png in [
        "quality-vs-evaluations.png",
        "intervals.png",
        "roll-generated-1-step-1.png",
        "roll-held-out-bach-3.png",
    ] {
        assert!(dir.path().join(png).is_file(), "{png} missing");
    }
}

#[test]
fn harmonizing_held_out_sopranos_keeps_every_soprano_token() {
    // A "network" that knows another chorale entirely: with the soprano held, the written
    // alto, tenor and bass are that chorale's, the soprano stays the plan's.
    let d = dataset();
    let test: Vec<_> = d.split(Split::Test).collect();
    let (plan_source, other) = (test[3], test[5]);
    let frames = plan_source.frames.len().min(other.frames.len());
    let plan = piece(&plan_source.source, &plan_source.frames[..frames], plan_source.time);
    let defaults = SamplerSettings { steps_per_level: 2, ..SamplerSettings::ncsn(NoiseSchedule::new(1.0, 0.01, 4)) };
    let mut engine = Engine::from_net(Memorised { target: other.frames[..frames].to_vec() }, defaults, "memorised chorale");
    let sets = generate_sets(
        &mut engine,
        std::slice::from_ref(&plan),
        1,
        &SamplerArgs::default(),
        &[None],
        3,
        kantor_host::eval::generation::Task::HarmonizeSoprano,
        false,
    )
    .unwrap();
    let out = &sets[0].pieces[0];
    assert!(sets[0].label.starts_with("harmonized"), "{}", sets[0].label);
    let s = kantor_core::Voice::Soprano.index();
    for (t, (got, want)) in out.frames.iter().zip(&plan.frames).enumerate() {
        assert_eq!(got.tokens[s], want.tokens[s], "soprano at frame {t}");
    }
    // The other voices follow the network (the memorised chorale), not the plan.
    let differs = out.frames.iter().zip(&plan.frames).filter(|(g, w)| g.tokens[1..] != w.tokens[1..]).count();
    assert!(differs > frames / 4, "only {differs} of {frames} frames differ from the plan below the soprano");
}

#[test]
fn every_benchmark_melody_is_taken_and_harmonized_as_harmonize_does() {
    // The melody benchmark: every file is read as `kantor harmonize --melody` reads it
    // (kept note for note, in the soprano range, with phrase ends).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/benchmark/melodies");
    let plans = kantor_host::eval::input::melody_plans(&dir).unwrap();
    assert!((30..=40).contains(&plans.len()), "{} melodies", plans.len());
    let s = kantor_core::Voice::Soprano.index();
    for p in &plans {
        let range = kantor_core::Voice::Soprano.range();
        assert!(p.frames.iter().filter_map(|f| f.tokens[s].pitch()).all(|x| range.contains(x)), "{}", p.name);
        assert!(p.frames.iter().any(|f| f.meta.fermata), "{} has no phrase end", p.name);
        assert!(matches!(p.time.numerator, 3 | 4) && p.time.denominator == 4, "{}", p.name);
    }
    // Harmonising one keeps the melody and silences the other voices after its end.
    let plan = &plans[0];
    let d = dataset();
    let other = d.split(Split::Test).find(|c| c.frames.len() >= plan.frames.len()).unwrap();
    let defaults = SamplerSettings { steps_per_level: 1, ..SamplerSettings::ncsn(NoiseSchedule::new(1.0, 0.01, 3)) };
    let mut engine = Engine::from_net(Memorised { target: other.frames[..plan.frames.len()].to_vec() }, defaults, "memorised chorale");
    let sets = generate_sets(
        &mut engine,
        std::slice::from_ref(plan),
        1,
        &SamplerArgs::default(),
        &[None],
        3,
        kantor_host::eval::generation::Task::HarmonizeMelody,
        false,
    )
    .unwrap();
    assert!(sets[0].label.starts_with("harmonized melodies"), "{}", sets[0].label);
    let out = &sets[0].pieces[0];
    for (t, (got, want)) in out.frames.iter().zip(&plan.frames).enumerate() {
        assert_eq!(got.tokens[s], want.tokens[s], "soprano at frame {t}");
    }
    let end = kantor_host::compose::melody::end_of_final_note(&plan.frames.iter().map(|f| f.tokens[s]).collect::<Vec<_>>());
    for f in &out.frames[end.min(out.frames.len())..] {
        assert!(f.tokens[1..].iter().all(|t| !matches!(t, kantor_core::Token::Pitch(_))), "a voice sings after the melody ends");
    }
}
