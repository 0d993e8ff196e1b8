//! Composing with the sampler: `kantor generate` and `kantor harmonize`.
//!
//! Both run the device core's annealed Langevin sampler ([`kantor_core::sampler`]) over a
//! score network loaded by [`Engine`]; `harmonize` clamps the soprano to a given melody
//! (inpainting). Output: a Standard MIDI File, optionally MusicXML and a piano-roll PNG.
//!
//! Without `--model` the shipped model built into the binary composes, so both commands
//! work in any folder. Every numeric option has a range that `--help` states and the
//! command line enforces (NaN and infinities included), and a result with a silent voice
//! is an error rather than a file. `harmonize` keeps the melody note for note or refuses
//! it with the bar and beat of what the 16th grid cannot hold (`--simplify` takes it
//! anyway and counts the changes); it never writes over the melody file.

mod chain;
mod engine;
pub mod melody;
pub mod musicxml;
mod options;
mod output;

pub use chain::{compose_frames, Composed};
pub use engine::{defaults_from, DynScoreNet, Engine, EngineKind};
pub use melody::{melody_from_bytes, read_melody, Melody};
pub use musicxml::{musicxml_string, write_musicxml};
pub use options::{check as check_settings, count_parser, flag_help, parse_key, setting_keys, parse_quarters, parse_seed, parse_time, SamplerArgs, Sixteenths};
pub use output::{numbered, Outputs};

use anyhow::{bail, Context, Result};
use kantor_core::sampler::{clamp_melody, Clamp, PiecePlan, PiecePlanError, SamplerSettings, FREE};
use kantor_core::{FrameMeta, Key, TimeSignature, Token};
use crate::ranges::within;
use std::path::PathBuf;

/// Options both commands share: the model and how to sample and play.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// The score network to compose with: an ONNX model from `kantor export-onnx` (f32
    /// engine) or a .kq8 blob from `kantor quantize` (int8 engine). Default: the shipped
    /// model built into this binary (models/default/model.onnx, or model.kq8 with --engine
    /// int8), so no file is needed.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Which implementation runs the network: f32 (ONNX through tract) or int8 (the
    /// quantised device engine).
    #[arg(long, value_enum, default_value_t = EngineKind::F32)]
    pub engine: EngineKind,
    /// Random seed, a whole number from 0 to 18446744073709551615; the same seed, model and
    /// settings give the same chorale. Default: from the clock (printed, so a result can be
    /// made again). With --count N the chorales use seeds SEED, SEED+1, … [range: 0 to
    /// 18446744073709551615].
    #[arg(long, value_parser = parse_seed, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Number of chorales; files are numbered (chorale-001.mid, …) [range: 1 to 10000].
    #[arg(long, allow_hyphen_values = true, default_value_t = 1, value_parser = within(1u32, 10_000))]
    pub count: u32,
    /// Tempo in quarter notes per minute (MIDI, MusicXML and WAV) [range: 10 to 400].
    #[arg(long, allow_hyphen_values = true, default_value_t = 80, value_parser = within(10u16, 400))]
    pub tempo: u16,
    /// Also write the score as MusicXML: four parts with their instruments, the tempo, and
    /// accidentals spelt from the key and the harmony (opens in MuseScore).
    #[arg(long, value_name = "FILE")]
    pub musicxml: Option<PathBuf>,
    /// Also draw a piano roll as PNG.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Also render the chorale as audio to a WAV file (44.1 kHz, 16-bit stereo), as long as
    /// the MIDI file with its fermatas: with --soundfont, else with a built-in organ.
    #[arg(long, value_name = "FILE")]
    pub wav: Option<PathBuf>,
    /// The SoundFont (.sf2) --wav renders with, e.g. FluidR3_GM.sf2 (Debian:
    /// fluid-soundfont-gm); the voices play General MIDI's church organ.
    #[arg(long, value_name = "FILE.sf2", requires = "wav")]
    pub soundfont: Option<PathBuf>,
    /// Don't show the progress bar and the settings line (the line per chorale stays, and
    /// so do notes on what changed the music, such as a melody moved an octave).
    #[arg(long)]
    pub quiet: bool,
    #[arg(long, allow_hyphen_values = true, help = flag_help("steps"), value_parser = count_parser("steps"))]
    pub steps: Option<usize>,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

impl ModelArgs {
    /// Loads the chosen model (the built-in one without `--model`) with the chosen engine.
    pub fn load_engine(&self) -> Result<Engine> {
        match &self.model {
            Some(path) => Engine::load(path, self.engine),
            None => Engine::builtin(self.engine),
        }
    }
}

