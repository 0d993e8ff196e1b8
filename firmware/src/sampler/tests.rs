//! The sampler against a distribution with an exactly known score ([`super::analytic`]).

use super::analytic::ChordMixture;
use super::*;
use crate::frame::FrameMeta;
use crate::noise::NoiseSchedule;
use crate::token::Token;
use crate::voice::VOICES;

const P: fn(u8) -> Token = Token::Pitch;
const FRAMES: usize = 32;
const SEEDS: u64 = 8;

/// Four chords sharing some voices (C, G, F, A minor), weights 0.4, 0.3, 0.2, 0.1.
fn chords() -> [([Token; VOICES], f32); 4] {
    [
        ([P(72), P(64), P(55), P(48)], 0.4),
        ([P(71), P(62), P(55), P(43)], 0.3),
        ([P(72), P(65), P(57), P(41)], 0.2),
        ([P(72), P(64), P(57), P(45)], 0.1),
    ]
}

fn settings() -> SamplerSettings {
    SamplerSettings { steps_per_level: 40, ..SamplerSettings::ncsn(NoiseSchedule::new(3.0, 0.01, 10)) }
}

/// Samples `SEEDS` chains of `FRAMES` frames and counts which chord each frame became
/// (index 4 = none of them).
fn chord_counts(settings: &SamplerSettings, clamps: &[Clamp]) -> [usize; 5] {
    let table = chords();
    let mut net = ChordMixture { chords: &table };
    let metas = [FrameMeta::default(); FRAMES];
    let mut buf = [0.0f32; Workspace::floats_needed(FRAMES)];
    let mut out = [[Token::Rest; VOICES]; FRAMES];
    let mut counts = [0usize; 5];
    for seed in 0..SEEDS {
        let mut ws = Workspace::split(&mut buf, FRAMES).unwrap();
        let report = sample(&mut net, settings, seed, &metas, clamps, &mut ws, &mut out).unwrap();
        assert_eq!(report.evaluations, settings.evaluations());
        for frame in &out {
            let k = table.iter().position(|(c, _)| c == frame).unwrap_or(4);
            counts[k] += 1;
        }
    }
    counts
}

/// Pearson's χ² of `counts` against probabilities proportional to `weights`.
fn chi_square(counts: &[usize], weights: &[f32]) -> f32 {
    let n: usize = counts.iter().sum();
    let total: f32 = weights.iter().sum();
    counts
        .iter()
        .zip(weights)
        .map(|(&c, &w)| {
            let e = n as f32 * w / total;
            (c as f32 - e) * (c as f32 - e) / e
        })
        .sum()
}

/// χ² critical values at p = 0.001 for 2 and 3 degrees of freedom.
const CHI2_2DOF: f32 = 13.82;
const CHI2_3DOF: f32 = 16.27;

#[test]
fn samples_match_the_chord_weights() {
    let counts = chord_counts(&settings(), &[]);
    // Every frame lands on a chord of the mixture, and the chords come with their weights.
    assert_eq!(counts[4], 0, "counts {counts:?}");
    let chi2 = chi_square(&counts[..4], &[0.4, 0.3, 0.2, 0.1]);
    assert!(chi2 < CHI2_3DOF, "χ² = {chi2}, counts {counts:?}");
}

#[test]
fn predictor_corrector_with_simplex_constraint_matches_too() {
    // With the exact score the denoised estimate is already in the simplex, so the
    // constraint must not bias the result; the predictor steps add one evaluation per level.
    let pc = SamplerSettings { predictor: true, constraint: Constraint::Simplex, steps_per_level: 20, ..settings() };
    assert_eq!(pc.evaluations(), 10 * 20 + 9 + 1);
    let counts = chord_counts(&pc, &[]);
    assert_eq!(counts[4], 0, "counts {counts:?}");
    let chi2 = chi_square(&counts[..4], &[0.4, 0.3, 0.2, 0.1]);
    assert!(chi2 < CHI2_3DOF, "χ² = {chi2}, counts {counts:?}");
}

#[test]
fn a_cold_chain_fails_the_same_test() {
    // The control: at temperature 0.3 the chain over-favours the heaviest chord and the
    // χ² test must notice.
    let cold = SamplerSettings { temperature: 0.3, ..settings() };
    let counts = chord_counts(&cold, &[]);
    let chi2 = chi_square(&counts[..4], &[0.4, 0.3, 0.2, 0.1]);
    assert!(chi2 > CHI2_3DOF, "χ² = {chi2}, counts {counts:?}");
}

