//! `kantor generate` and `kantor harmonize` end to end, on a network with an exactly
//! known score (so the tests do not need a trained model).

use crate::train_support;

use clap::Parser;
use kantor_core::sampler::analytic::ChordMixture;
use kantor_core::sampler::SamplerSettings;
use kantor_core::{NoiseSchedule, Token, Voice};
use kantor_host::compose::{self, Engine, GenerateArgs, HarmonizeArgs};
use std::path::Path;

const P: fn(u8) -> Token = Token::Pitch;

static CHORDS: [([Token; 4], f32); 3] = [
    ([Token::Pitch(72), Token::Pitch(64), Token::Pitch(55), Token::Pitch(48)], 0.5),
    ([Token::Pitch(71), Token::Pitch(62), Token::Pitch(55), Token::Pitch(43)], 0.3),
    ([Token::Hold, Token::Hold, Token::Hold, Token::Hold], 0.2),
];

fn engine() -> Engine {
    let settings = SamplerSettings { steps_per_level: 8, ..SamplerSettings::ncsn(NoiseSchedule::new(3.0, 0.01, 6)) };
    Engine::from_net(ChordMixture { chords: &CHORDS }, settings, "chord mixture")
}

#[derive(Parser)]
struct Gen {
    #[command(flatten)]
    args: GenerateArgs,
}

#[derive(Parser)]
struct Harm {
    #[command(flatten)]
    args: HarmonizeArgs,
}

fn gen_args(dir: &Path, extra: &[&str]) -> GenerateArgs {
    let out = dir.join("c.mid");
    let mut argv = vec!["generate", "--quiet", "--bars", "3", "-o", out.to_str().unwrap()];
    argv.extend_from_slice(extra);
    Gen::try_parse_from(argv).unwrap().args
}

fn harm_args(melody: &Path, out: &Path, extra: &[&str]) -> HarmonizeArgs {
    let mut argv = vec!["harmonize", "--quiet", "--melody", melody.to_str().unwrap(), "-o", out.to_str().unwrap()];
    argv.extend_from_slice(extra);
    Harm::try_parse_from(argv).unwrap().args
}

#[test]
fn same_seed_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = engine();
    let mut bytes = Vec::new();
    for seed in ["5", "5", "6"] {
        let done = compose::generate_with(&mut e, &gen_args(dir.path(), &["--seed", seed])).unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].evaluations, 6 * 8 + 1);
        assert_eq!(done[0].frames.len(), 48);
        bytes.push(std::fs::read(dir.path().join("c.mid")).unwrap());
    }
    assert_eq!(bytes[0], bytes[1]);
    assert_ne!(bytes[0], bytes[2]);
}

#[test]
fn count_writes_numbered_midi_and_musicxml() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("c.musicxml");
    let png = dir.path().join("c.png");
    let args = gen_args(
        dir.path(),
        &["--seed", "1", "--count", "2", "--time", "3/4", "--key", "Eb", "--musicxml", xml.to_str().unwrap(), "--png", png.to_str().unwrap()],
    );
    let done = compose::generate_with(&mut engine(), &args).unwrap();
    assert_eq!(done.len(), 2);
    for (i, c) in done.iter().enumerate() {
        let midi = kantor_host::midi::read_smf(&dir.path().join(format!("c-00{}.mid", i + 1))).unwrap();
        assert_eq!(midi.len(), 36);
        assert_eq!(midi.key.map(|k| k.fifths), Some(-3));
        let score = kantor_host::corpus::read_musicxml(&dir.path().join(format!("c-00{}.musicxml", i + 1))).unwrap();
        assert_eq!(score.parts.len(), 4);
        let png = std::fs::read(dir.path().join(format!("c-00{}.png", i + 1))).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        for v in Voice::ALL {
            let want: Vec<Token> = c.frames.iter().map(|f| f.tokens[v.index()]).collect();
            assert_eq!(score.parts[v.index()].tokens, want);
        }
    }
}

