//! Where a piece's MIDI messages go out from when they fall due: a [`Stage`].
//!
//! The [`Player`](super::Player) queues each phrase's time-stamped messages as soon as
//! it is composed. A stage that sends by itself (a timer interrupt on a board, a thread
//! on an operating system) plays one phrase while the player composes the next; the
//! [`Inline`] stage sends only while the player waits, so the player lets each phrase play
//! out before composing the next (the music then holds the fermata that ends it).

use super::endless::Timed;
use crate::midi::{all_notes_off, Performance, RunningStatus};

/// The sending side of a player.
pub trait Stage {
    /// Why sending failed (the MIDI port's error).
    type Error;

    /// True when queued messages go out while the player composes (an interrupt, a
    /// thread); false when they go out only from [`Stage::tick`].
    fn plays_while_composing(&self) -> bool;

    /// Queues a message; hands it back while the queue is full.
    fn queue(&mut self, item: Timed) -> Result<(), Timed>;

    /// Called at each of the player's waits: sends what is due by `now_us` (nothing to do
    /// for a stage that sends by itself; it reports its port's failure here).
    fn tick(&mut self, now_us: u64) -> Result<(), Self::Error>;

    /// When the next queued message is due, if the stage knows (the player then waits no
    /// longer than that).
    fn next_due(&self) -> Option<u64> {
        None
    }

    /// True when everything queued has been sent.
    fn is_idle(&self) -> bool;

    /// Drops what is queued and turns every note of `performance` off ("all notes off" on
    /// each voice's channel); returns once that is sent.
    fn stop(&mut self, performance: &Performance) -> Result<(), Self::Error>;

    /// MIDI bytes sent so far.
    fn sent(&self) -> u32;
}

/// A stage on the player's own waits: a queue of up to `Q` messages sent to the port `W`
/// with running status when the player waits. The player lets each phrase play out before
/// composing the next.
pub struct Inline<W, const Q: usize = 64> {
    port: W,
    queue: heapless::Deque<Timed, Q>,
    status: RunningStatus,
    sent: u32,
}

impl<W, const Q: usize> Inline<W, Q> {
    pub fn new(port: W) -> Self {
        Inline { port, queue: heapless::Deque::new(), status: RunningStatus::new(), sent: 0 }
    }

    /// The MIDI port.
    pub fn port(&mut self) -> &mut W {
        &mut self.port
    }
}

impl<W: embedded_io::Write, const Q: usize> Stage for Inline<W, Q> {
    type Error = W::Error;

    fn plays_while_composing(&self) -> bool {
        false
    }

    fn queue(&mut self, item: Timed) -> Result<(), Timed> {
        self.queue.push_back(item)
    }

    fn tick(&mut self, now_us: u64) -> Result<(), W::Error> {
        let mut bytes = 0;
        while let Some(t) = self.queue.front().copied().filter(|t| t.at_us <= now_us) {
            self.queue.pop_front();
            bytes += self.status.write(&t.message, &mut self.port)? as u32;
        }
        if bytes > 0 {
            self.port.flush()?;
        }
        self.sent += bytes;
        Ok(())
    }

    fn next_due(&self) -> Option<u64> {
        self.queue.front().map(|t| t.at_us)
    }

    fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    fn stop(&mut self, performance: &Performance) -> Result<(), W::Error> {
        self.queue.clear();
        let mut fresh = RunningStatus::new();
        for m in all_notes_off(performance) {
            self.sent += fresh.write(&m, &mut self.port)? as u32;
        }
        self.status = fresh;
        self.port.flush()
    }

    fn sent(&self) -> u32 {
        self.sent
    }
}
