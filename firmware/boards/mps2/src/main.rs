//! Kantor on the Arm MPS2 boards as QEMU emulates them: the AN386 (Cortex-M4F, built for
//! thumbv7em-none-eabihf) and the AN505 (Cortex-M33 with the DSP extension, built for
//! thumbv8m.main-none-eabihf); the build script picks the machine from the target.
//!
//! UART0 is the MIDI port. Interactive (default): any byte received on UART0 is a press
//! of the button; the piece plays from the SysTick interrupt, each phrase as soon as it
//! is composed. With the `autoplay` feature the board
//! plays `KANTOR_PIECES` pieces back to back on a virtual clock (no real waiting), logs
//! each piece's seed, size and composing time (all phrases, and the first phrase, which
//! is what a press waits for before the first note) over semihosting, reports the stack
//! high-water mark and exits QEMU. With the `stream` feature it streams an endless
//! chorale from boot (see `streaming`).
#![no_std]
#![no_main]

#[cfg(feature = "golden")]
mod agreement;
#[cfg(feature = "golden")]
mod golden;
#[cfg(feature = "stream")]
mod streaming;
// Auto-play has no use for the receive side.
#[cfg_attr(any(feature = "autoplay", feature = "stream"), allow(dead_code))]
mod uart;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
#[cfg_attr(feature = "stream", allow(unused_imports))]
use kantor_board::pieces::PIECE_FRAMES;
use kantor_board::systick::SysTickClock;
use kantor_board::{stack, BoardComposer};
#[cfg_attr(feature = "stream", allow(unused_imports))]
use kantor_core::player::{Happening, Player, PlayerConfig};

#[allow(dead_code)] // not every mode uses every setting
mod settings {
    include!(concat!(env!("OUT_DIR"), "/settings.rs"));
}

/// What differs between the two machines.
#[cfg(machine = "an386")]
mod machine {
    pub const NAME: &str = "mps2-an386";
    /// The core clock as QEMU models it.
    pub const CORE_HZ: u32 = 25_000_000;
    /// The CMSDK UART0.
    pub const UART0: usize = 0x4000_4000;
}

/// What differs between the two machines.
#[cfg(machine = "an505")]
mod machine {
    pub const NAME: &str = "mps2-an505";
    /// The core clock as QEMU models it.
    pub const CORE_HZ: u32 = 20_000_000;
    /// The CMSDK UART0 at its secure alias (0x4020_0000 with bit 28 set): the core runs
    /// in secure state, and the UART's protection controller admits only secure accesses.
    pub const UART0: usize = 0x5020_0000;
}

use machine::CORE_HZ;

/// UART clock divider for MIDI's 31,250 baud.
const MIDI_BAUDDIV: u32 = CORE_HZ / 31_250;

/// The composer the board plays (once: it owns the static buffers).
fn composer() -> BoardComposer<{ settings::FRAMES }> {
    match kantor_board::board_composer!() {
        Ok(c) => c,
        Err(e) => {
            hprintln!("cannot load the model: {}", e);
            debug::exit(debug::EXIT_FAILURE);
            loop {}
        }
    }
}