/// A one-part MusicXML melody in 4/4 from (MIDI pitch or 0 for a rest, quarters) pairs.
fn melody_xml(parts: &[&[(u8, u32)]]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?><score-partwise><part-list>");
    for i in 0..parts.len() {
        xml += &format!("<score-part id=\"P{i}\"><part-name>Tune {i}</part-name></score-part>");
    }
    xml += "</part-list>";
    for (i, notes) in parts.iter().enumerate() {
        xml += &format!("<part id=\"P{i}\"><measure number=\"1\"><attributes><divisions>1</divisions><key><fifths>0</fifths></key><time><beats>4</beats><beat-type>4</beat-type></time></attributes>");
        let mut used = 0;
        let mut bar = 1;
        for &(p, d) in notes.iter() {
            if used == 4 {
                bar += 1;
                used = 0;
                xml += &format!("</measure><measure number=\"{bar}\">");
            }
            let steps = ["C", "C", "D", "D", "E", "F", "F", "G", "G", "A", "A", "B"];
            let alter = [0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0];
            if p == 0 {
                xml += &format!("<note><rest/><duration>{d}</duration></note>");
            } else {
                xml += &format!(
                    "<note><pitch><step>{}</step><alter>{}</alter><octave>{}</octave></pitch><duration>{d}</duration></note>",
                    steps[(p % 12) as usize],
                    alter[(p % 12) as usize],
                    p / 12 - 1
                );
            }
            used += d;
        }
        xml += "</measure></part>";
    }
    xml + "</score-partwise>"
}

#[test]
fn harmonize_keeps_the_melody_note_for_note() {
    let dir = tempfile::tempdir().unwrap();
    let tune = dir.path().join("tune.musicxml");
    // Written an octave low: it is moved up into the soprano range.
    std::fs::write(&tune, melody_xml(&[&[(55, 1), (60, 1), (59, 2), (0, 1), (57, 1), (55, 2)]])).unwrap();
    let out = dir.path().join("h.mid");
    let done = compose::harmonize_with(&mut engine(), &harm_args(&tune, &out, &["--seed", "3"])).unwrap();
    let soprano: Vec<Token> = done[0].frames.iter().map(|f| f.tokens[0]).collect();
    let h = Token::Hold;
    let want = [P(67), h, h, h, P(72), h, h, h, P(71), h, h, h, h, h, h, h, Token::Rest, h, h, h, P(69), h, h, h, P(67), h, h, h, h, h, h, h];
    assert_eq!(soprano, want);
    let back = kantor_host::midi::read_smf(&out).unwrap();
    assert_eq!(back.voices.len(), 4);
    assert!(done[0].frames[28..].iter().all(|f| f.meta.fermata), "the final note carries a fermata");
}

fn harmonize_error(file: &str, content: &[u8], extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let tune = dir.path().join(file);
    std::fs::write(&tune, content).unwrap();
    let mut args = harm_args(&tune, &dir.path().join("h.mid"), extra);
    args.common.model = Some(dir.path().join("no-model.onnx"));
    format!("{:#}", compose::harmonize(args).unwrap_err())
}

