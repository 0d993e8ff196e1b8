//! `kantor play`: the computer as a board. The board application of the device core
//! composes with the int8 model phrase by phrase and plays live, through the same event
//! stream, running status and all-notes-off as the boards: a piece at a time, or the
//! endless chorale composed while it plays ([`kantor_core::player::live`]). The bytes go
//! to a serial device at 31,250 baud or to a MIDI output port ([`port`]).

pub mod port;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use kantor_core::engine::Int8ScoreNet;
use kantor_core::midi::Performance;
use kantor_core::player::live::{self, PhraseQueued, Threaded, WallClock};
use kantor_core::player::sim::RecordingLed;
use kantor_core::player::{blob_composer, Budget, FixedSeed, Happening, LangevinComposer, Player, PlayerConfig, Stage};
use kantor_core::ScoreNet;

use crate::compose::{count_parser, flag_help, EngineKind};
use crate::ranges::within;
use port::MidiOut;

/// Frames of the phrase before that each phrase continues (a bar of 4/4), as on the boards.
const CONTEXT_FRAMES: usize = 16;
/// Longest stretch sampled at once: eight bars of phrase and the context.
const MAX_FRAMES: usize = 8 * 16 + CONTEXT_FRAMES;
/// Longest piece, in 16th-note frames (as on the Pi).
const PIECE_FRAMES: usize = 512;

/// Arguments of `kantor play`.
#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// A serial device to send the MIDI to, as a board's UART does: a USB serial adapter
    /// wired to a MIDI jack (/dev/ttyUSB0, COM3), a Pi's UART, a pseudo-terminal.
    #[arg(long, value_name = "DEVICE", conflicts_with = "port")]
    pub serial: Option<String>,
    /// Baud rate of --serial; MIDI's is 31,250. [range: 300 to 4000000]
    #[arg(long, default_value_t = port::MIDI_BAUD, value_parser = within(300u32, 4_000_000))]
    pub baud: u32,
    /// A MIDI output port (a software synthesiser such as FluidSynth, a USB-MIDI
    /// interface): its number in --list-ports or part of its name. Needs a kantor built
    /// with `--features midi-ports`.
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,
    /// List the MIDI output ports and exit.
    #[arg(long)]
    pub list_ports: bool,
    /// Play without end: each phrase is composed while the one before plays, as the
    /// boards' endless chorale does. Ctrl-C (or --phrases) stops it.
    #[arg(long)]
    pub endless: bool,
    /// Random seed, a whole number from 0 to 18446744073709551615; the same seed and
    /// settings give the same music, byte for byte the board's. Default: from the clock
    /// (printed). Pieces after the first count up from it. [range: 0 to 18446744073709551615]
    #[arg(long, value_parser = crate::ranges::SEED, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Pieces to play one after another (not with --endless). [range: 1 to 10000]
    #[arg(long, default_value_t = 1, value_parser = within(1u32, 10_000), conflicts_with = "endless")]
    pub pieces: u32,
    /// Phrases per piece, each continuing the one before (default 4; a piece holds at most
    /// 32 bars); with --endless, the phrases to play before stopping (default: no end).
    /// [range: 1 to 1000000]
    #[arg(long, value_parser = within(1u32, 1_000_000))]
    pub phrases: Option<u32>,
    /// Bars per phrase; each phrase ends on a fermata. [range: 1 to 8]
    #[arg(long, default_value_t = 2, value_parser = within(1usize, 8))]
    pub phrase_bars: usize,
    /// Tempo in quarter notes per minute (fermatas hold twice as long). [range: 20 to 2000]
    #[arg(long, default_value_t = 80, value_parser = within(20u32, 2000))]
    pub tempo: u32,
    /// Langevin steps per noise level; fewer is faster and rougher, as on a board.
    #[arg(long, help = flag_help("steps"), value_parser = count_parser("steps"))]
    pub steps: Option<usize>,
    /// Noise levels, geometric between the model's largest and smallest σ (without
    /// refinement); fewer is faster and rougher.
    #[arg(long, help = flag_help("levels"), value_parser = count_parser("levels"))]
    pub levels: Option<usize>,
    /// The int8 model the boards run (a .kq8 blob from `kantor quantize`). Default: the
    /// shipped one, built into this binary.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

