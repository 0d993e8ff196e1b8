//! Training the score network: `kantor train`.
//!
//! Denoising score matching ([`dsm`]) on random 64-frame windows of the training split,
//! transposed at random ([`data`]); Adam with warm-up and cosine decay and an exponential
//! moving average of the weights ([`optim`]); validation per noise band on fixed windows
//! of the validation split ([`valid`]); atomic checkpoints that resume a run exactly
//! ([`checkpoint`]). A run directory holds `config.toml`, `checkpoint.safetensors`,
//! `train.csv`, `valid.csv`, `summary.json`, `loss.png` and `bands.png`.

pub mod checkpoint;
pub mod config;
pub mod data;
pub mod dsm;
pub mod log;
pub mod optim;
pub mod plots;
pub mod schedule;
pub mod substitution;
pub mod valid;

use crate::dataset::{Dataset, Split};
use crate::network::weights::initial_params;
use crate::outfile::write as write_atomic;
use crate::network::Architecture;
use anyhow::Context;
use checkpoint::{TrainState, CONFIG_FILE};
use config::TrainConfig;
use data::{fixed_windows, largest_distance, TrainWindows};
use dsm::{loss_and_gradient, sample_sigma, Example};
use log::{CsvLog, TRAIN_LOG, VALID_LOG};
use optim::{clip_gradient, learning_rate, update_ema, Adam};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use valid::{BandLosses, ValidationSet};

/// Arguments of `kantor train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Prepared dataset (from `kantor prepare`).
    #[arg(long, default_value = "models/bach-chorales.kds")]
    pub data: PathBuf,
    /// Run directory: configuration, checkpoint, logs and plots go here.
    #[arg(long)]
    pub out: PathBuf,
    /// TOML file of hyper-parameters (any field left out keeps its default; see the
    /// `config.toml` a run writes for the full list).
    #[arg(long, conflicts_with = "smoke")]
    pub config: Option<PathBuf>,
    /// Continue the run in `--out` from its last checkpoint, with its stored configuration.
    #[arg(long, conflicts_with_all = ["config", "smoke"])]
    pub resume: bool,
    /// Use a tiny network and short schedule that trains in seconds (for testing the setup).
    #[arg(long)]
    pub smoke: bool,
    /// Stop after this many minutes of wall clock (a checkpoint is written first)
    /// [range: more than 0, up to 525600].
    #[arg(long, value_parser = crate::ranges::above(0.0, 525_600.0))]
    pub minutes: Option<f64>,
    /// Stop when the run reaches this many optimiser steps in total (default: the
    /// configuration's `steps`) [range: 1 to 10000000].
    #[arg(long, value_parser = crate::ranges::within(1u64, 10_000_000))]
    pub steps: Option<u64>,
}

/// When to stop a training session.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop at this total step count (default: the configuration's `steps`).
    pub steps: Option<u64>,
    /// Stop after this much wall clock in this session.
    pub time: Option<Duration>,
    /// Draw a progress bar and print validation lines.
    pub verbose: bool,
}

/// What a training session did.
#[derive(Clone, Debug, Serialize)]
pub struct TrainSummary {
    pub steps: u64,
    pub parameters: usize,
    /// Seconds spent training over the whole run.
    pub seconds: f64,
    /// Optimiser steps per second in this session (validation and checkpoints excluded).
    pub steps_per_second: f64,
    pub sigma_max: f64,
    pub sigma_min: f64,
    /// Mean of the last 100 training losses.
    pub train_loss: f64,
    /// Validation before training (fresh runs) and at the end.
    pub first_validation: Option<BandLosses>,
    pub last_validation: BandLosses,
    /// Why the session ended.
    pub stopped: String,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    check_outputs(&args)?;
    let dataset = Dataset::load(&args.data).with_context(|| format!("loading dataset {}", args.data.display()))?;
    let config = if args.resume {
        resume_config(&args.out)?
    } else if args.smoke {
        Some(TrainConfig::smoke())
    } else if let Some(path) = &args.config {
        Some(TrainConfig::load(path)?)
    } else {
        Some(TrainConfig::default())
    };
    let limits = Limits { steps: args.steps, time: args.minutes.map(|m| Duration::from_secs_f64(m * 60.0)), verbose: true };
    let summary = train(&dataset, &args.out, config, limits)?;
    eprintln!(
        "{} steps, {:.2} steps/s; validation {}; stopped: {}",
        summary.steps,
        summary.steps_per_second,
        summary.last_validation.describe(),
        summary.stopped
    );
    Ok(())
}

