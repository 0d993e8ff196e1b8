//! Puts `memory.x` where cortex-m-rt's `link.x` finds it, and turns the run's settings
//! (environment variables at build time) into constants.
use std::{env, fs, path::PathBuf};

/// A whole number from the environment, or `default`; a build error if it does not parse.
fn number(name: &str, default: u64) -> u64 {
    println!("cargo:rerun-if-env-changed={name}");
    match env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    let settings = format!(
        "/// Pieces played back to back in auto-play.\npub const PIECES: u32 = {};\n\
         /// Seed of the first auto-played piece (the n-th uses SEED + n).\npub const SEED: u64 = {};\n",
        number("KANTOR_PIECES", 100),
        number("KANTOR_SEED", 1),
    );
    fs::write(out.join("settings.rs"), settings).unwrap();
}
