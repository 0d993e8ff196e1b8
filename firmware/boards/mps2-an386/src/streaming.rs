//! The endless chorale on the emulated board: SysTick (1 kHz) plays the queued messages,
//! the main loop composes the next phrase meanwhile. Streams `KANTOR_PHRASES` phrases from
//! `KANTOR_SEED`, stops (all notes off), reports how early each phrase was ready, exits.

use core::cell::RefCell;
use core::ptr::addr_of_mut;

use cortex_m::interrupt::Mutex;
use cortex_m_semihosting::{debug, hprintln};
use kantor_board::systick::{set_tick_hook, SysTickClock};
use kantor_board::BoardComposer;
use kantor_core::player::{EventQueue, Monotonic, Playback, PlayerConfig, StreamControl, Streamer};

use crate::{settings, uart::UartTx};

/// Messages queued ahead: two phrases of two bars with every voice moving every 16th.
const QUEUE: usize = 1024;

static CONTROL: StreamControl = StreamControl::new();
static PLAYBACK: Mutex<RefCell<Option<Playback<'static, UartTx>>>> = Mutex::new(RefCell::new(None));

/// The timer side, from the SysTick interrupt.
fn tick(now_us: u64) {
    cortex_m::interrupt::free(|cs| {
        if let Some(p) = PLAYBACK.borrow(cs).borrow_mut().as_mut() {
            let _ = p.on_tick(now_us);
        }
    });
}

/// Sleeps until the next interrupt (the playback runs in it).
fn wait(_: &mut SysTickClock) {
    cortex_m::asm::wfi();
}

pub fn run(tx: UartTx, mut clock: SysTickClock, composer: BoardComposer<{ settings::FRAMES }>, config: PlayerConfig) -> ! {
    static mut QUEUE_STORAGE: EventQueue<QUEUE> = EventQueue::new();
    // SAFETY: `run` is entered once; the queue is split once, its halves live forever.
    let (producer, consumer) = unsafe { (*addr_of_mut!(QUEUE_STORAGE)).split() };
    cortex_m::interrupt::free(|cs| {
        PLAYBACK.borrow(cs).replace(Some(Playback::new(consumer, tx, &CONTROL, config.performance)));
    });
    set_tick_hook(tick);

    let mut streamer: Streamer<'static, _, { settings::FRAMES }> = Streamer::new(producer, &CONTROL, composer, config);
    streamer.start(settings::SEED);
    hprintln!("stream seed {}", settings::SEED);
    for n in 0..settings::PHRASES {
        let began = clock.cycles();
        match streamer.step(&mut clock, wait) {
            Ok(margin) => hprintln!(
                "phrase {} compose_cycles {} margin_us {} at_us {}",
                n,
                clock.cycles() - began,
                margin,
                clock.now_us()
            ),
            Err(e) => {
                hprintln!("phrase {} failed: {:?}", n, e);
                debug::exit(debug::EXIT_FAILURE);
            }
        }
    }
    // Let the last phrase play, then stop.
    let end = clock.now_us() + 60_000_000;
    while clock.now_us() < end && !queue_empty() {
        cortex_m::asm::wfi();
    }
    streamer.stop(&mut clock, wait);
    let s = streamer.stats();
    let sent = cortex_m::interrupt::free(|cs| PLAYBACK.borrow(cs).borrow().as_ref().map_or(0, |p| p.sent()));
    hprintln!(
        "stream done: {} phrases, {} gaps, smallest margin {} us, {} bytes, stack high-water {} bytes",
        s.phrases,
        s.gaps,
        s.min_margin_us,
        sent,
        kantor_board::stack::high_water()
    );
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}

/// True once the playback has sent everything queued.
fn queue_empty() -> bool {
    cortex_m::interrupt::free(|cs| PLAYBACK.borrow(cs).borrow().as_ref().is_none_or(|p| p.is_idle()))
}