/// Arguments of `kantor generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Output MIDI file.
    #[arg(short, long, default_value = "chorale.mid")]
    pub output: PathBuf,
    /// Length in bars (after the pickup) [range: 1 to 256].
    #[arg(long, allow_hyphen_values = true, default_value_t = 16, value_parser = within(1u32, MAX_BARS))]
    pub bars: u32,
    /// Time signature, e.g. 4/4, 3/4 or 3/2 (Bach's). Accepted: any whose bar is whole 16ths
    /// and at most six quarters: N/2 for N = 1–3, N/4 for N = 1–6, N/8 for N = 1–12, N/16
    /// for N = 1–24, or 1/1.
    #[arg(long, default_value = "4/4", value_parser = parse_time)]
    pub time: TimeSignature,
    /// Key: any of the 24, by name (C, G, Eb, F# … for major; Am, F#m, Bbm, "c minor" …
    /// for minor) or as a number of sharps (2) or flats (-3) for that signature's major
    /// key. Without it each piece's key and mode are drawn from its seed as Bach's
    /// chorales are distributed (printed beside the piece, so the same seed makes it
    /// again).
    #[arg(long, value_parser = parse_key, allow_hyphen_values = true)]
    pub key: Option<Key>,
    /// Pickup (upbeat) before the first bar, in quarter notes, in steps of a 16th (0.25):
    /// 1 for a quarter upbeat, 0.5 for an eighth; less than a bar (0 = none).
    #[arg(long, default_value = "0", value_name = "QUARTERS", value_parser = parse_quarters, allow_hyphen_values = true)]
    pub pickup: Sixteenths,
    /// A phrase ends with a fermata on the last beat of every this many bars (and of the
    /// final bar); 0 = only at the end [range: 0 to 256].
    #[arg(long, allow_hyphen_values = true, default_value_t = FERMATA_EVERY, value_parser = within(0u32, MAX_BARS))]
    pub fermata_every: u32,
    #[command(flatten)]
    pub common: ModelArgs,
}

/// Arguments of `kantor harmonize`.
#[derive(clap::Args, Debug)]
pub struct HarmonizeArgs {
    /// The melody: a MIDI file (one voice) or MusicXML (one part, one voice). It becomes
    /// the soprano, note for note; Kantor writes alto, tenor and bass, silent after the
    /// final note. A chord, a tuplet, or a note shorter than a 16th or off the 16th grid is
    /// refused with its bar and beat (see --simplify).
    #[arg(long)]
    pub melody: PathBuf,
    /// Output MIDI file.
    #[arg(short, long, default_value = "harmonized.mid")]
    pub output: PathBuf,
    /// The melody's key (Am, F#m, Eb …, or a number of sharps or flats for a major key),
    /// if the one found from it is not right. Without it: of the 24 keys, the one whose
    /// profile fits the melody's notes best, favouring the keys of its signature and a
    /// tonic where it ends (printed).
    #[arg(long, value_parser = parse_key, allow_hyphen_values = true)]
    pub key: Option<Key>,
    /// Transpose the melody by this many semitones (key signature included). Without it,
    /// a melody outside the soprano range (C4–G5, MIDI 60–79) is moved by whole octaves if
    /// that makes it fit; otherwise the error says which transpositions would [range: -36
    /// to 36].
    #[arg(long, allow_hyphen_values = true, value_parser = within(-36i32, 36))]
    pub transpose: Option<i32>,
    /// Take a melody the 16th-note grid cannot hold as written (chords, tuplets, notes
    /// shorter than a 16th or off the grid, grace notes) by simplifying it — top note of a
    /// chord, nearest 16ths — and print how many of each were changed. Without it such a
    /// melody is refused, naming the bar and beat.
    #[arg(long)]
    pub simplify: bool,
    /// For melodies without fermatas: mark a phrase end on the last beat of every this
    /// many bars (and on the final note); 0 = only on the final note. Fermatas in the file
    /// are used instead; the final note always gets one [range: 0 to 256].
    #[arg(long, allow_hyphen_values = true, default_value_t = FERMATA_EVERY, value_parser = within(0u32, MAX_BARS))]
    pub fermata_every: u32,
    #[command(flatten)]
    pub common: ModelArgs,
}

/// Bars between phrase ends: of a generated piece, and of a melody that marks none
/// (`--fermata-every`).
pub const FERMATA_EVERY: u32 = 2;

