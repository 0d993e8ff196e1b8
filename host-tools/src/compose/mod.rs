//! Composing with the sampler: `kantor generate` and `kantor harmonize`.
//!
//! Both run the device core's annealed Langevin sampler ([`kantor_core::sampler`]) over a
//! score network loaded by [`Engine`]; `harmonize` clamps the soprano to a given melody
//! (inpainting). Output: a Standard MIDI File, optionally MusicXML and a piano-roll PNG.

mod chain;
mod engine;
pub mod melody;
pub mod musicxml;
mod options;
mod output;

pub use chain::{compose_frames, Composed};
pub use engine::{defaults_from, DynScoreNet, Engine, EngineKind};
pub use melody::{read_melody, Melody};
pub use musicxml::{musicxml_string, write_musicxml};
pub use options::{parse_key, parse_time, ConstraintArg, InitArg, MethodArg, SamplerArgs};
pub use output::{numbered, Outputs};

use anyhow::{bail, Context, Result};
use kantor_core::sampler::{clamp_voice, PiecePlan, PlanError, SamplerSettings, FREE};
use kantor_core::{FrameMeta, KeySignature, TimeSignature, Voice};
use std::path::PathBuf;

/// Options both commands share: the model and how to sample and play.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// The score network to compose with: an ONNX model from `kantor export-onnx` (f32
    /// engine) or a .kq8 blob from `kantor quantize` (int8 engine). Default:
    /// models/default/model.onnx, or models/default/model.kq8 with --engine int8.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Which implementation runs the network: f32 (ONNX through tract) or int8 (the
    /// quantised device engine).
    #[arg(long, value_enum, default_value_t = EngineKind::F32)]
    pub engine: EngineKind,
    /// Random seed; the same seed, model and settings give the same chorale. Default: from
    /// the clock (printed, so a result can be made again). With --count N the chorales use
    /// seeds SEED, SEED+1, …
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of chorales; files are numbered (chorale-001.mid, …).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub count: u32,
    /// Tempo of the MIDI file in quarter notes per minute.
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u16).range(10..=400))]
    pub tempo: u16,
    /// Also write the score as MusicXML (four parts; opens in MuseScore).
    #[arg(long, value_name = "FILE")]
    pub musicxml: Option<PathBuf>,
    /// Also draw a piano roll as PNG.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Don't show the progress bar and the settings line (the line per chorale stays).
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

impl ModelArgs {
    /// Loads the chosen model with the chosen engine.
    pub fn load_engine(&self) -> Result<Engine> {
        let path = self.model.clone().unwrap_or_else(|| self.engine.default_model());
        Engine::load(&path, self.engine)
    }
}

/// Arguments of `kantor generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Output MIDI file.
    #[arg(short, long, default_value = "chorale.mid")]
    pub output: PathBuf,
    /// Length in bars (after the pickup).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub bars: u32,
    /// Time signature: 4/4, 3/4 or 3/2.
    #[arg(long, default_value = "4/4", value_parser = parse_time)]
    pub time: TimeSignature,
    /// Key signature: a name (C, G, Eb, F#m …; minor keys use their relative major's
    /// signature) or a number of sharps (2) or flats (-3).
    #[arg(long, default_value = "C", value_parser = parse_key, allow_hyphen_values = true)]
    pub key: KeySignature,
    /// Pickup before the first bar, in quarter notes (e.g. 1 for an upbeat).
    #[arg(long, default_value_t = 0)]
    pub pickup: u32,
    /// A phrase ends with a fermata on the last beat of every this many bars (and of the
    /// final bar); 0 = only at the end.
    #[arg(long, default_value_t = 2)]
    pub fermata_every: u32,
    #[command(flatten)]
    pub common: ModelArgs,
}

/// Arguments of `kantor harmonize`.
#[derive(clap::Args, Debug)]
pub struct HarmonizeArgs {
    /// The melody: a MIDI file (one voice) or MusicXML (one part, one voice). It becomes
    /// the soprano, note for note; Kantor writes alto, tenor and bass.
    #[arg(long)]
    pub melody: PathBuf,
    /// Output MIDI file.
    #[arg(short, long, default_value = "harmonized.mid")]
    pub output: PathBuf,
    /// Transpose the melody by this many semitones (key signature included). Without it,
    /// a melody outside the soprano range (C4–G5, MIDI 60–79) is moved by whole octaves if
    /// that makes it fit; otherwise the error says which transpositions would.
    #[arg(long, allow_hyphen_values = true, value_parser = clap::value_parser!(i32).range(-36..=36))]
    pub transpose: Option<i32>,
    /// For melodies without fermatas: mark a phrase end on the last beat of every this
    /// many bars (and on the final note). Fermatas in the file are always used instead.
    #[arg(long, default_value_t = 2)]
    pub fermata_every: u32,
    #[command(flatten)]
    pub common: ModelArgs,
}