#[test]
fn bad_melodies_are_clear_errors() {
    let two = melody_xml(&[&[(72, 4)], &[(60, 4)]]);
    let e = harmonize_error("two.musicxml", two.as_bytes(), &[]);
    assert!(e.contains("2 parts") && e.contains("single melody"), "{e}");

    let empty = melody_xml(&[&[(0, 4)]]);
    let e = harmonize_error("rest.musicxml", empty.as_bytes(), &[]);
    assert!(e.contains("no notes"), "{e}");

    // Spans 58..77: no octave fits, two semitones up does.
    let wide = melody_xml(&[&[(67, 1), (58, 1), (77, 2)]]);
    let e = harmonize_error("wide.musicxml", wide.as_bytes(), &[]);
    assert!(e.contains("Bb3") && e.contains("bar 1, beat 2") && e.contains("--transpose"), "{e}");
    // With the suggested transposition the melody is accepted, and the model is missing.
    let e = harmonize_error("wide.musicxml", wide.as_bytes(), &["--transpose", "2"]);
    assert!(e.contains("no-model.onnx"), "{e}");

    let e = harmonize_error("tune.mid", b"not a midi file at all", &[]);
    assert!(e.contains("tune.mid"), "{e}");

    let e = harmonize_error("tune.txt", b"C D E", &[]);
    assert!(e.contains("unknown melody format"), "{e}");

    // A four-voice MIDI file is a chorale, not a melody.
    let frames: Vec<kantor_core::Frame> = (0..16)
        .map(|i| kantor_core::Frame {
            tokens: if i == 0 { [P(72), P(64), P(55), P(48)] } else { [Token::Hold; 4] },
            meta: kantor_core::FrameMeta { position_in_bar: i as u8, ..Default::default() },
        })
        .collect();
    let smf = kantor_host::midi::smf_bytes(&frames, kantor_core::TimeSignature::COMMON, &Default::default()).unwrap();
    let e = harmonize_error("satb.mid", &smf, &[]);
    assert!(e.contains("4 voices") && e.contains("single melody"), "{e}");
}

#[test]
fn missing_model_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = gen_args(dir.path(), &[]);
    args.common.model = Some(dir.path().join("missing/model.onnx"));
    let e = format!("{:#}", compose::generate(args).unwrap_err());
    assert!(e.contains("missing/model.onnx") && e.contains("--model"), "{e}");
}

/// The metadata of a model trained like Kantor's default (σ 0.05–19.6, NCSNv2 schedule).
fn default_model_info() -> kantor_host::onnx::ModelInfo {
    let props: std::collections::HashMap<String, String> = [
        ("encoding_version", kantor_core::onehot::ENCODING_VERSION.to_string()),
        ("voice_ranges", kantor_host::onnx::voice_ranges_text()),
        ("sigma_max", "19.6".into()),
        ("sigma_min", "0.05".into()),
        ("levels", "225".into()),
        ("steps_per_level", "5".into()),
        ("epsilon", "0.0001171".into()),
        ("parameters", "243210".into()),
        ("architecture", "conv".into()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("kantor.{k}"), v))
    .collect();
    kantor_host::onnx::ModelInfo::from_props(&props).unwrap()
}

#[test]
fn model_sampler_metadata_sets_the_defaults_within_the_budget() {
    use kantor_core::sampler::{Init, Method, RECOMMENDED};
    let info = default_model_info();
    // Without `kantor.sampler` the model's NCSNv2 schedule is used as it is.
    let plain = compose::defaults_from(&info, None).unwrap();
    assert_eq!(plain.evaluations(), 225 * 5 + 1);
    assert_eq!(plain.method, Method::Langevin);
    // The recommended settings compose a chorale in at most 100 network evaluations.
    let tuned = compose::defaults_from(&info, Some(RECOMMENDED)).unwrap();
    assert!(tuned.evaluations() <= 100, "{} evaluations", tuned.evaluations());
    assert_eq!(tuned.method, Method::Consistent);
    assert_eq!(tuned.init, Init::Gaussian);
    assert!(tuned.schedule.sigma_max < info.schedule.sigma_max);
    // Bad metadata is an error that names the pair, not a panic.
    let err = compose::defaults_from(&info, Some("levels=ten")).unwrap_err();
    assert!(format!("{err:#}").contains("levels=ten"), "{err:#}");
    assert!(compose::defaults_from(&info, Some("sigma_min=50")).is_err());
}

#[test]
fn consistent_sampling_with_refinement_counts_its_evaluations() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = engine();
    // Levels σ 3, 0.96, 0.31, 0.098, 0.031, 0.01; refinement restarts at the first level
    // ≤ 0.5 (σ 0.31): four levels of two steps, the final denoising step and one judging
    // evaluation per round.
    let args = gen_args(dir.path(), &["--seed", "3", "--method", "consistent", "--steps", "2", "--refine", "2", "--refine-sigma", "0.5"]);
    let done = compose::generate_with(&mut e, &args).unwrap();
    assert_eq!(done[0].evaluations, (6 * 2 + 1) + 2 * (1 + 4 * 2 + 1));
    for frame in &done[0].frames {
        assert!(CHORDS.iter().any(|(c, _)| c == &frame.tokens) || frame.tokens.contains(&Token::Hold));
    }
    // A share above 1 is refused as the command line is read, naming the option and range.
    let bad = Gen::try_parse_from(["generate", "--refine", "1", "--refine-fraction", "1.5"]).err().expect("refused").to_string();
    assert!(bad.contains("--refine-fraction") && bad.contains("at most 1"), "{bad}");
}

