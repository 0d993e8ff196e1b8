//! Loads a `.kq8` blob, says what it holds, and runs the network once: what the engine
//! checks and computes before a sampler ever calls it.
//!
//! `cargo run --release -p kantor-core --example evaluate_blob [BLOB] [FRAMES]`
//! (default: the shipped model at 64 frames).

use kantor_core::engine::{self, Int8ScoreNet, ModelExt, Plan};
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::ScoreNet;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model.kq8").to_string());
    let frames: usize = args.next().map_or(64, |f| f.parse().expect("the frame count is a whole number"));
    let blob = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));

    let model = engine::load(&blob).unwrap_or_else(|e| panic!("{path} is refused: {e}"));
    let h = model.header();
    let s = model.schedule();
    println!("{path}: {} bytes, format {}, encoding {}", model.bytes(), h.format_version, h.encoding_version);
    println!("  {} tensors, {} ops, {} scalar instructions, head {}", h.tensors, h.ops, h.scalars, model.head().map_or("unknown", kantor_core::Head::name));
    println!("  noise levels: {} from σ_max {} to σ_min {}", s.levels, s.sigma_max, s.sigma_min);
    for (key, value) in model.props() {
        println!("  {key} = {value}");
    }

    let plan = Plan::new(&model, frames).unwrap_or_else(|e| panic!("cannot run at {frames} frames: {e}"));
    println!("working memory at {frames} frames: {} bytes", plan.arena_bytes);
    let mut net = Int8ScoreNet::new(&blob[..], vec![0u8; plan.arena_bytes], frames).unwrap_or_else(|e| panic!("{e}"));

    // Every voice equally likely in every class: the most uncertain chorale there is.
    let x = vec![1.0 / 32.0; VOICE_CHANNELS * frames];
    let meta = vec![0.0; META_CHANNELS * frames];
    let mut score = vec![0.0; VOICE_CHANNELS * frames];
    for sigma in [s.sigma_max, s.sigma_min] {
        net.score(&x, &meta, frames, sigma, &mut score).unwrap_or_else(|e| panic!("{e}"));
        let norm = score.iter().map(|v| v * v).sum::<f32>().sqrt();
        println!("σ = {sigma}: |score| = {norm:.4}");
    }
}
