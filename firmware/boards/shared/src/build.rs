//! The build-script side: model blob, memory map and run settings into `OUT_DIR`.

use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::{env, fs, format, println};

use kantor_core::engine::{self, Plan};
use kantor_core::sampler::Workspace;

/// Noise levels of the streaming default: 8 evaluations per phrase (no refinement), 2.3–3.4 s of a
/// 168 MHz Cortex-M4 for a phrase that plays 6.75 s (from the emulated board's instruction count).
pub const STREAM_LEVELS: u64 = 8;

/// A whole number from the environment, or `default`.
fn number(name: &str, default: u64) -> u64 {
    println!("cargo:rerun-if-env-changed={name}");
    match env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

/// Sets up a board build with the memory map in the board's `memory.x`; see
/// [`configure_memory`].
pub fn configure(frames: usize, phrase_bars: usize) {
    configure_memory(frames, phrase_bars, "memory.x");
}

/// Sets up a board build whose memory map is the board's file `memory` (given to the
/// linker as `memory.x`). `frames` is the longest stretch the board samples at once
/// (phrase plus context). Reads `KANTOR_MODEL` (blob path), `KANTOR_PIECES`,
/// `KANTOR_SEED`, `KANTOR_PHRASES`, `KANTOR_STEPS` and `KANTOR_LEVELS` (0 = the model's
/// own). A board's `stream` feature defaults to the budget a 168 MHz Cortex-M4 composes
/// a two-bar phrase in while the previous one plays ([`STREAM_LEVELS`] levels, one step).
pub fn configure_memory(frames: usize, phrase_bars: usize, memory: &str) {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::copy(manifest.join(memory), out.join("memory.x")).unwrap_or_else(|e| panic!("the board's {memory}: {e}"));
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={memory}");
    println!("cargo::rustc-check-cfg=cfg(kantor_model)");

    println!("cargo:rerun-if-env-changed=KANTOR_MODEL");
    let model_path = match env::var_os("KANTOR_MODEL") {
        Some(p) => PathBuf::from(p),
        None => manifest.join("../../../models/default/model.kq8"),
    };
    println!("cargo:rerun-if-changed={}", model_path.display());
    let sized = match fs::read(&model_path) {
        Ok(blob) => Some(arena_bytes(&model_path, &blob, frames, &out)),
        Err(_) => {
            println!("cargo:warning=no model blob at {}: the board will play cadences", model_path.display());
            None
        }
    };
    let (arena, macs) = (sized.map(|s| s.0), sized.map_or(0, |s| s.1));
    if arena.is_some() {
        println!("cargo:rustc-cfg=kantor_model");
    }
    let streaming = env::var_os("CARGO_FEATURE_STREAM").is_some();
    let steps = number("KANTOR_STEPS", if streaming { 1 } else { 0 });
    let levels = number("KANTOR_LEVELS", if streaming { STREAM_LEVELS } else { 0 });
    let mut s = String::new();
    s += "// Written by the board's build script from the build environment.\n";
    s += &format!("/// Pieces played back to back in auto-play.\npub const PIECES: u32 = {};\n", number("KANTOR_PIECES", 100));
    s += &format!("/// Seed of the first auto-played piece (the n-th uses SEED + n).\npub const SEED: u64 = {};\n", number("KANTOR_SEED", 1));
    s += &format!("/// Phrases per piece.\npub const PHRASES: u32 = {};\n", number("KANTOR_PHRASES", 4));
    s += &format!("/// Bars per phrase.\npub const PHRASE_BARS: usize = {phrase_bars};\n");
    s += &format!("/// Frames sampled at once (phrase plus context).\npub const FRAMES: usize = {frames};\n");
    s += &format!("/// Frames of context each phrase continues from.\npub const CONTEXT_FRAMES: usize = {};\n", frames - 16 * phrase_bars);
    let steps = if steps == 0 { "None".to_string() } else { format!("Some({steps})") };
    s += &format!("/// Langevin steps per noise level (None: the model's own).\npub const STEPS_PER_LEVEL: Option<usize> = {steps};\n");
    let levels = if levels == 0 { "None".to_string() } else { format!("Some({levels})") };
    s += &format!("/// Noise levels (None: the model's own schedule).\npub const LEVELS: Option<usize> = {levels};\n");
    s += &format!("/// Engine working memory for FRAMES frames.\npub const ARENA_BYTES: usize = {};\n", arena.unwrap_or(0));
    s += &format!("/// Convolution multiply-accumulates of one network evaluation at FRAMES frames.\npub const CONV_MACS: u64 = {macs};\n");
    s += &format!("/// Sampler workspace for FRAMES frames.\npub const WORKSPACE_FLOATS: usize = {};\n", if arena.is_some() { Workspace::floats_needed(frames) } else { 0 });
    fs::write(out.join("settings.rs"), s).unwrap();
}

/// Checks the blob as the engine will, copies it next to the build's outputs, and returns
/// the arena it needs at `frames` and the convolution multiply-accumulates there.
fn arena_bytes(path: &Path, blob: &[u8], frames: usize, out: &Path) -> (usize, u64) {
    let model = engine::load(blob).unwrap_or_else(|e| panic!("{} is not a usable model blob: {e}", path.display()));
    let plan = Plan::new(&model, frames).unwrap_or_else(|e| panic!("{} cannot run at {frames} frames: {e}", path.display()));
    fs::write(out.join("model.kq8"), blob).unwrap();
    (plan.arena_bytes, plan.conv_macs(&model))
}
