//! The model blob (`KANTOR_MODEL`, default `models/default/model.kq8`) copied into
//! `OUT_DIR`, and the engine's arena sized for the longest piece the module composes.

use std::path::PathBuf;
use std::{env, fs};

use kantor_core::engine::{self, Plan};

/// The longest piece: 256 bars of six quarters and a pickup (as `kantor generate` allows).
const MAX_FRAMES: usize = 256 * 24 + 23;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=KANTOR_MODEL");
    let path = env::var_os("KANTOR_MODEL").map_or_else(|| manifest.join("../../../models/default/model.kq8"), PathBuf::from);
    println!("cargo:rerun-if-changed={}", path.display());
    let blob = fs::read(&path).unwrap_or_else(|e| panic!("the model blob {}: {e}", path.display()));
    let model = engine::load(&blob).unwrap_or_else(|e| panic!("{}: not a usable int8 model: {e}", path.display()));
    let arena = Plan::new(&model, MAX_FRAMES).unwrap_or_else(|e| panic!("the network cannot run {MAX_FRAMES} frames: {e}")).arena_bytes;
    fs::write(out.join("model.kq8"), &blob).unwrap();
    fs::write(
        out.join("sizes.rs"),
        format!("/// Most frames one piece may have.\npub const MAX_FRAMES: usize = {MAX_FRAMES};\n/// The engine's arena for that many frames.\npub const ARENA_BYTES: usize = {arena};\n"),
    )
    .unwrap();
}
