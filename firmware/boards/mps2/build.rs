//! The machine (from the build target), model blob, memory map and run settings (see
//! `kantor_board::build`).

fn main() {
    // thumbv8m.main is the AN505's Cortex-M33; every other target the AN386's Cortex-M4F.
    let target = std::env::var("TARGET").unwrap();
    let machine = if target.starts_with("thumbv8m.main") { "an505" } else { "an386" };
    println!("cargo::rustc-check-cfg=cfg(machine, values(\"an386\", \"an505\"))");
    println!("cargo:rustc-cfg=machine=\"{machine}\"");
    // Phrases of two bars, each continuing the last bar of the one before: 48 frames.
    kantor_board::build::configure_memory(48, 2, &format!("memory-{machine}.x"));
}
