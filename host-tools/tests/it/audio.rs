//! `--wav`: a chorale rendered to audio lasts exactly as long as its MIDI file (fermatas
//! held as the file's slower tempo holds them) and is not silent, with the built-in organ
//! and with a SoundFont where one is installed.

use std::path::Path;
use std::process::{Command, Output};

fn kantor(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kantor")).args(args).current_dir(dir).output().expect("run kantor")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The MIDI file's length in seconds through its tempo map, and its length in seconds at
/// its first tempo alone (as if no fermata slowed it down).
fn midi_seconds(path: &Path) -> (f64, f64) {
    let bytes = std::fs::read(path).unwrap();
    let smf = midly::Smf::parse(&bytes).unwrap();
    let midly::Timing::Metrical(tpq) = smf.header.timing else { panic!("not metrical") };
    let tpq = tpq.as_int() as f64;
    let mut tempos: Vec<(u64, f64)> = Vec::new();
    let mut end = 0u64;
    for track in &smf.tracks {
        let mut tick = 0u64;
        for e in track {
            tick += e.delta.as_int() as u64;
            if let midly::TrackEventKind::Meta(midly::MetaMessage::Tempo(t)) = e.kind {
                tempos.push((tick, t.as_int() as f64));
            }
        }
        end = end.max(tick);
    }
    tempos.sort_by_key(|t| t.0);
    assert!(!tempos.is_empty(), "the MIDI file states no tempo");
    let mut seconds = 0.0;
    for (i, &(at, micros)) in tempos.iter().enumerate() {
        let until = tempos.get(i + 1).map_or(end, |t| t.0).min(end);
        seconds += until.saturating_sub(at) as f64 / tpq * micros / 1e6;
    }
    (seconds, end as f64 / tpq * tempos[0].1 / 1e6)
}

/// The WAV file's length in seconds and its loudness (RMS, full scale 1), per channel.
fn wav_seconds_and_rms(path: &Path) -> (f64, [f64; 2]) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (2, 16));
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let frames = samples.len() / 2;
    let rms = |ch: usize| (samples.iter().skip(ch).step_by(2).map(|&s| (s as f64 / 32768.0).powi(2)).sum::<f64>() / frames as f64).sqrt();
    (frames as f64 / spec.sample_rate as f64, [rms(0), rms(1)])
}

/// Runs `kantor ARGS -o c.mid --wav c.wav` in `dir` and checks that WAV and MIDI agree to
/// the sample, fermatas included, and that the WAV is heard.
fn renders_as_long_as_the_midi(dir: &Path, args: &[&str]) {
    let (midi, wav) = ("c.mid", "c.wav");
    let out = kantor(dir, &[args, &["-o", midi, "--wav", wav][..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let (midi_s, unstretched) = midi_seconds(&dir.join(midi));
    assert!(midi_s > unstretched + 0.5, "the piece has fermatas: {midi_s} s vs {unstretched} s at one tempo");
    let (wav_s, rms) = wav_seconds_and_rms(&dir.join(wav));
    assert!((wav_s - midi_s).abs() <= 1.5 / 44_100.0, "the WAV lasts {wav_s} s, the MIDI {midi_s} s");
    assert!(rms.iter().all(|&r| r > 0.02), "the WAV is (nearly) silent: RMS {rms:?}");
}

#[test]
fn generate_renders_the_built_in_organ_as_long_as_the_midi() {
    let dir = tempfile::tempdir().unwrap();
    renders_as_long_as_the_midi(dir.path(), &["generate", "--quiet", "--bars", "3", "--fermata-every", "1", "--seed", "5"]);
}

#[test]
fn harmonize_renders_too() {
    let dir = tempfile::tempdir().unwrap();
    let bar = |notes: &[(&str, u32)]| -> String {
        notes
            .iter()
            .map(|(step, quarters)| format!("<note><pitch><step>{step}</step><octave>5</octave></pitch><duration>{quarters}</duration></note>"))
            .collect()
    };
    let xml = format!(
        "<?xml version=\"1.0\"?><score-partwise><part-list><score-part id=\"P1\"><part-name>Tune</part-name></score-part></part-list>\
         <part id=\"P1\"><measure number=\"1\"><attributes><divisions>1</divisions><key><fifths>0</fifths></key>\
         <time><beats>4</beats><beat-type>4</beat-type></time></attributes>{}</measure><measure number=\"2\">{}</measure></part></score-partwise>",
        bar(&[("C", 1), ("D", 1), ("E", 2)]),
        bar(&[("G", 1), ("F", 1), ("E", 2)])
    );
    std::fs::write(dir.path().join("tune.musicxml"), xml).unwrap();
    renders_as_long_as_the_midi(dir.path(), &["harmonize", "--quiet", "--seed", "2", "--fermata-every", "1", "--melody", "tune.musicxml"]);
}

/// SoundFonts that Debian packages install (timgm6mb-soundfont, fluid-soundfont-gm).
const SOUNDFONTS: [&str; 2] = ["/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/sounds/sf2/FluidR3_GM.sf2"];

#[test]
fn a_soundfont_renders_as_long_as_the_midi() {
    let Some(font) = SOUNDFONTS.iter().find(|f| Path::new(f).exists()) else {
        eprintln!("skipped: no SoundFont installed (apt-get install timgm6mb-soundfont)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    renders_as_long_as_the_midi(dir.path(), &["generate", "--quiet", "--bars", "3", "--fermata-every", "1", "--seed", "6", "--soundfont", font]);
}

#[test]
fn a_file_that_is_no_soundfont_is_named_before_composing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fake.sf2"), b"RIFF\x04\x00\x00\x00WAVE").unwrap();
    let out = kantor(dir.path(), &["generate", "--quiet", "--bars", "1", "-o", "c.mid", "--wav", "c.wav", "--soundfont", "fake.sf2"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("fake.sf2 is not a SoundFont"), "{}", stderr(&out));
    assert!(!dir.path().join("c.mid").exists() && !dir.path().join("c.wav").exists());
    let out = kantor(dir.path(), &["generate", "--quiet", "--bars", "1", "-o", "c.mid", "--soundfont", "fake.sf2"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--wav"), "{}", stderr(&out));
}
