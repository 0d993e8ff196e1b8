//! Tuning the sampler: composes chorales with several sampler settings on the plans of the
//! held-out chorales (chorale i: seed 1 + i, plan of test chorale i, as `kantor eval
//! --generate` does) and prints one row of the goal metrics per setting, including the
//! pooled pitch-class distance that `kantor eval` does not show.
//!
//! ```text
//! cargo run --release -p kantor --example sampling_sweep -- MODEL N "NAME: OPTIONS" …
//! cargo run --release -p kantor --example sampling_sweep -- MODEL N probe
//! ```
//!
//! OPTIONS are the sampler options of `kantor generate` (`--levels 24 --steps 4 …`);
//! an empty list uses the model's defaults. Environment variables:
//! - `CLAMP=sat` holds the listed voices (s, a, t, b) to the held-out chorale's notes and
//!   composes only the others: does the network know how to complete a chord?
//! - `SAMPLER_TEXT="k=v …"` replaces the model's own sampler settings (as `kantor.sampler`)
//!   before OPTIONS apply.
//! - `RHYTHM="OPTIONS"` composes a first chain with OPTIONS and holds its held notes
//!   (hold tokens) while composing; `RHYTHM=bach` holds the held-out chorale's.
//! - `CANDIDATES=K` composes K chorales per plan and keeps the one the network judges best
//!   (lowest denoising error at σ = `JUDGE`, default 0.3); the cost includes every chain.
//!
//! `probe` denoises held-out chorales in one step at several σ and measures the argmax of
//! the denoised estimate (`IDENTITY=1`: of the noisy input itself; `SHIFTKEY=k`: with the
//! key signature channels rotated by k semitones).

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use kantor_core::onehot::{decode_voices, encode_meta, encode_voices, META_CHANNELS, META_KEY, VOICE_CHANNELS};
use kantor_core::sampler::{refine, Clamp, Gaussian, SampleReport, Workspace, FREE};
use kantor_core::{Frame, FrameMeta, Token};
use kantor_host::compose::{compose_frames, Composed, Engine, EngineKind, SamplerArgs};
use kantor_host::dataset::{Dataset, Split};
use kantor_host::eval::copying::TrainingIndex;
use kantor_host::eval::input::dataset_pieces;
use kantor_host::eval::metrics::{measure, pooled_histograms, Cost, Piece, PieceMetrics};
use kantor_host::eval::statistics::Histograms;
use kantor_core::sampler::SamplerSettings;
use std::path::Path;

/// The sampler options of one setting.
#[derive(Parser)]
struct Spec {
    /// Langevin steps per noise level (default: the model's).
    #[arg(long)]
    steps: Option<usize>,
    #[command(flatten)]
    sampler: SamplerArgs,
}

