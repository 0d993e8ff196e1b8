//! `kantor-pi`: Kantor on a Raspberry Pi (or any Linux machine with a serial port).
//!
//! Press the button: the Pi composes a chorale and plays it as MIDI on the serial port,
//! each phrase as soon as it is composed (the next is composed while it plays); press
//! again to stop. The same player as the microcontroller boards, on std.

mod compose;
mod endless;
mod hw;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use kantor_core::midi::Performance;
use kantor_core::player::{FixedSeed, Happening, Player, PlayerConfig, SeedSource, State};

use compose::PiComposer;

/// Longest piece, in 16th-note frames.
const PIECE_FRAMES: usize = 512;

/// Compose four-part chorales and play them on a MIDI synthesiser over a serial port.
///
/// Wiring and UART setup: see the firmware README. Stop with the button, Ctrl-C or
/// SIGTERM: sounding notes are always turned off.
#[derive(Parser, Debug)]
#[command(name = "kantor-pi", version, about, long_about)]
struct Args {
    /// The MIDI out port: the Pi's UART (/dev/serial0), a USB serial adapter, a USB-MIDI
    /// interface's raw MIDI device (/dev/snd/midiC1D0), or a pseudo-terminal (/dev/pts/N)
    /// for testing.
    #[arg(long, default_value = "/dev/serial0")]
    port: String,
    /// Baud rate. MIDI is 31,250; the Pi's UART needs its clock set for it (see README).
    #[arg(long, default_value_t = 31_250)]
    baud: u32,
    /// Do not use GPIO: no button or LED (stop with Ctrl-C; start with --autoplay).
    #[arg(long)]
    no_gpio: bool,
    /// GPIO character device holding the button and LED lines.
    #[arg(long, default_value = "/dev/gpiochip0")]
    gpio_chip: String,
    /// GPIO line of the start/stop button (to ground; the internal pull-up is used).
    #[arg(long, default_value_t = 17)]
    button_line: u32,
    /// GPIO line of the busy LED (lit while composing and playing).
    #[arg(long, default_value_t = 27)]
    led_line: u32,
    /// Play this many pieces back to back without waiting for a press, then exit (with
    /// --stream: stream this many phrases).
    #[arg(long, value_name = "PIECES")]
    autoplay: Option<u32>,
    /// Stream an endless chorale from start-up: each phrase is composed while the one
    /// before plays. Stops at a press, Ctrl-C or SIGTERM.
    #[arg(long)]
    stream: bool,
    /// Seed of the first piece (the next ones count up from it). Default: from the
    /// kernel's entropy pool at each press.
    #[arg(long)]
    seed: Option<u64>,
    /// Tempo in quarter notes per minute.
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u16).range(20..=2000))]
    tempo: u16,
    /// Phrases per piece (each continues the one before).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    phrases: u32,
    /// The int8 score network (`kantor quantize` output).
    #[arg(long, default_value = "/usr/local/share/kantor/model.kq8")]
    model: std::path::PathBuf,
    /// Bars per phrase (each phrase is composed continuing the last bar of the one before).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=8))]
    phrase_bars: u64,
    /// Langevin steps per noise level (default: the model's own). Fewer is faster and rougher.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    steps: Option<u64>,
    /// Noise levels, geometric between the model's largest and smallest σ (default: the
    /// model's own schedule). Fewer is faster and rougher.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10000))]
    levels: Option<u64>,
    /// Play seeded cadences instead of composing with a model (to test the wiring).
    #[arg(long)]
    cadences: bool,
}

/// The seed of each piece: fixed and counting up, or from the kernel.
enum Seeds {
    Counting(FixedSeed),
    Kernel(hw::KernelSeed),
}

