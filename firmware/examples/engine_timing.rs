//! Times single evaluations of a blob on request, for a driver that interleaves them with
//! another engine's (`.ci/bench-host.sh` runs it beside onnxruntime). Reads commands on
//! stdin, one per line, and answers each with one line on stdout:
//!
//! - `sets`: the kernel sets this CPU runs, the one detection picks first (`name|name…`).
//! - `time SET FRAMES N`: runs N evaluations at FRAMES frames with kernel set number SET
//!   (in the order `sets` gave) and answers with each one's nanoseconds.
//! - `output SET FRAMES`: one evaluation; answers with the network's raw output
//!   (`VOICE_CHANNELS × FRAMES`, channel-major), for checking both engines ran the same
//!   model.
//!
//! Inputs are [`inputs`]' (the driver computes the same); σ is fixed.
//!
//! `cargo run --release -p kantor-core --features std --example engine_timing [BLOB]`
//! (default: the shipped model).

use std::io::{BufRead, Write};
use std::time::Instant;

use kantor_core::engine::{self, Int8ScoreNet, Kernels, Plan};
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};

/// σ of every timed evaluation.
const SIGMA: f32 = 0.7;

/// Deterministic inputs the driver reproduces, shaped like the sampler's at σ: voices
/// (c, t) = σ·sin(1.7·c + 0.9·t) plus one where (c + 37·t) mod 25 = 0 (about one class per
/// voice is on), metadata (c, t) = 1 where (3·c + t) mod 5 = 0, else 0.
fn inputs(frames: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..VOICE_CHANNELS * frames)
        .map(|i| {
            let (c, t) = (i / frames, i % frames);
            (SIGMA as f64 * (1.7 * c as f64 + 0.9 * t as f64).sin()) as f32 + if (c + 37 * t) % 25 == 0 { 1.0 } else { 0.0 }
        })
        .collect();
    let meta = (0..META_CHANNELS * frames).map(|i| if (3 * (i / frames) + i % frames) % 5 == 0 { 1.0 } else { 0.0 }).collect();
    (x, meta)
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model.kq8").to_string());
    let blob = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let model = engine::load(&blob).unwrap_or_else(|e| panic!("{path} is refused: {e}"));
    let mut sets: Vec<Kernels> = Kernels::available().into_iter().collect();
    sets.reverse(); // fastest (what detection picks) first, portable last
    assert_eq!(sets[0].name(), Kernels::detect().name());
    let mut nets = Vec::new(); // (set, frames, network)
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| -> usize { words.get(i).and_then(|w| w.parse().ok()).unwrap_or_else(|| panic!("bad command: {line}")) };
        match words.first().copied() {
            Some("sets") => {
                let names: Vec<&str> = sets.iter().map(|k| k.name()).collect();
                writeln!(out, "{}", names.join("|")).expect("stdout");
            }
            Some(cmd @ ("time" | "output")) => {
                let (set, frames) = (number(1), number(2));
                let reps = if cmd == "time" { number(3) } else { 1 };
                let k = nets.iter().position(|(s, f, _)| (*s, *f) == (set, frames)).unwrap_or_else(|| {
                    let arena = Plan::new(&model, frames).expect("plan").arena_bytes;
                    let net = Int8ScoreNet::with_kernels(&blob[..], vec![0u8; arena], frames, sets[set]).expect("engine");
                    nets.push((set, frames, net));
                    nets.len() - 1
                });
                let net = &mut nets[k].2;
                let (x, meta) = inputs(frames);
                let mut y = vec![0f32; VOICE_CHANNELS * frames];
                let mut times = Vec::with_capacity(reps);
                for _ in 0..reps {
                    let t = Instant::now();
                    net.run_raw(std::hint::black_box(&x), &meta, frames, SIGMA, &mut y).expect("evaluation");
                    times.push(t.elapsed().as_nanos().to_string());
                    std::hint::black_box(&y);
                }
                if cmd == "time" {
                    writeln!(out, "{}", times.join(" ")).expect("stdout");
                } else {
                    let values: Vec<String> = y.iter().map(|v| v.to_string()).collect();
                    writeln!(out, "{}", values.join(" ")).expect("stdout");
                }
            }
            _ => panic!("unknown command: {line}"),
        }
        out.flush().expect("stdout");
    }
}
