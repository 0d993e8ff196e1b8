//! Kantor on the STM32F4 Discovery board (STM32F407VG, Cortex-M4F at 168 MHz).
//!
//! - the blue user button (B1, PA0, active high) starts a piece, and stops it; the first
//!   phrase plays as soon as it is composed, each next one is composed while the one
//!   before plays (from the SysTick interrupt);
//! - the orange LED (LD3, PD13) is lit while composing and playing;
//! - USART2 TX on PA2 is the MIDI out (31,250 baud; wiring in the firmware README);
//! - seeds come from the on-chip true random number generator.
//!
//! A thin layer: the pins, the UART and the clock are handed to the same player the
//! other boards run. With the `stream` feature a press starts an endless chorale instead
//! (composed phrase by phrase while it plays) and the next press stops it.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use kantor_board::serial::MidiOut;
use kantor_board::systick::SysTickClock;
use kantor_board::BoardComposer;
use kantor_core::player::{ActiveLevel, PlayerConfig, SeedSource};
use panic_halt as _;
#[cfg(feature = "defmt")]
use defmt_rtt as _;
use rand_core_06::RngCore;
use stm32f4xx_hal::{pac, prelude::*, rng::Rng, serial::Serial};

#[allow(dead_code)] // the auto-play settings are for the emulated board
mod settings {
    include!(concat!(env!("OUT_DIR"), "/settings.rs"));
}

/// Core clock: 168 MHz from the 8 MHz crystal (the PLL's 48 MHz output feeds the RNG).
const CORE_HZ: u32 = 168_000_000;

/// Seeds from the true RNG; from the press time if it reports a clock or seed error.
struct HardwareSeed(Rng);

impl SeedSource for HardwareSeed {
    fn seed(&mut self, press_us: u64) -> u64 {
        let mut bytes = [0u8; 8];
        match self.0.try_fill_bytes(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => press_us,
        }
    }
}

#[entry]
fn main() -> ! {
    kantor_board::stack::paint();
    let dp = pac::Peripherals::take().unwrap();
    let cp = cortex_m::Peripherals::take().unwrap();
    let clocks = dp.RCC.constrain().cfgr.use_hse(8.MHz()).sysclk(CORE_HZ.Hz()).require_pll48clk().freeze();

    let gpioa = dp.GPIOA.split();
    let gpiod = dp.GPIOD.split();
    let button = gpioa.pa0.into_floating_input();
    let led = gpiod.pd13.into_push_pull_output();
    let tx = match Serial::tx(dp.USART2, gpioa.pa2, 31_250.bps(), &clocks) {
        Ok(tx) => tx,
        Err(_) => panic!("USART2 cannot run at 31,250 baud from these clocks"),
    };
    let seeds = HardwareSeed(dp.RNG.constrain(&clocks));
    let clock = SysTickClock::start(cp.SYST, clocks.sysclk().raw(), 1_000);

    let composer: BoardComposer<{ settings::FRAMES }> = match kantor_board::board_composer!() {
        Ok(c) => c,
        Err(e) => panic!("the model does not load: {}", e),
    };
    let config = PlayerConfig {
        phrases: settings::PHRASES,
        context_frames: settings::CONTEXT_FRAMES,
        active: ActiveLevel::High,
        ..PlayerConfig::default()
    };
    // The MIDI out goes to the SysTick interrupt, which plays while the next phrase is
    // composed.
    let port = cortex_m::singleton!(: MidiOut<stm32f4xx_hal::serial::Tx<pac::USART2>> = MidiOut(tx)).unwrap();
    // Press: an endless chorale from a fresh seed; press again: all notes off, wait.
    #[cfg(feature = "stream")]
    kantor_board::endless::on_button::<_, { settings::FRAMES }>(button, led, port, clock, composer, seeds, config);
    // Press: a piece, each phrase played as soon as it is composed; press again: stop.
    #[cfg(not(feature = "stream"))]
    kantor_board::pieces::on_button(button, led, port, clock, composer, seeds, config)
}