/// The plan of `kantor generate`'s piece.
fn plan_of(args: &GenerateArgs) -> Result<PiecePlan> {
    let plan = PiecePlan {
        bars: args.bars as usize,
        time: args.time,
        key: args.key,
        pickup: args.pickup as usize * kantor_core::meter::FRAMES_PER_QUARTER as usize,
        fermata_every: args.fermata_every as usize,
    };
    match plan.frames() {
        Ok(_) => Ok(plan),
        Err(PlanError::PickupTooLong) => bail!("a pickup of {} quarters is a whole bar or more in {}/{}", args.pickup, args.time.numerator, args.time.denominator),
        Err(e) => bail!("cannot lay out the piece: {e}"),
    }
}

/// The seed to start from: the given one, or one from the clock.
fn first_seed(seed: Option<u64>) -> u64 {
    seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        t.as_secs() ^ (t.subsec_nanos() as u64) << 20
    })
}

/// `kantor generate`: composes `--count` chorales from scratch.
pub fn generate(args: GenerateArgs) -> Result<()> {
    plan_of(&args)?;
    let mut engine = args.common.load_engine()?;
    generate_with(&mut engine, &args).map(|_| ())
}

/// `kantor generate` with an engine already loaded; returns the chorales it wrote.
pub fn generate_with(engine: &mut Engine, args: &GenerateArgs) -> Result<Vec<Composed>> {
    let plan = plan_of(args)?;
    let settings = args.common.sampler.apply(engine.defaults)?;
    let metas: Vec<FrameMeta> = (0..plan.frames().map_err(|e| anyhow::anyhow!("cannot lay out the piece: {e}"))?)
        .map(|i| plan.meta(i).map_err(|e| anyhow::anyhow!("cannot lay out the piece: {e}")))
        .collect::<Result<_>>()?;
    let outputs = Outputs::new(&args.output, &args.common, plan.time);
    run_chains(engine, &settings, &args.common, &outputs, &metas, &[], "chorale")
}

/// `kantor harmonize`: writes alto, tenor and bass under a melody.
pub fn harmonize(args: HarmonizeArgs) -> Result<()> {
    // Read the melody first: a bad melody is reported before the model is loaded.
    prepare_melody(&args)?;
    let mut engine = args.common.load_engine()?;
    harmonize_with(&mut engine, &args).map(|_| ())
}

/// The melody of `args`, in the soprano range, with phrase ends.
fn prepare_melody(args: &HarmonizeArgs) -> Result<Melody> {
    let mut melody = read_melody(&args.melody)?;
    let shift = melody.fit_soprano(args.transpose)?;
    if shift != 0 && args.transpose.is_none() && !args.common.quiet {
        let octaves = shift.abs() / 12;
        let dir = if shift > 0 { "up" } else { "down" };
        eprintln!("note: the melody was moved {dir} {octaves} octave{} into the soprano range", if octaves == 1 { "" } else { "s" });
    }
    melody.ensure_fermatas(args.fermata_every as usize);
    Ok(melody)
}

/// `kantor harmonize` with an engine already loaded; returns the chorales it wrote.
pub fn harmonize_with(engine: &mut Engine, args: &HarmonizeArgs) -> Result<Vec<Composed>> {
    let melody = prepare_melody(args)?;
    let settings = args.common.sampler.apply(engine.defaults)?;
    let mut clamps = vec![FREE; melody.tokens.len()];
    clamp_voice(&mut clamps, Voice::Soprano, &melody.tokens);
    let outputs = Outputs::new(&args.output, &args.common, melody.time);
    run_chains(engine, &settings, &args.common, &outputs, &melody.meta, &clamps, "harmonisation")
}

/// Samples `common.count` chains and writes each result.
fn run_chains(
    engine: &mut Engine,
    settings: &SamplerSettings,
    common: &ModelArgs,
    outputs: &Outputs,
    metas: &[FrameMeta],
    clamps: &[kantor_core::sampler::Clamp],
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
        let composed = compose_frames(&mut net, settings, seed, metas, clamps).with_context(|| format!("{what} with seed {seed} failed"))?;
        let written = outputs.write(i, count, &composed.frames, &format!("Kantor {what}, seed {seed}"))?;
        bar.suspend(|| println!("{}: seed {seed}, {} evaluations, {:.2} s", written.join(", "), composed.evaluations, composed.seconds));
        done.push(composed);
    }
    bar.finish_and_clear();
    Ok(done)
}