#[test]
fn exported_models_carry_the_sampler_defaults() {
    use kantor_core::sampler::Method;
    use kantor_host::compose::EngineKind;
    use kantor_host::onnx::export_run_with;
    use kantor_host::train::config::TrainConfig;
    use kantor_host::train::{train, Limits};
    let data = train_support::made_up_dataset();
    let run = tempfile::tempdir().unwrap();
    train(&data, run.path(), Some(TrainConfig { steps: 2, ..TrainConfig::smoke() }), Limits::default()).unwrap();
    let path = run.path().join("model.onnx");

    kantor_host::onnx::export_run(run.path(), &path).unwrap();
    let tuned = Engine::load(&path, EngineKind::F32).unwrap().defaults;
    assert_eq!(tuned.method, Method::Consistent);
    assert!(tuned.evaluations() <= 100);

    export_run_with(run.path(), &path, "levels=7 steps=3 temperature=0.8").unwrap();
    let custom = Engine::load(&path, EngineKind::F32).unwrap().defaults;
    assert_eq!((custom.schedule.levels, custom.steps_per_level, custom.temperature), (7, 3, 0.8));
    assert_eq!(custom.method, Method::Langevin);

    export_run_with(run.path(), &path, "").unwrap();
    let plain = Engine::load(&path, EngineKind::F32).unwrap().defaults;
    let (_, config) = kantor_host::train::checkpoint::load_network(run.path()).unwrap();
    assert_eq!(plain.schedule.levels, config.sampler.levels);

    let err = export_run_with(run.path(), &path, "steps=0").unwrap_err();
    assert!(format!("{err:#}").contains("cannot run"), "{err:#}");
}

/// A one-part 4/4 MusicXML score with `divisions` per quarter and the given measures'
/// contents (raw `<note>` elements).
fn one_part(divisions: u32, measures: &[&str]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><score-partwise><part-list><score-part id=\"P1\"><part-name>Tune</part-name></score-part></part-list><part id=\"P1\">",
    );
    for (i, m) in measures.iter().enumerate() {
        xml += &format!("<measure number=\"{}\">", i + 1);
        if i == 0 {
            xml += &format!("<attributes><divisions>{divisions}</divisions><key><fifths>0</fifths></key><time><beats>4</beats><beat-type>4</beat-type></time></attributes>");
        }
        xml += m;
        xml += "</measure>";
    }
    xml + "</part></score-partwise>"
}

fn n(step: char, octave: u8, duration: u32, extra: &str) -> String {
    format!("<note>{}<pitch><step>{step}</step><octave>{octave}</octave></pitch><duration>{duration}</duration>{}</note>", if extra.contains("<chord/>") { "<chord/>" } else { "" }, extra.replace("<chord/>", ""))
}