/// Every file a run writes into `--out`, checked before the dataset is read: the folder
/// is a folder, and no file of the run is the dataset or the configuration it starts from.
fn check_outputs(args: &TrainArgs) -> anyhow::Result<()> {
    let mut plan = crate::outfile::Plan::new();
    plan.input(&args.data);
    if let Some(config) = args.config.as_ref().filter(|_| !args.resume) {
        plan.input(config);
    }
    plan.folder("--out", &args.out)?;
    if args.out.is_dir() {
        for name in [CONFIG_FILE, checkpoint::CHECKPOINT_FILE, TRAIN_LOG, VALID_LOG, "summary.json", "loss.png", "bands.png"] {
            plan.output("--out", &args.out.join(name))?;
        }
    }
    Ok(())
}

/// The configuration `--resume` starts with: `None` (continue from the checkpoint), or,
/// when a run was killed after writing its `config.toml` but before its first checkpoint,
/// that configuration (the run starts again and takes the same steps).
fn resume_config(out: &Path) -> anyhow::Result<Option<TrainConfig>> {
    let stored = out.join(CONFIG_FILE);
    if checkpoint::checkpoint_path(out).exists() || !stored.exists() {
        return Ok(None);
    }
    eprintln!("{} has no checkpoint yet: starting the run again from its {CONFIG_FILE}", out.display());
    Ok(Some(TrainConfig::load(&stored)?))
}

/// Generator of step `step`'s data and noise: a pure function of (seed, step), so a
/// resumed run draws exactly what an uninterrupted one would.
pub fn step_rng(seed: u64, step: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed.rotate_left(32) ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn thread_count(config: &TrainConfig) -> usize {
    if config.threads > 0 {
        config.threads
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Set by Ctrl-C: finish the step, checkpoint, stop. A second Ctrl-C stops at once (the
/// last checkpoint stays, as after a kill; temporary files are removed).
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // A handler may already be installed by the embedding program; then Ctrl-C keeps
        // its usual meaning.
        let _ = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                crate::outfile::remove_temporaries();
                eprintln!("\nstopped: the run resumes from its last checkpoint with --resume");
                std::process::exit(130);
            }
            eprintln!("\nstopping after this step's checkpoint (Ctrl-C again stops at once)");
        });
        flag
    })
    .clone()
}

/// Fills in the sampling schedule fields left at 0 by NCSNv2's rules: the level ratio
/// from the window's dimension (technique 2), ε from the steps per level (technique 4).
pub fn choose_sampler_defaults(config: &mut TrainConfig) {
    let ratio = schedule::level_ratio(kantor_core::onehot::VOICE_CHANNELS * config.window);
    if config.sampler.levels == 0 {
        config.sampler.levels = schedule::levels(config.sigma_max, config.sigma_min, ratio);
    }
    if config.sampler.epsilon == 0.0 {
        let actual_ratio = (config.sigma_max / config.sigma_min).powf(1.0 / (config.sampler.levels.max(2) - 1) as f64);
        let eps = schedule::step_size(actual_ratio, config.sigma_min, config.sampler.steps_per_level);
        // Three significant digits are plenty and keep the file readable.
        config.sampler.epsilon = format!("{eps:.3e}").parse().unwrap_or(eps);
    }
}

