//! Kantor on the Arm MPS2 boards as QEMU emulates them: the AN386 (Cortex-M4F, built for
//! thumbv7em-none-eabihf) and the AN505 (Cortex-M33 with the DSP extension, built for
//! thumbv8m.main-none-eabihf); the build script picks the machine from the target.
//!
//! UART0 is the MIDI port. Interactive (default): any byte received on UART0 is a press
//! of the button; the piece is timed by SysTick. With the `autoplay` feature the board
//! plays `KANTOR_PIECES` pieces back to back on a virtual clock (no real waiting), logs
//! each piece's seed, size and composing time over semihosting, reports the stack
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

/// Plays pieces back to back on a virtual clock, then exits QEMU.
#[cfg(all(feature = "autoplay", not(feature = "stream")))]
fn autoplay(tx: uart::UartTx, mut clock: SysTickClock, composer: BoardComposer<{ settings::FRAMES }>, config: PlayerConfig) -> ! {
    use kantor_core::player::sim::{RecordingLed, ScriptedButton, VirtualClock, VirtualTimer};
    use kantor_core::player::FixedSeed;

    let time = VirtualClock::new();
    let button = ScriptedButton { clock: &time, held: &[] };
    let timer = VirtualTimer { clock: &time };
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> =
        Player::new(button, RecordingLed::default(), tx, timer, composer, FixedSeed(0), config);
    let mut total_bytes = 0u64;
    let mut high_water = [0usize; 2];
    for piece in 0..settings::PIECES {
        let seed = settings::SEED + piece as u64;
        player.start(seed);
        let began = clock.cycles();
        let mut composed = 0;
        loop {
            match player.step() {
                Ok(Some(Happening::Composed { .. })) => composed = clock.cycles() - began,
                Ok(Some(Happening::Finished { bytes })) => {
                    total_bytes += bytes as u64;
                    hprintln!(
                        "piece {} seed {} frames {} bytes {} compose_ticks {}",
                        piece,
                        seed,
                        player.piece().len(),
                        bytes,
                        composed
                    );
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    hprintln!("piece {} seed {} failed: {}", piece, seed, e);
                    debug::exit(debug::EXIT_FAILURE);
                }
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
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> =
        Player::new(button, RecordingLed::default(), tx, clock, composer, PressTime, config);
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