#[test]
fn harmonize_refuses_what_the_grid_cannot_hold_naming_bar_and_beat() {
    // Divisions 12: a quarter is 12, a 16th 3, a triplet eighth 4, a 32nd 1.5 (use 24 for that).
    let bar1 = [n('C', 5, 12, ""), n('D', 5, 12, ""), n('E', 5, 24, "")].concat();
    let triplets = [n('C', 5, 12, ""), n('D', 5, 12, ""), n('E', 5, 4, "<time-modification><actual-notes>3</actual-notes><normal-notes>2</normal-notes></time-modification>"), n('D', 5, 4, "<time-modification><actual-notes>3</actual-notes><normal-notes>2</normal-notes></time-modification>"), n('C', 5, 4, "<time-modification><actual-notes>3</actual-notes><normal-notes>2</normal-notes></time-modification>"), n('C', 5, 12, "")].concat();
    let e = harmonize_error("triplet.musicxml", one_part(12, &[&bar1, &triplets]).as_bytes(), &[]);
    assert!(e.contains("triplet.musicxml: bar 2, beat 3 has a note of a tuplet (and 2 more places)") && e.contains("--simplify"), "{e}");

    let chord = [n('C', 5, 12, ""), n('E', 4, 12, "<chord/>"), n('D', 5, 36, "")].concat();
    let e = harmonize_error("chord.musicxml", one_part(12, &[&bar1, &chord]).as_bytes(), &[]);
    assert!(e.contains("bar 2, beat 1 has a chord"), "{e}");

    // Two 32nds on beat 4 of bar 1 (divisions 24: a 32nd is 3).
    let short = [n('C', 5, 24, ""), n('D', 5, 24, ""), n('E', 5, 24, ""), n('F', 5, 3, ""), n('E', 5, 3, ""), n('D', 5, 18, "")].concat();
    let e = harmonize_error("short.musicxml", one_part(24, &[&short]).as_bytes(), &[]);
    assert!(e.contains("bar 1, beat 4 has a note shorter than a 16th (and 1 more place)"), "{e}");

    // With --simplify the same melody is taken (and the missing model is the next error).
    let e = harmonize_error("short.musicxml", one_part(24, &[&short]).as_bytes(), &["--simplify"]);
    assert!(e.contains("no-model.onnx"), "{e}");
}

#[test]
fn harmonize_refuses_a_played_triplet_and_a_chord_in_a_midi_melody() {
    use midly::num::{u15, u28, u4, u7};
    use midly::{Format, Header, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
    let ev = |delta: u32, key: u8, vel: u8| TrackEvent {
        delta: u28::new(delta),
        kind: TrackEventKind::Midi { channel: u4::new(0), message: MidiMessage::NoteOn { key: u7::new(key), vel: u7::new(vel) } },
    };
    let end = TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(midly::MetaMessage::EndOfTrack) };
    let encode = |track: Vec<TrackEvent<'static>>| {
        let smf = Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(480))), tracks: vec![track] };
        let mut out = Vec::new();
        smf.write_std(&mut out).unwrap();
        out
    };
    // Quarter, quarter, then a triplet of eighths on beat 3 (160 ticks each), a quarter.
    let mut track = vec![ev(0, 72, 80), ev(480, 72, 0), ev(0, 74, 80), ev(480, 74, 0)];
    for key in [76, 74, 72] {
        track.extend([ev(0, key, 80), ev(160, key, 0)]);
    }
    track.extend([ev(0, 72, 80), ev(480, 72, 0), end]);
    let e = harmonize_error("tune.mid", &encode(track), &[]);
    assert!(e.contains("tune.mid: bar 1, beat 3 has a note of a tuplet (and 1 more place)"), "{e}");

    // A played (slightly early) melody with a two-note chord on beat 2.
    let track = vec![ev(0, 72, 80), ev(477, 72, 0), ev(0, 74, 80), ev(0, 67, 80), ev(480, 74, 0), ev(0, 67, 0), end];
    let e = harmonize_error("chord.mid", &encode(track), &[]);
    assert!(e.contains("bar 1, beat 2 has a chord"), "{e}");
}

