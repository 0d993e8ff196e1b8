//! The endless chorale on the emulated board: streams `KANTOR_PHRASES` phrases from
//! `KANTOR_SEED` (SysTick plays, the main loop composes), stops with all notes off,
//! reports how early each phrase was ready, exits QEMU.

use cortex_m_semihosting::{debug, hprintln};
use kantor_board::endless::Endless;
use kantor_board::systick::SysTickClock;
use kantor_board::BoardComposer;
use kantor_core::player::{Monotonic, PlayerConfig};

use crate::{settings, uart::UartTx};

pub fn run(tx: UartTx, mut clock: SysTickClock, composer: BoardComposer<{ settings::FRAMES }>, config: PlayerConfig) -> ! {
    let port = cortex_m::singleton!(: UartTx = tx).unwrap();
    let mut endless: Endless<_, { settings::FRAMES }> = Endless::start(port, composer, config, settings::SEED);
    hprintln!("stream seed {}", settings::SEED);
    for _ in 0..settings::PHRASES {
        match endless.phrase(&mut clock) {
            Ok(r) => hprintln!("phrase {} compose_cycles {} margin_us {} at_us {}", r.index, r.cycles, r.margin_us, clock.now_us()),
            Err(e) => {
                hprintln!("phrase failed: {}", e);
                debug::exit(debug::EXIT_FAILURE);
            }
        }
    }
    // Let the last phrase play (a minute at most), then stop.
    let end = clock.now_us() + 60_000_000;
    while clock.now_us() < end && !endless.drained() {
        cortex_m::asm::wfi();
    }
    let s = endless.stop(&mut clock);
    hprintln!(
        "stream done: {} phrases, {} gaps, smallest margin {} us, {} bytes, stack high-water {} bytes",
        s.phrases,
        s.gaps,
        s.min_margin_us,
        endless.sent(),
        kantor_board::stack::high_water()
    );
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}