#[test]
fn inpainting_samples_the_conditional() {
    // Soprano fixed to C5: only C, F and A minor remain, in ratio 4 : 2 : 1.
    let clamps = [[Some(P(72)), None, None, None]; FRAMES];
    let counts = chord_counts(&settings(), &clamps);
    assert_eq!(counts[1] + counts[4], 0, "counts {counts:?}");
    let chi2 = chi_square(&[counts[0], counts[2], counts[3]], &[0.4, 0.2, 0.1]);
    assert!(chi2 < CHI2_2DOF, "χ² = {chi2}, counts {counts:?}");
}

#[test]
fn clamped_tokens_come_out_unchanged_and_seeds_repeat() {
    let table = chords();
    let mut net = ChordMixture { chords: &table };
    let metas = [FrameMeta::default(); FRAMES];
    let mut clamps = [FREE; FRAMES];
    // Tokens the mixture never produces, including holds and rests, must still survive.
    for (t, c) in clamps.iter_mut().enumerate().step_by(3) {
        c[t % VOICES] = Some(match t % 4 {
            0 => P(60 + (t % 10) as u8),
            1 => Token::Hold,
            2 => Token::Rest,
            _ => P(40),
        });
    }
    let mut buf = [0.0f32; Workspace::floats_needed(FRAMES)];
    let s = SamplerSettings { steps_per_level: 5, ..settings() };
    let mut runs = [[[Token::Rest; VOICES]; FRAMES]; 3];
    for (run, seed) in runs.iter_mut().zip([5, 5, 6]) {
        let mut ws = Workspace::split(&mut buf, FRAMES).unwrap();
        sample(&mut net, &s, seed, &metas, &clamps, &mut ws, run).unwrap();
        for (frame, c) in run.iter().zip(&clamps) {
            for v in 0..VOICES {
                if let Some(tok) = c[v] {
                    assert_eq!(frame[v], tok);
                }
            }
        }
    }
    assert_eq!(runs[0], runs[1]);
    assert_ne!(runs[0], runs[2]);
}

#[test]
fn bad_requests_are_errors() {
    let table = chords();
    let mut net = ChordMixture { chords: &table };
    let metas = [FrameMeta::default(); 4];
    let mut buf = [0.0f32; Workspace::floats_needed(4)];
    let mut out = [[Token::Rest; VOICES]; 4];
    let s = settings();
    let mut ws = Workspace::split(&mut buf, 2).unwrap();
    assert!(matches!(
        sample(&mut net, &s, 0, &metas, &[], &mut ws, &mut out),
        Err(SampleError::BufferTooSmall { frames: 4, capacity: 2 })
    ));
    let mut ws = Workspace::split(&mut buf, 4).unwrap();
    let clamps = [[None, None, Some(P(80)), None]; 4];
    assert!(matches!(
        sample(&mut net, &s, 0, &metas, &clamps, &mut ws, &mut out),
        Err(SampleError::ClampOutOfRange(_))
    ));
    let flat = SamplerSettings { epsilon: 0.0, ..s };
    assert!(matches!(sample(&mut net, &flat, 0, &metas, &[], &mut ws, &mut out), Err(SampleError::BadSettings)));
    assert!(matches!(sample(&mut net, &s, 0, &[], &[], &mut ws, &mut out), Err(SampleError::NoFrames)));
}

#[test]
fn consistent_annealing_matches_the_chord_weights_with_one_step_per_level() {
    // η = α/σ² = ε/σ_L² = 0.5 at every level; one evaluation per level.
    let cas = SamplerSettings {
        method: Method::Consistent,
        steps_per_level: 1,
        epsilon: 0.5 * 0.01 * 0.01,
        ..SamplerSettings::ncsn(NoiseSchedule::new(3.0, 0.01, 40))
    };
    assert_eq!(cas.evaluations(), 41);
    let counts = chord_counts(&cas, &[]);
    assert_eq!(counts[4], 0, "counts {counts:?}");
    let chi2 = chi_square(&counts[..4], &[0.4, 0.3, 0.2, 0.1]);
    assert!(chi2 < CHI2_3DOF, "χ² = {chi2}, counts {counts:?}");
}