#[entry]
fn main() -> ! {
    stack::paint();
    let cp = cortex_m::Peripherals::take().unwrap();
    #[allow(unused_mut)]
    let mut clock = SysTickClock::start(cp.SYST, CORE_HZ, 1_000);
    #[cfg(feature = "golden")]
    debug::exit(if golden::run(&mut clock) { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    // SAFETY: UART0 is driven only through these two halves.
    let (tx, rx) = unsafe { uart::split(machine::UART0, MIDI_BAUDDIV) };
    let config = PlayerConfig { phrases: settings::PHRASES, context_frames: settings::CONTEXT_FRAMES, ..PlayerConfig::default() };
    let mut composer = composer();
    hprintln!(
        "kantor: {}, {} Hz core clock, {} network evaluations per phrase ({} at the model's own settings)",
        machine::NAME,
        CORE_HZ,
        composer.evaluations_per_phrase(),
        composer.model_evaluations_per_phrase()
    );
    hprintln!(
        "engine: {:?} kernels, {} conv MACs per network evaluation at {} frames; arena {} bytes, sampler workspace {} bytes",
        kantor_core::engine::Kernels::detect(),
        settings::CONV_MACS,
        settings::FRAMES,
        settings::ARENA_BYTES,
        4 * settings::WORKSPACE_FLOATS
    );
    hprintln!(
        "config: model {} frames {} phrase_bars {} context {} phrases {} steps {} levels {} pieces {} seed {}",
        matches!(composer, BoardComposer::Model(_)),
        settings::FRAMES,
        settings::PHRASE_BARS,
        settings::CONTEXT_FRAMES,
        settings::PHRASES,
        settings::STEPS_PER_LEVEL.unwrap_or(0),
        settings::LEVELS.unwrap_or(0),
        settings::PIECES,
        settings::SEED
    );
    #[cfg(feature = "stream")]
    {
        let _ = rx;
        streaming::run(tx, clock, composer, config)
    }
    #[cfg(all(feature = "autoplay", not(feature = "stream")))]
    {
        let _ = rx;
        autoplay(tx, clock, composer, config)
    }
    #[cfg(not(any(feature = "autoplay", feature = "stream")))]
    interactive(tx, rx, clock, composer, config)
}

/// A composer that counts the core cycles it spends: the first phrase of each piece (what
/// a press waits for before the first note) and all of them.
#[cfg(all(feature = "autoplay", not(feature = "stream")))]
struct Metered<C> {
    inner: C,
    clock: SysTickClock,
    first: u64,
    all: u64,
}

#[cfg(all(feature = "autoplay", not(feature = "stream")))]
impl<C: kantor_core::player::Composer> kantor_core::player::Composer for Metered<C> {
    type Error = C::Error;
    fn time(&self) -> kantor_core::meter::TimeSignature {
        self.inner.time()
    }
    fn ends_piece(&mut self, last: bool) {
        self.inner.ends_piece(last)
    }
    fn compose(&mut self, seed: u64, context: &[kantor_core::Frame], out: &mut [kantor_core::Frame]) -> Result<usize, C::Error> {
        let began = self.clock.cycles();
        let n = self.inner.compose(seed, context, out)?;
        let cycles = self.clock.cycles() - began;
        if context.is_empty() {
            (self.first, self.all) = (cycles, 0);
        }
        self.all += cycles;
        Ok(n)
    }
}

/// Plays pieces back to back on a virtual clock, then exits QEMU.
#[cfg(all(feature = "autoplay", not(feature = "stream")))]
fn autoplay(tx: uart::UartTx, clock: SysTickClock, composer: BoardComposer<{ settings::FRAMES }>, config: PlayerConfig) -> ! {
    use kantor_core::player::sim::{RecordingLed, ScriptedButton, VirtualClock, VirtualTimer};
    use kantor_core::player::FixedSeed;

    let time = VirtualClock::new();
    let button = ScriptedButton { clock: &time, held: &[] };
    let timer = VirtualTimer { clock: &time };
    let composer = Metered { inner: composer, clock, first: 0, all: 0 };
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> =
        Player::new(button, RecordingLed::default(), tx, timer, composer, FixedSeed(0), config);
    let mut total_bytes = 0u64;
    let mut high_water = [0usize; 2];
    for piece in 0..settings::PIECES {
        let seed = settings::SEED + piece as u64;
        match player.play_through(seed, |_| {}) {
            Ok(Happening::Finished { bytes }) => {
                total_bytes += bytes as u64;
                let metered = player.composer();
                let (first, all) = (metered.first, metered.all);
                hprintln!(
                    "piece {} seed {} frames {} bytes {} compose_ticks {} first_phrase_ticks {}",
                    piece,
                    seed,
                    player.piece().len(),
                    bytes,
                    all,
                    first
                );
            }
            Ok(h) => {
                hprintln!("piece {} seed {} ended early: {:?}", piece, seed, h);
                debug::exit(debug::EXIT_FAILURE);
            }
            Err(e) => {
                hprintln!("piece {} seed {} failed: {}", piece, seed, e);
                debug::exit(debug::EXIT_FAILURE);
            }
        }
        if piece == 0 {
            high_water[0] = stack::high_water();
        }
        if piece + 1 == settings::PIECES.div_ceil(10) {
            high_water[1] = stack::high_water();
        }
    }
    hprintln!(
        "done: {} pieces, {} bytes, stack high-water {} bytes after the first piece, {} after the first tenth, {} after the last",
        settings::PIECES,
        total_bytes,
        high_water[0],
        high_water[1],
        stack::high_water()
    );
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}

/// Waits for presses (bytes on UART0) and plays in real time.
#[cfg(not(any(feature = "autoplay", feature = "stream")))]
fn interactive(
    tx: uart::UartTx,
    rx: uart::UartRx,
    clock: SysTickClock,
    composer: BoardComposer<{ settings::FRAMES }>,
    config: PlayerConfig,
) -> ! {
    use kantor_core::player::sim::RecordingLed;
    use kantor_core::player::PressTime;

    let button = uart::RxButton::new(rx, config.debounce_samples + 2);
    // The SysTick interrupt plays each phrase while the next is composed.
    let port = cortex_m::singleton!(: uart::UartTx = tx).unwrap();
    let stage = kantor_board::stage::SysTickStage::new(port, config.performance);
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> =
        Player::on_stage(button, RecordingLed::default(), stage, clock, composer, PressTime, config);
    hprintln!("kantor: send any byte to UART0 to compose and play a chorale");
    loop {
        match player.step() {
            Ok(Some(Happening::Pressed { seed })) => hprintln!("seed {}", seed),
            Ok(Some(h)) => hprintln!("{:?}", h),
            Ok(None) => {}
            Err(e) => hprintln!("error: {}", e),
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
