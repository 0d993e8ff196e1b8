//! The sending side of a Cortex-M board: a [`Playback`] run from the SysTick interrupt,
//! fed by the main loop through a static queue. The endless chorale's [`Streamer`] and a
//! piece's [`Player`] both queue into it, so one phrase plays while the next is composed.
//!
//! [`Streamer`]: kantor_core::player::Streamer
//! [`Player`]: kantor_core::player::Player

use core::cell::RefCell;
use core::convert::Infallible;
use core::ptr::addr_of_mut;

use cortex_m::interrupt::Mutex;
use heapless::spsc::Producer;
use kantor_core::midi::Performance;
use kantor_core::player::{EventQueue, Playback, Stage, StreamControl, Timed};

use crate::systick::set_tick_hook;

/// The MIDI port as the interrupt sees it.
pub type Port = &'static mut (dyn embedded_io::Write<Error = Infallible> + Send);

/// Messages queued ahead: a phrase of two bars with every voice moving every 16th needs
/// 256; the main loop waits while the queue is full.
const QUEUE: usize = 512;

static CONTROL: StreamControl = StreamControl::new();
static PLAYBACK: Mutex<RefCell<Option<Playback<'static, Port>>>> = Mutex::new(RefCell::new(None));

/// The timer side, from the SysTick interrupt.
fn tick(now_us: u64) {
    cortex_m::interrupt::free(|cs| {
        if let Some(p) = PLAYBACK.borrow(cs).borrow_mut().as_mut() {
            let _ = p.on_tick(now_us);
        }
    });
}

/// Hands `port` to the interrupt's playback and hooks SysTick; returns the queue's
/// producing half and the stop control. Call once: the queue is a static.
pub fn install(port: Port, performance: Performance) -> (Producer<'static, Timed>, &'static StreamControl) {
    static mut QUEUE_STORAGE: EventQueue<QUEUE> = EventQueue::new();
    // SAFETY: called once (documented); the queue is split once and its halves live for
    // the rest of the program.
    let (producer, consumer) = unsafe { (*addr_of_mut!(QUEUE_STORAGE)).split() };
    cortex_m::interrupt::free(|cs| {
        PLAYBACK.borrow(cs).replace(Some(Playback::new(consumer, port, &CONTROL, performance)));
    });
    set_tick_hook(tick);
    (producer, &CONTROL)
}

/// Sleeps until the next interrupt (the playback runs in it).
pub fn wait<T>(_: &mut T) {
    cortex_m::asm::wfi();
}

/// True once everything queued has been sent.
pub fn drained() -> bool {
    cortex_m::interrupt::free(|cs| PLAYBACK.borrow(cs).borrow().as_ref().is_none_or(|p| p.is_idle()))
}

/// Bytes sent so far.
pub fn sent() -> u32 {
    cortex_m::interrupt::free(|cs| PLAYBACK.borrow(cs).borrow().as_ref().map_or(0, |p| p.sent()))
}

/// A piece player's [`Stage`] on the SysTick interrupt.
pub struct SysTickStage {
    queue: Producer<'static, Timed>,
}

impl SysTickStage {
    /// Takes the port (in a static: `cortex_m::singleton!`). Call once.
    pub fn new(port: Port, performance: Performance) -> Self {
        SysTickStage { queue: install(port, performance).0 }
    }
}

impl Stage for SysTickStage {
    type Error = Infallible;

    fn plays_while_composing(&self) -> bool {
        true
    }

    fn queue(&mut self, item: Timed) -> Result<(), Timed> {
        self.queue.enqueue(item)
    }

    fn tick(&mut self, _now_us: u64) -> Result<(), Infallible> {
        Ok(())
    }

    fn is_idle(&self) -> bool {
        drained()
    }

    fn stop(&mut self, _performance: &Performance) -> Result<(), Infallible> {
        CONTROL.request_stop();
        while CONTROL.stopping() {
            cortex_m::asm::wfi();
        }
        Ok(())
    }

    fn sent(&self) -> u32 {
        sent()
    }
}
