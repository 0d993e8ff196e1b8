//! `kantor`: compose Bach-style chorales by annealed Langevin dynamics.

use clap::{Parser, Subcommand};
use kantor_host::{compose, corpus, eval, onnx, play, quantize, train};

/// Kantor composes four-part chorales in the style of J. S. Bach by annealed Langevin
/// dynamics over a noise-conditional score network, and evaluates what it made.
///
/// Pipeline: prepare (MusicXML → dataset) → train → export-onnx → quantize → generate /
/// harmonize → eval; play performs live.
#[derive(Parser, Debug)]
#[command(name = "kantor", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import a folder of four-part MusicXML chorales into a dataset file.
    Prepare(corpus::PrepareArgs),
    /// Train the score network on a prepared dataset.
    Train(train::TrainArgs),
    /// Export a trained network as an ONNX model.
    ExportOnnx(onnx::ExportArgs),
    /// Quantise an ONNX score network to an int8 blob for the device.
    Quantize(quantize::QuantizeArgs),
    /// Compose new chorales.
    Generate(compose::GenerateArgs),
    /// Write alto, tenor and bass under a given melody.
    Harmonize(compose::HarmonizeArgs),
    /// Measure chorales (generated or Bach's) against held-out Bach.
    Eval(eval::EvalArgs),
    /// Play chorales live to a synthesiser, as a board does (serial MIDI or a MIDI port).
    Play(play::PlayArgs),
}

fn main() {
    let cli = Cli::parse();
    // A file-size limit (`ulimit -f`) makes a write fail instead of killing the command,
    // so it can remove its temporary files; the outputs keep their old contents.
    // SAFETY: ignoring a signal installs no handler code.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    // Ctrl-C: `train` finishes its step and checkpoints, `play` stops with all notes off;
    // every other command stops at once, removing the temporary files it was writing.
    if !matches!(cli.command, Command::Train(_) | Command::Play(_)) {
        let _ = ctrlc::set_handler(|| {
            kantor_host::outfile::remove_temporaries();
            eprintln!("\ninterrupted: nothing more was written");
            std::process::exit(130);
        });
    }
    let result = match cli.command {
        Command::Prepare(a) => corpus::run(a),
        Command::Train(a) => train::run(a),
        Command::ExportOnnx(a) => onnx::run(a),
        Command::Quantize(a) => quantize::run(a),
        Command::Generate(a) => compose::generate(a),
        Command::Harmonize(a) => compose::harmonize(a),
        Command::Eval(a) => eval::run(a),
        Command::Play(a) => play::run(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