/// Mean of a metric over pieces (pieces without it are skipped).
fn mean(ms: &[PieceMetrics], f: impl Fn(&PieceMetrics) -> Option<f64>) -> f64 {
    let v: Vec<f64> = ms.iter().filter_map(f).collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Clamps holding `voices` (letters s, a, t, b) to `plan`'s notes; empty = none.
fn clamps_of(plan: &Piece, voices: &str) -> Vec<Clamp> {
    if voices.is_empty() {
        return vec![];
    }
    plan.frames
        .iter()
        .map(|f| {
            let mut c = FREE;
            for (v, letter) in "satb".chars().enumerate() {
                if voices.contains(letter) {
                    c[v] = Some(f.tokens[v]);
                }
            }
            c
        })
        .collect()
}

/// The network's judgement of a composed chorale: its total denoising error at `sigma`.
fn judge(engine: &mut Engine, c: &Composed, sigma: f32) -> Result<(f32, usize)> {
    let frames = c.frames.len();
    let tokens: Vec<[Token; 4]> = c.frames.iter().map(|f| f.tokens).collect();
    let mut buffer = vec![0.0f32; Workspace::floats_needed(frames)];
    let mut ws = Workspace::split(&mut buffer, frames).ok_or_else(|| anyhow!("workspace"))?;
    encode_meta(c.frames.iter().map(|f| f.meta), ws.meta);
    let mut report = SampleReport::default();
    let mut noise = Gaussian::new(7);
    let mut net = engine.net();
    let err = refine::judge(&mut net, &mut ws, &tokens, sigma, &mut noise, &mut report).map_err(|e| anyhow!("{e}"))?;
    Ok((err, report.evaluations))
}

/// Composes `candidates` chorales on `metas` and keeps the one judged best (all of them
/// counted in the cost); one candidate is a plain chain.
fn compose_best(engine: &mut Engine, settings: &SamplerSettings, seed: u64, metas: &[FrameMeta], clamps: &[Clamp], candidates: usize) -> Result<Composed> {
    let (mut best, mut best_error) = (None::<Composed>, f32::INFINITY);
    let (mut evaluations, mut seconds) = (0, 0.0);
    for k in 0..candidates.max(1) {
        let mut net = engine.net();
        let c = compose_frames(&mut net, settings, seed + 100_000 * k as u64, metas, clamps)?;
        evaluations += c.evaluations;
        seconds += c.seconds;
        if candidates <= 1 {
            return Ok(c);
        }
        let (error, cost) = judge(engine, &c, env("JUDGE", 0.3))?;
        evaluations += cost;
        if error < best_error {
            best_error = error;
            best = Some(c);
        }
    }
    let mut best = best.ok_or_else(|| anyhow!("no candidate"))?;
    best.evaluations = evaluations;
    best.seconds = seconds;
    Ok(best)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        bail!("usage: sampling_sweep MODEL N \"NAME: OPTIONS\" … | sampling_sweep MODEL N probe");
    }
    let model = Path::new(&args[1]);
    let n: usize = args[2].parse().context("N must be a number of chorales")?;
    let dataset = Dataset::load(Path::new("models/bach-chorales.kds"))?;
    let reference = dataset_pieces(&dataset, Split::Test);
    let training = TrainingIndex::build(dataset.split(Split::Train).map(|c| c.frames.as_slice()));
    let ref_metrics: Vec<PieceMetrics> = reference.iter().map(|p| measure(p, None)).collect();
    let pool = pooled_histograms(&ref_metrics);
    let mut engine = Engine::load(model, EngineKind::F32)?;
    if let Ok(text) = std::env::var("SAMPLER_TEXT") {
        engine.defaults.apply_text(&text).map_err(|e| anyhow!("SAMPLER_TEXT: {e:?}"))?;
    }
    if args[3] == "probe" {
        return probe(&mut engine, &reference, &pool, n);
    }
    println!(
        "{:34} {:>5} {:>5} | {:>5} {:>5} {:>5} {:>5} {:>5} | {:>5} {:>5} | {:>5} {:>5} {:>5} {:>5} | {:>5} {:>5} {:>5} | {:>4} {:>4}",
        "setting", "evals", "s/ch", "cross", "p5", "p8", "spcU", "spcB", "key", "chord", "pcT", "pcP", "itvT", "durT", "n/bar", "cad", "rest", "cpMd", "cpMx"
    );
    let clamp_voices = std::env::var("CLAMP").unwrap_or_default();
    let candidates: usize = env("CANDIDATES", 1);
    let rhythm = std::env::var("RHYTHM").ok();
    let rhythm_settings = match rhythm.as_deref() {
        Some(r) if r != "bach" => {
            let parsed = Spec::try_parse_from(std::iter::once("sampler").chain(r.split_whitespace()))?;
            Some(parsed.sampler.apply(engine.defaults, parsed.steps)?)
        }
        _ => None,
    };
    for spec in &args[3..] {
        let (name, flags) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
        let parsed = Spec::try_parse_from(std::iter::once("sampler").chain(flags.split_whitespace()))?;
        let settings = parsed.sampler.apply(engine.defaults, parsed.steps)?;
        let mut ms = Vec::new();
        let (mut evals, mut secs) = (0usize, 0.0f64);
        for i in 0..n {
            let plan = &reference[i % reference.len()];
            let metas: Vec<FrameMeta> = plan.frames.iter().map(|f| f.meta).collect();
            let mut clamps = clamps_of(plan, &clamp_voices);
            let mut extra = 0;
            if let Some(r) = rhythm.as_deref() {
                let holds: Vec<[Token; 4]> = if r == "bach" {
                    plan.frames.iter().map(|f| f.tokens).collect()
                } else {
                    let mut net = engine.net();
                    let a = compose_frames(&mut net, rhythm_settings.as_ref().unwrap(), 5000 + i as u64, &metas, &clamps)?;
                    extra = a.evaluations;
                    a.frames.iter().map(|f| f.tokens).collect()
                };
                if clamps.is_empty() {
                    clamps = vec![FREE; metas.len()];
                }
                for (c, t) in clamps.iter_mut().zip(&holds) {
                    for v in 0..4 {
                        if t[v] == Token::Hold && c[v].is_none() {
                            c[v] = Some(Token::Hold);
                        }
                    }
                }
            }
            let mut c = compose_best(&mut engine, &settings, 1 + i as u64, &metas, &clamps, candidates)?;
            c.evaluations += extra;
            evals += c.evaluations;
            secs += c.seconds;
            let cost = Cost { evaluations: c.evaluations as u64, seconds: c.seconds };
            let piece = Piece { name: format!("{i}"), time: plan.time, frames: c.frames, cost: Some(cost) };
            let mut m = measure(&piece, Some(&training));
            m.compare(&pool);
            ms.push(m);
        }
        let pooled = pooled_histograms(&ms).distance(&pool);
        let mut copies: Vec<usize> = ms.iter().map(|m| m.copying.map_or(0, |c| c.longest_run_frames)).collect();
        copies.sort_unstable();
        let cadences = mean(&ms, |m| {
            let c = &m.harmony.cadences;
            Some(100.0 * c.iter().filter(|x| format!("{x:?}") != "Other").count() as f64 / c.len().max(1) as f64)
        });
        println!(
            "{:34} {:>5} {:>5.2} | {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>5.2} | {:>5.1} {:>5.1} | {:>5.3} {:>5.3} {:>5.3} {:>5.3} | {:>5.1} {:>5.1} {:>5.2} | {:>4} {:>4}",
            name,
            evals / n,
            secs / n as f64,
            mean(&ms, |m| m.voice_leading.crossing_pct),
            mean(&ms, |m| m.voice_leading.parallel_fifths_per_100),
            mean(&ms, |m| m.voice_leading.parallel_octaves_per_100),
            mean(&ms, |m| m.voice_leading.spacing_upper_pct),
            mean(&ms, |m| m.voice_leading.spacing_bass_pct),
            mean(&ms, |m| m.harmony.in_key_pct),
            mean(&ms, |m| m.harmony.chordal_pct),
            mean(&ms, |m| m.distances.and_then(|d| d.pitch_class)),
            pooled.pitch_class.unwrap_or(f64::NAN),
            mean(&ms, |m| m.distances.and_then(|d| d.interval)),
            mean(&ms, |m| m.distances.and_then(|d| d.duration)),
            mean(&ms, |m| m.structure.notes_per_bar),
            cadences,
            mean(&ms, |m| m.structure.rest_pct),
            copies[copies.len() / 2],
            copies[copies.len() - 1],
        );
    }
    Ok(())
}