#[test]
fn harmonize_keeps_the_melody_file_and_says_what_a_folder_or_broken_file_is() {
    let dir = tempfile::tempdir().unwrap();
    let tune = dir.path().join("tune.musicxml");
    let text = melody_xml(&[&[(72, 2), (71, 2)]]);
    std::fs::write(&tune, &text).unwrap();
    for flag in ["-o", "--musicxml"] {
        let mut argv = vec!["harmonize", "--quiet", "--melody", tune.to_str().unwrap(), flag, tune.to_str().unwrap()];
        if flag != "-o" {
            argv.extend(["-o", "x.mid"]);
        }
        let args = Harm::try_parse_from(argv).unwrap().args;
        let e = format!("{:#}", compose::harmonize_with(&mut engine(), &args).unwrap_err());
        assert!(e.contains("is the melody file") && e.contains("overwrite"), "{flag}: {e}");
    }
    // The same file by another name (`dir/./tune.musicxml`) is caught too.
    let other = dir.path().join(".").join("tune.musicxml");
    let e = format!("{:#}", compose::harmonize_with(&mut engine(), &harm_args(&tune, &other, &[])).unwrap_err());
    assert!(e.contains("is the melody file"), "{e}");
    assert_eq!(std::fs::read_to_string(&tune).unwrap(), text);

    let folder = dir.path().join("tunes.mid");
    std::fs::create_dir(&folder).unwrap();
    let e = format!("{:#}", compose::harmonize_with(&mut engine(), &harm_args(&folder, &dir.path().join("h.mid"), &[])).unwrap_err());
    assert!(e.contains("tunes.mid") && e.contains("is a folder"), "{e}");

    // A MIDI file cut short, at every length past its header.
    let frames: Vec<kantor_core::Frame> = (0..16)
        .map(|i| kantor_core::Frame {
            tokens: if i % 4 == 0 { [P(72), Token::Rest, Token::Rest, Token::Rest] } else { [Token::Hold; 4] },
            meta: kantor_core::FrameMeta { position_in_bar: i as u8, ..Default::default() },
        })
        .collect();
    let smf = kantor_host::midi::smf_bytes(&frames, kantor_core::TimeSignature::COMMON, &Default::default()).unwrap();
    for cut in [10, 14, 20, smf.len() / 2, smf.len() - 1] {
        let e = harmonize_error("cut.mid", &smf[..cut], &[]);
        assert!(e.contains("cut.mid") && e.contains("truncated or corrupt"), "cut at {cut}: {e}");
    }
}

#[test]
fn harmonize_ends_with_the_melody_under_a_fermata() {
    let dir = tempfile::tempdir().unwrap();
    let tune = dir.path().join("tune.musicxml");
    // Two bars; the melody's last note is a half note followed by a half rest, and the
    // file marks a fermata on its first note only.
    let mut xml = melody_xml(&[&[(72, 1), (71, 1), (69, 1), (67, 1), (72, 2), (0, 2)]]);
    xml = xml.replacen("<duration>1</duration></note>", "<duration>1</duration><notations><fermata/></notations></note>", 1);
    std::fs::write(&tune, xml).unwrap();
    let out = dir.path().join("h.mid");
    let xml_out = dir.path().join("h.musicxml");
    for seed in ["1", "2", "3"] {
        let args = harm_args(&tune, &out, &["--seed", seed, "--musicxml", xml_out.to_str().unwrap()]);
        let done = compose::harmonize_with(&mut engine(), &args).unwrap();
        let frames = &done[0].frames;
        assert!(frames[0].meta.fermata, "the file's own fermata is kept");
        assert!(frames[16..24].iter().all(|f| f.meta.fermata), "the final note has a fermata");
        // Nothing sounds after the melody's final note.
        for f in &frames[24..] {
            assert!(f.tokens.iter().all(|t| t.pitch().is_none()), "{:?}", f.tokens);
        }
        let parsed = kantor_host::corpus::read_musicxml(&xml_out).unwrap();
        for part in &parsed.parts {
            assert_eq!(part.tokens[24], Token::Rest);
            assert!(part.tokens[25..].iter().all(|t| *t == Token::Hold));
        }
    }
}