impl SeedSource for Seeds {
    fn seed(&mut self, press_us: u64) -> u64 {
        match self {
            Seeds::Counting(s) => {
                let seed = s.0;
                s.0 = s.0.wrapping_add(1);
                seed
            }
            Seeds::Kernel(k) => k.seed(press_us),
        }
    }
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let soft_press = Arc::new(AtomicBool::new(false));
    let quit = Arc::new(AtomicBool::new(false));
    {
        let (soft_press, quit) = (soft_press.clone(), quit.clone());
        ctrlc::set_handler(move || {
            quit.store(true, Ordering::SeqCst);
            soft_press.store(true, Ordering::SeqCst);
        })
        .context("cannot install the Ctrl-C handler")?;
    }
    let gpio = |line| (!args.no_gpio).then_some((args.gpio_chip.as_str(), line));
    let button = hw::Button::new(gpio(args.button_line), soft_press)?;
    let led = hw::Led::new(gpio(args.led_line))?;
    let port = hw::SerialMidi::open(&args.port, args.baud)?;
    let composer = if args.cadences {
        PiComposer::Cadences(kantor_core::player::Cadences)
    } else {
        compose::load(
            &args.model,
            args.phrase_bars as usize,
            kantor_core::player::Budget { levels: args.levels.map(|l| l as usize), steps_per_level: args.steps.map(|s| s as usize) },
        )?
    };
    let config = PlayerConfig {
        performance: Performance { tempo_bpm: args.tempo, ..Performance::default() },
        phrases: args.phrases,
        context_frames: compose::CONTEXT_FRAMES,
        ..PlayerConfig::default()
    };
    let mut seeds = match args.seed {
        Some(s) => Seeds::Counting(FixedSeed(s)),
        None => Seeds::Kernel(hw::KernelSeed),
    };
    let mut timer = kantor_core::player::live::WallClock::new();
    if args.stream {
        use kantor_core::player::Monotonic;
        use embedded_hal::digital::OutputPin;
        let seed = seeds.seed(timer.now_us());
        let mut led = led;
        let _ = led.set_high();
        let result = endless::run(port, composer, config, seed, args.autoplay, button, &quit);
        let _ = led.set_low();
        return result;
    }
    let autoplay = args.autoplay;
    let first_seed = autoplay.map(|_| {
        use kantor_core::player::Monotonic;
        seeds.seed(timer.now_us())
    });
    // Each phrase plays from a thread while the next is composed.
    let stage = kantor_core::player::live::Threaded::new(port, timer, config.performance);
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> = Player::on_stage(button, led, stage, timer, composer, seeds, config);

    match (autoplay, first_seed) {
        (Some(pieces), Some(seed)) => {
            for n in 0..pieces {
                let seed = seed.wrapping_add(n as u64);
                eprintln!("piece {n}: seed {seed}");
                let last = player.play_through(seed, report).map_err(|e| anyhow::anyhow!("{e}"))?;
                if matches!(last, Happening::Stopped { .. }) && quit.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
        _ => {
            eprintln!("kantor-pi: press the button to compose and play a chorale (Ctrl-C quits)");
            loop {
                if quit.load(Ordering::SeqCst) && player.state() == State::Idle {
                    break;
                }
                match player.step() {
                    Ok(Some(Happening::Pressed { seed })) => eprintln!("seed {seed}"),
                    Ok(Some(h)) => eprintln!("{h:?}"),
                    Ok(None) => {}
                    Err(e) => eprintln!("error: {e}"),
                }
            }
        }
    }
    Ok(())
}

/// Tells what a piece did on its way.
fn report(h: Happening) {
    match h {
        Happening::Composed { phrase, frames, waited_us: 0 } => eprintln!("phrase {phrase}: {frames} frames composed, in time"),
        Happening::Composed { phrase, frames, waited_us } => {
            eprintln!("phrase {phrase}: {frames} frames composed, {:.1} s late (the music waited on the fermata)", waited_us as f64 / 1e6)
        }
        Happening::Finished { bytes } => eprintln!("finished: {bytes} MIDI bytes"),
        Happening::Stopped { bytes } => eprintln!("stopped: {bytes} MIDI bytes, all notes off"),
        Happening::Pressed { .. } => {}
    }
}