/// The plan of `kantor generate`'s piece.
fn plan_of(args: &GenerateArgs) -> Result<PiecePlan> {
    let plan = PiecePlan {
        bars: args.bars as usize,
        time: args.time,
        key: args.key.unwrap_or(Key::C_MAJOR),
        pickup: args.pickup.0,
        fermata_every: args.fermata_every as usize,
    };
    match plan.frames() {
        Ok(_) => Ok(plan),
        Err(PiecePlanError::PickupTooLong) => bail!(
            "--pickup: {} quarters is a whole bar or more in {}/{}; a pickup must be shorter than a bar",
            args.pickup.0 as f64 / kantor_core::meter::FRAMES_PER_QUARTER as f64,
            args.time.numerator,
            args.time.denominator
        ),
        Err(e) => bail!("cannot lay out the piece: {e}"),
    }
}

/// The seed to start from: the given one, or one from the clock.
pub(crate) fn first_seed(seed: Option<u64>) -> u64 {
    seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        t.as_secs() ^ (t.subsec_nanos() as u64) << 20
    })
}

/// `kantor generate`: composes `--count` chorales from scratch.
pub fn generate(args: GenerateArgs) -> Result<()> {
    // Every output is checked before the model is read.
    plan_of(&args)?;
    let outputs = Outputs::new(&args.output, &args.common, None)?;
    let mut engine = args.common.load_engine()?;
    generate_into(&mut engine, &args, &outputs).map(|_| ())
}

/// `kantor generate` with an engine already loaded; returns the chorales it wrote.
pub fn generate_with(engine: &mut Engine, args: &GenerateArgs) -> Result<Vec<Composed>> {
    let outputs = Outputs::new(&args.output, &args.common, None)?;
    generate_into(engine, args, &outputs)
}

fn generate_into(engine: &mut Engine, args: &GenerateArgs, outputs: &Outputs) -> Result<Vec<Composed>> {
    let plan = plan_of(args)?;
    let settings = args.common.sampler.apply(engine.defaults, args.common.steps)?;
    let metas: Vec<FrameMeta> = (0..plan.frames().map_err(|e| anyhow::anyhow!("cannot lay out the piece: {e}"))?)
        .map(|i| plan.meta(i).map_err(|e| anyhow::anyhow!("cannot lay out the piece: {e}")))
        .collect::<Result<_>>()?;
    let keys = match args.key {
        Some(_) => KeyChoice::AsPlanned,
        None => KeyChoice::FromSeed,
    };
    run_chains(engine, &settings, &args.common, outputs, &metas, &[], plan.time, keys, "chorale")
}

/// Where each chain's key comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyChoice {
    /// The key in the frames' metadata (asked for, or found in the melody).
    AsPlanned,
    /// Drawn from each chain's seed as Bach's chorales are distributed.
    FromSeed,
}

/// `kantor harmonize`: writes alto, tenor and bass under a melody.
pub fn harmonize(args: HarmonizeArgs) -> Result<()> {
    // The outputs are checked, then the melody read: a bad output or melody is reported
    // before the model is loaded.
    let outputs = Outputs::new(&args.output, &args.common, Some(&args.melody))?;
    let melody = prepare_melody(&args)?;
    let mut engine = args.common.load_engine()?;
    harmonize_melody(&mut engine, &args, &melody, &outputs).map(|_| ())
}

/// Most bars a piece may have, composed (`generate --bars`) or harmonised (a melody), after
/// its pickup.
pub const MAX_BARS: u32 = 256;

/// The melody of `args`, in the soprano range, with phrase ends. What changed it (an
/// octave's move, a simplification) is printed, `--quiet` or not: it changes the music.
fn prepare_melody(args: &HarmonizeArgs) -> Result<Melody> {
    melody_to_harmonize(&args.melody, args.simplify, args.transpose, args.fermata_every as usize, args.key)
}

/// Reads the melody in `path` as `kantor harmonize` takes it: at most [`MAX_BARS`] bars,
/// kept note for note (or simplified), brought into the soprano range (by `transpose`, or
/// by whole octaves), with phrase ends every `fermata_every` bars when the file marks none,
/// in `key` or the key and mode found from its notes. What changed it, and the key, is
/// printed.
pub fn melody_to_harmonize(path: &std::path::Path, simplify: bool, transpose: Option<i32>, fermata_every: usize, key: Option<Key>) -> Result<Melody> {
    let mut melody = read_melody(path)?;
    let (bars, _) = melody.bar_and_beat(melody.tokens.len() - 1);
    if bars > MAX_BARS as usize {
        bail!(
            "{} is {bars} bars long; Kantor harmonises at most {MAX_BARS} bars, as many as `generate --bars` composes: \
             cut the melody into parts and harmonise each",
            path.display()
        );
    }
    if let Some(changes) = melody.keep_or_simplify(path, simplify)? {
        eprintln!("note: {changes}");
    }
    let shift = melody.fit_soprano(transpose)?;
    if shift != 0 && transpose.is_none() {
        let octaves = shift.abs() / 12;
        let dir = if shift > 0 { "up" } else { "down" };
        eprintln!("note: the melody of {} was moved {dir} {octaves} octave{} into the soprano range", path.display(), if octaves == 1 { "" } else { "s" });
    }
    melody.end_with_its_last_bar();
    melody.ensure_fermatas(fermata_every);
    let signature = melody.meta.last().map(|m| m.key).unwrap_or_default();
    let (key, how) = match key {
        Some(key) => (key, "as asked"),
        None => (Key::of_melody(&melody.tokens, signature).unwrap_or(Key::C_MAJOR), "found from the melody; --key to choose another"),
    };
    crate::corpus::mode::apply_to_metas(melody.meta.iter_mut(), key);
    eprintln!("note: harmonising {} in {key} ({how})", path.display());
    Ok(melody)
}