/// `kantor play`.
pub fn run(args: PlayArgs) -> Result<()> {
    if args.list_ports {
        let names = port::port_names()?;
        if names.is_empty() {
            println!("no MIDI output ports (start a synthesiser such as FluidSynth, or connect an interface)");
        }
        for (i, name) in names.iter().enumerate() {
            println!("{i}: {name}");
        }
        return Ok(());
    }
    let phrases_per_piece = args.phrases.unwrap_or(4);
    if !args.endless && phrases_per_piece as usize * args.phrase_bars * 16 > PIECE_FRAMES {
        bail!(
            "a piece holds at most {} bars: {phrases_per_piece} phrases of {} bars are too many (use --endless for longer)",
            PIECE_FRAMES / 16,
            args.phrase_bars
        );
    }
    let quit = Arc::new(AtomicBool::new(false));
    let composer = load_composer(&args, &quit)?;
    let (out, to) = match (&args.serial, &args.port) {
        (Some(device), _) => (MidiOut::serial(device, args.baud)?, format!("{device} at {} baud", args.baud)),
        (None, Some(which)) => {
            let (out, name) = MidiOut::system(which)?;
            (out, format!("MIDI port {name}"))
        }
        (None, None) => bail!("say where to play: --serial DEVICE (serial MIDI at 31,250 baud) or --port PORT (see --list-ports)"),
    };
    {
        let quit = quit.clone();
        ctrlc::set_handler(move || quit.store(true, Ordering::SeqCst)).context("cannot install the Ctrl-C handler")?;
    }
    let config = PlayerConfig {
        performance: Performance { tempo_bpm: args.tempo as u16, ..Performance::default() },
        phrases: phrases_per_piece,
        context_frames: CONTEXT_FRAMES,
        ..PlayerConfig::default()
    };
    let seed = crate::compose::first_seed(args.seed);
    if args.endless {
        endless(out, composer, config, seed, args.phrases, &to, &quit)
    } else {
        pieces(out, composer, config, seed, args.pieces, &to, &quit)
    }
}

/// The board's network, which stops the sampler (an error it passes up) once Ctrl-C is
/// pressed: a phrase being composed is given up within one network evaluation.
struct Stoppable {
    net: Int8ScoreNet<Vec<u8>, Vec<u8>>,
    quit: Arc<AtomicBool>,
}

/// Why an evaluation of a [`Stoppable`] network did not happen.
#[derive(Debug)]
enum Halt<E> {
    Stopped,
    Net(E),
}

impl<E: std::fmt::Display> std::fmt::Display for Halt<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Halt::Stopped => f.write_str("stopped by Ctrl-C"),
            Halt::Net(e) => e.fmt(f),
        }
    }
}

impl ScoreNet for Stoppable {
    type Error = Halt<<Int8ScoreNet<Vec<u8>, Vec<u8>> as ScoreNet>::Error>;
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), Self::Error> {
        if self.quit.load(Ordering::SeqCst) {
            return Err(Halt::Stopped);
        }
        self.net.score(x, meta, frames, sigma, score).map_err(Halt::Net)
    }
}

/// What `kantor play` composes with: the boards' composer over a network Ctrl-C stops.
type PlayComposer = LangevinComposer<'static, Stoppable, MAX_FRAMES>;

/// The composer the boards run, over the chosen blob, within the evaluations every command
/// allows.
fn load_composer(args: &PlayArgs, quit: &Arc<AtomicBool>) -> Result<PlayComposer> {
    let (blob, name) = match &args.model {
        Some(path) => (crate::infile::read(path, crate::infile::MODEL).context("cannot read the model")?, path.display().to_string()),
        None => (EngineKind::Int8.builtin_model().to_vec(), "the built-in model".to_string()),
    };
    let budget = Budget { levels: args.levels, steps_per_level: args.steps };
    let quit = quit.clone();
    let composer = blob_composer(blob, args.phrase_bars, CONTEXT_FRAMES, budget, |net| Stoppable { net, quit }).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let evaluations = composer.settings().evaluations();
    if evaluations > kantor_core::sampler::table::MAX_EVALUATIONS {
        bail!(
            "these settings take {evaluations} network evaluations per phrase; at most {} are allowed, as for every command \
             (lower --levels or --steps)",
            kantor_core::sampler::table::MAX_EVALUATIONS
        );
    }
    eprintln!("composing with {name}: {evaluations} network evaluations per phrase");
    Ok(composer)
}

