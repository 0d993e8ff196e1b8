//! Kantor on the Raspberry Pi Pico 2 (RP2350A, Cortex-M33 at 150 MHz, DSP extension).
//!
//! - a push button from GP15 (pin 20) to ground (the internal pull-up holds it high)
//!   starts a piece, and stops it (the first phrase plays as soon as it is composed, each
//!   next one is composed while the one before plays, from the SysTick interrupt);
//! - the on-board LED (GP25) is lit while composing and playing;
//! - UART0 TX on GP0 (pin 1) is the MIDI out (31,250 baud; wiring in the firmware README);
//! - seeds come from the ring oscillator's random bit, mixed with the press time.
//!
//! A thin layer: the pins, the UART and the clock are handed to the same player the
//! other boards run. With the `stream` feature a press starts an endless chorale instead
//! (composed phrase by phrase while it plays) and the next press stops it. Only core 0
//! runs; the model stays in flash (executed in place through the XIP cache), the arena
//! and the sampler's buffers are statics in SRAM.
#![no_std]
#![no_main]

use kantor_board::serial::MidiOut;
use kantor_board::systick::SysTickClock;
use kantor_board::BoardComposer;
use kantor_core::player::{PlayerConfig, SeedSource};
use panic_halt as _;
use rp235x_hal as hal;

use hal::clocks::Clock;
use hal::fugit::RateExtU32;
use hal::gpio::FunctionUart;
use hal::uart::{DataBits, StopBits, UartConfig, UartPeripheral};

#[allow(dead_code)] // the auto-play settings are for the emulated board
mod settings {
    include!(concat!(env!("OUT_DIR"), "/settings.rs"));
}

/// The boot ROM's image definition: a secure Arm executable.
#[link_section = ".start_block"]
#[used]
pub static IMAGE_DEF: hal::block::ImageDef = hal::block::ImageDef::secure_exe();

/// What `picotool info` shows.
#[link_section = ".bi_entries"]
#[used]
pub static PICOTOOL_ENTRIES: [hal::binary_info::EntryAddr; 3] = [
    hal::binary_info::rp_cargo_bin_name!(),
    hal::binary_info::rp_cargo_version!(),
    hal::binary_info::rp_program_description!(c"Kantor: four-part chorales as MIDI on UART0 TX (GP0), button on GP15"),
];

/// The Pico 2's crystal.
const XTAL_HZ: u32 = 12_000_000;

/// Seeds from 64 bits of the ring oscillator's jitter, mixed with the press time.
struct RoscSeed(hal::rosc::RingOscillator<hal::rosc::Enabled>);

impl SeedSource for RoscSeed {
    fn seed(&mut self, press_us: u64) -> u64 {
        (0..64).fold(press_us, |s, _| s.rotate_left(1) ^ self.0.get_random_bit() as u64)
    }
}

#[hal::entry]
fn main() -> ! {
    kantor_board::stack::paint();
    let mut pac = hal::pac::Peripherals::take().unwrap();
    let cp = cortex_m::Peripherals::take().unwrap();
    let mut watchdog = hal::Watchdog::new(pac.WATCHDOG);
    // 150 MHz system clock from the crystal; the peripheral clock follows it.
    let Ok(clocks) = hal::clocks::init_clocks_and_plls(XTAL_HZ, pac.XOSC, pac.CLOCKS, pac.PLL_SYS, pac.PLL_USB, &mut pac.RESETS, &mut watchdog)
    else {
        panic!("the clocks do not start")
    };
    let sio = hal::Sio::new(pac.SIO);
    let pins = hal::gpio::Pins::new(pac.IO_BANK0, pac.PADS_BANK0, sio.gpio_bank0, &mut pac.RESETS);
    let button = pins.gpio15.into_pull_up_input();
    let led = pins.gpio25.into_push_pull_output();
    let uart_pins = hal::uart::Pins::default().tx(pins.gpio0.into_function::<FunctionUart>());
    // 150 MHz / (16 × 31,250) = 300: the divider is exact.
    let midi = UartConfig::new(31_250.Hz(), DataBits::Eight, None, StopBits::One);
    let Ok(uart) = UartPeripheral::new(pac.UART0, uart_pins, &mut pac.RESETS).enable(midi, clocks.peripheral_clock.freq()) else {
        panic!("UART0 cannot run at 31,250 baud from these clocks")
    };
    let seeds = RoscSeed(hal::rosc::RingOscillator::new(pac.ROSC).initialize());
    let clock = SysTickClock::start(cp.SYST, clocks.system_clock.freq().to_Hz(), 1_000);

    let composer: BoardComposer<{ settings::FRAMES }> = match kantor_board::board_composer!() {
        Ok(c) => c,
        Err(e) => panic!("the model does not load: {}", e),
    };
    // The button pulls GP15 low when pressed: the player's default active level.
    let config = PlayerConfig { phrases: settings::PHRASES, context_frames: settings::CONTEXT_FRAMES, ..PlayerConfig::default() };
    type Uart0 = UartPeripheral<hal::uart::Enabled, hal::pac::UART0, MidiPins>;
    type MidiPins = hal::uart::Pins<
        hal::typelevel::OptionTSome<hal::gpio::Pin<hal::gpio::bank0::Gpio0, FunctionUart, hal::gpio::PullDown>>,
        hal::typelevel::OptionTNone,
        hal::typelevel::OptionTNone,
        hal::typelevel::OptionTNone,
    >;
    // The MIDI out goes to the SysTick interrupt, which plays while the next phrase is
    // composed.
    let port = cortex_m::singleton!(: MidiOut<Uart0> = MidiOut(uart)).unwrap();
    // Press: an endless chorale from a fresh seed; press again: all notes off, wait.
    #[cfg(feature = "stream")]
    kantor_board::endless::on_button::<_, { settings::FRAMES }>(button, led, port, clock, composer, seeds, config);
    // Press: a piece, each phrase played as soon as it is composed; press again: stop.
    #[cfg(not(feature = "stream"))]
    kantor_board::pieces::on_button(button, led, port, clock, composer, seeds, config)
}
