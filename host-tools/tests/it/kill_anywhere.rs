//! Kill anywhere: `kantor train` and `kantor prepare` are killed with SIGKILL (as by a
//! power cut or the OOM killer) at random moments and targeted ones (while a checkpoint is
//! being written, while validating, while computing a step), and resumed each time with
//! `--resume`. The resumed run ends with exactly the weights, optimiser state and logs of
//! a run never stopped, and no checkpoint or dataset is ever found half-written.
//!
//! `KILL_SEED=N` repeats a sequence of kill moments; the test prints the seed it used.

use crate::train_support;

use kantor_host::dataset::Dataset;
use kantor_host::network::NetConfig;
use kantor_host::train::checkpoint::{TrainState, CHECKPOINT_FILE, CONFIG_FILE};
use kantor_host::train::config::TrainConfig;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KANTOR: &str = env!("CARGO_BIN_EXE_kantor");
const EVAL_EVERY: u64 = 10;
const KILLS: usize = 10;
const MAX_SESSIONS: usize = 40;

/// A network small enough for seconds of training, with a checkpoint after every step.
fn config() -> TrainConfig {
    TrainConfig {
        window: 16,
        batch: 8,
        chunk: 4,
        threads: 1,
        steps: 400,
        warmup_steps: 5,
        eval_every: EVAL_EVERY,
        valid_windows: 64,
        checkpoint_minutes: 0.0,
        net: NetConfig { channels: 24, kernel: 3, dilations: vec![1, 2], ..NetConfig::default() },
        ..TrainConfig::smoke()
    }
}

/// A small deterministic generator for the kill moments.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

fn seed() -> u64 {
    std::env::var("KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    })
}

fn train_command(data: &Path, out: &Path, config: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(KANTOR);
    cmd.args(["train", "--data"]).arg(data).arg("--out").arg(out);
    // A run with a checkpoint or a stored configuration is resumed.
    if out.join(CHECKPOINT_FILE).exists() || out.join(CONFIG_FILE).exists() {
        cmd.arg("--resume");
    } else {
        cmd.arg("--config").arg(config);
    }
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    cmd.stdout(Stdio::null()).stderr(log);
    cmd
}

/// Complete rows of a CSV log: (step, the other fields without the wall-clock column).
fn rows(path: &Path, skip_column: Option<usize>) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.split_inclusive('\n')
        .skip(1)
        .filter_map(|l| l.strip_suffix('\n'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            let step = fields[0].parse().ok()?;
            let rest: Vec<&str> = fields.iter().enumerate().filter(|(i, _)| Some(*i) != skip_column).map(|(_, f)| *f).skip(1).collect();
            Some((step, rest.join(",")))
        })
        .collect()
}

fn last_step(out: &Path) -> Option<u64> {
    rows(&out.join("train.csv"), None).last().map(|r| r.0)
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".tmp")).collect())
        .unwrap_or_default()
}

/// How a kill is triggered.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// After a random delay.
    Timer(Duration),
    /// As soon as a checkpoint has been renamed into place: the next step is computing.
    Step,
    /// As soon as a fresh run has written its configuration, before its first checkpoint.
    Configured,
    /// As soon as the checkpoint's temporary file appears.
    CheckpointWrite,
    /// Right after a validation step's training row is logged (validation runs next).
    Validation,
}