#[test]
fn the_judge_points_at_the_frame_that_is_no_chord() {
    let table = chords();
    let mut net = ChordMixture { chords: &table };
    let mut tokens = [table[0].0; FRAMES];
    tokens[7] = [P(72), P(64), P(57), P(43)]; // no chord of the mixture
    tokens[20] = table[2].0;
    let metas = [FrameMeta::default(); FRAMES];
    let mut buf = [0.0f32; Workspace::floats_needed(FRAMES)];
    let mut ws = Workspace::split(&mut buf, FRAMES).unwrap();
    crate::onehot::encode_meta(metas.iter().copied(), ws.meta);
    let mut noise = Gaussian::new(3);
    let mut report = SampleReport::default();
    let total = refine::judge(&mut net, &mut ws, &tokens, 0.3, &mut noise, &mut report).unwrap();
    assert_eq!(report.evaluations, 1);
    let worst = (0..FRAMES).max_by(|&a, &b| ws.per_frame[a].total_cmp(&ws.per_frame[b])).unwrap();
    assert_eq!(worst, 7, "errors {:?}", &ws.per_frame[..FRAMES]);
    assert!((ws.per_frame[..FRAMES].iter().sum::<f32>() - total).abs() < 1e-3 * total);
}

/// Frames of `SEEDS` chains that are none of the mixture's chords, and the evaluations.
fn strays(settings: &SamplerSettings, clamps: &[Clamp]) -> (usize, usize) {
    let table = chords();
    let mut net = ChordMixture { chords: &table };
    let metas = [FrameMeta::default(); FRAMES];
    let mut buf = [0.0f32; Workspace::floats_needed(FRAMES)];
    let mut out = [[Token::Rest; VOICES]; FRAMES];
    let (mut bad, mut evaluations) = (0, 0);
    for seed in 0..SEEDS {
        let mut ws = Workspace::split(&mut buf, FRAMES).unwrap();
        let report = sample(&mut net, settings, seed, &metas, clamps, &mut ws, &mut out).unwrap();
        evaluations += report.evaluations;
        for (frame, c) in out.iter().zip(clamps) {
            for v in 0..VOICES {
                if let Some(tok) = c[v] {
                    assert_eq!(frame[v], tok);
                }
            }
        }
        bad += out.iter().filter(|f| !table.iter().any(|(c, _)| c == *f)).count();
    }
    (bad, evaluations)
}

#[test]
fn refining_repairs_a_hurried_chain_and_keeps_the_clamps() {
    // Three levels of one step leave some frames off the chords; three rounds of judging
    // and re-sampling a quarter of the frames from σ ≤ 1 must repair most of them.
    let hurried = SamplerSettings {
        steps_per_level: 1,
        epsilon: 0.5 * 0.1 * 0.1,
        ..SamplerSettings::ncsn(NoiseSchedule::new(3.0, 0.1, 3))
    };
    let refined = SamplerSettings { refine: Refine { rounds: 3, fraction: 0.25, sigma: 1.0, judge_sigma: 0.3, judge: Judge::Network, steps: 0, home_ending: false, home_opening: false, contrary: false }, ..hurried };
    let mut clamps = [FREE; FRAMES];
    for c in clamps.iter_mut().step_by(5) {
        c[0] = Some(P(72));
    }
    let (before, e0) = strays(&hurried, &clamps);
    let (after, e1) = strays(&refined, &clamps);
    assert_eq!(e0, SEEDS as usize * hurried.evaluations());
    assert_eq!(e1, SEEDS as usize * refined.evaluations());
    // Levels σ 3, 0.55, 0.1; each round judges once and re-anneals from 0.55.
    assert_eq!(refined.evaluations(), 4 + 3 * (1 + 2 + 1));
    
    assert!(before >= 8 && after * 4 <= before, "stray frames: {before} before, {after} after refining");
}