/// `kantor harmonize` with an engine already loaded; returns the chorales it wrote.
pub fn harmonize_with(engine: &mut Engine, args: &HarmonizeArgs) -> Result<Vec<Composed>> {
    let outputs = Outputs::new(&args.output, &args.common, Some(&args.melody))?;
    let melody = prepare_melody(args)?;
    harmonize_melody(engine, args, &melody, &outputs)
}

/// Harmonises a prepared melody: the soprano is clamped to it note for note, and after its
/// final note every voice is silent.
fn harmonize_melody(engine: &mut Engine, args: &HarmonizeArgs, melody: &Melody, outputs: &Outputs) -> Result<Vec<Composed>> {
    let settings = args.common.sampler.apply(engine.defaults.harmonizing(), args.common.steps)?;
    let clamps = melody_clamps(&melody.tokens);
    run_chains(engine, &settings, &args.common, outputs, &melody.meta, &clamps, melody.time, KeyChoice::AsPlanned, "harmonisation")
}

/// What harmonising holds fixed: the soprano, note for note, and silence in every other
/// voice after the melody's final note ([`clamp_melody`]).
pub fn melody_clamps(soprano: &[Token]) -> Vec<Clamp> {
    let mut clamps = vec![FREE; soprano.len()];
    clamp_melody(&mut clamps, soprano);
    clamps
}

use kantor_core::chorale::silent_voice;

/// Samples `common.count` chains and writes each result.
#[allow(clippy::too_many_arguments)]
fn run_chains(
    engine: &mut Engine,
    settings: &SamplerSettings,
    common: &ModelArgs,
    outputs: &Outputs,
    metas: &[FrameMeta],
    clamps: &[kantor_core::sampler::Clamp],
    time: TimeSignature,
    keys: KeyChoice,
    what: &str,
) -> Result<Vec<Composed>> {
    let count = common.count as usize;
    let seed0 = first_seed(common.seed);
    let per_chain = settings.evaluations() as u64;
    if !common.quiet {
        eprintln!("{}; {} frames; {}; {per_chain} evaluations per {what}", engine.description, metas.len(), settings.text());
    }
    let bar = output::progress(count as u64 * per_chain, common.quiet);
    let mut done = Vec::with_capacity(count);
    for i in 0..count {
        let seed = seed0.wrapping_add(i as u64);
        bar.set_message(format!("{what} {}/{count}, seed {seed}", i + 1));
        let mut net = output::Counting { net: engine.net(), bar: &bar };
        let keyed: Vec<FrameMeta>;
        let metas = match keys {
            KeyChoice::AsPlanned => metas,
            KeyChoice::FromSeed => {
                let key = Key::drawn(seed);
                keyed = metas.iter().map(|m| FrameMeta { key: key.signature(), mode: key.mode, ..*m }).collect();
                &keyed
            }
        };
        let key = metas.last().map_or(Key::C_MAJOR, |m| m.home());
        let composed = compose_frames(&mut net, settings, seed, metas, clamps).with_context(|| format!("{what} with seed {seed} failed"))?;
        if let Some(voice) = silent_voice(&composed.frames) {
            bail!(
                "the {what} with seed {seed} came out with a silent {} ({}): these sampler settings do not make music, \
                 nothing was written (try the model's defaults)",
                voice.name(),
                settings.text()
            );
        }
        let written = outputs.write(i, count, &composed.frames, time, &format!("Kantor {what}, seed {seed}"))?;
        bar.suspend(|| println!("{}: seed {seed}, {key}, {} evaluations, {:.2} s", written.join(", "), composed.evaluations, composed.seconds));
        done.push(composed);
    }
    bar.finish_and_clear();
    Ok(done)
}