/// Waits for `trigger`, then kills `child`. Returns false if the run ended first.
fn kill_when(child: &mut Child, trigger: Trigger, out: &Path, started_at: Option<u64>) -> bool {
    let begin = Instant::now();
    let tmp = out.join(format!("{CHECKPOINT_FILE}.tmp"));
    // One left by the last kill does not count: wait until this run has removed it.
    let mut tmp_was_gone = false;
    let checkpoint = out.join(CHECKPOINT_FILE);
    let identity = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.ino(), m.mtime(), m.mtime_nsec()));
    let first_checkpoint = identity(&checkpoint);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let fire = match trigger {
            Trigger::Timer(d) => begin.elapsed() >= d,
            Trigger::Configured => out.join(CONFIG_FILE).exists(),
            Trigger::Step => {
                let now = identity(&checkpoint);
                now.is_some() && now != first_checkpoint
            }
            Trigger::CheckpointWrite => {
                let exists = tmp.exists();
                tmp_was_gone |= !exists;
                exists && tmp_was_gone
            }
            Trigger::Validation => last_step(out).is_some_and(|s| s % EVAL_EVERY == 0 && Some(s) > started_at),
        };
        if fire {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        assert!(begin.elapsed() < Duration::from_secs(120), "{trigger:?} never came");
        if matches!(trigger, Trigger::Timer(_)) {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// Where the killed run was, judged from what it left (`log`: its standard error).
fn phase(out: &Path, log: &Path) -> &'static str {
    // The first line a run prints comes after loading the data and the checkpoint.
    if !std::fs::read_to_string(log).unwrap_or_default().contains(" parameters, receptive field ") {
        return "start-up";
    }
    let tmps = temporaries(out);
    if tmps.iter().any(|t| t.starts_with(CHECKPOINT_FILE)) {
        return "checkpoint write";
    }
    if !tmps.is_empty() {
        return "log or configuration write";
    }
    let Some(step) = last_step(out) else { return "start-up" };
    let validated = rows(&out.join("valid.csv"), None).iter().any(|r| r.0 == step);
    if step % EVAL_EVERY == 0 && !validated {
        "validation"
    } else {
        "training step"
    }
}

/// Nothing the killed run left may be half a file: the checkpoint and configuration load.
fn assert_whole(out: &Path, data: &Path, data_bytes: &[u8]) {
    if out.join(CHECKPOINT_FILE).exists() {
        TrainState::load(out).unwrap_or_else(|e| panic!("the checkpoint is damaged: {e:#}"));
    }
    if out.join(CONFIG_FILE).exists() {
        TrainConfig::load(&out.join(CONFIG_FILE)).unwrap_or_else(|e| panic!("config.toml is damaged: {e:#}"));
    }
    assert_eq!(std::fs::read(data).unwrap(), data_bytes, "the dataset was touched");
}

#[test]
fn training_killed_anywhere_resumes_to_the_same_weights() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("made-up.kds");
    train_support::made_up_dataset().save(&data).unwrap();
    let data_bytes = std::fs::read(&data).unwrap();
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, config().to_toml()).unwrap();
    let log = dir.path().join("stderr.log");

    let straight = dir.path().join("straight");
    let began = Instant::now();
    let status = train_command(&data, &straight, &config_path, &log).status().unwrap();
    let whole_run = began.elapsed();
    assert!(status.success(), "uninterrupted run failed: {}", std::fs::read_to_string(&log).unwrap());

    let seed = seed();
    eprintln!("KILL_SEED={seed}; an uninterrupted run takes {whole_run:.2?}");
    let mut rng = Lcg(seed);
    let killed = dir.path().join("killed");
    let mut phases = Vec::new();
    for session in 0..MAX_SESSIONS {
        let seen = |p: &str| phases.iter().any(|(_, q)| *q == p);
        if phases.len() >= KILLS && seen("checkpoint write") && seen("validation") && seen("training step") {
            break;
        }
        let trigger = match session % 4 {
            _ if session == 0 => Trigger::Configured,
            0 => Trigger::Timer(Duration::from_micros(rng.below(whole_run.as_micros() as u64 / 8))),
            1 => Trigger::Step,
            2 => Trigger::CheckpointWrite,
            _ => Trigger::Validation,
        };
        let started_at = last_step(&killed);
        let session_log = dir.path().join(format!("session-{session}.log"));
        let mut child = train_command(&data, &killed, &config_path, &session_log).spawn().unwrap();
        let was_killed = kill_when(&mut child, trigger, &killed, started_at);
        assert!(
            was_killed,
            "the run ended before kill {session} ({trigger:?}), saying:\n{}",
            std::fs::read_to_string(&session_log).unwrap_or_default()
        );
        let at = phase(&killed, &session_log);
        let checkpoint_step = TrainState::load(&killed).ok().map(|(_, s)| s.step);
        eprintln!("kill {session:>2} ({trigger:?}): during {at}, checkpoint at step {checkpoint_step:?}");
        assert_whole(&killed, &data, &data_bytes);
        phases.push((trigger, at));
    }
    let seen = |p: &str| phases.iter().any(|(_, q)| *q == p);
    assert!(seen("checkpoint write") && seen("validation") && seen("training step"), "phases hit: {phases:?}");

    let status = train_command(&data, &killed, &config_path, &log).status().unwrap();
    assert!(status.success(), "the last resume failed: {}", std::fs::read_to_string(&log).unwrap());

    let (_, a) = TrainState::load(&straight).unwrap();
    let (_, b) = TrainState::load(&killed).unwrap();
    assert_eq!(a.step, config().steps);
    assert_eq!(b.step, a.step);
    assert!(a.params == b.params, "weights differ from the uninterrupted run's");
    assert!(a.ema == b.ema, "averaged weights differ");
    assert!(a.adam == b.adam, "optimiser state differs");
    assert_eq!(a.config, b.config);
    // The logs read as one run: every step's loss and every validation once, as uninterrupted.
    let train_a = rows(&straight.join("train.csv"), Some(1));
    assert_eq!(train_a.len() as u64, config().steps);
    assert_eq!(train_a, rows(&killed.join("train.csv"), Some(1)), "train.csv differs");
    assert_eq!(rows(&straight.join("valid.csv"), None), rows(&killed.join("valid.csv"), None), "valid.csv differs");
    assert_eq!(temporaries(&killed), Vec::<String>::new(), "temporary files left behind");
    assert_whole(&killed, &data, &data_bytes);
}