/// Trains on `dataset` in run directory `out`. `config = None` resumes the run stored
/// there; `Some` starts a fresh run (refusing to overwrite an existing checkpoint).
pub fn train(dataset: &Dataset, out: &Path, config: Option<TrainConfig>, limits: Limits) -> anyhow::Result<TrainSummary> {
    // Parallelism comes from chunks of the batch; keep the matrix products single-threaded.
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        std::env::set_var("MATMUL_NUM_THREADS", "1");
    }
    let train_frames: Vec<&[kantor_core::Frame]> = dataset.split(Split::Train).map(|c| c.frames.as_slice()).collect();
    let valid_frames: Vec<&[kantor_core::Frame]> = dataset.split(Split::Valid).map(|c| c.frames.as_slice()).collect();

    let (arch, mut state, fresh) = match config {
        None => {
            let (arch, state) = TrainState::load(out).context("resuming (is there a run in --out?)")?;
            (arch, state, false)
        }
        Some(mut config) => {
            config.validate()?;
            anyhow::ensure!(
                !checkpoint::checkpoint_path(out).exists(),
                "{} already holds a run; pass --resume to continue it or choose another --out",
                out.display()
            );
            std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
            let windows = TrainWindows::new(train_frames.iter().copied(), config.window)?;
            if config.sigma_max == 0.0 {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed ^ 0x0053_4947_4d41);
                let d = largest_distance(&windows, 1000, &mut rng);
                config.sigma_max = (d * 100.0).ceil() / 100.0;
            }
            choose_sampler_defaults(&mut config);
            let arch = Architecture::new(config.net.clone())?;
            let params = initial_params(&arch, &mut Xoshiro256PlusPlus::seed_from_u64(config.seed));
            let state = TrainState { ema: params.clone(), adam: Adam::new(arch.parameters), params, step: 0, seconds: 0.0, config };
            (arch, state, true)
        }
    };
    let config = state.config.clone();
    write_atomic(&out.join(CONFIG_FILE), config.to_toml().as_bytes())?;
    if fresh {
        // From here on `--resume` continues this run, wherever it is stopped.
        state.save(&arch, out)?;
    }
    let windows = TrainWindows::new(train_frames.iter().copied(), config.window).context("training split")?;
    let valid_windows = fixed_windows(valid_frames.iter().copied(), config.window, config.valid_windows);
    anyhow::ensure!(!valid_windows.is_empty(), "the validation split has no chorale of {} frames or more", config.window);
    let validation = ValidationSet::new(valid_windows, &config);
    let threads = thread_count(&config);
    let target = limits.steps.unwrap_or(config.steps);

    let mut train_log = CsvLog::open(out, TRAIN_LOG, "step,seconds,lr,loss,grad_norm", state.step)?;
    let band_names: Vec<String> = validation.sigmas.iter().map(|s| format!("sigma_{s:.4}")).collect();
    let mut valid_log = CsvLog::open(out, VALID_LOG, &format!("step,mean,{}", band_names.join(",")), state.step)?;
    let log_validation = |v: &BandLosses, log: &mut CsvLog| -> anyhow::Result<()> {
        let mut row = vec![v.step.to_string(), format!("{:.6}", v.mean)];
        row.extend(v.losses.iter().map(|l| format!("{l:.6}")));
        log.row(&row)
    };

    if limits.verbose {
        eprintln!(
            "{} parameters, receptive field {} frames; {} training chorales ({} window positions, {} too short), {} validation windows; σ {}..{}; {} threads",
            arch.parameters,
            arch.receptive_field(),
            windows.chorales(),
            windows.positions(),
            windows.too_short,
            validation.windows.len(),
            config.sigma_min,
            config.sigma_max,
            threads
        );
    }
    let first_validation = if state.step == 0 {
        let v = validation.evaluate(&arch, &state.ema, 0, config.chunk, threads);
        log_validation(&v, &mut valid_log)?;
        if limits.verbose {
            eprintln!("step 0: validation {}", v.describe());
        }
        Some(v)
    } else {
        None
    };

    let interrupted = interrupt_flag();
    let progress = if limits.verbose { indicatif::ProgressBar::new(target) } else { indicatif::ProgressBar::hidden() };
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} steps [{elapsed_precise} < {eta_precise}] {msg}")
            .expect("valid template"),
    );
    progress.set_position(state.step);

    let session = Instant::now();
    let mut train_time = Duration::ZERO;
    let mut session_steps = 0u64;
    let mut last_checkpoint = Instant::now();
    let mut recent = std::collections::VecDeque::new();
    let mut grad = vec![0.0f32; arch.parameters];
    let mut last_validation = None;
    let seconds_before = state.seconds;
    let stopped;
    loop {
        if state.step >= target {
            stopped = format!("reached {target} steps");
            break;
        }
        if limits.time.is_some_and(|t| session.elapsed() >= t) {
            stopped = "time limit".to_string();
            break;
        }
        if interrupted.load(Ordering::SeqCst) {
            stopped = "interrupted".to_string();
            break;
        }
        let began = Instant::now();
        let mut rng = step_rng(config.seed, state.step);
        // The substituted voices are drawn only when asked for, so a run without them
        // draws the same windows and noise as before they existed.
        let batch: Vec<(data::Window, Option<Vec<f32>>)> = (0..config.batch)
            .map(|_| {
                let frames = windows.sample_frames(&mut rng);
                let base = (config.substitution_rate > 0.0)
                    .then(|| data::encode(&substitution::substitute(&frames, config.substitution_rate, config.substitution, &mut rng)).voices);
                (data::encode(&frames), base)
            })
            .collect();
        let examples: Vec<Example> = batch
            .iter()
            .map(|(w, base)| {
                let focus = config.focus_fraction > 0.0 && crate::network::weights::uniform(&mut rng) < config.focus_fraction;
                let sigma = if focus {
                    sample_sigma(&mut rng, config.focus_sigma_min, config.focus_sigma_max)
                } else {
                    sample_sigma(&mut rng, config.sigma_min, config.sigma_max)
                };
                Example { base: base.clone(), ..Example::new(w, sigma, &mut rng) }
            })
            .collect();
        let loss = loss_and_gradient(&arch, &state.params, &examples, config.window, config.chunk, threads, &mut grad);
        anyhow::ensure!(loss.is_finite(), "training diverged at step {} (loss {loss})", state.step);
        let norm = clip_gradient(&mut grad, config.clip_norm);
        let lr = learning_rate(&config, state.step);
        state.adam.update(&config, &mut state.params, &grad, lr);
        update_ema(&mut state.ema, &state.params, config.ema_decay, state.step);
        state.step += 1;
        session_steps += 1;
        train_time += began.elapsed();
        state.seconds = seconds_before + session.elapsed().as_secs_f64();

        train_log.row(&[state.step.to_string(), format!("{:.2}", state.seconds), format!("{lr:.3e}"), format!("{loss:.6}"), format!("{norm:.4}")])?;
        recent.push_back(loss);
        if recent.len() > 100 {
            recent.pop_front();
        }
        let rate = session_steps as f64 / train_time.as_secs_f64().max(1e-9);
        progress.set_position(state.step);
        progress.set_message(format!("loss {:.4} · {rate:.2} steps/s", recent.iter().sum::<f64>() / recent.len() as f64));

        if state.step % config.eval_every == 0 {
            let v = validation.evaluate(&arch, &state.ema, state.step, config.chunk, threads);
            log_validation(&v, &mut valid_log)?;
            if limits.verbose {
                let line = format!("step {}: validation {}", state.step, v.describe());
                if progress.is_hidden() {
                    eprintln!("{line}");
                } else {
                    progress.println(line);
                }
            }
            last_validation = Some(v);
        }
        if last_checkpoint.elapsed().as_secs_f64() >= config.checkpoint_minutes * 60.0 {
            state.save(&arch, out)?;
            last_checkpoint = Instant::now();
        }
    }
    progress.finish_and_clear();
    let last_validation = match last_validation {
        Some(v) if v.step == state.step => v,
        _ => {
            let v = validation.evaluate(&arch, &state.ema, state.step, config.chunk, threads);
            if state.step % config.eval_every != 0 {
                log_validation(&v, &mut valid_log)?;
            }
            v
        }
    };
    state.save(&arch, out)?;

    let summary = TrainSummary {
        steps: state.step,
        parameters: arch.parameters,
        seconds: state.seconds,
        steps_per_second: session_steps as f64 / train_time.as_secs_f64().max(1e-9),
        sigma_max: config.sigma_max,
        sigma_min: config.sigma_min,
        train_loss: if recent.is_empty() { f64::NAN } else { recent.iter().sum::<f64>() / recent.len() as f64 },
        first_validation,
        last_validation,
        stopped,
    };
    write_atomic(&out.join("summary.json"), serde_json::to_string_pretty(&summary)?.as_bytes())?;
    // The run is saved; a picture that cannot be drawn is worth a warning, not a failure.
    if let Err(e) = plots::write_plots(out) {
        eprintln!("warning: could not draw the loss plots: {e:#}");
    }
    Ok(summary)
}