#[test]
fn counterpoint_refinement_removes_parallels_and_costs_no_judging() {
    // Frames independently one of two C major voicings or, rarely, D minor: every move to
    // or from D minor takes soprano and bass up or down in octaves (tenor and bass in
    // fifths). Re-drawing the marked frames makes D minor, and the parallels, rarer.
    let chords = [([P(72), P(64), P(55), P(48)], 0.4), ([P(72), P(67), P(60), P(48)], 0.4), ([P(74), P(65), P(57), P(50)], 0.2)];
    let plain = SamplerSettings { steps_per_level: 3, epsilon: 0.5 * 0.1 * 0.1, ..SamplerSettings::ncsn(NoiseSchedule::new(3.0, 0.1, 6)) };
    let refined = SamplerSettings { refine: Refine { rounds: 12, fraction: 0.1, sigma: 1.0, judge_sigma: 0.3, judge: Judge::Counterpoint, steps: 0, home_ending: false, home_opening: false, contrary: false }, ..plain };
    let plan = PiecePlan { bars: 2, time: crate::meter::TimeSignature::COMMON, key: crate::key::Key::C_MAJOR, pickup: 0, fermata_every: 0 };
    let mut metas = [FrameMeta::default(); FRAMES];
    plan.fill(&mut metas).unwrap();
    let count = |settings: &SamplerSettings, chords: &[([Token; VOICES], f32)]| {
        let net = ChordMixture { chords };
        let (mut faults, mut evaluations) = (0, 0);
        for seed in 0..SEEDS {
            let mut buffer = [0f32; Workspace::floats_needed(FRAMES)];
            let mut ws = Workspace::split(&mut buffer, FRAMES).unwrap();
            let mut out = [[Token::Rest; VOICES]; FRAMES];
            let mut n = net;
            evaluations += sample(&mut n, settings, seed, &metas, &[], &mut ws, &mut out).unwrap().evaluations;
            let mut marks = [0f32; FRAMES];
            faults += counterpoint::mark_parallels(&out, &mut marks, false);
        }
        (faults, evaluations)
    };
    let (before, _) = count(&plain, &chords);
    let (after, evaluations) = count(&refined, &chords);
    assert!(before >= 40, "a plain chain should write parallels here: {before}");
    // Re-drawn neighbours turn to D minor at the same rate, so this toy, without any
    // context, settles at a lower rate rather than at none.
    assert!(after * 2 <= before, "parallels: {before} before, {after} after refining");
    // Rounds end early once the chorale is clean; none of them spends an evaluation judging.
    assert!(evaluations <= SEEDS as usize * refined.evaluations());
    let (clean, evaluations) = count(&refined, &chords[..2]);
    assert_eq!((clean, evaluations), (0, SEEDS as usize * plain.evaluations()), "a chorale without parallels is not refined");
    // Levels σ 3, 1.5, 0.77, …: each round re-anneals the last four levels (3 steps each)
    // and denoises once.
    assert_eq!(refined.evaluations(), plain.evaluations() + 12 * (4 * 3 + 1));
}

#[test]
fn repeat_guidance_makes_lines_move_and_keeps_every_chord() {
    // The mixture draws each frame's chord on its own: the soprano sings 72 in seven frames
    // of ten, so it repeats its note in more than half of its steps. Guidance against
    // repeats must make it move more often and still write only the mixture's chords.
    let table = chords();
    let count = |settings: &SamplerSettings| {
        let mut net = ChordMixture { chords: &table };
        let metas = [FrameMeta::default(); FRAMES];
        let mut buf = [0.0f32; Workspace::floats_needed(FRAMES)];
        let mut out = [[Token::Rest; VOICES]; FRAMES];
        let (mut repeats, mut strangers) = (0, 0);
        for seed in 0..SEEDS {
            let mut ws = Workspace::split(&mut buf, FRAMES).unwrap();
            sample(&mut net, settings, seed, &metas, &[], &mut ws, &mut out).unwrap();
            repeats += out.windows(2).filter(|w| w[0][0] == w[1][0]).count();
            strangers += out.iter().filter(|f| !table.iter().any(|(c, _)| c == *f)).count();
        }
        (repeats, strangers)
    };
    let (plain, plain_strangers) = count(&settings());
    let (guided, guided_strangers) = count(&SamplerSettings { repeat_guidance: 4.0, ..settings() });
    assert_eq!((plain_strangers, guided_strangers), (0, 0));
    let steps = SEEDS as usize * (FRAMES - 1);
    assert!(plain * 100 > 45 * steps, "unguided repeats {plain} of {steps}");
    assert!(guided * 4 < plain * 3, "guided repeats {guided}, unguided {plain} of {steps}");
}