fn prepare(input: &Path, output: &Path) -> Child {
    Command::new(KANTOR)
        .args(["prepare", "--quiet", "--input"])
        .arg(input)
        .arg("--output")
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn musicxml_folder(dir: &Path) -> PathBuf {
    let input = dir.join("scores");
    std::fs::create_dir(&input).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/musicxml");
    for name in ["chorale.xml", "chorale_in_d.xml", "chorale_in_f.xml", "pickup_three_four.xml", "ties.xml"] {
        std::fs::copy(fixtures.join(name), input.join(name)).unwrap();
    }
    input
}

#[test]
fn prepare_killed_anywhere_leaves_the_old_dataset_or_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let input = musicxml_folder(dir.path());
    let reference = dir.path().join("reference.kds");
    assert!(prepare(&input, &reference).wait().unwrap().success());
    let new = std::fs::read(&reference).unwrap();
    Dataset::load(&reference).unwrap();

    let out = dir.path().join("out/bach.kds");
    let tmp = dir.path().join("out/bach.kds.tmp");
    let old = {
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        train_support::made_up_dataset().save(&out).unwrap();
        std::fs::read(&out).unwrap()
    };
    assert_ne!(old, new);
    let mut rng = Lcg(seed());
    let (mut mid_write, mut kills) = (0, 0);
    for round in 0..30 {
        let mut child = prepare(&input, &out);
        let begin = Instant::now();
        let delay = Duration::from_micros(rng.below(20_000));
        let mut tmp_was_gone = false;
        let killed = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            // Even rounds: as soon as the temporary file appears; odd: at a random moment.
            let tmp_exists = tmp.exists();
            tmp_was_gone |= !tmp_exists;
            if (round % 2 == 0 && tmp_exists && tmp_was_gone) || (round % 2 == 1 && begin.elapsed() >= delay) {
                child.kill().unwrap();
                child.wait().unwrap();
                break true;
            }
            assert!(begin.elapsed() < Duration::from_secs(60));
        };
        kills += usize::from(killed);
        mid_write += usize::from(killed && tmp.exists());
        let now = std::fs::read(&out).unwrap();
        assert!(now == old || now == new, "round {round}: the dataset is neither the old one nor the new one ({} bytes)", now.len());
        if now == new {
            // Start the next round from the old file again.
            std::fs::write(&out, &old).unwrap();
        }
    }
    eprintln!("{kills} kills, {mid_write} while the temporary file existed");
    assert!(kills >= 10 && mid_write >= 1, "{kills} kills, {mid_write} mid-write");
    // Killed while writing a dataset that did not exist yet: still none, or all of it.
    for round in 0..6 {
        std::fs::remove_file(&out).unwrap_or(());
        let mut child = prepare(&input, &out);
        let begin = Instant::now();
        let mut tmp_was_gone = false;
        while child.try_wait().unwrap().is_none() {
            let tmp_exists = tmp.exists();
            tmp_was_gone |= !tmp_exists;
            if tmp_exists && tmp_was_gone {
                child.kill().unwrap();
            }
            assert!(begin.elapsed() < Duration::from_secs(60));
        }
        if let Ok(now) = std::fs::read(&out) {
            assert!(now == new, "round {round}: a partial dataset of {} bytes", now.len());
        }
    }
    // A finished run leaves no temporary file behind.
    assert!(prepare(&input, &out).wait().unwrap().success());
    assert_eq!(std::fs::read(&out).unwrap(), new);
    assert!(!tmp.exists());
}