#[test]
fn a_silent_result_is_an_error_and_writes_nothing() {
    // A network whose only chord is silence: whatever the settings, nothing is sung.
    static SILENCE: [([Token; 4], f32); 1] = [([Token::Rest; 4], 1.0)];
    let settings = SamplerSettings { steps_per_level: 4, ..SamplerSettings::ncsn(NoiseSchedule::new(3.0, 0.01, 4)) };
    let mut quiet = Engine::from_net(ChordMixture { chords: &SILENCE }, settings, "silence");
    let dir = tempfile::tempdir().unwrap();
    let err = compose::generate_with(&mut quiet, &gen_args(dir.path(), &["--seed", "1"])).unwrap_err();
    let e = format!("{err:#}");
    assert!(e.contains("silent soprano") && e.contains("seed 1") && e.contains("nothing was written"), "{e}");
    assert!(!dir.path().join("c.mid").exists());
    // The same settings with a network that sings write a file.
    compose::generate_with(&mut engine(), &gen_args(dir.path(), &["--seed", "1"])).unwrap();
    assert!(dir.path().join("c.mid").exists());
}

/// The key and mode a MIDI file of Kantor's states at its start.
fn key_of_file(path: &Path) -> kantor_core::Key {
    let midi = kantor_host::midi::read_smf(path).unwrap();
    midi.meta[0].home()
}

#[test]
fn without_key_each_seed_draws_its_own_key_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = engine();
    let mut seen = std::collections::HashSet::new();
    for seed in 1..=12u64 {
        let args = gen_args(dir.path(), &["--seed", &seed.to_string()]);
        compose::generate_with(&mut e, &args).unwrap();
        let key = key_of_file(&dir.path().join("c.mid"));
        assert_eq!(key, kantor_core::Key::drawn(seed), "seed {seed}");
        seen.insert(key);
    }
    assert!(seen.len() >= 4, "twelve seeds drew only {seen:?}");
    assert!(seen.iter().any(|k| k.mode == kantor_core::Mode::Minor) && seen.iter().any(|k| k.mode == kantor_core::Mode::Major), "{seen:?}");
}

#[test]
fn an_asked_minor_key_is_written_with_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("c.musicxml");
    for (asked, tonic, fifths) in [("F#m", 6, 3), ("Am", 9, 0), ("Eb", 3, -3)] {
        let args = gen_args(dir.path(), &["--seed", "3", "--key", asked, "--musicxml", xml.to_str().unwrap()]);
        compose::generate_with(&mut engine(), &args).unwrap();
        let key = key_of_file(&dir.path().join("c.mid"));
        assert_eq!((key.tonic, key.signature().fifths), (tonic, fifths), "{asked}");
        let minor = asked.ends_with('m');
        assert_eq!(key.mode == kantor_core::Mode::Minor, minor, "{asked}");
        let text = std::fs::read_to_string(&xml).unwrap();
        let mode = if minor { "minor" } else { "major" };
        assert!(text.contains(&format!("<key><fifths>{fifths}</fifths><mode>{mode}</mode></key>")), "{asked}");
    }
    let refused = Gen::try_parse_from(["generate", "--key", "E#"]).err().unwrap().to_string();
    assert!(refused.contains("--key F"), "{refused}");
}

#[test]
fn harmonize_finds_the_melody_key_and_mode_or_takes_the_asked_one() {
    let dir = tempfile::tempdir().unwrap();
    let tune = dir.path().join("tune.musicxml");
    // A minor, with its raised seventh, ending on the tonic (no key signature).
    let a_minor: &[(u8, u32)] = &[(69, 1), (71, 1), (72, 1), (71, 1), (69, 1), (68, 1), (69, 2), (72, 1), (71, 1), (68, 1), (69, 1), (69, 4)];
    std::fs::write(&tune, melody_xml(&[a_minor])).unwrap();
    let out = dir.path().join("h.mid");
    let done = compose::harmonize_with(&mut engine(), &harm_args(&tune, &out, &["--seed", "3"])).unwrap();
    let want = kantor_core::Key { tonic: 9, mode: kantor_core::Mode::Minor };
    assert!(done[0].frames.iter().all(|f| f.meta.home() == want));
    assert_eq!(key_of_file(&out), want);
    let done = compose::harmonize_with(&mut engine(), &harm_args(&tune, &out, &["--seed", "3", "--key", "C"])).unwrap();
    assert!(done[0].frames.iter().all(|f| f.meta.home() == kantor_core::Key::C_MAJOR));
}