/// Plays `count` pieces from `seed` on, stopping early on Ctrl-C.
fn pieces(
    out: MidiOut,
    composer: PlayComposer,
    config: PlayerConfig,
    seed: u64,
    count: u32,
    to: &str,
    quit: &Arc<AtomicBool>,
) -> Result<()> {
    let button = CtrlC(quit.clone());
    // Each phrase plays from a thread while the next is composed.
    let clock = WallClock::new();
    let stage = Threaded::new(out, clock, config.performance);
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> =
        Player::on_stage(button, RecordingLed::default(), stage, clock, composer, FixedSeed(seed), config);
    let tempo = config.performance.tempo_bpm;
    for n in 0..count {
        let seed = seed.wrapping_add(n as u64);
        eprintln!("piece {} of {count}: seed {seed}, {} phrases, each played as soon as it is composed", n + 1, config.phrases);
        let played = player.play_through(seed, |h| {
            if let Happening::Composed { phrase, frames, waited_us } = h {
                let waited = if waited_us > 0 { format!(" (the music waited {:.1} s on the fermata before it)", waited_us as f64 / 1e6) } else { String::new() };
                let bars = frames as f64 / 16.0;
                if phrase == 0 {
                    eprintln!("playing at {tempo} bpm to {to} (Ctrl-C stops): phrase 1, {bars} bars");
                } else {
                    eprintln!("phrase {}, {bars} bars{waited}", phrase + 1);
                }
            }
        });
        let last = match played {
            Err(_) if quit.load(Ordering::SeqCst) => {
                player.stage().stop(&config.performance).map_err(|e| anyhow::anyhow!("{e}"))?;
                eprintln!("stopped while composing: all notes off");
                break;
            }
            r => r.map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        match last {
            Happening::Stopped { bytes } => {
                eprintln!("stopped: all notes off ({bytes} MIDI bytes sent)");
                break;
            }
            Happening::Finished { bytes } => eprintln!("finished ({bytes} MIDI bytes sent)"),
            _ => {}
        }
    }
    Ok(())
}

/// The endless chorale from `seed`, until `phrases` (if given) or Ctrl-C.
fn endless(
    out: MidiOut,
    composer: PlayComposer,
    config: PlayerConfig,
    seed: u64,
    phrases: Option<u32>,
    to: &str,
    quit: &AtomicBool,
) -> Result<()> {
    eprintln!("endless chorale from seed {seed} at {} bpm to {to} (Ctrl-C stops)", config.performance.tempo_bpm);
    let queued = |p: PhraseQueued| {
        eprintln!("phrase {}: composed in {:.0} ms, ready {:.1} s before it is due", p.index + 1, p.took.as_secs_f64() * 1e3, p.margin_us as f64 / 1e6)
    };
    let report = match live::stream(out, composer, config, seed, phrases, || quit.load(Ordering::SeqCst), queued) {
        // The phrase being composed was given up; the stream stopped with all notes off.
        Err(_) if quit.load(Ordering::SeqCst) => {
            eprintln!("stopped while composing: all notes off");
            return Ok(());
        }
        r => r.map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let s = report.stats;
    let gaps = if s.gaps == 0 { "no gaps".to_string() } else { format!("{} late (a gap before each)", s.gaps) };
    eprintln!("stopped: all notes off after {} phrases, {gaps} ({} MIDI bytes sent)", s.phrases, report.bytes);
    Ok(())
}

/// The board's start/stop button, pressed by Ctrl-C (and held: the program ends after).
struct CtrlC(Arc<AtomicBool>);

impl embedded_hal::digital::ErrorType for CtrlC {
    type Error = std::convert::Infallible;
}

impl embedded_hal::digital::InputPin for CtrlC {
    /// Active low, as the boards' buttons.
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        Ok(!self.0.load(Ordering::SeqCst))
    }
    fn is_low(&mut self) -> Result<bool, Self::Error> {
        Ok(self.0.load(Ordering::SeqCst))
    }
}