/// Denoises held-out chorales in one step at several σ: token accuracy and the harmony of
/// the argmax of D(x) = x + σ²·s(x, σ) (or of x itself with `IDENTITY`).
fn probe(engine: &mut Engine, reference: &[Piece], pool: &Histograms, n: usize) -> Result<()> {
    let identity = std::env::var("IDENTITY").is_ok();
    let shift: usize = env("SHIFTKEY", 0);
    let mut g = Gaussian::new(1);
    for sigma in [0.001f32, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0] {
        let mut ms = Vec::new();
        let (mut ok, mut tot) = (0usize, 0usize);
        for p in reference.iter().take(n) {
            let t = p.frames.len();
            let mut x = vec![0.0; VOICE_CHANNELS * t];
            encode_voices(&p.frames, &mut x);
            let mut m = vec![0.0; META_CHANNELS * t];
            encode_meta(p.frames.iter().map(|f| f.meta), &mut m);
            let key: Vec<f32> = m[META_KEY * t..(META_KEY + 12) * t].to_vec();
            for c in 0..12 {
                let to = META_KEY + (c + shift) % 12;
                m[to * t..(to + 1) * t].copy_from_slice(&key[c * t..(c + 1) * t]);
            }
            for v in x.iter_mut() {
                *v += sigma * g.next();
            }
            let mut s = vec![0.0; VOICE_CHANNELS * t];
            engine.net().score(&x, &m, t, sigma, &mut s)?;
            let d: Vec<f32> = if identity { x.clone() } else { x.iter().zip(&s).map(|(a, b)| a + sigma * sigma * b).collect() };
            let mut toks = vec![[Token::Rest; 4]; t];
            decode_voices(&d, t, &mut toks);
            for (a, b) in toks.iter().zip(&p.frames) {
                for v in 0..4 {
                    tot += 1;
                    ok += usize::from(a[v] == b.tokens[v]);
                }
            }
            let frames: Vec<Frame> = toks.into_iter().zip(&p.frames).map(|(tokens, f)| Frame { tokens, meta: f.meta }).collect();
            let mut mm = measure(&Piece { name: String::new(), time: p.time, frames, cost: None }, None);
            mm.compare(pool);
            ms.push(mm);
        }
        println!(
            "sigma {sigma:5}: token accuracy {:.3}, chord {:.1}, key {:.1}, cross {:.1}, n/bar {:.1}",
            ok as f64 / tot as f64,
            mean(&ms, |m| m.harmony.chordal_pct),
            mean(&ms, |m| m.harmony.in_key_pct),
            mean(&ms, |m| m.voice_leading.crossing_pct),
            mean(&ms, |m| m.structure.notes_per_bar)
        );
    }
    Ok(())
}
